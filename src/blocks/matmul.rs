//! Matrix product with a constant (committed, preprocessed) matrix: `Y = X·W`.
//!
//! X is `b × m` (the activations, a batch or the output pixels of a convolution, row-major), W is
//! `m × n` (the weights, fixed by the model), Y is `b × n`. The layer is **one instance**
//! whatever b is: rows are combined by powers of a challenge.
//!
//! **Setup** (once per layer, cached): on the domain H of size `N ≥ max(b·m, b·n)`, commit for
//! every column j of W the polynomial `T_j` whose values tile that column b times
//! (`T_j[k·m + i] = W_ij`), hiding (a random constant mask times `Z_H`); and the public row-start
//! selector `s` (1 at `k·m`, k < b). The verifying key holds these n + 1 commitments and
//! `[Z_H(τ)]₂ = [τ^N]₂ − [1]₂`.
//!
//! **Protocol.** Absorb the key and `C_X`, `C_Y`; draw ρ; let `r_j = ρ^(n−1−j)`.
//!
//! 1. `w = W·r` (m field elements; the only O(m·n) work, field multiplications only). Its tiled
//!    polynomial has the commitment `C_w = Σ_j r_j·C_Tj`, which the verifier computes itself
//!    (an n-point MSM). The prover re-randomises it with a fresh `δ(X)·Z_H(X)` (δ of degree 1)
//!    and sends `Δ = [δ(τ)Z_H(τ)]₁` and `Π = [δ(τ)]₁`; the verifier checks
//!    `e(Δ, [1]₂) = e(Π, [Z_H(τ)]₂)` (so Δ vanishes on H and `w' = w + δZ_H` still takes the
//!    values of `tile(W·r)` on H) and uses `C_w' = C_w + Δ`.
//! 2. The prover commits two Horner columns (masked, opened at ζ and ωζ):
//!    `q_0 = 0, q_(i+1) = q_i·f_i + x_i·w_i` with `f_i = 1 + s_i·(ρ^n − 1)` (at each row start
//!    the sum so far is multiplied by ρ^n), and `a_0 = 0, a_(i+1) = ρ·a_i + y_i`.
//! 3. The identity engine proves on H:
//!    - `L_0(X)·q(X) = 0`, `L_0(X)·a(X) = 0`;
//!    - `(X − ω^(N−1))·(q(ωX) − q(X)f(X) − x(X)w'(X)) = 0`;
//!    - `(X − ω^(N−1))·(a(ωX) − ρ·a(X) − y(X)) = 0`;
//!    - `L_(N−1)(X)·(ρ·a(X) + y(X) − ρ^(N−b·n)·(q(X)f(X) + x(X)w'(X))) = 0`.
//!
//! The last row says `Σ_(i<N) y_i ρ^(N−1−i) = ρ^(N−bn)·Σ_k ρ^((b−1−k)n) Σ_i x_ki (W·r)_i`.
//!
//! **Soundness.** The values of X, Y (and of the padding of Y) are bound before ρ. Writing
//! `i = k·n + j`, both sides are polynomials in ρ of degree < N with the coefficient of
//! `ρ^(N−1−k·n−j)` being `y_kj` on the left and `(X·W)_kj` on the right; the padding of Y sits on
//! the powers below `N − b·n`, where the right side is 0. So unless `Y = X·W` and Y's padding is
//! zero, the equality holds for at most N − 1 values of ρ: probability < N/r. The pairing check
//! forces Δ to be a multiple of Z_H (`Δ = Π·Z_H` in the exponent), so w' equals the honest tiled
//! `W·r` on H. No degree bound is used.
//!
//! **Zero knowledge.** The weights are only ever seen through hiding commitments and through
//! `w'(ζ)`, which the fresh δ makes uniform in every proof (two mask coefficients, one opening);
//! without δ each proof would reveal one linear combination of the weights and enough proofs
//! would reveal W. q and a carry three mask coefficients (two openings); X and Y carry their own.
//!
//! **Cost.** Prover: `W·r` (m·n field multiplications), two full-field commitments of size N,
//! the identity proof. Verifier: an n-point MSM for `C_w` plus the identity check.
//! Proof: 4 G1 (Δ, Π, q, a) + identity (1 + 2 G1, 9 F_r) = 7 G1 + 9 F_r.
//!
//! A reduction (ReduceSum along any axis, GlobalAveragePool's numerator) is this block with a
//! public 0/1 matrix: see [`reduce_weights`].
//!
//! **Convolution.** With [`Taps`] the same block proves a 2-D convolution without im2col: X is
//! the padded input (G positions × C channels), column `o·K + k` of W holds tap k of output
//! channel o, and Y is C_out blocks of `G' = G + reach` entries, the full 1-D convolution of
//! the flattened channels with the flattened kernel (the outputs sit at the window anchors,
//! shifted by `reach`). Only the exponents change: `r_(o·K+k) = ρ^((C_out−1−o)·G' + off_k)`, a
//! step of ρ between X's rows, and the shift `ρ^(N − C_out·G')`; every output slot `(o, p)`,
//! `p < G'`, keeps its own power of ρ, so the soundness argument above carries over
//! (docs/PROTOCOLS.md §4.8, "Convolution form").

use super::identity::{self, Constraints, IdentityProof, Rot, Row, Value};
use super::Committed;
use crate::error::{Error, Result};
use crate::pcs::{self, Commitment, CommittedPoly, PairingBatch, VerifierKey};
use crate::srs::{Srs, MAX_POWER};
use crate::transcript::Transcript;
use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{Field, One, UniformRand, Zero};
use ark_poly::univariate::DensePolynomial;
use ark_poly::{DenseUVPolynomial, EvaluationDomain, Radix2EvaluationDomain};
use rand::{CryptoRng, RngCore};

/// Mask of the Horner columns (opened at ζ and ωζ).
const HORNER_MASK: usize = 3;
/// Mask coefficients of each setup column T_j: the key's tiling proof opens a combination of
/// them at two points (ζ and ω^m·ζ), so three (PROTOCOLS.md §3); every proof opens another
/// combination once, re-randomised by its own δ.
pub const COLUMN_MASK: usize = 3;

/// The dimensions of `Y = X·W`: X is `rows × inner`, W is `inner × cols`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    /// b: rows of X and Y.
    pub rows: usize,
    /// m: columns of X, rows of W.
    pub inner: usize,
    /// n: columns of W and Y.
    pub cols: usize,
    /// `Some` for the convolution form (module docs, "Convolution"): X is the padded input in
    /// positions × channels order, W' is `inner × (C_out·K)` with column `o·K + k` holding tap
    /// k of output channel o, and Y is `C_out` blocks of `rows + reach` full-convolution sums.
    pub conv: Option<Taps>,
}

/// The taps of a 2-D convolution over a padded input laid out row by row (`row_len` entries a
/// row): tap `k = (i, j)` (i < kh, j < kw) reads the entry `off_k = i·dil_h·row_len + j·dil_w`
/// after the window's anchor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Taps {
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Dilation along the height.
    pub dil_h: usize,
    /// Dilation along the width.
    pub dil_w: usize,
    /// Entries per row of the padded input.
    pub row_len: usize,
}

impl Taps {
    /// K = kh·kw.
    /// (Saturating: taps from a key file are checked by `Dims::check` before they are used, but
    /// an error message may describe them first.)
    pub fn count(&self) -> usize {
        self.kh.saturating_mul(self.kw)
    }

    /// `off_k`, the distance of tap k from the anchor (saturating, as [`Taps::count`]).
    pub fn offset(&self, k: usize) -> usize {
        let kw = self.kw.max(1);
        (k / kw)
            .saturating_mul(self.dil_h)
            .saturating_mul(self.row_len)
            .saturating_add((k % kw).saturating_mul(self.dil_w))
    }

    /// The largest offset (the last tap's).
    pub fn reach(&self) -> usize {
        self.offset(self.count().saturating_sub(1))
    }

