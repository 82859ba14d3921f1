//! Matrix product of two committed matrices: `C = A·B` (attention scores `Q·Kᵀ`, context
//! `P·V`). A is `b × m`, B is `m × n`, C is `b × n`, all row-major activations on one domain H of
//! size `N ≥ max(b·m, m·n, b·n)`.
//!
//! **Idea** (Freivalds with committed intermediate vectors, all as identities on H): for a
//! challenge ρ, with `s_k = ρ^((b−1−k)n)` and `r_j = ρ^(n−1−j)`,
//! `sᵀ·C·r = (Aᵀs)·(B r)`. The prover commits `v = Aᵀs` and `u = B·r` (m field elements each),
//! then proves, for challenges λ, μ drawn after v and u:
//!
//! - `Σ_i μ^(m−1−i) v_i = Σ_k s_k Σ_i μ^(m−1−i) A_ki` (v is `Aᵀs`, by Horner over A's rows);
//! - `Σ_i λ^(m−1−i) u_i = Σ_i λ^(m−1−i) Σ_j ρ^(n−1−j) B_ij` (u is `B·r`, Horner over B's rows);
//! - `Σ_(k,j) C_kj ρ^((b−1−k)n + n−1−j) = Σ_i v_i u_i` (one running inner product).
//!
//! **Columns** (public: `e_A`, `e_B`, 1 at the last entry of each row of A and of B). Exclusive
//! prefix columns, each `0` on the first row and advanced on every row but the last:
//!
//! - `g_A(ωX) = (1 − e_A)·μ·(g_A + A)` (Horner inside a row of A, restarted after its end);
//! - `o_A(ωX) = o_A·(1 + e_A(ρ^n − 1)) + e_A·(g_A + A)` (rows of A combined by ρ^n);
//! - `z_v(ωX) = μ·z_v + v`;
//! - `g_B(ωX) = (1 − e_B)·ρ·(g_B + B)`, `o_B(ωX) = o_B·(1 + e_B(λ − 1)) + e_B·(g_B + B)`;
//! - `z_u(ωX) = λ·z_u + u`;
//! - `π(ωX) = π + v·u`, `c(ωX) = ρ·c + C`.
//!
//! and on the last row (the step expressions evaluated there are the totals):
//!
//! - `μ·z_v + v = μ^(N−m)·(o_A·(1 + e_A(ρ^n − 1)) + e_A·(g_A + A))`;
//! - `λ·z_u + u = λ^(N−m)·(o_B·(1 + e_B(λ − 1)) + e_B·(g_B + B))`;
//! - `ρ·c + C = ρ^(N−b·n)·(π + v·u)`.
//!
//! **Soundness.** A, B, C are bound before ρ; v, u before λ, μ. The λ-identity is a polynomial
//! in λ of degree < N whose coefficients are `u_i − (B·r)_i` (and u's padding, on the powers
//! below N − m): it holds for a wrong u with probability < N/r; likewise μ for v. With v, u
//! right, the last identity is a polynomial in ρ of degree < N with coefficients
//! `C_kj − (A·B)_kj` and C's padding: < N/r. Degree 3, no degree bound.
//!
//! **Zero knowledge.** A, B, C, v, u are opened at ζ only (two mask coefficients); the eight
//! running columns at ζ and ωζ (three).
//!
//! **Cost.** Prover: O(b·m + m·n + b·n) field operations and 10 full-field commitments of size N
//! plus the identity proof; no b·m·n term. Proof: 13 G1 + 24 F_r.

use super::identity::{self, Constraints, IdentityProof, Rot, Row, Value};
use super::matmul::{matmul_values, Dims};
use super::Committed;
use crate::error::{Error, Result};
use crate::pcs::{self, Commitment, CommittedPoly, PairingBatch, VerifierKey};
use crate::srs::Srs;
use crate::transcript::Transcript;
use ark_bn254::{Fr, G1Affine};
use ark_ff::{Field, One, Zero};
use rand::{CryptoRng, RngCore};

