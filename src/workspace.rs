//! The prover's and verifier's local state: the SRS store and the model cache, and the
//! orchestration around them (choose or create an SRS, set a model up once, rebuild its key for
//! every proof). The CLI is a thin shell over this; so is any other front end.
//!
//! **Model cache.** Setup is a deterministic function of the calibrated program, the SRS and a
//! secret 32-byte seed, so a model's cache entry is `<cache>/<id>/` with three files: `seed`
//! (mode 0600, the owner's secret: it fixes the masks that hide the weights), `plan.json`, and
//! `model.vk`; `<id>` hashes the compiled program *with* its weights. Rules (issue #10):
//!
//! - **A key is created once.** Proving an uncached model sets it up (calibrated on the proved
//!   input); later runs rebuild the same key and check its digest. `setup` on a cached model
//!   reuses the key unless `force`; a forced setup keeps the old entry as
//!   `<id>.replaced-<digest prefix>` (its proofs and published key still have their seed).
//! - **Never a silent re-setup.** An entry with a missing or unreadable file is an error naming
//!   the file and the fix, never a reason to set up again (a new setup is a new digest).
//! - **Atomic and locked.** An entry is written into a temporary directory and renamed into
//!   place; every read-or-create of one model runs under the lock `<cache>/<id>.lock`, SRS
//!   creation under `<store>/.lock`: two `prove` runs on an empty cache make one key.
//! - **The key pins its SRS.** A cached key is rebuilt only with the SRS whose `[τ]₂` it names.

use crate::api;
use crate::compile::Program;
use crate::error::{Error, Result};
use crate::fsx::{self, Lock};
use crate::model::{self, ModelKey, Plan};
use crate::onnx;
use crate::proof::VerifyingKey;
use crate::quant::QuantConfig;
use crate::srs::anchor::Trust;
use crate::srs::store::SrsStore;
use crate::srs::Srs;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Stage timings (seconds), in the order they ran.
#[derive(Clone, Debug, Default)]
pub struct Stages(pub Vec<(&'static str, f64)>);

impl Stages {
    /// Runs `f`, recording its wall-clock time under `name`.
    pub fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.0.push((name, t.elapsed().as_secs_f64()));
        out
    }

    /// `{"stage": seconds, …}` for the front ends' JSON summaries.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
                .collect(),
        )
    }
}

/// Peak resident memory of this process (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Where a prover key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// Rebuilt from the model cache (digest checked).
    Cached,
    /// Set up by this call (and cached).
    Created,
}

impl KeySource {
    /// `"cached"` or `"created"`, as the JSON summaries say it.
    pub fn as_str(self) -> &'static str {
        match self {
            KeySource::Cached => "cached",
            KeySource::Created => "created",
        }
    }
}

/// A model's prover key, where it came from, and where it is cached.
#[derive(Debug)]
pub struct Prepared {
    /// The key.
    pub key: ModelKey,
    /// Cached or created now.
    pub source: KeySource,
    /// The model's cache entry (its `model.vk` is the key to publish).
    pub entry: PathBuf,
    /// A key this call replaced (forced setup): its digest and where its entry was kept.
    pub replaced: Option<([u8; 32], PathBuf)>,
}

/// The SRS store and the model cache.
#[derive(Clone, Debug)]
pub struct Workspace {
    srs: SrsStore,
    models: PathBuf,
    max_memory: Option<u64>,
    quant: QuantConfig,
}

