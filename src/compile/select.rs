//! Selection ops on activations: Slice, Split, Gather and Where. Each is data movement (a Copy
//! whose public wiring picks input entries or public constants), except Gather from a constant
//! table by activation indices (embeddings), which is a one-hot product.

use super::builder::{np, Builder, LResult, Value};
use super::fold::slice_params;
use super::ir::{Block, TensorId};
use super::lower::{axis, one, Outputs};
use super::movement::map_copy;
use super::wiring::{strides, WiringSpec};
use crate::blocks::copy::{Source, Wiring};
use crate::onnx::{ConstTensor, Layer};
use crate::quant::{self, TableFn};

/// Constants of a Where at or beyond this magnitude are sentinels for ±∞ (`masked_fill(-inf)`,
/// `finfo.min`), replaced by ±[`SENTINEL`].
const SENTINEL_LIMIT: f32 = 1.0e4;
/// What a sentinel becomes (at the output scale): far enough below any score that `e^(s − max)`
/// rounds to 0 at every table scale in use, small enough to keep the Exp table short.
const SENTINEL: f32 = 32.0;

/// The copy of `x` (shape `xs`) whose output axis k takes the input indices `picks[k]`.
pub(crate) fn pick(
    b: &mut Builder,
    x: TensorId,
    xs: &[usize],
    picks: &[Vec<usize>],
    what: &str,
) -> LResult<(TensorId, Vec<usize>)> {
    let shape: Vec<usize> = picks.iter().map(Vec::len).collect();
    if shape.contains(&0) {
        return np(format!("{what} selects nothing"));
    }
    let y = map_copy(b, x, xs, &shape, 0, what, |o| {
        Some(o.iter().zip(picks).map(|(&i, p)| p[i]).collect())
    })?;
    Ok((y, shape))
}

/// Slice of an activation by constant starts, ends, axes and steps.
pub(crate) fn slice(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let consts: Vec<Option<&ConstTensor>> =
        (0..l.inputs.len()).map(|i| b.const_input(l, i)).collect();
    let Some(picks) = slice_params(b.g, l, &xs, &consts) else {
        return np("Slice with parameters that are not constant or not valid");
    };
    let (y, shape) = pick(b, x, &xs, &picks, "slice")?;
    one(y, shape)
}

/// Split along an axis into parts of the given sizes (the `split` input or attribute), or into
/// `num_outputs` (opset 18) / as many equal parts as there are outputs.
pub(crate) fn split(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let ax = axis(l.int("axis").unwrap_or(0), xs.len())?;
    let d = xs[ax];
    let parts = l.outputs.len();
    if parts == 0 || d == 0 {
        return np("Split with no outputs or of an empty axis");
    }
    let given: Option<Vec<i64>> = match (b.const_input(l, 1), l.ints("split")) {
        (Some(c), _) => match c.as_i64() {
            Some(v) => Some(v.to_vec()),
            None => return np("Split sizes that are not integers"),
        },
        (None, Some(v)) => Some(v.to_vec()),
        (None, None) => None,
    };
    let sizes: Vec<usize> = match given {
        // Every size within the axis before summing, so the sum cannot wrap.
        Some(v) if v.iter().all(|&s| (0..=d as i64).contains(&s)) => {
            v.iter().map(|&s| s as usize).collect()
        }
        Some(v) => return np(format!("Split of an axis of {d} into {v:?}")),
        None => {
            let n = match l.int("num_outputs") {
                Some(n) if (1..=d as i64).contains(&n) => n as usize,
                Some(n) => return np(format!("Split of an axis of {d} into {n} outputs")),
                None => parts,
            };
            if n > d {
                return np(format!("Split of an axis of {d} into {n} outputs"));
            }
            let each = d.div_ceil(n);
            (0..n).map(|i| each.min(d - (each * i).min(d))).collect()
        }
    };
    if sizes.len() != parts || sizes.iter().sum::<usize>() != d {
        return np(format!("Split of {d} into {sizes:?}"));
    }
    let mut outs = Vec::with_capacity(parts);
    let mut start = 0;
    for size in sizes {
        let mut picks: Vec<Vec<usize>> = xs.iter().map(|&n| (0..n).collect()).collect();
        picks[ax] = (start..start + size).collect();
        start += size;
        outs.push(pick(b, x, &xs, &picks, "split")?);
    }
    Ok(outs)
}

