//! Sum of a committed tensor: `s = Σ_i f_i` for a public s.
//!
//! The prover commits a running-sum column z with `z_i = f_0 + … + f_i`; constraints on H:
//!
//! - `L_0(X)·(z(X) − f(X)) = 0`                        (z_0 = f_0)
//! - `(X − ω^(n−1))·(z(ωX) − z(X) − f(ωX)) = 0`          (z_(i+1) = z_i + f_(i+1), i < n−1)
//! - `L_(n−1)(X)·(z(X) − s) = 0`                       (z_(n−1) = s)
//!
//! combined with powers of α. No degree bound is involved (unlike the `p(0) = s/n` sumcheck,
//! which the research code used unbounded and which let Σ(1..8) = 1000 verify). z holds integers
//! of at most the size of s, so it is committed by the small-scalar MSM. s is absorbed before
//! any challenge. Proof: 1 G1 (z) + the identity proof (opened at ζ and ωζ: 4 G1 + 6 F_r in all).

use super::identity::{self, Constraints, IdentityProof, Rot, Row, Value};
use super::Committed;
use crate::error::{Error, Result};
use crate::pcs::{Commitment, PairingBatch, VerifierKey};
use crate::srs::Srs;
use crate::transcript::Transcript;
use ark_bn254::Fr;
use rand::{CryptoRng, RngCore};

/// Mask coefficients of the running-sum column: opened at ζ and ωζ, plus one.
const RUNNING_SUM_MASK: usize = 3;

/// Constraints over columns (f, z) for the public sum s.
#[derive(Clone)]
pub struct Sum {
    /// The claimed sum.
    pub total: Fr,
}

impl Constraints for Sum {
    fn columns(&self) -> usize {
        2
    }
    fn reads_next(&self, _j: usize) -> bool {
        true
    }
    fn degree(&self) -> usize {
        2
    }
    fn combine<V: Value>(&self, row: &Row<'_, V>, alpha: Fr) -> V {
        let (f, z) = (row.col(0, Rot::Cur), row.col(1, Rot::Cur));
        let (f_next, z_next) = (row.col(0, Rot::Next), row.col(1, Rot::Next));
        let first = row.l_first * (z - f);
        let step = row.not_last * (z_next - z - f_next);
        let last = row.l_last * (z - self.total);
        first + (step + last * alpha) * alpha
    }
}

/// A sum proof: the running-sum commitment and the identity proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumProof {
    /// `[z(τ)]₁`.
    pub running_sum: Commitment,
    /// The constraints' proof.
    pub identity: IdentityProof,
}

fn absorb_statement(transcript: &mut Transcript, total: i64) {
    transcript.append_bytes(b"block", b"sum");
    transcript.append_scalar(b"sum/total", &Fr::from(total));
}

/// Proves `Σ f_i = total`. Fails (no proof) if it does not hold or a partial sum overflows.
pub fn prove<R: RngCore + CryptoRng>(
    srs: &Srs,
    f: &Committed,
    total: i64,
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<SumProof> {
    prove_in(srs, f, total, transcript, rng, identity::Mode::Now)
}

/// As [`prove`], with the identity proved now or deferred to a shared proof.
pub fn prove_in<R: RngCore + CryptoRng>(
    srs: &Srs,
    f: &Committed,
    total: i64,
    transcript: &mut Transcript,
    rng: &mut R,
    mode: identity::Mode<'_>,
) -> Result<SumProof> {
    let mut running = Vec::with_capacity(f.values.len());
    let mut acc: i64 = 0;
    for v in &f.values {
        acc = acc
            .checked_add(*v)
            .ok_or_else(|| Error::InvalidArgument("partial sum overflows i64".into()))?;
        running.push(acc);
    }
    if acc != total {
        return Err(Error::InvalidArgument(format!(
            "the values sum to {acc}, not {total}"
        )));
    }
    absorb_statement(transcript, total);
    let z = Committed::new(srs, &running, RUNNING_SUM_MASK, rng)?;
    transcript.append_g1(b"sum/running", &z.commitment.0);
    let identity = identity::prove_in(
        srs,
        &Sum {
            total: Fr::from(total),
        },
        &[&f.poly, &z.poly],
        &[f.commitment, z.commitment],
        transcript,
        mode,
    )?;
    Ok(SumProof {
        running_sum: z.commitment,
        identity,
    })
}

/// Verifies `Σ f_i = total` for the committed f on H of size `2^log_n`.
pub fn verify(
    vk: &VerifierKey,
    log_n: u32,
    f: Commitment,
    total: i64,
    proof: &SumProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
) -> Result<()> {
    verify_in(
        vk,
        log_n,
        f,
        total,
        proof,
        transcript,
        batch,
        identity::Check::Now,
    )
}

/// As [`verify`], with the identity checked now or deferred to a shared proof.
#[allow(clippy::too_many_arguments)] // the standalone signature plus the identity mode
pub fn verify_in(
    vk: &VerifierKey,
    log_n: u32,
    f: Commitment,
    total: i64,
    proof: &SumProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
    mode: identity::Check<'_>,
) -> Result<()> {
    absorb_statement(transcript, total);
    transcript.append_g1(b"sum/running", &proof.running_sum.0);
    identity::verify_in(
        vk,
        &Sum {
            total: Fr::from(total),
        },
        log_n,
        &[f, proof.running_sum],
        &proof.identity,
        transcript,
        batch,
        mode,
    )
}
