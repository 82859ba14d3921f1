//! TopK with its ordering proven, not trusted: every entry's rank in its row is computed from
//! the committed values by pairwise comparisons, and the k outputs are the entries of ranks
//! 0..k. A composition of existing blocks (PROTOCOLS §4.15), no hint and no sorting network:
//!
//! - `rank_i = #{k : x_k > x_i} + #{k < i : x_k = x_i}` (ONNX's order: larger first, the lower
//!   index first among equals), a permutation of `0..n` in every row;
//! - the pairwise test is one table: with `d = x_k − x_i` (integers), `2d + [k < i] ≥ 1` exactly
//!   when `x_k` comes before `x_i`, so `Clip(2d + [k < i], 0, 1)` is the 0/1 comparison (the
//!   `[k < i]` are public constants of the wiring);
//! - `onehot[j, i] = IsZero(rank_i − j)` for `j < k`, then `values_j = Σ_i onehot·x` and
//!   `indices_j = Σ_i onehot·i` (SumGroups of Hadamard products).
//!
//! Cost: `n²` comparisons per row, so this is for the short axes TopK is used on (class scores,
//! candidate lists); the tables are the comparison table over twice the values' range and an
//! IsZero table over `rank − j` (about `[−k, n]`, widened by calibration). Why rank is a
//! permutation for any committed values: the comparison lookup forces every `2(x_k − x_i)` to
//! be a small integer, so the differences are antisymmetric and additive integers — an order.
//! `sorted = 0` leaves the order to the implementation; this one is sorted.

use super::builder::{np, Builder, LResult};
use super::ir::{Block, TensorId};
use super::lower::{axis, Outputs};
use super::movement::{axis_back, axis_last};
use crate::onnx::Layer;
use crate::quant::TableFn;

/// TopK (opset 10+: `K` a constant input; opset 1: the `k` attribute) along `axis`, largest or
/// smallest; values at the input's scale, indices as integers (scale 2^0).
pub(crate) fn topk(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let r = xs.len();
    let ax = axis(l.int("axis").unwrap_or(-1), r)?;
    let k = match b.const_input(l, 1) {
        Some(c) => c.to_f32_vec().first().map(|&v| v as i64),
        None => l.int("k"),
    };
    let n = xs[ax];
    let k = match k {
        Some(k) if k >= 1 && (k as usize) <= n => k as usize,
        Some(k) => return np(format!("TopK with k = {k} on an axis of {n}")),
        None => return np("TopK with a K that is not constant"),
    };
    let largest = l.int("largest").unwrap_or(1) != 0;
    let rows: usize = xs.iter().product::<usize>() / n.max(1);
    if rows == 0 || n == 0 {
        return np("TopK of an empty tensor");
    }
    if rows.saturating_mul(n).saturating_mul(n) > super::wiring::MAX_ENTRIES {
        return np(format!(
            "TopK over {n} entries per row: n² comparisons too many"
        ));
    }
    // The axis last: [rows, n] (rows in the other axes' order).
    let (t, moved) = axis_last(b, x, &xs, ax)?;
    let s = b.scale(t);
    let t = if largest {
        t
    } else {
        b.emit(
            Block::ScaleConst { k: -1 },
            vec![t],
            vec![rows, n],
            s,
            "negated",
        )
    };
    let (values, indices) = ranked(b, t, rows, n, k)?;
    let values = if largest {
        values
    } else {
        b.emit(
            Block::ScaleConst { k: -1 },
            vec![values],
            vec![rows, k],
            s,
            "smallest",
        )
    };
    // Back to the input's axis order, k entries on the axis.
    let mut lead = moved;
    if let Some(last) = lead.last_mut() {
        *last = k;
    }
    let mut outs = Vec::with_capacity(2);
    for (i, y) in [values, indices].into_iter().enumerate() {
        let shape = b.out_shape(l, i)?;
        let (y, _) = axis_back(b, y, &lead, ax)?;
        b.prog.tensors[y].shape = shape.clone();
        outs.push((y, shape));
    }
    Ok(outs)
}

/// The k largest entries of every row of `t` ([rows, n]) and their indices, by ranks.
fn ranked(
    b: &mut Builder,
    t: TensorId,
    rows: usize,
    n: usize,
    k: usize,
) -> LResult<(TensorId, TensorId)> {
    let s = b.scale(t);
    let pairs = vec![rows, n, n];
    // [r, i, k] = x[r, i] and x[r, k].
    let xi = b.broadcast(t, &[rows, n, 1], &pairs)?;
    let xk = b.broadcast(t, &[rows, 1, n], &pairs)?;
    let d = b.emit(
        Block::Sub,
        vec![xk, xi],
        pairs.clone(),
        s,
        "pair_difference",
    );
    let d2 = b.emit(
        Block::ScaleConst { k: 2 },
        vec![d],
        pairs.clone(),
        s,
        "twice",
    );
    let before: Vec<i64> = (0..rows)
        .flat_map(|_| (0..n).flat_map(move |i| (0..n).map(move |kk| i64::from(kk < i))))
        .collect();
    let tie = b.public_constants(d2, before, pairs.clone(), "lower_index")?;
    let e = b.emit(Block::Add, vec![d2, tie], pairs.clone(), s, "comes_before");
    let step = TableFn::Clip { lo: 0, hi: 1 };
    let g = b.lookup(e, step, 0, None, "before");
    let rank = b.emit(
        Block::SumGroups { len: n },
        vec![g],
        vec![rows, n],
        0,
        "rank",
    );
    // [r, j, i]: rank_i − j, one-hot at rank j.
    let picks = vec![rows, k, n];
    let rb = b.broadcast(rank, &[rows, 1, n], &picks)?;
    let js: Vec<i64> = (0..rows)
        .flat_map(|_| (0..k).flat_map(move |j| std::iter::repeat_n(j as i64, n)))
        .collect();
    let jc = b.public_constants(rb, js, picks.clone(), "ranks_wanted")?;
    let off = b.emit(Block::Sub, vec![rb, jc], picks.clone(), 0, "rank_offset");
    let onehot = b.lookup(off, TableFn::IsZero, 0, None, "at_rank");
    let xb = b.broadcast(t, &[rows, 1, n], &picks)?;
    let picked = b.emit(
        Block::Hadamard,
        vec![onehot, xb],
        picks.clone(),
        s,
        "picked",
    );
    let values = row_sums(b, picked, rows, k, n, "values");
    let iota: Vec<i64> = (0..rows * k).flat_map(|_| 0..n as i64).collect();
    let positions = b.public_constants(onehot, iota, picks.clone(), "positions")?;
    let at = b.emit(
        Block::Hadamard,
        vec![onehot, positions],
        picks,
        0,
        "index_picked",
    );
    let indices = row_sums(b, at, rows, k, n, "indices");
    Ok((values, indices))
}

/// `[rows, k, n]` summed over its last axis to `[rows, k]` (SumGroups), at `x`'s scale.
fn row_sums(b: &mut Builder, x: TensorId, rows: usize, k: usize, n: usize, what: &str) -> TensorId {
    let s = b.scale(x);
    b.emit(Block::SumGroups { len: n }, vec![x], vec![rows, k], s, what)
}