/// Mask of v and u (opened at ζ).
const VECTOR_MASK: usize = 2;
/// Mask of the running columns (opened at ζ and ωζ).
const RUNNING_MASK: usize = 3;

/// log2 of the domain of a product of these dimensions.
pub fn domain_log(dims: Dims) -> Result<u32> {
    let Dims {
        rows, inner, cols, ..
    } = dims;
    let sizes = [
        rows.checked_mul(inner),
        inner.checked_mul(cols),
        rows.checked_mul(cols),
    ];
    match sizes {
        [Some(a), Some(b), Some(c)]
            if dims.conv.is_none()
                && rows != 0
                && inner != 0
                && cols != 0
                && a.max(b).max(c) <= 1 << crate::srs::MAX_POWER =>
        {
            Ok(pcs::domain_log(a.max(b).max(c)))
        }
        _ => Err(Error::InvalidArgument(format!(
            "product of committed matrices with invalid dimensions {dims:?}"
        ))),
    }
}

/// Prover and verifier key: the row-end selectors of A and B (public, fixed by the shapes).
#[derive(Clone, Debug)]
pub struct MatProdKey {
    /// Dimensions.
    pub dims: Dims,
    /// log2 of N.
    pub log_n: u32,
    public: Vec<CommittedPoly>,
    vk: MatProdVerifierKey,
}

/// The verifier's part (in the model's verifying key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatProdVerifierKey {
    /// Dimensions.
    pub dims: Dims,
    /// log2 of N.
    pub log_n: u32,
    /// Commitments to `e_A`, `e_B`.
    pub commitments: Vec<Commitment>,
}

impl super::KeyColumns for MatProdKey {
    fn key_columns(&self) -> Vec<(Commitment, Option<&CommittedPoly>)> {
        super::zip_public(&self.vk.commitments, &self.public)
    }
}

impl MatProdKey {
    /// Setup for one shape.
    pub fn new(srs: &Srs, dims: Dims) -> Result<Self> {
        Self::on_domain(srs, dims, domain_log(dims)?)
    }

    /// As [`MatProdKey::new`] on a larger domain of size `2^log_n`.
    pub fn on_domain(srs: &Srs, dims: Dims, log_n: u32) -> Result<Self> {
        if log_n < domain_log(dims)? || log_n > crate::srs::MAX_POWER {
            return Err(Error::InvalidArgument(format!(
                "product {dims:?} does not fit a domain of 2^{log_n}"
            )));
        }
        let cols = end_columns(dims, log_n);
        let mut public = Vec::with_capacity(2);
        let mut commitments = Vec::with_capacity(2);
        for c in &cols {
            public.push(pcs::values_poly(c)?);
            commitments.push(pcs::commit_values(srs, c)?);
        }
        Ok(MatProdKey {
            dims,
            log_n,
            public,
            vk: MatProdVerifierKey {
                dims,
                log_n,
                commitments,
            },
        })
    }

    /// The verifier's part.
    pub fn verifier_key(&self) -> &MatProdVerifierKey {
        &self.vk
    }
}

/// The public row-end selectors `e_A` (1 at the last entry of each row of A) and `e_B` (same
/// for B) on the domain of size `2^log_n` (which must hold both matrices).
pub fn end_columns(dims: Dims, log_n: u32) -> [Vec<i64>; 2] {
    let n = 1usize << log_n;
    let ends = |rows: usize, len: usize| {
        let mut e = vec![0i64; n];
        for k in 0..rows {
            e[k * len + len - 1] = 1;
        }
        e
    };
    [ends(dims.rows, dims.inner), ends(dims.inner, dims.cols)]
}

// Column indices.
const A: usize = 0;
const B: usize = 1;
const C: usize = 2;
const V: usize = 3;
const U: usize = 4;
const EA: usize = 5;
const EB: usize = 6;
const GA: usize = 7;
const OA: usize = 8;
const ZV: usize = 9;
const GB: usize = 10;
const OB: usize = 11;
const ZU: usize = 12;
const IP: usize = 13;
const HC: usize = 14;
const COLUMNS: usize = 15;

