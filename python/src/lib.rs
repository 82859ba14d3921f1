//! `zktorch._native`: the Python package's door into the library. Every function is a thin
//! shell over `zktorch::workspace` / `zktorch::api` / `zktorch::inspect` — the same calls the
//! CLI makes — taking paths, JSON texts and bytes, returning JSON texts and bytes; the pure
//! Python layer (`zktorch/__init__.py`) turns them into arrays and dataclasses. Proving and
//! verifying run with the GIL released.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use zktorch::api::InputText;
use zktorch::proof::{ProofFile, VerifyingKey};
use zktorch::quant::QuantConfig;
use zktorch::workspace::{ProveHooks, ProveRequest, Stages, Workspace};
use zktorch::{api, onnx, Error};

create_exception!(
    _native,
    ZkTorchError,
    PyException,
    "Every zktorch error (the message is the CLI's)."
);
create_exception!(
    _native,
    InvalidProofError,
    ZkTorchError,
    "The proof (or its key) was checked and is invalid (the CLI's exit code 1)."
);
create_exception!(
    _native,
    InputError,
    ZkTorchError,
    "Unusable input: a bad file, argument or model (the CLI's exit code 2)."
);
create_exception!(
    _native,
    NotProvableError,
    InputError,
    "The model has layers zktorch cannot prove yet; the message names each."
);
create_exception!(
    _native,
    OutOfRangeError,
    InputError,
    "A value left the range the model was calibrated on; the message says how to recalibrate."
);
create_exception!(
    _native,
    FileError,
    InputError,
    "A file could not be read or written, or is not in zktorch's format."
);

fn to_py(e: Error) -> PyErr {
    let msg = e.to_string();
    let inner = match &e {
        Error::WithHint { error, .. } => error.as_ref(),
        other => other,
    };
    match inner {
        Error::Verification(_) => InvalidProofError::new_err(msg),
        Error::NotProvable(_) | Error::UnsupportedOps { .. } => NotProvableError::new_err(msg),
        Error::OutOfRange { .. } => OutOfRangeError::new_err(msg),
        Error::Io { .. } | Error::Malformed { .. } | Error::Ptau(_) => FileError::new_err(msg),
        _ => InputError::new_err(msg),
    }
}

fn workspace(srs_dir: Option<PathBuf>, cache_dir: Option<PathBuf>) -> Workspace {
    let ws = Workspace::default_dirs();
    let ws = match cache_dir {
        Some(c) => Workspace::new(ws.srs_store().dir().to_path_buf(), c),
        None => ws,
    };
    match srs_dir {
        Some(d) => ws.with_srs_dir(d),
        None => ws,
    }
}

/// Shapes given from Python (`input_shapes=`: a JSON object by input name, or a list in input
/// order).
fn given_shapes(json_text: Option<&str>) -> zktorch::Result<onnx::InputShapes> {
    let mut s = onnx::InputShapes::new();
    if let Some(t) = json_text {
        serde_json::from_str::<Value>(t)
            .map_err(|e| Error::InvalidArgument(format!("input_shapes= is not JSON: {e}")))?;
        s.give_input_json(&format!("{{\"input_shapes\": {t}}}"), "input_shapes=")?;
    }
    Ok(s)
}

/// [`api::open_model`] with the shapes given from Python.
fn open(
    model: &Path,
    shapes: Option<&str>,
    texts: &[InputText],
) -> zktorch::Result<api::OpenedModel> {
    api::open_model(model, &given_shapes(shapes)?, texts)
}

/// Input texts passed from Python, labelled `label[i]` in errors.
fn labelled(label: &str, texts: Vec<String>) -> Vec<InputText> {
    texts
        .into_iter()
        .enumerate()
        .map(|(i, text)| InputText {
            label: format!("{label}[{i}]"),
            text,
        })
        .collect()
}