    fn valid(&self) -> bool {
        let nonzero = [self.kh, self.kw, self.dil_h, self.dil_w, self.row_len];
        nonzero.iter().all(|&v| v >= 1)
            && self
                .kh
                .checked_mul(self.dil_h)
                .and_then(|v| v.checked_mul(self.row_len))
                .and_then(|v| v.checked_add(self.kw.checked_mul(self.dil_w)?))
                .and_then(|v| v.checked_add(self.kh.checked_mul(self.kw)?))
                .is_some_and(|v| v <= 1 << MAX_POWER)
    }
}

impl Dims {
    /// A matrix product `rows × inner` times `inner × cols`.
    pub fn matrix(rows: usize, inner: usize, cols: usize) -> Self {
        Dims {
            rows,
            inner,
            cols,
            conv: None,
        }
    }

    /// The convolution form: `positions` rows of the padded input with `channels` entries
    /// each, `out_channels` outputs, taps `taps`.
    pub fn convolution(positions: usize, channels: usize, out_channels: usize, taps: Taps) -> Self {
        Dims {
            rows: positions,
            inner: channels,
            cols: out_channels.saturating_mul(taps.count()),
            conv: Some(taps),
        }
    }

    /// Entries of Y per output channel in the convolution form: `rows + reach`.
    pub fn out_block(&self) -> usize {
        match self.conv {
            Some(t) => self.rows.saturating_add(t.reach()),
            None => self.cols,
        }
    }

    /// Output channels (columns of Y for a matrix product).
    pub fn out_channels(&self) -> usize {
        match self.conv {
            Some(t) => self.cols.checked_div(t.count()).unwrap_or(0),
            None => self.cols,
        }
    }

    /// Entries of X.
    pub fn x_len(&self) -> usize {
        self.rows.saturating_mul(self.inner)
    }

    /// Entries of Y: `rows·cols`, or `C_out·(rows + reach)` in the convolution form.
    pub fn y_len(&self) -> usize {
        match self.conv {
            Some(_) => self.out_channels().saturating_mul(self.out_block()),
            None => self.rows.saturating_mul(self.cols),
        }
    }

    /// log2 of the domain holding X and Y.
    pub fn log_n(&self) -> Result<u32> {
        let x = self.rows.checked_mul(self.inner);
        let y = match self.conv {
            Some(t) if t.valid() && self.cols.checked_rem(t.count()) == Some(0) => self
                .rows
                .checked_add(t.reach())
                .and_then(|g| g.checked_mul(self.cols / t.count())),
            Some(_) => None,
            None => self.rows.checked_mul(self.cols),
        };
        match (x, y) {
            (Some(x), Some(y)) if x.max(y) <= 1 << MAX_POWER => Ok(pcs::domain_log(x.max(y))),
            _ => Err(Error::InvalidArgument(format!(
                "matrix product of invalid dimensions {self:?}"
            ))),
        }
    }

    /// Every dimension nonzero and the matrices within the largest domain.
    pub fn check(&self) -> Result<()> {
        if self.rows == 0 || self.inner == 0 || self.cols == 0 {
            return Err(Error::InvalidArgument(format!(
                "matrix product with an empty dimension {self:?}"
            )));
        }
        self.log_n().map(|_| ())
    }

    /// The exponents of the challenge: `r_j = ρ^(e_j)` combines W's columns, `ρ^step` separates
    /// X's rows, and Y's Horner sum is compared with `ρ^(N − y_len)` times X's.
    /// Matrix: `e_j = n−1−j`, step n. Convolution: `e_(o·K+k) = (C_out−1−o)·(rows+reach) +
    /// off_k`, step 1.
    #[cfg(test)]
    fn exponents(&self) -> (Vec<u64>, u64) {
        match self.conv {
            None => (
                (0..self.cols).map(|j| (self.cols - 1 - j) as u64).collect(),
                self.cols as u64,
            ),
            Some(t) => {
                let (k, oc, g) = (t.count(), self.out_channels(), self.out_block());
                let e = (0..self.cols)
                    .map(|j| ((oc - 1 - j / k) * g + t.offset(j % k)) as u64)
                    .collect();
                (e, 1)
            }
        }
    }

    /// `(r_j = ρ^(e_j), ρ^step)` for the exponents above, with one multiplication per column
    /// (and one exponentiation per tap) instead of one exponentiation per column.
    fn challenge_powers(&self, rho: Fr) -> (Vec<Fr>, Fr) {
        match self.conv {
            None => (
                descending_powers(rho, self.cols),
                rho.pow([self.cols as u64]),
            ),
            Some(t) => {
                let taps: Vec<Fr> = (0..t.count())
                    .map(|k| rho.pow([t.offset(k) as u64]))
                    .collect();
                let block = rho.pow([self.out_block() as u64]);
                let mut r = vec![Fr::zero(); self.cols];
                let mut base = Fr::one();
                for o in (0..self.out_channels()).rev() {
                    for (k, tap) in taps.iter().enumerate() {
                        r[o * taps.len() + k] = base * tap;
                    }
                    base *= block;
                }
                (r, rho)
            }
        }
    }
}

/// `r_j = ρ^(n−1−j)` for `j < n`, one multiplication each.
fn descending_powers(rho: Fr, n: usize) -> Vec<Fr> {
    let mut r = vec![Fr::one(); n];
    for j in (0..n.saturating_sub(1)).rev() {
        r[j] = r[j + 1] * rho;
    }
    r
}

/// The statement's shape, as both the product's and the tiling proof's transcripts absorb it
/// after their labels: the dimensions, the convolution form and its taps (if any), log N.
fn absorb_shape(transcript: &mut Transcript, dims: Dims, log_n: u32) {
    for d in [dims.rows, dims.inner, dims.cols] {
        transcript.append_u64(b"matmul/dim", d as u64);
    }
    if let Some(t) = dims.conv {
        transcript.append_bytes(b"matmul/form", b"convolution");
        for d in [t.kh, t.kw, t.dil_h, t.dil_w, t.row_len] {
            transcript.append_u64(b"matmul/tap", d as u64);
        }
    }
    transcript.append_u64(b"matmul/log_n", u64::from(log_n));
}

/// `B_i = Σ_t bases[t·m + i]` for `i < m`: the commitment basis of a column tiled with period m.
fn tile_basis(bases: &[G1Affine], m: usize) -> Vec<G1Affine> {
    use rayon::prelude::*;
    let sums: Vec<G1Projective> = (0..m)
        .into_par_iter()
        .map(|i| {
            bases
                .iter()
                .skip(i)
                .step_by(m.max(1))
                .fold(G1Projective::zero(), |acc, p| acc + p)
        })
        .collect();
    G1Projective::normalize_batch(&sums)
}

/// `Y = X·W` on integers, with overflow checked (what an honest prover computes).
pub fn matmul_values(dims: Dims, x: &[i64], w: &[i64]) -> Result<Vec<i64>> {
    dims.check()?;
    let Dims {
        rows, inner, cols, ..
    } = dims;
    if x.len() < rows * inner || w.len() != inner * cols {
        return Err(Error::InvalidArgument(format!(
            "matrix product {dims:?} with {} activations and {} weights",
            x.len(),
            w.len()
        )));
    }
    match dims.conv {
        Some(taps) => convolution_values(dims, taps, x, w),
        None => accumulate(dims, x, w, rows * cols, |q, j| q * cols + j),
    }
}

/// The convolution form of [`matmul_values`]: `y[o·G' + j] = Σ_(c,k) W'[c, o·K+k]·x[j − d_k, c]`
/// over the k with `0 ≤ j − d_k < rows`, where `G' = rows + reach` and `d_k = reach − off_k`
/// (a full 1-D convolution of each flattened channel with the flattened kernel).
fn convolution_values(dims: Dims, taps: Taps, x: &[i64], w: &[i64]) -> Result<Vec<i64>> {
    let (k_count, reach, g) = (taps.count(), taps.reach(), dims.out_block());
    let d: Vec<usize> = (0..k_count).map(|k| reach - taps.offset(k)).collect();
    accumulate(dims, x, w, dims.y_len(), |q, j| {
        (j / k_count) * g + q + d[j % k_count]
    })
}

