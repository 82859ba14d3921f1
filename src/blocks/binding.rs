//! Cross-domain binding: one vector committed on domains of different sizes holds the same
//! values on each (docs/PROTOCOLS.md §5.5).
//!
//! Relation: views `v_1` on H_1 (size n_1) and `v_2` on H_2 (size n_2) of one tensor, each
//! zero-padded to its domain, are equal as vectors (padded to the larger size).
//!
//! For a challenge r drawn after both views are committed, each view gets a running column
//! `acc` with, on its own domain,
//!
//! - `(X − ω^(n−1))·(acc(X) − v(X) − r·acc(ωX)) = 0` (row i < n−1: `acc_i = v_i + r·acc_(i+1)`),
//! - `L_(n−1)(X)·(acc(X) − v(X)) = 0` (the last row starts the sum),
//!
//! so `acc_0 = Σ_i v_i r^i` ([`Horner`], a part of the segment's identity proof). Row 0 of every
//! radix-2 domain is the point X = 1, so the two sums are equal iff `acc_1 − acc_2` vanishes at
//! 1: the prover sends `Q = [(acc_1 − acc_2)(τ)/(τ − 1)]₁` and the verifier checks
//! `e(A_1 − A_2 + Q, [1]₂) = e(Q, [τ]₂)` ([`first_rows_equal`]).
//!
//! Soundness: if the padded vectors differ, `Σ (v_1,i − v_2,i) r^i` is a nonzero polynomial in
//! r of degree < max(n_1, n_2), zero for at most that many r; otherwise the sums differ, acc_1 −
//! acc_2 is not divisible by X − 1 and an accepting Q is a KZG opening of it at 1 to a false
//! value (q-SDH). Zero knowledge: the sum itself is never revealed (the check states only that
//! two hidden values are equal); each acc is masked for its two openings (ζ, ωζ of its segment),
//! and Q is a function of the two commitments.

use super::identity::{self, Constraints, IdentityProof, Rot, Row, Value};
use super::Committed;
use crate::error::{Error, Result};
use crate::pcs::{self, Commitment, CommittedPoly, PairingBatch, VerifierKey};
use crate::srs::Srs;
use crate::transcript::Transcript;
use ark_bn254::{Fr, G1Affine};
use ark_ff::{One, Zero};
use ark_poly::univariate::DensePolynomial;
use ark_poly::DenseUVPolynomial;
use rand::{CryptoRng, RngCore};

/// Mask coefficients of a running column (opened at ζ and ωζ).
const ACC_MASK: usize = 3;

/// The Horner relation over columns (v, acc) with the challenge r.
#[derive(Clone)]
pub struct Horner {
    /// The binding challenge.
    pub r: Fr,
}

impl Constraints for Horner {
    fn columns(&self) -> usize {
        2
    }
    fn reads_next(&self, j: usize) -> bool {
        j == 1
    }
    fn degree(&self) -> usize {
        2
    }
    fn combine<V: Value>(&self, row: &Row<'_, V>, alpha: Fr) -> V {
        let (v, acc, next) = (
            row.col(0, Rot::Cur),
            row.col(1, Rot::Cur),
            row.col(1, Rot::Next),
        );
        // (X − ω^(n−1))·(acc − v − r·acc(ωX)) + α·L_(n−1)·(acc − v)
        row.not_last * (acc - v - next * self.r) + row.l_last * (acc - v) * alpha
    }
}

/// The running column of `values` (one domain's view, zero-padded) at r: `acc_i = Σ_(j≥i)
/// v_j r^(j−i)`.
pub fn running_sums(values: &[i64], r: Fr) -> Vec<Fr> {
    let mut acc = vec![Fr::zero(); values.len()];
    let mut s = Fr::zero();
    for (i, v) in values.iter().enumerate().rev() {
        s = Fr::from(*v) + r * s;
        acc[i] = s;
    }
    acc
}

