//! The compiler: a [`LayerGraph`] lowered into a block [`Program`] (plain data, no
//! cryptography).
//!
//! Passes, in order:
//!
//! 1. BatchNormalization folded into the preceding Conv/Gemm (`fold`);
//! 2. per layer in topological order: constant folding when every input is a constant (and
//!    `Shape` of static tensors), otherwise lowering into block instances (`lower`, `nn`), with
//!    quantization decided on the way (scales per tensor, weights quantized, a rescale after
//!    every product);
//! 3. a layer that cannot be lowered is recorded as not provable with the reason, and its
//!    outputs become opaque tensors so the rest of the model still compiles (for `inspect`);
//!    the witness refuses such a program.
//!
//! Table ranges and division quotient ranges are left unset; [`crate::quant::calibrate`] sets
//! them.

pub mod advice;
mod builder;
mod einsum;
mod elementwise;
pub mod fold;
pub mod ir;
mod lower;
mod movement;
mod nn;
mod norm;
mod recurrent;
mod select;
mod topk;
pub mod wiring;

pub use advice::AdviceFn;
pub use wiring::WiringSpec;

pub use ir::{
    Block, BlockClass, Instance, LayerInfo, LayerStatus, NamedTensor, Program, TableId, Tensor,
    TensorId, TensorKind,
};

use crate::onnx::LayerGraph;
use crate::quant::QuantConfig;
use crate::Result;
use builder::{Builder, Lower, Value};

/// Compile a loaded model into a block program with the given fixed-point parameters.
pub fn compile(graph: &LayerGraph, cfg: QuantConfig) -> Result<Program> {
    let mut g = graph.clone();
    let fused = fold::fold_batchnorm(&mut g);
    let mut b = Builder::new(&g, cfg);
    for (name, c) in &g.constants {
        b.env.insert(name.clone(), Value::Const(c.clone()));
    }
    for (index, input) in g.inputs.iter().enumerate() {
        // Integer inputs (token ids, indices) are integers: scale 2^0.
        let scale = if g.integer_inputs.contains(&input.name) {
            0
        } else {
            cfg.activation_bits
        };
        let id = b.tensor(
            input.name.clone(),
            input.shape.clone(),
            scale,
            TensorKind::Input { index },
        );
        b.prog.inputs.push(id);
        b.bind(&input.name, id, input.shape.clone());
    }
    for l in &g.layers {
        b.layer = l.name.clone();
        let (start, tensors, tables) = (
            b.prog.instances.len(),
            b.prog.tensors.len(),
            b.prog.tables.len(),
        );
        let status = lower_layer(&mut b, l)?;
        if matches!(status, LayerStatus::NotProvable(_)) {
            // Drop whatever a failed lowering emitted, then make its outputs opaque.
            b.prog.instances.truncate(start);
            b.prog.tensors.truncate(tensors);
            b.prog.tables.truncate(tables);
            for o in l.outputs.iter().filter(|o| !o.is_empty()) {
                if let Some(shape) = g.value_shapes.get(o) {
                    let id = b.tensor(
                        o.clone(),
                        shape.clone(),
                        cfg.activation_bits,
                        TensorKind::Activation,
                    );
                    b.bind(o, id, shape.clone());
                }
            }
        }
        let output = l.outputs.first().cloned().unwrap_or_default();
        let scale_bits = b.prog.names.get(&output).map(|n| b.scale(n.tensor));
        b.prog.layers.push(LayerInfo {
            name: l.name.clone(),
            op: l.op_type.clone(),
            input_shapes: l
                .inputs
                .iter()
                .map(|i| g.shape_of(i).map(<[usize]>::to_vec).unwrap_or_default())
                .collect(),
            output_shape: g
                .shape_of(&output)
                .map(<[usize]>::to_vec)
                .unwrap_or_default(),
            output,
            scale_bits,
            status,
            instances: start..b.prog.instances.len(),
        });
        for f in fused.iter().filter(|f| f.into == l.name) {
            let original = graph.layer(&f.batchnorm);
            b.prog.layers.push(LayerInfo {
                name: f.batchnorm.clone(),
                op: "BatchNormalization".into(),
                input_shapes: vec![f.shape.clone()],
                output: original
                    .and_then(|o| o.outputs.first().cloned())
                    .unwrap_or_default(),
                output_shape: f.shape.clone(),
                scale_bits,
                status: LayerStatus::FusedInto(f.into.clone()),
                instances: b.prog.instances.len()..b.prog.instances.len(),
            });
        }
    }
    for o in &g.outputs {
        b.layer = format!("output {}", o.name);
        let (id, shape) = match b.env.get(&o.name).cloned() {
            Some(Value::Tensor { id, shape }) => (id, shape),
            Some(Value::Const(c)) => {
                let id = b
                    .const_weight("value", &c, &c.shape.clone(), cfg.activation_bits)
                    .map_err(|e| match e {
                        Lower::Fatal(e) => e,
                        Lower::NotProvable(r) => crate::Error::InvalidArgument(r),
                    })?;
                (id, c.shape)
            }
            None => {
                b.prog.layers.push(LayerInfo {
                    name: b.layer.clone(),
                    op: "Output".into(),
                    input_shapes: vec![o.shape.clone()],
                    output: o.name.clone(),
                    output_shape: o.shape.clone(),
                    scale_bits: None,
                    status: LayerStatus::NotProvable(format!(
                        "graph output {:?} is not computed by any lowered layer",
                        o.name
                    )),
                    instances: b.prog.instances.len()..b.prog.instances.len(),
                });
                continue;
            }
        };
        if b.prog.tensors[id].kind == TensorKind::Activation {
            b.prog.tensors[id].kind = TensorKind::Output;
        }
        b.prog.outputs.push((
            o.name.clone(),
            NamedTensor {
                tensor: id,
                shape: shape.clone(),
            },
        ));
        b.prog
            .names
            .insert(o.name.clone(), NamedTensor { tensor: id, shape });
    }
    Ok(b.prog)
}

/// Fold or lower one layer, binding its outputs; the status says which.
fn lower_layer(b: &mut Builder, l: &crate::onnx::Layer) -> Result<LayerStatus> {
    let consts: std::collections::BTreeMap<String, crate::onnx::ConstTensor> = l
        .inputs
        .iter()
        .filter_map(|n| match b.env.get(n) {
            Some(Value::Const(c)) => Some((n.clone(), c.clone())),
            _ => None,
        })
        .collect();
    if let Some(values) = fold::const_eval(b.g, l, &consts) {
        for (o, v) in l.outputs.iter().zip(values) {
            if !o.is_empty() {
                b.env.insert(o.clone(), Value::Const(v));
            }
        }
        return Ok(LayerStatus::ConstantFolded);
    }
    let start = b.prog.instances.len();
    match lower::lower(b, l) {
        Ok(outputs) => {
            let mut alias = b.prog.instances.len() == start;
            for (o, (id, shape)) in l.outputs.iter().zip(outputs) {
                if !o.is_empty() {
                    alias &= b.prog.names.values().any(|n| n.tensor == id);
                    b.bind(o, id, shape);
                }
            }
            Ok(if alias {
                LayerStatus::Alias
            } else {
                LayerStatus::Lowered
            })
        }
        Err(Lower::NotProvable(reason)) => Ok(LayerStatus::NotProvable(reason)),
        Err(Lower::Fatal(e)) => Err(e),
    }
}
