//! Reading an ONNX file into a [`LayerGraph`], as written.
//!
//! The protobuf is decoded with tract-onnx's generated types (`tract_onnx::pb`), then walked
//! here: initializers and `Constant` nodes become constants (the `Constant` nodes are dropped
//! from the layers), every other node becomes a [`Layer`] with its attributes, and the layers
//! are put in topological order. Weights stored as external data are read from the file beside
//! the model (module `tensor`); nothing is ever invented for a missing file.
//!
//! Input shapes come from the graph's declared input types, or from the shapes the caller gives
//! (module [`super::input_shapes`]; each must agree with every dimension the model fixes). A
//! symbolic (`dim_param`, `-1`) leading dimension with no given shape is taken as batch 1 and
//! recorded in [`LayerGraph::assumed`]; any other symbolic or missing dimension is an error
//! naming the input, the axis and the fix.
//! The shapes of every other tensor come from tract's shape inference (module `shapes`).
//!
//! A file that is not a model, a dangling tensor reference, a cycle, a tensor written twice, a
//! tensor whose payload does not fit its shape: each is an [`Error::Onnx`] naming the tensor or
//! node, never a panic.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_shape_proto::dimension::Value as Dim;
use tract_onnx::pb::type_proto::Value as TypeValue;
use tract_onnx::pb::{AttributeProto, ModelProto, NodeProto, ValueInfoProto};
use tract_onnx::prelude::Framework;

use super::graph::{canonical_domain, Attribute, ConstTensor, Layer, LayerGraph, ValueInfo};
use super::input_shapes::InputShapes;
use super::shapes;
use super::supported::unsupported_nodes;
use super::tensor::{decode, TensorSource};
use crate::{Error, Result};

/// The most entries a graph input may have (2^31: far above any domain the prover makes).
pub const MAX_INPUT_ENTRIES: usize = 1 << 31;

/// Load an ONNX model with the shapes it declares (a symbolic leading dimension taken as batch
/// 1, recorded in [`LayerGraph::assumed`]); use [`load_with_shapes`] to give other shapes.
pub fn load(path: &Path) -> Result<LayerGraph> {
    load_with_shapes(path, &InputShapes::new())
}