/// `y[slot(q, j)] += x[q, c]·W[c, j]` over every row q, inner index c and column j, with
/// overflow checked.
fn accumulate(
    dims: Dims,
    x: &[i64],
    w: &[i64],
    y_len: usize,
    slot: impl Fn(usize, usize) -> usize,
) -> Result<Vec<i64>> {
    let overflow = || Error::InvalidArgument("matrix product overflows i64".into());
    let (rows, inner, cols) = (dims.rows, dims.inner, dims.cols);
    let mut y = vec![0i64; y_len];
    for q in 0..rows {
        for c in 0..inner {
            let xv = x[q * inner + c];
            if xv == 0 {
                continue;
            }
            for j in 0..cols {
                let p = xv.checked_mul(w[c * cols + j]).ok_or_else(overflow)?;
                let y = &mut y[slot(q, j)];
                *y = y.checked_add(p).ok_or_else(overflow)?;
            }
        }
    }
    Ok(y)
}

/// The public 0/1 matrix that sums a row-major `[len, inner]` block over its first axis:
/// `W[(l·inner + i), i'] = [i = i']`, of shape `(len·inner) × inner`. With X of shape
/// `outer × (len·inner)` this is ReduceSum over the middle axis of `[outer, len, inner]`
/// (inner = 1: sums of consecutive groups of `len`).
pub fn reduce_weights(len: usize, inner: usize) -> (Dims, Vec<i64>) {
    let mut w = vec![0i64; len * inner * inner];
    for l in 0..len {
        for i in 0..inner {
            w[(l * inner + i) * inner + i] = 1;
        }
    }
    (Dims::matrix(1, len * inner, inner), w)
}

/// The row-start selector s (1 at `k·m` for k < b) on the domain of size `2^log_n`.
pub fn selector_column(dims: Dims, log_n: u32) -> Vec<i64> {
    let (b, m) = (dims.rows, dims.inner);
    let mut sel: Vec<i64> = (0..b * m).map(|p| i64::from(p % m == 0)).collect();
    sel.resize(1usize << log_n, 0);
    sel
}

/// The tiling selectors of a private W: `s_rep` (1 on rows `[0, (b−1)·m)`, where each tile must
/// equal the next) and `s_pad` (1 on rows `[b·m, N)`, which must be 0).
pub fn tiling_selectors(dims: Dims, log_n: u32) -> [Vec<i64>; 2] {
    let n = 1usize << log_n;
    let (b, m) = (dims.rows, dims.inner);
    let mut rep = vec![0i64; n];
    rep[..(b - 1) * m].fill(1);
    let mut pad = vec![0i64; n];
    pad[b * m..].fill(1);
    [rep, pad]
}

/// The tiled columns `T_j` (unmasked) of a public W on the domain of size `2^log_n`.
pub fn public_weight_columns(dims: Dims, weights: &[i64], log_n: u32) -> Result<Vec<Vec<i64>>> {
    dims.check()?;
    if weights.len() != dims.inner * dims.cols || log_n < dims.log_n()? || log_n > MAX_POWER {
        return Err(Error::InvalidArgument(format!(
            "a public {dims:?} matrix of {} entries on a domain of 2^{log_n}",
            weights.len()
        )));
    }
    let (b, m, cols) = (dims.rows, dims.inner, dims.cols);
    Ok((0..cols)
        .map(|j| {
            let mut t: Vec<i64> = (0..b * m).map(|p| weights[(p % m) * cols + j]).collect();
            t.resize(1usize << log_n, 0);
            t
        })
        .collect())
}

/// The prover's per-layer key: the weights, the committed tiled columns and the selector.
#[derive(Clone, Debug)]
pub struct MatMulKey {
    /// Dimensions.
    pub dims: Dims,
    /// W, row-major `inner × cols`.
    pub weights: Vec<i64>,
    /// log2 of the domain size N.
    pub log_n: u32,
    /// The mask of each tiled column (`T_j + c_j(X)·Z_H`, c_j of [`COLUMN_MASK`] coefficients);
    /// empty for a public W (unmasked columns).
    masks: Vec<[Fr; COLUMN_MASK]>,
    /// The public row-start selector s.
    selector: CommittedPoly,
    /// For a private W, the tiling selectors s_rep, s_pad ([`tiling_selectors`]).
    tiling: Vec<CommittedPoly>,
    /// For a public W, its tiled columns as public polynomials.
    public_columns: Vec<CommittedPoly>,
    /// What the verifier needs.
    vk: MatMulVerifierKey,
}

/// The verifier's part of a layer's key (in the model's verifying key, never in a proof).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatMulVerifierKey {
    /// Dimensions.
    pub dims: Dims,
    /// log2 of the domain size N.
    pub log_n: u32,
    /// Hiding commitments to the tiled columns `T_0 … T_(n−1)`.
    pub columns: Vec<Commitment>,
    /// Commitment to the row-start selector.
    pub selector: Commitment,
    /// For a private W: commitments to the tiling selectors s_rep, s_pad (the key's tiling proof
    /// reads them); empty for a public W, whose columns are themselves public.
    pub tiling: Vec<Commitment>,
    /// `[Z_H(τ)]₂ = [τ^N]₂ − [1]₂`.
    pub vanishing_g2: G2Affine,
}

impl MatMulKey {
    /// Setup: commits W's tiled columns (hiding) and the selector. Cost: n small-scalar MSMs of
    /// size N.
    pub fn new<R: RngCore + CryptoRng>(
        srs: &Srs,
        dims: Dims,
        weights: Vec<i64>,
        rng: &mut R,
    ) -> Result<Self> {
        Self::on_domain(srs, dims, weights, dims.log_n()?, rng)
    }

    /// As [`MatMulKey::new`] on a domain of size `2^log_n` (at least the smallest one): a
    /// private W, whose columns are hiding and proved tiled once by [`prove_tiling`].
    pub fn on_domain<R: RngCore + CryptoRng>(
        srs: &Srs,
        dims: Dims,
        weights: Vec<i64>,
        log_n: u32,
        rng: &mut R,
    ) -> Result<Self> {
        let masks = (0..dims.cols)
            .map(|_| [Fr::rand(rng), Fr::rand(rng), Fr::rand(rng)])
            .collect();
        Self::build(srs, dims, weights, log_n, masks)
    }

    /// A public W (a reduction's 0/1 matrix): unmasked columns, which a key check recomputes
    /// like every other public column.
    pub fn public(srs: &Srs, dims: Dims, weights: Vec<i64>, log_n: u32) -> Result<Self> {
        Self::build(srs, dims, weights, log_n, Vec::new())
    }

