//! `zktorch setup`, `prove` and `verify`: files, caches, printing. The work is in
//! [`zktorch::api`].
//!
//! **Prover cache.** Setup is a deterministic function of the calibrated program, the SRS and a
//! secret seed, so the prover caches only the seed, the plan and the verifying key, under
//! `$ZKTORCH_CACHE_DIR` (default: the user cache directory, `zktorch/models/<id>/`), where the id
//! hashes the compiled program *with* its weights (other weights, other id). `prove` rebuilds the
//! key from them and checks that its digest is the cached one.

use anyhow::{bail, Context};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use zktorch::api;
use zktorch::compile::Program;
use zktorch::model::{self, ModelKey, Plan};
use zktorch::proof::{ProofFile, VerifyingKey};
use zktorch::srs::anchor::Trust;
use zktorch::srs::{store::SrsStore, Srs};
use zktorch::{onnx, Error};

fn cache_root() -> PathBuf {
    std::env::var_os("ZKTORCH_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            dirs::cache_dir()
                .unwrap_or_else(std::env::temp_dir)
                .join("zktorch")
                .join("models")
        })
}

/// The cache directory of a compiled (uncalibrated) program, by a digest of it and its weights.
fn cache_dir(program: &Program) -> anyhow::Result<PathBuf> {
    use blake2::{Blake2b512, Digest};
    let bytes = serde_json::to_vec(program)?;
    let mut h = Blake2b512::new();
    h.update(b"zktorch/model-cache/v1");
    h.update(&bytes);
    Ok(cache_root().join(hex::encode(&h.finalize()[..16])))
}

struct Cached {
    seed: [u8; 32],
    plan: Plan,
    vk: VerifyingKey,
}

fn read_cache(dir: &Path) -> anyhow::Result<Option<Cached>> {
    let seed_path = dir.join("seed");
    if !seed_path.exists() {
        return Ok(None);
    }
    let seed: [u8; 32] = hex::decode(std::fs::read_to_string(&seed_path)?.trim())?
        .try_into()
        .map_err(|_| anyhow::anyhow!("{} is not a 32-byte seed", seed_path.display()))?;
    let plan: Plan = serde_json::from_slice(&std::fs::read(dir.join("plan.json"))?)?;
    let vk = VerifyingKey::read_from(dir.join("model.vk"))?;
    Ok(Some(Cached { seed, plan, vk }))
}

fn write_cache(dir: &Path, c: &Cached) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let seed_path = dir.join("seed");
    std::fs::write(&seed_path, hex::encode(c.seed))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&seed_path, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::write(dir.join("plan.json"), serde_json::to_vec(&c.plan)?)?;
    c.vk.write_to(dir.join("model.vk"))?;
    Ok(())
}

/// An SRS of at least `power` from the store, or a new local one (saved, with a warning).
fn srs_for(store: &SrsStore, power: u32) -> anyhow::Result<Srs> {
    if let Some(srs) = store.find(power)? {
        return Ok(srs);
    }
    eprintln!(
        "no SRS of power ≥ {power} in {}: creating a local one (it convinces only those who \
         trust this machine; import a public ceremony with `zktorch srs import` for proofs \
         others should believe)",
        store.dir().display()
    );
    let srs = Srs::local(power)?;
    store.save(&srs)?;
    Ok(srs)
}

fn read_inputs(path: &Path, graph: &onnx::LayerGraph) -> anyhow::Result<Vec<Vec<f32>>> {
    Ok(onnx::read_input_json(path, &graph.inputs)?)
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

/// Stage timings for `--json`.
#[derive(Default)]
struct Stages(Vec<(&'static str, f64)>);

impl Stages {
    fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.0.push((name, t.elapsed().as_secs_f64()));
        out
    }
    fn json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect(),
        )
    }
}

/// Setup from scratch: calibrate on `samples`, fresh seed, cache it.
fn fresh_setup(
    model_path: &Path,
    samples: &[Vec<Vec<f32>>],
    store: &SrsStore,
    stages: &mut Stages,
) -> anyhow::Result<ModelKey> {
    let (_, mut program) = stages.time("compile", || api::compile_model(model_path, &[]))?;
    let dir = cache_dir(&program)?;
    zktorch::quant::calibrate(&mut program, samples)?;
    let plan = api::plan_model(&program, &samples[0])?;
    let srs = stages.time("srs", || srs_for(store, plan.srs_power))?;
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let key = stages.time("setup", || api::setup_model(&srs, &program, &plan, seed))?;
    write_cache(
        &dir,
        &Cached {
            seed,
            plan,
            vk: key.vk_file.clone(),
        },
    )?;
    Ok(key)
}