/// The challenges and the public scalars derived from them.
#[derive(Clone)]
struct MatProd {
    rho: Fr,
    lambda: Fr,
    mu: Fr,
    rho_n: Fr,
    /// `μ^(N−m)`, `λ^(N−m)`, `ρ^(N−bn)`.
    mu_shift: Fr,
    lambda_shift: Fr,
    rho_shift: Fr,
}

/// The running columns' values at one row, from the row (shared by the constraint and the
/// prover's witness computation).
struct Steps<V> {
    g_a: V,
    o_a: V,
    z_v: V,
    g_b: V,
    o_b: V,
    z_u: V,
    ip: V,
    h_c: V,
}

impl MatProd {
    /// The successor of every running column given this row's values (`cur[j]` = column j).
    fn steps<T: Value>(&self, c: &dyn Fn(usize) -> T) -> Steps<T> {
        let row_a = c(GA) + c(A);
        let row_b = c(GB) + c(B);
        let one = || T::from(Fr::one());
        Steps {
            g_a: (one() - c(EA)) * row_a * self.mu,
            o_a: c(OA) * (c(EA) * (self.rho_n - Fr::one()) + Fr::one()) + c(EA) * row_a,
            z_v: c(ZV) * self.mu + c(V),
            g_b: (one() - c(EB)) * row_b * self.rho,
            o_b: c(OB) * (c(EB) * (self.lambda - Fr::one()) + Fr::one()) + c(EB) * row_b,
            z_u: c(ZU) * self.lambda + c(U),
            ip: c(IP) + c(V) * c(U),
            h_c: c(HC) * self.rho + c(C),
        }
    }
}

impl Constraints for MatProd {
    fn columns(&self) -> usize {
        COLUMNS
    }
    fn reads_next(&self, j: usize) -> bool {
        j >= GA
    }
    fn degree(&self) -> usize {
        3
    }
    fn combine<T: Value>(&self, row: &Row<'_, T>, alpha: Fr) -> T {
        let c = |j| row.col(j, Rot::Cur);
        let n = |j| row.col(j, Rot::Next);
        let s = self.steps(&c);
        let mut acc = T::from(Fr::zero());
        let mut k = Fr::one();
        let mut add = |term: T| {
            acc += term * k;
            k *= alpha;
        };
        // L_0·col = 0 for every running column (each constraint its own power of α).
        for j in GA..COLUMNS {
            add(row.l_first * c(j));
        }
        // (X − ω^(N−1))·(col(ωX) − step) = 0.
        for (j, step) in [
            (GA, s.g_a),
            (OA, s.o_a),
            (ZV, s.z_v),
            (GB, s.g_b),
            (OB, s.o_b),
            (ZU, s.z_u),
            (IP, s.ip),
            (HC, s.h_c),
        ] {
            add(row.not_last * (n(j) - step));
        }
        // L_(N−1)·(totals agree).
        add(row.l_last * (s.z_v - s.o_a * self.mu_shift));
        add(row.l_last * (s.z_u - s.o_b * self.lambda_shift));
        add(row.l_last * (s.h_c - s.ip * self.rho_shift));
        acc
    }
}

/// A proof of `C = A·B`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatProdProof {
    /// `[v(τ)]₁` (`v = Aᵀs`) and `[u(τ)]₁` (`u = B·r`).
    pub vectors: [Commitment; 2],
    /// The eight running columns g_A, o_A, z_v, g_B, o_B, z_u, π, c.
    pub running: [Commitment; 8],
    /// The constraints' proof.
    pub identity: IdentityProof,
}

fn absorb_statement(t: &mut Transcript, key: &MatProdVerifierKey, abc: &[Commitment; 3]) -> Fr {
    let Dims {
        rows, inner, cols, ..
    } = key.dims;
    t.append_bytes(b"block", b"matprod");
    for d in [rows, inner, cols] {
        t.append_u64(b"matprod/dim", d as u64);
    }
    t.append_u64(b"matprod/log_n", u64::from(key.log_n));
    let mut points: Vec<G1Affine> = key.commitments.iter().map(|c| c.0).collect();
    points.extend(abc.iter().map(|c| c.0));
    t.append_g1s(b"matprod/statement", &points);
    t.challenge_scalar(b"matprod/rho")
}

