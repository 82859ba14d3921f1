//! Exact integer execution of a block program: every tensor's values, in i64 with checked
//! arithmetic, and every table and quotient range enforced.
//!
//! This is what the provers will commit to, so it follows the program's integer semantics to
//! the letter: inputs quantized by [`crate::quant::quantize`], every product summed exactly,
//! every division by [`crate::quant::floor_div`], every non-linearity by
//! [`crate::quant::TableSpec::eval`]. A value outside a table's range or a division's quotient
//! range is an [`Error::OutOfRange`] naming the layer, the value and the range; an overflow is
//! an [`Error::Overflow`] naming the layer.

use crate::compile::{Block, Instance, Program, TensorKind};
use crate::quant::{self, dequantize};
use crate::{Error, Result};

/// The values of every tensor of a program (indexed by tensor id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// Values per tensor, row-major.
    pub values: Vec<Vec<i64>>,
}

impl Witness {
    /// The dequantized values of tensor `t`.
    pub fn dequantized(&self, program: &Program, t: usize) -> Vec<f64> {
        let bits = program.tensors[t].scale_bits;
        self.values[t]
            .iter()
            .map(|&q| dequantize(q, bits))
            .collect()
    }

    /// The graph outputs, dequantized, in graph order.
    pub fn outputs(&self, program: &Program) -> Vec<(String, Vec<f64>)> {
        program
            .outputs
            .iter()
            .map(|(name, n)| (name.clone(), self.dequantized(program, n.tensor)))
            .collect()
    }
}

/// Observed ranges, for calibration: per table and per instance (division quotients).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ranges {
    /// `[min, max]` of the inputs looked up in each table.
    pub tables: Vec<Option<(i64, i64)>>,
    /// `[min, max]` of the quotients of each DivConst instance (indexed by instance).
    pub quotients: Vec<Option<(i64, i64)>>,
}

fn widen_to(r: &mut Option<(i64, i64)>, v: i64) {
    *r = Some(match *r {
        Some((lo, hi)) => (lo.min(v), hi.max(v)),
        None => (v, v),
    });
}

/// How ranges are treated during execution.
pub enum RangeMode<'a> {
    /// Every table input and quotient must be in its range (proving).
    Check,
    /// Ranges are recorded, not checked (calibration).
    Record(&'a mut Ranges),
    /// Nothing is checked and a value without a definition is 0 (attack tests only: a forged
    /// witness must be refused by the prover or the verifier, not here).
    Unchecked,
}

/// Run the program on float inputs (one flat vector per graph input), checking every range.
pub fn run(program: &Program, inputs: &[Vec<f32>]) -> Result<Witness> {
    execute(program, inputs, RangeMode::Check)
}

fn overflow(inst: &Instance, what: &str) -> Error {
    Error::Overflow {
        layer: inst.layer.clone(),
        what: what.to_string(),
    }
}

fn out_of_range(inst: &Instance, what: String, value: i64, range: Option<(i64, i64)>) -> Error {
    match range {
        Some((lo, hi)) => Error::OutOfRange {
            layer: inst.layer.clone(),
            what,
            value,
            lo,
            hi,
        },
        None => Error::InvalidArgument(format!(
            "layer {:?}: {what} has no calibrated range (run quant::calibrate first)",
            inst.layer
        )),
    }
}

/// Run the program, with ranges checked or recorded.
pub fn execute(program: &Program, inputs: &[Vec<f32>], mode: RangeMode) -> Result<Witness> {
    execute_forcing(program, inputs, mode, &mut |_, _| {})
}

/// **For the soundness tests only**: the program run with nothing checked, `force(ix, values)`
/// changing instance `ix`'s output before later instances read it. A forged value then flows
/// through every later instance as the semantics say, so the one relation it breaks is the
/// one the test means; an honest prover or verifier must refuse the result.
#[doc(hidden)]
pub fn run_forcing(
    program: &Program,
    inputs: &[Vec<f32>],
    force: &mut dyn FnMut(usize, &mut Vec<i64>),
) -> Result<Witness> {
    execute_forcing(program, inputs, RangeMode::Unchecked, force)
}

