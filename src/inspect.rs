//! `inspect`: how a model lowers into basic blocks, whether it is provable, what its proof plan
//! is, and (given inputs) how far the quantized run is from the float one — as one serializable
//! [`Report`], which the CLI prints as text or JSON and the Python package returns as a dict.
//! The plan comes from the same function setup uses ([`crate::api::plan_model`]), so `inspect`
//! and `prove` cannot disagree on the domain or the SRS power.

use crate::compile::{self, LayerStatus, Program, TensorKind};
use crate::error::Result;
use crate::onnx;
use crate::quant::{self, report::max_abs_error, QuantConfig};
use crate::witness;
use serde::Serialize;

/// One ONNX layer as it lowered.
#[derive(Clone, Debug, Serialize)]
pub struct LayerRow {
    /// Node name.
    pub name: String,
    /// ONNX op type.
    pub op: String,
    /// Its first output.
    pub output: String,
    /// That output's shape.
    pub output_shape: Vec<usize>,
    /// Scale bits of the output.
    pub scale_bits: Option<u32>,
    /// Block instances it produced.
    pub instances: usize,
    /// What became of it, in words.
    pub status: String,
}

/// Instances of one block class.
#[derive(Clone, Debug, Serialize)]
pub struct BlockRow {
    /// The class.
    pub class: String,
    /// How many instances.
    pub instances: usize,
    /// Whether the class has a prover.
    pub prover: bool,
}

/// Entries per kind of tensor.
#[derive(Clone, Debug, Serialize)]
pub struct Entries {
    /// Graph inputs.
    pub input: usize,
    /// Constants.
    pub weight: usize,
    /// Activations and outputs.
    pub activation: usize,
    /// The largest tensor.
    pub largest: usize,
}

/// The proof plan, as setup makes it.
#[derive(Clone, Debug, Serialize)]
pub struct PlanRow {
    /// log2 of the largest segment's domain.
    pub log_domain: u32,
    /// The SRS power proving needs.
    pub srs_power: u32,
    /// The segments: (first instance, one past the last, log2 of the domain).
    pub segments: Vec<(usize, usize, u32)>,
    /// Estimated peak memory of setup and prove, bytes.
    pub memory_estimate: u64,
}

/// One graph output: quantized against float.
#[derive(Clone, Debug, Serialize)]
pub struct OutputRow {
    /// ONNX name.
    pub name: String,
    /// Dequantized values of the exact integer run.
    pub quantized: Vec<f64>,
    /// tract's float run.
    pub float: Vec<f32>,
    /// `max |quantized − float|`.
    pub max_abs_error: f64,
}

/// One sample's accuracy: for each graph output, the error against float and how often the
/// class (the argmax over the last axis) agrees.
#[derive(Clone, Debug, Serialize)]
pub struct SampleAccuracy {
    /// 0 for the input, then the calibration files in order.
    pub sample: usize,
    /// One row per graph output.
    pub outputs: Vec<OutputAccuracy>,
}

/// One graph output's accuracy on one sample.
#[derive(Clone, Debug, Serialize)]
pub struct OutputAccuracy {
    /// ONNX name.
    pub name: String,
    /// `max |quantized − float|`.
    pub max_abs_error: f64,
    /// `max_abs_error / max(1, max |float|)` (the error issue #13 bounds at 1%).
    pub relative_error: f64,
    /// Rows (entries of the last axis, when it has more than one) whose argmax agrees.
    pub argmax_agree: usize,
    /// Rows compared.
    pub argmax_rows: usize,
    /// Of the rows that disagree, those whose float top two are within one activation step
    /// (a tie at this precision).
    pub argmax_ties: usize,
}

/// One layer's error against float.
#[derive(Clone, Debug, Serialize)]
pub struct LayerError {
    /// Node name.
    pub layer: String,
    /// ONNX op.
    pub op: String,
    /// `max |dequantized − float|`.
    pub max_abs_error: f64,
    /// `max |float|`.
    pub max_abs_float: f64,
}

