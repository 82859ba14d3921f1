//! The float reference executor: tract runs the model in `f32` and we collect every output.
//!
//! This is what the quantized (proved) execution is compared with, layer by layer: besides the
//! graph outputs, the ONNX-named output of every layer is made a model output before tract
//! optimizes the model, so its value survives optimization and comes back by name. Exposing
//! every layer output keeps tract from fusing across layers, which costs some speed and
//! nothing in exactness (each op is still computed by tract's optimized kernels).
//!
//! Values are returned as `f32` with their shapes. Integer and boolean tensors (shape
//! arithmetic, Dropout masks) are converted to `f32` too (exact below 2^24); a layer output
//! tract cannot express as numbers is left out, a graph output never is.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use tract_onnx::tract_hir::internal::*;

use super::graph::LayerGraph;
use super::input::check_input_lengths;
use super::load::{load, model_dir, onnx_error, read_proto};
use super::shapes::{panic_message, tract_model};
use crate::Result;

/// Tensor values by ONNX tensor name: shape and row-major data.
pub type FloatValues = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// Load the model at `path` and run it in float on `inputs` (one flat vector per graph input,
/// in the model's input order). Returns every graph output and every layer output by name.
pub fn run_float(path: &Path, inputs: &[Vec<f32>]) -> Result<FloatValues> {
    let g = load(path)?;
    run_float_graph(path, &g, inputs)
}

/// Like [`run_float`] for a model already loaded into `g` (from the same `path`).
pub fn run_float_graph(path: &Path, g: &LayerGraph, inputs: &[Vec<f32>]) -> Result<FloatValues> {
    check_input_lengths(&g.inputs, inputs)?;
    let proto = read_proto(path)?;
    let dir = model_dir(path);
    let run = catch_unwind(AssertUnwindSafe(|| run_inner(&proto, &dir, g, inputs)));
    match run {
        Ok(Ok(values)) => Ok(values),
        Ok(Err(e)) => Err(onnx_error(
            path,
            format!("the float reference run (tract) failed: {e:#}"),
        )),
        Err(p) => Err(onnx_error(
            path,
            format!(
                "the float reference run (tract) panicked: {}",
                panic_message(&p)
            ),
        )),
    }
}

fn run_inner(
    proto: &tract_onnx::pb::ModelProto,
    dir: &Path,
    g: &LayerGraph,
    inputs: &[Vec<f32>],
) -> TractResult<FloatValues> {
    let (mut model, outlets) = tract_model(
        proto,
        dir,
        &g.inputs,
        Some((f32::datum_type(), &g.integer_inputs)),
    )?;

    // Graph outputs first, then every layer output, each once.
    let mut names: Vec<&str> = Vec::new();
    for o in &g.outputs {
        if !names.contains(&o.name.as_str()) {
            names.push(&o.name);
        }
    }
    let n_graph_outputs = names.len();
    for l in &g.layers {
        for o in &l.outputs {
            if !o.is_empty() && !names.contains(&o.as_str()) && outlets.contains_key(o) {
                names.push(o);
            }
        }
    }
    let selected: Vec<OutletId> = names
        .iter()
        .map(|n| {
            outlets
                .get(*n)
                .copied()
                .ok_or_else(|| format_err!("tract has no tensor named {n:?}"))
        })
        .collect::<TractResult<_>>()?;
    model.select_output_outlets(&selected)?;

    let plan = model.into_optimized()?.into_runnable()?;
    let feed: TVec<TValue> = g
        .inputs
        .iter()
        .zip(inputs)
        .map(|(info, data)| {
            if g.integer_inputs.contains(&info.name) {
                let ints: Vec<i64> = data.iter().map(|v| v.round() as i64).collect();
                Ok(Tensor::from_shape(&info.shape, &ints)?.into())
            } else {
                Ok(Tensor::from_shape(&info.shape, data)?.into())
            }
        })
        .collect::<TractResult<_>>()?;
    let results = plan.run(feed)?;
    ensure!(
        results.len() == names.len(),
        "tract returned {} tensors for {} requested",
        results.len(),
        names.len()
    );

    let mut out = FloatValues::new();
    for (ix, (name, value)) in names.iter().zip(results.iter()).enumerate() {
        let converted = value
            .cast_to::<f32>()
            .and_then(|t| Ok(t.to_plain_array_view::<f32>()?.iter().copied().collect()));
        match converted {
            Ok(data) => {
                out.insert(name.to_string(), (value.shape().to_vec(), data));
            }
            Err(e) if ix < n_graph_outputs => {
                bail!(
                    "graph output {name:?} ({:?}) is not numeric: {e:#}",
                    value.datum_type()
                )
            }
            Err(_) => {}
        }
    }
    Ok(out)
}
