//! Static shapes of every tensor, from tract's own shape inference.
//!
//! tract parses the same protobuf into its inference model (one node per ONNX node, each
//! output labelled with its ONNX tensor name), the graph inputs get the static shapes the
//! loader settled on, and tract's analyser propagates shapes through the graph. We read back the
//! shape of every named tensor whose shape is fully known.
//!
//! This is best effort: a node tract cannot analyse (an op it does not know, say) leaves the
//! tensors after it unknown, and the loader decides what that means (an unsupported-op error
//! if there are unsupported ops, otherwise an error naming the tensor). tract panicking on a
//! strange model is caught and reported as an error, not propagated.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use tract_onnx::pb::ModelProto;
use tract_onnx::tract_hir::internal::*;

use super::graph::ValueInfo;

/// What inference found.
pub(crate) struct Inferred {
    /// Fully static shapes, by tensor name.
    pub shapes: BTreeMap<String, Vec<usize>>,
    /// The first error tract reported, if any.
    pub error: Option<String>,
}

/// Infer the shape of every tensor of `proto`, given static shapes for the graph inputs.
pub(crate) fn infer(proto: &ModelProto, model_dir: &Path, inputs: &[ValueInfo]) -> Inferred {
    match catch_unwind(AssertUnwindSafe(|| infer_inner(proto, model_dir, inputs))) {
        Ok(Ok(inferred)) => inferred,
        Ok(Err(e)) => Inferred {
            shapes: BTreeMap::new(),
            error: Some(format!("{e:#}")),
        },
        Err(panic) => Inferred {
            shapes: BTreeMap::new(),
            error: Some(format!("tract panicked: {}", panic_message(&panic))),
        },
    }
}

/// The message of a caught panic.
pub(crate) fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// Parse `proto` with tract into an inference model whose inputs have the given static shapes;
/// also returns tract's map from ONNX tensor names to outlets.
pub(crate) fn tract_model(
    proto: &ModelProto,
    model_dir: &Path,
    inputs: &[ValueInfo],
    input_type: Option<(DatumType, &std::collections::BTreeSet<String>)>,
) -> TractResult<(InferenceModel, std::collections::HashMap<String, OutletId>)> {
    let dir = model_dir
        .to_str()
        .ok_or_else(|| format_err!("model directory {model_dir:?} is not UTF-8"))?;
    let stripped;
    let proto = if has_symbolic_facts(proto) {
        stripped = without_symbolic_facts(proto);
        &stripped
    } else {
        proto
    };
    let parsed = tract_onnx::onnx().parse(proto, Some(dir))?;
    if !parsed.unresolved_inputs.is_empty() {
        bail!(
            "tensors read but never written: {:?}",
            parsed.unresolved_inputs
        );
    }
    let mut model = parsed.model;
    let sources = model.input_outlets()?.to_vec();
    ensure!(
        sources.len() == inputs.len(),
        "tract sees {} graph inputs, the loader {}",
        sources.len(),
        inputs.len()
    );
    for (ix, outlet) in sources.iter().enumerate() {
        let name = model.node(outlet.node).name.clone();
        let info = inputs
            .iter()
            .find(|i| i.name == name)
            .ok_or_else(|| format_err!("tract input {name:?} is not a graph input"))?;
        let dt = match input_type {
            Some((_, integer)) if integer.contains(&name) => i64::datum_type(),
            Some((dt, _)) => dt,
            None => model
                .input_fact(ix)?
                .datum_type
                .concretize()
                .unwrap_or(f32::datum_type()),
        };
        model.set_input_fact(ix, InferenceFact::dt_shape(dt, info.shape.iter().copied()))?;
    }
    Ok((model, parsed.outlets_by_name))
}

/// Whether an intermediate or output tensor's recorded shape (`value_info`, graph outputs)
/// has a symbolic or unknown dimension. Exporters write such shapes (Paddle2ONNX:
/// `DynamicDimension.0`); tract takes them as facts to unify with, and a symbol there that the
/// static input shape does not bind stops its analysis (a `Shape` node then cannot be folded).
fn has_symbolic_facts(proto: &ModelProto) -> bool {
    proto.graph.as_ref().is_some_and(|g| {
        g.value_info
            .iter()
            .chain(&g.output)
            .any(|v| shape_dims(v).is_some_and(|d| d.iter().any(is_symbolic)))
    })
}

/// `proto` without the `value_info` entries that have a symbolic dimension and with such graph
/// outputs' shapes forgotten (their element types kept): those shapes are inferred from the
/// static input shapes; concrete facts stay.
fn without_symbolic_facts(proto: &ModelProto) -> ModelProto {
    let symbolic = |v: &tract_onnx::pb::ValueInfoProto| {
        shape_dims(v).is_some_and(|d| d.iter().any(is_symbolic))
    };
    let mut p = proto.clone();
    if let Some(g) = p.graph.as_mut() {
        g.value_info.retain(|v| !symbolic(v));
        for o in g.output.iter_mut().filter(|o| symbolic(o)) {
            if let Some(tract_onnx::pb::type_proto::Value::TensorType(t)) =
                o.r#type.as_mut().and_then(|t| t.value.as_mut())
            {
                t.shape = None;
            }
        }
    }
    p
}

fn shape_dims(
    v: &tract_onnx::pb::ValueInfoProto,
) -> Option<&[tract_onnx::pb::tensor_shape_proto::Dimension]> {
    let tract_onnx::pb::type_proto::Value::TensorType(t) = v.r#type.as_ref()?.value.as_ref()?;
    Some(&t.shape.as_ref()?.dim)
}

fn is_symbolic(d: &tract_onnx::pb::tensor_shape_proto::Dimension) -> bool {
    use tract_onnx::pb::tensor_shape_proto::dimension::Value;
    !matches!(d.value, Some(Value::DimValue(v)) if v > 0)
}

fn infer_inner(
    proto: &ModelProto,
    model_dir: &Path,
    inputs: &[ValueInfo],
) -> TractResult<Inferred> {
    let (mut model, outlets) = tract_model(proto, model_dir, inputs, None)?;
    // Stop at the first error to record it, then go on obstinately for as much as can be known.
    let error = match model.analyse(false) {
        Ok(_) => None,
        Err(e) => {
            let _ = model.analyse(true);
            Some(format!("{e:#}"))
        }
    };
    let mut shapes = BTreeMap::new();
    for (name, outlet) in outlets {
        let Ok(fact) = model.outlet_fact(outlet) else {
            continue;
        };
        if let Ok(Some(shape)) = fact.shape.as_concrete_finite() {
            shapes.insert(name, shape.to_vec());
        }
    }
    Ok(Inferred { shapes, error })
}
