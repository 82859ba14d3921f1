//! KZG completeness and soundness.

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{One, UniformRand, Zero};
use ark_poly::univariate::DensePolynomial;
use ark_poly::{DenseUVPolynomial, EvaluationDomain, Polynomial, Radix2EvaluationDomain};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;
use zktorch::pcs::{self, Commitment, OpeningProof, PairingBatch, Query};
use zktorch::srs::Srs;
use zktorch::transcript::Transcript;

fn srs() -> &'static Srs {
    static SRS: OnceLock<Srs> = OnceLock::new();
    SRS.get_or_init(|| Srs::insecure_for_tests(8, 7))
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn random_values(n: usize, bits: u32, rng: &mut ChaCha20Rng) -> Vec<i64> {
    let b = 1i64 << (bits - 1);
    (0..n).map(|_| rng.gen_range(-b..b)).collect()
}

fn tweak(p: G1Affine) -> G1Affine {
    (p + G1Affine::generator()).into_affine()
}

#[test]
fn value_commitment_interpolates_the_values() {
    let srs = srs();
    let mut r = rng(1);
    for n in [1usize, 2, 3, 7, 8, 100, 256] {
        let values = random_values(n, 16, &mut r);
        let c = pcs::commit_values(srs, &values).unwrap();
        let poly = pcs::values_poly(&values).unwrap();
        assert!(pcs::commit_values_hiding(srs, &values, 0, &mut r).is_err());
        assert_eq!(pcs::commit_poly(srs, &poly.poly).unwrap(), c);
        let field: Vec<Fr> = values.iter().map(|&v| Fr::from(v)).collect();
        assert_eq!(pcs::commit_field_values(srs, &field).unwrap(), c);
        let domain = Radix2EvaluationDomain::<Fr>::new(1 << poly.log_n).unwrap();
        for (i, w) in domain.elements().enumerate() {
            let expected = field.get(i).copied().unwrap_or_else(Fr::zero);
            assert_eq!(poly.poly.evaluate(&w), expected);
        }
    }
}

#[test]
fn hiding_commitment_agrees_on_the_domain_and_is_randomized() {
    let srs = srs();
    let mut r = rng(2);
    let values = random_values(16, 8, &mut r);
    let (c1, p1) = pcs::commit_values_hiding(srs, &values, 3, &mut r).unwrap();
    let (c2, p2) = pcs::commit_values_hiding(srs, &values, 3, &mut r).unwrap();
    assert_ne!(
        c1, c2,
        "two hiding commitments of the same values must differ"
    );
    assert_eq!(pcs::commit_poly(srs, &p1.poly).unwrap(), c1);
    assert_eq!(pcs::commit_poly(srs, &p2.poly).unwrap(), c2);
    assert_eq!(p1.poly.degree(), 16 + 2);
    let domain = Radix2EvaluationDomain::<Fr>::new(16).unwrap();
    for (i, w) in domain.elements().enumerate() {
        assert_eq!(p1.poly.evaluate(&w), Fr::from(values[i]));
        assert_eq!(p2.poly.evaluate(&w), Fr::from(values[i]));
    }
    // Outside the domain the two masked polynomials differ.
    let z = Fr::from(12345u64);
    assert_ne!(p1.poly.evaluate(&z), p2.poly.evaluate(&z));
}

#[test]
fn too_large_for_the_srs_is_an_error() {
    let srs = srs();
    assert!(pcs::commit_values(srs, &vec![1; 257]).is_err());
    let mut r = rng(3);
    assert!(pcs::commit_values_hiding(srs, &[1; 256], 300, &mut r).is_err());
    let big = DensePolynomial::from_coefficients_vec(vec![Fr::one(); 600]);
    assert!(pcs::commit_poly(srs, &big).is_err());
}

#[test]
fn single_opening_completeness_and_soundness() {
    let srs = srs();
    let vk = srs.verifier_key();
    let mut r = rng(4);
    for n in [1usize, 5, 64] {
        let values = random_values(n, 16, &mut r);
        let (c, poly) = pcs::commit_values_hiding(srs, &values, 2, &mut r).unwrap();
        let z = Fr::rand(&mut r);
        let (y, proof) = pcs::open(srs, &poly.poly, z).unwrap();
        assert_eq!(y, poly.poly.evaluate(&z));
        assert!(pcs::verify_opening(&vk, &c, z, y, &proof), "n={n}");
        // wrong value
        assert!(!pcs::verify_opening(&vk, &c, z, y + Fr::one(), &proof));
        // wrong point
        assert!(!pcs::verify_opening(&vk, &c, z + Fr::one(), y, &proof));
        // tampered commitment
        assert!(!pcs::verify_opening(
            &vk,
            &Commitment(tweak(c.0)),
            z,
            y,
            &proof
        ));
        // tampered proof
        assert!(!pcs::verify_opening(
            &vk,
            &c,
            z,
            y,
            &OpeningProof(tweak(proof.0))
        ));
        // identity proof
        assert!(!pcs::verify_opening(
            &vk,
            &c,
            z,
            y,
            &OpeningProof(G1Affine::identity())
        ));
    }
}

