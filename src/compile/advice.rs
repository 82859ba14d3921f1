//! Advice: a value the prover computes and commits with no proof of its own (`⌊√w⌋`, a
//! quotient by an activation), followed in the program by the instances that pin it down to
//! the one integer it may be (docs/PROTOCOLS.md §4.16).
//!
//! The follow-up instances are a fixed template per function ([`checks`]): the compiler emits
//! it right after the advice instance and [`Program::check_dataflow`] refuses an architecture
//! where an advice instance is not followed by exactly its template, so a key cannot state an
//! unconstrained value. Every range check is a [`Block::RangeCheck`] whose least lower end is
//! part of the template and which the architecture check holds every range to.
//!
//! [`Program::check_dataflow`]: super::Program::check_dataflow

use super::ir::{Block, Instance, Program, TensorId};

/// What an advice instance computes from its inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AdviceFn {
    /// `σ = ⌊√(w/k)⌋` of one input `w ≥ 0`, for a public `k ≥ 1` (a LayerNorm's row length:
    /// the variance's division folded into the root).
    FloorSqrt {
        /// The divisor k (at most [`MAX_DIVISOR`]).
        divisor: i64,
    },
    /// `y = ⌊(2^(shift+1)·a + d) / 2d⌋` (that is `a·2^shift/d` rounded half up) of inputs
    /// `(a, d)`, entrywise, for divisors `d ≥ 1`.
    RoundDiv {
        /// The power of two the dividend is scaled by (at most [`MAX_SHIFT`]).
        shift: u32,
    },
}

/// The largest `shift` of [`AdviceFn::RoundDiv`]: `2^(shift+1)·a` stays far below the field's
/// size for every value a program holds.
pub const MAX_SHIFT: u32 = 40;

/// The largest divisor of [`AdviceFn::FloorSqrt`].
pub const MAX_DIVISOR: i64 = 1 << 24;

impl AdviceFn {
    /// Number of inputs.
    pub fn arity(self) -> usize {
        match self {
            AdviceFn::FloorSqrt { .. } => 1,
            AdviceFn::RoundDiv { .. } => 2,
        }
    }

    /// Short name for reports.
    pub fn name(self) -> String {
        match self {
            AdviceFn::FloorSqrt { divisor: 1 } => "⌊√w⌋".into(),
            AdviceFn::FloorSqrt { divisor } => format!("⌊√(w/{divisor})⌋"),
            AdviceFn::RoundDiv { shift } => format!("round(a·2^{shift}/d)"),
        }
    }

    /// The honest value of one entry (`None` where there is none: √ of a negative value, a
    /// divisor below 1, an overflow).
    pub fn eval(self, x: &[i64]) -> Option<i64> {
        match self {
            AdviceFn::FloorSqrt { divisor } => {
                if !(1..=MAX_DIVISOR).contains(&divisor) {
                    return None;
                }
                // ⌊√(w/k)⌋ = ⌊√⌊w/k⌋⌋.
                floor_sqrt(x.first()?.checked_div_euclid(divisor)?)
            }
            AdviceFn::RoundDiv { shift } => {
                let (a, d) = (i128::from(*x.first()?), i128::from(*x.get(1)?));
                if d < 1 || shift > MAX_SHIFT {
                    return None;
                }
                let n = a.checked_mul(2i128 << shift)?.checked_add(d)?;
                i64::try_from(n.div_euclid(2 * d)).ok()
            }
        }
    }
}

/// `⌊√w⌋` for `w ≥ 0`, exactly (an f64 guess corrected in integers).
fn floor_sqrt(w: i64) -> Option<i64> {
    if w < 0 {
        return None;
    }
    let w = i128::from(w);
    let mut s = (w as f64).sqrt() as i128;
    while s * s > w {
        s -= 1;
    }
    while (s + 1) * (s + 1) <= w {
        s += 1;
    }
    i64::try_from(s).ok()
}

/// A tensor a check reads: the advice instance's input `i`, its output, or check `j`'s output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ref {
    /// Input i of the advice instance.
    In(usize),
    /// The advice value.
    Out,
    /// The output of the template's step j (j before the step that reads it).
    Step(usize),
}

/// One instance of a template: a block, or a range check with this least lower end.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// This block, exactly.
    Block(Block),
    /// A [`Block::RangeCheck`] with exactly this `min` (its range is calibrated).
    Range(Option<i64>),
}