fn second_challenges(
    t: &mut Transcript,
    key: &MatProdVerifierKey,
    rho: Fr,
    v: &[Commitment; 2],
) -> MatProd {
    t.append_g1s(b"matprod/vectors", &[v[0].0, v[1].0]);
    let lambda = t.challenge_scalar(b"matprod/lambda");
    let mu = t.challenge_scalar(b"matprod/mu");
    let Dims {
        rows, inner, cols, ..
    } = key.dims;
    let n = 1u64 << key.log_n;
    MatProd {
        rho,
        lambda,
        mu,
        rho_n: rho.pow([cols as u64]),
        mu_shift: mu.pow([n - inner as u64]),
        lambda_shift: lambda.pow([n - inner as u64]),
        rho_shift: rho.pow([n - (rows * cols) as u64]),
    }
}

/// `v = Aᵀs` with `s_k = ρ^((b−1−k)n)` and `u = B·r` with `r_j = ρ^(n−1−j)`, zero-padded to N.
fn vectors(key: &MatProdKey, a: &Committed, b: &Committed, rho: Fr) -> (Vec<Fr>, Vec<Fr>) {
    let Dims {
        rows, inner, cols, ..
    } = key.dims;
    let n = 1usize << key.log_n;
    let rho_n = rho.pow([cols as u64]);
    let mut v = vec![Fr::zero(); n];
    let mut s = Fr::one();
    for k in (0..rows).rev() {
        for (vi, x) in v.iter_mut().zip(&a.values[k * inner..(k + 1) * inner]) {
            *vi += s * Fr::from(*x);
        }
        s *= rho_n;
    }
    let mut u = vec![Fr::zero(); n];
    for (i, ui) in u.iter_mut().enumerate().take(inner) {
        *ui = b.values[i * cols..(i + 1) * cols]
            .iter()
            .fold(Fr::zero(), |acc, x| acc * rho + Fr::from(*x));
    }
    (v, u)
}

/// The eight running columns, row by row from 0 (each row's successor is the step expression
/// the constraints check).
fn running_columns(
    key: &MatProdKey,
    [a, b, c]: [&Committed; 3],
    [v, u]: [&[Fr]; 2],
    constraints: &MatProd,
) -> Vec<Vec<Fr>> {
    let Dims {
        rows, inner, cols, ..
    } = key.dims;
    let n = 1usize << key.log_n;
    let is_end = |p: usize, count: usize, len: usize| p < count * len && p % len == len - 1;
    let mut running = vec![vec![Fr::zero(); n]; 8];
    let mut cur = vec![Fr::zero(); COLUMNS];
    for p in 0..n {
        cur[A] = Fr::from(a.values[p]);
        cur[B] = Fr::from(b.values[p]);
        cur[C] = Fr::from(c.values[p]);
        cur[V] = v[p];
        cur[U] = u[p];
        cur[EA] = Fr::from(u64::from(is_end(p, rows, inner)));
        cur[EB] = Fr::from(u64::from(is_end(p, inner, cols)));
        for (j, col) in running.iter().enumerate() {
            cur[GA + j] = col[p];
        }
        let s = constraints.steps(&|j| cur[j]);
        if p + 1 < n {
            for (col, next) in running
                .iter_mut()
                .zip([s.g_a, s.o_a, s.z_v, s.g_b, s.o_b, s.z_u, s.ip, s.h_c])
            {
                col[p + 1] = next;
            }
        }
    }
    running
}

