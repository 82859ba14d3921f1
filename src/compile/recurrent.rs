//! LSTM unrolled over its time steps into existing blocks (no new protocol):
//!
//! - the input projection of every step at once, `X·Wᵀ + (W_b + R_b)` (one MatMulConst over
//!   `[seq·batch, input]`);
//! - per step `t`, `gates = XW_t + h_{t−1}·Rᵀ` (a Copy of the step's rows, a MatMulConst,
//!   an Add), split by Copies into ONNX's order `i, o, f, c`;
//! - `i, o, f = σ(·)`, `g = tanh(·)` (tables), `c_t = f ⊙ c_{t−1} + i ⊙ g`,
//!   `h_t = o ⊙ tanh(c_t)` (Hadamard products, rescales, an Add);
//! - `Y` the steps' `h_t` concatenated (a Copy), `Y_h`, `Y_c` the last step's.
//!
//! Directions `forward`, `reverse` and `bidirectional`; the default activations; no peepholes,
//! `clip`, `input_forget` or per-batch `sequence_lens` (refused by name).
//!
//! GRU the same way (ONNX gate order `z, r, h`): `z, r = σ(XW + hR + b)`,
//! `n = tanh(XW_h + r ⊙ (h·R_hᵀ + R_bh))` (`linear_before_reset = 1`, as torch exports it) or
//! `tanh(XW_h + (r ⊙ h)·R_hᵀ + R_bh)` (0), `h_t = n + z ⊙ (h − n)`, from `h_0 = 0` (public
//! zeros) or the given initial state.

use super::builder::{np, Builder, LResult};
use super::ir::TensorId;
use super::lower::{
    commit_matrix, matmul_const, matrix_bias, tensor_op_tensor, times_matrix, ConstMatrix, Outputs,
};
use super::movement::map_copy;
use super::wiring::WiringSpec;
use crate::onnx::{ConstTensor, Layer, TensorData};
use crate::quant::TableFn;

/// A recurrent layer's checked shape: `X` (`[seq, batch, input]`), the directions, the hidden
/// size and the constant weights `W` (`[dirs, gates·H, input]`) and `R` (`[dirs, gates·H, H]`).
struct Recurrence {
    x: TensorId,
    seq: usize,
    batch: usize,
    input: usize,
    dirs: usize,
    hidden: usize,
    w: Vec<f32>,
    r: Vec<f32>,
}

/// The checks LSTM and GRU share (`gates` 4 or 3): default activations, no clip, layout 0,
/// full-length sequences, constant weights of matching shapes.
fn recurrence(b: &mut Builder, l: &Layer, gates: usize) -> LResult<Recurrence> {
    let op = &l.op_type;
    for attr in ["clip", "activations", "activation_alpha", "activation_beta"] {
        if l.attributes.contains_key(attr) {
            return np(format!("{op} with {attr}"));
        }
    }
    if l.int("layout").unwrap_or(0) != 0 {
        return np(format!("{op} with layout 1"));
    }
    let (x, xs) = b.act_input(l, 0)?;
    let [seq, batch, input] = match xs.as_slice() {
        [s, n, i] => [*s, *n, *i],
        _ => return np(format!("{op} input of rank other than 3")),
    };
    // Per-batch lengths are fine when every one is the whole sequence.
    if l.inputs.get(4).is_some_and(|n| !n.is_empty())
        && !b
            .const_input(l, 4)
            .is_some_and(|c| c.to_f32_vec().iter().all(|&v| v as usize == seq))
    {
        return np(format!("{op} with sequence_lens shorter than the sequence"));
    }
    let (Some(w), Some(r)) = (b.const_input(l, 1).cloned(), b.const_input(l, 2).cloned()) else {
        return np(format!("{op} with computed weights"));
    };
    let dirs = match l.string("direction").unwrap_or("forward") {
        "forward" | "reverse" => 1,
        "bidirectional" => 2,
        other => return np(format!("{op} direction {other:?}")),
    };
    let hidden = match (w.shape.as_slice(), r.shape.as_slice()) {
        ([d, g, i], [d2, g2, h])
            if *d == dirs && *d2 == dirs && *g == gates * h && *g2 == *g && *i == input =>
        {
            *h
        }
        _ => {
            return np(format!(
                "{op} weights {:?} / {:?} for input {xs:?}",
                w.shape, r.shape
            ))
        }
    };
    Ok(Recurrence {
        x,
        seq,
        batch,
        input,
        dirs,
        hidden,
        w: w.to_f32_vec(),
        r: r.to_f32_vec(),
    })
}