fn execute_forcing(
    program: &Program,
    inputs: &[Vec<f32>],
    mut mode: RangeMode,
    force: &mut dyn FnMut(usize, &mut Vec<i64>),
) -> Result<Witness> {
    let blocked = program.not_provable();
    if !blocked.is_empty() {
        return Err(Error::NotProvable(
            blocked
                .iter()
                .map(|l| match &l.status {
                    crate::compile::LayerStatus::NotProvable(r) => {
                        format!("{} (node {:?}): {r}", l.op, l.name)
                    }
                    _ => String::new(),
                })
                .collect(),
        ));
    }
    if inputs.len() != program.inputs.len() {
        return Err(Error::InputData(format!(
            "{} input tensors given, the model has {}",
            inputs.len(),
            program.inputs.len()
        )));
    }
    if let RangeMode::Record(r) = &mut mode {
        r.tables.resize(program.tables.len(), None);
        r.quotients.resize(program.instances.len(), None);
    }
    let mut values: Vec<Option<Vec<i64>>> = vec![None; program.tensors.len()];
    for t in &program.tensors {
        if let TensorKind::Weight { values: v } = &t.kind {
            values[t.id] = Some(v.clone());
        }
    }
    for (data, &t) in inputs.iter().zip(&program.inputs) {
        let tensor = &program.tensors[t];
        if data.len() != tensor.len() {
            return Err(Error::InputData(format!(
                "input {:?} expects {} values (shape {:?}), got {}",
                tensor.name,
                tensor.len(),
                tensor.shape,
                data.len()
            )));
        }
        // Scale 2^0 is an integer input (token ids): a fraction is an error, not rounded.
        if tensor.scale_bits == 0 {
            if let Some(v) = data.iter().find(|v| v.fract() != 0.0) {
                return Err(Error::InputData(format!(
                    "input {:?} holds integers (its ONNX type is an integer type), got {v}",
                    tensor.name
                )));
            }
        }
        let q = quant::quantize_all(data, tensor.scale_bits, &format!("input {:?}", tensor.name))
            .map_err(|e| Error::InputData(e.to_string()))?;
        values[t] = Some(q);
    }
    for (ix, inst) in program.instances.iter().enumerate() {
        let ins: Vec<&[i64]> = inst
            .inputs
            .iter()
            .map(|&t| {
                values[t].as_deref().ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "instance {ix} ({}) reads tensor {:?} before it is written",
                        inst.layer, program.tensors[t].name
                    ))
                })
            })
            .collect::<Result<_>>()?;
        let mut out = step(program, ix, inst, &ins, &mut mode)?;
        force(ix, &mut out);
        let expected = program.tensors[inst.output].len();
        if out.len() != expected {
            return Err(Error::InvalidArgument(format!(
                "instance {ix} ({}, {}) wrote {} values for a tensor of {expected}",
                inst.layer,
                inst.block.describe(),
                out.len()
            )));
        }
        values[inst.output] = Some(out);
    }
    Ok(Witness {
        values: values.into_iter().map(Option::unwrap_or_default).collect(),
    })
}

fn same_len(inst: &Instance, a: &[i64], b: &[i64]) -> Result<()> {
    if a.len() != b.len() {
        return Err(Error::InvalidArgument(format!(
            "layer {:?}: {} on tensors of {} and {} entries",
            inst.layer,
            inst.block.describe(),
            a.len(),
            b.len()
        )));
    }
    Ok(())
}

fn groups<'a>(
    inst: &Instance,
    x: &'a [i64],
    len: usize,
) -> Result<std::slice::ChunksExact<'a, i64>> {
    if len == 0 || !x.len().is_multiple_of(len) {
        return Err(Error::InvalidArgument(format!(
            "layer {:?}: {} entries are not groups of {len}",
            inst.layer,
            x.len()
        )));
    }
    Ok(x.chunks_exact(len))
}

