//! Choosing the fixed-point scales for a calibration target (`zktorch inspect --target`), the
//! way EZKL users pick `input_scale`/`param_scale` with `calibrate-settings --target`.
//!
//! Each candidate — activation bits a from [`ACTIVATION_BITS`], weight bits `min(a + 4, 16)` —
//! is compiled, calibrated on the samples, run exactly and planned; its error is the largest
//! relative error of any output on any sample (issue #13's measure, against the float model run
//! once per sample) and its cost the plan's SRS power and memory estimate.
//!
//! - `resources`: the cheapest candidate (SRS power, then memory, then bits) whose every output
//!   is within [`TOLERANCE`] of the float model and whose classes agree except at float ties;
//!   the most accurate one if none is.
//! - `accuracy`: the most accurate candidate whose plan fits this machine's memory (its
//!   estimate at most `max_memory` when given) and the SRS limits, the cheaper one on a tie.
//!
//! Global scales only: per-layer scales are not chosen yet (docs/DESIGN.md, "Precision users
//! choose").

use crate::compile;
use crate::inspect::{sample_accuracy, SampleAccuracy};
use crate::onnx;
use crate::quant::{self, QuantConfig};
use crate::{api, witness, Error, Result};
use serde::Serialize;

/// The activation scales tried.
pub const ACTIVATION_BITS: std::ops::RangeInclusive<u32> = 6..=12;

/// The relative error `resources` accepts (issue #13's bound).
pub const TOLERANCE: f64 = 0.01;

/// What to optimise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The least proving cost within the tolerance.
    Resources,
    /// The least error that fits.
    Accuracy,
}

impl Target {
    /// The name the CLI takes and prints.
    pub fn name(self) -> &'static str {
        match self {
            Target::Resources => "resources",
            Target::Accuracy => "accuracy",
        }
    }
}

impl std::str::FromStr for Target {
    type Err = Error;
    fn from_str(s: &str) -> Result<Target> {
        match s {
            "resources" => Ok(Target::Resources),
            "accuracy" => Ok(Target::Accuracy),
            other => Err(Error::InvalidArgument(format!(
                "calibration target {other:?}: use \"resources\" or \"accuracy\""
            ))),
        }
    }
}

/// One candidate's measurements.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    /// Activation scale bits.
    pub activation_bits: u32,
    /// Weight scale bits.
    pub weight_bits: u32,
    /// Largest relative error of any output on any sample (None: the run failed).
    pub max_relative_error: Option<f64>,
    /// Whether every class agrees (argmax rows, float ties excepted).
    pub classes_agree: bool,
    /// The plan's SRS power.
    pub srs_power: Option<u32>,
    /// The plan's estimated peak memory, bytes.
    pub memory_estimate: Option<u64>,
    /// Why the candidate could not be measured, if it could not.
    pub error: Option<String>,
}

impl Candidate {
    fn within(&self) -> bool {
        self.classes_agree && self.max_relative_error.is_some_and(|e| e <= TOLERANCE)
    }

    fn cost(&self) -> (u32, u64, u32) {
        (
            self.srs_power.unwrap_or(u32::MAX),
            self.memory_estimate.unwrap_or(u64::MAX),
            self.activation_bits,
        )
    }
}

/// The search's result.
#[derive(Clone, Debug, Serialize)]
pub struct Recommendation {
    /// The target.
    pub target: Target,
    /// The chosen `(activation, weight)` bits, if any candidate ran.
    pub chosen: Option<(u32, u32)>,
    /// Every candidate, in order of activation bits.
    pub candidates: Vec<Candidate>,
}

/// Measures every candidate on `samples` (one or more inputs) and chooses one for `target`.
pub fn recommend(
    model: &onnx::ModelFile,
    samples: &[Vec<Vec<f32>>],
    target: Target,
    max_memory: Option<u64>,
) -> Result<Recommendation> {
    if samples.is_empty() {
        return Err(Error::InvalidArgument(
            "a calibration target needs an input (and optionally --calibration files)".into(),
        ));
    }
    let graph = model.load()?;
    let floats = samples
        .iter()
        .map(|s| onnx::run_float_graph(model.path(), &graph, s))
        .collect::<Result<Vec<_>>>()?;
    let candidates: Vec<Candidate> = ACTIVATION_BITS
        .map(|a| {
            let w = (a + 4).min(16);
            let mut c = Candidate {
                activation_bits: a,
                weight_bits: w,
                max_relative_error: None,
                classes_agree: false,
                srs_power: None,
                memory_estimate: None,
                error: None,
            };
            if let Err(e) = measure(&graph, samples, &floats, a, w, &mut c) {
                c.error = Some(e.to_string());
            }
            c
        })
        .collect();
    let fits = |c: &Candidate| {
        c.error.is_none()
            && c.srs_power.is_some_and(|p| p <= crate::srs::MAX_POWER)
            && max_memory.is_none_or(|m| c.memory_estimate.is_some_and(|e| e <= m))
    };
    let ran: Vec<&Candidate> = candidates.iter().filter(|c| c.error.is_none()).collect();
    let chosen = match target {
        Target::Resources => ran
            .iter()
            .filter(|c| c.within() && fits(c))
            .min_by_key(|c| c.cost())
            .copied()
            .or_else(|| most_accurate(ran.clone())),
        Target::Accuracy => most_accurate(ran.iter().copied().filter(|c| fits(c)).collect())
            .or_else(|| most_accurate(ran.clone())),
    };
    Ok(Recommendation {
        target,
        chosen: chosen.map(|c| (c.activation_bits, c.weight_bits)),
        candidates,
    })
}

/// The candidate of least error (the cheaper on a tie).
fn most_accurate(pool: Vec<&Candidate>) -> Option<&Candidate> {
    let error_of = |c: &Candidate| c.max_relative_error.unwrap_or(f64::INFINITY);
    pool.into_iter().min_by(|x, y| {
        error_of(x)
            .total_cmp(&error_of(y))
            .then(x.cost().cmp(&y.cost()))
    })
}

/// Compiles, calibrates, runs and plans one candidate.
fn measure(
    graph: &onnx::LayerGraph,
    samples: &[Vec<Vec<f32>>],
    floats: &[onnx::FloatValues],
    a: u32,
    w: u32,
    c: &mut Candidate,
) -> Result<()> {
    let cfg = QuantConfig::with_bits(Some(a), Some(w))?;
    let mut program = compile::compile(graph, cfg)?;
    if !program.not_provable().is_empty() {
        return Err(Error::InvalidArgument(
            "layers that are not provable".into(),
        ));
    }
    quant::calibrate(&mut program, samples)?;
    let mut worst = 0f64;
    let mut agree = true;
    for (i, (s, f)) in samples.iter().zip(floats).enumerate() {
        let wit = witness::run(&program, s)?;
        let acc: SampleAccuracy = sample_accuracy(&program, i, &wit, f);
        for o in &acc.outputs {
            worst = worst.max(o.relative_error);
            agree &= o.argmax_agree + o.argmax_ties >= o.argmax_rows;
        }
    }
    c.max_relative_error = Some(worst);
    c.classes_agree = agree;
    let plan = api::plan_model(&program, &samples[0])?;
    c.srs_power = Some(plan.srs_power);
    c.memory_estimate = Some(plan.memory_estimate(&program)?);
    Ok(())
}