/// Load an ONNX model, taking the shapes of its inputs from `input_shapes` where given
/// (module [`super::input_shapes`]: each must fit the model's fixed dimensions).
pub fn load_with_shapes(path: &Path, input_shapes: &InputShapes) -> Result<LayerGraph> {
    let proto = read_proto(path)?;
    let err = |reason: String| onnx_error(path, reason);
    let model_dir = model_dir(path);
    let src = TensorSource {
        model_dir: &model_dir,
    };

    let graph = proto
        .graph
        .as_ref()
        .ok_or_else(|| err("the file holds no graph (is it an ONNX model?)".into()))?;

    let mut opset_imports = BTreeMap::new();
    for imp in &proto.opset_import {
        opset_imports.insert(canonical_domain(&imp.domain).to_string(), imp.version);
    }
    if !opset_imports.contains_key("") {
        return Err(err(
            "the model imports no opset of the default ONNX domain".into()
        ));
    }
    if !graph.sparse_initializer.is_empty() {
        return Err(err(format!(
            "sparse initializers are not supported ({} in the graph)",
            graph.sparse_initializer.len()
        )));
    }

    // Constants: initializers, then Constant nodes below.
    let mut constants: BTreeMap<String, ConstTensor> = BTreeMap::new();
    for t in &graph.initializer {
        if t.name.is_empty() {
            return Err(err("an initializer has no name".into()));
        }
        let what = format!("initializer {:?}", t.name);
        let c = decode(t, &what, &src).map_err(&err)?;
        if constants.insert(t.name.clone(), c).is_some() {
            return Err(err(format!("initializer {:?} is defined twice", t.name)));
        }
    }

    // Graph inputs that are not initializers.
    let graph_inputs: Vec<&ValueInfoProto> = graph
        .input
        .iter()
        .filter(|vi| !constants.contains_key(&vi.name))
        .collect();
    let names: Vec<&str> = graph_inputs.iter().map(|vi| vi.name.as_str()).collect();
    if let Some((name, (_, source))) = input_shapes
        .by_name
        .iter()
        .find(|(n, _)| !names.contains(&n.as_str()))
    {
        return Err(err(format!(
            "a shape was given for input {name:?} ({source}), but the model's inputs are {names:?}"
        )));
    }
    if let Some((_, source)) = input_shapes
        .by_position
        .iter()
        .skip(names.len())
        .flatten()
        .next()
    {
        return Err(err(format!(
            "more input shapes are given ({source}) than the model has inputs {names:?}"
        )));
    }
    if names.len() > 1 {
        if let Some((_, source)) = input_shapes
            .by_position
            .iter()
            .flatten()
            .find(|(_, src)| src.starts_with("--input-shape"))
        {
            return Err(err(format!(
                "{source} names no input, and the model has several {names:?}: write \
                 --input-shape NAME=D,D,..."
            )));
        }
    }
    let mut inputs = Vec::with_capacity(graph_inputs.len());
    let mut assumed = Vec::new();
    let mut integer_inputs = std::collections::BTreeSet::new();
    for (position, vi) in graph_inputs.into_iter().enumerate() {
        let shape = input_shape(vi, position, input_shapes, &mut assumed).map_err(&err)?;
        let entries = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if entries.is_none_or(|n| n > MAX_INPUT_ENTRIES) {
            return Err(err(format!(
                "graph input {:?} of shape {shape:?} has more than 2^{} entries, more than \
                 zktorch can prove",
                vi.name,
                MAX_INPUT_ENTRIES.trailing_zeros()
            )));
        }
        if is_integer_typed(vi) {
            integer_inputs.insert(vi.name.clone());
        }
        inputs.push(ValueInfo {
            name: vi.name.clone(),
            shape,
        });
    }

    // Nodes.
    let mut layers = Vec::with_capacity(graph.node.len());
    for (index, node) in graph.node.iter().enumerate() {
        let name = node_name(node, index);
        if node.op_type == "Constant" && canonical_domain(&node.domain).is_empty() {
            let (out, c) = constant_node(node, &name, &src).map_err(&err)?;
            if constants.insert(out.clone(), c).is_some() {
                return Err(err(format!(
                    "tensor {out:?} is written by Constant node {name:?} and also by an initializer \
                     or another Constant"
                )));
            }
            continue;
        }
        let mut attributes = BTreeMap::new();
        for a in &node.attribute {
            let what = format!("attribute {:?} of node {name:?} ({})", a.name, node.op_type);
            attributes.insert(a.name.clone(), attribute(a, &what, &src).map_err(&err)?);
        }
        layers.push(Layer {
            name,
            op_type: node.op_type.clone(),
            domain: canonical_domain(&node.domain).to_string(),
            inputs: node.input.clone(),
            outputs: node.output.clone(),
            attributes,
        });
    }

    let layers = topological_order(layers, &inputs, &constants).map_err(&err)?;

    for out in &graph.output {
        let known = inputs.iter().any(|i| i.name == out.name)
            || constants.contains_key(&out.name)
            || layers.iter().any(|l| l.outputs.contains(&out.name));
        if !known {
            return Err(err(format!(
                "graph output {:?} is not written by any node, input or initializer",
                out.name
            )));
        }
    }

    let mut g = LayerGraph {
        name: graph.name.clone(),
        opset_imports,
        inputs,
        outputs: Vec::new(),
        layers,
        constants,
        value_shapes: BTreeMap::new(),
        assumed,
        integer_inputs,
    };

    // Shapes of every tensor, by tract's inference.
    let inferred = shapes::infer(&proto, &model_dir, &g.inputs);
    g.value_shapes = inferred.shapes;
    for i in &g.inputs {
        g.value_shapes.insert(i.name.clone(), i.shape.clone());
    }
    for c in g.constants.keys() {
        g.value_shapes.remove(c);
    }
    g.value_shapes.retain(|name, _| {
        g.inputs.iter().any(|i| &i.name == name)
            || g.layers.iter().any(|l| l.outputs.contains(name))
    });

    // Tensors that something reads must have a shape.
    let mut needed: Vec<(&str, &Layer)> = Vec::new();
    let read: BTreeSet<&str> = g
        .layers
        .iter()
        .flat_map(|l| l.inputs.iter().map(String::as_str))
        .chain(graph.output.iter().map(|o| o.name.as_str()))
        .collect();
    for l in &g.layers {
        for o in &l.outputs {
            if !o.is_empty() && read.contains(o.as_str()) && !g.value_shapes.contains_key(o) {
                needed.push((o, l));
            }
        }
    }
    if let Some((tensor, layer)) = needed.first() {
        let unsupported = unsupported_nodes(&g);
        if !unsupported.is_empty() {
            return Err(Error::UnsupportedOps { nodes: unsupported });
        }
        let why = inferred.error.map(|e| format!(": {e}")).unwrap_or_default();
        return Err(err(format!(
            "cannot infer the static shape of tensor {tensor:?} (output of node {:?}, {}){why}",
            layer.name, layer.op_type
        )));
    }

    g.outputs = graph
        .output
        .iter()
        .map(|o| ValueInfo {
            name: o.name.clone(),
            shape: g
                .shape_of(&o.name)
                .map(<[usize]>::to_vec)
                .unwrap_or_default(),
        })
        .collect();
    Ok(g)
}

