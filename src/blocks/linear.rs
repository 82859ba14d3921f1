//! Linear blocks with no proof: the verifier derives the output commitment from the inputs'.
//!
//! KZG commitments are additively homomorphic: `[a(τ)]₁ + [b(τ)]₁ = [(a + b)(τ)]₁` and
//! `k·[a(τ)]₁ = [(k·a)(τ)]₁`. The output's commitment is never sent: the verifier computes it,
//! so it is bound to the inputs by construction. The prover's output polynomial is the same
//! combination of the inputs' masked polynomials, so its mask is the combination of theirs (still
//! uniform when any input's mask is).

use super::Committed;
use crate::error::{Error, Result};
use crate::pcs::{Commitment, CommittedPoly};
use ark_bn254::{Fr, G1Projective};
use ark_ec::CurveGroup;

fn same_domain(a: &Committed, b: &Committed) -> Result<()> {
    if a.poly.log_n != b.poly.log_n {
        return Err(Error::InvalidArgument(format!(
            "linear block over domains 2^{} and 2^{}",
            a.poly.log_n, b.poly.log_n
        )));
    }
    Ok(())
}

fn combine(a: &Committed, ka: i64, b: Option<(&Committed, i64)>) -> Result<Committed> {
    // The combined mask is random in every coefficient some input's mask is random in.
    let hiding = match (ka, b) {
        (0, None) => 0,
        (_, None) => a.poly.hiding,
        (_, Some((b, kb))) => match (ka, kb) {
            (0, 0) => 0,
            (0, _) => b.poly.hiding,
            (_, 0) => a.poly.hiding,
            _ => a.poly.hiding.max(b.poly.hiding),
        },
    };
    let mut poly = &a.poly.poly * Fr::from(ka);
    let mut values: Vec<i64> = Vec::with_capacity(a.values.len());
    let mut commitment = G1Projective::from(a.commitment.0) * Fr::from(ka);
    match b {
        None => {
            for x in &a.values {
                values.push(x.checked_mul(ka).ok_or_else(overflow)?);
            }
        }
        Some((b, kb)) => {
            same_domain(a, b)?;
            poly += &(&b.poly.poly * Fr::from(kb));
            commitment += G1Projective::from(b.commitment.0) * Fr::from(kb);
            for (x, y) in a.values.iter().zip(&b.values) {
                let v = x
                    .checked_mul(ka)
                    .and_then(|p| y.checked_mul(kb).and_then(|q| p.checked_add(q)))
                    .ok_or_else(overflow)?;
                values.push(v);
            }
        }
    }
    Ok(Committed {
        values,
        poly: CommittedPoly {
            poly,
            log_n: a.poly.log_n,
            hiding,
        },
        commitment: Commitment(commitment.into_affine()),
    })
}

fn overflow() -> Error {
    Error::InvalidArgument("linear block overflows i64".into())
}

/// Prover: `a + b`.
pub fn add(a: &Committed, b: &Committed) -> Result<Committed> {
    combine(a, 1, Some((b, 1)))
}

/// Prover: `a − b`.
pub fn sub(a: &Committed, b: &Committed) -> Result<Committed> {
    combine(a, 1, Some((b, -1)))
}

/// Prover: `k·a` for a public constant k.
pub fn scale(a: &Committed, k: i64) -> Result<Committed> {
    combine(a, k, None)
}

/// Verifier: the commitment of `a + b`.
pub fn add_commitments(a: Commitment, b: Commitment) -> Commitment {
    Commitment((a.0 + b.0).into_affine())
}

/// Verifier: the commitment of `a − b`.
pub fn sub_commitments(a: Commitment, b: Commitment) -> Commitment {
    Commitment((a.0 - b.0).into_affine())
}

/// Verifier: the commitment of `k·a`.
pub fn scale_commitment(a: Commitment, k: i64) -> Commitment {
    Commitment((a.0 * Fr::from(k)).into_affine())
}

/// A committed public tensor P equal on H to a derived commitment D (`P(X) − D(X) = 0` on H):
/// how a graph output computed by a linear layer is tied to its inputs. P is committed by the
/// prover without a mask, so its public values can be bound to it; D is the homomorphic
/// combination the verifier computes. Proven as a part of the identity engine (two opened
/// values, no group element); D is opened at ζ, which counts as one opening of every masked
/// input it is derived from.
#[derive(Clone)]
pub struct Equal;

impl super::identity::Constraints for Equal {
    fn columns(&self) -> usize {
        2
    }
    fn degree(&self) -> usize {
        1
    }
    fn combine<V: super::identity::Value>(
        &self,
        row: &super::identity::Row<'_, V>,
        _alpha: Fr,
    ) -> V {
        use super::identity::Rot;
        row.col(0, Rot::Cur) - row.col(1, Rot::Cur)
    }
}

/// Prover: P equals D on H (see [`Equal`]).
pub fn prove_equal_in(
    srs: &crate::srs::Srs,
    p: &Committed,
    d: &Committed,
    transcript: &mut crate::transcript::Transcript,
    mode: super::identity::Mode<'_>,
) -> Result<super::identity::IdentityProof> {
    if p.values != d.values {
        return Err(Error::InvalidArgument(
            "a public tensor differs from the linear combination it states".into(),
        ));
    }
    transcript.append_bytes(b"block", b"equal");
    super::identity::prove_in(
        srs,
        &Equal,
        &[&p.poly, &d.poly],
        &[p.commitment, d.commitment],
        transcript,
        mode,
    )
}

/// Verifier twin of [`prove_equal_in`].
#[allow(clippy::too_many_arguments)] // the standalone verifier signature plus the mode
pub fn verify_equal_in(
    vk: &crate::pcs::VerifierKey,
    log_n: u32,
    p: Commitment,
    d: Commitment,
    proof: &super::identity::IdentityProof,
    transcript: &mut crate::transcript::Transcript,
    batch: &mut crate::pcs::PairingBatch,
    check: super::identity::Check<'_>,
) -> Result<()> {
    transcript.append_bytes(b"block", b"equal");
    super::identity::verify_in(vk, &Equal, log_n, &[p, d], proof, transcript, batch, check)
}