/// A view's running column, committed with its mask.
pub fn commit_running<R: RngCore + CryptoRng>(
    srs: &Srs,
    view: &Committed,
    r: Fr,
    rng: &mut R,
) -> Result<Committed> {
    let acc = running_sums(&view.values, r);
    let (commitment, poly) = pcs::commit_field_values_hiding(srs, &acc, ACC_MASK, rng)?;
    Ok(Committed {
        values: Vec::new(),
        poly,
        commitment,
    })
}

/// Prover: the Horner relation between a view and its running column, as an identity part.
pub fn prove_in(
    srs: &Srs,
    r: Fr,
    view: &Committed,
    running: &Committed,
    transcript: &mut Transcript,
    mode: identity::Mode<'_>,
) -> Result<IdentityProof> {
    transcript.append_bytes(b"block", b"binding");
    identity::prove_in(
        srs,
        &Horner { r },
        &[&view.poly, &running.poly],
        &[view.commitment, running.commitment],
        transcript,
        mode,
    )
}

/// Verifier twin of [`prove_in`] for the view and running commitments on `2^log_n`.
#[allow(clippy::too_many_arguments)] // the standalone verifier signature plus the mode
pub fn verify_in(
    vk: &VerifierKey,
    log_n: u32,
    r: Fr,
    [view, running]: [Commitment; 2],
    proof: &IdentityProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
    check: identity::Check<'_>,
) -> Result<()> {
    transcript.append_bytes(b"block", b"binding");
    identity::verify_in(
        vk,
        &Horner { r },
        log_n,
        &[view, running],
        proof,
        transcript,
        batch,
        check,
    )
}

/// `(a − b) = q·(X − 1) + rem`: the quotient and the remainder `(a − b)(1)`.
fn divided_difference(a: &CommittedPoly, b: &CommittedPoly) -> (DensePolynomial<Fr>, Fr) {
    let len = a.poly.coeffs.len().max(b.poly.coeffs.len());
    let mut diff = vec![Fr::zero(); len];
    for (d, c) in diff.iter_mut().zip(&a.poly.coeffs) {
        *d += c;
    }
    for (d, c) in diff.iter_mut().zip(&b.poly.coeffs) {
        *d -= c;
    }
    pcs::divide_by_linear(&DensePolynomial::from_coefficients_vec(diff), Fr::one())
}

/// Prover: `Q = [(a − b)(τ)/(τ − 1)]₁` for two running columns whose first rows agree. Fails
/// (no proof) if they do not.
pub fn first_rows_quotient(srs: &Srs, a: &CommittedPoly, b: &CommittedPoly) -> Result<Commitment> {
    let (q, at_one) = divided_difference(a, b);
    if !at_one.is_zero() {
        return Err(Error::InvalidArgument(
            "a tensor's views on two domains hold different values".into(),
        ));
    }
    pcs::commit_poly(srs, &q)
}

/// **An attack, for the soundness tests only**: the best quotient a prover without the
/// trapdoor can send when the first rows differ — `(a − b − (a − b)(1))/(X − 1)` — which
/// [`first_rows_equal`] rejects.
#[doc(hidden)]
pub fn forged_first_rows_quotient(
    srs: &Srs,
    a: &CommittedPoly,
    b: &CommittedPoly,
) -> Result<Commitment> {
    let (q, _) = divided_difference(a, b);
    pcs::commit_poly(srs, &q)
}