/// Gather along `axis`: from an activation by constant indices (a Copy), or from a constant
/// table by integer activation indices (an embedding: one-hot rows times the table).
pub(crate) fn gather(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let out = b.out_shape(l, 0)?;
    match (
        b.value(&l.inputs[0])?.clone(),
        b.value(&l.inputs[1])?.clone(),
    ) {
        (Value::Tensor { id: x, shape: xs }, Value::Const(idx)) => {
            let ax = axis(l.int("axis").unwrap_or(0), xs.len())?;
            let Some(ids) = idx.as_i64() else {
                return np("Gather indices that are not integers");
            };
            let d = xs[ax] as i64;
            let mut chosen = Vec::with_capacity(ids.len());
            for &i in ids {
                let i = if i < 0 { i + d } else { i };
                if !(0..d).contains(&i) {
                    return np(format!("Gather index {i} outside an axis of {d}"));
                }
                chosen.push(i as usize);
            }
            let mut picks: Vec<Vec<usize>> = xs.iter().map(|&n| (0..n).collect()).collect();
            picks[ax] = chosen;
            let (y, _) = pick(b, x, &xs, &picks, "gather")?;
            b.prog.tensors[y].shape = out.clone();
            one(y, out)
        }
        (Value::Const(table), Value::Tensor { id, shape }) => {
            if axis(l.int("axis").unwrap_or(0), table.shape.len())? != 0 {
                return np("Gather from a constant along an axis other than 0");
            }
            let y = embedding(b, &table, id, &shape)?;
            b.prog.tensors[y].shape = out.clone();
            one(y, out)
        }
        _ => np("Gather of an activation by activation indices"),
    }
}

/// Rows of a constant table `W` (`V × D`) picked by integer indices `ids` (n of them, scale
/// 2^0): `onehot_{t,v} = [ids_t − v = 0]` by a lookup on `ids_t − v` (range `±(V−1)`, so an
/// index outside `[0, V)` has no witness), then `onehot · W` with W at the activation scale.
fn embedding(
    b: &mut Builder,
    table: &ConstTensor,
    ids: TensorId,
    shape: &[usize],
) -> LResult<TensorId> {
    if b.scale(ids) != 0 {
        return np("Gather from a constant by indices that are not an integer input");
    }
    let Some((&v, rest)) = table.shape.split_first() else {
        return np("Gather from a scalar");
    };
    let width: usize = rest.iter().product();
    let n: usize = shape.iter().product();
    if v == 0 || width == 0 || n == 0 {
        return np("Gather from an empty table");
    }
    let rows = b.broadcast(ids, &[n, 1], &[n, v])?;
    let offsets = (0..n).flat_map(|_| (0..v).map(|j| -(j as i64))).collect();
    let minus_v = b.public_constants(ids, offsets, vec![n, v], "row_offsets")?;
    let diff = b.emit(
        Block::Add,
        vec![rows, minus_v],
        vec![n, v],
        0,
        "index_minus_row",
    );
    let bound = v as i64 - 1;
    let onehot = b.lookup(diff, TableFn::IsZero, 0, Some((-bound, bound)), "one_hot");
    let act = b.act_bits();
    let wq = quant::quantize_all(&table.to_f32_vec(), act, &format!("{} table", b.layer))?;
    let w = b.weight("table", wq, vec![v, width], act);
    Ok(b.emit(
        Block::MatMulConst {
            rows: n,
            inner: v,
            cols: width,
            taps: None,
        },
        vec![onehot, w],
        vec![n, width],
        act,
        "rows",
    ))
}