/// ONNX LSTM (layout 0: `X` is `[seq, batch, input]`).
pub(crate) fn lstm(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    if l.int("input_forget").unwrap_or(0) != 0 {
        return np("LSTM with input_forget");
    }
    let given = |i: usize| l.inputs.get(i).is_some_and(|n| !n.is_empty());
    if given(7) {
        return np("LSTM with peepholes");
    }
    let Recurrence {
        x,
        seq,
        batch,
        input,
        dirs,
        hidden,
        w: wv,
        r: rv,
    } = recurrence(b, l, 4)?;
    let bias = if given(3) {
        match b.const_input(l, 3) {
            Some(c) if c.shape == [dirs, 8 * hidden] => Some(c.to_f32_vec()),
            _ => return np("LSTM with a computed or misshapen bias"),
        }
    } else {
        None
    };
    let initial = |b: &Builder, i: usize| -> LResult<Option<Vec<f32>>> {
        if !given(i) {
            return Ok(None);
        }
        match b.const_input(l, i) {
            Some(c) if c.shape == [dirs, batch, hidden] => Ok(Some(c.to_f32_vec())),
            _ => np("LSTM with a computed initial state"),
        }
    };
    let (h0, c0) = (initial(b, 5)?, initial(b, 6)?);
    if h0.as_ref().is_some_and(|v| v.iter().any(|&x| x != 0.0))
        || c0.as_ref().is_some_and(|v| v.iter().any(|&x| x != 0.0))
    {
        return np("LSTM with a non-zero initial state");
    }

    let g4 = 4 * hidden;
    let mut ys = Vec::new();
    let mut last_h = Vec::new();
    let mut last_c = Vec::new();
    for d in 0..dirs {
        let reverse = d == 1 || l.string("direction") == Some("reverse");
        // W_d is [4H, I]: its transpose [I, 4H] as matmul_const's [k, n].
        let wt = transpose(&wv[d * g4 * input..(d + 1) * g4 * input], g4, input);
        let rt = transpose(&rv[d * g4 * hidden..(d + 1) * g4 * hidden], g4, hidden);
        let bsum: Option<ConstTensor> = bias.as_ref().map(|bv| {
            let o = d * 8 * hidden;
            ConstTensor {
                shape: vec![g4],
                data: TensorData::F32((0..g4).map(|j| bv[o + j] + bv[o + g4 + j]).collect()),
            }
        });
        let xw = matmul_const(
            b,
            x,
            seq * batch,
            (wt, input, g4),
            bsum.as_ref().map(|c| (c, 1.0)),
            vec![seq * batch, g4],
        )?;
        let mut h: Option<TensorId> = None;
        let mut c: Option<TensorId> = None;
        // R is committed once per direction and read by every step's product (tied: the key
        // check makes every step's key the first step's).
        let mut recurrent: Option<ConstMatrix> = None;
        let mut steps = vec![None; seq];
        let order: Vec<usize> = if reverse {
            (0..seq).rev().collect()
        } else {
            (0..seq).collect()
        };
        for t in order {
            let shape = [seq * batch, g4];
            let step = map_copy(b, xw, &shape, &[batch, g4], 0, "step", |o| {
                Some(vec![t * batch + o[0], o[1]])
            })?;
            let gates = match h {
                None => step,
                Some(h) => {
                    let r = match &mut recurrent {
                        Some(r) => r,
                        None => recurrent.insert(commit_matrix(b, &rt, [hidden, g4], None)?),
                    };
                    let hr = times_matrix(b, h, batch, r, None, vec![batch, g4])?;
                    let s = [batch, g4];
                    tensor_op_tensor(b, "Add", (step, &s), (hr, &s), &s)?
                }
            };
            let gate = |b: &mut Builder, k: usize, what: &str| {
                map_copy(b, gates, &[batch, g4], &[batch, hidden], 0, what, |o| {
                    Some(vec![o[0], k * hidden + o[1]])
                })
            };
            let act = b.act_bits();
            let (i, o, f, g) = (
                gate(b, 0, "i")?,
                gate(b, 1, "o")?,
                gate(b, 2, "f")?,
                gate(b, 3, "c")?,
            );
            let i = b.lookup(i, TableFn::Sigmoid, act, None, "input_gate");
            let o = b.lookup(o, TableFn::Sigmoid, act, None, "output_gate");
            let f = b.lookup(f, TableFn::Sigmoid, act, None, "forget_gate");
            let g = b.lookup(g, TableFn::Tanh, act, None, "cell_input");
            let s = [batch, hidden];
            let ig = tensor_op_tensor(b, "Mul", (i, &s), (g, &s), &s)?;
            let ct = match c {
                None => ig,
                Some(c) => {
                    let fc = tensor_op_tensor(b, "Mul", (f, &s), (c, &s), &s)?;
                    tensor_op_tensor(b, "Add", (fc, &s), (ig, &s), &s)?
                }
            };
            let tc = b.lookup(ct, TableFn::Tanh, act, None, "cell_tanh");
            let ht = tensor_op_tensor(b, "Mul", (o, &s), (tc, &s), &s)?;
            steps[t] = Some(ht);
            h = Some(ht);
            c = Some(ct);
        }
        let (Some(h), Some(c)) = (h, c) else {
            return np("LSTM over an empty sequence");
        };
        ys.push(steps.into_iter().flatten().collect::<Vec<_>>());
        last_h.push(h);
        last_c.push(c);
    }
    outputs(b, l, (seq, dirs, batch, hidden), &ys, vec![last_h, last_c])
}