/// The default memory limit of a setup or prove: `$ZKTORCH_MAX_MEMORY` (bytes), else 80 % of
/// this machine's memory (`/proc/meminfo`), else none.
pub fn default_max_memory() -> Option<u64> {
    if let Some(v) = std::env::var_os("ZKTORCH_MAX_MEMORY") {
        return v.to_str().and_then(|s| s.trim().parse().ok());
    }
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = info
        .lines()
        .find(|l| l.starts_with("MemTotal:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024 / 10 * 8)
}

/// Refuses a plan whose estimated peak memory is above `limit`, naming both and the largest
/// segment.
fn check_memory(program: &Program, plan: &Plan, limit: Option<u64>) -> Result<()> {
    let Some(limit) = limit else { return Ok(()) };
    let need = plan.memory_estimate(program)?;
    if need > limit {
        return Err(Error::InvalidArgument(format!(
            "this model's proof plan needs an estimated {:.2} GB of memory (largest segment on a \
             domain of 2^{}), above the limit of {:.2} GB: raise it with --max-memory GB (or \
             ZKTORCH_MAX_MEMORY in bytes) if this machine has the memory, or prove on a larger \
             machine",
            need as f64 / 1e9,
            plan.log_n,
            limit as f64 / 1e9
        )));
    }
    Ok(())
}

/// The cache files of one model.
struct Entry {
    seed: [u8; 32],
    plan: Plan,
    vk: VerifyingKey,
    /// The setup's commitments by the hash of what they commit ([`crate::pcs::memo`]): a rebuild
    /// looks them up instead of repeating the MSMs (owner-only: it holds unmasked commitments
    /// of private weights). Empty when missing or unreadable (the rebuild is then slower).
    memo: Vec<([u8; 32], ark_bn254::G1Affine)>,
}

const SEED: &str = "seed";
const MEMO: &str = "commitments.memo";
const PLAN: &str = "plan.json";
const VK: &str = "model.vk";

impl Workspace {
    /// A workspace on these directories.
    pub fn new(srs_dir: impl Into<PathBuf>, models_dir: impl Into<PathBuf>) -> Self {
        Workspace {
            srs: SrsStore::new(srs_dir),
            models: models_dir.into(),
            max_memory: default_max_memory(),
            quant: QuantConfig::default(),
        }
    }

    /// The same workspace with another memory limit for setup and prove (`None`: no limit).
    pub fn with_max_memory(mut self, bytes: Option<u64>) -> Self {
        self.max_memory = bytes;
        self
    }

    /// The same workspace compiling models at the fixed-point scales `cfg` (`--scale`,
    /// `--weight-scale`). The scales are part of the compiled program, so a model at other
    /// scales is another cache entry with its own key (another model digest).
    pub fn with_quant(mut self, cfg: QuantConfig) -> Self {
        self.quant = cfg;
        self
    }

    /// The fixed-point scales models are compiled at.
    pub fn quant(&self) -> QuantConfig {
        self.quant
    }

    /// The default directories: `$ZKTORCH_SRS_DIR` (else the user cache's `zktorch/srs`) and
    /// `$ZKTORCH_CACHE_DIR` (else the user cache's `zktorch/models`).
    pub fn default_dirs() -> Self {
        let models = std::env::var_os("ZKTORCH_CACHE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                dirs::cache_dir()
                    .unwrap_or_else(std::env::temp_dir)
                    .join("zktorch")
                    .join("models")
            });
        Workspace::new(SrsStore::default_dir(), models)
    }

    /// The same workspace with another SRS store.
    pub fn with_srs_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.srs = SrsStore::new(dir);
        self
    }

    /// The SRS store.
    pub fn srs_store(&self) -> &SrsStore {
        &self.srs
    }

    /// The model cache directory.
    pub fn models_dir(&self) -> &Path {
        &self.models
    }

    /// The anchors a verifier here accepts: the known ceremonies, and (unless `ceremony_only`)
    /// every SRS in the store.
    pub fn trust(&self, ceremony_only: bool) -> Result<Trust> {
        let t = Trust::with_store(&self.srs)?;
        Ok(if ceremony_only {
            t.ceremonies_only()
        } else {
            t
        })
    }

    /// A verifying key checked against `trust` ([`model::check_key`]) — or, when this exact
    /// key (same digest, same zktorch) passed that check before on this machine with an anchor
    /// `trust` still accepts, the recorded verdict: "check the key once". Every check that
    /// passes is recorded (`<cache>/checked/<digest>`, written atomically). The verdicts are as
    /// trustworthy as the cache directory, like the SRS store. Returns whether the verdict was
    /// recorded.
    pub fn check_key(
        &self,
        file: &VerifyingKey,
        trust: &Trust,
    ) -> Result<(model::CheckedKey, bool)> {
        let digest = hex::encode(file.digest());
        let path = self.models.join("checked").join(&digest);
        let expected = verdict(&digest, &file.srs_label);
        if std::fs::read(&path).ok().as_deref() == Some(expected.as_bytes()) {
            if let Ok(key) = model::CheckedKey::from_verdict(file, trust) {
                return Ok((key, true));
            }
        }
        let key = model::check_key(file, trust)?;
        if let Some(dir) = path.parent() {
            if std::fs::create_dir_all(dir).is_ok() {
                // A verdict that cannot be recorded only costs the next check.
                let _ = fsx::write_atomic(&path, expected.as_bytes(), false);
            }
        }
        Ok((key, false))
    }

    /// The model compiled, its cache entry, and the entry's lock (held by the caller while it
    /// reads or creates the entry).
    fn open(
        &self,
        model: &onnx::ModelFile,
        stages: &mut Stages,
    ) -> Result<(Program, PathBuf, Lock)> {
        let (_, program) = stages.time("compile", || {
            api::compile_model_with(model, &[], self.quant)
        })?;
        let entry = self.entry_for(&program)?;
        let lock = Lock::exclusive(&entry.with_extension("lock"))?;
        Ok((program, entry, lock))
    }

    /// The cache entry of a compiled (uncalibrated) program.
    pub fn entry_for(&self, program: &Program) -> Result<PathBuf> {
        use blake2::{Blake2b512, Digest};
        let bytes = serde_json::to_vec(program)
            .map_err(|e| Error::InvalidArgument(format!("program encoding: {e}")))?;
        let mut h = Blake2b512::new();
        h.update(b"zktorch/model-cache/v1");
        h.update(&bytes);
        Ok(self.models.join(hex::encode(&h.finalize()[..16])))
    }

    /// The key of `model` for proving: rebuilt from the cache, or — the model never set up —
    /// a fresh setup calibrated on `samples` (cached). `on_create_srs` is called when a local
    /// SRS has to be made (the caller says it convinces only those who trust this machine).
    pub fn key_for_prove(
        &self,
        model: &onnx::ModelFile,
        samples: &[Vec<Vec<f32>>],
        stages: &mut Stages,
        on_create_srs: &mut dyn FnMut(u32),
    ) -> Result<Prepared> {
        let (program, entry, _lock) = self.open(model, stages)?;
        if let Some(cached) = read_entry(&entry)? {
            let key = rebuild(&self.srs, program, &entry, &cached, self.max_memory, stages)?;
            return Ok(Prepared {
                key,
                source: KeySource::Cached,
                entry,
                replaced: None,
            });
        }
        let (key, fresh) = self.fresh_setup(program, samples, stages, on_create_srs)?;
        write_entry(&entry, &fresh)?;
        Ok(Prepared {
            key,
            source: KeySource::Created,
            entry,
            replaced: None,
        })
    }

    /// `setup`: the model's key, created once. A cached model's key is returned as it is
    /// (`calibrate` must then be false: new calibration inputs would make another key); with
    /// `force`, a new key replaces it (the old entry is kept beside it).
    pub fn setup(
        &self,
        model: &onnx::ModelFile,
        samples: &[Vec<Vec<f32>>],
        calibrate: bool,
        force: bool,
        stages: &mut Stages,
        on_create_srs: &mut dyn FnMut(u32),
    ) -> Result<Prepared> {
        let (program, entry, _lock) = self.open(model, stages)?;
        let existing = if force {
            read_entry(&entry).ok().flatten()
        } else {
            read_entry(&entry)?
        };
        match existing {
            Some(cached) if !force => {
                if calibrate {
                    return Err(Error::InvalidArgument(format!(
                        "{} is already set up (model digest {}); new calibration inputs would \
                         make a new key and orphan every proof and published key of that \
                         digest. Keep the key (omit --calibration), or pass --force to replace \
                         it",
                        model.path().display(),
                        hex::encode(cached.vk.digest())
                    )));
                }
                let key = rebuild(&self.srs, program, &entry, &cached, self.max_memory, stages)?;
                Ok(Prepared {
                    key,
                    source: KeySource::Cached,
                    entry,
                    replaced: None,
                })
            }
            previous => {
                let (key, fresh) = self.fresh_setup(program, samples, stages, on_create_srs)?;
                // Only now is the old entry (or an unreadable one) moved aside — never deleted.
                let old = previous.map_or([0u8; 32], |c| c.vk.digest());
                let replaced = if entry.exists() {
                    Some((old, set_aside(&entry, old)?))
                } else {
                    None
                };
                if let Err(e) = write_entry(&entry, &fresh) {
                    if let Some((_, aside)) = &replaced {
                        let _ = std::fs::rename(aside, &entry);
                    }
                    return Err(e);
                }
                Ok(Prepared {
                    key,
                    source: KeySource::Created,
                    entry,
                    replaced,
                })
            }
        }
    }

    /// A new key for `program` calibrated on `samples`, and the cache entry that rebuilds it
    /// (not written yet). The SRS is the most trustworthy one in the store (a ceremony before a
    /// local one) of sufficient power, else a new local SRS — saved only once the setup
    /// succeeded, all under the store's lock (concurrent runs make one SRS).
    fn fresh_setup(
        &self,
        mut program: Program,
        samples: &[Vec<Vec<f32>>],
        stages: &mut Stages,
        on_create_srs: &mut dyn FnMut(u32),
    ) -> Result<(ModelKey, Entry)> {
        let first = samples.first().ok_or_else(|| {
            Error::InvalidArgument(
                "setup needs a calibration input (input.json format): pass --calibration \
                 INPUT.json (calibration= in Python)"
                    .into(),
            )
        })?;
        crate::quant::calibrate(&mut program, samples)?;
        let plan = api::plan_model(&program, first)?;
        check_memory(&program, &plan, self.max_memory)?;
        let _store = Lock::exclusive(&self.srs.dir().join(".lock"))?;
        let (srs, created) = stages.time("srs", || -> Result<(Srs, bool)> {
            match self.srs.find(plan.srs_power)? {
                Some(srs) => Ok((srs, false)),
                None => Ok((Srs::local(plan.srs_power)?, true)),
            }
        })?;
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        let memo = crate::pcs::memo::Scope::open(&[]);
        let key = stages.time("setup", || api::setup_model(&srs, &program, &plan, seed))?;
        let memo_entries = memo.entries();
        drop(memo);
        if created {
            self.srs.save(&srs)?;
            on_create_srs(plan.srs_power);
        }
        let entry = Entry {
            seed,
            plan,
            vk: key.vk_file.clone(),
            memo: memo_entries,
        };
        Ok((key, entry))
    }
}

