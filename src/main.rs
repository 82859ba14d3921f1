//! The `zktorch` command line: parse, call the library, print, exit.
//!
//! Exit codes: 0 success / proof valid, 1 proof invalid, 2 unusable input (bad file, bad flag,
//! unsupported model, or a command whose work is not implemented yet).

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use zktorch::srs::{ptau, store::SrsStore, Srs, SrsSource};
use zktorch::workspace::Workspace;

/// Prints a line on stdout, ignoring a closed pipe (`zktorch verify … | head -1`): the exit
/// code carries the verdict, not the pipe.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

mod cli_e2e;

/// Zero-knowledge proofs that a committed ONNX model produced a given output.
///
/// A model owner commits to a model once (`setup`), then proves each inference (`prove`);
/// anyone checks a proof (`verify`) and learns that the committed model produced the output on
/// the input, and nothing about the weights. Proofs use KZG commitments over BN254 and need a
/// structured reference string (SRS): import a public powers-of-tau ceremony with
/// `zktorch srs import`, or let zktorch make a local one (which convinces only those who trust
/// this machine).
#[derive(Parser)]
#[command(name = "zktorch", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Shapes for inputs the model leaves symbolic (a batch size, a sequence length).
#[derive(Args, Clone, Default)]
struct ShapeArgs {
    /// The shape of an input with symbolic dimensions, as NAME=D,D,... (or D,D,... for a
    /// one-input model); may be repeated. Also read from "input_shapes" in input files. Without
    /// either, a symbolic leading dimension is taken as batch 1 (with a note).
    #[arg(long = "input-shape", value_name = "NAME=D,D,...")]
    input_shape: Vec<String>,
}

impl ShapeArgs {
    fn shapes(&self) -> anyhow::Result<zktorch::onnx::InputShapes> {
        let mut s = zktorch::onnx::InputShapes::new();
        for a in &self.input_shape {
            s.give_arg(a)?;
        }
        Ok(s)
    }
}

/// The fixed-point precision a model is compiled at (part of its key: other scales are another
/// model digest).
#[derive(Args, Clone, Default)]
struct PrecisionArgs {
    /// Bits of fixed point for activations and inputs, 4 to 16 [default: 8]: more bits, a
    /// smaller error against the float model and larger tables (a slower proof).
    #[arg(long, value_name = "BITS")]
    scale: Option<u32>,
    /// Bits of fixed point for weights, 4 to 16 [default: 12] (each rescale after a product
    /// range-checks a remainder below 2^BITS).
    #[arg(long, value_name = "BITS")]
    weight_scale: Option<u32>,
}

impl PrecisionArgs {
    fn config(&self) -> anyhow::Result<zktorch::quant::QuantConfig> {
        Ok(zktorch::quant::QuantConfig::with_bits(
            self.scale,
            self.weight_scale,
        )?)
    }
}

#[derive(Args, Clone)]
struct SrsDir {
    /// Directory of the SRS cache [default: $ZKTORCH_SRS_DIR, else the user cache directory
    /// (e.g. ~/.cache/zktorch/srs)].
    #[arg(long, value_name = "DIR", global = true)]
    srs_dir: Option<PathBuf>,
    /// Refuse a setup or prove whose estimated peak memory is above this many GB [default:
    /// $ZKTORCH_MAX_MEMORY in bytes, else 80% of this machine's memory].
    #[arg(long, value_name = "GB", global = true)]
    max_memory: Option<f64>,
}

impl SrsDir {
    fn store(&self) -> SrsStore {
        SrsStore::new(self.srs_dir.clone().unwrap_or_else(SrsStore::default_dir))
    }

    /// The anchors a verifier here accepts, and its domain limit.
    fn trust(
        &self,
        ceremony_only: bool,
        max_log_domain: Option<u32>,
    ) -> anyhow::Result<zktorch::srs::anchor::Trust> {
        let t = self.workspace().trust(ceremony_only)?;
        Ok(match max_log_domain {
            Some(k) => t.with_max_log_domain(k),
            None => t,
        })
    }

