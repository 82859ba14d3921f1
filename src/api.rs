//! The library calls behind `zktorch setup`, `prove` and `verify`: from files to files.
//!
//! - [`compile_model`]: load an ONNX file, compile it to a block program, calibrate its tables on
//!   the given inputs;
//! - [`setup_model`]: the model key from a calibrated program, an SRS and the owner's secret
//!   setup seed (the key is a deterministic function of the three, so the prover can rebuild it
//!   from a small cache instead of storing every key);
//! - [`prove_model`]: the proof file for one input;
//! - [`verify_proof`]: the verdict on a proof file, with an optionally pinned verifying key.

use crate::compile::{self, Program};
use crate::error::{Error, Result};
use crate::model::{self, ModelKey};
use crate::proof::{ProofFile, Tensor, VerifyingKey};
use crate::quant::{self, dequantize, QuantConfig};
use crate::srs::anchor::{SrsAnchor, Trust};
use crate::srs::Srs;
use crate::{onnx, witness};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::path::Path;

/// Loads and compiles `model` and calibrates its tables and quotient ranges on `samples` (each a
/// list of flat inputs, one per graph input; none: left uncalibrated). A model with layers that
/// cannot be proved is an [`Error::NotProvable`] naming every one ([`not_provable`], the same
/// list `inspect` prints).
pub fn compile_model(
    model: &onnx::ModelFile,
    samples: &[Vec<Vec<f32>>],
) -> Result<(onnx::LayerGraph, Program)> {
    compile_model_with(model, samples, QuantConfig::default())
}

/// [`compile_model`] at the fixed-point scales `cfg` (the user's `--scale`/`--weight-scale`).
pub fn compile_model_with(
    model: &onnx::ModelFile,
    samples: &[Vec<Vec<f32>>],
    cfg: QuantConfig,
) -> Result<(onnx::LayerGraph, Program)> {
    let graph = model.load()?;
    let mut program = compile::compile(&graph, cfg)?;
    let blocked = not_provable(&program);
    if !blocked.is_empty() {
        return Err(Error::NotProvable(blocked));
    }
    if !samples.is_empty() {
        quant::calibrate(&mut program, samples)?;
    }
    Ok((graph, program))
}

/// An input file's text and the name errors give it (its path, or what the caller calls it).
#[derive(Clone, Debug)]
pub struct InputText {
    /// Named in errors: the file's path, or e.g. "input" for data passed from Python.
    pub label: String,
    /// `{"input_data": [...], "input_shapes": [...]}` (module [`onnx::input`]).
    pub text: String,
}

impl InputText {
    /// Reads an input file (an error names it).
    pub fn read(path: &Path) -> Result<Self> {
        Ok(InputText {
            label: path.display().to_string(),
            text: std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?,
        })
    }
}

/// Fails, naming the file, when `model` cannot be opened (checked first, so a missing model is
/// the error reported even when the input files are missing too).
pub fn check_model_file(model: &Path) -> Result<()> {
    std::fs::File::open(model)
        .map(drop)
        .map_err(|e| Error::io(model, e))
}

/// The calibration inputs of a setup: those `given`, else the `MODEL.input.json` beside the
/// model if there is one (else none: a first setup then says what it needs).
pub fn calibration_texts(model: &Path, given: Vec<InputText>) -> Result<Vec<InputText>> {
    let beside = model.with_extension("input.json");
    if given.is_empty() && beside.exists() {
        return Ok(vec![InputText::read(&beside)?]);
    }
    Ok(given)
}

/// `{"label", "digest"}` of the SRS a key was made with, for the JSON summaries.
pub fn srs_json(vk: &model::ModelVerifierKey) -> serde_json::Value {
    serde_json::json!({"label": vk.srs_label, "digest": hex::encode(vk.srs_digest)})
}

/// A model opened for setup, prove or inspect: the graph with its input shapes settled and the
/// input files parsed against it.
#[derive(Clone, Debug)]
pub struct OpenedModel {
    /// The model file with every input's resolved shape (loading it again assumes nothing).
    pub model: onnx::ModelFile,
    /// The graph; [`onnx::LayerGraph::assumed`] says what was assumed (print it).
    pub graph: onnx::LayerGraph,
    /// One sample per input text, in order: one flat vector per graph input.
    pub samples: Vec<Vec<Vec<f32>>>,
}