/// The recorded verdict of a key check: the key's digest, its SRS label, the zktorch version
/// and file format that checked it.
fn verdict(digest: &str, label: &str) -> String {
    format!(
        "{{\"schema\":\"zktorch/checked-key/v1\",\"digest\":\"{digest}\",\"srs\":{:?},\"zktorch\":\"{}\",\"format\":{}}}\n",
        label,
        env!("CARGO_PKG_VERSION"),
        crate::proof::FORMAT_VERSION
    )
}

/// What [`Workspace::prove`] produced.
#[derive(Debug)]
pub struct Proved {
    /// The proof file (not written: the caller chooses where).
    pub file: crate::proof::ProofFile,
    /// What it states.
    pub statement: api::Statement,
    /// The key it was made with, and where that came from.
    pub prepared: Prepared,
}

/// What to prove.
#[derive(Clone, Debug, Default)]
pub struct ProveRequest {
    /// One flat vector per graph input.
    pub inputs: Vec<Vec<f32>>,
    /// More calibration inputs for a first setup.
    pub calibration: Vec<Vec<Vec<f32>>>,
    /// Embed the verifying key in the proof file.
    pub embed_vk: bool,
}

/// What [`Workspace::prove`] reports while it works.
pub struct ProveHooks<'a> {
    /// `(done, total)` steps of proving.
    pub progress: &'a mut dyn FnMut(usize, usize),
    /// A first setup happens (with the power of a local SRS it had to create, if any).
    pub on_setup: &'a mut dyn FnMut(Option<u32>),
}