/// Read and decode the protobuf; any failure names the file.
pub(crate) fn read_proto(path: &Path) -> Result<ModelProto> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let proto = tract_onnx::onnx()
        .proto_model_for_read(&mut bytes.as_slice())
        .map_err(|e| {
            onnx_error(
                path,
                format!(
                    "not a valid ONNX protobuf file ({} bytes): {e:#}",
                    bytes.len()
                ),
            )
        })?;
    Ok(proto)
}

/// The directory external data paths are relative to.
pub(crate) fn model_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

pub(crate) fn onnx_error(path: &Path, reason: String) -> Error {
    Error::Onnx {
        path: path.to_path_buf(),
        reason,
    }
}

/// A node's name, or for an unnamed node its first output, or `"<op_type>_<index>"`.
fn node_name(node: &NodeProto, index: usize) -> String {
    if !node.name.is_empty() {
        node.name.clone()
    } else if let Some(o) = node.output.iter().find(|o| !o.is_empty()) {
        o.clone()
    } else {
        format!("{}_{index}", node.op_type)
    }
}

/// The static shape of the graph input `vi` (at `position` in input order): the shape given
/// for it (which must fit every dimension the model fixes), else the declared one with a
/// symbolic leading dimension taken as 1 (recorded in `assumed`).
/// Whether a graph input's element type is an integer or boolean one (ONNX `INT8`…`UINT64`,
/// `BOOL`).
fn is_integer_typed(vi: &ValueInfoProto) -> bool {
    const INTEGER_TYPES: [i32; 9] = [2, 3, 4, 5, 6, 7, 9, 12, 13];
    matches!(
        vi.r#type.as_ref().and_then(|t| t.value.as_ref()),
        Some(TypeValue::TensorType(t)) if INTEGER_TYPES.contains(&t.elem_type)
    )
}

