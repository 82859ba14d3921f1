//! Element-wise ops built from the existing blocks (no new protocol): every one is a
//! composition of lookups, linear blocks, Hadamard products and rescales, each proved as
//! usual.
//!
//! - `Max(a, b) = a + Relu(b − a)`, `Min(a, b) = a − Relu(a − b)` (variadic: folded left);
//!   against a scalar constant, one clip table;
//! - `Sum`, `Mean` (variadic adds, then `·1/n`);
//! - `PRelu(x, s) = Relu(x) + s ⊙ (x − Relu(x))` (a scalar slope is one LeakyRelu table);
//! - `Pow(x, p)` for p ∈ {1, 2, 3, ½, −1, −½}: products, the √ table, the reciprocal table;
//! - `Div(a, b)` by an activation: `a ⊙ (1/b)` with the reciprocal table;
//! - `Neg(x) = x·(−1)`;
//! - `Equal(a, b) = IsZero(a − b)` on the quantized values, 0/1 at scale 2^0 (a constant side
//!   is public: its quantized values sit in a Copy's wiring).

use super::builder::{np, Builder, LResult, Value};
use super::ir::{Block, TensorId};
use super::lower::{one, scalar, scale_by, Outputs};
use crate::onnx::Layer;
use crate::quant::TableFn;

/// The layer's input `i` as a tensor broadcast to `out` (a constant is committed as a weight
/// at the activation scale).
fn input_at(b: &mut Builder, l: &Layer, i: usize, out: &[usize]) -> LResult<TensorId> {
    let (x, xs) = b.act_input(l, i)?;
    b.broadcast(x, &xs, out)
}

/// Positions of the inputs that are given (an empty name is an omitted input).
fn present_inputs(l: &Layer) -> Vec<usize> {
    (0..l.inputs.len())
        .filter(|&i| !l.inputs[i].is_empty())
        .collect()
}

/// `x` and `y` at one scale (the larger).
fn aligned(b: &mut Builder, x: TensorId, y: TensorId) -> (TensorId, TensorId, u32) {
    let s = b.scale(x).max(b.scale(y));
    (b.align(x, s), b.align(y, s), s)
}

/// `Max` / `Min` of any number of inputs.
pub(crate) fn max_min(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let out = b.out_shape(l, 0)?;
    let is_max = l.op_type == "Max";
    let present = present_inputs(l);
    let Some(&any) = present.first() else {
        return np("no inputs");
    };
    // Start from a non-constant input, so that scalar constants can be clips.
    let first = present
        .iter()
        .copied()
        .find(|&i| matches!(b.value(&l.inputs[i]), Ok(Value::Tensor { .. })))
        .unwrap_or(any);
    let mut acc = input_at(b, l, first, &out)?;
    for i in present.into_iter().filter(|&i| i != first) {
        if let Some(k) = b.const_input(l, i).and_then(scalar) {
            // max(x, −∞) = x and min(x, +∞) = x (JAX writes the first around softmax).
            acc = bound_by_constant(b, l, acc, k, is_max)?;
            continue;
        }
        let y = input_at(b, l, i, &out)?;
        acc = extreme_of(b, acc, y, &out, is_max);
    }
    one(acc, out)
}

/// `max(x, k)` (or `min`) for a scalar constant: one clip table; x itself when k is −∞ (+∞).
fn bound_by_constant(
    b: &mut Builder,
    l: &Layer,
    x: TensorId,
    k: f32,
    is_max: bool,
) -> LResult<TensorId> {
    if k.is_infinite() && (k < 0.0) == is_max {
        return Ok(x);
    }
    let sx = b.scale(x);
    let q = crate::quant::quantize(f64::from(k), sx, &format!("{} bound", l.name))?;
    let (lo, hi) = if is_max { (q, i64::MAX) } else { (i64::MIN, q) };
    Ok(b.lookup(x, TableFn::Clip { lo, hi }, sx, None, "clip"))
}

/// `max(x, y)` (or `min`) of two tensors of shape `out`: `x + Relu(y − x)`, `x − Relu(x − y)`.
fn extreme_of(b: &mut Builder, x: TensorId, y: TensorId, out: &[usize], is_max: bool) -> TensorId {
    let (x, y, s) = aligned(b, x, y);
    let d = if is_max {
        b.emit(Block::Sub, vec![y, x], out.to_vec(), s, "difference")
    } else {
        b.emit(Block::Sub, vec![x, y], out.to_vec(), s, "difference")
    };
    let r = b.lookup(d, TableFn::Relu, s, None, "excess");
    let block = if is_max { Block::Add } else { Block::Sub };
    b.emit(block, vec![x, r], out.to_vec(), s, "out")
}