impl Workspace {
    /// Proves the request's inputs on `model` with the model's key — from the cache, or a
    /// first setup calibrated on the inputs and the request's calibration inputs. A value
    /// outside the calibrated ranges is an error that says which command recalibrates.
    pub fn prove(
        &self,
        model: &onnx::ModelFile,
        request: &ProveRequest,
        stages: &mut Stages,
        hooks: &mut ProveHooks<'_>,
    ) -> Result<Proved> {
        let (inputs, embed_vk, progress) = (&request.inputs, request.embed_vk, &mut hooks.progress);
        let on_setup = &mut hooks.on_setup;
        let mut samples = vec![inputs.clone()];
        samples.extend(request.calibration.iter().cloned());
        let mut announced = false;
        let prepared = self.key_for_prove(model, &samples, stages, &mut |p| {
            announced = true;
            on_setup(Some(p))
        })?;
        if prepared.source == KeySource::Created && !announced {
            on_setup(None);
        }
        let proved = stages.time("prove", || {
            api::prove_model_with_progress(&prepared.key, inputs, embed_vk, progress)
        });
        let (file, statement) = proved.map_err(|e| recalibration_hint(e, model, &prepared))?;
        Ok(Proved {
            file,
            statement,
            prepared,
        })
    }

    /// Verifies a proof file: the key (`pinned`, else the embedded one) checked once per
    /// machine ([`Workspace::check_key`]), then the proof in full; with `inputs` the proof must
    /// be about exactly them, with `outputs` it must state exactly them.
    pub fn verify(
        &self,
        file: &crate::proof::ProofFile,
        pinned: Option<&VerifyingKey>,
        trust: &Trust,
        inputs: Option<&[Vec<f32>]>,
        outputs: Option<&[Vec<f64>]>,
    ) -> Result<api::Statement> {
        let key = api::proof_key(file, pinned)?;
        let (checked, _) = self.check_key(key, trust)?;
        let statement = api::verify_proof_checked(file, &checked)?;
        if let Some(e) = inputs {
            api::check_inputs(file, key, e)?;
        }
        if let Some(e) = outputs {
            api::check_outputs(file, key, e)?;
        }
        Ok(statement)
    }

