//! The polynomial-identity engine every basic block is built on.
//!
//! A block states its relation as constraint polynomials `C_k` over committed columns
//! `f_1 … f_m` (each a tensor's values on the subgroup H of size n) that must vanish on H:
//!
//! `C_k(X, f_1(X), f_1(ωX), …, f_m(X), f_m(ωX)) = 0` for every X ∈ H.
//!
//! The engine proves all of a block's constraints at once (the PLONK recipe (GWC19)) — or, in
//! [`Mode::Defer`], the constraints of every block of a model at once ([`prove_shared`]); a
//! standalone block proof is the shared proof of one part:
//!
//! 1. absorb the columns' commitments; draw α (and η, which combines several blocks' parts);
//! 2. prover: `t(X) = Σ_p η^p Σ_k α^k C_(p,k)(X) / Z_H(X)` (a polynomial iff every constraint
//!    vanishes on H); commit `T = [t(τ)]₁`; absorb T; draw ζ;
//! 3. prover: evaluations `f_j(ζ)` (and `f_j(ωζ)` where a constraint reads the next row) of
//!    every *distinct* column and `t(ζ)`, opened together by one GWC batch opening;
//! 4. verifier: `Σ_k α^k C_k(ζ, …) = t(ζ)·Z_H(ζ)` with the opened values, and the batch opening's
//!    pairing equations go to the proof's [`PairingBatch`].
//!
//! **Soundness.** If some `C_k` does not vanish on H, then `C(X) = Σ α^k C_k(X)` is not divisible
//! by `Z_H` except for at most K−1 values of α. Then for *any* committed t — of any degree the
//! prover can reach, which is the ceremony's full size D — `C(X) − t(X)·Z_H(X)` is a nonzero
//! polynomial of degree at most max(deg C, D + n), so it vanishes at the random ζ with
//! probability at most (D + n)/r < 2^-220. Binding of the KZG openings ties the values to the
//! commitments. **No degree bound is needed anywhere**: that is why every block is phrased as
//! identities on H.
//!
//! **Zero knowledge.** Each column is committed with a mask `r(X)·Z_H(X)` of at least two
//! coefficients per opening point plus one (see PROTOCOLS.md §3). The quotient is not masked and
//! need not be: t is the fixed polynomial `C(X)/Z_H(X)`, so `T` and `t(ζ)` are functions of the
//! columns' values at τ and ζ, which the masks make uniform; a simulator holding the trapdoor
//! samples those and computes T, t(ζ) and the witnesses exactly as in a real proof.

use crate::error::{Error, Result};
use crate::pcs::{self, BatchOpening, Commitment, CommittedPoly, PairingBatch, Query, VerifierKey};
use crate::srs::Srs;
use crate::transcript::Transcript;
use ark_bn254::Fr;
use ark_ff::{batch_inversion, FftField, Field, One, Zero};
use ark_poly::univariate::DensePolynomial;
use ark_poly::{DenseUVPolynomial, EvaluationDomain, Radix2EvaluationDomain};
use rayon::prelude::*;
use std::ops::{Add, AddAssign, Mul, MulAssign, Sub};

/// Where a constraint reads a column: at X (this row) or at ωX (the next row, cyclically).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rot {
    /// f(X).
    Cur,
    /// f(ωX).
    Next,
}

/// What a constraint computes with: field elements (the coset points, the verifier's ζ) or
/// truncated power series ([`Series`], the quotient's low coefficients). Constants enter on the
/// right (`v * c`, `v + c`).
pub trait Value:
    Copy
    + Send
    + Sync
    + From<Fr>
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Add<Fr, Output = Self>
    + Sub<Fr, Output = Self>
    + Mul<Fr, Output = Self>
    + AddAssign
    + MulAssign
{
}

impl Value for Fr {}
impl Value for Series {}

/// Coefficients a [`Series`] can keep: the most quotient coefficients the prover recovers
/// beyond its coset (see [`prove_views`]).
pub const SERIES_LEN: usize = 64;

/// A power series truncated after `len ≤ SERIES_LEN` coefficients: the ring `F[X]/(X^len)`.
/// Reduction mod `X^len` is a ring homomorphism, so a constraint evaluated on its columns' low
/// coefficients gives the low coefficients of `C(X)` exactly. Mixing lengths keeps the shorter
/// (a constant keeps them all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Series {
    c: [Fr; SERIES_LEN],
    len: usize,
}

impl Series {
    /// The first `len` coefficients of a polynomial given by its coefficients, with a scaled
    /// argument (`f(s·X)`: `a_i·s^i`).
    fn of(coeffs: &[Fr], s: Fr, len: usize) -> Self {
        let mut c = [Fr::zero(); SERIES_LEN];
        let len = len.min(SERIES_LEN);
        let mut p = Fr::one();
        for (o, a) in c[..len].iter_mut().zip(coeffs) {
            *o = *a * p;
            p *= s;
        }
        Series { c, len }
    }

    /// Coefficient i (0 past the kept ones).
    pub fn coeff(&self, i: usize) -> Fr {
        if i < self.len {
            self.c[i]
        } else {
            Fr::zero()
        }
    }
}

impl From<Fr> for Series {
    fn from(a: Fr) -> Self {
        let mut c = [Fr::zero(); SERIES_LEN];
        c[0] = a;
        Series { c, len: SERIES_LEN }
    }
}

impl Add for Series {
    type Output = Series;
    fn add(mut self, o: Series) -> Series {
        self += o;
        self
    }
}

impl AddAssign for Series {
    fn add_assign(&mut self, o: Series) {
        self.len = self.len.min(o.len);
        for (a, b) in self.c[..self.len].iter_mut().zip(o.c) {
            *a += b;
        }
    }
}