#[test]
fn opening_at_a_domain_point_gives_the_value() {
    let srs = srs();
    let vk = srs.verifier_key();
    let mut r = rng(5);
    let values = random_values(8, 8, &mut r);
    let (c, poly) = pcs::commit_values_hiding(srs, &values, 1, &mut r).unwrap();
    let w = Radix2EvaluationDomain::<Fr>::new(8).unwrap().element(3);
    let (y, proof) = pcs::open(srs, &poly.poly, w).unwrap();
    assert_eq!(y, Fr::from(values[3]));
    assert!(pcs::verify_opening(&vk, &c, w, y, &proof));
    assert!(!pcs::verify_opening(
        &vk,
        &c,
        w,
        Fr::from(values[3] + 1),
        &proof
    ));
}

struct BatchFixture {
    commitments: Vec<Commitment>,
    queries: Vec<Query>,
    opening: pcs::BatchOpening,
}

fn batch_fixture(seed: u64) -> BatchFixture {
    let srs = srs();
    let mut r = rng(seed);
    let mut commitments = Vec::new();
    let mut polys = Vec::new();
    for n in [1usize, 3, 16, 100] {
        let values = random_values(n, 16, &mut r);
        let (c, p) = pcs::commit_values_hiding(srs, &values, 3, &mut r).unwrap();
        commitments.push(c);
        polys.push(p);
    }
    let (a, b, c) = (Fr::rand(&mut r), Fr::rand(&mut r), Fr::rand(&mut r));
    let queries = vec![
        Query { poly: 0, point: a },
        Query { poly: 1, point: a },
        Query { poly: 2, point: b },
        Query { poly: 3, point: a },
        Query { poly: 2, point: c },
        Query { poly: 1, point: c },
    ];
    let refs: Vec<&pcs::CommittedPoly> = polys.iter().collect();
    let mut t = Transcript::new(b"kzg-test");
    let opening = pcs::batch_open(srs, &refs, &commitments, &queries, &mut t).unwrap();
    BatchFixture {
        commitments,
        queries,
        opening,
    }
}

fn batch_accepts(commitments: &[Commitment], queries: &[Query], o: &pcs::BatchOpening) -> bool {
    let vk = srs().verifier_key();
    let mut t = Transcript::new(b"kzg-test");
    let mut batch = PairingBatch::new();
    match pcs::batch_verify(&vk, commitments, queries, o, &mut t, &mut batch) {
        Ok(()) => batch.verify(),
        Err(_) => false,
    }
}

#[test]
fn batch_opening_completeness() {
    let f = batch_fixture(6);
    assert_eq!(f.opening.witnesses.len(), 3);
    assert!(batch_accepts(&f.commitments, &f.queries, &f.opening));
}

#[test]
fn batch_opening_rejects_every_tampered_element() {
    let f = batch_fixture(7);
    for k in 0..f.opening.values.len() {
        let mut o = f.opening.clone();
        o.values[k] += Fr::one();
        assert!(!batch_accepts(&f.commitments, &f.queries, &o), "value {k}");
    }
    for k in 0..f.opening.witnesses.len() {
        let mut o = f.opening.clone();
        o.witnesses[k] = tweak(o.witnesses[k]);
        assert!(
            !batch_accepts(&f.commitments, &f.queries, &o),
            "witness {k}"
        );
    }
    for k in 0..f.commitments.len() {
        let mut cs = f.commitments.clone();
        cs[k] = Commitment(tweak(cs[k].0));
        assert!(
            !batch_accepts(&cs, &f.queries, &f.opening),
            "commitment {k}"
        );
    }
    for k in 0..f.queries.len() {
        let mut qs = f.queries.clone();
        qs[k].point += Fr::one();
        assert!(!batch_accepts(&f.commitments, &qs, &f.opening), "point {k}");
    }
    // Swapping which polynomial a query names.
    let mut qs = f.queries.clone();
    qs[0].poly = 3;
    qs[3].poly = 0;
    assert!(!batch_accepts(&f.commitments, &qs, &f.opening));
    // A different transcript (e.g. a verifier seeded with other public data).
    let vk = srs().verifier_key();
    let mut t = Transcript::new(b"another-protocol");
    let mut batch = PairingBatch::new();
    pcs::batch_verify(
        &vk,
        &f.commitments,
        &f.queries,
        &f.opening,
        &mut t,
        &mut batch,
    )
    .unwrap();
    assert!(!batch.verify());
}

