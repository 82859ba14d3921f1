//! KZG algorithms: commit, open, batch open, verify (the math is in the module docs of
//! [`crate::pcs`]).

use super::msm::{msm_field, msm_small};
use super::{
    BatchOpening, Commitment, CommittedPoly, OpeningProof, PairingBatch, Query, VerifierKey,
};
use crate::error::{Error, Result};
use crate::srs::Srs;
use crate::transcript::Transcript;
use ark_bn254::{Fr, G1Affine};
use ark_ec::CurveGroup;
use ark_ff::{Field, One, UniformRand, Zero};
use ark_poly::univariate::DensePolynomial;
use ark_poly::{DenseUVPolynomial, EvaluationDomain, Polynomial, Radix2EvaluationDomain};
use rand::{CryptoRng, RngCore};

/// log2 of the domain that holds `len` values: the next power of two (at least 1 point).
pub fn domain_log(len: usize) -> u32 {
    len.max(1).next_power_of_two().trailing_zeros()
}

fn domain(log_n: u32) -> Result<Radix2EvaluationDomain<Fr>> {
    Radix2EvaluationDomain::new(1usize << log_n)
        .ok_or_else(|| Error::InvalidArgument(format!("no FFT domain of size 2^{log_n}")))
}

/// Commitment to the polynomial taking `values` (zero-padded to a power of two) on the domain:
/// `C = Σ v_i [L_i(τ)]₁`, by a small-scalar MSM. Not hiding (for public tensors, whose
/// commitment the verifier can recompute): see [`commit_values_hiding`].
pub fn commit_values(srs: &Srs, values: &[i64]) -> Result<Commitment> {
    let log_n = domain_log(values.len());
    let basis = srs.lagrange(log_n)?;
    Ok(Commitment(
        lagrange_msm_small(srs, log_n, &basis, values).into_affine(),
    ))
}

/// As [`commit_values`], for arbitrary field values.
pub fn commit_field_values(srs: &Srs, values: &[Fr]) -> Result<Commitment> {
    let log_n = domain_log(values.len());
    let basis = srs.lagrange(log_n)?;
    Ok(Commitment(
        lagrange_msm_field(srs, log_n, &basis, values).into_affine(),
    ))
}

/// Commitment to a polynomial in coefficient form: `C = Σ f_j [τ^j]₁`.
pub fn commit_poly(srs: &Srs, poly: &DensePolynomial<Fr>) -> Result<Commitment> {
    let powers = srs.g1_powers();
    if poly.coeffs.len() > powers.len() {
        return Err(Error::SrsTooSmall {
            what: "committing a polynomial",
            needed: poly.coeffs.len(),
            available: powers.len(),
        });
    }
    let p = super::memo::remember(&srs.digest(), b"monomial", &poly.coeffs, || {
        msm_field(powers, &poly.coeffs)
    });
    Ok(Commitment(p.into_affine()))
}

fn lagrange_label(log_n: u32) -> [u8; 12] {
    let mut b = *b"lagrange\0\0\0\0";
    b[8..].copy_from_slice(&log_n.to_le_bytes());
    b
}

/// `Σ v_i [L_i(τ)]₁` for small values (memoised in a setup scope, [`super::memo`]).
fn lagrange_msm_small(
    srs: &Srs,
    log_n: u32,
    basis: &[G1Affine],
    values: &[i64],
) -> ark_bn254::G1Projective {
    super::memo::remember(&srs.digest(), &lagrange_label(log_n), values, || {
        msm_small(basis, values)
    })
}

/// `Σ v_i [L_i(τ)]₁` for field values (memoised in a setup scope, [`super::memo`]).
fn lagrange_msm_field(
    srs: &Srs,
    log_n: u32,
    basis: &[G1Affine],
    values: &[Fr],
) -> ark_bn254::G1Projective {
    super::memo::remember(&srs.digest(), &lagrange_label(log_n), values, || {
        msm_field(basis, values)
    })
}

/// Hiding commitment to `values`: the polynomial `f(X) + r(X)·(X^n − 1)` with a random r of
/// `hiding_bound` coefficients, so the commitment and up to `hiding_bound − 1` openings outside
/// the domain reveal nothing about the values (use one more coefficient than openings). Returns the commitment and the masked polynomial for opening.
///
/// The commitment is `Σ v_i [L_i(τ)]₁ + Σ_j r_j ([τ^(n+j)]₁ − [τ^j]₁)` (small-scalar MSM for the
/// values, a short MSM for the mask).
pub fn commit_values_hiding<R: RngCore + CryptoRng>(
    srs: &Srs,
    values: &[i64],
    hiding_bound: usize,
    rng: &mut R,
) -> Result<(Commitment, CommittedPoly)> {
    let log_n = domain_log(values.len());
    let basis = srs.lagrange(log_n)?;
    let unmasked = lagrange_msm_small(srs, log_n, &basis, values);
    let evals: Vec<Fr> = values.iter().map(|&v| Fr::from(v)).collect();
    mask(srs, log_n, unmasked, evals, hiding_bound, rng)
}

