//! Division with remainder by a public constant: `a = d·q + r` with `0 ≤ r < d` (so `q` is the
//! floor of `a/d`), for means and rescales that are not powers of two.
//!
//! A composition, no new argument:
//!
//! - the remainder's commitment is derived by the verifier, `C_r = C_a − d·C_q` (linear block),
//!   so r is bound to a and q by construction;
//! - a lookup proves every `r_i ∈ [0, d)`;
//! - a lookup proves every `q_i` in the quotient range the model fixes (`[q_min, q_max]`);
//!   a range of at least [`WIDE_MIN_ROWS`] values and of more values than the n entries
//!   divided (its table would set the domain) is checked in two limbs instead: the prover commits
//!   `h = ⌊(q − q_min)/2^L⌋`, the verifier derives `l = q − 2^L·h`, and lookups prove
//!   `l ∈ [q_min, q_min + 2^L)` and `h ∈ [0, H]` with `H = ⌊(q_max − q_min)/2^L⌋` and
//!   `L = ⌈bits/2⌉` for a width below 2^bits, so both tables have about √width rows and
//!   `q ∈ [q_min, q_min + 2^L·(H+1))`, a superset of the range, still far below p.
//!
//! Soundness: over F_r, `a − d·q ∈ [0, d)` alone would also hold for non-integer "quotients"
//! `q ≡ (a − r)/d mod p`; the range lookup on q excludes them (the only q in a small range with
//! `a − d·q ∈ [0, d)` is the integer floor quotient, as long as `d·(q_max − q_min + 1) + d < r`).
//! ZK: q is opened by both lookups (two points) and carries a mask of 3; r inherits it; the
//! high limb h is a new column opened by two lookups, with the same mask.

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

/// Quotient ranges narrower than this are always checked whole (a small table costs less than
/// a second limb's commitment and lookup).
pub const WIDE_MIN_ROWS: i64 = 1 << 12;

/// The widest quotient range a division accepts (values `q_max − q_min`).
const MAX_WIDTH: i64 = 1 << 40;

/// The limb split of the quotient range of a division of `n` entries, when the range is wide
/// (at least [`WIDE_MIN_ROWS`] values and at least n: its table, not the entries, would set the
/// domain): `(L, H)` with the low limb in `[q_min, q_min + 2^L)` and the high limb in
/// `[0, H]`; `None` for a range checked whole. A function of the architecture alone.
pub fn limbs(n: usize, q_min: i64, q_max: i64) -> Option<(u32, i64)> {
    let width = q_max.checked_sub(q_min)?;
    let least = WIDE_MIN_ROWS.max(i64::try_from(n).unwrap_or(i64::MAX));
    if !(least..=MAX_WIDTH).contains(&width) {
        return None;
    }
    let bits = 64 - (width as u64).leading_zeros();
    let l = bits.div_ceil(2);
    Some((l, width >> l))
}

/// Rows the quotient check's tables need on the domain: the range's values, or for a wide
/// range the larger of its two limb tables (`2^L` and `H + 1`). The domain planner and the key
/// use this one count.
pub fn quotient_rows(n: usize, q_min: i64, q_max: i64) -> usize {
    match limbs(n, q_min, q_max) {
        Some((l, h)) => (1usize << l).max(h as usize + 1),
        None => usize::try_from(q_max.saturating_sub(q_min)).map_or(1, |w| w.saturating_add(1)),
    }
}

/// The high limb's key of a wide quotient range: its bits L and the table `[0, H]`.
#[derive(Clone, Debug)]
pub struct HighLimbKey {
    /// L: the low limb spans 2^L values.
    pub bits: u32,
    /// The lower end of the quotient range (the low limb's table starts there).
    pub q_min: i64,
    /// The table `[0, H]`.
    pub lookup: LookupKey,
}

/// The two range tables of a division, laid out on one domain.
#[derive(Clone, Debug)]
pub struct DivisionKey {
    /// The divisor d > 0.
    pub divisor: i64,
    /// Remainders: `[0, d)`.
    pub remainder: LookupKey,
    /// Quotients: `[q_min, q_max]`, or the low limb's `[q_min, q_min + 2^L)` for a wide range.
    pub quotient: LookupKey,
    /// For a wide range, the high limb.
    pub high: Option<HighLimbKey>,
}

/// The verifier's part of a [`DivisionKey`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DivisionVerifierKey {
    /// The divisor.
    pub divisor: i64,
    /// Remainder table key.
    pub remainder: LookupVerifierKey,
    /// Quotient (or low limb) table key.
    pub quotient: LookupVerifierKey,
    /// For a wide range: L and the high limb's table key.
    pub high: Option<(u32, LookupVerifierKey)>,
}