/// Whether a Clip has a bound that is an activation (opset ≥ 11 bounds are inputs 1 and 2).
pub(crate) fn clip_has_tensor_bound(b: &Builder, l: &Layer) -> bool {
    b.g.opset() >= 11
        && (1..3).any(|i| {
            l.inputs.get(i).is_some_and(|n| !n.is_empty())
                && matches!(b.value(&l.inputs[i]), Ok(Value::Tensor { .. }))
        })
}

/// Clip with a bound that is an activation (openWakeWord's `max(x, max(x) − 80 dB)`): the
/// lower bound by `max`, the upper by `min`, each the two-tensor composition (a constant
/// bound is one clip table).
pub(crate) fn clip_by_tensors(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let out = b.out_shape(l, 0)?;
    let mut acc = input_at(b, l, 0, &out)?;
    for (i, is_max) in [(1, true), (2, false)] {
        if l.inputs.get(i).is_none_or(|n| n.is_empty()) {
            continue;
        }
        if let Some(k) = b.const_input(l, i).and_then(scalar) {
            acc = bound_by_constant(b, l, acc, k, is_max)?;
            continue;
        }
        let y = input_at(b, l, i, &out)?;
        acc = extreme_of(b, acc, y, &out, is_max);
    }
    one(acc, out)
}

/// `Sum` and `Mean` of any number of inputs.
pub(crate) fn sum_mean(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let out = b.out_shape(l, 0)?;
    let present = present_inputs(l);
    let n = present.len();
    let Some((&head, rest)) = present.split_first() else {
        return np("no inputs");
    };
    let mut acc = input_at(b, l, head, &out)?;
    for &i in rest {
        let y = input_at(b, l, i, &out)?;
        let (x, y, s) = aligned(b, acc, y);
        acc = b.emit(Block::Add, vec![x, y], out.clone(), s, "sum");
    }
    if l.op_type == "Mean" && n > 1 {
        acc = scale_by(b, acc, 1.0 / n as f32)?;
    }
    one(acc, out)
}

/// `PRelu(x, slope)`.
pub(crate) fn prelu(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let out = b.out_shape(l, 0)?;
    let (x, xs) = b.act_input(l, 0)?;
    let x = b.broadcast(x, &xs, &out)?;
    let sx = b.scale(x);
    let Some(slope) = b.const_input(l, 1).cloned() else {
        return np("PRelu with a non-constant slope");
    };
    if let Some(alpha) = scalar(&slope) {
        let y = b.lookup(x, TableFn::LeakyRelu { alpha }, sx, None, "out");
        return one(y, out);
    }
    // Relu(x) + slope ⊙ (x − Relu(x)).
    let r = b.lookup(x, TableFn::Relu, sx, None, "positive");
    let m = b.emit(Block::Sub, vec![x, r], out.clone(), sx, "negative");
    let sw = b.weight_bits_for(&slope.to_f32_vec(), None);
    let w = b.const_weight("slope", &slope, &out, sw)?;
    let p = b.emit(Block::Hadamard, vec![m, w], out.clone(), sx + sw, "product");
    let p = b.rescale_to_activation(p);
    let (r, p, s) = aligned(b, r, p);
    one(b.emit(Block::Add, vec![r, p], out.clone(), s, "out"), out)
}

/// `x ⊙ y` at the activation scale.
fn product(b: &mut Builder, x: TensorId, y: TensorId, out: &[usize]) -> TensorId {
    let s = b.scale(x) + b.scale(y);
    let p = b.emit(Block::Hadamard, vec![x, y], out.to_vec(), s, "product");
    b.rescale_to_activation(p)
}

/// `1/x` at the activation scale (the reciprocal table).
fn reciprocal(b: &mut Builder, x: TensorId) -> TensorId {
    let act = b.act_bits();
    b.lookup(x, TableFn::Reciprocal, act, None, "reciprocal")
}