/// Everything `inspect` reports (its JSON is the CLI's `--json` output).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// `zktorch/inspect/v1`.
    pub schema: &'static str,
    /// The model path.
    pub model: String,
    /// Graph name.
    pub graph: String,
    /// Shapes assumed for symbolic input dimensions (batch 1), one sentence each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assumed_shapes: Vec<String>,
    /// Default-domain opset.
    pub opset: i64,
    /// Graph inputs (name, shape).
    pub inputs: Vec<(String, Vec<usize>)>,
    /// Graph outputs (name, shape).
    pub outputs_shapes: Vec<(String, Vec<usize>)>,
    /// Activation scale bits.
    pub activation_bits: u32,
    /// Weight scale bits.
    pub weight_bits: u32,
    /// Every layer.
    pub layers: Vec<LayerRow>,
    /// Tensors of the block program.
    pub tensors: usize,
    /// Instances of the block program.
    pub instances: usize,
    /// Instances per class.
    pub blocks: Vec<BlockRow>,
    /// Lookup tables, described.
    pub tables: Vec<String>,
    /// Entries per kind.
    pub tensor_entries: Entries,
    /// The largest per-instance domain (an estimate of the SRS power without calibration).
    pub srs_power_estimate: u32,
    /// The exact plan (with inputs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanRow>,
    /// Whether the model can be proved (every layer lowers and, with inputs, the plan exists).
    pub provable: bool,
    /// Layers that cannot be proved.
    pub not_provable: Vec<String>,
    /// Graph outputs against float (with inputs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<OutputRow>>,
    /// Per-layer errors against float (with inputs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_errors: Option<Vec<LayerError>>,
    /// Per sample (the input, then every calibration file): error and class agreement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<Vec<SampleAccuracy>>,
    /// With `--target`: every candidate scale measured and the one chosen.
    pub precision: Option<crate::precision::Recommendation>,
    /// Why the quantized run or the plan failed (with inputs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn status(s: &LayerStatus) -> String {
    match s {
        LayerStatus::Lowered => "lowered".into(),
        LayerStatus::Alias => "view (no block)".into(),
        LayerStatus::ConstantFolded => "constant-folded".into(),
        LayerStatus::FusedInto(into) => format!("fused into {into}"),
        LayerStatus::NotProvable(r) => format!("NOT PROVABLE: {r}"),
    }
}

/// One sample's quantized run `w` against its float run: every output ([`SampleAccuracy`]).
pub(crate) fn sample_accuracy(
    program: &Program,
    index: usize,
    w: &witness::Witness,
    float: &onnx::FloatValues,
) -> SampleAccuracy {
    let step = 1.0 / quant::pow2(program.config.activation_bits) as f64;
    let outputs = w
        .outputs(program)
        .into_iter()
        .map(|(name, q)| {
            let (shape, f) = float.get(&name).cloned().unwrap_or_default();
            let max_abs_error = max_abs_error(&q, &f);
            let peak = f.iter().fold(1f64, |m, v| m.max(f64::from(v.abs())));
            let width = shape.last().copied().unwrap_or(1).max(1);
            let (mut agree, mut rows, mut ties) = (0, 0, 0);
            if width > 1 && q.len() == f.len() {
                for (qr, fr) in q.chunks(width).zip(f.chunks(width)) {
                    rows += 1;
                    // The first index of the maximum (ArgMax's, numpy's).
                    let arg = |v: &[f64]| (0..v.len()).rev().max_by(|&a, &b| v[a].total_cmp(&v[b]));
                    let fr: Vec<f64> = fr.iter().map(|&v| f64::from(v)).collect();
                    if arg(qr) == arg(&fr) {
                        agree += 1;
                    } else {
                        let mut top = fr.clone();
                        top.sort_by(|a, b| b.total_cmp(a));
                        ties += usize::from(top[0] - top[1] <= step);
                    }
                }
            }
            OutputAccuracy {
                name,
                max_abs_error,
                relative_error: max_abs_error / peak,
                argmax_agree: agree,
                argmax_rows: rows,
                argmax_ties: ties,
            }
        })
        .collect();
    SampleAccuracy {
        sample: index,
        outputs,
    }
}

fn entries(p: &Program) -> Entries {
    let mut e = Entries {
        input: 0,
        weight: 0,
        activation: 0,
        largest: 0,
    };
    for t in &p.tensors {
        match t.kind {
            TensorKind::Input { .. } => e.input += t.len(),
            TensorKind::Weight { .. } => e.weight += t.len(),
            TensorKind::Activation | TensorKind::Output => e.activation += t.len(),
        }
        e.largest = e.largest.max(t.len());
    }
    e
}

/// Inspects `model`; with `samples` (the first is the input compared against float, all
/// calibrate), also runs the quantized model and plans the proof. Errors of the quantized run
/// or the plan are in [`Report::error`]; only an unreadable model is an `Err`.
pub fn inspect(model: &onnx::ModelFile, samples: &[Vec<Vec<f32>>]) -> Result<Report> {
    inspect_with(model, samples, QuantConfig::default())
}