/// One operand of a Where: (input position, shape), or a constant's quantized values and shape.
enum Side {
    Tensor(usize, Vec<usize>),
    Const(ConstTensor, Vec<bool>),
}

/// `Where(mask, −∞, x)` (or `Where(mask, x, −∞)`) read only by softmaxes over the last axis,
/// as attention's causal mask is: every masked entry becomes a copy of an unmasked entry of
/// its row (so the row maximum is one of the real scores) and is recorded in
/// [`Builder::masked`], for the softmax to zero its exponential. `None` when the pattern does
/// not apply (the constant is not a −∞ stand-in, a row is entirely masked, or another op reads
/// the result): then the constant is copied in as it is.
fn masked_scores(
    b: &mut Builder,
    l: &Layer,
    cond: &ConstTensor,
    sides: &[Side],
    inputs: &[TensorId],
    out: &[usize],
) -> LResult<Option<TensorId>> {
    let (fill_side, x_side) = match sides {
        [Side::Const(c, inf), Side::Tensor(i, xs)] => (((inf, &c.shape), true), (*i, xs)),
        [Side::Tensor(i, xs), Side::Const(c, inf)] => (((inf, &c.shape), false), (*i, xs)),
        _ => return Ok(None),
    };
    let ((fill, fill_shape), fill_when_true) = fill_side;
    let cond_vals = cond.to_f32_vec();
    let total: usize = out.iter().product();
    let mut mask = vec![false; total];
    for (n, m) in mask.iter_mut().enumerate() {
        let (Some(ci), Some(fi)) = (
            broadcast_index(&cond.shape, out, n),
            broadcast_index(fill_shape, out, n),
        ) else {
            return Ok(None);
        };
        if (cond_vals[ci] != 0.0) == fill_when_true {
            if !fill[fi] {
                return Ok(None); // a real constant, not a −∞ stand-in
            }
            *m = true;
        }
    }
    let (input, xs) = x_side;
    apply_mask(b, l, inputs, (input, xs), mask, out)
}

/// `Add(x, M)` with M a constant of 0s and −∞ stand-ins (an additive attention mask, as
/// `scaled_dot_product_attention` exports it), read only by softmaxes over the last axis: the
/// entries where M is −∞ are masked as [`masked_scores`] does. `None` when the pattern does not
/// apply.
pub(crate) fn masked_add(
    b: &mut Builder,
    l: &Layer,
    (x, xs): (TensorId, &[usize]),
    m: &ConstTensor,
    out: &[usize],
) -> LResult<Option<TensorId>> {
    let vals = m.to_f32_vec();
    if !vals.iter().all(|&v| v == 0.0 || v <= -SENTINEL_LIMIT) || !vals.iter().any(|&v| v != 0.0) {
        return Ok(None);
    }
    let total: usize = out.iter().product();
    let mut mask = vec![false; total];
    for (n, slot) in mask.iter_mut().enumerate() {
        let Some(i) = broadcast_index(&m.shape, out, n) else {
            return Ok(None);
        };
        *slot = vals[i] != 0.0;
    }
    apply_mask(b, l, &[x], (0, xs), mask, out)
}

