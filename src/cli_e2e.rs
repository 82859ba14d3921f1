//! `zktorch setup`, `prove`, `verify` and `key`: arguments in, the library's
//! [`zktorch::workspace`] and [`zktorch::api`] called, results printed. Every output path is
//! checked before any work and written atomically; `--json` gives machine-readable results
//! (with a schema version), written on failure too for `prove`.

use anyhow::Context;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use zktorch::api::{self, InputText, Statement};
use zktorch::fsx;
use zktorch::model;
use zktorch::proof::{ProofFile, VerifyingKey};
use zktorch::srs::anchor::Trust;
use zktorch::workspace::{KeySource, ProveHooks, ProveRequest, Proved, Stages, Workspace};
use zktorch::{onnx, Error};

/// Writes a JSON value atomically.
fn write_json(path: &Path, v: &Value) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(v)?;
    bytes.push(b'\n');
    Ok(fsx::write_atomic(path, &bytes, false)?)
}

/// A one-line progress bar on stderr (only when stderr is a terminal and the stage lasts more
/// than a moment).
struct Progress {
    label: &'static str,
    started: Instant,
    shown: bool,
    tty: bool,
}

impl Progress {
    fn new(label: &'static str) -> Self {
        use std::io::IsTerminal;
        Progress {
            label,
            started: Instant::now(),
            shown: false,
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn update(&mut self, done: usize, total: usize) {
        if !self.tty || self.started.elapsed().as_millis() < 300 {
            return;
        }
        let width = 30;
        let filled = (done * width)
            .checked_div(total)
            .unwrap_or(width)
            .min(width);
        eprint!(
            "\r{} [{}{}] {done}/{total} steps, {:.1} s",
            self.label,
            "#".repeat(filled),
            " ".repeat(width - filled),
            self.started.elapsed().as_secs_f64()
        );
        self.shown = true;
    }

    fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}

fn warn_local_srs(power: u32) {
    eprintln!(
        "no SRS of power ≥ {power} in the store: created a local one (it convinces only those \
         who trust this machine; import a public ceremony with `zktorch srs import` for proofs \
         others should believe)"
    );
}

/// The model opened on its calibration inputs: the files given, else the model's bundled
/// `MODEL.input.json` if there is one; notes about assumed shapes printed.
fn open_for_setup(
    model_path: &Path,
    shapes: &onnx::InputShapes,
    files: &[PathBuf],
) -> anyhow::Result<api::OpenedModel> {
    api::check_model_file(model_path)?;
    let given = files
        .iter()
        .map(|p| InputText::read(p))
        .collect::<zktorch::Result<Vec<_>>>()?;
    opened(
        model_path,
        shapes,
        &api::calibration_texts(model_path, given)?,
    )
}

/// [`api::open_model`], with its notes about assumed shapes printed.
fn opened(
    model_path: &Path,
    shapes: &onnx::InputShapes,
    texts: &[InputText],
) -> anyhow::Result<api::OpenedModel> {
    let opened = api::open_model(model_path, shapes, texts)?;
    for note in &opened.graph.assumed {
        eprintln!("note: {note}");
    }
    Ok(opened)
}

/// What `zktorch setup` was asked.
pub struct SetupArgs<'a> {
    /// The ONNX model.
    pub model: &'a Path,
    /// Where to write the verifying key.
    pub output: &'a Path,
    /// Calibration inputs.
    pub calibration: &'a [PathBuf],
    /// Shapes given for symbolic input dimensions.
    pub shapes: &'a onnx::InputShapes,
    /// Replace an existing key.
    pub force: bool,
    /// Print JSON.
    pub json: bool,
}

/// `zktorch setup`.
pub fn setup(a: &SetupArgs<'_>, ws: &Workspace) -> anyhow::Result<ExitCode> {
    let (model_path, output, calibration, force, json_out) =
        (a.model, a.output, a.calibration, a.force, a.json);
    let mut inputs: Vec<&Path> = vec![model_path];
    inputs.extend(calibration.iter().map(PathBuf::as_path));
    fsx::check_output(output, &inputs)?;
    let opened = open_for_setup(model_path, a.shapes, calibration)?;
    ws.check_publish(&opened.model, output, force)?;
    let mut stages = Stages::default();
    let t = Instant::now();
    let prepared = ws.setup(
        &opened.model,
        &opened.samples,
        !calibration.is_empty(),
        force,
        &mut stages,
        &mut warn_local_srs,
    )?;
    let key = &prepared.key;
    ws.publish_key(key, output, force)?;
    let replaced = prepared
        .replaced
        .as_ref()
        .map(|(d, p)| json!({"digest": hex::encode(d), "kept_at": p.display().to_string()}));
    if json_out {
        say!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "schema": "zktorch/setup/v1",
                "model": model_path.display().to_string(),
                "model_digest": hex::encode(key.vk.digest),
                "key_file": output.display().to_string(),
                "key_source": prepared.source.as_str(),
                "cache_entry": prepared.entry.display().to_string(),
                "replaced": replaced,
                "srs": api::srs_json(&key.vk),
                "log_domain": key.plan.log_n,
                "srs_power": key.plan.srs_power,
                "instances": key.program.instances.len(),
                "stages_s": stages.to_json(),
                "total_s": t.elapsed().as_secs_f64(),
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if prepared.source == KeySource::Cached {
        say!("model already set up: wrote its existing key (pass --force for a new one)");
    }
    if let Some((d, p)) = &prepared.replaced {
        say!(
            "replaced the key of digest {} (its cache entry is kept at {})",
            hex::encode(d),
            p.display()
        );
    }
    say!("verifying key written to {}", output.display());
    say!("model digest {}", hex::encode(key.vk.digest));
    say!("SRS {}", key.vk.srs_label);
    say!(
        "domain 2^{}, SRS power {}, {} block instances; setup {:.2} s",
        key.plan.log_n,
        key.plan.srs_power,
        key.program.instances.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// What `prove` was asked to do.
pub struct ProveArgs<'a> {
    /// The ONNX model.
    pub model: &'a Path,
    /// The input file.
    pub input: &'a Path,
    /// Where to write the proof.
    pub output: &'a Path,
    /// Embed the verifying key.
    pub embed_vk: bool,
    /// Summary JSON file.
    pub json: Option<&'a Path>,
    /// Full outputs as JSON.
    pub output_json: Option<&'a Path>,
    /// Calibration inputs for a first setup.
    pub calibration: &'a [PathBuf],
    /// Shapes given for symbolic input dimensions.
    pub shapes: &'a onnx::InputShapes,
}

/// `zktorch prove`: the summary (`--json`) is written whatever happens.
pub fn prove(a: &ProveArgs<'_>, ws: &Workspace) -> anyhow::Result<ExitCode> {
    let total = Instant::now();
    let mut summary = json!({
        "schema": "zktorch/prove/v1",
        "model": a.model.display().to_string(),
        "input": a.input.display().to_string(),
    });
    let result = prove_inner(a, ws, &mut summary);
    if let Some(path) = a.json {
        summary["total_s"] = json!(total.elapsed().as_secs_f64());
        summary["peak_rss_bytes"] = json!(zktorch::workspace::peak_rss_bytes());
        if let Err(e) = &result {
            summary["error"] = json!(format!("{e:#}"));
            summary["exit_code"] = json!(exit_code_of(e));
        }
        let written = write_json(path, &summary);
        if result.is_ok() {
            written?;
        }
    }
    result
}

fn exit_code_of(e: &anyhow::Error) -> i32 {
    e.downcast_ref::<Error>().map_or(2, |z| z.exit_code())
}

fn prove_inner(a: &ProveArgs<'_>, ws: &Workspace, summary: &mut Value) -> anyhow::Result<ExitCode> {
    let mut inputs: Vec<&Path> = vec![a.model, a.input];
    inputs.extend(a.calibration.iter().map(PathBuf::as_path));
    for out in [Some(a.output), a.json, a.output_json]
        .into_iter()
        .flatten()
    {
        fsx::check_output(out, &inputs)?;
    }
    api::check_model_file(a.model)?;
    let mut texts = vec![InputText::read(a.input)?];
    for p in a.calibration {
        texts.push(InputText::read(p)?);
    }
    let opened = opened(a.model, a.shapes, &texts)?;
    if !opened.graph.assumed.is_empty() {
        summary["assumed_shapes"] = json!(opened.graph.assumed);
    }
    let mut samples = opened.samples.into_iter();
    let input = samples.next().unwrap_or_default();
    let calibration: Vec<_> = samples.collect();
    let mut stages = Stages::default();
    let mut bar = Progress::new("proving");
    let q = ws.quant();
    let request = ProveRequest {
        inputs: input,
        calibration,
        embed_vk: a.embed_vk,
    };
    let proved = ws.prove(
        &opened.model,
        &request,
        &mut stages,
        &mut ProveHooks {
            progress: &mut |d, n| bar.update(d, n),
            on_setup: &mut |created| {
                eprintln!(
                    "no cached setup for this model at --scale {} --weight-scale {}: set it up \
                     (calibrated on this input; a setup made at other scales is another model: \
                     pass the scales it was made with to use it)",
                    q.activation_bits, q.weight_bits
                );
                if let Some(p) = created {
                    warn_local_srs(p);
                }
            },
        },
    );
    bar.finish();
    summary["stages_s"] = stages.to_json();
    let Proved {
        file,
        statement,
        prepared,
    } = proved?;
    if prepared.source == KeySource::Cached && !a.calibration.is_empty() {
        eprintln!(
            "note: the model is already set up; --calibration applies to a first setup only \
             (the cached key keeps its ranges)"
        );
    }
    let key = &prepared.key;
    summary["model_digest"] = json!(hex::encode(key.vk.digest));
    summary["key_source"] = json!(prepared.source.as_str());
    summary["key_file"] = json!(prepared.entry.join("model.vk").display().to_string());
    summary["srs"] = api::srs_json(&key.vk);
    file.write_to(a.output)?;
    let size = file.to_bytes().len();
    if let Some(path) = a.output_json {
        write_json(path, &outputs_json(&statement))?;
    }
    summary["proof_bytes"] = json!(size);
    summary["vk_embedded"] = json!(a.embed_vk);
    summary["input_digest"] = json!(hex::encode(statement.input_digest));
    summary["outputs"] = outputs_json(&statement)["outputs"].clone();
    for (name, shape, values) in &statement.outputs {
        say!("output {name} {shape:?}: {}", format_values(values));
    }
    say!("input digest {}", hex::encode(statement.input_digest));
    say!("model digest {}", hex::encode(statement.model_digest));
    say!(
        "proof written to {} ({size} bytes{})",
        a.output.display(),
        if a.embed_vk {
            ", verifying key embedded"
        } else {
            ""
        }
    );
    if !a.embed_vk {
        say!(
            "verifying key: {} (publish it; verifiers pass it with --vk)",
            prepared.entry.join("model.vk").display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The outputs of a statement as `{"output_data": [[…]], "outputs": [{name, shape, values}]}`
/// (`output_data` in the order of the graph outputs, like EZKL's witness files).
fn outputs_json(s: &Statement) -> Value {
    json!({
        "schema": "zktorch/outputs/v1",
        "output_data": s.outputs.iter().map(|(_, _, v)| v.clone()).collect::<Vec<_>>(),
        "outputs": s.outputs.iter().map(|(name, shape, v)| json!({
            "name": name, "shape": shape, "values": v,
        })).collect::<Vec<_>>(),
    })
}

/// The expected outputs of `verify --expected-output`: `{"output_data": [[…], …]}`.
fn read_expected_outputs(path: &Path) -> anyhow::Result<Vec<Vec<f64>>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let v: Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    let data = v
        .get("output_data")
        .and_then(Value::as_array)
        .with_context(|| format!("{}: no \"output_data\" list", path.display()))?;
    data.iter()
        .enumerate()
        .map(|(i, o)| {
            o.as_array()
                .and_then(|xs| xs.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>())
                .with_context(|| format!("{}: output {i} is not a list of numbers", path.display()))
        })
        .collect()
}

/// What `verify` was asked to do.
pub struct VerifyArgs<'a> {
    /// The proof file.
    pub proof: &'a Path,
    /// A pinned key.
    pub vk: Option<&'a Path>,
    /// The input the proof must be about.
    pub input: Option<&'a Path>,
    /// The outputs it must state.
    pub expected_output: Option<&'a Path>,
    /// One JSON object on stdout.
    pub json: bool,
}

/// `zktorch verify`: exit 0 valid, 1 invalid, 2 unusable. The key is checked once per machine
/// (a recorded verdict in the workspace), then every proof against it is checked in full.
pub fn verify(a: &VerifyArgs<'_>, trust: &Trust, ws: &Workspace) -> anyhow::Result<ExitCode> {
    let file = ProofFile::read_from(a.proof)?;
    let pinned = a.vk.map(VerifyingKey::read_from).transpose()?;
    let key = pinned.as_ref().or(file.vk.as_ref());
    let expected_in = match (a.input, key) {
        (Some(path), Some(key)) => Some(onnx::read_input_json(path, &api::key_inputs(key)?)?),
        _ => None,
    };
    let expected_out = a.expected_output.map(read_expected_outputs).transpose()?;
    let t = Instant::now();
    let verdict = ws.verify(
        &file,
        pinned.as_ref(),
        trust,
        expected_in.as_deref(),
        expected_out.as_deref(),
    );
    let ms = t.elapsed().as_secs_f64() * 1e3;
    match verdict {
        Ok(s) => {
            if a.json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "schema": "zktorch/verify/v1",
                        "valid": true,
                        "model_digest": hex::encode(s.model_digest),
                        "key_pinned": pinned.is_some(),
                        "input_digest": hex::encode(s.input_digest),
                        "input_checked": a.input.is_some(),
                        "outputs_checked": a.expected_output.is_some(),
                        "srs": s.srs.as_ref().map(|x| json!({
                            "label": x.label,
                            "kind": format!("{:?}", x.kind),
                            "describe": x.describe(),
                        })),
                        "outputs": outputs_json(&s)["outputs"].clone(),
                        "verify_ms": ms,
                    }))?
                );
                return Ok(ExitCode::SUCCESS);
            }
            for (name, shape, values) in &s.inputs {
                say!("input {name} {shape:?}: {}", format_values(values));
            }
            say!("input digest {}", hex::encode(s.input_digest));
            if a.input.is_some() {
                say!("(the proof is about exactly the input file given)");
            }
            for (name, shape, values) in &s.outputs {
                say!("output {name} {shape:?}: {}", format_values(values));
            }
            if a.expected_output.is_some() {
                say!("(the outputs are exactly the expected ones)");
            }
            say!("model digest {}", hex::encode(s.model_digest));
            if let Some(x) = &s.srs {
                say!("SRS {}", x.describe());
            }
            if pinned.is_none() {
                say!("(key taken from the proof: compare the digest with the one the model owner published, or pin it with --vk)");
            }
            say!("valid ({ms:.1} ms)");
            Ok(ExitCode::SUCCESS)
        }
        Err(Error::Verification(reason)) => {
            if a.json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "schema": "zktorch/verify/v1",
                        "valid": false,
                        "model_digest": hex::encode(file.vk_digest),
                        "reason": reason,
                    }))?
                );
            } else {
                say!("model digest {}", hex::encode(file.vk_digest));
                say!("invalid: {reason}");
            }
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