/// Sets `model` up once (calibrated on the given input JSON texts) and optionally writes its
/// verifying key; returns a JSON summary.
#[pyfunction]
#[pyo3(signature = (model, calibration, output=None, force=false, input_shapes=None, srs_dir=None, cache_dir=None, scale=None, weight_scale=None))]
#[allow(clippy::too_many_arguments)] // one per keyword argument
fn setup(
    py: Python<'_>,
    model: PathBuf,
    calibration: Vec<String>,
    output: Option<PathBuf>,
    force: bool,
    input_shapes: Option<String>,
    srs_dir: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    scale: Option<u32>,
    weight_scale: Option<u32>,
) -> PyResult<String> {
    py.detach(move || -> zktorch::Result<String> {
        let ws =
            workspace(srs_dir, cache_dir).with_quant(QuantConfig::with_bits(scale, weight_scale)?);
        if let Some(out) = &output {
            zktorch::fsx::check_output(out, &[model.as_path()])?;
        }
        let calibrate = !calibration.is_empty();
        let texts = api::calibration_texts(&model, labelled("calibration", calibration))?;
        let opened = open(&model, input_shapes.as_deref(), &texts)?;
        if let Some(out) = &output {
            ws.check_publish(&opened.model, out, force)?;
        }
        let mut stages = Stages::default();
        let prepared = ws.setup(
            &opened.model,
            &opened.samples,
            calibrate,
            force,
            &mut stages,
            &mut |_| {},
        )?;
        if let Some(out) = &output {
            ws.publish_key(&prepared.key, out, force)?;
        }
        let vk = &prepared.key.vk;
        Ok(json!({
            "model_digest": hex::encode(vk.digest),
            "key_source": prepared.source.as_str(),
            "key_file": prepared.entry.join("model.vk").display().to_string(),
            "srs": api::srs_json(vk),
            "log_domain": prepared.key.plan.log_n,
            "srs_power": prepared.key.plan.srs_power,
            "replaced": prepared.replaced.as_ref().map(|(d, p)| json!({
                "digest": hex::encode(d), "kept_at": p.display().to_string()
            })),
            "stages_s": stages.to_json(),
            "assumed_shapes": opened.graph.assumed,
        })
        .to_string())
    })
    .map_err(to_py)
}

/// Proves `model` on the input (JSON text); returns `(proof bytes, JSON summary)`.
#[pyfunction]
#[pyo3(signature = (model, input, calibration=Vec::new(), embed_vk=true, input_shapes=None, srs_dir=None, cache_dir=None, scale=None, weight_scale=None))]
#[allow(clippy::too_many_arguments)] // one per keyword argument
fn prove<'py>(
    py: Python<'py>,
    model: PathBuf,
    input: String,
    calibration: Vec<String>,
    embed_vk: bool,
    input_shapes: Option<String>,
    srs_dir: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    scale: Option<u32>,
    weight_scale: Option<u32>,
) -> PyResult<(Bound<'py, PyBytes>, String)> {
    let (bytes, summary) = py
        .detach(move || -> zktorch::Result<(Vec<u8>, String)> {
            let ws = workspace(srs_dir, cache_dir)
                .with_quant(QuantConfig::with_bits(scale, weight_scale)?);
            let mut texts = vec![InputText {
                label: "input".into(),
                text: input,
            }];
            texts.extend(labelled("calibration", calibration));
            let opened = open(&model, input_shapes.as_deref(), &texts)?;
            let mut samples = opened.samples.into_iter();
            let inputs = samples.next().unwrap_or_default();
            let calibration: Vec<_> = samples.collect();
            let mut stages = Stages::default();
            let t = std::time::Instant::now();
            let request = ProveRequest {
                inputs,
                calibration,
                embed_vk,
            };
            let proved = ws.prove(
                &opened.model,
                &request,
                &mut stages,
                &mut ProveHooks {
                    progress: &mut |_, _| {},
                    on_setup: &mut |_| {},
                },
            )?;
            let vk = &proved.prepared.key.vk;
            let summary = json!({
                "statement": proved.statement.to_json(),
                "key_source": proved.prepared.source.as_str(),
                "key_file": proved.prepared.entry.join("model.vk").display().to_string(),
                "srs": api::srs_json(vk),
                "stages_s": stages.to_json(),
                "total_s": t.elapsed().as_secs_f64(),
                "peak_rss_bytes": zktorch::workspace::peak_rss_bytes(),
                "assumed_shapes": opened.graph.assumed,
            });
            Ok((proved.file.to_bytes(), summary.to_string()))
        })
        .map_err(to_py)?;
    Ok((PyBytes::new(py, &bytes), summary))
}