/// One instance's output.
fn step(
    program: &Program,
    ix: usize,
    inst: &Instance,
    ins: &[&[i64]],
    mode: &mut RangeMode,
) -> Result<Vec<i64>> {
    let zip = |f: fn(i64, i64) -> Option<i64>, what: &str| -> Result<Vec<i64>> {
        same_len(inst, ins[0], ins[1])?;
        ins[0]
            .iter()
            .zip(ins[1])
            .map(|(&a, &b)| f(a, b).ok_or_else(|| overflow(inst, what)))
            .collect()
    };
    match &inst.block {
        Block::Add => zip(i64::checked_add, "addition"),
        Block::Sub => zip(i64::checked_sub, "subtraction"),
        Block::Hadamard => zip(i64::checked_mul, "entrywise product"),
        Block::ScaleConst { k } => ins[0]
            .iter()
            .map(|&a| a.checked_mul(*k).ok_or_else(|| overflow(inst, "scaling")))
            .collect(),
        Block::MatMulConst {
            inner,
            cols,
            taps: Some(_),
            ..
        } => {
            let dims = inst
                .block
                .product_dims()
                .ok_or_else(|| overflow(inst, "convolution"))?;
            if ins[0].len() != dims.x_len() || ins[1].len() != inner * cols {
                return Err(Error::InvalidArgument(format!(
                    "layer {:?}: {} on tensors of {} and {} entries",
                    inst.layer,
                    inst.block.describe(),
                    ins[0].len(),
                    ins[1].len()
                )));
            }
            crate::blocks::matmul::matmul_values(dims, ins[0], ins[1])
                .map_err(|_| overflow(inst, "convolution"))
        }
        Block::MatMulConst {
            rows, inner, cols, ..
        }
        | Block::MatMul { rows, inner, cols } => {
            let (x, w) = (ins[0], ins[1]);
            if x.len() != rows * inner || w.len() != inner * cols {
                return Err(Error::InvalidArgument(format!(
                    "layer {:?}: {} on tensors of {} and {} entries",
                    inst.layer,
                    inst.block.describe(),
                    x.len(),
                    w.len()
                )));
            }
            let mut y = vec![0i64; rows * cols];
            for r in 0..*rows {
                let xr = &x[r * inner..(r + 1) * inner];
                let yr = &mut y[r * cols..(r + 1) * cols];
                for (k, &xv) in xr.iter().enumerate() {
                    if xv == 0 {
                        continue;
                    }
                    let wr = &w[k * cols..(k + 1) * cols];
                    for (acc, &wv) in yr.iter_mut().zip(wr) {
                        *acc = xv
                            .checked_mul(wv)
                            .and_then(|p| acc.checked_add(p))
                            .ok_or_else(|| overflow(inst, "matrix product"))?;
                    }
                }
            }
            Ok(y)
        }
        Block::SumGroups { len } => groups(inst, ins[0], *len)?
            .map(|g| {
                g.iter()
                    .try_fold(0i64, |s, &v| s.checked_add(v))
                    .ok_or_else(|| overflow(inst, "sum"))
            })
            .collect(),
        Block::MaxGroups { len } => Ok(groups(inst, ins[0], *len)?
            .map(|g| g.iter().copied().max().unwrap_or(0))
            .collect()),
        Block::Lookup { table } => {
            let spec = &program.tables[*table];
            let mut out = Vec::with_capacity(ins[0].len());
            for &x in ins[0] {
                let unchecked = matches!(mode, RangeMode::Unchecked);
                if let Some(why) = spec.undefined_at(x).filter(|_| !unchecked) {
                    return Err(Error::InvalidArgument(format!(
                        "layer {:?}: {why} (value {x} at scale 2^{}): the float model's result \
                         is not finite there, so there is nothing to prove",
                        inst.layer, spec.in_bits
                    )));
                }
                match mode {
                    RangeMode::Check if !spec.contains(x) => {
                        return Err(out_of_range(
                            inst,
                            format!("input of table {table} ({})", spec.func.name()),
                            x,
                            spec.range,
                        ))
                    }
                    RangeMode::Record(r) => widen_to(&mut r.tables[*table], x),
                    _ => {}
                }
                out.push(spec.eval(x));
            }
            Ok(out)
        }
        Block::DivConst { .. } | Block::RangeCheck { .. } => {
            let (divisor, offset, range) = inst.block.division().unwrap_or((1, 0, None));
            let what = match inst.block {
                Block::RangeCheck { .. } => "value range-checked".to_string(),
                _ => format!("quotient of ⌊(x+{offset})/{divisor}⌋"),
            };
            let mut out = Vec::with_capacity(ins[0].len());
            for &x in ins[0] {
                let q = quant::floor_div(x, offset, divisor)
                    .ok_or_else(|| overflow(inst, "division"))?;
                match mode {
                    RangeMode::Check if !range.is_some_and(|(lo, hi)| lo <= q && q <= hi) => {
                        return Err(out_of_range(inst, what, q, range))
                    }
                    RangeMode::Record(r) => widen_to(&mut r.quotients[ix], q),
                    _ => {}
                }
                out.push(q);
            }
            Ok(out)
        }
        Block::Advice { func } => {
            let n = ins.first().map_or(0, |x| x.len());
            if ins.iter().any(|x| x.len() != n) {
                return Err(Error::InvalidArgument(format!(
                    "layer {:?}: advice inputs of different lengths",
                    inst.layer
                )));
            }
            (0..n)
                .map(|i| {
                    let x: Vec<i64> = ins.iter().map(|v| v[i]).collect();
                    let v = func.eval(&x);
                    if matches!(mode, RangeMode::Unchecked) {
                        return Ok(v.unwrap_or(0));
                    }
                    v.ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "layer {:?}: {} has no value at {x:?} (a square root of a negative \
                             value, or a division by a root that quantizes to 0): the float \
                             model's result is not finite there, so there is nothing to prove",
                            inst.layer,
                            func.name()
                        ))
                    })
                })
                .collect()
        }
        Block::Copy { spec } => spec
            .expand()
            .and_then(|w| w.apply(ins))
            .map_err(|e| match e {
                Error::InvalidArgument(m) => {
                    Error::InvalidArgument(format!("layer {:?}: {m}", inst.layer))
                }
                other => other,
            }),
    }
}