/// `Pow(x, p)` for a constant exponent p ∈ {1, 2, 3, ½, −1, −½}.
pub(crate) fn pow(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let out = b.out_shape(l, 0)?;
    let Some(p) = b.const_input(l, 1).and_then(scalar) else {
        return np("Pow with a non-constant or non-scalar exponent");
    };
    let (x, xs) = b.act_input(l, 0)?;
    let x = b.broadcast(x, &xs, &out)?;
    let y = match p {
        1.0 => x,
        2.0 => product(b, x, x, &out),
        3.0 => {
            let sq = product(b, x, x, &out);
            product(b, sq, x, &out)
        }
        0.5 => b.sqrt(x),
        -1.0 => reciprocal(b, x),
        -0.5 => {
            let r = b.sqrt(x);
            reciprocal(b, r)
        }
        _ => {
            return np(format!(
                "Pow with exponent {p} (1, 2, 3, 0.5, −1 and −0.5 lower)"
            ))
        }
    };
    one(y, out)
}

/// `Sqrt(x)`: the advice square root ([`Builder::sqrt`]).
pub(crate) fn sqrt(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    one(b.sqrt(x), xs)
}

/// `Div(a, b)` where the divisor is an activation: the advice quotient when b is a square root
/// this program proved (LayerNorm written by hand: `(x − mean) / √(var + ε)`), else
/// `a ⊙ (1/b)` by the reciprocal table.
pub(crate) fn div_by_activation(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let out = b.out_shape(l, 0)?;
    let root = matches!(b.value(&l.inputs[1])?, Value::Tensor { id, .. } if b.roots.contains(id));
    if root && b.const_input(l, 0).is_none() {
        let x = input_at(b, l, 0, &out)?;
        let d = input_at(b, l, 1, &out)?;
        return one(b.divide_by_root(x, d), out);
    }
    let d = input_at(b, l, 1, &out)?;
    let r = reciprocal(b, d);
    if let Some(k) = b.const_input(l, 0).and_then(scalar) {
        return one(scale_by(b, r, k)?, out);
    }
    let x = input_at(b, l, 0, &out)?;
    one(product(b, x, r, &out), out)
}

/// `Neg(x) = −x`, exactly.
pub(crate) fn neg(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    one(scale_by(b, x, -1.0)?, xs)
}

/// `Equal(a, b)`: 1 where the *quantized* values are equal, else 0, at scale 2^0
/// (`IsZero(a − b)`, the table over the calibrated range of the difference). Exact ONNX
/// semantics for integer-valued tensors (integer inputs, Floor/Round/ArgMax outputs, JAX's
/// one-hot against an iota); real-valued activations closer than one step compare equal. A
/// constant side must be exact at the tensor's scale and is public (in a Copy's wiring).
pub(crate) fn equal(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let out = b.out_shape(l, 0)?;
    let tensor_side = (0..2).find(|&i| matches!(b.value(&l.inputs[i]), Ok(Value::Tensor { .. })));
    let Some(t) = tensor_side else {
        return np("Equal of two constants that were not folded");
    };
    let x = input_at(b, l, t, &out)?;
    let diff = match b.const_input(l, 1 - t).cloned() {
        Some(c) => {
            let s = b.scale(x);
            let Some(v) = super::fold::broadcast_f32(&c, &out) else {
                return np(format!(
                    "constant of shape {:?} does not broadcast",
                    c.shape
                ));
            };
            let unit = 2f64.powi(s as i32);
            let mut minus = Vec::with_capacity(v.len());
            for f in v {
                let q = f64::from(f) * unit;
                if !q.is_finite()
                    || q.fract() != 0.0
                    || q.abs() > crate::quant::MAX_QUANTIZED as f64
                {
                    return np(format!(
                        "Equal to the constant {f}, not exact at scale 2^{s} (Equal compares quantized values)"
                    ));
                }
                minus.push(-(q as i64));
            }
            let c = b.public_constants(x, minus, out.clone(), "minus_constant")?;
            b.emit(Block::Add, vec![x, c], out.clone(), s, "difference")
        }
        None => {
            let y = input_at(b, l, 1 - t, &out)?;
            let (x, y, s) = aligned(b, x, y);
            b.emit(Block::Sub, vec![x, y], out.clone(), s, "difference")
        }
    };
    one(b.lookup(diff, TableFn::IsZero, 0, None, "equal"), out)
}
