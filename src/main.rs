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
        #[command(flatten)]
        srs: SrsDir,
    },
    /// Check a proof. Exit code 0 = valid, 1 = invalid, 2 = unusable input.
    Verify {
        /// The proof file written by `zktorch prove`.
        proof: PathBuf,
        /// Pin the verifying key the model owner published (otherwise the key embedded in the
        /// proof is used, and its digest printed so you can compare it).
        #[arg(long, value_name = "FILE")]
        vk: Option<PathBuf>,
    },
    /// Show how a model lowers into basic blocks: layers, blocks, SRS size, estimated cost.
    Inspect {
        /// The ONNX model.
        model: PathBuf,
        /// Optional input: also run the quantized model and compare with the float output.
        input: Option<PathBuf>,
    },
    /// Manage structured reference strings (powers of tau).
    #[command(subcommand)]
    Srs(SrsCommand),
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

fn not_yet(what: &'static str) -> anyhow::Result<ExitCode> {
    Err(zktorch::Error::NotImplemented(what).into())
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Setup { .. } => not_yet(
            "`setup` (model commitment and verifying key) lands with the end-to-end milestone; \
             nothing was written",
        ),
        Command::Prove { .. } => not_yet(
            "`prove` lands with the end-to-end milestone (ONNX frontend, basic blocks, \
             accumulation); no proof was written",
        ),
        Command::Verify { .. } => {
            not_yet("`verify` lands with the end-to-end milestone; no verdict was computed")
        }
        Command::Inspect { .. } => not_yet("`inspect` lands with the ONNX frontend milestone"),
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
