//! Division with remainder by a public constant: `a = d·q + r` with `0 ≤ r < d` (so `q` is the
//! floor of `a/d`), for means and rescales that are not powers of two.
//!
//! A composition, no new argument:
//!
//! - the remainder's commitment is derived by the verifier, `C_r = C_a − d·C_q` (linear block),
//!   so r is bound to a and q by construction;
//! - a lookup proves every `r_i ∈ [0, d)`;
//! - a lookup proves every `q_i` in the quotient range the model fixes (`[q_min, q_max]`).
//!
//! Soundness: over F_r, `a − d·q ∈ [0, d)` alone would also hold for non-integer "quotients"
//! `q ≡ (a − r)/d mod p`; the range lookup on q excludes them (the only q in a small range with
//! `a − d·q ∈ [0, d)` is the integer floor quotient, as long as `d·(q_max − q_min + 1) + d < r`).
//! ZK: q is opened by both lookups (two points) and carries a mask of 3; r inherits it.

use super::identity;
use super::lookup::{self, LookupKey, LookupProof, LookupVerifierKey, Table};
use super::{linear, Committed};
use crate::error::{Error, Result};
use crate::pcs::{Commitment, PairingBatch, VerifierKey};
use crate::srs::Srs;
use crate::transcript::Transcript;
use rand::{CryptoRng, RngCore};

/// Mask coefficients for a quotient tensor (opened by two lookups).
pub const QUOTIENT_MASK: usize = 3;

/// The two range tables of a division, laid out on one domain.
#[derive(Clone, Debug)]
pub struct DivisionKey {
    /// The divisor d > 0.
    pub divisor: i64,
    /// Remainders: `[0, d)`.
    pub remainder: LookupKey,
    /// Quotients: `[q_min, q_max]`.
    pub quotient: LookupKey,
}

/// The verifier's part of a [`DivisionKey`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DivisionVerifierKey {
    /// The divisor.
    pub divisor: i64,
    /// Remainder table key.
    pub remainder: LookupVerifierKey,
    /// Quotient table key.
    pub quotient: LookupVerifierKey,
}

/// A division proof: the two range lookups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DivisionProof {
    /// `r ∈ [0, d)`.
    pub remainder: LookupProof,
    /// `q ∈ [q_min, q_max]`.
    pub quotient: LookupProof,
}

impl DivisionKey {
    /// Keys for dividing `n` entries by `divisor`, quotients in `[q_min, q_max]`.
    pub fn new(srs: &Srs, n: usize, divisor: i64, q_min: i64, q_max: i64) -> Result<Self> {
        let log_m = Self::domain_log(n, divisor, q_min, q_max)?;
        Self::on_domain(srs, n, divisor, q_min, q_max, log_m)
    }

    /// log2 of the smallest domain holding n entries and both tables.
    pub fn domain_log(n: usize, divisor: i64, q_min: i64, q_max: i64) -> Result<u32> {
        let width = q_max.checked_sub(q_min);
        if divisor <= 0 || divisor > 1 << 24 || !width.is_some_and(|w| (0..1 << 24).contains(&w)) {
            return Err(Error::InvalidArgument(format!(
                "division by {divisor} with quotient range [{q_min}, {q_max}]"
            )));
        }
        let (d_rows, q_rows) = (divisor as usize, (q_max - q_min + 1) as usize);
        Ok(crate::pcs::domain_log(n + d_rows.max(q_rows)))
    }

    /// As [`DivisionKey::new`] on a domain of size `2^log_m` (at least the smallest one).
    pub fn on_domain(
        srs: &Srs,
        n: usize,
        divisor: i64,
        q_min: i64,
        q_max: i64,
        log_m: u32,
    ) -> Result<Self> {
        let (remainder, quotient) = Self::tables(n, divisor, q_min, q_max)?;
        Ok(DivisionKey {
            divisor,
            remainder: LookupKey::on_domain(srs, n, remainder, log_m)?,
            quotient: LookupKey::on_domain(srs, n, quotient, log_m)?,
        })
    }

    /// The remainder table `[0, d)` and the quotient table `[q_min, q_max]` (after checking they
    /// and n entries fit some domain).
    pub fn tables(n: usize, divisor: i64, q_min: i64, q_max: i64) -> Result<(Table, Table)> {
        Self::domain_log(n, divisor, q_min, q_max)?;
        Ok((
            Table::single((0..divisor).collect()),
            Table::single((q_min..=q_max).collect()),
        ))
    }

    /// The verifier's part.
    pub fn verifier_key(&self) -> DivisionVerifierKey {
        DivisionVerifierKey {
            divisor: self.divisor,
            remainder: self.remainder.verifier_key(),
            quotient: self.quotient.verifier_key(),
        }
    }
}

/// The floor quotients of `a` by `d` (what an honest prover commits as q).
pub fn quotients(a: &[i64], d: i64) -> Vec<i64> {
    a.iter().map(|x| x.div_euclid(d)).collect()
}

/// Proves `a = d·q + r, 0 ≤ r < d` entry by entry for the committed a and q.
pub fn prove<R: RngCore + CryptoRng>(
    srs: &Srs,
    key: &DivisionKey,
    a: &Committed,
    q: &Committed,
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<DivisionProof> {
    prove_in(srs, key, a, q, transcript, rng, identity::Mode::Now)
}

/// As [`prove`], with the identity proved now or deferred to a shared proof.
pub fn prove_in<R: RngCore + CryptoRng>(
    srs: &Srs,
    key: &DivisionKey,
    a: &Committed,
    q: &Committed,
    transcript: &mut Transcript,
    rng: &mut R,
    mut mode: identity::Mode<'_>,
) -> Result<DivisionProof> {
    transcript.append_bytes(b"block", b"division");
    transcript.append_u64(b"division/divisor", key.divisor as u64);
    let r = linear::sub(a, &linear::scale(q, key.divisor)?)?;
    let remainder = lookup::prove_in(
        srs,
        &key.remainder,
        &r,
        None,
        transcript,
        rng,
        mode.reborrow(),
    )?;
    let quotient = lookup::prove_in(
        srs,
        &key.quotient,
        q,
        None,
        transcript,
        rng,
        mode.reborrow(),
    )?;
    Ok(DivisionProof {
        remainder,
        quotient,
    })
}

/// Verifies a division for the committed a and q.
pub fn verify(
    vk: &VerifierKey,
    key: &DivisionVerifierKey,
    a: Commitment,
    q: Commitment,
    proof: &DivisionProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
) -> Result<()> {
    verify_in(
        vk,
        key,
        a,
        q,
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
    key: &DivisionVerifierKey,
    a: Commitment,
    q: Commitment,
    proof: &DivisionProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
    mut mode: identity::Check<'_>,
) -> Result<()> {
    transcript.append_bytes(b"block", b"division");
    transcript.append_u64(b"division/divisor", key.divisor as u64);
    // C_r = C_a − d·C_q
    let r = linear::sub_commitments(a, linear::scale_commitment(q, key.divisor));
    lookup::verify_in(
        vk,
        &key.remainder,
        r,
        None,
        &proof.remainder,
        transcript,
        batch,
        mode.reborrow(),
    )?;
    lookup::verify_in(
        vk,
        &key.quotient,
        q,
        None,
        &proof.quotient,
        transcript,
        batch,
        mode.reborrow(),
    )
}