    fn workspace(&self) -> Workspace {
        let ws = Workspace::default_dirs();
        let ws = match &self.srs_dir {
            Some(d) => ws.with_srs_dir(d),
            None => ws,
        };
        match self.max_memory {
            Some(gb) if gb.is_finite() && gb > 0.0 => ws.with_max_memory(Some((gb * 1e9) as u64)),
            _ => ws,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Commit to a model once: weight and table commitments, per-model preprocessing, and the
    /// verifying key (model.vk) whose digest identifies the model.
    ///
    /// A model's key is made once and cached ($ZKTORCH_CACHE_DIR, else ~/.cache/zktorch/models):
    /// running setup again writes the same key. Two setups of one model have different digests
    /// — the weights are hidden by fresh random masks — so a new setup (--force) orphans every
    /// proof and published key of the old digest; the old cache entry is kept beside the new
    /// one. Publish model.vk (or its digest) once; verifiers pin it with `verify --vk`.
    Setup {
        /// The ONNX model.
        model: PathBuf,
        /// Where to write the verifying key.
        #[arg(short, long, default_value = "model.vk")]
        output: PathBuf,
        /// Calibration input (the input.json format) fixing table ranges; may be repeated
        /// [default: MODEL.input.json beside the model, if it exists].
        #[arg(long, value_name = "FILE")]
        calibration: Vec<PathBuf>,
        /// Make a new key even though the model is set up (new digest; the old entry is kept),
        /// or overwrite an -o file that holds another key.
        #[arg(long)]
        force: bool,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        shapes: ShapeArgs,
        #[command(flatten)]
        precision: PrecisionArgs,
        #[command(flatten)]
        srs: SrsDir,
    },
    /// Run the model on an input and prove the result; writes proof.bin and prints the output,
    /// the input's digest and the model digest. Sets the model up on first use (calibrated on
    /// this input and any --calibration files).
    Prove {
        /// The ONNX model.
        model: PathBuf,
        /// The input, as {"input_data": [[...]]} (one list per graph input).
        input: PathBuf,
        /// Where to write the proof.
        #[arg(short, long, default_value = "proof.bin")]
        output: PathBuf,
        /// Write a machine-readable summary (outputs, digests, SRS, stage times, proof size,
        /// peak memory; the error on failure) to FILE.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Write the full output tensors to FILE ({"output_data": [[...]]}; `verify
        /// --expected-output` reads it).
        #[arg(long, value_name = "FILE")]
        output_json: Option<PathBuf>,
        /// More calibration inputs for a first setup (ignored, with a note, once set up).
        #[arg(long, value_name = "FILE")]
        calibration: Vec<PathBuf>,
        /// Do not embed the verifying key (verifiers then need --vk).
        #[arg(long)]
        no_embed_vk: bool,
        #[command(flatten)]
        shapes: ShapeArgs,
        #[command(flatten)]
        precision: PrecisionArgs,
        #[command(flatten)]
        srs: SrsDir,
    },
    /// Check a proof. Exit code 0 = valid, 1 = invalid, 2 = unusable input.
    ///
    /// The verifying key (pinned with --vk, or embedded in the proof) is checked first: its SRS
    /// must be a public ceremony zktorch knows or an SRS in this machine's store, and every
    /// table, selector and wiring in it must be what its architecture says. Then the proof.
    /// Prints the input's digest, the outputs, the model digest and which SRS the proof rests
    /// on.
    Verify {
        /// The proof file written by `zktorch prove`.
        proof: PathBuf,
        /// Pin the verifying key the model owner published (otherwise the key embedded in the
        /// proof is used, and its digest printed so you can compare it).
        #[arg(long, value_name = "FILE")]
        vk: Option<PathBuf>,
        /// The input you sent (input.json format): the proof must be about exactly this input.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// The outputs the proof must state ({"output_data": [[...]]}, as `prove --output-json`
        /// writes).
        #[arg(long, value_name = "FILE")]
        expected_output: Option<PathBuf>,
        /// Refuse a proof whose SRS is not a public ceremony (a local SRS convinces only those
        /// who trust the machine that made it).
        #[arg(long)]
        require_ceremony: bool,
        /// Check keys of domains up to 2^K (default 24): checking a key costs time and memory
        /// in proportion to its domain.
        #[arg(long, value_name = "K")]
        max_domain_log: Option<u32>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        srs: SrsDir,
    },
    /// Verifying keys: check one against its SRS and architecture, or show what it states.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Show how a model lowers into basic blocks: layers, blocks, SRS size, estimated cost.
    ///
    /// With an input, also runs the quantized model (exact integer witness) and compares its
    /// output, and every layer's, with tract's float run, and plans the proof exactly as
    /// `prove` would (domain, SRS power). Table ranges are calibrated on the input and on every
    /// --calibration file, and the error and class agreement on each of them is reported. Exit
    /// code 2 when the model is not provable.
    Inspect {
        /// The ONNX model.
        model: PathBuf,
        /// Optional input: also run the quantized model and compare with the float output.
        input: Option<PathBuf>,
        /// Extra calibration input (same format as the input file); may be repeated.
        #[arg(long, value_name = "FILE")]
        calibration: Vec<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        shapes: ShapeArgs,
        #[command(flatten)]
        precision: PrecisionArgs,
        /// Choose the scales for a target instead of --scale/--weight-scale: "resources" (the
        /// cheapest proof within 1% of the float model on every sample, classes agreeing) or
        /// "accuracy" (the least error whose plan fits this machine). Tries activation scales
        /// 6 to 12 (weights 4 bits more) on the input and --calibration files, prints each,
        /// and reports the model at the one chosen.
        #[arg(long, value_name = "TARGET", conflicts_with_all = ["scale", "weight_scale"])]
        target: Option<zktorch::precision::Target>,
    },
    /// Manage structured reference strings (powers of tau).
    #[command(subcommand)]
    Srs(SrsCommand),
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Check a verifying key: its SRS is trusted (a known public ceremony, or an SRS in this
    /// machine's store) and every public column is what its architecture implies. Exit code 0 =
    /// the key is sound, 1 = it is not, 2 = unusable input.
    Check {
        /// The verifying key (model.vk).
        file: PathBuf,
        /// Refuse a key whose SRS is not a public ceremony.
        #[arg(long)]
        require_ceremony: bool,
        /// Check keys of domains up to 2^K (default 24).
        #[arg(long, value_name = "K")]
        max_domain_log: Option<u32>,
        #[command(flatten)]
        srs: SrsDir,
    },
    /// What a verifying key states: model digest, SRS label and digest, inputs, outputs, size
    /// (not checked: `key check` does that).
    Info {
        /// The verifying key (model.vk).
        file: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SrsCommand {
    /// Import a snarkjs / Perpetual Powers of Tau `.ptau` ceremony file into the SRS cache.
    ///
    /// Every point is checked (on the curve, in the prime-order subgroup), the powers are
    /// checked to be consecutive powers of one τ by a randomized pairing check, and the Lagrange
    /// sections (if present) are checked against the powers. A file that fails any check is
    /// refused with a message naming what failed.
    Import {
        /// The .ptau file.
        file: PathBuf,
        /// Keep only powers for domains up to 2^P points (smaller cache, faster loading).
        #[arg(long, value_name = "P")]
        max_power: Option<u32>,
        #[command(flatten)]
        srs: SrsDir,
    },
    /// Create a local SRS from fresh OS randomness (τ is discarded and zeroized).
    ///
    /// A proof made with a local SRS convinces only those who trust the machine that made it;
    /// import a public ceremony for proofs others should believe.
    Local {
        /// Support domains up to 2^P points (2^(P+1)−1 G1 and 2^P G2 powers).
        #[arg(long, value_name = "P")]
        power: u32,
        #[command(flatten)]
        srs: SrsDir,
    },
    /// List the SRSs in the cache: power, digest, source, size.
    Info {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        srs: SrsDir,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // The chain, each cause once (an I/O error's text is already in its parent's).
            let mut text = e.to_string();
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !text.contains(&c) {
                    text = format!("{text}: {c}");
                }
            }
            eprintln!("error: {text}");
            let code = e
                .downcast_ref::<zktorch::Error>()
                .map(|z| z.exit_code())
                .unwrap_or(2);
            ExitCode::from(code as u8)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Setup {
            model,
            output,
            calibration,
            force,
            json,
            shapes,
            precision,
            srs,
        } => cli_e2e::setup(
            &cli_e2e::SetupArgs {
                model: &model,
                output: &output,
                calibration: &calibration,
                shapes: &shapes.shapes()?,
                force,
                json,
            },
            &srs.workspace().with_quant(precision.config()?),
        ),
        Command::Prove {
            model,
            input,
            output,
            json,
            output_json,
            calibration,
            no_embed_vk,
            shapes,
            precision,
            srs,
        } => cli_e2e::prove(
            &cli_e2e::ProveArgs {
                model: &model,
                input: &input,
                output: &output,
                embed_vk: !no_embed_vk,
                json: json.as_deref(),
                output_json: output_json.as_deref(),
                calibration: &calibration,
                shapes: &shapes.shapes()?,
            },
            &srs.workspace().with_quant(precision.config()?),
        ),
        Command::Verify {
            proof,
            vk,
            input,
            expected_output,
            require_ceremony,
            max_domain_log,
            json,
            srs,
        } => cli_e2e::verify(
            &cli_e2e::VerifyArgs {
                proof: &proof,
                vk: vk.as_deref(),
                input: input.as_deref(),
                expected_output: expected_output.as_deref(),
                json,
            },
            &srs.trust(require_ceremony, max_domain_log)?,
            &srs.workspace(),
        ),
        Command::Key(KeyCommand::Check {
            file,
            require_ceremony,
            max_domain_log,
            srs,
        }) => cli_e2e::key_check(&file, &srs.trust(require_ceremony, max_domain_log)?),
        Command::Key(KeyCommand::Info { file, json }) => cli_e2e::key_info(&file, json),
        Command::Inspect {
            model,
            input,
            calibration,
            json,
            shapes,
            precision,
            target,
        } => inspect::run(
            &model,
            input.as_deref(),
            &calibration,
            &shapes.shapes()?,
            (precision.config()?, target),
            json,
        ),
        Command::Srs(cmd) => srs(cmd),
    }
}

fn srs(cmd: SrsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        SrsCommand::Import {
            file,
            max_power,
            srs,
        } => {
            let t = Instant::now();
            let imported = ptau::import(&file, max_power)?;
            let checked = t.elapsed();
            let path = srs.store().save(&imported)?;
            say!("imported {}", file.display());
            print_srs(&imported);
            say!(
                "validated in {:.2} s (points on curve and in subgroup, powers consistent)",
                checked.as_secs_f64()
            );
            say!("stored at {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        SrsCommand::Local { power, srs } => {
            let t = Instant::now();
            let local = Srs::local(power)?;
            let path = srs.store().save(&local)?;
            eprintln!(
                "warning: a local SRS convinces only those who trust this machine; \
                 import a public ceremony (`zktorch srs import FILE.ptau`) for proofs others \
                 should believe"
            );
            print_srs(&local);
            say!("created in {:.2} s", t.elapsed().as_secs_f64());
            say!("stored at {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        SrsCommand::Info { json, srs } => {
            let store = srs.store();
            let list = store
                .list()
                .with_context(|| format!("reading {}", store.dir().display()))?;
            if json {
                let items: Vec<serde_json::Value> = list
                    .iter()
                    .map(|info| {
                        serde_json::json!({
                            "path": info.path.display().to_string(),
                            "power": info.power,
                            "digest": info.digest_hex,
                            "bytes": info.bytes,
                            "source": info.source.as_ref().map(|s| s.to_string()),
                            "error": info.error,
                        })
                    })
                    .collect();
                say!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "schema": "zktorch/srs-info/v1",
                        "store": store.dir().display().to_string(),
                        "srs": items,
                    }))?
                );
                return Ok(ExitCode::SUCCESS);
            }
            say!("SRS cache: {}", store.dir().display());
            if list.is_empty() {
                say!("(empty: `zktorch srs import FILE.ptau` or `zktorch srs local --power P`)");
            }
            for info in list {
                match (&info.error, &info.source) {
                    (None, Some(source)) => say!(
                        "  power {:>2}  digest {}  {:>10} bytes  {}\n    {}",
                        info.power,
                        info.digest_hex,
                        info.bytes,
                        source,
                        info.path.display()
                    ),
                    (e, _) => say!(
                        "  {}: unreadable: {}",
                        info.path.display(),
                        e.as_deref().unwrap_or("unknown error")
                    ),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_srs(srs: &Srs) {
    say!(
        "power {} (domains up to 2^{} points): {} G1 powers, {} G2 powers",
        srs.power(),
        srs.power(),
        srs.g1_powers().len(),
        srs.g2_powers().len()
    );
    say!("digest {}", srs.digest_hex());
    say!("source {}", srs.source());
    if matches!(srs.source(), SrsSource::InsecureTestOnly { .. }) {
        eprintln!("warning: this SRS is INSECURE (τ derived from a public seed)");
    }
}

/// `zktorch inspect`: the library's report ([`zktorch::inspect`]) printed as text or JSON.
mod inspect {
    use std::path::Path;
    use std::process::ExitCode;
    use zktorch::api::InputText;
    use zktorch::inspect::Report;
    use zktorch::onnx;

    pub fn run(
        model: &Path,
        input: Option<&Path>,
        calibration: &[std::path::PathBuf],
        shapes: &onnx::InputShapes,
        (cfg, target): (
            zktorch::quant::QuantConfig,
            Option<zktorch::precision::Target>,
        ),
        json: bool,
    ) -> anyhow::Result<ExitCode> {
        zktorch::api::check_model_file(model)?;
        let texts = input
            .into_iter()
            .chain(calibration.iter().map(|p| p.as_path()))
            .map(InputText::read)
            .collect::<zktorch::Result<Vec<_>>>()?;
        let opened = zktorch::api::open_model(model, shapes, &texts)?;
        for note in &opened.graph.assumed {
            eprintln!("note: {note}");
        }
        // Calibration files alone (no input to compare) still plan nothing: the report
        // compares the first sample, so it needs the input.
        let samples = if input.is_some() {
            opened.samples
        } else {
            Vec::new()
        };
        let report = zktorch::inspect::inspect_for(
            &opened.model,
            &samples,
            cfg,
            target,
            zktorch::workspace::default_max_memory(),
        )?;
        if json {
            say!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print_precision(&report);
            print_text(&report);
            let labels: Vec<String> = texts.iter().map(|t| t.label.clone()).collect();
            print_samples(&report, &labels);
        }
        if let Some(e) = &report.error {
            anyhow::bail!(zktorch::Error::InvalidArgument(format!(
                "the quantized run failed: {e}"
            )));
        }
        if !report.not_provable.is_empty() {
            return Err(zktorch::Error::NotProvable(report.not_provable.clone()).into());
        }
        Ok(ExitCode::SUCCESS)
    }

    /// With `--target`: every candidate and the one chosen.
    fn print_precision(r: &Report) {
        let Some(p) = &r.precision else { return };
        say!(
            "calibration target {}: scales tried on every sample",
            p.target.name()
        );
        say!(
            "  {:>5} {:>6} {:>12} {:>8} {:>4} {:>10}",
            "scale",
            "weight",
            "rel. error",
            "classes",
            "SRS",
            "memory"
        );
        for c in &p.candidates {
            let mark = match p.chosen == Some((c.activation_bits, c.weight_bits)) {
                true => "  <- chosen",
                false => "",
            };
            match &c.error {
                Some(e) => say!("  {:>5} {:>6}  {e}", c.activation_bits, c.weight_bits),
                None => say!(
                    "  {:>5} {:>6} {:>11.3}% {:>8} {:>4} {:>7.2} GB{mark}",
                    c.activation_bits,
                    c.weight_bits,
                    100.0 * c.max_relative_error.unwrap_or(f64::NAN),
                    if c.classes_agree { "agree" } else { "differ" },
                    c.srs_power.map_or("-".into(), |p| p.to_string()),
                    c.memory_estimate.unwrap_or(0) as f64 / 1e9
                ),
            }
        }
        if let Some((a, w)) = p.chosen {
            say!("recommended: --scale {a} --weight-scale {w} (the report below is at these scales)\n");
        }
    }

    /// Per sample: each output's error against float and its class agreement.
    fn print_samples(r: &Report, labels: &[String]) {
        let Some(samples) = &r.samples else { return };
        say!(
            "\naccuracy per sample (at 2^{} activations, 2^{} weights):",
            r.activation_bits,
            r.weight_bits
        );
        say!(
            "  {:<32} {:<20} {:>10} {:>9}  argmax agrees",
            "sample",
            "output",
            "max |err|",
            "relative"
        );
        for s in samples {
            let label = labels.get(s.sample).map_or("?", String::as_str);
            for o in &s.outputs {
                let classes = match o.argmax_rows {
                    0 => "-".to_string(),
                    n if o.argmax_ties > 0 => format!(
                        "{}/{n} ({} of the others float ties)",
                        o.argmax_agree, o.argmax_ties
                    ),
                    n => format!("{}/{n}", o.argmax_agree),
                };
                say!(
                    "  {label:<32} {:<20} {:>10.6} {:>8.3}%  {classes}",
                    o.name,
                    o.max_abs_error,
                    100.0 * o.relative_error
                );
            }
        }
    }

    /// What the plan's SRS power means for where the SRS can come from.
    fn srs_note(power: u32) -> &'static str {
        if power <= zktorch::srs::MAX_LOCAL_POWER {
            "a local SRS will do; import a public ceremony for proofs others should believe"
        } else {
            "above what a local SRS allows: import a public ceremony of at least this power"
        }
    }

    fn shape(s: &[usize]) -> String {
        format!("{s:?}").replace(' ', "")
    }

    fn print_text(r: &Report) {
        say!("model {} (graph {:?}, opset {})", r.model, r.graph, r.opset);
        for (name, s) in &r.inputs {
            say!("  input  {name} {}", shape(s));
        }
        for (name, s) in &r.outputs_shapes {
            say!("  output {name} {}", shape(s));
        }
        say!(
            "quantization: activations q/2^{}, weights q/2^{}, biases at the product scale; \
             rescale ⌊(x + 2^(k−1)) / 2^k⌋",
            r.activation_bits,
            r.weight_bits
        );
        say!("\nlayers ({}):", r.layers.len());
        say!(
            "  {:<20} {:<20} {:<16} {:>5} {:>6}  status",
            "name",
            "op",
            "output",
            "scale",
            "blocks"
        );
        for l in &r.layers {
            say!(
                "  {:<20} {:<20} {:<16} {:>5} {:>6}  {}",
                l.name,
                l.op,
                shape(&l.output_shape),
                l.scale_bits
                    .map(|s| format!("2^{s}"))
                    .unwrap_or_else(|| "-".into()),
                l.instances,
                l.status
            );
        }
        let e = &r.tensor_entries;
        say!(
            "\nblock program: {} tensors ({} input entries, {} weight entries, {} activation \
             entries; largest {}), {} instances",
            r.tensors,
            e.input,
            e.weight,
            e.activation,
            e.largest,
            r.instances
        );
        say!("  {:<12} {:>9}  prover", "class", "instances");
        for b in &r.blocks {
            say!(
                "  {:<12} {:>9}  {}",
                b.class,
                b.instances,
                if b.prover { "exists" } else { "planned" }
            );
        }
        if !r.tables.is_empty() {
            say!("  tables:");
            for (i, t) in r.tables.iter().enumerate() {
                say!("    {i}: {t}");
            }
        }
        match &r.plan {
            Some(p) => say!(
                "proof plan (as `prove` makes it): {} segments on domains {}, SRS power {} ({}); \
                 estimated peak memory {:.2} GB",
                p.segments.len(),
                p.segments
                    .iter()
                    .map(|s| format!("2^{}", s.2))
                    .collect::<Vec<_>>()
                    .join(" "),
                p.srs_power,
                srs_note(p.srs_power),
                p.memory_estimate as f64 / 1e9
            ),
            None => say!(
                "SRS power needed: at least {} (estimate; give an input for the exact plan)",
                r.srs_power_estimate
            ),
        }
        if r.not_provable.is_empty() {
            say!("not yet provable: nothing (every layer lowers into blocks)");
        } else {
            say!("not yet provable ({}):", r.not_provable.len());
            for b in &r.not_provable {
                say!("  {b}");
            }
        }
        if let Some(e) = &r.error {
            say!("\nquantized run failed: {e}");
        }
        for o in r.outputs.iter().flatten() {
            say!(
                "\noutput {}: quantized vs float, max abs error {:.6}",
                o.name,
                o.max_abs_error
            );
            say!(
                "  {:>6} {:>12} {:>12} {:>10}",
                "index",
                "quantized",
                "float",
                "|error|"
            );
            for (i, (a, b)) in o.quantized.iter().zip(&o.float).enumerate().take(32) {
                say!(
                    "  {i:>6} {a:>12.6} {b:>12.6} {:>10.6}",
                    (a - f64::from(*b)).abs()
                );
            }
            if o.quantized.len() > 32 {
                say!("  ... {} more", o.quantized.len() - 32);
            }
        }
        if let Some(layers) = &r.layer_errors {
            say!("\nper-layer max abs error (dequantized vs float):");
            for a in layers {
                say!(
                    "  {:<20} {:<20} {:>10.6}  (max |float| {:.4})",
                    a.layer,
                    a.op,
                    a.max_abs_error,
                    a.max_abs_float
                );
            }
        }
    }
}