/// Verifies a proof (bytes); returns the JSON statement, or raises `InvalidProofError`.
#[pyfunction]
#[pyo3(signature = (proof, vk=None, input=None, expected_outputs=None, require_ceremony=false, max_domain_log=None, srs_dir=None, cache_dir=None))]
#[allow(clippy::too_many_arguments)] // one per keyword argument
fn verify(
    py: Python<'_>,
    proof: Bound<'_, PyBytes>,
    vk: Option<Bound<'_, PyBytes>>,
    input: Option<String>,
    expected_outputs: Option<Vec<Vec<f64>>>,
    require_ceremony: bool,
    max_domain_log: Option<u32>,
    srs_dir: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
) -> PyResult<String> {
    let proof = proof.as_bytes().to_vec();
    let vk = vk.map(|v| v.as_bytes().to_vec());
    py.detach(move || -> zktorch::Result<String> {
        let ws = workspace(srs_dir, cache_dir);
        let file = ProofFile::from_bytes(&proof)?;
        let pinned = vk.as_deref().map(VerifyingKey::from_bytes).transpose()?;
        let key = api::proof_key(&file, pinned.as_ref())?;
        let expected_in = match &input {
            Some(text) => Some(onnx::parse_input_json(text, &api::key_inputs(key)?)?),
            None => None,
        };
        let mut trust = ws.trust(require_ceremony)?;
        if let Some(k) = max_domain_log {
            trust = trust.with_max_log_domain(k);
        }
        let s = ws.verify(
            &file,
            pinned.as_ref(),
            &trust,
            expected_in.as_deref(),
            expected_outputs.as_deref(),
        )?;
        Ok(s.to_json().to_string())
    })
    .map_err(to_py)
}

/// The `inspect` report (JSON) of `model`, with the quantized run on the given inputs; with a
/// calibration `target` ("resources" or "accuracy"), at the scales it chooses.
#[pyfunction]
#[pyo3(signature = (model, inputs=Vec::new(), input_shapes=None, scale=None, weight_scale=None, target=None))]
fn inspect(
    py: Python<'_>,
    model: PathBuf,
    inputs: Vec<String>,
    input_shapes: Option<String>,
    scale: Option<u32>,
    weight_scale: Option<u32>,
    target: Option<String>,
) -> PyResult<String> {
    py.detach(move || -> zktorch::Result<String> {
        let target = target
            .map(|t| t.parse::<zktorch::precision::Target>())
            .transpose()?;
        if target.is_some() && (scale.is_some() || weight_scale.is_some()) {
            return Err(Error::InvalidArgument(
                "a calibration target chooses the scales: give target or scale/weight_scale, not both".into(),
            ));
        }
        let cfg = QuantConfig::with_bits(scale, weight_scale)?;
        let opened = open(&model, input_shapes.as_deref(), &labelled("input", inputs))?;
        let report = zktorch::inspect::inspect_for(
            &opened.model,
            &opened.samples,
            cfg,
            target,
            zktorch::workspace::default_max_memory(),
        )?;
        serde_json::to_string(&report).map_err(|e| Error::InvalidArgument(e.to_string()))
    })
    .map_err(to_py)
}

/// What a verifying key (bytes) states: digest, SRS, inputs, outputs (not checked).
#[pyfunction]
fn key_info(vk: Bound<'_, PyBytes>) -> PyResult<String> {
    let file = VerifyingKey::from_bytes(vk.as_bytes()).map_err(to_py)?;
    let m = zktorch::model::vk_from_file(&file).map_err(to_py)?;
    let p = &m.program;
    Ok(json!({
        "model_digest": hex::encode(m.digest),
        "srs": api::srs_json(&m),
        "log_domain": m.log_n,
        "inputs": p.inputs.iter().map(|&t| json!({"name": p.tensors[t].name, "shape": p.tensors[t].shape})).collect::<Vec<_>>(),
        "outputs": p.outputs.iter().map(|(n, o)| json!({"name": n, "shape": o.shape})).collect::<Vec<_>>(),
    })
    .to_string())
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ZkTorchError", py.get_type::<ZkTorchError>())?;
    m.add("InvalidProofError", py.get_type::<InvalidProofError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("NotProvableError", py.get_type::<NotProvableError>())?;
    m.add("OutOfRangeError", py.get_type::<OutOfRangeError>())?;
    m.add("FileError", py.get_type::<FileError>())?;
    m.add_function(wrap_pyfunction!(setup, m)?)?;
    m.add_function(wrap_pyfunction!(prove, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(key_info, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