impl Sub for Series {
    type Output = Series;
    fn sub(mut self, o: Series) -> Series {
        self.len = self.len.min(o.len);
        for (a, b) in self.c[..self.len].iter_mut().zip(o.c) {
            *a -= b;
        }
        self
    }
}

impl Mul for Series {
    type Output = Series;
    fn mul(self, o: Series) -> Series {
        let len = self.len.min(o.len);
        let mut c = [Fr::zero(); SERIES_LEN];
        for (i, a) in self.c[..len].iter().enumerate() {
            if a.is_zero() {
                continue;
            }
            for (j, b) in o.c[..len - i].iter().enumerate() {
                c[i + j] += *a * b;
            }
        }
        Series { c, len }
    }
}

impl MulAssign for Series {
    fn mul_assign(&mut self, o: Series) {
        *self = *self * o;
    }
}

impl Add<Fr> for Series {
    type Output = Series;
    fn add(mut self, a: Fr) -> Series {
        self.c[0] += a;
        self
    }
}

impl Sub<Fr> for Series {
    type Output = Series;
    fn sub(mut self, a: Fr) -> Series {
        self.c[0] -= a;
        self
    }
}

impl Mul<Fr> for Series {
    type Output = Series;
    fn mul(mut self, a: Fr) -> Series {
        for v in &mut self.c[..self.len] {
            *v *= a;
        }
        self
    }
}

/// The values a constraint sees at one point x: every column at x (and at ωx), and the public
/// polynomials of H at x — or, as [`Series`], the same polynomials' low coefficients.
pub struct Row<'a, V = Fr> {
    /// The point.
    pub x: V,
    cur: &'a [V],
    next: &'a [V],
    /// `L_0(x)`: 1 on the first row of H, 0 on the others.
    pub l_first: V,
    /// `L_(n−1)(x)`: 1 on the last row of H, 0 on the others.
    pub l_last: V,
    /// `x − ω^(n−1)`: 0 on the last row of H only.
    pub not_last: V,
}

impl<V: Copy> Row<'_, V> {
    /// Column `j` at this row (`Cur`) or the next (`Next`).
    pub fn col(&self, j: usize, rot: Rot) -> V {
        match rot {
            Rot::Cur => self.cur[j],
            Rot::Next => self.next[j],
        }
    }
}

/// A block's relation as constraints that vanish on H (see the module docs).
pub trait Constraints: Sync {
    /// Number of columns.
    fn columns(&self) -> usize;
    /// Whether a constraint reads column `j` at the next row (then it is also opened at ω^kζ,
    /// k = [`Constraints::rotation`]).
    fn reads_next(&self, _j: usize) -> bool {
        false
    }
    /// How far the "next row" is: `Rot::Next` reads `f(ω^k X)` for this k (1 for every block;
    /// a tiling check reads one tile ahead). All parts of one shared proof use the same k.
    fn rotation(&self) -> usize {
        1
    }
    /// Largest total degree of a constraint in the columns and X (e.g. 2 for `a·b − c`, 2 for
    /// `(X − ω^(n−1))·(z(ωX) − z(X))`).
    fn degree(&self) -> usize;
    /// `Σ_k α^k C_k` at `row`, with ring operations only (so it is also a polynomial identity
    /// over [`Series`]).
    fn combine<V: Value>(&self, row: &Row<'_, V>, alpha: Fr) -> V;
}

/// [`Constraints`] with `combine` at the two value types the engine uses: object safe, so parts
/// of different blocks share one list.
trait Part: Sync {
    fn columns(&self) -> usize;
    fn reads_next(&self, j: usize) -> bool;
    fn rotation(&self) -> usize;
    fn degree(&self) -> usize;
    fn combine_at(&self, row: &Row<'_, Fr>, alpha: Fr) -> Fr;
    fn combine_series(&self, row: &Row<'_, Series>, alpha: Fr) -> Series;
}

impl<C: Constraints> Part for C {
    fn columns(&self) -> usize {
        Constraints::columns(self)
    }
    fn reads_next(&self, j: usize) -> bool {
        Constraints::reads_next(self, j)
    }
    fn rotation(&self) -> usize {
        Constraints::rotation(self)
    }
    fn degree(&self) -> usize {
        Constraints::degree(self)
    }
    fn combine_at(&self, row: &Row<'_, Fr>, alpha: Fr) -> Fr {
        self.combine(row, alpha)
    }
    fn combine_series(&self, row: &Row<'_, Series>, alpha: Fr) -> Series {
        self.combine(row, alpha)
    }
}

/// A block's identity claim kept for a proof shared by several blocks (the model prover): the
/// constraints, the columns (owned copies) and their commitments.
pub struct ProverPart {
    constraints: Box<dyn Part + Send + Sync>,
    columns: Vec<CommittedPoly>,
    commitments: Vec<Commitment>,
    log_n: u32,
}

/// The verifier's twin of [`ProverPart`].
pub struct VerifierPart {
    constraints: Box<dyn Part + Send>,
    commitments: Vec<Commitment>,
    log_n: u32,
}

/// Prover: prove a block's identity now (its own α, quotient, ζ and opening), or defer it to
/// one proof shared with the other blocks of a model ([`prove_shared`]).
pub enum Mode<'a> {
    /// A standalone identity proof.
    Now,
    /// Absorb the columns now; prove later together with the other parts.
    Defer(&'a mut Vec<ProverPart>),
}

impl Mode<'_> {
    /// Reborrows (to pass one mode to several sub-blocks in turn).
    pub fn reborrow(&mut self) -> Mode<'_> {
        match self {
            Mode::Now => Mode::Now,
            Mode::Defer(v) => Mode::Defer(v),
        }
    }
}

/// Verifier: check a block's identity now, or defer it to the shared check ([`verify_shared`]).
pub enum Check<'a> {
    /// Check the block's own identity proof.
    Now,
    /// Absorb the columns now; check later together with the other parts.
    Defer(&'a mut Vec<VerifierPart>),
}

impl Check<'_> {
    /// Reborrows (to pass one mode to several sub-blocks in turn).
    pub fn reborrow(&mut self) -> Check<'_> {
        match self {
            Check::Now => Check::Now,
            Check::Defer(v) => Check::Defer(v),
        }
    }
}