/// As [`commit_values_hiding`], for arbitrary field values.
pub fn commit_field_values_hiding<R: RngCore + CryptoRng>(
    srs: &Srs,
    values: &[Fr],
    hiding_bound: usize,
    rng: &mut R,
) -> Result<(Commitment, CommittedPoly)> {
    let log_n = domain_log(values.len());
    let basis = srs.lagrange(log_n)?;
    let unmasked = lagrange_msm_field(srs, log_n, &basis, values);
    mask(srs, log_n, unmasked, values.to_vec(), hiding_bound, rng)
}

/// The unmasked polynomial taking `values` on the domain (for public tensors; its commitment is
/// [`commit_values`]).
pub fn values_poly(values: &[i64]) -> Result<CommittedPoly> {
    let log_n = domain_log(values.len());
    let mut evals: Vec<Fr> = values.iter().map(|&v| Fr::from(v)).collect();
    evals.resize(1 << log_n, Fr::zero());
    Ok(CommittedPoly {
        poly: DensePolynomial::from_coefficients_vec(domain(log_n)?.ifft(&evals)),
        log_n,
        hiding: 0,
    })
}

fn mask<R: RngCore + CryptoRng>(
    srs: &Srs,
    log_n: u32,
    unmasked: ark_bn254::G1Projective,
    mut evals: Vec<Fr>,
    hiding_bound: usize,
    rng: &mut R,
) -> Result<(Commitment, CommittedPoly)> {
    if hiding_bound == 0 {
        return Err(Error::InvalidArgument(
            "a hiding commitment needs at least one mask coefficient".into(),
        ));
    }
    let n = 1usize << log_n;
    let powers = srs.g1_powers();
    if n + hiding_bound > powers.len() {
        return Err(Error::SrsTooSmall {
            what: "a hiding commitment",
            needed: n + hiding_bound,
            available: powers.len(),
        });
    }
    let r: Vec<Fr> = (0..hiding_bound).map(|_| Fr::rand(rng)).collect();
    // Σ r_j [τ^(n+j)] − Σ r_j [τ^j]
    let neg_r: Vec<Fr> = r.iter().map(|x| -*x).collect();
    let masked = unmasked
        + msm_field(&powers[n..n + hiding_bound], &r)
        + msm_field(&powers[..hiding_bound], &neg_r);
    evals.resize(n, Fr::zero());
    let mut coeffs = domain(log_n)?.ifft(&evals);
    coeffs.resize(n + hiding_bound, Fr::zero());
    for (j, rj) in r.iter().enumerate() {
        coeffs[j] -= rj;
        coeffs[n + j] += rj;
    }
    Ok((
        Commitment(masked.into_affine()),
        CommittedPoly {
            poly: DensePolynomial::from_coefficients_vec(coeffs),
            log_n,
            hiding: hiding_bound,
        },
    ))
}

/// `(f(X) − f(z)) / (X − z)` by synthetic division, and `f(z)`.
pub fn divide_by_linear(poly: &DensePolynomial<Fr>, z: Fr) -> (DensePolynomial<Fr>, Fr) {
    let c = &poly.coeffs;
    if c.is_empty() {
        return (DensePolynomial::zero(), Fr::zero());
    }
    let mut q = vec![Fr::zero(); c.len() - 1];
    let mut acc = Fr::zero();
    for i in (0..c.len()).rev() {
        acc = acc * z + c[i];
        if i > 0 {
            q[i - 1] = acc;
        }
    }
    (DensePolynomial::from_coefficients_vec(q), acc)
}

/// Opens `poly` at `point`: returns `y = f(z)` and `π = [(f(X) − y)/(X − z)]₁`.
pub fn open(srs: &Srs, poly: &DensePolynomial<Fr>, point: Fr) -> Result<(Fr, OpeningProof)> {
    let (q, y) = divide_by_linear(poly, point);
    Ok((y, OpeningProof(commit_poly(srs, &q)?.0)))
}

/// Checks one opening: `e(C − y·[1]₁ + z·π, [1]₂) = e(π, [τ]₂)`.
pub fn verify_opening(
    vk: &VerifierKey,
    commitment: &Commitment,
    point: Fr,
    value: Fr,
    proof: &OpeningProof,
) -> bool {
    let mut batch = PairingBatch::new();
    batch.add_opening(vk, &[(commitment.0, Fr::one())], point, value, proof.0);
    batch.verify()
}

/// The distinct points of `queries` in order of first appearance, and for each query the index
/// of its point.
fn distinct_points(queries: &[Query]) -> (Vec<Fr>, Vec<usize>) {
    let mut points: Vec<Fr> = Vec::new();
    let mut which = Vec::with_capacity(queries.len());
    for q in queries {
        match points.iter().position(|p| *p == q.point) {
            Some(i) => which.push(i),
            None => {
                points.push(q.point);
                which.push(points.len() - 1);
            }
        }
    }
    (points, which)
}

