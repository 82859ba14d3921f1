//! Compile-time graph passes on constants: constant folding (nodes whose inputs are all
//! constants, and `Shape` of statically shaped tensors, as torch's exporter writes for reshape
//! targets) and folding BatchNormalization into the preceding Conv or Gemm.

use std::collections::BTreeMap;

use super::wiring;
use crate::blocks::copy::Source;
use crate::onnx::{Attribute, ConstTensor, Layer, LayerGraph, TensorData};

/// Numpy-broadcast shape of two shapes, or `None` if incompatible.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let get = |s: &[usize], i: usize| {
        if i + s.len() >= n {
            s[i + s.len() - n]
        } else {
            1
        }
    };
    (0..n)
        .map(|i| match (get(a, i), get(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// The integer values of a constant broadcast to `to`, exactly (`None` if it is not an integer
/// constant, the shapes are incompatible, or `to` has more than
/// `wiring::MAX_ENTRIES` entries).
pub fn broadcast_i64(c: &ConstTensor, to: &[usize]) -> Option<Vec<i64>> {
    within_cap(to)?;
    let v = c.as_i64()?;
    let w = wiring::broadcast(&c.shape, to)?;
    w.output
        .iter()
        .map(|s| match *s {
            Source::Input { index, .. } => v.get(index).copied(),
            Source::Const(k) => Some(k),
        })
        .collect()
}

/// `Some(())` when a shape's entry count is at most `wiring::MAX_ENTRIES` (a fold
/// never builds a larger constant).
fn within_cap(shape: &[usize]) -> Option<()> {
    let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
    (n <= wiring::MAX_ENTRIES).then_some(())
}

/// The values of a constant broadcast to `to` (as f32), or `None` if incompatible.
pub fn broadcast_f32(c: &ConstTensor, to: &[usize]) -> Option<Vec<f32>> {
    within_cap(to)?;
    let w = wiring::broadcast(&c.shape, to)?;
    let v = c.to_f32_vec();
    Some(
        w.output
            .iter()
            .map(|s| match *s {
                Source::Input { index, .. } => v[index],
                Source::Const(k) => k as f32,
            })
            .collect(),
    )
}

fn i64_data(c: &ConstTensor) -> Vec<i64> {
    match &c.data {
        TensorData::I64(v) => v.clone(),
        TensorData::F32(v) => v.iter().map(|&x| x as i64).collect(),
    }
}

/// The indices ONNX Slice takes along an axis of size `d` (negative start/end count from the
/// end; both clamped; a negative step walks backwards). `None` for a zero step.
fn slice_indices(d: usize, start: i64, end: i64, step: i64) -> Option<Vec<usize>> {
    if step == 0 {
        return None;
    }
    if d == 0 {
        return Some(Vec::new());
    }
    let d = d as i128;
    let fix = |v: i64| {
        let v = i128::from(v);
        if v < 0 {
            v + d
        } else {
            v
        }
    };
    let (s, e) = (fix(start), fix(end));
    let (s, e) = if step > 0 {
        (s.clamp(0, d), e.clamp(0, d))
    } else {
        (s.clamp(0, d - 1), e.clamp(-1, d - 1))
    };
    let mut out = Vec::new();
    let mut i = s;
    while (step > 0 && i < e) || (step < 0 && i > e) {
        out.push(i as usize);
        i += i128::from(step);
    }
    Some(out)
}

/// The input indices ONNX Slice keeps along every axis of a tensor of `shape`, from its
/// starts, ends, axes and steps (inputs since opset 10, attributes before); `consts[i]` is
/// input i when it is a constant. `None` when a parameter is not constant or not valid.
pub(crate) fn slice_params(
    g: &LayerGraph,
    l: &Layer,
    shape: &[usize],
    consts: &[Option<&ConstTensor>],
) -> Option<Vec<Vec<usize>>> {
    let r = shape.len();
    let list = |i: usize, attr: &str| -> Option<Vec<i64>> {
        match consts.get(i).copied().flatten() {
            Some(c) => Some(i64_data(c)),
            None if g.opset() < 10 => l.ints(attr).map(<[i64]>::to_vec),
            None => None,
        }
    };
    let starts = list(1, "starts")?;
    let ends = list(2, "ends")?;
    let axes = list(3, "axes").unwrap_or_else(|| (0..starts.len() as i64).collect());
    let steps = list(4, "steps").unwrap_or_else(|| vec![1; starts.len()]);
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        return None;
    }
    let mut picks: Vec<Vec<usize>> = shape.iter().map(|&d| (0..d).collect()).collect();
    let mut seen = vec![false; r];
    for (((&st, &en), &ax), &step) in starts.iter().zip(&ends).zip(&axes).zip(&steps) {
        let ax = usize::try_from(if ax < 0 { ax + r as i64 } else { ax }).ok()?;
        if std::mem::replace(seen.get_mut(ax)?, true) {
            return None; // an axis named twice (onnxruntime refuses it too)
        }
        let d = *shape.get(ax)?;
        picks[ax] = slice_indices(d, st, en, step)?;
    }
    Some(picks)
}

/// f32 values back into the element type of the inputs they came from.
fn typed(data: Vec<f32>, ints: bool) -> TensorData {
    if ints {
        TensorData::I64(data.into_iter().map(|x| x as i64).collect())
    } else {
        TensorData::F32(data)
    }
}

/// Evaluate layer `l` on constant inputs. `None` when the op is not one the folder knows (or
/// the inputs are not all constant); otherwise the outputs' values.
pub fn const_eval(
    g: &LayerGraph,
    l: &Layer,
    consts: &BTreeMap<String, ConstTensor>,
) -> Option<Vec<ConstTensor>> {
    let out_shape = || g.value_shapes.get(l.outputs.first()?).cloned();
    // Shape needs only the static shape of its input.
    if l.op_type == "Shape" || l.op_type == "Size" {
        let shape = consts
            .get(&l.inputs[0])
            .map(|c| c.shape.clone())
            .or_else(|| g.shape_of(&l.inputs[0]).map(<[usize]>::to_vec))?;
        if l.op_type == "Size" {
            let n = shape.iter().product::<usize>() as i64;
            return Some(vec![ConstTensor {
                shape: vec![],
                data: TensorData::I64(vec![n]),
            }]);
        }
        let r = shape.len() as i64;
        let clampi = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
        let start = clampi(l.int("start").unwrap_or(0));
        let end = clampi(l.int("end").unwrap_or(r));
        let dims: Vec<i64> = shape[start..end.max(start)]
            .iter()
            .map(|&d| d as i64)
            .collect();
        return Some(vec![ConstTensor {
            shape: vec![dims.len()],
            data: TensorData::I64(dims),
        }]);
    }
    let ins: Vec<Option<&ConstTensor>> = l
        .inputs
        .iter()
        .map(|n| if n.is_empty() { None } else { consts.get(n) })
        .collect();
    let present = l.inputs.iter().filter(|n| !n.is_empty()).count();
    if ins.iter().flatten().count() != present || present == 0 {
        return None;
    }
    let x = ins[0]?;
    let one = |c: ConstTensor| Some(vec![c]);
    match l.op_type.as_str() {
        "Identity" | "Dropout" => one(x.clone()),
        "Unsqueeze" | "Squeeze" | "Reshape" | "Flatten" => one(ConstTensor {
            shape: out_shape()?,
            data: x.data.clone(),
        }),
        "Cast" => {
            let to = l.int("to")?;
            let data = match to {
                1 | 10 | 11 => TensorData::F32(x.to_f32_vec()),
                9 => TensorData::I64(
                    x.to_f32_vec()
                        .iter()
                        .map(|&v| i64::from(v != 0.0))
                        .collect(),
                ),
                2..=7 | 12 | 13 => TensorData::I64(i64_data(x)),
                _ => return None,
            };
            one(ConstTensor {
                shape: x.shape.clone(),
                data,
            })
        }
        "ConstantOfShape" => {
            let shape: Vec<usize> = i64_data(x).iter().map(|&d| d.max(0) as usize).collect();
            within_cap(&shape)?;
            let n: usize = shape.iter().product();
            let data = match l.attributes.get("value") {
                Some(Attribute::Tensor(t)) => match &t.data {
                    TensorData::I64(v) => TensorData::I64(vec![*v.first()?; n]),
                    TensorData::F32(v) => TensorData::F32(vec![*v.first()?; n]),
                },
                _ => TensorData::F32(vec![0.0; n]),
            };
            one(ConstTensor { shape, data })
        }
        "Gather" => {
            let idx = ins.get(1).copied().flatten()?;
            let r = x.shape.len() as i64;
            let axis = l.int("axis").unwrap_or(0);
            let axis = usize::try_from(if axis < 0 { axis + r } else { axis }).ok()?;
            let dim = *x.shape.get(axis)? as i64;
            let outer: usize = x.shape[..axis].iter().product();
            let inner: usize = x.shape[axis + 1..].iter().product();
            let values = x.to_f32_vec();
            let mut data = Vec::new();
            let indices = i64_data(idx);
            for o in 0..outer {
                for &i in &indices {
                    let i = if i < 0 { i + dim } else { i };
                    if i < 0 || i >= dim {
                        return None;
                    }
                    let base = (o * dim as usize + i as usize) * inner;
                    data.extend_from_slice(&values[base..base + inner]);
                }
            }
            let mut shape = x.shape[..axis].to_vec();
            shape.extend_from_slice(&idx.shape);
            shape.extend_from_slice(&x.shape[axis + 1..]);
            one(ConstTensor {
                shape,
                data: typed(data, x.as_i64().is_some()),
            })
        }
        "Slice" => {
            let r = x.shape.len();
            // A zero-size constant may declare huge dimensions: not folded.
            if x.is_empty() {
                return None;
            }
            let picks = slice_params(g, l, &x.shape, &ins)?;
            let shape: Vec<usize> = picks.iter().map(Vec::len).collect();
            let mut strides = vec![1usize; r];
            for k in (0..r.saturating_sub(1)).rev() {
                strides[k] = strides[k + 1] * x.shape[k + 1];
            }
            let total: usize = shape.iter().product();
            // Source positions, row-major over the output: each output multi-index mapped
            // through the picks. Elements are copied as they are (integers stay exact).
            let positions = (0..total).map(|n| {
                let (mut rest, mut flat) = (n, 0usize);
                for k in (0..r).rev() {
                    flat += picks[k][rest % shape[k]] * strides[k];
                    rest /= shape[k];
                }
                flat
            });
            let data = match &x.data {
                TensorData::I64(v) => TensorData::I64(
                    positions
                        .map(|p| v.get(p).copied())
                        .collect::<Option<_>>()?,
                ),
                TensorData::F32(v) => TensorData::F32(
                    positions
                        .map(|p| v.get(p).copied())
                        .collect::<Option<_>>()?,
                ),
            };
            one(ConstTensor { shape, data })
        }
        "Concat" => {
            let parts: Vec<&ConstTensor> = ins.iter().flatten().copied().collect();
            let r = x.shape.len() as i64;
            let axis = l.int("axis")?;
            let axis = usize::try_from(if axis < 0 { axis + r } else { axis }).ok()?;
            let shapes: Vec<Vec<usize>> = parts.iter().map(|p| p.shape.clone()).collect();
            if shapes.iter().any(|s| s.len() != x.shape.len()) {
                return None;
            }
            let w = wiring::concat(&shapes, axis);
            let vals: Vec<Vec<f32>> = parts.iter().map(|p| p.to_f32_vec()).collect();
            let data: Vec<f32> = w
                .output
                .iter()
                .map(|s| match *s {
                    Source::Input { input, index } => vals[input][index],
                    Source::Const(k) => k as f32,
                })
                .collect();
            let mut shape = x.shape.clone();
            shape[axis] = shapes.iter().map(|s| s[axis]).sum();
            let ints = parts.iter().all(|p| p.as_i64().is_some());
            one(ConstTensor {
                shape,
                data: typed(data, ints),
            })
        }
        "Transpose" => {
            let r = x.shape.len();
            let perm: Vec<usize> = match l.ints("perm") {
                Some(p) => p.iter().map(|&v| v as usize).collect(),
                None => (0..r).rev().collect(),
            };
            if perm.len() != r || perm.iter().any(|&p| p >= r) {
                return None;
            }
            let w = wiring::transpose(&x.shape, &perm);
            let v = x.to_f32_vec();
            let data = w
                .output
                .iter()
                .map(|s| match *s {
                    Source::Input { index, .. } => v[index],
                    Source::Const(k) => k as f32,
                })
                .collect();
            one(ConstTensor {
                shape: perm.iter().map(|&p| x.shape[p]).collect(),
                data: typed(data, x.as_i64().is_some()),
            })
        }
        "Add" | "Sub" | "Mul" | "Div" | "Mod" => {
            let y = ins.get(1).copied().flatten()?;
            let shape = broadcast_shape(&x.shape, &y.shape)?;
            let a = broadcast_f32(x, &shape)?;
            let b = broadcast_f32(y, &shape)?;
            let ints = x.as_i64().is_some() && y.as_i64().is_some();
            if ints {
                // Exactly, not through f32 (shape arithmetic can pass 2^24).
                let a = broadcast_i64(x, &shape)?.into_iter();
                let b = broadcast_i64(y, &shape)?;
                let data: Option<Vec<i64>> = a
                    .zip(b)
                    .map(|(p, q)| match l.op_type.as_str() {
                        "Add" => p.checked_add(q),
                        "Sub" => p.checked_sub(q),
                        "Mul" => p.checked_mul(q),
                        // Mod: the divisor's sign (numpy), or the dividend's with fmod = 1.
                        "Mod" if l.int("fmod").unwrap_or(0) != 0 => p.checked_rem(q),
                        "Mod" => p.checked_rem(q).map(|r| {
                            if r != 0 && (r < 0) != (q < 0) {
                                r + q
                            } else {
                                r
                            }
                        }),
                        _ => p.checked_div(q),
                    })
                    .collect();
                return one(ConstTensor {
                    shape,
                    data: TensorData::I64(data?),
                });
            }
            let data = a
                .iter()
                .zip(&b)
                .map(|(&p, &q)| match l.op_type.as_str() {
                    "Add" => p + q,
                    "Sub" => p - q,
                    "Mul" => p * q,
                    "Mod" if l.int("fmod").unwrap_or(0) != 0 => p % q,
                    "Mod" => p - q * (p / q).floor(),
                    _ => p / q,
                })
                .collect();
            one(ConstTensor {
                shape,
                data: TensorData::F32(data),
            })
        }
        "Expand" => {
            let target = ins.get(1).copied().flatten()?.as_i64()?;
            let dims: Vec<usize> = target
                .iter()
                .map(|&d| usize::try_from(d).ok())
                .collect::<Option<_>>()?;
            let shape = broadcast_shape(&x.shape, &dims)?;
            within_cap(&shape)?;
            let w = wiring::broadcast(&x.shape, &shape)?;
            let pick = |n: usize| match w.output.get(n)? {
                Source::Input { index, .. } => Some(*index),
                Source::Const(_) => None,
            };
            let data = match &x.data {
                TensorData::I64(v) => TensorData::I64(
                    (0..w.output.len())
                        .map(|n| pick(n).map(|i| v[i]))
                        .collect::<Option<_>>()?,
                ),
                TensorData::F32(v) => TensorData::F32(
                    (0..w.output.len())
                        .map(|n| pick(n).map(|i| v[i]))
                        .collect::<Option<_>>()?,
                ),
            };
            one(ConstTensor { shape, data })
        }
        "Where" => {
            let (a, c) = (
                ins.get(1).copied().flatten()?,
                ins.get(2).copied().flatten()?,
            );
            let shape = broadcast_shape(&broadcast_shape(&x.shape, &a.shape)?, &c.shape)?;
            let cond = broadcast_f32(x, &shape)?;
            let data = match (a.as_i64(), c.as_i64()) {
                (Some(_), Some(_)) => {
                    let (p, q) = (broadcast_i64(a, &shape)?, broadcast_i64(c, &shape)?);
                    TensorData::I64(
                        cond.iter()
                            .zip(p.iter().zip(&q))
                            .map(|(&k, (&p, &q))| if k != 0.0 { p } else { q })
                            .collect(),
                    )
                }
                _ => {
                    let (p, q) = (broadcast_f32(a, &shape)?, broadcast_f32(c, &shape)?);
                    TensorData::F32(
                        cond.iter()
                            .zip(p.iter().zip(&q))
                            .map(|(&k, (&p, &q))| if k != 0.0 { p } else { q })
                            .collect(),
                    )
                }
            };
            one(ConstTensor { shape, data })
        }
        // The product of every entry (torch's `x.std` counts elements this way).
        "ReduceProd" => {
            let r = x.shape.len() as i64;
            let covers = |a: &[i64]| {
                let set: std::collections::BTreeSet<i64> =
                    a.iter().map(|&k| if k < 0 { k + r } else { k }).collect();
                set.len() as i64 == r && set.iter().all(|&k| (0..r).contains(&k))
            };
            let every = match (l.ints("axes"), ins.get(1).copied().flatten()) {
                (None, None) => true,
                (Some(a), _) => covers(a),
                (None, Some(a)) => a.as_i64().is_some_and(covers),
            };
            if !every {
                return None;
            }
            let shape = out_shape()?;
            let data = match x.as_i64() {
                Some(v) => {
                    TensorData::I64(vec![v.iter().try_fold(1i64, |p, &q| p.checked_mul(q))?])
                }
                None => TensorData::F32(vec![x.to_f32_vec().iter().product()]),
            };
            one(ConstTensor { shape, data })
        }
        // Trilu of a constant (a causal mask): entries with j − i ≥ k kept (upper) or ≤ k
        // (lower), the rest 0, over the last two axes.
        "Trilu" => {
            let k = match ins.get(1).copied().flatten() {
                Some(c) => *c.as_i64()?.first()?,
                None => 0,
            };
            let upper = l.int("upper").unwrap_or(1) != 0;
            let [.., rows, cols] = x.shape.as_slice() else {
                return None;
            };
            let (rows, cols) = (*rows, *cols);
            let keep = |n: usize| {
                let (i, j) = ((n / cols) % rows.max(1), n % cols);
                let d = j as i64 - i as i64;
                if upper {
                    d >= k
                } else {
                    d <= k
                }
            };
            let data = match &x.data {
                TensorData::I64(v) => TensorData::I64(
                    v.iter()
                        .enumerate()
                        .map(|(n, &q)| if keep(n) { q } else { 0 })
                        .collect(),
                ),
                TensorData::F32(v) => TensorData::F32(
                    v.iter()
                        .enumerate()
                        .map(|(n, &q)| if keep(n) { q } else { 0.0 })
                        .collect(),
                ),
            };
            one(ConstTensor {
                shape: x.shape.clone(),
                data,
            })
        }
        "Equal" => {
            let y = ins.get(1).copied().flatten()?;
            let shape = broadcast_shape(&x.shape, &y.shape)?;
            let data = match (x.as_i64(), y.as_i64()) {
                (Some(_), Some(_)) => {
                    let (a, b) = (broadcast_i64(x, &shape)?, broadcast_i64(y, &shape)?);
                    a.iter().zip(&b).map(|(p, q)| i64::from(p == q)).collect()
                }
                _ => {
                    let (a, b) = (broadcast_f32(x, &shape)?, broadcast_f32(y, &shape)?);
                    a.iter().zip(&b).map(|(p, q)| i64::from(p == q)).collect()
                }
            };
            one(ConstTensor {
                shape,
                data: TensorData::I64(data),
            })
        }
        "Neg" | "Sqrt" | "Reciprocal" | "Relu" => {
            let f = |v: f32| match l.op_type.as_str() {
                "Neg" => -v,
                "Sqrt" => v.sqrt(),
                "Reciprocal" => 1.0 / v,
                _ => v.max(0.0),
            };
            let data = match &x.data {
                TensorData::I64(v) if l.op_type == "Neg" => {
                    TensorData::I64(v.iter().map(|&q| -q).collect())
                }
                TensorData::I64(v) if l.op_type == "Relu" => {
                    TensorData::I64(v.iter().map(|&q| q.max(0)).collect())
                }
                _ => TensorData::F32(x.to_f32_vec().into_iter().map(f).collect()),
            };
            one(ConstTensor {
                shape: x.shape.clone(),
                data,
            })
        }
        _ => None,
    }
}

/// A BatchNormalization folded into the layer before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FusedBatchNorm {
    /// The BatchNormalization node.
    pub batchnorm: String,
    /// The Conv or Gemm node it was folded into.
    pub into: String,
    /// The BatchNormalization's input shape.
    pub shape: Vec<usize>,
}

/// Per-channel `(a, b)` of a BatchNormalization in inference mode: `y = a·x + b` with
/// `a = γ/√(σ² + ε)`, `b = β − μ·a`.
pub fn batchnorm_affine(
    l: &Layer,
    consts: &BTreeMap<String, ConstTensor>,
) -> Option<(Vec<f32>, Vec<f32>)> {
    let get = |i: usize| consts.get(l.inputs.get(i)?).map(ConstTensor::to_f32_vec);
    let (gamma, beta, mean, var) = (get(1)?, get(2)?, get(3)?, get(4)?);
    let c = gamma.len();
    if [beta.len(), mean.len(), var.len()].iter().any(|&n| n != c) {
        return None;
    }
    let eps = l.float("epsilon").unwrap_or(1e-5);
    let a: Vec<f32> = (0..c).map(|i| gamma[i] / (var[i] + eps).sqrt()).collect();
    let b = (0..c).map(|i| beta[i] - mean[i] * a[i]).collect();
    Some((a, b))
}

/// Fold every BatchNormalization whose input is written by a Conv or Gemm with constant
/// weights, read by nothing else and not a graph output: the weights are scaled per output
/// channel, the bias becomes `a·(b − μ) + β`, and the Conv/Gemm takes over the BatchNorm's
/// output name. Returns the folds made.
pub fn fold_batchnorm(g: &mut LayerGraph) -> Vec<FusedBatchNorm> {
    let mut fused = Vec::new();
    let mut ix = 0;
    while ix < g.layers.len() {
        let bn = g.layers[ix].clone();
        ix += 1;
        if bn.op_type != "BatchNormalization" || bn.outputs.iter().skip(1).any(|o| !o.is_empty()) {
            continue;
        }
        let x = &bn.inputs[0];
        let readers = g
            .layers
            .iter()
            .filter(|l| l.inputs.iter().any(|i| i == x))
            .count();
        if readers != 1 || g.outputs.iter().any(|o| &o.name == x) {
            continue;
        }
        let Some(pi) = g.layers.iter().position(|l| l.outputs.first() == Some(x)) else {
            continue;
        };
        let Some((a, b)) = batchnorm_affine(&bn, &g.constants) else {
            continue;
        };
        let prev = g.layers[pi].clone();
        let folded = match prev.op_type.as_str() {
            "Conv" => fold_into_conv(&prev, &a, &b, &g.constants),
            "Gemm" => fold_into_gemm(&prev, &a, &b, &g.constants),
            _ => None,
        };
        let Some((w, bias)) = folded else { continue };
        let wname = format!("{}.fused_weight", bn.name);
        let bname = format!("{}.fused_bias", bn.name);
        g.constants.insert(wname.clone(), w);
        g.constants.insert(bname.clone(), bias);
        let p = &mut g.layers[pi];
        p.inputs.resize(3, String::new());
        p.inputs[1] = wname;
        p.inputs[2] = bname;
        p.outputs = vec![bn.outputs[0].clone()];
        if p.op_type == "Gemm" {
            p.attributes.insert("beta".into(), Attribute::Float(1.0));
        }
        fused.push(FusedBatchNorm {
            batchnorm: bn.name.clone(),
            into: prev.name.clone(),
            shape: g.shape_of(x).map(<[usize]>::to_vec).unwrap_or_default(),
        });
        ix -= 1;
        g.layers.remove(ix);
    }
    fused
}

fn fold_into_conv(
    conv: &Layer,
    a: &[f32],
    b: &[f32],
    consts: &BTreeMap<String, ConstTensor>,
) -> Option<(ConstTensor, ConstTensor)> {
    let w = consts.get(conv.inputs.get(1)?)?;
    let oc = *w.shape.first()?;
    if oc != a.len() {
        return None;
    }
    let per = w.len() / oc.max(1);
    let mut wv = w.to_f32_vec();
    for (i, v) in wv.iter_mut().enumerate() {
        *v *= a[i / per];
    }
    let old_bias = match conv.inputs.get(2).filter(|n| !n.is_empty()) {
        Some(n) => consts.get(n)?.to_f32_vec(),
        None => vec![0.0; oc],
    };
    if old_bias.len() != oc {
        return None;
    }
    let bias = (0..oc).map(|c| old_bias[c] * a[c] + b[c]).collect();
    Some((
        ConstTensor {
            shape: w.shape.clone(),
            data: TensorData::F32(wv),
        },
        ConstTensor {
            shape: vec![oc],
            data: TensorData::F32(bias),
        },
    ))
}

fn fold_into_gemm(
    gemm: &Layer,
    a: &[f32],
    b: &[f32],
    consts: &BTreeMap<String, ConstTensor>,
) -> Option<(ConstTensor, ConstTensor)> {
    let w = consts.get(gemm.inputs.get(1)?)?;
    if w.shape.len() != 2 {
        return None;
    }
    let trans_b = gemm.int("transB").unwrap_or(0) != 0;
    let n = if trans_b { w.shape[0] } else { w.shape[1] };
    if n != a.len() {
        return None;
    }
    let mut wv = w.to_f32_vec();
    let cols = w.shape[1];
    for (i, v) in wv.iter_mut().enumerate() {
        let col = if trans_b { i / cols } else { i % cols };
        *v *= a[col];
    }
    let beta = gemm.float("beta").unwrap_or(1.0);
    let c = match gemm.inputs.get(2).filter(|s| !s.is_empty()) {
        Some(name) => broadcast_f32(consts.get(name)?, &[n])?,
        None => vec![0.0; n],
    };
    let bias = (0..n).map(|j| beta * c[j] * a[j] + b[j]).collect();
    Some((
        ConstTensor {
            shape: w.shape.clone(),
            data: TensorData::F32(wv),
        },
        ConstTensor {
            shape: vec![n],
            data: TensorData::F32(bias),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::{const_eval, slice_indices};
    use crate::onnx::{ConstTensor, Layer, LayerGraph, TensorData};
    use std::collections::BTreeMap;

    #[test]
    fn equal_of_constants_folds_with_broadcasting() {
        let g = LayerGraph {
            name: String::new(),
            opset_imports: BTreeMap::new(),
            inputs: vec![],
            outputs: vec![],
            layers: vec![],
            constants: BTreeMap::new(),
            value_shapes: BTreeMap::new(),
            assumed: vec![],
            integer_inputs: Default::default(),
        };
        let l = Layer {
            name: "eq".into(),
            op_type: "Equal".into(),
            domain: String::new(),
            inputs: vec!["a".into(), "b".into()],
            outputs: vec!["y".into()],
            attributes: BTreeMap::new(),
        };
        let mut consts = BTreeMap::new();
        let ints = |shape: Vec<usize>, v: Vec<i64>| ConstTensor {
            shape,
            data: TensorData::I64(v),
        };
        consts.insert("a".to_string(), ints(vec![3], vec![4, -1, 7]));
        consts.insert("b".to_string(), ints(vec![], vec![-1]));
        let y = const_eval(&g, &l, &consts).unwrap();
        assert_eq!(y[0], ints(vec![3], vec![0, 1, 0]));
        // Reals, a [2, 1] against a [2] broadcast to [2, 2].
        let reals = |shape: Vec<usize>, v: Vec<f32>| ConstTensor {
            shape,
            data: TensorData::F32(v),
        };
        consts.insert("a".to_string(), reals(vec![2, 1], vec![0.5, 2.0]));
        consts.insert("b".to_string(), reals(vec![2], vec![2.0, 0.5]));
        let y = const_eval(&g, &l, &consts).unwrap();
        assert_eq!(y[0], ints(vec![2, 2], vec![0, 1, 1, 0]));
        // Integers above 2^24 stay exact (not through f32): Mod, Where, Equal.
        consts.insert("a".to_string(), ints(vec![1], vec![(1 << 24) + 1]));
        consts.insert("b".to_string(), ints(vec![], vec![2]));
        let modulo = Layer {
            op_type: "Mod".into(),
            ..l.clone()
        };
        assert_eq!(
            const_eval(&g, &modulo, &consts).unwrap()[0],
            ints(vec![1], vec![1])
        );
        consts.insert("b".to_string(), ints(vec![1], vec![1 << 24]));
        assert_eq!(
            const_eval(&g, &l, &consts).unwrap()[0],
            ints(vec![1], vec![0])
        );
        let pick = Layer {
            op_type: "Where".into(),
            inputs: vec!["c".into(), "a".into(), "b".into()],
            ..l.clone()
        };
        consts.insert("c".to_string(), ints(vec![1], vec![1]));
        assert_eq!(
            const_eval(&g, &pick, &consts).unwrap()[0],
            ints(vec![1], vec![(1 << 24) + 1])
        );
    }

    #[test]
    fn slice_indices_follow_onnx() {
        assert_eq!(slice_indices(5, 1, 3, 1), Some(vec![1, 2]));
        assert_eq!(slice_indices(5, -2, i64::MAX, 1), Some(vec![3, 4]));
        assert_eq!(slice_indices(5, 0, -1, 2), Some(vec![0, 2]));
        assert_eq!(
            slice_indices(5, -1, i64::MIN, -1),
            Some(vec![4, 3, 2, 1, 0])
        );
        assert_eq!(slice_indices(5, 10, 20, 1), Some(vec![]));
        assert_eq!(slice_indices(5, 4, 1, -2), Some(vec![4, 2]));
        assert_eq!(slice_indices(5, 0, 5, 0), None);
        assert_eq!(slice_indices(0, 0, 5, 1), Some(vec![]));
        assert_eq!(slice_indices(0, -1, i64::MIN, -1), Some(vec![]));
    }
}