/// The model key from the cache (rebuilt and checked against the cached digest), or `None`.
fn cached_setup(
    model_path: &Path,
    store: &SrsStore,
    stages: &mut Stages,
) -> anyhow::Result<Option<ModelKey>> {
    let (_, mut program) = stages.time("compile", || api::compile_model(model_path, &[]))?;
    let dir = cache_dir(&program)?;
    let Some(c) = read_cache(&dir)? else {
        return Ok(None);
    };
    let vk = model::vk_from_file(&c.vk)?;
    api::apply_ranges(&mut program, &vk.program)?;
    // Exactly the SRS the key was made with (by its [τ]₂), never another one.
    let srs = stages
        .time("srs", || store.find_by_tau(&vk.pcs.tau_h, c.plan.srs_power))?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the cached setup in {} was made with the SRS {:?} (digest {}), which is not in                  the SRS store {}: restore that SRS file, or delete the model's cache directory                  to set up again (a new setup has a new model digest)",
                dir.display(),
                vk.srs_label,
                hex::encode(vk.srs_digest),
                store.dir().display()
            )
        })?;
    let key = stages.time("setup", || {
        api::setup_model(&srs, &program, &c.plan, c.seed)
    })?;
    if key.vk.digest != vk.digest {
        bail!(
            "the cached setup in {} does not reproduce its verifying key (SRS or zktorch \
             changed?); delete that directory to set up again",
            dir.display()
        );
    }
    Ok(Some(key))
}

fn calibration_samples(
    model_path: &Path,
    first: Option<&Path>,
    extra: &[PathBuf],
) -> anyhow::Result<Vec<Vec<Vec<f32>>>> {
    let graph = onnx::load(model_path)?;
    let mut samples = Vec::new();
    for p in first.into_iter().chain(extra.iter().map(PathBuf::as_path)) {
        samples.push(read_inputs(p, &graph)?);
    }
    if samples.is_empty() {
        let beside = model_path.with_extension("input.json");
        if beside.exists() {
            samples.push(read_inputs(&beside, &graph)?);
        } else {
            bail!(Error::InvalidArgument(
                "setup needs a calibration input: pass --calibration input.json".into()
            ));
        }
    }
    Ok(samples)
}