#[test]
fn batch_opening_shape_errors_do_not_panic() {
    let f = batch_fixture(8);
    let mut o = f.opening.clone();
    o.values.pop();
    assert!(!batch_accepts(&f.commitments, &f.queries, &o));
    let mut o = f.opening.clone();
    o.witnesses.push(G1Affine::generator());
    assert!(!batch_accepts(&f.commitments, &f.queries, &o));
    let mut qs = f.queries.clone();
    qs[0].poly = 99;
    assert!(!batch_accepts(&f.commitments, &qs, &f.opening));
    assert!(!batch_accepts(&[], &f.queries, &f.opening));
}

#[test]
fn pairing_batch_rejects_if_any_one_claim_is_false() {
    let srs = srs();
    let vk = srs.verifier_key();
    let mut r = rng(9);
    let mut claims = Vec::new();
    for n in [2usize, 8, 32, 64, 1] {
        let values = random_values(n, 8, &mut r);
        let (c, p) = pcs::commit_values_hiding(srs, &values, 1, &mut r).unwrap();
        let z = Fr::rand(&mut r);
        let (y, proof) = pcs::open(srs, &p.poly, z).unwrap();
        claims.push((c, z, y, proof));
    }
    let run = |bad: Option<usize>| {
        let mut batch = PairingBatch::new();
        for (i, (c, z, y, proof)) in claims.iter().enumerate() {
            let y = if bad == Some(i) { *y + Fr::one() } else { *y };
            batch.add_opening(&vk, &[(c.0, Fr::one())], *z, y, proof.0);
        }
        assert_eq!(batch.len(), claims.len());
        batch.verify()
    };
    assert!(run(None));
    for i in 0..claims.len() {
        assert!(!run(Some(i)), "false claim {i} accepted");
    }
}

#[test]
fn pairing_batch_errors_cannot_cancel() {
    // Two false equations whose product is true: e(A, H) = e(B, H) and e(B, H) = e(A, H) with
    // A ≠ B. Multiplied together unweighted (coefficient 1), they cancel; with independent random
    // coefficients they must not.
    let vk = srs().verifier_key();
    let a = G1Affine::generator();
    let b = (G1Projective::from(a) * Fr::from(2u64)).into_affine();
    let mut batch = PairingBatch::new();
    let one = Fr::one();
    batch.add_equation(&[(&[(a, one), (b, -one)], vk.h)]);
    batch.add_equation(&[(&[(b, one), (a, -one)], vk.h)]);
    assert!(!batch.verify());
    // Sanity: each true equation alone is accepted.
    let mut batch = PairingBatch::new();
    batch.add_equation(&[(&[(a, one), (a, -one)], vk.h)]);
    assert!(batch.verify());
    assert!(PairingBatch::new().verify());
}

#[test]
fn batch_open_refuses_to_open_a_masked_polynomial_too_often() {
    let srs = srs();
    let mut r = rng(10);
    let values = random_values(8, 8, &mut r);
    let (c, p) = pcs::commit_values_hiding(srs, &values, 2, &mut r).unwrap();
    let open = |points: &[Fr]| {
        let queries: Vec<Query> = points
            .iter()
            .map(|&z| Query { poly: 0, point: z })
            .collect();
        let mut t = Transcript::new(b"kzg-test");
        pcs::batch_open(srs, &[&p], &[c], &queries, &mut t)
    };
    let (a, b) = (Fr::rand(&mut r), Fr::rand(&mut r));
    assert!(open(&[a]).is_ok());
    assert!(
        open(&[a, a]).is_ok(),
        "the same point twice reveals nothing more"
    );
    let err = open(&[a, b]).unwrap_err().to_string();
    assert!(err.contains("masked with 2 coefficients"), "{err}");
    // A point of the domain would reveal a value.
    let w = Radix2EvaluationDomain::<Fr>::new(8).unwrap().element(5);
    let err = open(&[w]).unwrap_err().to_string();
    assert!(err.contains("point of its domain"), "{err}");
    // An unmasked (public) polynomial may be opened anywhere.
    let public = pcs::values_poly(&values).unwrap();
    let cp = pcs::commit_values(srs, &values).unwrap();
    let q = [
        Query { poly: 0, point: a },
        Query { poly: 0, point: b },
        Query { poly: 0, point: w },
    ];
    let mut t = Transcript::new(b"kzg-test");
    assert!(pcs::batch_open(srs, &[&public], &[cp], &q, &mut t).is_ok());
}