    /// The verifying key cached for `model`, if it was set up (its digest is the model digest
    /// a `setup` without `--force` would write).
    pub fn cached_key(&self, model: &onnx::ModelFile) -> Result<Option<VerifyingKey>> {
        let (_, program) = api::compile_model_with(model, &[], self.quant)?;
        Ok(read_entry(&self.entry_for(&program)?)?.map(|e| e.vk))
    }

    /// Refuses, before any work and unless `force`, a `setup -o path` that would replace a file
    /// holding another model's key (the one a setup of `model` writes is its cached key, or a
    /// new one).
    pub fn check_publish(&self, model: &onnx::ModelFile, path: &Path, force: bool) -> Result<()> {
        let Ok(existing) = VerifyingKey::read_from(path) else {
            return Ok(());
        };
        let ours = self.cached_key(model)?.map(|k| k.digest());
        if !force && ours != Some(existing.digest()) {
            return Err(Error::InvalidArgument(format!(
                "{} holds another key (model digest {}); setup would replace it. Choose another \
                 -o, or pass --force",
                path.display(),
                hex::encode(existing.digest())
            )));
        }
        Ok(())
    }

    /// Writes a model's verifying key to `path` — refusing, unless `force`, to replace a file
    /// that holds another key (a published key is never silently replaced).
    pub fn publish_key(&self, key: &ModelKey, path: &Path, force: bool) -> Result<()> {
        if let Ok(existing) = VerifyingKey::read_from(path) {
            if existing.digest() != key.vk.digest && !force {
                return Err(Error::InvalidArgument(format!(
                    "{} holds another key (model digest {}); writing this model's key (digest \
                     {}) there would replace it. Choose another -o, or pass --force",
                    path.display(),
                    hex::encode(existing.digest()),
                    hex::encode(key.vk.digest)
                )));
            }
        }
        key.vk_file.write_to(path)
    }
}

/// An input outside the calibrated ranges: what the user should run.
fn recalibration_hint(e: Error, model: &onnx::ModelFile, p: &Prepared) -> Error {
    if !matches!(e, Error::OutOfRange { .. }) {
        return e;
    }
    let hint = match p.source {
        KeySource::Cached => format!(
            "the key of this model (digest {}) was calibrated on other inputs at setup; to \
             cover this input, set the model up again on inputs that include it (a new key and \
             model digest): `zktorch setup {} --calibration INPUT.json --calibration <the \
             earlier calibration inputs> --force`",
            hex::encode(p.key.vk.digest),
            model.command_args()
        ),
        KeySource::Created => format!(
            "the key was calibrated on this input only; give more calibration inputs with \
             `--calibration FILE` (`zktorch setup {} --calibration … --force`)",
            model.command_args()
        ),
    };
    Error::WithHint {
        error: Box::new(e),
        hint,
    }
}