/// Proof that a block's constraints hold on H: the quotient commitment and the batch opening of
/// every column (at ζ, and at ωζ where read) and of the quotient at ζ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityProof {
    /// `[t(τ)]₁`.
    pub quotient: Commitment,
    /// Values and GWC witnesses.
    pub opening: BatchOpening,
}

impl IdentityProof {
    /// The placeholder a block proof carries when its identity was deferred to a shared proof.
    pub fn deferred() -> Self {
        IdentityProof {
            quotient: Commitment(ark_bn254::G1Affine::default()),
            opening: BatchOpening {
                values: Vec::new(),
                witnesses: Vec::new(),
            },
        }
    }

    /// Every proof with one element changed (the quotient, one opened value, one witness) or
    /// one value missing: what soundness tests feed the verifier.
    pub fn tampered(&self) -> Vec<IdentityProof> {
        use ark_ec::{AffineRepr, CurveGroup};
        let g = ark_bn254::G1Affine::generator();
        let mut out = Vec::new();
        let mut q = self.clone();
        q.quotient = Commitment((q.quotient.0 + g).into_affine());
        out.push(q);
        for i in 0..self.opening.values.len() {
            let mut q = self.clone();
            q.opening.values[i] += Fr::one();
            out.push(q);
        }
        for i in 0..self.opening.witnesses.len() {
            let mut q = self.clone();
            q.opening.witnesses[i] = (q.opening.witnesses[i] + g).into_affine();
            out.push(q);
        }
        let mut q = self.clone();
        q.opening.values.pop();
        out.push(q);
        out
    }

    /// Group elements and field elements in the proof.
    pub fn size(&self) -> (usize, usize) {
        (1 + self.opening.witnesses.len(), self.opening.values.len())
    }
}

fn domain(n: usize) -> Result<Radix2EvaluationDomain<Fr>> {
    Radix2EvaluationDomain::new(n)
        .ok_or_else(|| Error::InvalidArgument(format!("no FFT domain of size {n}")))
}

/// Public polynomials of H at x: (L_0(x), L_(n−1)(x), x − ω^(n−1), Z_H(x)).
fn public_at(n: usize, omega: Fr, x: Fr) -> (Fr, Fr, Fr, Fr) {
    let zh = x.pow([n as u64]) - Fr::one();
    let w_last = omega.pow([(n - 1) as u64]);
    let n_f = Fr::from(n as u64);
    let (d0, d1) = (n_f * (x - Fr::one()), n_f * (x - w_last));
    let l_first = if d0.is_zero() { Fr::one() } else { zh / d0 };
    let l_last = if d1.is_zero() {
        Fr::one()
    } else {
        w_last * zh / d1
    };
    (l_first, l_last, x - w_last, zh)
}

/// The public polynomials of H on every point of the coset, with batched inversions (one field
/// inversion per point would dominate a small block's proving time).
struct PublicOnCoset {
    l_first: Vec<Fr>,
    l_last: Vec<Fr>,
    not_last: Vec<Fr>,
    /// `1/Z_H` at the first `step` points (x^n repeats with period big/n = step).
    zh_inv: Vec<Fr>,
}

impl PublicOnCoset {
    fn new(points: &[Fr], n: usize, omega: Fr, step: usize) -> Self {
        let w_last = omega.pow([(n - 1) as u64]);
        let n_f = Fr::from(n as u64);
        let zh: Vec<Fr> = points[..step]
            .iter()
            .map(|x| x.pow([n as u64]) - Fr::one())
            .collect();
        let mut zh_inv = zh.clone();
        batch_inversion(&mut zh_inv);
        let mut d_first: Vec<Fr> = points.iter().map(|x| n_f * (*x - Fr::one())).collect();
        let mut d_last: Vec<Fr> = points.iter().map(|x| n_f * (*x - w_last)).collect();
        batch_inversion(&mut d_first);
        batch_inversion(&mut d_last);
        let l_first = (0..points.len())
            .map(|i| zh[i % step] * d_first[i])
            .collect();
        let l_last = (0..points.len())
            .map(|i| w_last * zh[i % step] * d_last[i])
            .collect();
        let not_last = points.iter().map(|x| *x - w_last).collect();
        PublicOnCoset {
            l_first,
            l_last,
            not_last,
            zh_inv,
        }
    }
}

/// Prover: proves that `constraints` hold on H of size `2^log_n` for the committed columns.
///
/// Returns an error (and no proof) if a constraint does not vanish on H: an honest prover never
/// proves a false statement.
pub fn prove<C: Constraints>(
    srs: &Srs,
    constraints: &C,
    columns: &[&CommittedPoly],
    commitments: &[Commitment],
    transcript: &mut Transcript,
) -> Result<IdentityProof> {
    let log_n = check_columns(constraints, columns, commitments)?;
    absorb_columns(transcript, log_n, commitments);
    prove_views(
        srs,
        &[(constraints as &dyn Part, columns.to_vec(), commitments)],
        log_n,
        transcript,
    )
}