/// The masked copy of input `input` (shape `xs`) of `inputs`, if only last-axis softmaxes read
/// `l`'s output and every row keeps an entry.
fn apply_mask(
    b: &mut Builder,
    l: &Layer,
    inputs: &[TensorId],
    (input, xs): (usize, &[usize]),
    mask: Vec<bool>,
    out: &[usize],
) -> LResult<Option<TensorId>> {
    let Some(&row) = out.last() else {
        return Ok(None);
    };
    let name = &l.outputs[0];
    let readers: Vec<&Layer> =
        b.g.layers
            .iter()
            .filter(|r| r.inputs.iter().any(|i| i == name))
            .collect();
    let rank = out.len() as i64;
    let softmax_last = |r: &&Layer| {
        r.op_type == "Softmax"
            && r.inputs[0] == *name
            && match r.int("axis") {
                Some(a) => a == -1 || a == rank - 1,
                None => b.g.opset() >= 13 || rank == 2,
            }
    };
    let is_output = b.g.outputs.iter().any(|o| o.name == *name);
    if readers.is_empty() || !readers.iter().all(softmax_last) || row == 0 || is_output {
        return Ok(None);
    }
    let total: usize = out.iter().product();
    let mut output = Vec::with_capacity(total);
    for r in 0..total / row {
        let Some(keep) = (0..row).find(|&j| !mask[r * row + j]) else {
            return Ok(None);
        };
        for j in 0..row {
            let n = r * row + if mask[r * row + j] { keep } else { j };
            let Some(index) = broadcast_index(xs, out, n) else {
                return Ok(None);
            };
            output.push(Source::Input { input, index });
        }
    }
    let w = Wiring {
        input_lens: inputs
            .iter()
            .map(|&t| b.shape(t).iter().product())
            .collect(),
        output,
    };
    let y = b.copy(
        inputs.to_vec(),
        WiringSpec::Explicit(w),
        out.to_vec(),
        "masked",
    )?;
    b.masked.insert(y, mask);
    Ok(Some(y))
}

/// Where with a constant condition: every output entry copies the chosen operand's entry (or
/// its constant). Operands are brought to one scale first.
pub(crate) fn where_(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let out = b.out_shape(l, 0)?;
    let Some(cond) = b.const_input(l, 0).cloned() else {
        return np("Where with a condition computed from activations");
    };
    let operands = [
        b.value(&l.inputs[1])?.clone(),
        b.value(&l.inputs[2])?.clone(),
    ];
    let scale = operands
        .iter()
        .filter_map(|v| match v {
            Value::Tensor { id, .. } => Some(b.scale(*id)),
            Value::Const(_) => None,
        })
        .max()
        .unwrap_or(b.act_bits());
    let mut inputs: Vec<TensorId> = Vec::new();
    let mut sides = Vec::new();
    for v in operands {
        sides.push(match v {
            Value::Tensor { id, shape } => {
                inputs.push(b.align(id, scale));
                Side::Tensor(inputs.len() - 1, shape)
            }
            Value::Const(c) => {
                // A constant operand is a weight (committed, private), not a public constant
                // of the wiring; ±∞ stand-ins become ±SENTINEL first (docs/DESIGN.md).
                let raw = c.to_f32_vec();
                let vals: Vec<f32> = raw
                    .iter()
                    .map(|&x| {
                        if x.is_nan() {
                            x
                        } else if x <= -SENTINEL_LIMIT {
                            -SENTINEL
                        } else if x >= SENTINEL_LIMIT {
                            SENTINEL
                        } else {
                            x
                        }
                    })
                    .collect();
                let minus_inf = raw.iter().map(|&x| x <= -SENTINEL_LIMIT).collect();
                let clamped = ConstTensor {
                    shape: c.shape.clone(),
                    data: crate::onnx::TensorData::F32(vals),
                };
                Side::Const(clamped, minus_inf)
            }
        });
    }
    if inputs.is_empty() {
        return np("Where of two constants that could not be folded");
    }
    if let Some(y) = masked_scores(b, l, &cond, &sides, &inputs, &out)? {
        return one(y, out);
    }
    // Otherwise every operand is a Copy input: constants as committed weights.
    let mut operands = Vec::with_capacity(2);
    for side in sides {
        operands.push(match side {
            Side::Tensor(input, shape) => (input, shape),
            Side::Const(c, _) => {
                inputs.push(b.const_weight("constant", &c, &c.shape, scale)?);
                (inputs.len() - 1, c.shape)
            }
        });
    }
    let lens: Vec<usize> = inputs
        .iter()
        .map(|&t| b.shape(t).iter().product())
        .collect();
    let total: usize = out.iter().product();
    let cond_vals = cond.to_f32_vec();
    let source = |shape: &[usize], n: usize| broadcast_index(shape, &out, n);
    let mut output = Vec::with_capacity(total);
    for n in 0..total {
        let Some(ci) = source(&cond.shape, n) else {
            return np("Where condition that does not broadcast");
        };
        let (input, shape) = &operands[usize::from(cond_vals[ci] == 0.0)];
        let Some(index) = source(shape, n) else {
            return np("Where operand that does not broadcast");
        };
        output.push(Source::Input {
            input: *input,
            index,
        });
    }
    let w = Wiring {
        input_lens: lens,
        output,
    };
    let y = b.copy(inputs, WiringSpec::Explicit(w), out.clone(), "select")?;
    one(y, out)
}