/// `zktorch key check`: exit 0 sound, 1 not, 2 unusable.
pub fn key_check(path: &Path, trust: &Trust) -> anyhow::Result<ExitCode> {
    let file = VerifyingKey::read_from(path)?;
    let t = Instant::now();
    match model::check_key(&file, trust) {
        Ok(checked) => {
            let vk = checked.vk();
            say!("model digest {}", hex::encode(vk.digest));
            say!("SRS {}", checked.anchor().describe());
            say!(
                "{} block instances on a domain of 2^{}; every public column matches the \
                 architecture",
                vk.program.instances.len(),
                vk.log_n
            );
            say!("key is sound ({:.1} ms)", t.elapsed().as_secs_f64() * 1e3);
            Ok(ExitCode::SUCCESS)
        }
        Err(Error::Verification(reason)) => {
            say!("model digest {}", hex::encode(file.digest()));
            say!("key rejected: {reason}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

/// `zktorch key info`: what a key states (not checked: `key check` does that).
pub fn key_info(path: &Path, json_out: bool) -> anyhow::Result<ExitCode> {
    let file = VerifyingKey::read_from(path)?;
    let vk = model::vk_from_file(&file)?;
    let p = &vk.program;
    let tensor = |t: usize| json!({"name": p.tensors[t].name, "shape": p.tensors[t].shape});
    // Constant-matrix products per layer and the matrices they read: a layer whose products
    // share one matrix (an RNN's R at every step) shows fewer matrices than products.
    let tied = p.tied_products();
    let mut per_layer: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for (ix, inst) in p.instances.iter().enumerate() {
        if let zktorch::compile::Block::MatMulConst { .. } = inst.block {
            let e = per_layer.entry(inst.layer.as_str()).or_default();
            e.0 += 1;
            e.1 += usize::from(tied[ix].is_none());
        }
    }
    let info = json!({
        "schema": "zktorch/key-info/v1",
        "file": path.display().to_string(),
        "model_digest": hex::encode(vk.digest),
        "srs": api::srs_json(&vk),
        "log_domain": vk.log_n,
        "instances": p.instances.len(),
        "blocks": p.class_counts().iter().map(|(c, n)| json!({"class": c.name(), "instances": n})).collect::<Vec<_>>(),
        "inputs": p.inputs.iter().map(|&t| tensor(t)).collect::<Vec<_>>(),
        "outputs": p.outputs.iter().map(|(name, o)| json!({"name": name, "shape": o.shape})).collect::<Vec<_>>(),
        "layers": p.layers.len(),
        "matrix_products": per_layer.iter().map(|(l, (n, m))| json!({"layer": l, "products": n, "matrices": m})).collect::<Vec<_>>(),
        "bytes": file.to_bytes().len(),
    });
    if json_out {
        say!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(ExitCode::SUCCESS);
    }
    say!("verifying key {}", path.display());
    say!("model digest {}", hex::encode(vk.digest));
    say!(
        "SRS {} (digest {})",
        vk.srs_label,
        hex::encode(vk.srs_digest)
    );
    for &t in &p.inputs {
        say!("input {} {:?}", p.tensors[t].name, p.tensors[t].shape);
    }
    for (name, o) in &p.outputs {
        say!("output {name} {:?}", o.shape);
    }
    say!(
        "{} layers, {} block instances on a domain of 2^{}; {} bytes",
        p.layers.len(),
        p.instances.len(),
        vk.log_n,
        file.to_bytes().len()
    );
    for (layer, (n, m)) in per_layer.iter().filter(|(_, (n, m))| n > m) {
        say!("layer {layer}: {n} matrix products over {m} matrices (tied)");
    }
    say!("(not checked: `zktorch key check` checks it against its SRS and architecture)");
    Ok(ExitCode::SUCCESS)
}

pub fn format_values(v: &[f64]) -> String {
    let shown: Vec<String> = v.iter().take(16).map(|x| format!("{x:.4}")).collect();
    let more = if v.len() > 16 {
        format!(", … ({} values)", v.len())
    } else {
        String::new()
    };
    format!("[{}{more}]", shown.join(", "))
}