/// The domain of a block's columns, after checking there is one column per commitment and one
/// domain for all.
fn check_columns(
    constraints: &dyn Part,
    columns: &[&CommittedPoly],
    commitments: &[Commitment],
) -> Result<u32> {
    let m = constraints.columns();
    if columns.len() != m || commitments.len() != m {
        return Err(Error::InvalidArgument(format!(
            "{m} columns expected, got {} polynomials and {} commitments",
            columns.len(),
            commitments.len()
        )));
    }
    let log_n = columns.iter().map(|c| c.log_n).max().unwrap_or(0);
    if columns.iter().any(|c| c.log_n != log_n) {
        return Err(Error::InvalidArgument(
            "all columns of a block must live on the same domain".into(),
        ));
    }
    Ok(log_n)
}

/// [`prove`], or (in [`Mode::Defer`]) only the first step — absorbing the columns — with the
/// claim kept for [`prove_shared`]; the block then carries [`IdentityProof::deferred`].
pub fn prove_in<C: Constraints + Clone + Send + Sync + 'static>(
    srs: &Srs,
    constraints: &C,
    columns: &[&CommittedPoly],
    commitments: &[Commitment],
    transcript: &mut Transcript,
    mode: Mode<'_>,
) -> Result<IdentityProof> {
    match mode {
        Mode::Now => prove(srs, constraints, columns, commitments, transcript),
        Mode::Defer(parts) => {
            let log_n = check_columns(constraints, columns, commitments)?;
            absorb_columns(transcript, log_n, commitments);
            parts.push(ProverPart {
                constraints: Box::new(constraints.clone()),
                columns: columns.iter().map(|c| (*c).clone()).collect(),
                commitments: commitments.to_vec(),
                log_n,
            });
            Ok(IdentityProof::deferred())
        }
    }
}

/// [`verify`], or (in [`Check::Defer`]) only absorbing the columns, the claim kept for
/// [`verify_shared`].
#[allow(clippy::too_many_arguments)] // the standalone signature plus the identity mode
pub fn verify_in<C: Constraints + Clone + Send + 'static>(
    vk: &VerifierKey,
    constraints: &C,
    log_n: u32,
    commitments: &[Commitment],
    proof: &IdentityProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
    check: Check<'_>,
) -> Result<()> {
    match check {
        Check::Now => verify(
            vk,
            constraints,
            log_n,
            commitments,
            proof,
            transcript,
            batch,
        ),
        Check::Defer(parts) => {
            if commitments.len() != constraints.columns() {
                return Err(Error::Verification(format!(
                    "{} column commitments expected, got {}",
                    constraints.columns(),
                    commitments.len()
                )));
            }
            absorb_columns(transcript, log_n, commitments);
            parts.push(VerifierPart {
                constraints: Box::new(constraints.clone()),
                commitments: commitments.to_vec(),
                log_n,
            });
            Ok(())
        }
    }
}

/// The distinct commitments of all parts (first appearance order), each part's column → index
/// map, and which distinct columns some part reads at the next row. Shared by prover and verifier.
fn shared_columns(
    parts: &[(&dyn Part, &[Commitment])],
) -> (Vec<Commitment>, Vec<Vec<usize>>, Vec<bool>) {
    let mut unique: Vec<Commitment> = Vec::new();
    let mut index: std::collections::HashMap<Commitment, usize> = std::collections::HashMap::new();
    let mut maps = Vec::with_capacity(parts.len());
    let mut next: Vec<bool> = Vec::new();
    for (c, commitments) in parts {
        let mut map = Vec::with_capacity(commitments.len());
        for (j, cm) in commitments.iter().enumerate() {
            let u = *index.entry(*cm).or_insert_with(|| {
                unique.push(*cm);
                next.push(false);
                unique.len() - 1
            });
            next[u] |= c.reads_next(j);
            map.push(u);
        }
        maps.push(map);
    }
    (unique, maps, next)
}

/// The one rotation every part of a shared proof reads its next rows at (k = 1, or 1 < k < n).
fn shared_rotation(parts: &[(&dyn Part, &[Commitment])], n: usize) -> Result<usize> {
    let k = parts.first().map_or(1, |(c, _)| c.rotation());
    if parts.iter().any(|(c, _)| c.rotation() != k) || k == 0 || (k > 1 && k >= n) {
        return Err(Error::InvalidArgument(format!(
            "identity parts must share one rotation in 1..{n}"
        )));
    }
    Ok(k)
}

/// The queries of a shared opening: every distinct column at ζ, those read at the next row at
/// `shift·ζ` (`shift = ω^k`), the quotient (index `unique`) at ζ.
fn shared_queries(unique: usize, next: &[bool], zeta: Fr, shift: Fr) -> Vec<Query> {
    let mut q: Vec<Query> = (0..unique)
        .map(|poly| Query { poly, point: zeta })
        .collect();
    q.extend((0..unique).filter(|&j| next[j]).map(|poly| Query {
        poly,
        point: shift * zeta,
    }));
    q.push(Query {
        poly: unique,
        point: zeta,
    });
    q
}

/// Proves every deferred part with one α, one η (combining the parts), one quotient, one ζ and
/// one GWC opening of every distinct column. All parts must live on one domain.
///
/// `t(X) = Σ_p η^p·C_p(X) / Z_H(X)` where `C_p = Σ_k α^k C_(p,k)`: if some part's constraints do
/// not vanish on H, neither does the η-combination except for < P values of η; the rest of the
/// argument is the single-block one (module docs).
pub fn prove_shared(
    srs: &Srs,
    parts: &[ProverPart],
    transcript: &mut Transcript,
) -> Result<IdentityProof> {
    let log_n = parts.first().map(|p| p.log_n).unwrap_or(1);
    if parts.iter().any(|p| p.log_n != log_n) {
        return Err(Error::InvalidArgument(
            "shared identity parts must live on one domain".into(),
        ));
    }
    let views: Vec<ProverView<'_>> = parts
        .iter()
        .map(|p| {
            (
                p.constraints.as_ref() as &dyn Part,
                p.columns.iter().collect(),
                p.commitments.as_slice(),
            )
        })
        .collect();
    prove_views(srs, &views, log_n, transcript)
}