fn input_shape(
    vi: &ValueInfoProto,
    position: usize,
    given: &InputShapes,
    assumed: &mut Vec<String>,
) -> std::result::Result<Vec<usize>, String> {
    let name = &vi.name;
    let fix = |example: &str| {
        format!(
            "give the input's shape: `--input-shape {name}={example}` on the command line, \
             `input_shapes={{\"{name}\": [...]}}` in Python, or \"input_shapes\" in the input file"
        )
    };
    let given = given.for_input(name, position)?;
    let declared = match vi.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(TypeValue::TensorType(t)) => t.shape.as_ref(),
        None => return Err(format!("graph input {name:?} has no type")),
    };
    let Some(declared) = declared else {
        return match given {
            Some((s, _)) => Ok(s),
            None => Err(format!(
                "graph input {name:?} declares no shape; {}",
                fix("D,D,...")
            )),
        };
    };
    // Each dimension: its size, or the name of a symbolic one.
    let mut dims: Vec<std::result::Result<usize, String>> = Vec::with_capacity(declared.dim.len());
    for (axis, d) in declared.dim.iter().enumerate() {
        dims.push(match &d.value {
            Some(Dim::DimValue(v)) if *v > 0 => Ok(*v as usize),
            Some(Dim::DimValue(-1)) => Err("dimension -1".to_string()),
            Some(Dim::DimValue(v)) => {
                return Err(format!(
                    "graph input {name:?} has dimension {v} on axis {axis}; zktorch proves \
                     tensors with at least one entry on every axis"
                ))
            }
            Some(Dim::DimParam(p)) if !p.is_empty() => Err(format!("symbolic dimension {p:?}")),
            _ => Err("unknown dimension".to_string()),
        });
    }
    let shown = |dims: &[std::result::Result<usize, String>]| {
        let parts: Vec<String> = dims
            .iter()
            .map(|d| match d {
                Ok(v) => v.to_string(),
                Err(_) => "?".into(),
            })
            .collect();
        format!("[{}]", parts.join(", "))
    };
    if let Some((s, source)) = given {
        let compatible = s.len() == dims.len()
            && dims
                .iter()
                .zip(&s)
                .all(|(d, g)| d.as_ref().map_or(true, |d| d == g));
        if !compatible {
            return Err(format!(
                "the shape given for input {name:?}, {s:?} ({source}), does not fit the model's {}",
                shown(&dims)
            ));
        }
        return Ok(s);
    }
    // Batch 1 for a symbolic leading dimension; any other symbolic dimension needs a shape.
    let example: Vec<String> = dims
        .iter()
        .enumerate()
        .map(|(axis, d)| match d {
            Ok(v) => v.to_string(),
            Err(_) if axis == 0 => "1".into(),
            Err(_) => "N".into(),
        })
        .collect();
    let example = example.join(",");
    let mut shape = Vec::with_capacity(dims.len());
    for (axis, d) in dims.iter().enumerate() {
        match d {
            Ok(v) => shape.push(*v),
            Err(what) if axis == 0 && dims.len() > 1 => {
                assumed.push(format!(
                    "input {name:?}: {what} on axis 0 taken as batch 1 (shape [{example}]); for \
                     another batch size give `--input-shape {name}=...`"
                ));
                shape.push(1);
            }
            Err(what) => {
                return Err(format!(
                    "graph input {name:?} {} has a {what} on axis {axis}; zktorch needs static \
                     shapes: {}",
                    shown(&dims),
                    fix(&example)
                ))
            }
        }
    }
    Ok(shape)
}

/// A `Constant` node's output name and value.
fn constant_node(
    node: &NodeProto,
    name: &str,
    src: &TensorSource,
) -> std::result::Result<(String, ConstTensor), String> {
    use super::graph::TensorData;
    let out = match node.output.as_slice() {
        [o] if !o.is_empty() => o.clone(),
        _ => {
            return Err(format!(
                "Constant node {name:?} must have exactly one output"
            ))
        }
    };
    let [a] = node.attribute.as_slice() else {
        return Err(format!(
            "Constant node {name:?} must have exactly one value attribute, it has {}",
            node.attribute.len()
        ));
    };
    let what = format!("Constant node {name:?}");
    let c = match a.name.as_str() {
        "value" => match &a.t {
            Some(t) => decode(t, &what, src)?,
            None => return Err(format!("{what}: attribute `value` holds no tensor")),
        },
        "value_float" => ConstTensor {
            shape: vec![],
            data: TensorData::F32(vec![a.f]),
        },
        "value_floats" => ConstTensor {
            shape: vec![a.floats.len()],
            data: TensorData::F32(a.floats.clone()),
        },
        "value_int" => ConstTensor {
            shape: vec![],
            data: TensorData::I64(vec![a.i]),
        },
        "value_ints" => ConstTensor {
            shape: vec![a.ints.len()],
            data: TensorData::I64(a.ints.clone()),
        },
        other => {
            return Err(format!(
                "{what}: attribute `{other}` is not supported (string and sparse constants)"
            ))
        }
    };
    Ok((out, c))
}