/// Proves `C = A·B` for committed A, B, C on the key's domain. Fails (no proof) if it does not
/// hold.
pub fn prove<R: RngCore + CryptoRng>(
    srs: &Srs,
    key: &MatProdKey,
    a: &Committed,
    b: &Committed,
    c: &Committed,
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<MatProdProof> {
    prove_in(srs, key, a, b, c, transcript, rng, identity::Mode::Now)
}

/// As [`prove`], with the identity proved now or deferred to a shared proof.
#[allow(clippy::too_many_arguments)] // the standalone signature plus the identity mode
pub fn prove_in<R: RngCore + CryptoRng>(
    srs: &Srs,
    key: &MatProdKey,
    a: &Committed,
    b: &Committed,
    c: &Committed,
    transcript: &mut Transcript,
    rng: &mut R,
    mode: identity::Mode<'_>,
) -> Result<MatProdProof> {
    let Dims {
        rows, inner, cols, ..
    } = key.dims;
    if [a, b, c].iter().any(|t| t.poly.log_n != key.log_n) {
        return Err(Error::InvalidArgument(format!(
            "matrix-product tensors must be committed on the domain of size 2^{}",
            key.log_n
        )));
    }
    let expected = matmul_values(key.dims, &a.values, &b.values[..inner * cols])?;
    let nonzero_beyond = |t: &Committed, len: usize| t.values[len..].iter().any(|x| *x != 0);
    if c.values[..rows * cols] != expected[..]
        || nonzero_beyond(a, rows * inner)
        || nonzero_beyond(b, inner * cols)
        || nonzero_beyond(c, rows * cols)
    {
        return Err(Error::InvalidArgument(
            "the product of the committed matrices is not the committed output".into(),
        ));
    }
    let abc = [a.commitment, b.commitment, c.commitment];
    let rho = absorb_statement(transcript, &key.vk, &abc);
    let (v, u) = vectors(key, a, b, rho);
    let (cv, pv) = pcs::commit_field_values_hiding(srs, &v, VECTOR_MASK, rng)?;
    let (cu, pu) = pcs::commit_field_values_hiding(srs, &u, VECTOR_MASK, rng)?;
    let vectors = [cv, cu];
    let constraints = second_challenges(transcript, &key.vk, rho, &vectors);

    let running = running_columns(key, [a, b, c], [&v, &u], &constraints);
    let (e_a, e_b) = (&key.public[0], &key.public[1]);
    let mut polys = Vec::with_capacity(8);
    let mut commitments = Vec::with_capacity(8);
    for col in &running {
        let (cm, poly) = pcs::commit_field_values_hiding(srs, col, RUNNING_MASK, rng)?;
        commitments.push(cm);
        polys.push(poly);
    }
    let running_commitments: [Commitment; 8] = commitments
        .clone()
        .try_into()
        .map_err(|_| Error::InvalidArgument("eight running columns".into()))?;
    transcript.append_g1s(
        b"matprod/running",
        &running_commitments.iter().map(|c| c.0).collect::<Vec<_>>(),
    );
    let mut columns: Vec<&CommittedPoly> = vec![&a.poly, &b.poly, &c.poly, &pv, &pu, e_a, e_b];
    columns.extend(polys.iter());
    let mut all = abc.to_vec();
    all.extend_from_slice(&vectors);
    all.extend_from_slice(&key.vk.commitments);
    all.extend_from_slice(&commitments);
    let identity = identity::prove_in(srs, &constraints, &columns, &all, transcript, mode)?;
    Ok(MatProdProof {
        vectors,
        running: running_commitments,
        identity,
    })
}

/// Verifies `C = A·B` for the committed `[A, B, C]`.
pub fn verify(
    vk: &VerifierKey,
    key: &MatProdVerifierKey,
    abc: [Commitment; 3],
    proof: &MatProdProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
) -> Result<()> {
    verify_in(vk, key, abc, proof, transcript, batch, identity::Check::Now)
}

/// As [`verify`], with the identity checked now or deferred to a shared proof.
pub fn verify_in(
    vk: &VerifierKey,
    key: &MatProdVerifierKey,
    abc: [Commitment; 3],
    proof: &MatProdProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
    mode: identity::Check<'_>,
) -> Result<()> {
    let fits =
        domain_log(key.dims).is_ok_and(|l| l <= key.log_n && key.log_n <= crate::srs::MAX_POWER);
    if key.commitments.len() != 2 || !fits {
        return Err(Error::Verification(
            "matrix-product key does not match its dimensions".into(),
        ));
    }
    let rho = absorb_statement(transcript, key, &abc);
    let constraints = second_challenges(transcript, key, rho, &proof.vectors);
    transcript.append_g1s(
        b"matprod/running",
        &proof.running.iter().map(|c| c.0).collect::<Vec<_>>(),
    );
    let mut all = abc.to_vec();
    all.extend_from_slice(&proof.vectors);
    all.extend_from_slice(&key.commitments);
    all.extend_from_slice(&proof.running);
    identity::verify_in(
        vk,
        &constraints,
        key.log_n,
        &all,
        &proof.identity,
        transcript,
        batch,
        mode,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::{AffineRepr, CurveGroup};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    fn srs() -> &'static Srs {
        crate::blocks::test_srs()
    }

    struct Case {
        key: MatProdKey,
        a: Committed,
        b: Committed,
        c: Committed,
    }

    fn commit_on(values: &[i64], log_n: u32, r: &mut ChaCha20Rng) -> Committed {
        let mut v = values.to_vec();
        v.resize(1 << log_n, 0);
        Committed::new(srs(), &v, 2, r).unwrap()
    }

    fn case(dims: Dims, seed: u64, tamper_output: Option<usize>) -> Case {
        let mut r = ChaCha20Rng::seed_from_u64(seed);
        let key = MatProdKey::new(srs(), dims).unwrap();
        let av: Vec<i64> = (0..dims.rows * dims.inner)
            .map(|_| r.gen_range(-100..100))
            .collect();
        let bv: Vec<i64> = (0..dims.inner * dims.cols)
            .map(|_| r.gen_range(-100..100))
            .collect();
        let mut cv = matmul_values(dims, &av, &bv).unwrap();
        if let Some(i) = tamper_output {
            cv[i] += 1;
        }
        Case {
            a: commit_on(&av, key.log_n, &mut r),
            b: commit_on(&bv, key.log_n, &mut r),
            c: commit_on(&cv, key.log_n, &mut r),
            key,
        }
    }

    fn prove_case(c: &Case, seed: u64) -> Result<MatProdProof> {
        let mut r = ChaCha20Rng::seed_from_u64(seed);
        let mut t = Transcript::new(b"matprod-test");
        prove(srs(), &c.key, &c.a, &c.b, &c.c, &mut t, &mut r)
    }

    fn accepts(c: &Case, abc: [Commitment; 3], p: &MatProdProof) -> bool {
        let mut t = Transcript::new(b"matprod-test");
        let mut batch = PairingBatch::recording();
        let vk = srs().verifier_key();
        let ok = verify(&vk, c.key.verifier_key(), abc, p, &mut t, &mut batch).is_ok();
        let relaxed = ok && batch.relaxed().iter().all(|e| e.holds());
        let accepted = ok && batch.verify();
        assert_eq!(relaxed, accepted, "relaxed form disagrees");
        accepted
    }

    fn abc(c: &Case) -> [Commitment; 3] {
        [c.a.commitment, c.b.commitment, c.c.commitment]
    }

    fn dims(rows: usize, inner: usize, cols: usize) -> Dims {
        Dims::matrix(rows, inner, cols)
    }

    #[test]
    fn completeness_on_several_shapes() {
        for (i, d) in [
            dims(1, 1, 1),
            dims(1, 5, 3),
            dims(4, 4, 4),
            dims(3, 7, 2),
            dims(6, 3, 9),
        ]
        .into_iter()
        .enumerate()
        {
            let c = case(d, i as u64, None);
            let p = prove_case(&c, 10 + i as u64).unwrap();
            assert!(accepts(&c, abc(&c), &p), "{d:?}");
        }
    }

    #[test]
    fn tampered_proofs_and_wrong_statements_are_rejected() {
        let c = case(dims(3, 5, 4), 1, None);
        let p = prove_case(&c, 2).unwrap();
        let g = G1Affine::generator();
        let tweak = |a: Commitment| Commitment((a.0 + g).into_affine());
        let mut bad = Vec::new();
        for i in 0..2 {
            let mut q = p.clone();
            q.vectors[i] = tweak(q.vectors[i]);
            bad.push(q);
        }
        for i in 0..8 {
            let mut q = p.clone();
            q.running[i] = tweak(q.running[i]);
            bad.push(q);
        }
        for t in p.identity.tampered() {
            let mut q = p.clone();
            q.identity = t;
            bad.push(q);
        }
        for (i, q) in bad.iter().enumerate() {
            assert!(!accepts(&c, abc(&c), q), "tamper {i}");
        }
        let [a, b, cc] = abc(&c);
        assert!(!accepts(&c, [b, a, cc], &p));
        let other = case(dims(3, 5, 4), 3, None);
        assert!(!accepts(&c, [a, b, other.c.commitment], &p));
    }

    /// A wrong output: the honest prover refuses; a forger who computes every column honestly
    /// from the wrong C and proves vacuous constraints in their place is rejected.
    #[test]
    fn forced_proof_of_a_wrong_product_is_rejected() {
        struct Vacuous;
        impl Constraints for Vacuous {
            fn columns(&self) -> usize {
                COLUMNS
            }
            fn reads_next(&self, j: usize) -> bool {
                j >= GA
            }
            fn degree(&self) -> usize {
                1
            }
            fn combine<V: Value>(&self, _row: &Row<'_, V>, _alpha: Fr) -> V {
                V::from(Fr::zero())
            }
        }
        let c = case(dims(2, 3, 4), 5, Some(6));
        assert!(prove_case(&c, 6).is_err());
        // The forger: the same steps as the prover, skipping its check.
        let mut r = ChaCha20Rng::seed_from_u64(7);
        let mut t = Transcript::new(b"matprod-test");
        let key = &c.key;
        let rho = absorb_statement(&mut t, &key.vk, &abc(&c));
        let (v, u) = vectors(key, &c.a, &c.b, rho);
        let (cv, pv) = pcs::commit_field_values_hiding(srs(), &v, 2, &mut r).unwrap();
        let (cu, pu) = pcs::commit_field_values_hiding(srs(), &u, 2, &mut r).unwrap();
        let constraints = second_challenges(&mut t, &key.vk, rho, &[cv, cu]);
        let running = running_columns(key, [&c.a, &c.b, &c.c], [&v, &u], &constraints);
        let mut polys = Vec::new();
        let mut commitments = Vec::new();
        for col in &running {
            let (cm, poly) = pcs::commit_field_values_hiding(srs(), col, 3, &mut r).unwrap();
            commitments.push(cm);
            polys.push(poly);
        }
        // The honest identity prover refuses these columns (only the last total is off).
        let mut cols: Vec<&CommittedPoly> = vec![
            &c.a.poly,
            &c.b.poly,
            &c.c.poly,
            &pv,
            &pu,
            &key.public[0],
            &key.public[1],
        ];
        cols.extend(polys.iter());
        let mut cms = abc(&c).to_vec();
        cms.extend_from_slice(&[cv, cu]);
        cms.extend_from_slice(&key.vk.commitments);
        cms.extend_from_slice(&commitments);
        let err = identity::prove(srs(), &constraints, &cols, &cms, &mut Transcript::new(b"x"));
        assert!(err.is_err());
        t.append_g1s(
            b"matprod/running",
            &commitments.iter().map(|c| c.0).collect::<Vec<_>>(),
        );
        let mut columns: Vec<&CommittedPoly> = vec![
            &c.a.poly,
            &c.b.poly,
            &c.c.poly,
            &pv,
            &pu,
            &key.public[0],
            &key.public[1],
        ];
        columns.extend(polys.iter());
        let mut all = abc(&c).to_vec();
        all.extend_from_slice(&[cv, cu]);
        all.extend_from_slice(&key.vk.commitments);
        all.extend_from_slice(&commitments);
        let identity = identity::prove(srs(), &Vacuous, &columns, &all, &mut t).unwrap();
        let forged = MatProdProof {
            vectors: [cv, cu],
            running: commitments.try_into().unwrap(),
            identity,
        };
        assert!(!accepts(&c, abc(&c), &forged));
    }
}