/// A part as the prover reads it: constraints, column polynomials, their commitments.
type ProverView<'a> = (&'a dyn Part, Vec<&'a CommittedPoly>, &'a [Commitment]);

/// Steps 1–3 of the engine for one or more parts on one domain (the columns already absorbed).
fn prove_views(
    srs: &Srs,
    parts: &[ProverView<'_>],
    log_n: u32,
    transcript: &mut Transcript,
) -> Result<IdentityProof> {
    let n = 1usize << log_n;
    let h = domain(n)?;
    let omega = h.group_gen();
    let views: Vec<(&dyn Part, &[Commitment])> = parts.iter().map(|(c, _, cm)| (*c, *cm)).collect();
    let (unique, maps, next) = shared_columns(&views);
    let rotation = shared_rotation(&views, n)?;
    transcript.append_u64(b"identity/shared-parts", parts.len() as u64);
    transcript.append_u64(b"identity/rotation", rotation as u64);
    let alpha = transcript.challenge_scalar(b"identity/alpha");
    let eta = transcript.challenge_scalar(b"identity/eta");
    let max_len = parts
        .iter()
        .flat_map(|(_, cols, _)| cols.iter().map(|c| c.poly.coeffs.len()))
        .max()
        .unwrap_or(1);
    let degree = parts.iter().map(|(c, _, _)| c.degree()).max().unwrap_or(1);
    // deg C ≤ degree·(max_len − 1), so deg t ≤ degree·(max_len − 1) − n: t is computed
    // pointwise on a coset, and the `wrap` coefficients that do not fit on it are recovered
    // from C's low coefficients (see `recover_wrapped`).
    let t_len = (degree * max_len.saturating_sub(1)).saturating_sub(n) + 1;
    let big = coset_size(n, max_len, t_len);
    let wrap = t_len.saturating_sub(big);
    let coset = domain(big)?
        .get_coset(Fr::GENERATOR)
        .ok_or_else(|| Error::InvalidArgument("no coset domain".into()))?;
    let step = big / n;
    let points: Vec<Fr> = coset.elements().collect();
    let publics = PublicOnCoset::new(&points, n, omega, step);
    // Σ_p η^p C_p on the coset, one part at a time (only its columns' evaluations in memory).
    let mut combined = vec![Fr::zero(); big];
    let mut eta_p = Fr::one();
    // A column read by several parts is evaluated on the coset once and kept until its last use.
    let mut uses = vec![0usize; unique.len()];
    for map in &maps {
        for &u in map {
            uses[u] += 1;
        }
    }
    let mut cache: std::collections::HashMap<usize, std::sync::Arc<Vec<Fr>>> =
        std::collections::HashMap::new();
    let profile = std::env::var_os("ZKTORCH_PROFILE").is_some();
    let started = std::time::Instant::now();
    let (mut fft_time, mut combine_time) = (0f64, 0f64);
    for ((constraints, columns, _), map) in parts.iter().zip(&maps) {
        let constraints: &dyn Part = *constraints;
        let m = constraints.columns();
        let lap = std::time::Instant::now();
        let evals: Vec<std::sync::Arc<Vec<Fr>>> = columns
            .iter()
            .zip(map)
            .map(|(c, &u)| {
                uses[u] -= 1;
                let e = match cache.get(&u) {
                    Some(e) => e.clone(),
                    None => std::sync::Arc::new(coset.fft(&c.poly.coeffs)),
                };
                if uses[u] == 0 {
                    cache.remove(&u);
                } else {
                    cache.insert(u, e.clone());
                }
                e
            })
            .collect();
        fft_time += lap.elapsed().as_secs_f64();
        let lap = std::time::Instant::now();
        let chunk = big.div_ceil(rayon::current_num_threads().max(1) * 4).max(1);
        combined
            .par_chunks_mut(chunk)
            .enumerate()
            .for_each(|(c, out)| {
                let mut cur = vec![Fr::zero(); m];
                let mut nxt = vec![Fr::zero(); m];
                for (k, slot) in out.iter_mut().enumerate() {
                    let i = c * chunk + k;
                    for j in 0..m {
                        cur[j] = evals[j][i];
                        nxt[j] = evals[j][(i + step * rotation) % big];
                    }
                    let row = Row {
                        x: points[i],
                        cur: &cur,
                        next: &nxt,
                        l_first: publics.l_first[i],
                        l_last: publics.l_last[i],
                        not_last: publics.not_last[i],
                    };
                    *slot += eta_p * constraints.combine_at(&row, alpha);
                }
            });
        combine_time += lap.elapsed().as_secs_f64();
        eta_p *= eta;
    }
    let lap = std::time::Instant::now();
    for (i, c) in combined.iter_mut().enumerate() {
        *c *= publics.zh_inv[i % step];
    }
    let mut t = coset.ifft(&combined);
    if wrap > 0 {
        let low = low_coefficients(parts, wrap, n, omega, rotation, alpha, eta)?;
        recover_wrapped(&mut t, &low, wrap, coset.coset_offset_pow_size())?;
    }
    while t.last().is_some_and(|c| c.is_zero()) {
        t.pop();
    }
    if t.len() > t_len {
        return Err(Error::InvalidArgument(
            "a block's relation does not hold: a constraint is nonzero on the domain".into(),
        ));
    }
    let t = CommittedPoly {
        poly: DensePolynomial::from_coefficients_vec(t),
        log_n,
        hiding: 0,
    };
    let quotient = pcs::commit_poly(srs, &t.poly)?;
    let quotient_time = lap.elapsed().as_secs_f64();
    let lap = std::time::Instant::now();
    transcript.append_g1(b"identity/quotient", &quotient.0);
    let zeta = transcript.challenge_scalar(b"identity/zeta");
    // The distinct columns' polynomials: the first part column with each commitment.
    let mut polys: Vec<Option<&CommittedPoly>> = vec![None; unique.len()];
    for ((_, columns, _), map) in parts.iter().zip(&maps) {
        for (col, &u) in columns.iter().zip(map) {
            polys[u].get_or_insert(col);
        }
    }
    let mut polys: Vec<&CommittedPoly> = polys
        .into_iter()
        .map(|p| p.ok_or_else(|| Error::InvalidArgument("column without polynomial".into())))
        .collect::<Result<_>>()?;
    polys.push(&t);
    let mut all = unique.clone();
    all.push(quotient);
    let qs = shared_queries(unique.len(), &next, zeta, omega.pow([rotation as u64]));
    let opening = pcs::batch_open(srs, &polys, &all, &qs, transcript)?;
    // The honest prover refuses what the verifier would reject: t is interpolated on the
    // smallest coset holding a true quotient, so a C not divisible by Z_H can still give a t of
    // low degree; C − t·Z_H is then a nonzero polynomial and fails at ζ (the verifier's check).
    let (total, t_zh) = combination_at(&views, &maps, &next, &opening.values, n, zeta, alpha, eta)?;
    if total != t_zh {
        return Err(Error::InvalidArgument(
            "a block's relation does not hold: a constraint is nonzero on the domain".into(),
        ));
    }
    if profile {
        eprintln!(
            "profile:   identity 2^{log_n}, coset {big}, {} columns, degree {degree}: coset FFTs {:.0} ms, \
             constraints {:.0} ms, quotient {:.0} ms (deg {}), opening {:.0} ms; total {:.0} ms",
            unique.len(),
            fft_time * 1e3,
            combine_time * 1e3,
            quotient_time * 1e3,
            t.poly.coeffs.len(),
            lap.elapsed().as_secs_f64() * 1e3,
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(IdentityProof { quotient, opening })
}

/// The coset the quotient is computed on: the smallest power of two that is at least 2n,
/// holds every column (so their evaluations are exact) and leaves at most
/// `min(SERIES_LEN, n)` of t's `t_len` coefficients to [`recover_wrapped`]. For the usual
/// degree-3 constraints over masked columns that is 2n, where a coset holding all of t would
/// be 4n.
fn coset_size(n: usize, max_len: usize, t_len: usize) -> usize {
    let mut big = (2 * n).max(max_len.next_power_of_two());
    while t_len > big + SERIES_LEN.min(n) {
        big *= 2;
    }
    big
}

/// `C(X) mod X^len` for `C = Σ_p η^p C_p`: every part's constraints evaluated over
/// [`Series`] on its columns' low coefficients (`f(ω^k X)` has coefficients `f_i·ω^(k·i)`) and
/// the public polynomials' (`L_0 = Σ_(i<n) X^i / n`, `L_(n−1) = Σ_(i<n) ω^i X^i / n`).
fn low_coefficients(
    parts: &[ProverView<'_>],
    len: usize,
    n: usize,
    omega: Fr,
    rotation: usize,
    alpha: Fr,
    eta: Fr,
) -> Result<Series> {
    let n_inv = Fr::from(n as u64)
        .inverse()
        .ok_or_else(|| Error::InvalidArgument("empty domain".into()))?;
    let ones = vec![n_inv; n.min(SERIES_LEN)];
    let x = Series::of(&[Fr::zero(), Fr::one()], Fr::one(), len);
    let shift = omega.pow([rotation as u64]);
    let mut total = Series::from(Fr::zero());
    let mut eta_p = Fr::one();
    for (constraints, columns, _) in parts {
        let cur: Vec<Series> = columns
            .iter()
            .map(|c| Series::of(&c.poly.coeffs, Fr::one(), len))
            .collect();
        let next: Vec<Series> = columns
            .iter()
            .map(|c| Series::of(&c.poly.coeffs, shift, len))
            .collect();
        let row = Row {
            x,
            cur: &cur,
            next: &next,
            l_first: Series::of(&ones, Fr::one(), len),
            l_last: Series::of(&ones, omega, len),
            not_last: x - omega.pow([(n - 1) as u64]),
        };
        total += constraints.combine_series(&row, alpha) * eta_p;
        eta_p *= eta;
    }
    Ok(total)
}

/// Completes t from `u`, its interpolation on the coset (length `big`), when t has `wrap` more
/// coefficients than the coset holds. On the coset `x^big = c`, so
/// `u_i = t_i + c·t_(big+i)` for i < wrap; and `C = t·(X^n − 1)` gives `t_i = −C_i` for
/// i < wrap ≤ n, read from C's low coefficients. Then `t_(big+i) = (u_i − t_i)/c`.
fn recover_wrapped(u: &mut Vec<Fr>, low: &Series, wrap: usize, c: Fr) -> Result<()> {
    let c_inv = c
        .inverse()
        .ok_or_else(|| Error::InvalidArgument("a coset offset of zero".into()))?;
    let high: Vec<Fr> = (0..wrap)
        .map(|i| {
            let t_i = -low.coeff(i);
            let t_high = (u[i] - t_i) * c_inv;
            u[i] = t_i;
            t_high
        })
        .collect();
    u.extend(high);
    Ok(())
}

/// One opened value of a proof as a verifier sees it: `commitment` opens to `value` at `point`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The commitment.
    pub commitment: Commitment,
    /// The point.
    pub point: Fr,
    /// The claimed value.
    pub value: Fr,
}

/// Verifier twin of [`prove_shared`]: `Σ_p η^p Σ_k α^k C_(p,k)(ζ) = t(ζ)·Z_H(ζ)` on the opened
/// values, and the opening's pairing equations into `batch`. Returns every opened claim (what
/// the proof reveals, for audits of zero knowledge).
pub fn verify_shared(
    vk: &VerifierKey,
    parts: &[VerifierPart],
    proof: &IdentityProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
) -> Result<Vec<Claim>> {
    let log_n = parts.first().map(|p| p.log_n).unwrap_or(1);
    if parts.iter().any(|p| p.log_n != log_n) {
        return Err(Error::Verification(
            "shared identity parts on different domains".into(),
        ));
    }
    let views: Vec<(&dyn Part, &[Commitment])> = parts
        .iter()
        .map(|p| {
            (
                p.constraints.as_ref() as &dyn Part,
                p.commitments.as_slice(),
            )
        })
        .collect();
    verify_views(vk, &views, log_n, proof, transcript, batch)
}

/// The verifier's steps 1–4 for one or more parts on one domain (the columns already absorbed).
fn verify_views(
    vk: &VerifierKey,
    views: &[(&dyn Part, &[Commitment])],
    log_n: u32,
    proof: &IdentityProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
) -> Result<Vec<Claim>> {
    if log_n > crate::srs::MAX_POWER {
        return Err(Error::Verification("domain too large".into()));
    }
    let parts = views;
    let n = 1usize << log_n;
    let omega = domain(n)?.group_gen();
    let (unique, maps, next) = shared_columns(views);
    let rotation = shared_rotation(views, n).map_err(|e| Error::Verification(e.to_string()))?;
    transcript.append_u64(b"identity/shared-parts", parts.len() as u64);
    transcript.append_u64(b"identity/rotation", rotation as u64);
    let alpha = transcript.challenge_scalar(b"identity/alpha");
    let eta = transcript.challenge_scalar(b"identity/eta");
    transcript.append_g1(b"identity/quotient", &proof.quotient.0);
    let zeta = transcript.challenge_scalar(b"identity/zeta");
    let qs = shared_queries(unique.len(), &next, zeta, omega.pow([rotation as u64]));
    let values = &proof.opening.values;
    if values.len() != qs.len() {
        return Err(Error::Verification(format!(
            "{} opened values expected, got {}",
            qs.len(),
            values.len()
        )));
    }
    let (total, t_zh) = combination_at(parts, &maps, &next, values, n, zeta, alpha, eta)
        .map_err(|e| Error::Verification(e.to_string()))?;
    // Σ_p η^p C_p(ζ) = t(ζ)·Z_H(ζ)
    if total != t_zh {
        return Err(Error::Verification(
            "shared constraint identity fails at ζ".into(),
        ));
    }
    let mut all = unique;
    all.push(proof.quotient);
    pcs::batch_verify(vk, &all, &qs, &proof.opening, transcript, batch)?;
    Ok(qs
        .iter()
        .zip(values)
        .map(|(q, v)| Claim {
            commitment: all[q.poly],
            point: q.point,
            value: *v,
        })
        .collect())
}

/// `(Σ_p η^p C_p(ζ), t(ζ)·Z_H(ζ))` from the opened values (every distinct column at ζ, those
/// read at the next row at ω^kζ, then t at ζ — [`shared_queries`] order): what the verifier
/// compares, and what the honest prover checks before it hands out a proof.
#[allow(clippy::too_many_arguments)] // the pieces of one shared opening
fn combination_at(
    parts: &[(&dyn Part, &[Commitment])],
    maps: &[Vec<usize>],
    next: &[bool],
    values: &[Fr],
    n: usize,
    zeta: Fr,
    alpha: Fr,
    eta: Fr,
) -> Result<(Fr, Fr)> {
    let omega = domain(n)?.group_gen();
    let (l_first, l_last, not_last, zh) = public_at(n, omega, zeta);
    if zh.is_zero() {
        return Err(Error::InvalidArgument(
            "ζ fell in the domain; proof rejected".into(),
        ));
    }
    let unique = next.len();
    // Where each distinct column's value at ωζ sits.
    let mut next_at = vec![0usize; unique];
    let mut k = unique;
    for (u, slot) in next_at.iter_mut().enumerate() {
        if next[u] {
            *slot = k;
            k += 1;
        }
    }
    let t_zeta = *values
        .get(k)
        .ok_or_else(|| Error::InvalidArgument("too few opened values".into()))?;
    let mut total = Fr::zero();
    let mut eta_p = Fr::one();
    for ((constraints, _), map) in parts.iter().zip(maps) {
        let cur: Vec<Fr> = map.iter().map(|&u| values[u]).collect();
        let nxt: Vec<Fr> = map
            .iter()
            .map(|&u| {
                if next[u] {
                    values[next_at[u]]
                } else {
                    Fr::zero()
                }
            })
            .collect();
        let row = Row {
            x: zeta,
            cur: &cur,
            next: &nxt,
            l_first,
            l_last,
            not_last,
        };
        total += eta_p * constraints.combine_at(&row, alpha);
        eta_p *= eta;
    }
    Ok((total, t_zeta * zh))
}

fn absorb_columns(transcript: &mut Transcript, log_n: u32, commitments: &[Commitment]) {
    transcript.append_u64(b"identity/log_n", u64::from(log_n));
    let points: Vec<_> = commitments.iter().map(|c| c.0).collect();
    transcript.append_g1s(b"identity/columns", &points);
}

/// Verifier twin of [`prove`]: replays the transcript, checks
/// `Σ_k α^k C_k(ζ) = t(ζ)·Z_H(ζ)` on the opened values, and adds the opening's pairing equations
/// to `batch`. Never panics; a malformed proof is an `Error::Verification`.
pub fn verify<C: Constraints>(
    vk: &VerifierKey,
    constraints: &C,
    log_n: u32,
    commitments: &[Commitment],
    proof: &IdentityProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
) -> Result<()> {
    let m = constraints.columns();
    if commitments.len() != m {
        return Err(Error::Verification(format!(
            "{m} column commitments expected, got {}",
            commitments.len()
        )));
    }
    absorb_columns(transcript, log_n, commitments);
    verify_views(
        vk,
        &[(constraints as &dyn Part, commitments)],
        log_n,
        proof,
        transcript,
        batch,
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_poly::Polynomial;
    use ark_std::UniformRand;

    /// `x·f·g(ω²X) + L_0·f − L_(n−1)·(X − ω^(n−1))·g`: every public polynomial, a rotation and
    /// degree 3.
    #[derive(Clone)]
    struct Probe;

    impl Constraints for Probe {
        fn columns(&self) -> usize {
            2
        }
        fn reads_next(&self, j: usize) -> bool {
            j == 1
        }
        fn rotation(&self) -> usize {
            2
        }
        fn degree(&self) -> usize {
            3
        }
        fn combine<V: Value>(&self, row: &Row<'_, V>, _alpha: Fr) -> V {
            let (f, g) = (row.col(0, Rot::Cur), row.col(1, Rot::Cur));
            row.x * f * row.col(1, Rot::Next) + row.l_first * f - row.l_last * row.not_last * g
        }
    }

    #[test]
    fn low_coefficients_are_those_of_the_constraint_polynomial() {
        let mut rng = ark_std::test_rng();
        let n = 8;
        let h = domain(n).unwrap();
        let omega = h.group_gen();
        let mut random = |len: usize| CommittedPoly {
            poly: DensePolynomial::rand(len - 1, &mut rng),
            log_n: 3,
            hiding: 0,
        };
        // Longer than the series, so truncation is exercised (deg C = 79).
        let (f, g) = (random(40), random(40));
        let lagrange = |i: usize| {
            let mut e = vec![Fr::zero(); n];
            e[i] = Fr::one();
            DensePolynomial::from_coefficients_vec(h.ifft(&e))
        };
        let x = DensePolynomial::from_coefficients_vec(vec![Fr::zero(), Fr::one()]);
        let w2 = omega.square();
        let g_next = DensePolynomial::from_coefficients_vec(
            g.poly
                .coeffs
                .iter()
                .scan(Fr::one(), |p, c| {
                    let v = *c * *p;
                    *p *= w2;
                    Some(v)
                })
                .collect(),
        );
        let not_last = DensePolynomial::from_coefficients_vec(vec![-omega.pow([7]), Fr::one()]);
        let c = &(&(&x * &f.poly) * &g_next) + &(&lagrange(0) * &f.poly)
            - &(&(&lagrange(n - 1) * &not_last) * &g.poly);
        let views: Vec<ProverView<'_>> = vec![(&Probe as &dyn Part, vec![&f, &g], &[])];
        let low = low_coefficients(&views, SERIES_LEN, n, omega, 2, Fr::one(), Fr::one()).unwrap();
        assert!(c.coeffs.len() > SERIES_LEN);
        let got: Vec<Fr> = (0..SERIES_LEN).map(|i| low.coeff(i)).collect();
        assert_eq!(&got[..], &c.coeffs[..SERIES_LEN]);
        // A shorter series keeps only its own coefficients.
        let short = low_coefficients(&views, 10, n, omega, 2, Fr::one(), Fr::one()).unwrap();
        let got: Vec<Fr> = (0..12).map(|i| short.coeff(i)).collect();
        assert_eq!(&got[..10], &c.coeffs[..10]);
        assert_eq!(&got[10..], &[Fr::zero(); 2]);
        // And a point check of the Fr path against the same polynomial.
        let z = Fr::rand(&mut rng);
        let (l0, ll, nl, _) = public_at(n, omega, z);
        let (cur, next) = (
            [f.poly.evaluate(&z), g.poly.evaluate(&z)],
            [Fr::zero(), g.poly.evaluate(&(w2 * z))],
        );
        let row = Row {
            x: z,
            cur: &cur,
            next: &next,
            l_first: l0,
            l_last: ll,
            not_last: nl,
        };
        assert_eq!(Probe.combine(&row, Fr::one()), c.evaluate(&z));
    }

    #[test]
    fn a_degree_three_quotient_fits_on_the_double_coset() {
        // Masked columns (n + 4 coefficients) under degree 3: t has 2n + 10 coefficients, 10 of
        // them recovered from C's low coefficients instead of a 4n coset.
        let n = 1 << 10;
        let t_len = 3 * (n + 3) - n + 1;
        assert_eq!(coset_size(n, n + 4, t_len), 2 * n);
        assert_eq!(coset_size(n, n + 4, 2 * n + SERIES_LEN + 1), 4 * n);
        // Tiny domains never wrap more than n coefficients.
        assert_eq!(coset_size(4, 7, 3 * 6 - 4 + 1), 16);
    }

    #[test]
    fn public_polynomials_on_the_domain() {
        let n = 8;
        let h = domain(n).unwrap();
        let omega = h.group_gen();
        for (i, x) in h.elements().enumerate() {
            let (l0, ll, nl, zh) = public_at(n, omega, x);
            assert_eq!(l0, Fr::from((i == 0) as u64));
            assert_eq!(ll, Fr::from((i == n - 1) as u64));
            assert_eq!(nl.is_zero(), i == n - 1);
            assert!(zh.is_zero());
        }
    }
}