/// The flat index in a tensor of `shape` that numpy broadcasting reads for flat output
/// position `n` of `out`, or `None` if the shapes do not broadcast.
fn broadcast_index(shape: &[usize], out: &[usize], n: usize) -> Option<usize> {
    if shape.len() > out.len() {
        return None;
    }
    let pad = out.len() - shape.len();
    let st = strides(shape);
    let (mut rest, mut flat) = (n, 0usize);
    for k in (0..out.len()).rev() {
        let i = rest % out[k];
        rest /= out[k];
        if k >= pad {
            let d = shape[k - pad];
            if d == out[k] {
                flat += i * st[k - pad];
            } else if d != 1 {
                return None;
            }
        }
    }
    Some(flat)
}

/// ArgMax / ArgMin along an axis, proven, not trusted: the axis moved last (Copy), the group
/// maximum `m` (MaxGroups: bounds every entry and is attained; ArgMin negates first),
/// `eq = IsZero(x − m)` (1 exactly at the maxima), `score = eq ⊙ w` with the public weights
/// `w_j = L − j` (first maximum) or `j + 1` (`select_last_index`), a second MaxGroups, and the
/// index `L − max(score)` or `max(score) − 1`, an integer at scale 2^0.
pub(crate) fn arg_extreme(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    let r = xs.len();
    let ax = axis(l.int("axis").unwrap_or(0), r)?;
    let last = l.int("select_last_index").unwrap_or(0) != 0;
    let len = xs[ax];
    let groups: usize = xs.iter().product::<usize>() / len.max(1);
    if len == 0 || groups == 0 {
        return np("ArgMax of an empty axis");
    }
    let (t, _) = super::movement::axis_last(b, x, &xs, ax)?;
    let s = b.scale(t);
    let flat = vec![groups, len];
    let t = if l.op_type == "ArgMin" {
        b.emit(
            Block::ScaleConst { k: -1 },
            vec![t],
            flat.clone(),
            s,
            "negated",
        )
    } else {
        t
    };
    let m = b.emit(Block::MaxGroups { len }, vec![t], vec![groups, 1], s, "max");
    let mb = b.broadcast(m, &[groups, 1], &flat)?;
    let d = b.emit(Block::Sub, vec![t, mb], flat.clone(), s, "below_max");
    let eq = b.lookup(d, TableFn::IsZero, 0, None, "is_max");
    let weights = (0..groups)
        .flat_map(|_| (0..len).map(|j| if last { j as i64 + 1 } else { (len - j) as i64 }))
        .collect();
    let w = b.public_constants(eq, weights, flat.clone(), "positions")?;
    let score = b.emit(Block::Hadamard, vec![eq, w], flat.clone(), 0, "score");
    let best = b.emit(
        Block::MaxGroups { len },
        vec![score],
        vec![groups, 1],
        0,
        "best",
    );
    let offset = vec![if last { -1 } else { len as i64 }; groups];
    let c = b.public_constants(best, offset, vec![groups, 1], "offset")?;
    let y = if last {
        b.emit(Block::Add, vec![best, c], vec![groups, 1], 0, "index")
    } else {
        b.emit(Block::Sub, vec![c, best], vec![groups, 1], 0, "index")
    };
    b.prog.tensors[y].shape = out.clone();
    one(y, out)
}
