//! Transformer non-linearities as compositions of existing blocks: LayerNormalization and Gelu.
//! No new protocol: every step is a block the model prover already has, and every table is
//! recomputed by the verifier from the architecture.

use super::advice::AdviceFn;
use super::builder::{np, Builder, LResult, Value, ROOT_EXTRA_BITS};
use super::ir::{Block, TensorId};
use super::lower::{axis, one, scale_by, tensor_op_const, tensor_op_tensor, Outputs};
use crate::onnx::Layer;
use crate::quant::{self, TableFn};

/// LayerNormalization over the axes from `axis` on (ONNX; default −1), scale γ and bias β:
///
/// - `mean = ⌊(Σ x + len/2) / len⌋`, `c = x − mean` (SumGroups, DivConst, Sub);
/// - `var = ⌊(Σ rescale(c²) + len/2) / len⌋` (Hadamard at scale 2s rescaled to s,
///   SumGroups, DivConst: every divisor at most 2^s or len, so no remainder table is large);
/// - `ss = Σ c²` exactly (Hadamard at scale 2s, SumGroups), `W = ss·2^2e + E` with
///   `E = ⌊len·ε·2^(2s+2e) + ½⌋` (at least 1 when ε > 0, so σ ≥ 1);
/// - `σ = ⌊√(W/len)⌋ = ⌊√(var + ε)·2^(s+e)⌋` exactly, at scale s + e (e =
///   [`ROOT_EXTRA_BITS`]): an advice value with its checks (PROTOCOLS §4.16), the variance's
///   division by len folded into the root, so nothing is rounded before it;
/// - `y = round(c·2^(a+e) / σ)`, the advice quotient with its checks (no table: range checks in
///   limbs), then `y ∘ γ + β` as Mul and Add by constants.
pub(crate) fn layer_norm(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    // InstanceNormalization: over the spatial axes of [N, C, ...], with γ, β per channel.
    let instance = l.op_type == "InstanceNormalization";
    if instance && xs.len() < 3 {
        return np("InstanceNormalization of a tensor of rank below 3");
    }
    let ax = match instance {
        true => 2,
        false => axis(l.int("axis").unwrap_or(-1), xs.len())?,
    };
    // γ and β of an instance norm are [C]: seen as [C, 1, ...] to broadcast over the spatial
    // axes; a layer norm's broadcast as numpy does.
    let affine = |shape: Vec<usize>| match instance {
        true => std::iter::once(shape.iter().product())
            .chain(std::iter::repeat_n(1, xs.len() - 2))
            .collect(),
        false => shape,
    };
    let eps = l.float("epsilon").unwrap_or(1e-5);
    if !eps.is_finite() || eps < 0.0 {
        return np(format!("LayerNormalization with epsilon {eps}"));
    }
    let len: usize = xs[ax..].iter().product();
    let groups: usize = xs[..ax].iter().product();
    if len == 0 || groups == 0 {
        return np("LayerNormalization of an empty tensor");
    }
    let s = b.scale(x);
    let x = b.align(x, b.act_bits().max(s));
    let s = b.scale(x);
    let flat = [groups, len];
    let sum = b.emit(Block::SumGroups { len }, vec![x], vec![groups, 1], s, "sum");
    let mean = b.div_const(sum, len as i64, len as i64 / 2, "mean");
    let mean_b = b.broadcast(mean, &[groups, 1], &flat)?;
    let c = b.emit(Block::Sub, vec![x, mean_b], flat.to_vec(), s, "centered");
    let e = ROOT_EXTRA_BITS;
    let sq = b.emit(Block::Hadamard, vec![c, c], flat.to_vec(), 2 * s, "square");
    let ss = b.emit(
        Block::SumGroups { len },
        vec![sq],
        vec![groups, 1],
        2 * s,
        "sum_sq",
    );
    let w = b.emit(
        Block::ScaleConst {
            k: quant::pow2(2 * e),
        },
        vec![ss],
        vec![groups, 1],
        2 * (s + e),
        "radicand",
    );
    // len·ε at scale 2^(2s+2e), at least one unit when ε > 0 (so σ ≥ 1: the quotient exists).
    let eps_len = f64::from(eps) * len as f64;
    let eps_q = quant::quantize(eps_len, 2 * (s + e), &format!("{} epsilon", l.name))?;
    let eps_q = if eps > 0.0 { eps_q.max(1) } else { eps_q };
    let w = match eps_q {
        0 => w,
        // ε is an attribute of the architecture: a public constant, not a weight (audit).
        q => b.add_public_constant(w, q, "epsilon")?,
    };
    let divisor = len as i64;
    let sigma = b.advice(AdviceFn::FloorSqrt { divisor }, vec![w], s + e, "std");
    b.roots.insert(sigma);
    let sigma_b = b.broadcast(sigma, &[groups, 1], &flat)?;
    let mut y = b.divide_by_root(c, sigma_b);
    b.prog.tensors[y].shape = out.clone();
    for (i, op) in [(1, "Mul"), (2, "Add")] {
        if l.inputs.get(i).is_none_or(|n| n.is_empty()) {
            continue;
        }
        y = match b.value(&l.inputs[i])?.clone() {
            Value::Const(c) => {
                let c = crate::onnx::ConstTensor {
                    shape: affine(c.shape.clone()),
                    data: c.data,
                };
                single(tensor_op_const(b, op, y, &c, &out, false)?)
            }
            // A scale or bias computed by the graph (or a graph input): the same ops on two
            // activations.
            Value::Tensor { id, shape } => {
                tensor_op_tensor(b, op, (y, &out), (id, &affine(shape)), &out)?
            }
        };
    }
    let mut outs = vec![(y, out)];
    // The optional Mean and InvStdDev outputs (training-mode statistics; ONNX keeps the
    // reduced axes as 1s): the mean as computed, 1/σ brought to the activation scale.
    if l.outputs.len() > 1 {
        let shape = match l.outputs[1].is_empty() {
            true => vec![groups, 1],
            false => b.out_shape(l, 1)?,
        };
        outs.push((mean, shape));
    }
    if l.outputs.get(2).is_some_and(|o| !o.is_empty()) {
        let a = b.act_bits();
        let inv = b.lookup(sigma, TableFn::Reciprocal, a, None, "inv_std");
        outs.push((inv, b.out_shape(l, 2)?));
    }
    Ok(outs)
}