    fn build(
        srs: &Srs,
        dims: Dims,
        weights: Vec<i64>,
        log_n: u32,
        masks: Vec<[Fr; COLUMN_MASK]>,
    ) -> Result<Self> {
        dims.check()?;
        if log_n < dims.log_n()? || log_n > MAX_POWER {
            return Err(Error::InvalidArgument(format!(
                "matrix product {dims:?} does not fit a domain of 2^{log_n}"
            )));
        }
        if weights.len() != dims.inner * dims.cols {
            return Err(Error::InvalidArgument(format!(
                "{} weights for a {}×{} matrix",
                weights.len(),
                dims.inner,
                dims.cols
            )));
        }
        let n = 1usize << log_n;
        let g2 = srs.g2_powers();
        if g2.len() <= n {
            return Err(Error::SrsTooSmall {
                what: "the matrix-product block's [Z_H(τ)]₂",
                needed: n + 1,
                available: g2.len(),
            });
        }
        let vanishing_g2 = (g2[n].into_group() - g2[0].into_group()).into_affine();
        let (b, m, cols) = (dims.rows, dims.inner, dims.cols);
        // C_Tj = Σ_(p < b·m) T_j[p]·[L_p(τ)]₁ + Σ_k c_jk·([τ^(N+k)]₁ − [τ^k]₁): only the b·m
        // entries that can be nonzero enter the MSM, and no polynomial is formed (the prover
        // rebuilds w' from the weights and the masks).
        let basis = srs.lagrange(log_n)?;
        let g1 = srs.g1_powers();
        if g1.len() < n + COLUMN_MASK {
            return Err(Error::SrsTooSmall {
                what: "the matrix-product block's column masks",
                needed: n + COLUMN_MASK,
                available: g1.len(),
            });
        }
        let vanishing: Vec<_> = (0..COLUMN_MASK)
            .map(|k| g1[n + k].into_group() - g1[k].into_group())
            .collect();
        // The memo (warm rebuilds) keys each column by its m weights and the tiling (b, m, N).
        let mut label = b"matmul-tiled".to_vec();
        for d in [b as u64, m as u64, u64::from(log_n)] {
            label.extend_from_slice(&d.to_le_bytes());
        }
        let srs_digest = srs.digest();
        // Σ_p T_j[p]·[L_p(τ)]₁ = Σ_(i<m) W[i, j]·B_i with the tile basis B_i = Σ_(t<b) [L_(t·m+i)]₁:
        // b·m additions once, then an m-term MSM per column (made only if a column misses the
        // memo).
        let tiles = std::cell::OnceCell::new();
        let columns: Vec<Commitment> = (0..cols)
            .map(|j| {
                let column: Vec<i64> = (0..m).map(|i| weights[i * cols + j]).collect();
                let mut c = pcs::memo::remember(&srs_digest, &label, &column, || {
                    let tiles = tiles.get_or_init(|| tile_basis(&basis[..b * m], m));
                    pcs::msm::msm_small(tiles, &column)
                });
                if let Some(mask) = masks.get(j) {
                    for (v, cj) in vanishing.iter().zip(mask) {
                        c += *v * cj;
                    }
                }
                Commitment(c.into_affine())
            })
            .collect();
        let sel = selector_column(dims, log_n);
        let selector = pcs::values_poly(&sel)?;
        let selector_commitment = pcs::commit_values(srs, &sel)?;
        let (mut tiling, mut tiling_commitments) = (Vec::new(), Vec::new());
        let mut public_columns = Vec::new();
        if masks.is_empty() {
            for col in public_weight_columns(dims, &weights, log_n)? {
                public_columns.push(pcs::values_poly(&col)?);
            }
        } else {
            for col in tiling_selectors(dims, log_n) {
                tiling.push(pcs::values_poly(&col)?);
                tiling_commitments.push(pcs::commit_values(srs, &col)?);
            }
        }
        Ok(MatMulKey {
            dims,
            weights,
            log_n,
            masks,
            selector,
            tiling,
            public_columns,
            vk: MatMulVerifierKey {
                dims,
                log_n,
                columns,
                selector: selector_commitment,
                tiling: tiling_commitments,
                vanishing_g2,
            },
        })
    }

    /// Whether W is public (unmasked columns, no tiling proof).
    pub fn is_public(&self) -> bool {
        self.masks.is_empty()
    }

    /// The verifier's part of the key.
    pub fn verifier_key(&self) -> &MatMulVerifierKey {
        &self.vk
    }
}

impl super::KeyColumns for MatMulKey {
    /// The n columns (public polynomials only for a public W), the selector, the two tiling
    /// selectors of a private W.
    fn key_columns(&self) -> Vec<(Commitment, Option<&CommittedPoly>)> {
        let mut v: Vec<(Commitment, Option<&CommittedPoly>)> = self
            .vk
            .columns
            .iter()
            .enumerate()
            .map(|(j, c)| (*c, self.public_columns.get(j)))
            .collect();
        v.push((self.vk.selector, Some(&self.selector)));
        v.extend(
            self.vk
                .tiling
                .iter()
                .copied()
                .zip(self.tiling.iter().map(Some)),
        );
        v
    }
}

/// Constraints over columns (x, w', s, y, q, a).
#[derive(Clone)]
struct MatMul {
    rho: Fr,
    rho_n: Fr,
    shift: Fr,
}

const X: usize = 0;
const W: usize = 1;
const S: usize = 2;
const Y: usize = 3;
const Q: usize = 4;
const A: usize = 5;

impl Constraints for MatMul {
    fn columns(&self) -> usize {
        6
    }
    fn reads_next(&self, j: usize) -> bool {
        j == Q || j == A
    }
    fn degree(&self) -> usize {
        3
    }
    fn combine<V: Value>(&self, row: &Row<'_, V>, alpha: Fr) -> V {
        let c = |j| row.col(j, Rot::Cur);
        let f = c(S) * (self.rho_n - Fr::one()) + Fr::one();
        let q_step = c(Q) * f + c(X) * c(W);
        let first = row.l_first * (c(Q) + c(A) * alpha);
        let q_next = row.not_last * (row.col(Q, Rot::Next) - q_step);
        let a_next = row.not_last * (row.col(A, Rot::Next) - c(A) * self.rho - c(Y));
        let last = row.l_last * (c(A) * self.rho + c(Y) - q_step * self.shift);
        let a2 = alpha.square();
        first + (q_next + (a_next + last * alpha) * alpha) * a2
    }
}

/// A matrix-product proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatMulProof {
    /// `Δ = [δ(τ)·Z_H(τ)]₁`, the re-randomisation of the weight combination.
    pub delta: Commitment,
    /// `Π = [δ(τ)]₁`.
    pub delta_quotient: Commitment,
    /// `[q(τ)]₁`, the Horner column over X·w.
    pub q: Commitment,
    /// `[a(τ)]₁`, the Horner column over Y.
    pub a: Commitment,
    /// The constraints' proof.
    pub identity: IdentityProof,
}

/// The public parameters of one instance after ρ: (ρ, r_j = ρ^(n−1−j), constraints).
fn challenge(
    transcript: &mut Transcript,
    key: &MatMulVerifierKey,
    x: Commitment,
    y: Commitment,
) -> (Vec<Fr>, MatMul) {
    let dims = key.dims;
    transcript.append_bytes(b"block", b"matmul");
    absorb_shape(transcript, dims, key.log_n);
    let mut keyed: Vec<G1Affine> = key.columns.iter().map(|c| c.0).collect();
    keyed.push(key.selector.0);
    transcript.append_g1s(b"matmul/key", &keyed);
    transcript.append_g2(b"matmul/vanishing", &key.vanishing_g2);
    transcript.append_g1s(b"matmul/xy", &[x.0, y.0]);
    let rho = transcript.challenge_scalar(b"matmul/rho");
    let (r, rho_step) = dims.challenge_powers(rho);
    let n = 1u64 << key.log_n;
    let constraints = MatMul {
        rho,
        rho_n: rho_step,
        shift: rho.pow([n - dims.y_len() as u64]),
    };
    (r, constraints)
}

fn absorb_round_one(transcript: &mut Transcript, p: &MatMulProof) {
    transcript.append_g1s(
        b"matmul/round1",
        &[p.delta.0, p.delta_quotient.0, p.q.0, p.a.0],
    );
}

/// `C_w' = Σ_j r_j·C_Tj + Δ` (computed by both sides).
fn combined_weights(key: &MatMulVerifierKey, r: &[Fr], delta: Commitment) -> Commitment {
    let bases: Vec<G1Affine> = key.columns.iter().map(|c| c.0).collect();
    let c = pcs::msm::msm_field(&bases, r) + delta.0.into_group();
    Commitment(c.into_affine())
}

