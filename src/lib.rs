//! zktorch: zero-knowledge proofs that a committed ONNX model produced a given output.
//!
//! The crate is organised as the data flows (see `docs/DESIGN.md`):
//!
//! - [`srs`]: structured reference strings (local setup, `.ptau` import, on-disk cache);
//! - [`pcs`]: KZG polynomial commitments over BN254 (Lagrange-basis commitments with a
//!   small-scalar MSM, openings, batched openings, batched pairing checks);
//! - [`transcript`]: the Fiat–Shamir transcript;
//! - [`proof`]: the verifying-key and proof file formats;
//! - [`codec`]: bounded binary reading and writing used by every format;
//! - [`onnx`]: the ONNX frontend (layer graph, float reference run, input files);
//! - [`quant`]: fixed-point scheme, tables, calibration, accuracy report;
//! - [`compile`]: layer graph → block program;
//! - [`witness`]: exact integer execution of a block program;
//! - [`model`]: setup, the key check, the model prover and verifier;
//! - [`api`], [`workspace`]: the library's door — files in, files out; the SRS store and the
//!   model cache ([`fsx`]: atomic writes, locks).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod accumulate;
pub mod api;
pub mod blocks;
pub mod codec;
pub mod compile;
pub mod error;
pub mod fsx;
pub mod inspect;
pub mod model;
pub mod onnx;
pub mod pcs;
pub mod precision;
pub mod proof;
pub mod quant;
pub mod srs;
pub mod transcript;
pub mod witness;
pub mod workspace;

pub use error::{Error, Result};