/// The instances that must follow an advice instance, in order, with what each reads.
///
/// `FloorSqrt{k}` (w → σ): σ an integer ≥ 0, `t₁ = w − k·σ² ≥ 0` and `t₂ = 2k·σ − t₁ ≥ 1 − k`,
/// so `k·σ² ≤ w < k·(σ+1)²`: σ = ⌊√(w/k)⌋.
///
/// `RoundDiv` ((a, d) → y): y an integer of its calibrated range;
/// `r = 2^(shift+1)·a + d − 2·d·y ≥ 0` and `2d − r ≥ 1`, so `0 ≤ r < 2d`, `d ≥ 1`, and y is
/// the rounded quotient.
pub fn checks(func: AdviceFn) -> Vec<(Check, Vec<Ref>)> {
    use Ref::{In, Out, Step};
    let b = Check::Block;
    let at_least = |min| Check::Range(Some(min));
    let scale = |k| b(Block::ScaleConst { k });
    match func {
        AdviceFn::FloorSqrt { divisor: k } => vec![
            (at_least(0), vec![Out]),                // 0: σ an integer ≥ 0
            (b(Block::Hadamard), vec![Out, Out]),    // 1: σ²
            (scale(k), vec![Step(1)]),               // 2: k·σ²
            (b(Block::Sub), vec![In(0), Step(2)]),   // 3: t₁ = w − k·σ²
            (at_least(0), vec![Step(3)]),            // 4: t₁ ≥ 0
            (scale(2 * k), vec![Out]),               // 5: 2k·σ
            (b(Block::Sub), vec![Step(5), Step(3)]), // 6: t₂ = 2k·σ − t₁
            (at_least(1 - k), vec![Step(6)]),        // 7: t₂ ≥ 1 − k
        ],
        AdviceFn::RoundDiv { shift } => vec![
            (Check::Range(None), vec![Out]),        // 0: y in its range
            (b(Block::Hadamard), vec![In(1), Out]), // 1: d∘y
            (scale(2i64 << shift.min(MAX_SHIFT)), vec![In(0)]), // 2: 2^(shift+1)·a
            (b(Block::Add), vec![Step(2), In(1)]),  // 3: … + d
            (scale(2), vec![Step(1)]),              // 4: 2·d∘y
            (b(Block::Sub), vec![Step(3), Step(4)]), // 5: r
            (at_least(0), vec![Step(5)]),           // 6: r ≥ 0
            (scale(2), vec![In(1)]),                // 7: 2d
            (b(Block::Sub), vec![Step(7), Step(5)]), // 8: 2d − r
            (at_least(1), vec![Step(8)]),           // 9: 2d − r ≥ 1
        ],
    }
}

/// Whether the advice instance `ix` of `program` is followed by exactly its template (the
/// architecture check; `Err` says what differs).
pub fn check_follows(program: &Program, ix: usize) -> Result<(), String> {
    let inst = &program.instances[ix];
    let Block::Advice { func } = inst.block else {
        return Err("not an advice instance".into());
    };
    match func {
        AdviceFn::RoundDiv { shift } if shift > MAX_SHIFT => {
            return Err(format!("advice shift {shift} above {MAX_SHIFT}"));
        }
        AdviceFn::FloorSqrt { divisor } if !(1..=MAX_DIVISOR).contains(&divisor) => {
            return Err(format!(
                "advice divisor {divisor} outside 1..={MAX_DIVISOR}"
            ));
        }
        _ => {}
    }
    let steps = checks(func);
    let follow = program
        .instances
        .get(ix + 1..ix + 1 + steps.len())
        .ok_or("the advice value is not followed by its checks")?;
    let resolve = |r: Ref| -> Option<TensorId> {
        match r {
            Ref::In(i) => inst.inputs.get(i).copied(),
            Ref::Out => Some(inst.output),
            Ref::Step(j) => follow.get(j).map(|s| s.output),
        }
    };
    for (j, ((check, reads), step)) in steps.iter().zip(follow).enumerate() {
        let block_ok = match (check, &step.block) {
            (Check::Block(b), s) => b == s,
            (Check::Range(min), Block::RangeCheck { min: m, .. }) => min == m,
            _ => false,
        };
        let inputs: Option<Vec<TensorId>> = reads.iter().map(|&r| resolve(r)).collect();
        if !block_ok || inputs.as_ref() != Some(&step.inputs) {
            return Err(format!(
                "check {j} of the advice value is {} on {:?}, not what {} needs",
                step.block.describe(),
                step.inputs,
                func.name()
            ));
        }
    }
    Ok(())
}

/// Instance `ix`'s inputs' lengths agree with its advice function (all equal to the output's).
pub(crate) fn lengths_ok(program: &Program, inst: &Instance) -> bool {
    let y = program.tensors[inst.output].len();
    inst.inputs.iter().all(|&t| program.tensors[t].len() == y)
}
