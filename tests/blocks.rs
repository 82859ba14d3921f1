//! Basic blocks: completeness on several sizes, soundness against false statements and against
//! every tampered proof element.

use ark_bn254::{Fr, G1Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::One;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;
use zktorch::blocks::identity::{self, Constraints, IdentityProof, Row, Value};
use zktorch::blocks::{hadamard, linear, sum, Committed};
use zktorch::pcs::{Commitment, PairingBatch, RelaxedEquation};
use zktorch::srs::Srs;
use zktorch::transcript::Transcript;

fn srs() -> &'static Srs {
    static SRS: OnceLock<Srs> = OnceLock::new();
    SRS.get_or_init(|| Srs::insecure_for_tests(10, 11))
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn values(n: usize, bound: i64, r: &mut ChaCha20Rng) -> Vec<i64> {
    (0..n).map(|_| r.gen_range(-bound..=bound)).collect()
}

/// Mask for columns opened once (at ζ) by one block.
const MASK: usize = 2;

fn commit(v: &[i64], r: &mut ChaCha20Rng) -> Committed {
    Committed::new(srs(), v, MASK, r).unwrap()
}

/// Runs a block verifier on a fresh transcript and pairing batch: true iff it accepts.
///
/// Also checks the block's relaxed form on every call: the fresh relaxed instances (μ = 1,
/// E = 0) of the equations the verifier produced all hold exactly when the proof is accepted.
fn accepts(verify: impl FnOnce(&mut Transcript, &mut PairingBatch) -> zktorch::Result<()>) -> bool {
    let mut t = Transcript::new(b"blocks-test");
    let mut batch = PairingBatch::recording();
    let ok = verify(&mut t, &mut batch).is_ok();
    let relaxed = ok && batch.relaxed().iter().all(|e| e.mu.is_one() && e.holds());
    let accepted = ok && batch.verify();
    assert_eq!(
        relaxed, accepted,
        "relaxed form disagrees with the verifier"
    );
    accepted
}

/// The relaxed equations a verifier produces (empty if it fails before any pairing equation).
fn relaxed_equations(
    verify: impl FnOnce(&mut Transcript, &mut PairingBatch) -> zktorch::Result<()>,
) -> Vec<RelaxedEquation> {
    let mut t = Transcript::new(b"blocks-test");
    let mut batch = PairingBatch::recording();
    let _ = verify(&mut t, &mut batch);
    batch.relaxed().to_vec()
}

fn tweak(p: G1Affine) -> G1Affine {
    (p + G1Affine::generator()).into_affine()
}

/// Every way of changing one element of an identity proof.
fn tampered_identity_proofs(p: &IdentityProof) -> Vec<IdentityProof> {
    p.tampered()
}

/// Constraints that hold for anything: a prover using them gets a "proof" of any statement.
struct Vacuous {
    columns: usize,
    next: bool,
}

impl Constraints for Vacuous {
    fn columns(&self) -> usize {
        self.columns
    }
    fn reads_next(&self, _j: usize) -> bool {
        self.next
    }
    fn degree(&self) -> usize {
        1
    }
    fn combine<V: Value>(&self, _row: &Row<'_, V>, _alpha: Fr) -> V {
        V::from(Fr::from(0u64))
    }
}

// ---- Hadamard -------------------------------------------------------------------------------

fn hadamard_accepts(
    log_n: u32,
    a: Commitment,
    b: Commitment,
    c: Commitment,
    p: &IdentityProof,
) -> bool {
    accepts(|t, batch| hadamard::verify(&srs().verifier_key(), log_n, [a, b, c], p, t, batch))
}

#[test]
fn hadamard_completeness_on_several_sizes() {
    let mut r = rng(1);
    for n in [1usize, 2, 3, 8, 100, 256] {
        let (av, bv) = (values(n, 1 << 15, &mut r), values(n, 1 << 15, &mut r));
        let cv = hadamard::hadamard_values(&av, &bv).unwrap();
        let (a, b, c) = (
            commit(&av, &mut r),
            commit(&bv, &mut r),
            commit(&cv, &mut r),
        );
        let mut t = Transcript::new(b"blocks-test");
        let proof = hadamard::prove(srs(), &a, &b, &c, &mut t).unwrap();
        assert_eq!(proof.size(), (2, 4));
        let log_n = a.poly.log_n;
        assert!(
            hadamard_accepts(log_n, a.commitment, b.commitment, c.commitment, &proof),
            "n={n}"
        );
    }
}

#[test]
fn hadamard_soundness() {
    let mut r = rng(2);
    let n = 37;
    let (av, bv) = (values(n, 100, &mut r), values(n, 100, &mut r));
    let cv = hadamard::hadamard_values(&av, &bv).unwrap();
    let (a, b, c) = (
        commit(&av, &mut r),
        commit(&bv, &mut r),
        commit(&cv, &mut r),
    );
    let log_n = a.poly.log_n;
    let mut t = Transcript::new(b"blocks-test");
    let proof = hadamard::prove(srs(), &a, &b, &c, &mut t).unwrap();
    // Every tampered proof element.
    for (i, bad) in tampered_identity_proofs(&proof).iter().enumerate() {
        assert!(
            !hadamard_accepts(log_n, a.commitment, b.commitment, c.commitment, bad),
            "tamper {i}"
        );
    }
    // Wrong public commitments: swapped, or another tensor.
    assert!(!hadamard_accepts(
        log_n,
        a.commitment,
        c.commitment,
        b.commitment,
        &proof
    ));
    let other = commit(&cv, &mut r);
    assert!(
        !hadamard_accepts(log_n, a.commitment, b.commitment, other.commitment, &proof)
            || other.commitment == c.commitment
    );
    assert!(!hadamard_accepts(
        log_n + 1,
        a.commitment,
        b.commitment,
        c.commitment,
        &proof
    ));

    // A false statement: one entry of c differs from a∘b.
    let mut wrong = cv.clone();
    wrong[17] += 1;
    let cw = commit(&wrong, &mut r);
    let mut t = Transcript::new(b"blocks-test");
    let err = hadamard::prove(srs(), &a, &b, &cw, &mut t)
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not hold"), "{err}");
    // A prover forced to produce a proof anyway (vacuous constraints) is rejected.
    let mut t = Transcript::new(b"blocks-test");
    t.append_bytes(b"block", b"hadamard");
    let forced = identity::prove(
        srs(),
        &Vacuous {
            columns: 3,
            next: false,
        },
        &[&a.poly, &b.poly, &cw.poly],
        &[a.commitment, b.commitment, cw.commitment],
        &mut t,
    )
    .unwrap();
    assert!(!hadamard_accepts(
        log_n,
        a.commitment,
        b.commitment,
        cw.commitment,
        &forced
    ));
}

#[test]
fn hadamard_relaxed_instances_fold_soundly() {
    // Two honest proofs of the same class fold into an instance that holds; folding an honest
    // instance with one from a tampered proof gives one that does not (for a random γ).
    let mut r = rng(40);
    let mut instances = Vec::new();
    for n in [16usize, 16] {
        let (av, bv) = (values(n, 100, &mut r), values(n, 100, &mut r));
        let cv = hadamard::hadamard_values(&av, &bv).unwrap();
        let (a, b, c) = (
            commit(&av, &mut r),
            commit(&bv, &mut r),
            commit(&cv, &mut r),
        );
        let mut t = Transcript::new(b"blocks-test");
        let proof = hadamard::prove(srs(), &a, &b, &c, &mut t).unwrap();
        let abc = [a.commitment, b.commitment, c.commitment];
        let vk = srs().verifier_key();
        let good = relaxed_equations(|t, batch| hadamard::verify(&vk, 4, abc, &proof, t, batch));
        let mut tampered = proof.clone();
        tampered.opening.witnesses[0] = tweak(tampered.opening.witnesses[0]);
        let bad = relaxed_equations(|t, batch| hadamard::verify(&vk, 4, abc, &tampered, t, batch));
        assert_eq!((good.len(), bad.len()), (1, 1));
        instances.push((good[0].clone(), bad[0].clone()));
    }
    let gamma = Fr::from(0x5eed_u64);
    let (g1, b1) = &instances[0];
    let (g2, _) = &instances[1];
    let folded = g1.fold(g2, gamma).unwrap();
    assert!(folded.holds());
    assert_eq!(folded.mu, Fr::one() + gamma);
    assert!(!g1.fold(b1, gamma).unwrap().holds());
    assert!(!b1.fold(g2, gamma).unwrap().holds());
}

// ---- Sum ------------------------------------------------------------------------------------

fn sum_accepts(log_n: u32, f: Commitment, total: i64, p: &sum::SumProof) -> bool {
    accepts(|t, batch| sum::verify(&srs().verifier_key(), log_n, f, total, p, t, batch))
}

fn commit_twice_opened(v: &[i64], r: &mut ChaCha20Rng) -> Committed {
    // The summed column is opened at ζ and ωζ.
    Committed::new(srs(), v, 3, r).unwrap()
}

#[test]
fn sum_completeness_on_several_sizes() {
    let mut r = rng(3);
    for n in [1usize, 2, 5, 64, 200] {
        let v = values(n, 1 << 15, &mut r);
        let total: i64 = v.iter().sum();
        let f = commit_twice_opened(&v, &mut r);
        let mut t = Transcript::new(b"blocks-test");
        let proof = sum::prove(srs(), &f, total, &mut t, &mut r).unwrap();
        assert!(
            sum_accepts(f.poly.log_n, f.commitment, total, &proof),
            "n={n}"
        );
    }
}

#[test]
fn sum_soundness() {
    let mut r = rng(4);
    // The research code's forgery: Σ(1..8) = 1000.
    let v: Vec<i64> = (1..=8).collect();
    let f = commit_twice_opened(&v, &mut r);
    let log_n = f.poly.log_n;
    let mut t = Transcript::new(b"blocks-test");
    let err = sum::prove(srs(), &f, 1000, &mut t, &mut r)
        .unwrap_err()
        .to_string();
    assert!(err.contains("sum to 36"), "{err}");
    let mut t = Transcript::new(b"blocks-test");
    let proof = sum::prove(srs(), &f, 36, &mut t, &mut r).unwrap();
    assert!(sum_accepts(log_n, f.commitment, 36, &proof));
    // The proof for 36 does not verify 1000 (or 37).
    assert!(!sum_accepts(log_n, f.commitment, 1000, &proof));
    assert!(!sum_accepts(log_n, f.commitment, 37, &proof));
    // Every tampered element.
    let mut bad = proof.clone();
    bad.running_sum = Commitment(tweak(bad.running_sum.0));
    assert!(!sum_accepts(log_n, f.commitment, 36, &bad));
    for (i, id) in tampered_identity_proofs(&proof.identity)
        .into_iter()
        .enumerate()
    {
        let bad = sum::SumProof {
            running_sum: proof.running_sum,
            identity: id,
        };
        assert!(!sum_accepts(log_n, f.commitment, 36, &bad), "tamper {i}");
    }
    // A forced proof: a running sum that ends at 1000 (wrong steps), vacuous constraints.
    let mut t = Transcript::new(b"blocks-test");
    t.append_bytes(b"block", b"sum");
    t.append_scalar(b"sum/total", &Fr::from(1000u64));
    let fake_running: Vec<i64> = vec![1, 3, 6, 10, 15, 21, 28, 1000];
    let z = commit_twice_opened(&fake_running, &mut r);
    t.append_g1(b"sum/running", &z.commitment.0);
    let forced = identity::prove(
        srs(),
        &Vacuous {
            columns: 2,
            next: true,
        },
        &[&f.poly, &z.poly],
        &[f.commitment, z.commitment],
        &mut t,
    )
    .unwrap();
    let forced = sum::SumProof {
        running_sum: z.commitment,
        identity: forced,
    };
    assert!(!sum_accepts(log_n, f.commitment, 1000, &forced));
}

// ---- Linear ---------------------------------------------------------------------------------

#[test]
fn linear_blocks_match_the_verifier_side_commitments() {
    let mut r = rng(5);
    let (av, bv) = (values(50, 1000, &mut r), values(50, 1000, &mut r));
    let (a, b) = (commit(&av, &mut r), commit(&bv, &mut r));
    let cases = [
        (
            linear::add(&a, &b).unwrap(),
            linear::add_commitments(a.commitment, b.commitment),
        ),
        (
            linear::sub(&a, &b).unwrap(),
            linear::sub_commitments(a.commitment, b.commitment),
        ),
        (
            linear::scale(&a, -7).unwrap(),
            linear::scale_commitment(a.commitment, -7),
        ),
    ];
    for (i, (out, derived)) in cases.into_iter().enumerate() {
        assert_eq!(out.commitment, derived, "case {i}");
        assert_eq!(
            zktorch::pcs::commit_poly(srs(), &out.poly.poly).unwrap(),
            derived
        );
        // The output's values are the combination, and it can be used by a proving block.
        let expected: Vec<i64> = match i {
            0 => a.values.iter().zip(&b.values).map(|(x, y)| x + y).collect(),
            1 => a.values.iter().zip(&b.values).map(|(x, y)| x - y).collect(),
            _ => a.values.iter().map(|x| -7 * x).collect(),
        };
        assert_eq!(out.values, expected);
    }
    // The output of a linear block feeds a Hadamard proof that verifies against the
    // verifier-derived commitment.
    let s = linear::add(&a, &b).unwrap();
    let prod = hadamard::hadamard_values(&s.values, &a.values).unwrap();
    let c = commit(&prod, &mut r);
    let mut t = Transcript::new(b"blocks-test");
    let proof = hadamard::prove(srs(), &s, &a, &c, &mut t).unwrap();
    let derived = linear::add_commitments(a.commitment, b.commitment);
    assert!(hadamard_accepts(
        a.poly.log_n,
        derived,
        a.commitment,
        c.commitment,
        &proof
    ));
    assert!(linear::add(&a, &commit(&[1, 2, 3], &mut r)).is_err());
}

// ---- Copy / permutation with public wiring --------------------------------------------------

use zktorch::blocks::copy::{self, CopyKey, Source, Wiring};

fn copy_accepts(
    key: &CopyKey,
    inputs: &[Commitment],
    output: Commitment,
    p: &copy::CopyProof,
) -> bool {
    accepts(|t, batch| {
        copy::verify(
            &srs().verifier_key(),
            &key.verifier_key(),
            inputs,
            output,
            p,
            t,
            batch,
        )
    })
}

fn wirings() -> Vec<Wiring> {
    vec![
        // transpose of a 3×5 matrix
        Wiring::transpose(3, 5),
        // concat of tensors of 5 and 7 entries
        Wiring {
            input_lens: vec![5, 7],
            output: (0..5)
                .map(|i| Source::Input { input: 0, index: i })
                .chain((0..7).map(|i| Source::Input { input: 1, index: i }))
                .collect(),
        },
        // im2col-like: windows of 3 over 8 entries, stride 1 (entries copied up to 3 times)
        Wiring {
            input_lens: vec![8],
            output: (0..6)
                .flat_map(|s| {
                    (0..3).map(move |k| Source::Input {
                        input: 0,
                        index: s + k,
                    })
                })
                .collect(),
        },
        // pad with zeros and a constant, and a slice
        Wiring {
            input_lens: vec![6],
            output: [Source::Const(0), Source::Const(7)]
                .into_iter()
                .chain((1..4).map(|i| Source::Input { input: 0, index: i }))
                .chain([Source::Const(0)])
                .collect(),
        },
        // a single element used three times
        Wiring {
            input_lens: vec![1],
            output: vec![Source::Input { input: 0, index: 0 }; 3],
        },
    ]
}

struct CopyCase {
    key: CopyKey,
    inputs: Vec<Committed>,
    output: Committed,
}

fn copy_case(w: Wiring, r: &mut ChaCha20Rng) -> CopyCase {
    let key = CopyKey::new(srs(), w).unwrap();
    let n = 1usize << key.log_n;
    let inputs: Vec<Committed> = key
        .wiring
        .input_lens
        .iter()
        .map(|&len| {
            let mut v = values(len, 1 << 15, r);
            v.resize(n, 0);
            commit(&v, r)
        })
        .collect();
    let refs: Vec<&[i64]> = inputs
        .iter()
        .zip(&key.wiring.input_lens)
        .map(|(x, &l)| &x.values[..l])
        .collect();
    let mut out = key.wiring.apply(&refs).unwrap();
    out.resize(n, 0);
    let output = commit(&out, r);
    CopyCase {
        key,
        inputs,
        output,
    }
}

fn prove_copy(
    c: &CopyCase,
    output: &Committed,
    r: &mut ChaCha20Rng,
) -> zktorch::Result<copy::CopyProof> {
    let refs: Vec<&Committed> = c.inputs.iter().collect();
    let mut t = Transcript::new(b"blocks-test");
    copy::prove(srs(), &c.key, &refs, output, &mut t, r)
}

#[test]
fn copy_completeness_for_transpose_concat_im2col_pad() {
    let mut r = rng(6);
    for (i, w) in wirings().into_iter().enumerate() {
        let c = copy_case(w, &mut r);
        let proof = prove_copy(&c, &c.output, &mut r).unwrap();
        let ins: Vec<Commitment> = c.inputs.iter().map(|x| x.commitment).collect();
        assert!(
            copy_accepts(&c.key, &ins, c.output.commitment, &proof),
            "wiring {i}"
        );
    }
}

#[test]
fn copy_soundness() {
    let mut r = rng(7);
    for (wi, w) in wirings().into_iter().enumerate() {
        let c = copy_case(w, &mut r);
        let ins: Vec<Commitment> = c.inputs.iter().map(|x| x.commitment).collect();
        let proof = prove_copy(&c, &c.output, &mut r).unwrap();
        // Tampered elements.
        let mut bad = proof.clone();
        bad.grand_product = Commitment(tweak(bad.grand_product.0));
        assert!(
            !copy_accepts(&c.key, &ins, c.output.commitment, &bad),
            "wiring {wi}"
        );
        for (i, id) in tampered_identity_proofs(&proof.identity)
            .into_iter()
            .enumerate()
        {
            let bad = copy::CopyProof {
                grand_product: proof.grand_product,
                identity: id,
            };
            assert!(
                !copy_accepts(&c.key, &ins, c.output.commitment, &bad),
                "wiring {wi} tamper {i}"
            );
        }
        // Another wiring's key (same shapes, different permutation) does not accept this proof.
        let mut other = c.key.wiring.clone();
        let last = other.output.len() - 1;
        other.output.swap(0, last);
        if other.output != c.key.wiring.output {
            let other_key = CopyKey::new(srs(), other).unwrap();
            assert!(
                !copy_accepts(&other_key, &ins, c.output.commitment, &proof),
                "wiring {wi}"
            );
        }
        // A false statement: one output entry differs.
        let mut wrong = c.output.values.clone();
        wrong[0] += 1;
        let wrong = commit(&wrong, &mut r);
        assert!(prove_copy(&c, &wrong, &mut r).is_err(), "wiring {wi}");
    }
}

#[test]
fn copy_forced_proof_of_a_wrong_output_is_rejected() {
    // Build the grand product for a wrong output by hand and prove vacuous constraints over the
    // exact columns the copy verifier expects: rejected.
    let mut r = rng(8);
    let c = copy_case(Wiring::transpose(2, 4), &mut r);
    let mut wrong = c.output.values.clone();
    wrong.swap(1, 2);
    let wrong = commit(&wrong, &mut r);
    let ins: Vec<Commitment> = c.inputs.iter().map(|x| x.commitment).collect();
    let mut t = Transcript::new(b"blocks-test");
    t.append_bytes(b"block", b"copy");
    t.append_u64(b"copy/log_n", u64::from(c.key.log_n));
    let key: Vec<_> = c.key.commitments.iter().map(|x| x.0).collect();
    t.append_g1s(b"copy/wiring", &key);
    let tensors: Vec<_> = ins.iter().chain([&wrong.commitment]).map(|x| x.0).collect();
    t.append_g1s(b"copy/tensors", &tensors);
    let _ = t.challenge_scalar(b"copy/beta");
    let _ = t.challenge_scalar(b"copy/gamma");
    let z = Committed::new(srs(), &vec![1; 1 << c.key.log_n], 3, &mut r).unwrap();
    t.append_g1(b"copy/grand_product", &z.commitment.0);
    let mut columns: Vec<&zktorch::pcs::CommittedPoly> = c.inputs.iter().map(|x| &x.poly).collect();
    columns.push(&wrong.poly);
    columns.extend(c.key.public.iter());
    columns.push(&z.poly);
    let mut all: Vec<Commitment> = ins.clone();
    all.push(wrong.commitment);
    all.extend_from_slice(&c.key.commitments);
    all.push(z.commitment);
    let forced = identity::prove(
        srs(),
        &Vacuous {
            columns: columns.len(),
            next: false,
        },
        &columns,
        &all,
        &mut t,
    );
    // Vacuous constraints read no next row, so the opening shape differs too; either way the
    // verifier must reject whatever the forger sends.
    if let Ok(id) = forced {
        let bad = copy::CopyProof {
            grand_product: z.commitment,
            identity: id,
        };
        assert!(!copy_accepts(&c.key, &ins, wrong.commitment, &bad));
    }
    let mut t = Transcript::new(b"blocks-test");
    t.append_bytes(b"block", b"copy");
    // With the right opening shape (z read at the next row).
    struct VacuousZ(usize);
    impl Constraints for VacuousZ {
        fn columns(&self) -> usize {
            self.0
        }
        fn reads_next(&self, j: usize) -> bool {
            j == self.0 - 1
        }
        fn degree(&self) -> usize {
            1
        }
        fn combine<V: Value>(&self, _row: &Row<'_, V>, _alpha: Fr) -> V {
            V::from(Fr::from(0u64))
        }
    }
    t.append_u64(b"copy/log_n", u64::from(c.key.log_n));
    t.append_g1s(b"copy/wiring", &key);
    t.append_g1s(b"copy/tensors", &tensors);
    let _ = t.challenge_scalar(b"copy/beta");
    let _ = t.challenge_scalar(b"copy/gamma");
    t.append_g1(b"copy/grand_product", &z.commitment.0);
    let id = identity::prove(srs(), &VacuousZ(columns.len()), &columns, &all, &mut t).unwrap();
    let bad = copy::CopyProof {
        grand_product: z.commitment,
        identity: id,
    };
    assert!(!copy_accepts(&c.key, &ins, wrong.commitment, &bad));
}

// ---- Lookup ---------------------------------------------------------------------------------

use zktorch::blocks::lookup::{self, LookupKey, Table};

fn relu_table() -> Table {
    Table::function((-128..128).collect(), |x| x.max(0))
}

fn lookup_accepts(
    key: &LookupKey,
    a: Commitment,
    b: Option<Commitment>,
    p: &lookup::LookupProof,
) -> bool {
    accepts(|t, batch| {
        lookup::verify(
            &srs().verifier_key(),
            &key.verifier_key(),
            a,
            b,
            p,
            t,
            batch,
        )
    })
}

fn padded(v: &[i64], len: usize) -> Vec<i64> {
    let mut v = v.to_vec();
    v.resize(len, 0);
    v
}

/// A ReLU lookup of n random entries: the key and the committed (x, relu(x)).
fn relu_case(n: usize, r: &mut ChaCha20Rng) -> (LookupKey, Committed, Committed) {
    let key = LookupKey::new(srs(), n, relu_table()).unwrap();
    let m = 1usize << key.log_m;
    let x: Vec<i64> = (0..n).map(|_| r.gen_range(-128..128)).collect();
    let y: Vec<i64> = x.iter().map(|v| *v.max(&0)).collect();
    let (a, b) = (commit(&padded(&x, m), r), commit(&padded(&y, m), r));
    (key, a, b)
}

#[test]
fn lookup_completeness_pairs_and_single_column() {
    let mut r = rng(9);
    for n in [1usize, 7, 100] {
        // ReLU pairs.
        let (key, a, b) = relu_case(n, &mut r);
        let mut t = Transcript::new(b"blocks-test");
        let proof = lookup::prove(srs(), &key, &a, Some(&b), &mut t, &mut r).unwrap();
        assert!(
            lookup_accepts(&key, a.commitment, Some(b.commitment), &proof),
            "n={n}"
        );
        // Range check [0, 256).
        let key = LookupKey::new(srs(), n, Table::single((0..256).collect())).unwrap();
        let m = 1usize << key.log_m;
        let v: Vec<i64> = (0..n).map(|_| r.gen_range(0..256)).collect();
        let a = commit(&padded(&v, m), &mut r);
        let mut t = Transcript::new(b"blocks-test");
        let proof = lookup::prove(srs(), &key, &a, None, &mut t, &mut r).unwrap();
        assert!(lookup_accepts(&key, a.commitment, None, &proof), "n={n}");
    }
}

#[test]
fn lookup_soundness() {
    let mut r = rng(10);
    let n = 50;
    let (key, a, b) = relu_case(n, &mut r);
    let m = 1usize << key.log_m;
    let x: Vec<i64> = a.values[..n].to_vec();
    let y: Vec<i64> = b.values[..n].to_vec();
    let mut t = Transcript::new(b"blocks-test");
    let proof = lookup::prove(srs(), &key, &a, Some(&b), &mut t, &mut r).unwrap();
    // Tampered elements.
    for field in 0..3 {
        let mut bad = proof.clone();
        let c = match field {
            0 => &mut bad.multiplicities,
            1 => &mut bad.inverses,
            _ => &mut bad.running_sum,
        };
        *c = Commitment(tweak(c.0));
        assert!(
            !lookup_accepts(&key, a.commitment, Some(b.commitment), &bad),
            "field {field}"
        );
    }
    for (i, id) in tampered_identity_proofs(&proof.identity)
        .into_iter()
        .enumerate()
    {
        let bad = lookup::LookupProof {
            identity: id,
            ..proof.clone()
        };
        assert!(
            !lookup_accepts(&key, a.commitment, Some(b.commitment), &bad),
            "tamper {i}"
        );
    }
    // Swapped tensors, another table.
    assert!(!lookup_accepts(
        &key,
        b.commitment,
        Some(a.commitment),
        &proof
    ));
    let other = LookupKey::new(
        srs(),
        n,
        Table::function((-128..128).collect(), |x| x.max(1)),
    )
    .unwrap();
    assert!(!lookup_accepts(
        &other,
        a.commitment,
        Some(b.commitment),
        &proof
    ));
    // A false statement: one output is not ReLU of its input; a value outside the table.
    let mut wrong_y = y.clone();
    wrong_y[3] = x[3].max(0) + 1;
    let bw = commit(&padded(&wrong_y, m), &mut r);
    let mut t = Transcript::new(b"blocks-test");
    let err = lookup::prove(srs(), &key, &a, Some(&bw), &mut t, &mut r)
        .unwrap_err()
        .to_string();
    assert!(err.contains("entry 3"), "{err}");
    let mut big_x = x.clone();
    big_x[0] = 500;
    let ab = commit(&padded(&big_x, m), &mut r);
    let mut t = Transcript::new(b"blocks-test");
    assert!(lookup::prove(srs(), &key, &ab, Some(&b), &mut t, &mut r).is_err());
}

#[test]
fn lookup_forced_proof_of_a_value_outside_the_table_is_rejected() {
    // The forger commits honest-looking multiplicities, inverses of the wrong entries and a running
    // sum that ends at 0, and proves vacuous constraints: rejected.
    let mut r = rng(11);
    let n = 4;
    let key = LookupKey::new(srs(), n, Table::single((0..16).collect())).unwrap();
    let m = 1usize << key.log_m;
    let v = padded(&[3, 5, 99, 1], m);
    let a = commit(&v, &mut r);
    let mut t = Transcript::new(b"blocks-test");
    t.append_bytes(b"block", b"lookup");
    t.append_u64(b"lookup/log_m", u64::from(key.log_m));
    let k: Vec<_> = key.commitments.iter().map(|c| c.0).collect();
    t.append_g1s(b"lookup/table", &k);
    t.append_g1(b"lookup/a", &a.commitment.0);
    let mut mult = vec![0i64; m];
    for x in [3usize, 5, 1, 1] {
        mult[m - 16 + x] += 1;
    }
    let mc = Committed::new(srs(), &mult, 2, &mut r).unwrap();
    t.append_g1(b"lookup/multiplicities", &mc.commitment.0);
    let _beta = t.challenge_scalar(b"lookup/beta");
    let zeros = Committed::new(srs(), &vec![0; m], 3, &mut r).unwrap();
    t.append_g1(b"lookup/inverses", &zeros.commitment.0);
    t.append_g1(b"lookup/running", &zeros.commitment.0);
    struct VacuousHZ;
    impl Constraints for VacuousHZ {
        fn columns(&self) -> usize {
            9
        }
        fn reads_next(&self, j: usize) -> bool {
            j == 7 || j == 8
        }
        fn degree(&self) -> usize {
            1
        }
        fn combine<V: Value>(&self, _row: &Row<'_, V>, _alpha: Fr) -> V {
            V::from(Fr::from(0u64))
        }
    }
    let zero_b = zktorch::pcs::CommittedPoly {
        poly: ark_poly::DenseUVPolynomial::from_coefficients_vec(vec![]),
        log_n: key.log_m,
        hiding: 0,
    };
    let cols: Vec<&zktorch::pcs::CommittedPoly> = vec![
        &a.poly,
        &zero_b,
        &key.public[0],
        &key.public[1],
        &key.public[2],
        &key.public[3],
        &mc.poly,
        &zeros.poly,
        &zeros.poly,
    ];
    let comms = vec![
        a.commitment,
        Commitment(G1Affine::default()),
        key.commitments[0],
        key.commitments[1],
        key.commitments[2],
        key.commitments[3],
        mc.commitment,
        zeros.commitment,
        zeros.commitment,
    ];
    let id = identity::prove(srs(), &VacuousHZ, &cols, &comms, &mut t).unwrap();
    let forged = lookup::LookupProof {
        multiplicities: mc.commitment,
        inverses: zeros.commitment,
        running_sum: zeros.commitment,
        identity: id,
    };
    assert!(!lookup_accepts(&key, a.commitment, None, &forged));
}

// ---- Division with remainder ----------------------------------------------------------------

use zktorch::blocks::division::{self, DivisionKey};

fn division_accepts(
    key: &DivisionKey,
    a: Commitment,
    q: Commitment,
    p: &division::DivisionProof,
) -> bool {
    accepts(|t, batch| {
        division::verify(
            &srs().verifier_key(),
            &key.verifier_key(),
            a,
            q,
            p,
            t,
            batch,
        )
    })
}

#[test]
fn division_completeness_and_soundness() {
    let mut r = rng(12);
    let (n, d) = (40usize, 7i64);
    let key = DivisionKey::new(srs(), n, d, -20, 20).unwrap();
    let m = 1usize << key.remainder.log_m;
    let av: Vec<i64> = (0..n).map(|_| r.gen_range(-140..=140)).collect();
    let qv = division::quotients(&av, d);
    let a = Committed::new(srs(), &padded(&av, m), division::QUOTIENT_MASK, &mut r).unwrap();
    let q = Committed::new(srs(), &padded(&qv, m), division::QUOTIENT_MASK, &mut r).unwrap();
    let mut t = Transcript::new(b"blocks-test");
    let proof = division::prove(srs(), &key, &a, &q, &mut t, &mut r).unwrap();
    assert!(division_accepts(&key, a.commitment, q.commitment, &proof));
    // Wrong quotient (off by one: remainder out of [0, d)) → the honest prover refuses.
    let mut wrong = qv.clone();
    wrong[5] += 1;
    let qw = Committed::new(srs(), &padded(&wrong, m), division::QUOTIENT_MASK, &mut r).unwrap();
    let mut t = Transcript::new(b"blocks-test");
    assert!(division::prove(srs(), &key, &a, &qw, &mut t, &mut r).is_err());
    // The proof does not verify another quotient or another dividend, or another divisor.
    assert!(!division_accepts(&key, a.commitment, qw.commitment, &proof));
    let other_a = Committed::new(srs(), &padded(&qv, m), division::QUOTIENT_MASK, &mut r).unwrap();
    assert!(!division_accepts(
        &key,
        other_a.commitment,
        q.commitment,
        &proof
    ));
    let key8 = DivisionKey::new(srs(), n, 8, -20, 20).unwrap();
    assert!(!division_accepts(&key8, a.commitment, q.commitment, &proof));
    // Tampering either lookup is caught.
    let mut bad = proof.clone();
    bad.remainder.identity.opening.values[0] += Fr::one();
    assert!(!division_accepts(&key, a.commitment, q.commitment, &bad));
    let mut bad = proof.clone();
    bad.quotient.running_sum = Commitment(tweak(bad.quotient.running_sum.0));
    assert!(!division_accepts(&key, a.commitment, q.commitment, &bad));
    assert!(DivisionKey::new(srs(), n, 0, 0, 1).is_err());
}

/// A quotient range of at least `WIDE_MIN_ROWS` values and more than the entries divided is
/// checked in two limbs (`q = 2^L·h + l`): the
/// proof verifies, and a changed high limb, a tampered limb lookup, a quotient outside the
/// range or a proof without its limbs is not accepted.
#[test]
fn wide_division_checks_the_quotient_in_two_limbs() {
    let mut r = rng(13);
    // A 2^9-row low limb needs a 2^10 domain: an SRS one power larger, from the same τ.
    let big = Srs::insecure_for_tests(11, 11);
    let (n, d, lo, hi) = (40usize, 7i64, -100_000i64, 100_000i64);
    let (bits, h) = division::limbs(n, lo, hi).unwrap();
    assert_eq!((bits, h), (9, 390));
    assert!(division::limbs(n, -20, 20).is_none());
    let key = DivisionKey::new(&big, n, d, lo, hi).unwrap();
    let tables = DivisionKey::tables(n, d, lo, hi).unwrap();
    assert_eq!(tables.len(), 3);
    assert_eq!(tables[1].inputs.len(), 512);
    let m = 1usize << key.remainder.log_m;
    let av: Vec<i64> = (0..n).map(|_| r.gen_range(-690_000..=690_000)).collect();
    let qv = division::quotients(&av, d);
    let commit = |v: &[i64], r: &mut ChaCha20Rng| {
        Committed::new(&big, &padded(v, m), division::QUOTIENT_MASK, r).unwrap()
    };
    let (a, q) = (commit(&av, &mut r), commit(&qv, &mut r));
    let mut t = Transcript::new(b"blocks-test");
    let proof = division::prove(&big, &key, &a, &q, &mut t, &mut r).unwrap();
    assert!(division_accepts(&key, a.commitment, q.commitment, &proof));
    // Another high limb (the commitment of h + 1 on one row): the low limb moves with it.
    let (hc, _) = proof.high.clone().unwrap();
    let mut bad = proof.clone();
    bad.high.as_mut().unwrap().0 = Commitment(tweak(hc.0));
    assert!(!division_accepts(&key, a.commitment, q.commitment, &bad));
    let mut bad = proof.clone();
    bad.high.as_mut().unwrap().1.running_sum =
        Commitment(tweak(proof.high.as_ref().unwrap().1.running_sum.0));
    assert!(!division_accepts(&key, a.commitment, q.commitment, &bad));
    let mut bad = proof.clone();
    bad.high = None;
    assert!(!division_accepts(&key, a.commitment, q.commitment, &bad));
    // A quotient beyond the range: the honest prover refuses (no limbs exist for it).
    let mut av2 = av.clone();
    av2[3] = 7 * 400_000;
    let (a2, q2) = (
        commit(&av2, &mut r),
        commit(&division::quotients(&av2, d), &mut r),
    );
    let mut t = Transcript::new(b"blocks-test");
    assert!(division::prove(&big, &key, &a2, &q2, &mut t, &mut r).is_err());
    // The narrow key does not verify the wide proof.
    let narrow = DivisionKey::new(&big, n, d, -20, 20).unwrap();
    assert!(!division_accepts(
        &narrow,
        a.commitment,
        q.commitment,
        &proof
    ));
}

// ---- Shared identity proof (the model prover's mode) ------------------------------------------

#[test]
fn deferred_identities_prove_and_verify_together() {
    use zktorch::blocks::identity::{Check, Mode};
    let mut r = rng(50);
    let n = 64;
    let mut cases = Vec::new();
    for _ in 0..3 {
        let (av, bv) = (values(n, 100, &mut r), values(n, 100, &mut r));
        let cv = hadamard::hadamard_values(&av, &bv).unwrap();
        cases.push((
            commit(&av, &mut r),
            commit(&bv, &mut r),
            commit(&cv, &mut r),
        ));
    }
    // The running-sum block too (a part that reads the next row).
    let f = commit_twice_opened(&values(n, 100, &mut r), &mut r);
    let total: i64 = f.values.iter().sum();
    let prove_all = |cases: &[(Committed, Committed, Committed)]| {
        let mut t = Transcript::new(b"blocks-test");
        let mut parts = Vec::new();
        let mut rr = rng(51);
        for (a, b, c) in cases {
            hadamard::prove_in(srs(), a, b, c, &mut t, Mode::Defer(&mut parts))?;
        }
        let s = sum::prove_in(srs(), &f, total, &mut t, &mut rr, Mode::Defer(&mut parts))?;
        let shared = identity::prove_shared(srs(), &parts, &mut t)?;
        Ok::<_, zktorch::Error>((s, shared))
    };
    let verify_all = |cases: &[(Commitment, Commitment, Commitment)],
                      s: &sum::SumProof,
                      shared: &IdentityProof| {
        accepts(|t, batch| {
            let vk = srs().verifier_key();
            let mut parts = Vec::new();
            let placeholder = IdentityProof::deferred();
            for (a, b, c) in cases {
                hadamard::verify_in(
                    &vk,
                    6,
                    [*a, *b, *c],
                    &placeholder,
                    t,
                    batch,
                    Check::Defer(&mut parts),
                )?;
            }
            sum::verify_in(
                &vk,
                6,
                f.commitment,
                total,
                s,
                t,
                batch,
                Check::Defer(&mut parts),
            )?;
            identity::verify_shared(&vk, &parts, shared, t, batch).map(|_| ())
        })
    };
    let (s, shared) = prove_all(&cases).unwrap();
    let coms: Vec<_> = cases
        .iter()
        .map(|(a, b, c)| (a.commitment, b.commitment, c.commitment))
        .collect();
    assert!(verify_all(&coms, &s, &shared));
    // All parts share one quotient and one opening at ζ and ωζ.
    assert_eq!(shared.opening.witnesses.len(), 2);
    for bad in tampered_identity_proofs(&shared) {
        assert!(!verify_all(&coms, &s, &bad));
    }
    // One false part among true ones: the honest prover refuses.
    let mut wrong = cases;
    let mut cv = wrong[1].2.values.clone();
    cv[5] += 1;
    wrong[1].2 = commit(&cv, &mut r);
    let err = prove_all(&wrong).unwrap_err().to_string();
    assert!(err.contains("does not hold"), "{err}");
    // Statements swapped between parts: rejected.
    let mut swapped = coms.clone();
    swapped.swap(0, 1);
    assert!(!verify_all(&swapped, &s, &shared));
}