/// The values of `tile(W·r)` on H and the polynomial `w' = tile(W·r) + (Σ_j r_j c_j(X) + δ(X))·Z_H`
/// (`c_j` the key's column masks), whose commitment is `Σ_j r_j·C_Tj + [δ(τ)Z_H(τ)]₁`.
fn weight_column(key: &MatMulKey, r: &[Fr], delta: &[Fr]) -> Result<(Vec<Fr>, CommittedPoly)> {
    let Dims {
        rows, inner, cols, ..
    } = key.dims;
    let n = 1usize << key.log_n;
    // w_i = Σ_j r_j·W[i, j] (zeros skipped: a grouped layer's W' is mostly zero)
    let w: Vec<Fr> = (0..inner)
        .map(|i| {
            (0..cols)
                .filter(|&j| key.weights[i * cols + j] != 0)
                .map(|j| r[j] * Fr::from(key.weights[i * cols + j]))
                .sum()
        })
        .collect();
    let mut w_values: Vec<Fr> = (0..rows * inner).map(|p| w[p % inner]).collect();
    w_values.resize(n, Fr::zero());
    let domain = Radix2EvaluationDomain::<Fr>::new(n)
        .ok_or_else(|| Error::InvalidArgument("no FFT domain".into()))?;
    // The mask polynomial Σ_j r_j c_j(X) + δ(X).
    let mut mask = vec![Fr::zero(); COLUMN_MASK.max(delta.len())];
    for (c, rj) in key.masks.iter().zip(r) {
        for (k, ck) in c.iter().enumerate() {
            mask[k] += *ck * rj;
        }
    }
    for (k, d) in delta.iter().enumerate() {
        mask[k] += d;
    }
    let mut coeffs = domain.ifft(&w_values);
    coeffs.resize(n + mask.len(), Fr::zero());
    for (k, c) in mask.iter().enumerate() {
        coeffs[k] -= c;
        coeffs[n + k] += c;
    }
    let w_poly = CommittedPoly {
        poly: DensePolynomial::from_coefficients_vec(coeffs),
        log_n: key.log_n,
        hiding: mask.len(),
    };
    Ok((w_values, w_poly))
}