fn single(o: Outputs) -> TensorId {
    o[0].0
}

/// Gelu (opset 20; the dynamo exporter writes it): `x·(1 + φ)/2` with φ = `erf(x/√2)` (a scale
/// by 1/√2 and the Erf table) or, for `approximate = "tanh"`, φ = `tanh(√(2/π)·(x + 0.044715·x³))`
/// (two Hadamard products for x³, scales, an add and the Tanh table); then an added constant 1,
/// a Hadamard product with x and one division by 2^(s+1) (rounding half up) back to x's scale s.
pub(crate) fn gelu(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let s = b.scale(x);
    let phi = match l.string("approximate").unwrap_or("none") {
        "none" => {
            let t = scale_by(b, x, std::f32::consts::FRAC_1_SQRT_2)?;
            b.lookup(t, TableFn::Erf, b.scale(t), None, "erf")
        }
        "tanh" => {
            let x2 = b.emit(Block::Hadamard, vec![x, x], xs.clone(), 2 * s, "square");
            let x2 = b.rescale(x2, s);
            let x3 = b.emit(Block::Hadamard, vec![x2, x], xs.clone(), 2 * s, "cube");
            let x3 = b.rescale(x3, s);
            let k = scale_by(b, x3, 0.044715)?;
            let sa = b.scale(k).max(s);
            let (xa, ka) = (b.align(x, sa), b.align(k, sa));
            let inner = b.emit(Block::Add, vec![xa, ka], xs.clone(), sa, "inner");
            let t = scale_by(b, inner, 0.797_884_6)?;
            b.lookup(t, TableFn::Tanh, b.scale(t), None, "tanh")
        }
        other => return np(format!("Gelu with approximate = {other:?}")),
    };
    // The 1 of `1 + φ` is the op's, not a weight: a public constant.
    let unit = quant::pow2(b.scale(phi));
    let e1 = b.add_public_constant(phi, unit, "one")?;
    let s1 = b.scale(e1);
    let p = b.emit(Block::Hadamard, vec![x, e1], xs.clone(), s + s1, "product");
    let half = quant::pow2(s1 + 1);
    let y = b.div_const(p, half, half / 2, "gelu");
    b.prog.tensors[y].scale_bits = s;
    one(y, xs)
}
