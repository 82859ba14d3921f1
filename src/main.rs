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

mod cli_e2e;

/// Zero-knowledge proofs that a committed ONNX model produced a given output.
///
/// A model owner commits to a model once (`setup`), then proves each inference (`prove`);
/// anyone checks a proof (`verify`) and learns that the committed model produced the output on
/// the input, and nothing about the weights. Proofs use KZG commitments over BN254 and need a
/// structured reference string (SRS): import a public powers-of-tau ceremony with
/// `zktorch srs import`, or let zktorch make a local one.
#[derive(Parser)]
#[command(name = "zktorch", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct SrsDir {
    /// Directory of the SRS cache [default: $ZKTORCH_SRS_DIR, else the user cache directory
    /// (e.g. ~/.cache/zktorch/srs)].
    #[arg(long, value_name = "DIR", global = true)]
    srs_dir: Option<PathBuf>,
}

impl SrsDir {
    fn store(&self) -> SrsStore {
        SrsStore::new(self.srs_dir.clone().unwrap_or_else(SrsStore::default_dir))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Commit to a model once: weight and table commitments, per-model preprocessing, and the
    /// verifying key (model.vk) whose digest identifies the model.
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
        #[command(flatten)]
        srs: SrsDir,
    },
    /// Run the model on an input and prove the result; writes proof.bin and prints the output
    /// and the model digest.
    Prove {
        /// The ONNX model.
        model: PathBuf,
        /// The input, as {"input_data": [[...]]} (one list per graph input).
        input: PathBuf,
        /// Where to write the proof.
        #[arg(short, long, default_value = "proof.bin")]
        output: PathBuf,
        /// Write a machine-readable summary (stage times, proof size, peak memory) to FILE.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Do not embed the verifying key (verifiers then need --vk).
        #[arg(long)]
        no_embed_vk: bool,
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
        /// Refuse a proof whose SRS is not a public ceremony (a local SRS convinces only those
        /// who trust the machine that made it).
        #[arg(long)]
        require_ceremony: bool,
        #[command(flatten)]
        srs: SrsDir,
    },
    /// Verifying keys: check one against its SRS and architecture, or show what it states.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Show how a model lowers into basic blocks: layers, blocks, SRS size, estimated cost.
    ///
    /// With an input, also runs the quantized model (exact integer witness) and compares its
    /// output, and every layer's, with tract's float run. Table ranges are calibrated on the
    /// input and on every --calibration file.
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
        #[command(flatten)]
        srs: SrsDir,
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
        #[command(flatten)]
        srs: SrsDir,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
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
            srs,
        } => cli_e2e::setup(&model, &output, &calibration, &srs.store()),
        Command::Prove {
            model,
            input,
            output,
            json,
            no_embed_vk,
            srs,
        } => cli_e2e::prove(
            &model,
            &input,
            &output,
            !no_embed_vk,
            json.as_deref(),
            &srs.store(),
        ),
        Command::Verify {
            proof,
            vk,
            input,
            require_ceremony,
            srs,
        } => cli_e2e::verify(
            &proof,
            vk.as_deref(),
            input.as_deref(),
            &cli_e2e::trust(&srs.store(), require_ceremony)?,
        ),
        Command::Key(KeyCommand::Check {
            file,
            require_ceremony,
            srs,
        }) => cli_e2e::key_check(&file, &cli_e2e::trust(&srs.store(), require_ceremony)?),
        Command::Inspect {
            model,
            input,
            calibration,
            json,
        } => inspect::run(&model, input.as_deref(), &calibration, json),
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
            println!("imported {}", file.display());
            print_srs(&imported);
            println!(
                "validated in {:.2} s (points on curve and in subgroup, powers consistent)",
                checked.as_secs_f64()
            );
            println!("stored at {}", path.display());
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
            println!("created in {:.2} s", t.elapsed().as_secs_f64());
            println!("stored at {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        SrsCommand::Info { srs } => {
            let store = srs.store();
            let list = store
                .list()
                .with_context(|| format!("reading {}", store.dir().display()))?;
            println!("SRS cache: {}", store.dir().display());
            if list.is_empty() {
                println!(
                    "(empty: `zktorch srs import FILE.ptau` or `zktorch srs local --power P`)"
                );
            }
            for info in list {
                match (&info.error, &info.source) {
                    (None, Some(source)) => println!(
                        "  power {:>2}  digest {}  {:>10} bytes  {}\n    {}",
                        info.power,
                        info.digest_hex,
                        info.bytes,
                        source,
                        info.path.display()
                    ),
                    (e, _) => println!(
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
    println!(
        "power {} (domains up to 2^{} points): {} G1 powers, {} G2 powers",
        srs.power(),
        srs.power(),
        srs.g1_powers().len(),
        srs.g2_powers().len()
    );
    println!("digest {}", srs.digest_hex());
    println!("source {}", srs.source());
    if matches!(srs.source(), SrsSource::InsecureTestOnly { .. }) {
        eprintln!("warning: this SRS is INSECURE (τ derived from a public seed)");
    }
}

/// `zktorch inspect`: the layer table, the block program, the SRS size, what is not provable,
/// and with an input the quantized run against tract's float run.
mod inspect {
    use std::path::Path;
    use std::process::ExitCode;

    use serde_json::{json, Value};
    use zktorch::compile::{self, LayerStatus, Program, TensorKind};
    use zktorch::onnx::{self, LayerGraph};
    use zktorch::quant::{self, report::max_abs_error, QuantConfig};
    use zktorch::witness;

    /// What the quantized run produced.
    struct Comparison {
        outputs: Vec<(String, Vec<f64>, Vec<f32>)>,
        layers: Vec<quant::LayerAccuracy>,
    }

    pub fn run(
        model: &Path,
        input: Option<&Path>,
        calibration: &[std::path::PathBuf],
        json: bool,
    ) -> anyhow::Result<ExitCode> {
        let graph = onnx::load(model)?;
        let mut program = compile::compile(&graph, QuantConfig::default())?;
        let mut samples = Vec::new();
        for path in input
            .into_iter()
            .chain(calibration.iter().map(|p| p.as_path()))
        {
            samples.push(onnx::read_input_json(path, &graph.inputs)?);
        }
        let provable = program.not_provable().is_empty();
        let comparison = match (input, provable) {
            (Some(_), true) => Some(compare(model, &graph, &mut program, &samples)),
            _ => None,
        };
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&to_json(model, &graph, &program, &comparison))?
            );
        } else {
            print_text(model, &graph, &program, &comparison);
        }
        match comparison {
            Some(Err(e)) => Err(e),
            _ if input.is_some() && !provable => {
                Err(zktorch::Error::NotProvable(not_provable_lines(&program)).into())
            }
            _ => Ok(ExitCode::SUCCESS),
        }
    }

    fn compare(
        model: &Path,
        graph: &LayerGraph,
        program: &mut Program,
        samples: &[Vec<Vec<f32>>],
    ) -> anyhow::Result<Comparison> {
        quant::calibrate(program, samples)?;
        let w = witness::run(program, &samples[0])?;
        let float = onnx::run_float_graph(model, graph, &samples[0])?;
        let outputs = w
            .outputs(program)
            .into_iter()
            .map(|(name, q)| {
                let f = float.get(&name).map(|(_, f)| f.clone()).unwrap_or_default();
                (name, q, f)
            })
            .collect();
        let layers = quant::accuracy_report(program, &w, &float);
        Ok(Comparison { outputs, layers })
    }

    fn not_provable_lines(p: &Program) -> Vec<String> {
        p.not_provable()
            .iter()
            .map(|l| match &l.status {
                LayerStatus::NotProvable(r) => format!("{} (node {:?}): {r}", l.op, l.name),
                _ => String::new(),
            })
            .collect()
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

    /// Entries of inputs, weights and activations.
    fn tensor_sizes(p: &Program) -> (usize, usize, usize, usize) {
        let mut s = (0, 0, 0, 0);
        for t in &p.tensors {
            match t.kind {
                TensorKind::Input { .. } => s.0 += t.len(),
                TensorKind::Weight { .. } => s.1 += t.len(),
                TensorKind::Activation | TensorKind::Output => s.2 += t.len(),
            }
            s.3 = s.3.max(t.len());
        }
        s
    }

    fn shape(s: &[usize]) -> String {
        format!("{s:?}").replace(' ', "")
    }

    fn print_text(
        model: &Path,
        g: &LayerGraph,
        p: &Program,
        cmp: &Option<anyhow::Result<Comparison>>,
    ) {
        let cfg = p.config;
        println!(
            "model {} (graph {:?}, opset {})",
            model.display(),
            g.name,
            g.opset()
        );
        for i in &g.inputs {
            println!("  input  {} {}", i.name, shape(&i.shape));
        }
        for o in &g.outputs {
            println!("  output {} {}", o.name, shape(&o.shape));
        }
        println!(
            "quantization: activations q/2^{}, weights q/2^{}, biases at the product scale; \
             rescale ⌊(x + 2^(k−1)) / 2^k⌋",
            cfg.activation_bits, cfg.weight_bits
        );
        println!("\nlayers ({}):", p.layers.len());
        println!(
            "  {:<20} {:<20} {:<16} {:>5} {:>6}  status",
            "name", "op", "output", "scale", "blocks"
        );
        for l in &p.layers {
            println!(
                "  {:<20} {:<20} {:<16} {:>5} {:>6}  {}",
                l.name,
                l.op,
                shape(&l.output_shape),
                l.scale_bits
                    .map(|s| format!("2^{s}"))
                    .unwrap_or_else(|| "-".into()),
                l.instances.len(),
                status(&l.status)
            );
        }
        let (inp, wts, acts, largest) = tensor_sizes(p);
        println!(
            "\nblock program: {} tensors ({inp} input entries, {wts} weight entries, {acts} \
             activation entries; largest {largest}), {} instances",
            p.tensors.len(),
            p.instances.len()
        );
        println!("  {:<12} {:>9}  prover", "class", "instances");
        for (c, n) in p.class_counts() {
            println!(
                "  {:<12} {:>9}  {}",
                c.name(),
                n,
                if c.has_prover() { "exists" } else { "planned" }
            );
        }
        if !p.tables.is_empty() {
            println!("  tables:");
            for (i, t) in p.tables.iter().enumerate() {
                println!("    {i}: {}", t.describe());
            }
        }
        let (power, at) = p.srs_power();
        match at {
            Some(i) => println!(
                "SRS power needed: {power} (2^{power} points; largest: instance {i}, {} in {:?})",
                p.instances[i].block.describe(),
                p.instances[i].layer
            ),
            None => println!("SRS power needed: 0 (no block instance)"),
        }
        let blocked = not_provable_lines(p);
        if blocked.is_empty() {
            println!("not yet provable: nothing (every layer lowers into blocks)");
        } else {
            println!("not yet provable ({}):", blocked.len());
            for b in blocked {
                println!("  {b}");
            }
        }
        match cmp {
            None => {}
            Some(Err(e)) => println!("\nquantized run failed: {e:#}"),
            Some(Ok(c)) => {
                for (name, q, f) in &c.outputs {
                    println!(
                        "\noutput {name}: quantized vs float, max abs error {:.6}",
                        max_abs_error(q, f)
                    );
                    println!(
                        "  {:>6} {:>12} {:>12} {:>10}",
                        "index", "quantized", "float", "|error|"
                    );
                    for (i, (a, b)) in q.iter().zip(f).enumerate().take(32) {
                        println!(
                            "  {i:>6} {a:>12.6} {b:>12.6} {:>10.6}",
                            (a - f64::from(*b)).abs()
                        );
                    }
                    if q.len() > 32 {
                        println!("  ... {} more", q.len() - 32);
                    }
                }
                println!("\nper-layer max abs error (dequantized vs float):");
                for a in &c.layers {
                    println!(
                        "  {:<20} {:<20} {:>10.6}  (max |float| {:.4})",
                        a.layer, a.op, a.max_abs_error, a.max_abs_float
                    );
                }
            }
        }
    }

    fn to_json(
        model: &Path,
        g: &LayerGraph,
        p: &Program,
        cmp: &Option<anyhow::Result<Comparison>>,
    ) -> Value {
        let (power, _) = p.srs_power();
        let (inp, wts, acts, largest) = tensor_sizes(p);
        let mut v = json!({
            "model": model.display().to_string(),
            "opset": g.opset(),
            "activation_bits": p.config.activation_bits,
            "weight_bits": p.config.weight_bits,
            "layers": p.layers.iter().map(|l| json!({
                "name": l.name,
                "op": l.op,
                "output": l.output,
                "output_shape": l.output_shape,
                "scale_bits": l.scale_bits,
                "instances": l.instances.len(),
                "status": status(&l.status),
            })).collect::<Vec<_>>(),
            "blocks": p.class_counts().iter().map(|(c, n)| json!({
                "class": c.name(), "instances": n, "prover": c.has_prover(),
            })).collect::<Vec<_>>(),
            "tables": p.tables.iter().map(|t| t.describe()).collect::<Vec<_>>(),
            "tensor_entries": {"input": inp, "weight": wts, "activation": acts, "largest": largest},
            "srs_power": power,
            "not_provable": not_provable_lines(p),
        });
        match cmp {
            Some(Ok(c)) => {
                v["outputs"] = c
                    .outputs
                    .iter()
                    .map(|(name, q, f)| {
                        json!({"name": name, "quantized": q, "float": f,
                               "max_abs_error": max_abs_error(q, f)})
                    })
                    .collect();
                v["layer_errors"] = c
                    .layers
                    .iter()
                    .map(|a| {
                        json!({"layer": a.layer, "op": a.op, "max_abs_error": a.max_abs_error,
                                   "max_abs_float": a.max_abs_float})
                    })
                    .collect();
            }
            Some(Err(e)) => v["error"] = json!(format!("{e:#}")),
            None => {}
        }
        v
    }
}
