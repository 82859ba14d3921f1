//! The model-level prover and verifier: a compiled block program proved end to end.
//!
//! **Shape of a proof** (first cut, issue #5):
//!
//! 1. Every tensor lives on **one domain** H of size N, the largest any instance needs, so a
//!    tensor shared by several blocks is committed once and every block reads the same
//!    commitment. Public tensors (graph inputs and outputs) are committed without a mask;
//!    weights are committed by setup (hiding, in the verifying key, or inside a matrix-product
//!    key); activations are committed by the prover with a fresh mask large enough for every
//!    opening any block makes of them; outputs of linear instances are derived by both sides.
//! 2. The transcript absorbs the verifying key's digest first, then the public values, then every
//!    commitment; then a challenge z binds the public commitments to the public values: the
//!    prover opens them at z (one GWC batch opening) and the verifier evaluates the public values'
//!    interpolants at z itself.
//! 3. The instances are proved in program order on the same transcript; every pairing equation of
//!    every block goes into one [`PairingBatch`] (one multi-pairing for the whole model).
//!
//! Soundness is the blocks' own, composed: each block proves its relation between the
//! commitments it is given, and the commitments are the same objects throughout the program.

mod codec;
mod keycheck;
mod keys;
mod params;
mod prove;
mod segments;
mod verify;

pub use codec::{
    proof_from_parts, proof_parts, strip_weights, vk_file, vk_from_file, Architecture,
};
pub use keycheck::{check_key, CheckedKey, KeyProof};
pub use keys::{
    bound_tensors, on_domain, plan, plan_with_spreads, public_committed, public_slots, rebuild,
    roles, setup, InstanceKey, InstanceVerifierKey, ModelKey, ModelVerifierKey, Plan, Role,
};
pub use params::{instance_params, public_columns, At, Column, InstanceParams};
pub use prove::{
    prove, prove_mixed_witnesses, prove_with_progress, prove_witness, InstanceProof, ModelProof,
    WeightShift,
};
pub use segments::{segment, Binding, Segment, View, Views};
pub use verify::{evaluate_values, verify, verify_with, view, Decider, ProofView};