/// Opens `model` for the input texts `inputs`: shapes from `given` (a flag, a Python argument)
/// and the texts' `"input_shapes"` (conflicts are errors naming both sources), else as the
/// model declares them with a symbolic leading dimension taken as batch 1; then each text
/// parsed against the graph's inputs (errors name the text's label).
pub fn open_model(
    model: &Path,
    given: &onnx::InputShapes,
    inputs: &[InputText],
) -> Result<OpenedModel> {
    let mut shapes = given.clone();
    for t in inputs {
        shapes.give_input_json(&t.text, &t.label)?;
    }
    let graph = onnx::load_with_shapes(model, &shapes)?;
    let samples = inputs
        .iter()
        .map(|t| {
            onnx::parse_input_json(&t.text, &graph.inputs).map_err(|e| match e {
                Error::InputData(m) if graph.assumed.is_empty() => {
                    Error::InputData(format!("{}: {m}", t.label))
                }
                Error::InputData(m) => Error::InputData(format!(
                    "{}: {m} (note: {})",
                    t.label,
                    graph.assumed.join("; ")
                )),
                other => other,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Shapes given or assumed are kept (resolved), so later loads and hints repeat them.
    let model = if shapes.is_empty() && graph.assumed.is_empty() {
        onnx::ModelFile::new(model)
    } else {
        onnx::ModelFile::with_shapes(model, onnx::InputShapes::resolved(&graph.inputs))
    };
    Ok(OpenedModel {
        model,
        graph,
        samples,
    })
}

/// Every layer of `program` that cannot be proved, as `Op (node "name"): reason`.
pub fn not_provable(program: &Program) -> Vec<String> {
    program
        .not_provable()
        .iter()
        .filter_map(|l| match &l.status {
            compile::LayerStatus::NotProvable(r) => {
                Some(format!("{} (node {:?}): {r}", l.op, l.name))
            }
            _ => None,
        })
        .collect()
}

/// Copies the calibrated ranges (tables, quotients) of `from` into `to`, which must be the same
/// program (same model, same compiler): the prover's way to reuse the ranges fixed at setup.
pub fn apply_ranges(to: &mut Program, from: &Program) -> Result<()> {
    let same = to.tables.len() == from.tables.len()
        && to.instances.len() == from.instances.len()
        && to
            .instances
            .iter()
            .zip(&from.instances)
            .all(|(a, b)| a.block.class() == b.block.class() && a.inputs == b.inputs);
    if !same {
        return Err(Error::InvalidArgument(
            "the model does not match the one the cached setup was made for".into(),
        ));
    }
    for (a, b) in to.tables.iter_mut().zip(&from.tables) {
        a.range = b.range;
    }
    for (a, b) in to.instances.iter_mut().zip(&from.instances) {
        if let (Some(range), Some((_, _, r))) = (a.block.range_mut(), b.block.division()) {
            *range = r;
        }
    }
    Ok(())
}

/// The SRS power the program needs on `calibration`'s witness (and the plan behind it).
pub fn plan_model(program: &Program, calibration: &[Vec<f32>]) -> Result<model::Plan> {
    // A malformed program is an error before the witness indexes its tensors (audit).
    program
        .check_dataflow()
        .map_err(|e| Error::InvalidArgument(format!("malformed program: {e}")))?;
    let w = witness::run(program, calibration)?;
    model::plan(program, &w)
}

/// Setup: the model key, deterministic in (program, plan, SRS, seed). The seed is the model
/// owner's secret: it determines the masks that hide the weights in the verifying key.
pub fn setup_model(
    srs: &Srs,
    program: &Program,
    plan: &model::Plan,
    seed: [u8; 32],
) -> Result<ModelKey> {
    model::setup(srs, program, plan, &mut ChaCha20Rng::from_seed(seed))
}

/// The key a cached setup made, rebuilt from (program, plan, SRS, seed) with the key proof taken
/// from its cached key file (the warm path: no key proof recomputed); fails unless the rebuilt
/// key is exactly `cached`.
pub fn rebuild_model(
    srs: &Srs,
    program: &Program,
    plan: &model::Plan,
    seed: [u8; 32],
    cached: &VerifyingKey,
) -> Result<ModelKey> {
    model::rebuild(
        srs,
        program,
        plan,
        &mut ChaCha20Rng::from_seed(seed),
        cached,
    )
}

/// What a proof says: the model digest, the public inputs (and their digest) and outputs
/// (name, shape, dequantized values), and for a verified proof the SRS it was accepted by.
#[derive(Clone, Debug)]
pub struct Statement {
    /// The verifying key's digest.
    pub model_digest: [u8; 32],
    /// Digest of the quantized public inputs ([`input_digest`]).
    pub input_digest: [u8; 32],
    /// Graph inputs: ONNX name, shape, values.
    pub inputs: Vec<(String, Vec<usize>, Vec<f64>)>,
    /// Graph outputs: ONNX name, shape, values.
    pub outputs: Vec<(String, Vec<usize>, Vec<f64>)>,
    /// The trust anchor the key's SRS was accepted by (after verification).
    pub srs: Option<SrsAnchor>,
}

impl Statement {
    /// The statement as JSON (`zktorch/statement/v1`): digests, inputs and outputs with their
    /// names, shapes and real values, and the SRS it was accepted by (after verification).
    pub fn to_json(&self) -> serde_json::Value {
        let tensors = |ts: &[(String, Vec<usize>, Vec<f64>)]| -> Vec<serde_json::Value> {
            ts.iter()
                .map(|(name, shape, values)| {
                    serde_json::json!({"name": name, "shape": shape, "values": values})
                })
                .collect()
        };
        serde_json::json!({
            "schema": "zktorch/statement/v1",
            "model_digest": hex::encode(self.model_digest),
            "input_digest": hex::encode(self.input_digest),
            "inputs": tensors(&self.inputs),
            "outputs": tensors(&self.outputs),
            "srs": self.srs.as_ref().map(|a| serde_json::json!({
                "label": a.label,
                "kind": format!("{:?}", a.kind),
                "describe": a.describe(),
            })),
        })
    }
}

/// BLAKE2b-512 (first 32 bytes) of `zktorch/input/v1` and the quantized public inputs, each
/// as its length and little-endian values: what `prove` and `verify` print so a user can tell
/// which input a proof is about.
pub fn input_digest(inputs: &[Vec<i64>]) -> [u8; 32] {
    use blake2::{Blake2b512, Digest};
    let mut h = Blake2b512::new();
    h.update(b"zktorch/input/v1");
    for v in inputs {
        h.update((v.len() as u64).to_le_bytes());
        for x in v {
            h.update(x.to_le_bytes());
        }
    }
    let mut d = [0u8; 32];
    d.copy_from_slice(&h.finalize()[..32]);
    d
}

fn named_values(
    program: &Program,
    t: usize,
    name: &str,
    shape: &[usize],
    v: &[i64],
) -> (String, Vec<usize>, Vec<f64>) {
    let bits = program.tensors[t].scale_bits;
    (
        name.to_string(),
        shape.to_vec(),
        v.iter().map(|&q| dequantize(q, bits)).collect(),
    )
}

fn statement(
    program: &Program,
    digest: [u8; 32],
    inputs: &[Vec<i64>],
    outputs: &[Vec<i64>],
) -> Statement {
    Statement {
        model_digest: digest,
        input_digest: input_digest(inputs),
        inputs: program
            .inputs
            .iter()
            .zip(inputs)
            .map(|(&t, v)| {
                let tensor = &program.tensors[t];
                named_values(program, t, &tensor.name, &tensor.shape, v)
            })
            .collect(),
        outputs: program
            .outputs
            .iter()
            .zip(outputs)
            .map(|((name, n), v)| named_values(program, n.tensor, name, &n.shape, v))
            .collect(),
        srs: None,
    }
}

fn to_u64s(shape: &[usize]) -> Vec<u64> {
    shape.iter().map(|&d| d as u64).collect()
}

/// Proves the model on `inputs`: the proof file (with the verifying key embedded when
/// `embed_vk`) and what it states.
pub fn prove_model(
    key: &ModelKey,
    inputs: &[Vec<f32>],
    embed_vk: bool,
) -> Result<(ProofFile, Statement)> {
    prove_model_with_progress(key, inputs, embed_vk, &mut |_, _| {})
}

/// [`prove_model`] reporting `progress(done, total)` steps.
pub fn prove_model_with_progress(
    key: &ModelKey,
    inputs: &[Vec<f32>],
    embed_vk: bool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(ProofFile, Statement)> {
    let mut rng = ChaCha20Rng::from_entropy();
    let (w, proof) = model::prove_with_progress(key, inputs, &mut rng, progress)?;
    let program = &key.program;
    let tensor = |t: usize, shape: &[usize]| Tensor::new(to_u64s(shape), w.values[t].clone());
    let inputs: Vec<Tensor> = program
        .inputs
        .iter()
        .map(|&t| tensor(t, &program.tensors[t].shape))
        .collect::<Result<_>>()?;
    let outputs: Vec<Tensor> = program
        .outputs
        .iter()
        .map(|(_, n)| tensor(n.tensor, &n.shape))
        .collect::<Result<_>>()?;
    let (g1, scalars) = model::proof_parts(&proof);
    let in_values: Vec<Vec<i64>> = inputs.iter().map(|t| t.data.clone()).collect();
    let out_values: Vec<Vec<i64>> = outputs.iter().map(|t| t.data.clone()).collect();
    let file = ProofFile {
        vk_digest: key.vk.digest,
        vk: embed_vk.then(|| key.vk_file.clone()),
        inputs,
        outputs,
        g1,
        g2: Vec::new(),
        scalars,
    };
    Ok((
        file,
        statement(program, key.vk.digest, &in_values, &out_values),
    ))
}

/// Verifies a proof file. With `pinned`, the proof must be for that key (its digest is compared
/// before anything else); otherwise the embedded key is used. Either way the key is checked
/// first ([`model::check_key`]): its SRS must be one `trust` accepts, and every public column
/// must be what its architecture says. `Ok` carries what the proof states; `Error::Verification`
/// means invalid; other errors mean the files are unusable.
pub fn verify_proof(
    file: &ProofFile,
    pinned: Option<&VerifyingKey>,
    trust: &Trust,
) -> Result<Statement> {
    let checked = model::check_key(proof_key(file, pinned)?, trust)?;
    verify_proof_checked(file, &checked)
}

/// The key a proof is verified against: `pinned` (whose digest must be the one the proof names),
/// else the key embedded in the proof.
pub fn proof_key<'a>(
    file: &'a ProofFile,
    pinned: Option<&'a VerifyingKey>,
) -> Result<&'a VerifyingKey> {
    Ok(match (pinned, &file.vk) {
        (Some(vk), _) => {
            if vk.digest() != file.vk_digest {
                return Err(Error::Verification(format!(
                    "the proof is for model {}, not for the pinned key {}",
                    hex::encode(file.vk_digest),
                    hex::encode(vk.digest())
                )));
            }
            vk
        }
        (None, Some(vk)) => vk,
        (None, None) => {
            return Err(Error::InvalidArgument(
                "the proof carries no verifying key: pass the model's key with --vk".into(),
            ))
        }
    })
}

/// Verifies a proof file against a key already checked ([`model::check_key`], or a recorded
/// verdict, [`crate::workspace::Workspace::check_key`]); the key must be the proof's.
pub fn verify_proof_checked(file: &ProofFile, checked: &model::CheckedKey) -> Result<Statement> {
    let vk = checked.vk();
    if vk.digest != file.vk_digest {
        return Err(Error::Verification(format!(
            "the proof is for model {}, not for the key {}",
            hex::encode(file.vk_digest),
            hex::encode(vk.digest)
        )));
    }
    let program = &vk.program;
    let shapes_match = |tensors: &[Tensor], expected: Vec<Vec<usize>>| {
        tensors.len() == expected.len()
            && tensors
                .iter()
                .zip(&expected)
                .all(|(t, s)| t.shape == to_u64s(s))
    };
    let input_shapes = program
        .inputs
        .iter()
        .map(|&t| program.tensors[t].shape.clone())
        .collect();
    let output_shapes = program
        .outputs
        .iter()
        .map(|(_, n)| n.shape.clone())
        .collect();
    if !shapes_match(&file.inputs, input_shapes) || !shapes_match(&file.outputs, output_shapes) {
        return Err(Error::Verification(
            "the proof's public tensors do not have the model's shapes".into(),
        ));
    }
    if !file.g2.is_empty() {
        return Err(Error::Verification(
            "unexpected G2 elements in the proof".into(),
        ));
    }
    let proof = model::proof_from_parts(vk, &file.g1, &file.scalars)?;
    let public: Vec<Vec<i64>> = file
        .inputs
        .iter()
        .chain(&file.outputs)
        .map(|t| t.data.clone())
        .collect();
    model::verify(checked, &public, &proof)?;
    let inputs: Vec<Vec<i64>> = file.inputs.iter().map(|t| t.data.clone()).collect();
    let outputs: Vec<Vec<i64>> = file.outputs.iter().map(|t| t.data.clone()).collect();
    let mut s = statement(program, vk.digest, &inputs, &outputs);
    s.srs = Some(checked.anchor().clone());
    Ok(s)
}

/// Checks that a proof is about `expected` (floats, one flat vector per graph input, as read
/// from an input file): quantized with the key's own input scales, they must equal the proof's
/// public inputs exactly. An `Error::Verification` names the first input that differs.
pub fn check_inputs(file: &ProofFile, vk: &VerifyingKey, expected: &[Vec<f32>]) -> Result<()> {
    let vk = model::vk_from_file(vk)?;
    let p = &vk.program;
    let tensors = p
        .inputs
        .iter()
        .map(|&t| (p.tensors[t].name.clone(), p.tensors[t].scale_bits))
        .collect();
    let expected: Vec<Vec<f64>> = expected
        .iter()
        .map(|v| v.iter().map(|&x| f64::from(x)).collect())
        .collect();
    check_stated("input", tensors, &expected, &file.inputs)
}

/// Checks that a proof states `expected` (one list of real values per graph output, e.g. from
/// `prove --output-json`): quantized with the key's output scales, they must equal the proof's
/// public outputs exactly.
pub fn check_outputs(file: &ProofFile, vk: &VerifyingKey, expected: &[Vec<f64>]) -> Result<()> {
    let vk = model::vk_from_file(vk)?;
    let p = &vk.program;
    let tensors = p
        .outputs
        .iter()
        .map(|(name, o)| (name.clone(), p.tensors[o.tensor].scale_bits))
        .collect();
    check_stated("output", tensors, expected, &file.outputs)
}

/// The stated public tensors of one kind (`what`: input or output) against expected real
/// values, each quantized at its tensor's scale: equal, or an `Error::Verification` naming the
/// first tensor (and entry) that differs.
fn check_stated(
    what: &str,
    tensors: Vec<(String, u32)>,
    expected: &[Vec<f64>],
    stated: &[Tensor],
) -> Result<()> {
    if expected.len() != tensors.len() || stated.len() != tensors.len() {
        return Err(Error::Verification(format!(
            "the model has {} {what}s, {} are expected",
            tensors.len(),
            expected.len()
        )));
    }
    for (((name, bits), e), stated) in tensors.iter().zip(expected).zip(stated) {
        let q = e
            .iter()
            .map(|&v| quant::quantize(v, *bits, &format!("{what} {name:?}")))
            .collect::<Result<Vec<i64>>>()?;
        if q != stated.data {
            let at = q.iter().zip(&stated.data).position(|(a, b)| a != b);
            let which = if what == "input" {
                "the proof is about another input"
            } else {
                "the proof states other outputs"
            };
            return Err(Error::Verification(format!(
                "{which}: {name:?} differs{}",
                at.map(|i| format!(" at index {i}"))
                    .unwrap_or_else(|| " in length".into())
            )));
        }
    }
    Ok(())
}

/// The graph inputs of a verifying key's architecture (names and shapes), to read an input
/// file against it.
pub fn key_inputs(vk: &VerifyingKey) -> Result<Vec<onnx::ValueInfo>> {
    let vk = model::vk_from_file(vk)?;
    Ok(vk
        .program
        .inputs
        .iter()
        .map(|&t| onnx::ValueInfo {
            name: vk.program.tensors[t].name.clone(),
            shape: vk.program.tensors[t].shape.clone(),
        })
        .collect())
}
