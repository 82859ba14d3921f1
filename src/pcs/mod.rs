//! KZG polynomial commitments over BN254 (KZG10).
//!
//! # The scheme
//!
//! The SRS holds `[τ^i]₁` and `[τ^i]₂` for a secret τ (see [`crate::srs`]). A polynomial
//! `f(X) = Σ f_j X^j` is committed as `C = [f(τ)]₁ = Σ f_j [τ^j]₁`.
//!
//! **Values, not coefficients.** A tensor of n values (n a power of two, shorter tensors padded
//! with zeros) is the polynomial that takes those values on the subgroup
//! `H = {1, ω, …, ω^(n−1)}`: `f(X) = Σ v_i L_i(X)`. Its commitment is `Σ v_i [L_i(τ)]₁`, one MSM
//! against the Lagrange-basis SRS with the *values* as scalars. Quantized values are small signed
//! integers, so [`msm::msm_small`] does this without widening them to 254-bit scalars.
//!
//! **Hiding.** For zero knowledge a committed vector is masked by a random multiple of the
//! vanishing polynomial `Z_H(X) = X^n − 1`: `f'(X) = f(X) + r(X)·Z_H(X)` with `deg r < b`. `f'`
//! agrees with f on H (so every relation checked on H still holds), and the commitment together
//! with any b − 1 evaluations of f' outside H is uniformly random, independent of the values: a
//! polynomial opened at b' points is masked with b' + 1 coefficients. Its commitment adds
//! `Σ_j r_j ([τ^(n+j)]₁ − [τ^j]₁)`: no hiding generator is needed (so none can be a power of τ).
//!
//! **Opening** at a point z: the prover sends `y = f(z)` and `π = [q(τ)]₁` with
//! `q(X) = (f(X) − y)/(X − z)`; the verifier checks
//!
//! `e(C − y·[1]₁ + z·π, [1]₂) = e(π, [τ]₂)`,
//!
//! which is `f(τ) − y = q(τ)(τ − z)` in the exponent. Binding rests on q-SDH: a prover who can open
//! C to two values at z can compute `[1/(τ − z)]₁`.
//!
//! **Batch opening** (GWC, (GWC19) §3): many polynomials at several points. For each distinct
//! point z, the polynomials opened there are combined with powers of one transcript challenge ν
//! (drawn after every commitment, point and claimed value is absorbed): one witness
//! `W_z = [Σ_i ν^i (f_i(X) − y_i)/(X − z)]₁` per point. The verifier's check for z is the single
//! opening check of `Σ ν^i C_i` at z against `Σ ν^i y_i`.
//!
//! **Batch verification.** All pairing equations of a proof are collected in a
//! [`PairingBatch`]; each equation is multiplied by an independent random coefficient from the
//! verifier's own RNG and the whole batch costs one multi-pairing with one Miller loop per
//! distinct G2 element (two for any number of KZG openings). If any one equation is false, the
//! combination is false except with probability 1/r.
//!
//! KZG10: Kate, Zaverucha, Goldberg, "Constant-size commitments to polynomials and their
//! applications", ASIACRYPT 2010.
//! GWC19: Gabizon, Williamson, Ciobotaru, "PLONK", ePrint 2019/953.

mod batch;
mod kzg;
pub mod memo;
pub mod msm;
pub mod relaxed;

pub use batch::PairingBatch;
pub use kzg::*;
pub use relaxed::RelaxedEquation;

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_poly::univariate::DensePolynomial;

/// What a verifier needs of the SRS: `[1]₁`, `[1]₂`, `[τ]₂`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    /// `[1]₁`.
    pub g: G1Affine,
    /// `[1]₂`.
    pub h: G2Affine,
    /// `[τ]₂`.
    pub tau_h: G2Affine,
}

/// A commitment `[f(τ)]₁`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Commitment(pub G1Affine);

/// A single opening proof `π = [q(τ)]₁`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpeningProof(pub G1Affine);

/// A committed polynomial as the prover keeps it: its coefficients (including any mask), the
/// size of the domain its values live on, and how many mask coefficients it carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommittedPoly {
    /// Coefficients of `f'(X) = f(X) + r(X)·Z_H(X)`.
    pub poly: DensePolynomial<Fr>,
    /// log2 of the domain size n.
    pub log_n: u32,
    /// Number of random mask coefficients (0 for a public, unmasked polynomial). A masked
    /// polynomial may be opened at no more than `hiding − 1` points: [`batch_open`] refuses more.
    pub hiding: usize,
}

/// One claim of a batch opening: polynomial number `poly` evaluates at `point`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    /// Index into the list of polynomials / commitments.
    pub poly: usize,
    /// The evaluation point.
    pub point: Fr,
}

/// A GWC batch opening: the claimed value of every query, and one witness per distinct point
/// (in order of first appearance among the queries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchOpening {
    /// `values[k] = f_{queries[k].poly}(queries[k].point)`.
    pub values: Vec<Fr>,
    /// One `W_z` per distinct point.
    pub witnesses: Vec<G1Affine>,
}