/// `zktorch setup`.
pub fn setup(
    model_path: &Path,
    output: &Path,
    calibration: &[PathBuf],
    store: &SrsStore,
) -> anyhow::Result<ExitCode> {
    let samples = calibration_samples(model_path, None, calibration)?;
    let mut stages = Stages::default();
    let t = Instant::now();
    let key = fresh_setup(model_path, &samples, store, &mut stages)?;
    key.vk_file.write_to(output)?;
    println!("verifying key written to {}", output.display());
    println!("model digest {}", hex::encode(key.vk.digest));
    println!(
        "domain 2^{}, SRS power {}, {} block instances; setup {:.2} s",
        key.plan.log_n,
        key.plan.srs_power,
        key.program.instances.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// `zktorch prove`.
pub fn prove(
    model_path: &Path,
    input: &Path,
    output: &Path,
    embed_vk: bool,
    json_out: Option<&Path>,
    store: &SrsStore,
) -> anyhow::Result<ExitCode> {
    let total = Instant::now();
    let mut stages = Stages::default();
    let graph = onnx::load(model_path)?;
    let inputs = read_inputs(input, &graph)?;
    let key = match cached_setup(model_path, store, &mut stages)? {
        Some(k) => k,
        None => {
            eprintln!("no cached setup for this model: running setup (calibrated on this input)");
            fresh_setup(
                model_path,
                std::slice::from_ref(&inputs),
                store,
                &mut stages,
            )?
        }
    };
    let mut bar = Progress::new("proving");
    let (file, statement) = stages.time("prove", || {
        api::prove_model_with_progress(&key, &inputs, embed_vk, &mut |d, n| bar.update(d, n))
    })?;
    bar.finish();
    file.write_to(output)?;
    let size = file.to_bytes().len();
    for (name, shape, values) in &statement.outputs {
        println!("output {name} {shape:?}: {}", format_values(values));
    }
    println!("input digest {}", hex::encode(statement.input_digest));
    println!("model digest {}", hex::encode(statement.model_digest));
    println!(
        "proof written to {} ({size} bytes{})",
        output.display(),
        if embed_vk {
            ", verifying key embedded"
        } else {
            ""
        }
    );
    if let Some(path) = json_out {
        let summary = json!({
            "model": model_path.display().to_string(),
            "model_digest": hex::encode(statement.model_digest),
            "proof_bytes": size,
            "vk_embedded": embed_vk,
            "stages_s": stages.json(),
            "total_s": total.elapsed().as_secs_f64(),
            "peak_rss_bytes": peak_rss_bytes(),
        });
        std::fs::write(path, serde_json::to_vec_pretty(&summary)?)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The SRS anchors a verifier on this machine accepts: the public ceremonies zktorch knows,
/// and (unless `ceremony_only`) every SRS in the store.
pub fn trust(store: &SrsStore, ceremony_only: bool) -> anyhow::Result<Trust> {
    let t = Trust::with_store(store)
        .with_context(|| format!("reading the SRS store {}", store.dir().display()))?;
    Ok(if ceremony_only {
        t.ceremonies_only()
    } else {
        t
    })
}

/// `zktorch verify`: exit 0 valid, 1 invalid, 2 unusable.
pub fn verify(
    proof: &Path,
    vk: Option<&Path>,
    input: Option<&Path>,
    trust: &Trust,
) -> anyhow::Result<ExitCode> {
    let file = ProofFile::read_from(proof)?;
    let pinned = vk.map(VerifyingKey::read_from).transpose()?;
    let key = match (&pinned, &file.vk) {
        (Some(k), _) | (None, Some(k)) => Some(k),
        (None, None) => None,
    };
    let expected = match (input, key) {
        (Some(path), Some(key)) => Some(onnx::read_input_json(path, &api::key_inputs(key)?)?),
        _ => None,
    };
    let t = Instant::now();
    let verdict = api::verify_proof(&file, pinned.as_ref(), trust).and_then(|s| {
        if let (Some(e), Some(key)) = (&expected, key) {
            api::check_inputs(&file, key, e)?;
        }
        Ok(s)
    });
    match verdict {
        Ok(statement) => {
            for (name, shape, values) in &statement.inputs {
                println!("input {name} {shape:?}: {}", format_values(values));
            }
            println!("input digest {}", hex::encode(statement.input_digest));
            if input.is_some() {
                println!("(the proof is about exactly the input file given)");
            }
            for (name, shape, values) in &statement.outputs {
                println!("output {name} {shape:?}: {}", format_values(values));
            }
            println!("model digest {}", hex::encode(statement.model_digest));
            if let Some(a) = &statement.srs {
                println!("SRS {}", a.describe());
            }
            if pinned.is_none() {
                println!("(key taken from the proof: compare the digest with the one the model owner published, or pin it with --vk)");
            }
            println!("valid ({:.1} ms)", t.elapsed().as_secs_f64() * 1e3);
            Ok(ExitCode::SUCCESS)
        }
        Err(Error::Verification(reason)) => {
            println!("model digest {}", hex::encode(file.vk_digest));
            println!("invalid: {reason}");
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
            println!("model digest {}", hex::encode(vk.digest));
            println!("SRS {}", checked.anchor().describe());
            println!(
                "{} block instances on a domain of 2^{}; every public column matches the                  architecture",
                vk.program.instances.len(),
                vk.log_n
            );
            println!("key is sound ({:.1} ms)", t.elapsed().as_secs_f64() * 1e3);
            Ok(ExitCode::SUCCESS)
        }
        Err(Error::Verification(reason)) => {
            println!("model digest {}", hex::encode(file.digest()));
            println!("key rejected: {reason}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

fn format_values(v: &[f64]) -> String {
    let shown: Vec<String> = v.iter().take(16).map(|x| format!("{x:.4}")).collect();
    let more = if v.len() > 16 {
        format!(", … ({} values)", v.len())
    } else {
        String::new()
    };
    format!("[{}{more}]", shown.join(", "))
}

/// Peak resident memory of this process (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