/// Verifier: the running columns A and B agree at X = 1, given Q:
/// `e(A − B + Q, [1]₂) = e(Q, [τ]₂)` into the batch.
pub fn first_rows_equal(
    vk: &VerifierKey,
    a: Commitment,
    b: Commitment,
    q: Commitment,
    batch: &mut PairingBatch,
) {
    let terms: [(G1Affine, Fr); 3] = [(a.0, Fr::one()), (b.0, -Fr::one()), (q.0, Fr::one())];
    // e(A − B + Q, [1]₂) = e(Q, [τ]₂)
    batch.add_equation(&[(&terms, vk.h), (&[(q.0, -Fr::one())], vk.tau_h)]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::test_srs;
    use rand::SeedableRng;

    fn view(values: &[i64], log_n: u32, rng: &mut rand::rngs::StdRng) -> Committed {
        let mut v = values.to_vec();
        v.resize(1 << log_n, 0);
        Committed::new(test_srs(), &v, 3, rng).unwrap()
    }

    /// Proves both Horner parts standalone and returns whether everything verifies.
    fn bind(a: &Committed, b: &Committed, forced_q: Option<Commitment>) -> bool {
        let srs = test_srs();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let start = || {
            let mut t = Transcript::new(b"binding-test");
            t.append_g1s(b"views", &[a.commitment.0, b.commitment.0]);
            t
        };
        let mut t = start();
        let r = t.challenge_scalar(b"r");
        let (ra, rb) = (
            commit_running(srs, a, r, &mut rng).unwrap(),
            commit_running(srs, b, r, &mut rng).unwrap(),
        );
        let q = match forced_q {
            Some(q) => q,
            None => match first_rows_quotient(srs, &ra.poly, &rb.poly) {
                Ok(q) => q,
                Err(_) => return false,
            },
        };
        let pa = prove_in(srs, r, a, &ra, &mut t, identity::Mode::Now).unwrap();
        let pb = prove_in(srs, r, b, &rb, &mut t, identity::Mode::Now).unwrap();
        let mut tv = start();
        let r = tv.challenge_scalar(b"r");
        let vk = srs.verifier_key();
        let mut batch = PairingBatch::new();
        let checks = [(a, &ra, &pa), (b, &rb, &pb)]
            .into_iter()
            .all(|(v, run, p)| {
                verify_in(
                    &vk,
                    v.poly.log_n,
                    r,
                    [v.commitment, run.commitment],
                    p,
                    &mut tv,
                    &mut batch,
                    identity::Check::Now,
                )
                .is_ok()
            });
        first_rows_equal(&vk, ra.commitment, rb.commitment, q, &mut batch);
        checks && batch.verify()
    }

    #[test]
    fn the_same_vector_on_two_domains_binds() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let values = [3, -1, 4, 1, -5, 9, 2, 6, 5, 3];
        let a = view(&values, 4, &mut rng);
        let b = view(&values, 6, &mut rng);
        assert!(bind(&a, &b, None));
    }

    #[test]
    fn a_changed_entry_is_refused_and_a_forged_quotient_rejected() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let values = [3, -1, 4, 1, -5, 9, 2, 6, 5, 3];
        let mut other = values;
        other[7] += 1;
        let a = view(&values, 4, &mut rng);
        let b = view(&other, 6, &mut rng);
        // The honest prover cannot make Q.
        assert!(!bind(&a, &b, None));
        // A quotient taken from an honest pair does not verify for this one.
        let c = view(&values, 6, &mut rng);
        let srs = test_srs();
        let r = Fr::from(5u64);
        let (ra, rc) = (
            commit_running(srs, &a, r, &mut rng).unwrap(),
            commit_running(srs, &c, r, &mut rng).unwrap(),
        );
        let q = first_rows_quotient(srs, &ra.poly, &rc.poly).unwrap();
        assert!(!bind(&a, &b, Some(q)));
        // Nonzero padding beyond the shorter view's domain is a different vector too.
        let mut long = values.to_vec();
        long.resize(1 << 6, 0);
        long[40] = 1;
        let d = Committed::new(srs, &long, 3, &mut rng).unwrap();
        assert!(!bind(&a, &d, None));
    }

    #[test]
    fn running_sums_are_horner() {
        let r = Fr::from(3u64);
        let acc = running_sums(&[1, 2, 0, 4], r);
        // 1 + 2·3 + 0·9 + 4·27
        assert_eq!(acc[0], Fr::from(115u64));
        assert_eq!(acc[3], Fr::from(4u64));
    }
}