/// A row-major `[rows, cols]` matrix transposed.
fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    (0..cols)
        .flat_map(|j| (0..rows).map(move |i| m[i * cols + j]))
        .collect()
}

/// ONNX GRU (layout 0), unrolled as the module docs say.
pub(crate) fn gru(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let given = |i: usize| l.inputs.get(i).is_some_and(|n| !n.is_empty());
    let Recurrence {
        x,
        seq,
        batch,
        input,
        dirs,
        hidden,
        w: wv,
        r: rv,
    } = recurrence(b, l, 3)?;
    let bias = if given(3) {
        match b.const_input(l, 3) {
            Some(c) if c.shape == [dirs, 6 * hidden] => c.to_f32_vec(),
            _ => return np("GRU with a computed or misshapen bias"),
        }
    } else {
        vec![0.0; dirs * 6 * hidden]
    };
    let initial = if given(5) {
        let (h0, hs) = b.act_input(l, 5)?;
        if hs != [dirs, batch, hidden] {
            return np("GRU initial state of another shape");
        }
        Some(h0)
    } else {
        None
    };
    let before_reset = l.int("linear_before_reset").unwrap_or(0) != 0;
    let g3 = 3 * hidden;
    let s = [batch, hidden];
    let vector = |v: Vec<f32>| ConstTensor {
        shape: vec![v.len()],
        data: TensorData::F32(v),
    };
    let mut ys = Vec::new();
    let mut last = Vec::new();
    for d in 0..dirs {
        let reverse = d == 1 || l.string("direction") == Some("reverse");
        let wt = transpose(&wv[d * g3 * input..(d + 1) * g3 * input], g3, input);
        let rt = transpose(&rv[d * g3 * hidden..(d + 1) * g3 * hidden], g3, hidden);
        let wb = vector(bias[d * 6 * hidden..d * 6 * hidden + g3].to_vec());
        let rb = bias[d * 6 * hidden + g3..(d + 1) * 6 * hidden].to_vec();
        let xw = matmul_const(
            b,
            x,
            seq * batch,
            (wt, input, g3),
            Some((&wb, 1.0)),
            vec![seq * batch, g3],
        )?;
        let mut h = match initial {
            Some(h0) => map_copy(b, h0, &[dirs, batch, hidden], &s, 0, "initial", |o| {
                Some(vec![d, o[0], o[1]])
            })?,
            None => b.public_constants(x, vec![0; batch * hidden], s.to_vec(), "zero_state")?,
        };
        // R, R_b (and R_h, R_bh before the reset) committed once per direction and read by
        // every step (tied products: the key check makes every step's key the first step's).
        let sh = b.scale(h);
        let rbv = vector(rb.clone());
        let r = commit_matrix(b, &rt, [hidden, g3], Some((&rb, sh)))?;
        let r_bias = matrix_bias(b, &r, (&rbv, 1.0), batch, sh)?;
        let reset = if before_reset {
            None
        } else {
            let rht: Vec<f32> = (0..hidden)
                .flat_map(|i| (0..hidden).map(move |j| (i, j)))
                .map(|(i, j)| rt[i * g3 + 2 * hidden + j])
                .collect();
            let rbh = rb[2 * hidden..].to_vec();
            let m = commit_matrix(b, &rht, [hidden, hidden], Some((&rbh, sh)))?;
            let bias = matrix_bias(b, &m, (&vector(rbh), 1.0), batch, sh)?;
            Some((m, bias))
        };
        let mut steps = vec![None; seq];
        let order: Vec<usize> = if reverse {
            (0..seq).rev().collect()
        } else {
            (0..seq).collect()
        };
        for t in order {
            if b.scale(h) != sh {
                return np("GRU whose state changes scale between steps");
            }
            let step = map_copy(b, xw, &[seq * batch, g3], &[batch, g3], 0, "step", |o| {
                Some(vec![t * batch + o[0], o[1]])
            })?;
            let part = |b: &mut Builder, m: TensorId, k: usize, what: &str| {
                map_copy(b, m, &[batch, g3], &s, 0, what, |o| {
                    Some(vec![o[0], k * hidden + o[1]])
                })
            };
            // z and r (and, before the reset, the candidate's h·R_hᵀ + R_bh) from h·Rᵀ + R_b.
            let hr = times_matrix(b, h, batch, &r, Some(r_bias), vec![batch, g3])?;
            let act = b.act_bits();
            let gate = |b: &mut Builder, k: usize, what: &str| -> LResult<TensorId> {
                let (xp, hp) = (part(b, step, k, what)?, part(b, hr, k, what)?);
                let pre = tensor_op_tensor(b, "Add", (xp, &s), (hp, &s), &s)?;
                Ok(b.lookup(pre, TableFn::Sigmoid, act, None, what))
            };
            let z = gate(b, 0, "update_gate")?;
            let rg = gate(b, 1, "reset_gate")?;
            let xn = part(b, step, 2, "candidate_input")?;
            let recurrent = match &reset {
                None => {
                    let hn = part(b, hr, 2, "candidate_state")?;
                    tensor_op_tensor(b, "Mul", (rg, &s), (hn, &s), &s)?
                }
                Some((m, bias)) => {
                    let rh = tensor_op_tensor(b, "Mul", (rg, &s), (h, &s), &s)?;
                    times_matrix(b, rh, batch, m, Some(*bias), s.to_vec())?
                }
            };
            let pre = tensor_op_tensor(b, "Add", (xn, &s), (recurrent, &s), &s)?;
            let n = b.lookup(pre, TableFn::Tanh, act, None, "candidate");
            let diff = tensor_op_tensor(b, "Sub", (h, &s), (n, &s), &s)?;
            let zd = tensor_op_tensor(b, "Mul", (z, &s), (diff, &s), &s)?;
            let ht = tensor_op_tensor(b, "Add", (n, &s), (zd, &s), &s)?;
            steps[t] = Some(ht);
            h = ht;
        }
        ys.push(steps.into_iter().flatten().collect::<Vec<_>>());
        last.push(h);
    }
    outputs(b, l, (seq, dirs, batch, hidden), &ys, vec![last])
}

