//! Accuracy of the quantized execution against tract's float run, layer by layer.

use crate::compile::{LayerStatus, Program};
use crate::onnx::FloatValues;
use crate::witness::Witness;

/// The error of one layer's output.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerAccuracy {
    /// Node name.
    pub layer: String,
    /// ONNX op type.
    pub op: String,
    /// The ONNX tensor compared.
    pub tensor: String,
    /// `max |dequantized − float|` over the tensor.
    pub max_abs_error: f64,
    /// `max |float|` over the tensor (for scale).
    pub max_abs_float: f64,
}

/// `max |a − b|` (infinite when the lengths differ) over the entries where the float value b
/// is not ±∞ (attention masks hold −∞; the quantized program holds a stand-in there).
pub fn max_abs_error(a: &[f64], b: &[f32]) -> f64 {
    if a.len() != b.len() {
        return f64::INFINITY;
    }
    a.iter()
        .zip(b)
        .filter(|(_, y)| !y.is_infinite())
        .map(|(x, y)| (x - f64::from(*y)).abs())
        .fold(0.0, f64::max)
}

/// Per-layer max abs error of every layer output that is a program tensor and that tract
/// reported, in layer order (folded and fused layers are covered by the layer that absorbed
/// them).
pub fn accuracy_report(
    program: &Program,
    witness: &Witness,
    float: &FloatValues,
) -> Vec<LayerAccuracy> {
    program
        .layers
        .iter()
        .filter(|l| matches!(l.status, LayerStatus::Lowered | LayerStatus::Alias))
        .filter_map(|l| {
            let named = program.named(&l.output)?;
            let (_, reference) = float.get(&l.output)?;
            let q = witness.dequantized(program, named.tensor);
            Some(LayerAccuracy {
                layer: l.name.clone(),
                op: l.op.clone(),
                tensor: l.output.clone(),
                max_abs_error: max_abs_error(&q, reference),
                max_abs_float: reference
                    .iter()
                    .filter(|v| !v.is_infinite())
                    .map(|v| f64::from(v.abs()))
                    .fold(0.0, f64::max),
            })
        })
        .collect()
}