/// One node attribute. The attribute type is taken from `type`, or for old files that leave it
/// undefined, from the field that is set.
fn attribute(
    a: &AttributeProto,
    what: &str,
    src: &TensorSource,
) -> std::result::Result<Attribute, String> {
    let ty = AttributeType::try_from(a.r#type).unwrap_or(AttributeType::Undefined);
    let ty = if ty == AttributeType::Undefined {
        if a.t.is_some() {
            AttributeType::Tensor
        } else if a.g.is_some() {
            AttributeType::Graph
        } else if !a.floats.is_empty() {
            AttributeType::Floats
        } else if !a.ints.is_empty() {
            AttributeType::Ints
        } else if !a.strings.is_empty() {
            AttributeType::Strings
        } else if !a.s.is_empty() {
            AttributeType::String
        } else if a.f != 0.0 {
            AttributeType::Float
        } else {
            AttributeType::Int
        }
    } else {
        ty
    };
    Ok(match ty {
        AttributeType::Int => Attribute::Int(a.i),
        AttributeType::Float => Attribute::Float(a.f),
        AttributeType::Ints => Attribute::Ints(a.ints.clone()),
        AttributeType::Floats => Attribute::Floats(a.floats.clone()),
        AttributeType::String => Attribute::String(String::from_utf8_lossy(&a.s).into_owned()),
        AttributeType::Strings => Attribute::Strings(
            a.strings
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect(),
        ),
        AttributeType::Tensor => match &a.t {
            Some(t) => Attribute::Tensor(decode(t, what, src)?),
            None => return Err(format!("{what} is a TENSOR attribute without a tensor")),
        },
        other => Attribute::Unsupported {
            kind: other.as_str_name().to_string(),
        },
    })
}

/// Order layers so every layer comes after the producers of its inputs, keeping file order
/// where possible (one pass for a file that is already sorted).
fn topological_order(
    layers: Vec<Layer>,
    inputs: &[ValueInfo],
    constants: &BTreeMap<String, ConstTensor>,
) -> std::result::Result<Vec<Layer>, String> {
    // Every tensor has exactly one producer.
    let mut producer: BTreeMap<&str, &str> = BTreeMap::new();
    for i in inputs {
        producer.insert(&i.name, "the graph inputs");
    }
    for c in constants.keys() {
        if producer.insert(c, "an initializer or Constant").is_some() {
            return Err(format!(
                "tensor {c:?} is both a graph input and an initializer or Constant"
            ));
        }
    }
    for l in &layers {
        for o in l.outputs.iter().filter(|o| !o.is_empty()) {
            if let Some(prev) = producer.insert(o, &l.name) {
                return Err(format!(
                    "tensor {o:?} is written twice: by {prev:?} and by node {:?} ({})",
                    l.name, l.op_type
                ));
            }
        }
    }

    let mut available: BTreeSet<String> = inputs.iter().map(|i| i.name.clone()).collect();
    available.extend(constants.keys().cloned());
    available.insert(String::new());
    let n = layers.len();
    let mut slots: Vec<Option<Layer>> = layers.into_iter().map(Some).collect();
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let before = order.len();
        for slot in slots.iter_mut() {
            let ready = slot
                .as_ref()
                .is_some_and(|l| l.inputs.iter().all(|i| available.contains(i)));
            if ready {
                if let Some(l) = slot.take() {
                    available.extend(l.outputs.iter().cloned());
                    order.push(l);
                }
            }
        }
        if order.len() == before {
            // Stuck: a dangling reference, or else a cycle.
            let stuck: Vec<&Layer> = slots.iter().flatten().collect();
            let produced_by_stuck = |t: &String| stuck.iter().any(|p| p.outputs.contains(t));
            for l in &stuck {
                if let Some(missing) = l
                    .inputs
                    .iter()
                    .find(|i| !available.contains(*i) && !produced_by_stuck(i))
                {
                    return Err(format!(
                        "node {:?} ({}) reads tensor {missing:?}, which no input, initializer or \
                         node provides",
                        l.name, l.op_type
                    ));
                }
            }
            let names: Vec<&str> = stuck.iter().map(|l| l.name.as_str()).collect();
            return Err(format!("the graph has a cycle among nodes {names:?}"));
        }
    }
    Ok(order)
}