/// [`inspect_with`], or with a calibration target the scales it chooses
/// ([`precision::recommend`](crate::precision::recommend) on `samples`, plans checked against
/// `max_memory`): the report at the chosen scales (at `cfg` when none fits), with every
/// candidate in [`Report::precision`].
pub fn inspect_for(
    model: &onnx::ModelFile,
    samples: &[Vec<Vec<f32>>],
    cfg: QuantConfig,
    target: Option<crate::precision::Target>,
    max_memory: Option<u64>,
) -> Result<Report> {
    let Some(target) = target else {
        return inspect_with(model, samples, cfg);
    };
    let recommendation = crate::precision::recommend(model, samples, target, max_memory)?;
    let cfg = match recommendation.chosen {
        Some((a, w)) => QuantConfig::with_bits(Some(a), Some(w))?,
        None => cfg,
    };
    let mut report = inspect_with(model, samples, cfg)?;
    report.precision = Some(recommendation);
    Ok(report)
}

/// [`inspect`] at the fixed-point scales `cfg` (`--scale`, `--weight-scale`).
pub fn inspect_with(
    model: &onnx::ModelFile,
    samples: &[Vec<Vec<f32>>],
    cfg: QuantConfig,
) -> Result<Report> {
    let graph = model.load()?;
    let mut program = compile::compile(&graph, cfg)?;
    let not_provable = crate::api::not_provable(&program);
    let mut report = Report {
        schema: "zktorch/inspect/v1",
        model: model.path().display().to_string(),
        graph: graph.name.clone(),
        assumed_shapes: graph.assumed.clone(),
        opset: graph.opset(),
        inputs: graph
            .inputs
            .iter()
            .map(|i| (i.name.clone(), i.shape.clone()))
            .collect(),
        outputs_shapes: graph
            .outputs
            .iter()
            .map(|o| (o.name.clone(), o.shape.clone()))
            .collect(),
        activation_bits: program.config.activation_bits,
        weight_bits: program.config.weight_bits,
        layers: Vec::new(),
        tensors: 0,
        instances: 0,
        blocks: Vec::new(),
        tables: Vec::new(),
        tensor_entries: entries(&program),
        srs_power_estimate: program.srs_power().0,
        plan: None,
        provable: not_provable.is_empty(),
        not_provable,
        outputs: None,
        layer_errors: None,
        samples: None,
        precision: None,
        error: None,
    };
    if let (Some(first), true) = (samples.first(), report.provable) {
        let mut run = || -> Result<(Vec<OutputRow>, Vec<LayerError>, PlanRow)> {
            quant::calibrate(&mut program, samples)?;
            let w = witness::run(&program, first)?;
            let float = onnx::run_float_graph(model.path(), &graph, first)?;
            let mut accuracy = vec![sample_accuracy(&program, 0, &w, &float)];
            for (i, s) in samples.iter().enumerate().skip(1) {
                let ws = witness::run(&program, s)?;
                let fs = onnx::run_float_graph(model.path(), &graph, s)?;
                accuracy.push(sample_accuracy(&program, i, &ws, &fs));
            }
            report.samples = Some(accuracy);
            let outputs = w
                .outputs(&program)
                .into_iter()
                .map(|(name, q)| {
                    let f = float.get(&name).map(|(_, f)| f.clone()).unwrap_or_default();
                    let max_abs_error = max_abs_error(&q, &f);
                    OutputRow {
                        name,
                        quantized: q,
                        float: f,
                        max_abs_error,
                    }
                })
                .collect();
            let layers = quant::accuracy_report(&program, &w, &float)
                .into_iter()
                .map(|a| LayerError {
                    layer: a.layer,
                    op: a.op,
                    max_abs_error: a.max_abs_error,
                    max_abs_float: a.max_abs_float,
                })
                .collect();
            let plan = crate::api::plan_model(&program, first)?;
            Ok((
                outputs,
                layers,
                PlanRow {
                    log_domain: plan.log_n,
                    srs_power: plan.srs_power,
                    segments: plan
                        .segments
                        .iter()
                        .map(|s| (s.start, s.end, s.log_n))
                        .collect(),
                    memory_estimate: plan.memory_estimate(&program)?,
                },
            ))
        };
        match run() {
            Ok((outputs, layers, plan)) => {
                report.outputs = Some(outputs);
                report.layer_errors = Some(layers);
                report.plan = Some(plan);
            }
            Err(e) => {
                report.provable = false;
                report.error = Some(e.to_string());
            }
        }
    }
    report.layers = program
        .layers
        .iter()
        .map(|l| LayerRow {
            name: l.name.clone(),
            op: l.op.clone(),
            output: l.output.clone(),
            output_shape: l.output_shape.clone(),
            scale_bits: l.scale_bits,
            instances: l.instances.len(),
            status: status(&l.status),
        })
        .collect();
    report.tensors = program.tensors.len();
    report.instances = program.instances.len();
    report.blocks = program
        .class_counts()
        .iter()
        .map(|(c, n)| BlockRow {
            class: c.name().into(),
            instances: *n,
            prover: c.has_prover(),
        })
        .collect();
    report.tables = program.tables.iter().map(|t| t.describe()).collect();
    Ok(report)
}
