//! Calibration: choose every table's input range and every division's quotient range from
//! sample inputs.
//!
//! The program runs on each sample with ranges recorded instead of checked; each observed
//! range `[lo, hi]` is then widened by [`widen`] (half its width on each side, at least one
//! unit of the value's scale) so that inputs a little outside the samples still fit. Ranges
//! the compiler fixed statically (softmax reciprocals) are kept. Exp tables (softmax
//! numerators, inputs ≤ 0 by construction) keep 0 as their upper end.

use super::pow2;
use super::tables::TableFn;
use crate::compile::{Block, Program};
use crate::witness::{execute, RangeMode, Ranges};
use crate::{Error, Result};

/// `[lo, hi]` widened by `max(⌈(hi − lo + 1)/2⌉, unit)` on each side.
pub fn widen(lo: i64, hi: i64, unit: i64) -> (i64, i64) {
    let span = hi.saturating_sub(lo).saturating_add(1);
    let pad = (span.saturating_add(1) / 2).max(unit);
    (lo.saturating_sub(pad), hi.saturating_add(pad))
}

fn union(a: Option<(i64, i64)>, b: Option<(i64, i64)>) -> Option<(i64, i64)> {
    match (a, b) {
        (Some((l1, h1)), Some((l2, h2))) => Some((l1.min(l2), h1.max(h2))),
        (x, None) | (None, x) => x,
    }
}

/// Set the ranges of `program` from `samples` (each one flat vector per graph input).
pub fn calibrate(program: &mut Program, samples: &[Vec<Vec<f32>>]) -> Result<()> {
    if samples.is_empty() {
        return Err(Error::InvalidArgument(
            "calibration needs at least one sample input".into(),
        ));
    }
    let mut seen = Ranges::default();
    for sample in samples {
        let mut r = Ranges::default();
        execute(program, sample, RangeMode::Record(&mut r))?;
        seen.tables.resize(r.tables.len(), None);
        seen.quotients.resize(r.quotients.len(), None);
        for (s, o) in seen.tables.iter_mut().zip(r.tables) {
            *s = union(*s, o);
        }
        for (s, o) in seen.quotients.iter_mut().zip(r.quotients) {
            *s = union(*s, o);
        }
    }
    for (t, observed) in program.tables.iter_mut().zip(&seen.tables) {
        if t.fixed {
            continue;
        }
        let (lo, hi) = observed.unwrap_or((0, 0));
        let (lo, hi) = widen(lo, hi, pow2(t.in_bits));
        t.range = Some(match t.func {
            TableFn::Exp => (lo, 0),
            // Defined from 1 (log) or 0 (√) on: rows below would be left out of the table
            // anyway (`TableSpec::to_table`); the range says so.
            TableFn::Log => (lo.max(1), hi.max(1)),
            TableFn::Sqrt => (lo.max(0), hi.max(0)),
            _ => (lo, hi),
        });
    }
    for (ix, inst) in program.instances.iter_mut().enumerate() {
        let unit = pow2(program.tensors[inst.output].scale_bits);
        let (lo, hi) = seen.quotients.get(ix).copied().flatten().unwrap_or((0, 0));
        let (lo, hi) = widen(lo, hi, unit);
        match &mut inst.block {
            Block::DivConst { range, .. } => *range = Some((lo, hi)),
            // A range check's lower end stays at or above its least end (advice checks: 0).
            Block::RangeCheck { min, range } => {
                let m = min.unwrap_or(i64::MIN);
                *range = Some((lo.max(m), hi.max(m)));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening() {
        assert_eq!(widen(0, 99, 16), (-50, 149));
        assert_eq!(widen(5, 5, 256), (-251, 261));
        assert_eq!(widen(i64::MIN, i64::MAX, 1).0, i64::MIN);
    }
}