/// Proves `Y = X·W` for the key's W. X and Y must be committed on the key's domain. Fails (no
/// proof) if the product does not hold.
pub fn prove<R: RngCore + CryptoRng>(
    srs: &Srs,
    key: &MatMulKey,
    x: &Committed,
    y: &Committed,
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<MatMulProof> {
    prove_in(srs, key, x, y, transcript, rng, identity::Mode::Now)
}

/// As [`prove`], with the identity proved now or deferred to a shared proof.
pub fn prove_in<R: RngCore + CryptoRng>(
    srs: &Srs,
    key: &MatMulKey,
    x: &Committed,
    y: &Committed,
    transcript: &mut Transcript,
    rng: &mut R,
    mode: identity::Mode<'_>,
) -> Result<MatMulProof> {
    let y_len = key.dims.y_len();
    let n = 1usize << key.log_n;
    if x.poly.log_n != key.log_n || y.poly.log_n != key.log_n {
        return Err(Error::InvalidArgument(format!(
            "matrix-product tensors must be committed on the domain of size 2^{}",
            key.log_n
        )));
    }
    let expected = matmul_values(key.dims, &x.values, &key.weights)?;
    if y.values.get(..y_len) != Some(&expected[..]) || y.values[y_len..].iter().any(|v| *v != 0) {
        return Err(Error::InvalidArgument(
            "the output is not the input times the weights".into(),
        ));
    }
    let (r, constraints) = challenge(transcript, &key.vk, x.commitment, y.commitment);

    let (d0, d1) = (Fr::rand(rng), Fr::rand(rng));
    let (w_values, w_poly) = weight_column(key, &r, &[d0, d1])?;
    let powers = srs.g1_powers();
    if powers.len() < n + 2 {
        return Err(Error::SrsTooSmall {
            what: "the matrix-product block",
            needed: n + 2,
            available: powers.len(),
        });
    }
    let delta_quotient = powers[0] * d0 + powers[1] * d1;
    let delta = powers[n] * d0 + powers[n + 1] * d1 - delta_quotient;
    let delta = Commitment(delta.into_affine());
    let delta_quotient = Commitment(delta_quotient.into_affine());
    let w_commitment = combined_weights(&key.vk, &r, delta);

    // Horner columns.
    let sel = &key.selector;
    let sel_values = Radix2EvaluationDomain::<Fr>::new(n)
        .ok_or_else(|| Error::InvalidArgument("no FFT domain".into()))?
        .fft(&sel.poly.coeffs);
    let mut q = Vec::with_capacity(n);
    let mut a = Vec::with_capacity(n);
    let (mut qi, mut ai) = (Fr::zero(), Fr::zero());
    for i in 0..n {
        q.push(qi);
        a.push(ai);
        let f = Fr::one() + sel_values[i] * (constraints.rho_n - Fr::one());
        qi = qi * f + Fr::from(x.values[i]) * w_values[i];
        ai = constraints.rho * ai + Fr::from(y.values[i]);
    }
    if ai != constraints.shift * qi {
        return Err(Error::InvalidArgument(
            "Horner sums disagree: the output is not the input times the weights".into(),
        ));
    }
    let (q_commitment, q_poly) = pcs::commit_field_values_hiding(srs, &q, HORNER_MASK, rng)?;
    let (a_commitment, a_poly) = pcs::commit_field_values_hiding(srs, &a, HORNER_MASK, rng)?;
    let mut proof = MatMulProof {
        delta,
        delta_quotient,
        q: q_commitment,
        a: a_commitment,
        identity: IdentityProof {
            quotient: Commitment(G1Affine::zero()),
            opening: pcs::BatchOpening {
                values: Vec::new(),
                witnesses: Vec::new(),
            },
        },
    };
    absorb_round_one(transcript, &proof);
    proof.identity = identity::prove_in(
        srs,
        &constraints,
        &[&x.poly, &w_poly, sel, &y.poly, &q_poly, &a_poly],
        &[
            x.commitment,
            w_commitment,
            key.vk.selector,
            y.commitment,
            q_commitment,
            a_commitment,
        ],
        transcript,
        mode,
    )?;
    Ok(proof)
}

/// Verifies `Y = X·W` for the committed X, Y and the layer's key.
pub fn verify(
    vk: &VerifierKey,
    key: &MatMulVerifierKey,
    x: Commitment,
    y: Commitment,
    proof: &MatMulProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
) -> Result<()> {
    verify_in(
        vk,
        key,
        x,
        y,
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
    key: &MatMulVerifierKey,
    x: Commitment,
    y: Commitment,
    proof: &MatMulProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
    mode: identity::Check<'_>,
) -> Result<()> {
    key.dims
        .check()
        .map_err(|e| Error::Verification(e.to_string()))?;
    let fits = key
        .dims
        .log_n()
        .is_ok_and(|l| l <= key.log_n && key.log_n <= MAX_POWER);
    if key.columns.len() != key.dims.cols || !fits {
        return Err(Error::Verification(
            "matrix-product key does not match its dimensions".into(),
        ));
    }
    let (r, constraints) = challenge(transcript, key, x, y);
    absorb_round_one(transcript, proof);
    let w_commitment = combined_weights(key, &r, proof.delta);
    // e(Δ, [1]₂) = e(Π, [Z_H(τ)]₂)
    let neg_pi = [(proof.delta_quotient.0, -Fr::one())];
    batch.add_equation(&[
        (&[(proof.delta.0, Fr::one())], vk.h),
        (&neg_pi, key.vanishing_g2),
    ]);
    identity::verify_in(
        vk,
        &constraints,
        key.log_n,
        &[x, w_commitment, key.selector, y, proof.q, proof.a],
        &proof.identity,
        transcript,
        batch,
        mode,
    )
}

/// Tiling constraints over the columns (t, s_rep, s_pad), the next row being one tile (m rows)
/// ahead: `s_rep(X)·(t(ω^m X) − t(X))` (each tile equals the next) and `s_pad(X)·t(X)` (the
/// padding is zero).
#[derive(Clone)]
struct Tiling {
    period: usize,
}

impl Constraints for Tiling {
    fn columns(&self) -> usize {
        3
    }
    fn reads_next(&self, j: usize) -> bool {
        j == 0
    }
    fn degree(&self) -> usize {
        2
    }
    fn rotation(&self) -> usize {
        self.period
    }
    fn combine<V: Value>(&self, row: &Row<'_, V>, alpha: Fr) -> V {
        let t = row.col(0, Rot::Cur);
        row.col(1, Rot::Cur) * (row.col(0, Rot::Next) - t) + row.col(2, Rot::Cur) * t * alpha
    }
}

/// The challenge combining the columns of a tiling proof: `r_j = ρ^(n−1−j)` and the combined
/// commitment `Σ_j r_j·C_Tj` (the transcript absorbs the key first).
fn tiling_challenge(
    transcript: &mut Transcript,
    key: &MatMulVerifierKey,
) -> Result<(Vec<Fr>, Commitment, Tiling)> {
    let Dims {
        rows, inner, cols, ..
    } = key.dims;
    if key.tiling.len() != 2 || key.columns.len() != cols {
        return Err(Error::Verification(
            "a private matrix needs its two tiling selectors".into(),
        ));
    }
    transcript.append_bytes(b"block", b"matmul-tiling");
    absorb_shape(transcript, key.dims, key.log_n);
    let mut keyed: Vec<G1Affine> = key.columns.iter().map(|c| c.0).collect();
    keyed.extend(key.tiling.iter().map(|c| c.0));
    transcript.append_g1s(b"matmul/tiling-key", &keyed);
    let rho = transcript.challenge_scalar(b"matmul/tiling-rho");
    let r = descending_powers(rho, cols);
    let combined = combined_weights(key, &r, Commitment(G1Affine::zero()));
    let period = if rows > 1 { inner } else { 1 };
    Ok((r, combined, Tiling { period }))
}

/// Proves, once for the key, that every column commitment `C_Tj` of a private W holds W's
/// column j tiled b times and zero beyond: for a challenge ρ, the combination
/// `t = Σ_j ρ^(n−1−j)·T_j` satisfies `t_(i+m) = t_i` for `i < (b−1)·m` and `t_i = 0` for
/// `i ≥ b·m` (an identity proof reading t at ζ and ω^m·ζ). The verifier relies on this layout in
/// every proof (the Horner relation multiplies `x_i` by `w_i` on every row).
pub fn prove_tiling(
    srs: &Srs,
    key: &MatMulKey,
    transcript: &mut Transcript,
) -> Result<IdentityProof> {
    let (r, combined, constraints) = tiling_challenge(transcript, &key.vk)?;
    let (_, t_poly) = weight_column(key, &r, &[])?;
    identity::prove(
        srs,
        &constraints,
        &[&t_poly, &key.tiling[0], &key.tiling[1]],
        &[combined, key.vk.tiling[0], key.vk.tiling[1]],
        transcript,
    )
}

/// Verifier twin of [`prove_tiling`].
pub fn verify_tiling(
    vk: &VerifierKey,
    key: &MatMulVerifierKey,
    proof: &IdentityProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
) -> Result<()> {
    let (_, combined, constraints) = tiling_challenge(transcript, key)?;
    identity::verify(
        vk,
        &constraints,
        key.log_n,
        &[combined, key.tiling[0], key.tiling[1]],
        proof,
        transcript,
        batch,
    )
}

/// Group elements and field elements in a proof.
pub fn proof_size(proof: &MatMulProof) -> (usize, usize) {
    let (g, f) = proof.identity.size();
    (4 + g, f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    fn srs() -> &'static Srs {
        crate::blocks::test_srs()
    }

    struct Case {
        key: MatMulKey,
        x: Committed,
        y: Committed,
    }

    fn case(dims: Dims, seed: u64) -> Case {
        let mut r = ChaCha20Rng::seed_from_u64(seed);
        let w: Vec<i64> = (0..dims.inner * dims.cols)
            .map(|_| r.gen_range(-128..128))
            .collect();
        let key = MatMulKey::new(srs(), dims, w, &mut r).unwrap();
        let n = 1usize << key.log_n;
        let mut xv: Vec<i64> = (0..dims.rows * dims.inner)
            .map(|_| r.gen_range(-128..128))
            .collect();
        let yv = matmul_values(dims, &xv, &key.weights).unwrap();
        xv.resize(n, 0);
        let mut yv = yv;
        yv.resize(n, 0);
        let x = Committed::new(srs(), &xv, 2, &mut r).unwrap();
        let y = Committed::new(srs(), &yv, 2, &mut r).unwrap();
        Case { key, x, y }
    }

    fn prove_case(c: &Case, seed: u64) -> MatMulProof {
        let mut r = ChaCha20Rng::seed_from_u64(seed);
        let mut t = Transcript::new(b"matmul-test");
        prove(srs(), &c.key, &c.x, &c.y, &mut t, &mut r).unwrap()
    }

    fn accepts(c: &Case, x: Commitment, y: Commitment, p: &MatMulProof) -> bool {
        accepts_under(c.key.verifier_key(), x, y, p)
    }

    /// Whether the verifier accepts `p` for x, y under the layer key `key`.
    fn accepts_under(
        key: &MatMulVerifierKey,
        x: Commitment,
        y: Commitment,
        p: &MatMulProof,
    ) -> bool {
        let mut t = Transcript::new(b"matmul-test");
        let mut batch = PairingBatch::new();
        let vk = srs().verifier_key();
        verify(&vk, key, x, y, p, &mut t, &mut batch).is_ok() && batch.verify()
    }

    fn dims(rows: usize, inner: usize, cols: usize) -> Dims {
        Dims::matrix(rows, inner, cols)
    }

    #[test]
    fn completeness_on_several_shapes() {
        for (i, d) in [
            dims(1, 1, 1),
            dims(1, 7, 3),
            dims(3, 5, 4),
            dims(4, 8, 2),
            dims(2, 3, 17),
            dims(5, 20, 10),
        ]
        .into_iter()
        .enumerate()
        {
            let c = case(d, i as u64);
            let p = prove_case(&c, 100 + i as u64);
            // N = 1 has ω = 1: ζ and ωζ coincide and one opening witness covers both.
            let expected = if c.key.log_n == 0 { (6, 9) } else { (7, 9) };
            assert_eq!(proof_size(&p), expected);
            assert!(accepts(&c, c.x.commitment, c.y.commitment, &p), "{d:?}");
        }
    }

    #[test]
    fn every_tampered_element_is_rejected() {
        let c = case(dims(3, 5, 4), 7);
        let p = prove_case(&c, 8);
        let g = G1Affine::generator();
        let tweak = |a: Commitment| Commitment((a.0 + g).into_affine());
        let mut bad = Vec::new();
        for k in 0..4 {
            let mut q = p.clone();
            match k {
                0 => q.delta = tweak(q.delta),
                1 => q.delta_quotient = tweak(q.delta_quotient),
                2 => q.q = tweak(q.q),
                _ => q.a = tweak(q.a),
            }
            bad.push(q);
        }
        for t in p.identity.tampered() {
            let mut q = p.clone();
            q.identity = t;
            bad.push(q);
        }
        for (i, q) in bad.iter().enumerate() {
            assert!(
                !accepts(&c, c.x.commitment, c.y.commitment, q),
                "tamper {i}"
            );
        }
        // Swapped or foreign statements.
        assert!(!accepts(&c, c.y.commitment, c.x.commitment, &p));
        let other = case(dims(3, 5, 4), 9);
        assert!(!accepts(&c, other.x.commitment, c.y.commitment, &p));
        assert!(!accepts(&c, c.x.commitment, other.y.commitment, &p));
        // Another layer's key (other weights, same shape).
        assert!(!accepts_under(
            other.key.verifier_key(),
            c.x.commitment,
            c.y.commitment,
            &p
        ));
    }

    /// Proves vacuous constraints over the exact columns the verifier expects, with Horner
    /// columns computed from a wrong output: the verifier must reject.
    #[test]
    fn forced_proof_of_a_wrong_product_is_rejected() {
        forced_wrong_output_is_rejected(dims(2, 4, 3), 4);
    }

    /// A proof forced through for an output differing from the true one at `index` (below
    /// the domain size: padding included) is rejected.
    fn forced_wrong_output_is_rejected(d: Dims, index: usize) {
        struct Vacuous;
        impl Constraints for Vacuous {
            fn columns(&self) -> usize {
                6
            }
            fn reads_next(&self, j: usize) -> bool {
                j == Q || j == A
            }
            fn degree(&self) -> usize {
                1
            }
            fn combine<V: Value>(&self, _row: &Row<'_, V>, _alpha: Fr) -> V {
                V::from(Fr::zero())
            }
        }
        let mut r = ChaCha20Rng::seed_from_u64(5);
        let c = case(d, 11);
        let mut wrong = c.y.values.clone();
        wrong[index] += 1;
        let y = Committed::new(srs(), &wrong, 2, &mut r).unwrap();
        // An honest prover refuses.
        let mut t = Transcript::new(b"matmul-test");
        let err = prove(srs(), &c.key, &c.x, &y, &mut t, &mut r).unwrap_err();
        assert!(err.to_string().contains("weights"), "{err}");
        // A forger follows the protocol with no δ (Δ = Π = 0) and the Horner columns of the
        // wrong output.
        let mut t = Transcript::new(b"matmul-test");
        let (rv, constraints) =
            challenge(&mut t, c.key.verifier_key(), c.x.commitment, y.commitment);
        let n = 1usize << c.key.log_n;
        let Dims { rows, inner, .. } = c.key.dims;
        // The forger is the model owner: it knows the key's masks and builds w' exactly as the
        // honest prover does (δ = 0); the only lie is the output.
        let (wv, w_poly) = weight_column(&c.key, &rv, &[]).unwrap();
        let zero = Commitment(G1Affine::zero());
        let w_commitment = combined_weights(c.key.verifier_key(), &rv, zero);
        let sel_values: Vec<Fr> = (0..n)
            .map(|p| Fr::from(u64::from(p < rows * inner && p % inner == 0)))
            .collect();
        let (mut qv, mut av) = (Vec::new(), Vec::new());
        let (mut qi, mut ai) = (Fr::zero(), Fr::zero());
        for i in 0..n {
            qv.push(qi);
            av.push(ai);
            let f = Fr::one() + sel_values[i] * (constraints.rho_n - Fr::one());
            qi = qi * f + Fr::from(c.x.values[i]) * wv[i];
            ai = constraints.rho * ai + Fr::from(wrong[i]);
        }
        let (qc, qp) = pcs::commit_field_values_hiding(srs(), &qv, 3, &mut r).unwrap();
        let (ac, ap) = pcs::commit_field_values_hiding(srs(), &av, 3, &mut r).unwrap();
        let mut forged = MatMulProof {
            delta: zero,
            delta_quotient: zero,
            q: qc,
            a: ac,
            identity: IdentityProof {
                quotient: zero,
                opening: pcs::BatchOpening {
                    values: vec![],
                    witnesses: vec![],
                },
            },
        };
        absorb_round_one(&mut t, &forged);
        forged.identity = identity::prove(
            srs(),
            &Vacuous,
            &[&c.x.poly, &w_poly, &c.key.selector, &y.poly, &qp, &ap],
            &[
                c.x.commitment,
                w_commitment,
                c.key.vk.selector,
                y.commitment,
                qc,
                ac,
            ],
            &mut t,
        )
        .unwrap();
        assert!(!accepts(&c, c.x.commitment, y.commitment, &forged));
    }

    fn conv_dims(positions: usize, channels: usize, out: usize, taps: [usize; 5]) -> Dims {
        let [kh, kw, dil_h, dil_w, row_len] = taps;
        let t = Taps {
            kh,
            kw,
            dil_h,
            dil_w,
            row_len,
        };
        Dims::convolution(positions, channels, out, t)
    }

    /// The incremental challenge powers equal `ρ^(e_j)` for the exponents the relation is stated
    /// with, in both forms (and an empty tap set yields no columns instead of a panic).
    #[test]
    fn challenge_powers_match_the_stated_exponents() {
        let rho = Fr::from(7u64);
        for d in [
            Dims::matrix(3, 4, 5),
            conv_dims(20, 2, 3, [3, 3, 1, 1, 5]),
            conv_dims(30, 1, 2, [2, 3, 2, 1, 6]),
        ] {
            let (r, step) = d.challenge_powers(rho);
            let (e, s) = d.exponents();
            assert_eq!(step, rho.pow([s]));
            let want: Vec<Fr> = e.iter().map(|&e| rho.pow([e])).collect();
            assert_eq!(r, want);
        }
        let empty = conv_dims(4, 1, 1, [0, 0, 1, 1, 2]);
        assert_eq!(empty.conv.map(|t| t.count()), Some(0));
        assert!(empty.check().is_err());
    }

    /// The convolution form's output at anchor p of output channel o is the 2-D correlation
    /// `Σ_(c,i,j) W[o,c,i,j]·x[p + i·dh·row_len + j·dw, c]` of the padded input.
    #[test]
    fn convolution_values_are_a_2d_correlation() {
        let mut r = ChaCha20Rng::seed_from_u64(3);
        for (h, w, c, oc, kh, kw, dh, dw) in [
            (5, 6, 2, 3, 3, 3, 1, 1),
            (4, 4, 1, 1, 1, 1, 1, 1),
            (7, 5, 3, 2, 2, 3, 2, 1),
            (1, 9, 2, 2, 1, 4, 1, 2),
        ] {
            let d = conv_dims(h * w, c, oc, [kh, kw, dh, dw, w]);
            let k = kh * kw;
            let x: Vec<i64> = (0..h * w * c).map(|_| r.gen_range(-9..10)).collect();
            let wt: Vec<i64> = (0..c * oc * k).map(|_| r.gen_range(-9..10)).collect();
            let y = matmul_values(d, &x, &wt).unwrap();
            assert_eq!(y.len(), oc * (h * w + d.conv.unwrap().reach()));
            let reach = d.conv.unwrap().reach();
            for o in 0..oc {
                for ay in 0..=(h - 1 - dh * (kh - 1)) {
                    for ax in 0..=(w - 1 - dw * (kw - 1)) {
                        let mut want = 0;
                        for ci in 0..c {
                            for i in 0..kh {
                                for j in 0..kw {
                                    let q = (ay + i * dh) * w + ax + j * dw;
                                    want += wt[ci * oc * k + o * k + i * kw + j] * x[q * c + ci];
                                }
                            }
                        }
                        let p = ay * w + ax;
                        assert_eq!(y[o * d.out_block() + p + reach], want);
                    }
                }
            }
        }
    }

    #[test]
    fn convolution_form_is_complete_and_sound() {
        for (i, d) in [
            conv_dims(16, 2, 3, [3, 3, 1, 1, 4]),
            conv_dims(12, 1, 2, [2, 2, 2, 1, 4]),
            conv_dims(9, 3, 1, [1, 3, 1, 1, 9]),
        ]
        .into_iter()
        .enumerate()
        {
            let c = case(d, 20 + i as u64);
            let p = prove_case(&c, 30 + i as u64);
            assert!(accepts(&c, c.x.commitment, c.y.commitment, &p), "{d:?}");
            // Every element of the proof tampered.
            let g = G1Affine::generator();
            let mut bad = vec![p.clone(), p.clone()];
            bad[0].q = Commitment((p.q.0 + g).into_affine());
            bad[1].a = Commitment((p.a.0 + g).into_affine());
            for t in p.identity.tampered() {
                let mut q = p.clone();
                q.identity = t;
                bad.push(q);
            }
            for q in &bad {
                assert!(!accepts(&c, c.x.commitment, c.y.commitment, q));
            }
            // The same weights read as a matrix product are another statement.
            let plain = Dims::matrix(d.rows, d.inner, d.cols);
            if plain.log_n().ok() == Some(c.key.log_n) {
                let key = MatMulKey::new(
                    srs(),
                    plain,
                    c.key.weights.clone(),
                    &mut ChaCha20Rng::seed_from_u64(1),
                )
                .unwrap();
                assert!(!accepts_under(
                    key.verifier_key(),
                    c.x.commitment,
                    c.y.commitment,
                    &p
                ));
            }
        }
        // A wrong full-convolution sum is rejected wherever it sits: at a valid anchor, in the
        // border sums no output reads, and in Y's padding past `C_out·(rows + reach)`.
        let d = conv_dims(16, 2, 3, [3, 3, 1, 1, 4]);
        let reach = d.conv.unwrap().reach();
        for index in [reach + 5, 1, d.y_len() - 1, d.y_len()] {
            forced_wrong_output_is_rejected(d, index);
        }
    }

    fn tiling_accepts(key: &MatMulVerifierKey, p: &IdentityProof) -> bool {
        let mut t = Transcript::new(b"tiling-test");
        let mut batch = PairingBatch::new();
        verify_tiling(&srs().verifier_key(), key, p, &mut t, &mut batch).is_ok() && batch.verify()
    }

    /// A convolution key's tiling proof is bound to its form and taps (both in the tiling
    /// transcript): the same columns described as a matrix product, or with other taps, do not
    /// accept it.
    #[test]
    fn a_tiling_proof_is_bound_to_the_convolution_form() {
        let d = conv_dims(16, 2, 3, [3, 3, 1, 1, 4]);
        let c = case(d, 70);
        let mut t = Transcript::new(b"tiling-test");
        let p = prove_tiling(srs(), &c.key, &mut t).unwrap();
        assert!(tiling_accepts(&c.key.vk, &p));
        let taps = d.conv.unwrap();
        let mut other = [c.key.vk.clone(), c.key.vk.clone()];
        other[0].dims.conv = None;
        other[1].dims.conv = Some(Taps { row_len: 5, ..taps });
        for vk in &other {
            assert!(!tiling_accepts(vk, &p));
        }
    }

    #[test]
    fn tiling_proofs_complete_and_sound() {
        for (i, d) in [dims(1, 7, 3), dims(3, 5, 4), dims(4, 1, 2), dims(5, 20, 10)]
            .into_iter()
            .enumerate()
        {
            let c = case(d, 40 + i as u64);
            let mut t = Transcript::new(b"tiling-test");
            let p = prove_tiling(srs(), &c.key, &mut t).unwrap();
            assert!(tiling_accepts(c.key.verifier_key(), &p), "{d:?}");
            for (k, bad) in p.tampered().iter().enumerate() {
                assert!(
                    !tiling_accepts(c.key.verifier_key(), bad),
                    "{d:?} tamper {k}"
                );
            }
            // Another key's columns.
            let other = case(d, 50 + i as u64);
            assert!(!tiling_accepts(other.key.verifier_key(), &p));
        }
    }

    /// The model owner makes the key: a column that is not W's column tiled (a different tile,
    /// or nonzero padding) is refused by the honest prover and rejected when a proof is forced.
    #[test]
    fn a_key_whose_columns_are_not_tiled_is_rejected() {
        #[derive(Clone)]
        struct Vacuous(usize);
        impl Constraints for Vacuous {
            fn columns(&self) -> usize {
                3
            }
            fn reads_next(&self, j: usize) -> bool {
                j == 0
            }
            fn degree(&self) -> usize {
                1
            }
            fn rotation(&self) -> usize {
                self.0
            }
            fn combine<V: Value>(&self, _row: &Row<'_, V>, _alpha: Fr) -> V {
                V::from(Fr::zero())
            }
        }
        let d = dims(3, 5, 2);
        for doctor in [7usize, 15 /* padding */] {
            let c = case(d, 60);
            let n = 1usize << c.key.log_n;
            // Column 0 with one entry changed, committed with the key's own mask.
            let mut key = c.key.clone();
            let mut values: Vec<i64> = (0..d.rows * d.inner)
                .map(|p| key.weights[(p % d.inner) * d.cols])
                .collect();
            values.resize(n, 0);
            values[doctor] += 1;
            let g1 = srs().g1_powers();
            let mut cm = pcs::commit_values(srs(), &values).unwrap().0.into_group();
            for (k, ck) in key.masks[0].iter().enumerate() {
                cm += (g1[n + k].into_group() - g1[k].into_group()) * ck;
            }
            key.vk.columns[0] = Commitment(cm.into_affine());
            // The honest prover cannot prove the real tiling against the doctored commitment.
            let mut t = Transcript::new(b"tiling-test");
            let honest = prove_tiling(srs(), &key, &mut t).unwrap();
            assert!(!tiling_accepts(&key.vk, &honest));
            // A forger commits the combination of the doctored columns and proves vacuous
            // constraints over exactly the columns the verifier reads.
            let mut t = Transcript::new(b"tiling-test");
            let (r, combined, tiling) = tiling_challenge(&mut t, &key.vk).unwrap();
            let (mut tv, _) = weight_column(&key, &r, &[]).unwrap();
            tv[doctor] += r[0];
            let dom = Radix2EvaluationDomain::<Fr>::new(n).unwrap();
            let mut coeffs = dom.ifft(&tv);
            let mut mask = [Fr::zero(); COLUMN_MASK];
            for (cj, rj) in key.masks.iter().zip(&r) {
                for (k, ck) in cj.iter().enumerate() {
                    mask[k] += *ck * rj;
                }
            }
            coeffs.resize(n + COLUMN_MASK, Fr::zero());
            for (k, m) in mask.iter().enumerate() {
                coeffs[k] -= m;
                coeffs[n + k] += m;
            }
            let t_poly = CommittedPoly {
                poly: DensePolynomial::from_coefficients_vec(coeffs),
                log_n: key.log_n,
                hiding: COLUMN_MASK,
            };
            assert_eq!(pcs::commit_poly(srs(), &t_poly.poly).unwrap(), combined);
            let forged = identity::prove(
                srs(),
                &Vacuous(tiling.period),
                &[&t_poly, &key.tiling[0], &key.tiling[1]],
                &[combined, key.vk.tiling[0], key.vk.tiling[1]],
                &mut t,
            )
            .unwrap();
            assert!(!tiling_accepts(&key.vk, &forged), "doctored entry {doctor}");
        }
    }

    #[test]
    fn relaxed_form_of_a_fresh_proof_accepts_iff_the_proof_does() {
        let c = case(dims(3, 5, 4), 13);
        let p = prove_case(&c, 14);
        let mut bad = p.clone();
        bad.delta_quotient =
            Commitment((bad.delta_quotient.0 + G1Affine::generator()).into_affine());
        for (proof, expect) in [(&p, true), (&bad, false)] {
            let mut t = Transcript::new(b"matmul-test");
            let mut batch = PairingBatch::recording();
            let vk = srs().verifier_key();
            let ok = verify(
                &vk,
                c.key.verifier_key(),
                c.x.commitment,
                c.y.commitment,
                proof,
                &mut t,
                &mut batch,
            )
            .is_ok();
            let relaxed = ok && batch.relaxed().iter().all(|e| e.holds());
            assert_eq!(relaxed, expect);
            assert_eq!(ok && batch.verify(), expect);
        }
    }

    #[test]
    fn reduce_weights_sum_the_middle_axis() {
        // [outer=2, len=3, inner=2] summed over len.
        let (d, w) = reduce_weights(3, 2);
        let x: Vec<i64> = (1..=12).collect();
        let d = Dims { rows: 2, ..d };
        let y = matmul_values(d, &x, &w).unwrap();
        assert_eq!(y, vec![1 + 3 + 5, 2 + 4 + 6, 7 + 9 + 11, 8 + 10 + 12]);
        let c = {
            let mut r = ChaCha20Rng::seed_from_u64(3);
            let key = MatMulKey::new(srs(), d, w, &mut r).unwrap();
            let n = 1usize << key.log_n;
            let (mut xv, mut yv) = (x.clone(), y.clone());
            xv.resize(n, 0);
            yv.resize(n, 0);
            Case {
                x: Committed::new(srs(), &xv, 2, &mut r).unwrap(),
                y: Committed::new(srs(), &yv, 2, &mut r).unwrap(),
                key,
            }
        };
        let p = prove_case(&c, 4);
        assert!(accepts(&c, c.x.commitment, c.y.commitment, &p));
    }

    #[test]
    fn the_weight_opening_is_fresh_in_every_proof() {
        // Two proofs of the same statement reveal different w'(ζ) (ζ differs too, but even the
        // combination the verifier sees is re-randomised by δ).
        let c = case(dims(1, 6, 3), 17);
        let (p1, p2) = (prove_case(&c, 1), prove_case(&c, 2));
        assert_ne!(p1.delta, p2.delta);
        assert_ne!(p1.identity.opening.values[W], p2.identity.opening.values[W]);
    }
}