/// A recurrent layer's outputs: `Y` `[seq, dirs, batch, hidden]` (step t of direction d, from
/// `ys[d][t]`), then each final state `[dirs, batch, hidden]` (Y_h, and Y_c for LSTM). Only the
/// outputs the graph names are built (an unnamed one is never bound, so any id stands in).
fn outputs(
    b: &mut Builder,
    l: &Layer,
    (seq, dirs, batch, hidden): (usize, usize, usize, usize),
    ys: &[Vec<TensorId>],
    states: Vec<Vec<TensorId>>,
) -> LResult<Outputs> {
    let wanted = |i: usize| l.outputs.get(i).is_some_and(|n| !n.is_empty());
    let concat = |b: &mut Builder, ids: Vec<TensorId>, shape: Vec<usize>, what: &str| {
        let n = ids.len();
        b.copy(
            ids,
            WiringSpec::Concat {
                shapes: vec![vec![1, batch, hidden]; n],
                axis: 0,
            },
            shape,
            what,
        )
    };
    let y_shape = vec![seq, dirs, batch, hidden];
    let state_shape = vec![dirs, batch, hidden];
    let y = if wanted(0) {
        let steps = (0..seq)
            .flat_map(|t| ys.iter().map(move |dir| dir[t]))
            .collect();
        concat(b, steps, y_shape.clone(), "y")?
    } else {
        states[0][0]
    };
    let mut out = vec![(y, y_shape)];
    for (k, last) in states.into_iter().enumerate() {
        let id = if wanted(k + 1) {
            concat(
                b,
                last,
                state_shape.clone(),
                if k == 0 { "y_h" } else { "y_c" },
            )?
        } else {
            y
        };
        out.push((id, state_shape.clone()));
    }
    Ok(out)
}