/// Rebuilds a cached key with exactly the SRS it names, and checks its digest.
fn rebuild(
    store: &SrsStore,
    mut program: Program,
    entry: &Path,
    cached: &Entry,
    max_memory: Option<u64>,
    stages: &mut Stages,
) -> Result<ModelKey> {
    let vk = model::vk_from_file(&cached.vk).map_err(|e| corrupt(entry, VK, e))?;
    api::apply_ranges(&mut program, &vk.program)?;
    check_memory(&program, &cached.plan, max_memory)?;
    let srs = stages
        .time("srs", || {
            store.find_by_tau(&vk.pcs.tau_h, cached.plan.srs_power)
        })?
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "the key cached in {} was made with the SRS {:?} (digest {}), which is not in \
                 the SRS store {}: restore that SRS file (or import the same ceremony again), or \
                 run `zktorch setup MODEL --force` for a new key (a new model digest)",
                entry.display(),
                vk.srs_label,
                hex::encode(vk.srs_digest),
                store.dir().display()
            ))
        })?;
    stages
        .time("setup", || {
            // The memo spares the MSMs; a memo that does not reproduce the key is dropped and
            // the key rebuilt without it.
            let memo = crate::pcs::memo::Scope::open(&cached.memo);
            let fast = api::rebuild_model(&srs, &program, &cached.plan, cached.seed, &cached.vk);
            drop(memo);
            match fast {
                Ok(key) => Ok(key),
                Err(_) if !cached.memo.is_empty() => {
                    api::rebuild_model(&srs, &program, &cached.plan, cached.seed, &cached.vk)
                }
                Err(e) => Err(e),
            }
        })
        .map_err(|e| {
            Error::InvalidArgument(format!(
                "the setup cached in {} does not reproduce its verifying key {} ({e}; was it \
                 made by another zktorch version?); run `zktorch setup MODEL --force` for a new \
                 key (a new model digest), keeping the old entry",
                entry.display(),
                hex::encode(vk.digest)
            ))
        })
}

fn corrupt(entry: &Path, file: &str, e: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!(
        "the model cache file {} is unreadable ({e}). The key it holds cannot be rebuilt \
         without it: restore the file from a backup, or run `zktorch setup MODEL --force` for a \
         new key (a new model digest: proofs and published keys of the old one stay valid only \
         with the old entry, which --force keeps)",
        entry.join(file).display()
    ))
}

/// A model's cache entry: `None` if there is none; an error naming the file if it is
/// incomplete or unreadable.
fn read_entry(entry: &Path) -> Result<Option<Entry>> {
    if !entry.exists() {
        return Ok(None);
    }
    let read = |file: &str| std::fs::read(entry.join(file)).map_err(|e| corrupt(entry, file, e));
    let seed_text = read(SEED)?;
    let seed: [u8; 32] = std::str::from_utf8(&seed_text)
        .ok()
        .and_then(|s| hex::decode(s.trim()).ok())
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| corrupt(entry, SEED, "not a 32-byte hex seed"))?;
    let plan: Plan = serde_json::from_slice(&read(PLAN)?).map_err(|e| corrupt(entry, PLAN, e))?;
    let vk = VerifyingKey::from_bytes(&read(VK)?).map_err(|e| corrupt(entry, VK, e))?;
    let memo = std::fs::read(entry.join(MEMO))
        .ok()
        .and_then(|b| crate::pcs::memo::decode(&b))
        .unwrap_or_default();
    Ok(Some(Entry {
        seed,
        plan,
        vk,
        memo,
    }))
}

/// Writes an entry into a temporary directory beside it and renames it into place.
fn write_entry(entry: &Path, e: &Entry) -> Result<()> {
    let parent = entry
        .parent()
        .ok_or_else(|| Error::InvalidArgument("cache entry without a parent".into()))?;
    std::fs::create_dir_all(parent).map_err(|err| Error::io(parent, err))?;
    let name = entry
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let written = (|| -> Result<()> {
        std::fs::create_dir(&tmp).map_err(|err| Error::io(&tmp, err))?;
        fsx::write_atomic(&tmp.join(SEED), hex::encode(e.seed).as_bytes(), true)?;
        let plan = serde_json::to_vec(&e.plan)
            .map_err(|err| Error::InvalidArgument(format!("plan encoding: {err}")))?;
        fsx::write_atomic(&tmp.join(PLAN), &plan, false)?;
        fsx::write_atomic(&tmp.join(VK), &e.vk.to_bytes(), false)?;
        fsx::write_atomic(&tmp.join(MEMO), &crate::pcs::memo::encode(&e.memo), true)?;
        std::fs::rename(&tmp, entry).map_err(|err| Error::io(entry, err))
    })();
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    written
}

/// Moves an entry aside (`<id>.replaced-<digest prefix>`, numbered if taken) before a forced
/// setup replaces it.
fn set_aside(entry: &Path, digest: [u8; 32]) -> Result<PathBuf> {
    let base = format!(
        "{}.replaced-{}",
        entry
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        &hex::encode(digest)[..16]
    );
    let mut target = entry.with_file_name(&base);
    let mut k = 1;
    while target.exists() {
        target = entry.with_file_name(format!("{base}-{k}"));
        k += 1;
    }
    std::fs::rename(entry, &target).map_err(|e| Error::io(entry, e))?;
    Ok(target)
}