/// A division proof: the two range lookups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DivisionProof {
    /// `r ∈ [0, d)`.
    pub remainder: LookupProof,
    /// `q ∈ [q_min, q_max]` (or the low limb in its table).
    pub quotient: LookupProof,
    /// For a wide range: the high limb's commitment and its lookup.
    pub high: Option<(Commitment, LookupProof)>,
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
        if divisor <= 0 || divisor > 1 << 24 || !width.is_some_and(|w| (0..=MAX_WIDTH).contains(&w))
        {
            return Err(Error::InvalidArgument(format!(
                "division by {divisor} with quotient range [{q_min}, {q_max}]"
            )));
        }
        let q_rows = quotient_rows(n, q_min, q_max);
        Ok(crate::pcs::domain_log(n + (divisor as usize).max(q_rows)))
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
        let tables = Self::tables(n, divisor, q_min, q_max)?;
        let mut tables = tables.into_iter();
        let mut next = || -> Result<LookupKey> {
            let t = tables
                .next()
                .ok_or_else(|| Error::InvalidArgument("a division table is missing".into()))?;
            LookupKey::on_domain(srs, n, t, log_m)
        };
        let (remainder, quotient) = (next()?, next()?);
        let high = match limbs(n, q_min, q_max) {
            Some((bits, _)) => Some(HighLimbKey {
                bits,
                q_min,
                lookup: next()?,
            }),
            None => None,
        };
        Ok(DivisionKey {
            divisor,
            remainder,
            quotient,
            high,
        })
    }

    /// The division's tables (after checking they and n entries fit some domain): the
    /// remainders `[0, d)`, the quotients `[q_min, q_max]` — or, for a wide range ([`limbs`]),
    /// the low limb `[q_min, q_min + 2^L)` and the high limb `[0, H]`.
    pub fn tables(n: usize, divisor: i64, q_min: i64, q_max: i64) -> Result<Vec<Table>> {
        Self::domain_log(n, divisor, q_min, q_max)?;
        let remainder = Table::single((0..divisor).collect());
        Ok(match limbs(n, q_min, q_max) {
            None => vec![remainder, Table::single((q_min..=q_max).collect())],
            Some((l, h)) => vec![
                remainder,
                Table::single((q_min..q_min + (1 << l)).collect()),
                Table::single((0..=h).collect()),
            ],
        })
    }

    /// The verifier's part.
    pub fn verifier_key(&self) -> DivisionVerifierKey {
        DivisionVerifierKey {
            divisor: self.divisor,
            remainder: self.remainder.verifier_key(),
            quotient: self.quotient.verifier_key(),
            high: self
                .high
                .as_ref()
                .map(|h| (h.bits, h.lookup.verifier_key())),
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
    // A wide range: h = ⌊(q − q_min)/2^L⌋ on the looked-up rows (0 on the padding), committed
    // and absorbed; the quotient table then holds the low limb l = q − 2^L·h.
    let split = match &key.high {
        None => None,
        Some(hk) => {
            let n = key.remainder.witness_len;
            let h_values: Vec<i64> = q
                .values
                .iter()
                .take(n)
                .map(|v| v.saturating_sub(hk.q_min) >> hk.bits)
                .chain(std::iter::repeat(0))
                .take(1usize << key.quotient.log_m)
                .collect();
            let h = Committed::new(srs, &h_values, QUOTIENT_MASK, rng)?;
            transcript.append_g1s(b"division/high-limb", &[h.commitment.0]);
            let low = linear::sub(q, &linear::scale(&h, 1i64 << hk.bits)?)?;
            Some((hk, h, low))
        }
    };
    let looked_up = split.as_ref().map_or(q, |(_, _, low)| low);
    let quotient = lookup::prove_in(
        srs,
        &key.quotient,
        looked_up,
        None,
        transcript,
        rng,
        mode.reborrow(),
    )?;
    let high = match split {
        None => None,
        Some((hk, h, _)) => {
            let p = lookup::prove_in(srs, &hk.lookup, &h, None, transcript, rng, mode.reborrow())?;
            Some((h.commitment, p))
        }
    };
    Ok(DivisionProof {
        remainder,
        quotient,
        high,
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
    // A wide range: h absorbed, then the quotient table checks C_l = C_q − 2^L·C_h.
    let looked_up = match (&key.high, &proof.high) {
        (None, None) => q,
        (Some((bits, _)), Some((h, _))) => {
            transcript.append_g1s(b"division/high-limb", &[h.0]);
            linear::sub_commitments(q, linear::scale_commitment(*h, 1i64 << bits))
        }
        _ => {
            return Err(Error::Verification(
                "a division proof whose limbs do not match its key".into(),
            ))
        }
    };
    lookup::verify_in(
        vk,
        &key.quotient,
        looked_up,
        None,
        &proof.quotient,
        transcript,
        batch,
        mode.reborrow(),
    )?;
    if let (Some((_, high_key)), Some((h, high_proof))) = (&key.high, &proof.high) {
        lookup::verify_in(
            vk,
            high_key,
            *h,
            None,
            high_proof,
            transcript,
            batch,
            mode.reborrow(),
        )?;
    }
    Ok(())
}
