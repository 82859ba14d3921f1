//! Hadamard product `c = a ∘ b` of two committed tensors of the same shape.
//!
//! Constraint on H: `a(X)·b(X) − c(X) = 0`. One [`identity`] proof: 2 G1 + 4 F_r.

use super::identity::{self, Constraints, IdentityProof, Rot, Row, Value};
use super::Committed;
use crate::error::{Error, Result};
use crate::pcs::{Commitment, PairingBatch, VerifierKey};
use crate::srs::Srs;
use crate::transcript::Transcript;
use ark_bn254::Fr;

/// The Hadamard relation's constraints over columns (a, b, c).
#[derive(Clone)]
pub struct Hadamard;

impl Constraints for Hadamard {
    fn columns(&self) -> usize {
        3
    }
    fn degree(&self) -> usize {
        2
    }
    fn combine<V: Value>(&self, row: &Row<'_, V>, _alpha: Fr) -> V {
        // a·b − c
        row.col(0, Rot::Cur) * row.col(1, Rot::Cur) - row.col(2, Rot::Cur)
    }
}

/// The output of an honest Hadamard product, with overflow checked.
pub fn hadamard_values(a: &[i64], b: &[i64]) -> Result<Vec<i64>> {
    if a.len() != b.len() {
        return Err(Error::InvalidArgument(format!(
            "Hadamard product of tensors of {} and {} values",
            a.len(),
            b.len()
        )));
    }
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            x.checked_mul(*y)
                .ok_or_else(|| Error::InvalidArgument(format!("{x}·{y} overflows i64")))
        })
        .collect()
}

/// Proves `c = a ∘ b`. Fails (no proof) if it does not hold.
pub fn prove(
    srs: &Srs,
    a: &Committed,
    b: &Committed,
    c: &Committed,
    transcript: &mut Transcript,
) -> Result<IdentityProof> {
    prove_in(srs, a, b, c, transcript, identity::Mode::Now)
}

/// As [`prove`], with the identity proved now or deferred to a shared proof.
pub fn prove_in(
    srs: &Srs,
    a: &Committed,
    b: &Committed,
    c: &Committed,
    transcript: &mut Transcript,
    mode: identity::Mode<'_>,
) -> Result<IdentityProof> {
    transcript.append_bytes(b"block", b"hadamard");
    identity::prove_in(
        srs,
        &Hadamard,
        &[&a.poly, &b.poly, &c.poly],
        &[a.commitment, b.commitment, c.commitment],
        transcript,
        mode,
    )
}

/// Verifies `c = a ∘ b` for the committed tensors `[a, b, c]` on H of size `2^log_n`.
pub fn verify(
    vk: &VerifierKey,
    log_n: u32,
    abc: [Commitment; 3],
    proof: &IdentityProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
) -> Result<()> {
    verify_in(
        vk,
        log_n,
        abc,
        proof,
        transcript,
        batch,
        identity::Check::Now,
    )
}

/// As [`verify`], with the identity checked now or deferred to a shared proof.
pub fn verify_in(
    vk: &VerifierKey,
    log_n: u32,
    abc: [Commitment; 3],
    proof: &IdentityProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
    mode: identity::Check<'_>,
) -> Result<()> {
    transcript.append_bytes(b"block", b"hadamard");
    identity::verify_in(vk, &Hadamard, log_n, &abc, proof, transcript, batch, mode)
}