/// Absorbs the claims of a batch opening and draws ν (prover and verifier share this step).
fn absorb_claims(
    transcript: &mut Transcript,
    commitments: &[Commitment],
    queries: &[Query],
    values: &[Fr],
) -> Fr {
    transcript.append_u64(b"kzg/batch/queries", queries.len() as u64);
    for (q, v) in queries.iter().zip(values) {
        transcript.append_g1(b"kzg/batch/commitment", &commitments[q.poly].0);
        transcript.append_scalar(b"kzg/batch/point", &q.point);
        transcript.append_scalar(b"kzg/batch/value", v);
    }
    transcript.challenge_scalar(b"kzg/batch/nu")
}

fn check_hiding(committed: &[&CommittedPoly], queries: &[Query]) -> Result<()> {
    for (j, c) in committed.iter().enumerate() {
        if c.hiding == 0 {
            continue;
        }
        let mut points: Vec<Fr> = queries
            .iter()
            .filter(|q| q.poly == j)
            .map(|q| q.point)
            .collect();
        points.sort_unstable();
        points.dedup();
        if points.len() + 1 > c.hiding {
            return Err(Error::InvalidArgument(format!(
                "polynomial {j} is masked with {} coefficients but would be opened at {} points \
                 (at most {} keep it hidden)",
                c.hiding,
                points.len(),
                c.hiding - 1
            )));
        }
        let n = 1u64 << c.log_n;
        if points.iter().any(|z| z.pow([n]).is_one()) {
            return Err(Error::InvalidArgument(format!(
                "masked polynomial {j} would be opened at a point of its domain"
            )));
        }
    }
    Ok(())
}

fn check_indices(queries: &[Query], available: usize) -> Result<()> {
    match queries.iter().find(|q| q.poly >= available) {
        Some(q) => Err(Error::InvalidArgument(format!(
            "query names polynomial {} but there are {available}",
            q.poly
        ))),
        None => Ok(()),
    }
}

/// GWC batch opening of `polys` (committed as `commitments`) at the `queries`.
///
/// Transcript: every (commitment, point, value) is absorbed, then ν is drawn, then the
/// witnesses are absorbed (so later challenges depend on them).
///
/// Refuses to open a masked polynomial at more distinct points than its mask hides
/// (`hiding − 1`), or a masked polynomial at a point of its domain (where it reveals a value).
pub fn batch_open(
    srs: &Srs,
    committed: &[&CommittedPoly],
    commitments: &[Commitment],
    queries: &[Query],
    transcript: &mut Transcript,
) -> Result<BatchOpening> {
    if committed.len() != commitments.len() {
        return Err(Error::InvalidArgument(format!(
            "{} polynomials but {} commitments",
            committed.len(),
            commitments.len()
        )));
    }
    check_indices(queries, committed.len())?;
    check_hiding(committed, queries)?;
    let polys: Vec<&DensePolynomial<Fr>> = committed.iter().map(|c| &c.poly).collect();
    let values: Vec<Fr> = queries
        .iter()
        .map(|q| polys[q.poly].evaluate(&q.point))
        .collect();
    let nu = absorb_claims(transcript, commitments, queries, &values);
    let (points, which) = distinct_points(queries);
    let mut witnesses = Vec::with_capacity(points.len());
    for (i, z) in points.iter().enumerate() {
        // Σ_k ν^k f_k over the queries at z (k = global query index).
        let mut combined = DensePolynomial::<Fr>::zero();
        let mut nu_k = Fr::one();
        for (k, q) in queries.iter().enumerate() {
            if which[k] == i {
                combined += (nu_k, polys[q.poly]);
            }
            nu_k *= nu;
        }
        let (quotient, _) = divide_by_linear(&combined, *z);
        witnesses.push(commit_poly(srs, &quotient)?.0);
    }
    transcript.append_g1s(b"kzg/batch/witnesses", &witnesses);
    Ok(BatchOpening { values, witnesses })
}

/// Verifier twin of [`batch_open`]: replays the transcript and adds one opening equation per
/// distinct point to `batch` (checked later with every other pairing equation of the proof).
///
/// Returns an error (never panics) if the opening's shape does not match the queries.
pub fn batch_verify(
    vk: &VerifierKey,
    commitments: &[Commitment],
    queries: &[Query],
    opening: &BatchOpening,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
) -> Result<()> {
    check_indices(queries, commitments.len())?;
    let (points, which) = distinct_points(queries);
    if opening.values.len() != queries.len() || opening.witnesses.len() != points.len() {
        return Err(Error::Verification(format!(
            "batch opening has {} values and {} witnesses, expected {} and {}",
            opening.values.len(),
            opening.witnesses.len(),
            queries.len(),
            points.len()
        )));
    }
    let nu = absorb_claims(transcript, commitments, queries, &opening.values);
    transcript.append_g1s(b"kzg/batch/witnesses", &opening.witnesses);
    for (i, z) in points.iter().enumerate() {
        let mut terms: Vec<(G1Affine, Fr)> = Vec::new();
        let mut value = Fr::zero();
        let mut nu_k = Fr::one();
        for (k, q) in queries.iter().enumerate() {
            if which[k] == i {
                terms.push((commitments[q.poly].0, nu_k));
                value += nu_k * opening.values[k];
            }
            nu_k *= nu;
        }
        batch.add_opening(vk, &terms, *z, value, opening.witnesses[i]);
    }
    Ok(())
}
