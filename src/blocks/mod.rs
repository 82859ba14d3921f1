//! Basic blocks: relations over committed tensors, each with its own KZG-based protocol.
//!
//! Every block with a proof is phrased as constraints that vanish on the subgroup H and proved
//! by the shared [`identity`] engine, so no block needs a degree bound (see the engine's docs and
//! docs/PROTOCOLS.md). Blocks present so far:
//!
//! - [`linear`]: add, subtract, multiply by a public constant — no proof, checked by the verifier
//!   on commitments (homomorphism);
//! - [`hadamard`]: `c = a ∘ b`;
//! - [`sum`]: `s = Σ_i f_i` through a running-sum column;
//! - [`copy`]: copy / permutation with public wiring (reshape, transpose, slice, concat, pad,
//!   im2col) by PLONK's permutation argument;
//! - [`lookup`]: every entry (or pair) of committed tensors is a row of a public table (ReLU and
//!   other non-linearities, rescales, range checks), logUp on one domain;
//! - [`matmul`]: `Y = X·W` for a constant matrix W (and reductions along an axis, with a 0/1 W);
//! - [`matprod`]: `C = A·B` for two committed matrices (Freivalds with committed `Aᵀs`, `B·r`);
//! - [`max`]: `m_k = max` of each group of a tensor (pooling, ReduceMax): broadcast copy, range
//!   lookup on the differences, zero product per group;
//! - [`division`]: `a = d·q + r`, `0 ≤ r < d` for a public d, as linear + two range lookups.
//!
//! The relaxed (foldable) form of the engine's check is described in docs/PROTOCOLS.md.

pub mod binding;
pub mod copy;
pub mod division;
pub mod hadamard;
pub mod identity;
pub mod linear;
pub mod lookup;
pub mod matmul;
pub mod matprod;
pub mod max;
pub mod sum;

use crate::pcs::{Commitment, CommittedPoly};

/// A block key's commitments in the order a verifying key stores them, each with its
/// polynomial when the column is public (`None` for a private one: a layer's weights). A key
/// check opens every public one at a random point.
pub trait KeyColumns {
    /// The commitments and public polynomials.
    fn key_columns(&self) -> Vec<(Commitment, Option<&CommittedPoly>)>;
}

fn zip_public<'a>(
    commitments: &[Commitment],
    polys: &'a [CommittedPoly],
) -> Vec<(Commitment, Option<&'a CommittedPoly>)> {
    commitments
        .iter()
        .copied()
        .zip(polys.iter().map(Some))
        .collect()
}

impl KeyColumns for lookup::LookupKey {
    fn key_columns(&self) -> Vec<(Commitment, Option<&CommittedPoly>)> {
        zip_public(&self.commitments, &self.public)
    }
}

impl KeyColumns for copy::CopyKey {
    fn key_columns(&self) -> Vec<(Commitment, Option<&CommittedPoly>)> {
        zip_public(&self.commitments, &self.public)
    }
}

impl KeyColumns for division::DivisionKey {
    fn key_columns(&self) -> Vec<(Commitment, Option<&CommittedPoly>)> {
        let mut v = self.remainder.key_columns();
        v.extend(self.quotient.key_columns());
        if let Some(h) = &self.high {
            v.extend(h.lookup.key_columns());
        }
        v
    }
}

/// A committed tensor as the prover holds it: values, masked polynomial, commitment.
#[derive(Clone, Debug)]
pub struct Committed {
    /// The values on H (zero-padded to the domain size).
    pub values: Vec<i64>,
    /// The masked polynomial.
    pub poly: CommittedPoly,
    /// Its commitment.
    pub commitment: Commitment,
}

impl Committed {
    /// Commits to `values` with a mask of `hiding_bound` coefficients (one more than the number
    /// of points the polynomial will be opened at outside H).
    pub fn new<R: rand::RngCore + rand::CryptoRng>(
        srs: &crate::srs::Srs,
        values: &[i64],
        hiding_bound: usize,
        rng: &mut R,
    ) -> crate::Result<Self> {
        let (commitment, poly) = crate::pcs::commit_values_hiding(srs, values, hiding_bound, rng)?;
        let mut values = values.to_vec();
        values.resize(1 << poly.log_n, 0);
        Ok(Committed {
            values,
            poly,
            commitment,
        })
    }
}

impl Committed {
    /// The same values under a fresh mask: `f + δ·Z_H` with δ of `coefficients` random
    /// coefficients, its commitment `C + Δ`, and `Δ = [δ(τ)·Z_H(τ)]₁`, `Π = [δ(τ)]₁` — what a
    /// verifier needs to check `e(Δ, [1]₂) = e(Π, [Z_H(τ)]₂)` (so Δ vanishes on H and the
    /// values are unchanged). A constant committed once at setup and opened by every proof is
    /// re-randomised this way in every proof, so no number of proofs reveals it.
    pub fn rerandomized<R: rand::RngCore + rand::CryptoRng>(
        &self,
        srs: &crate::srs::Srs,
        coefficients: usize,
        rng: &mut R,
    ) -> crate::Result<(Committed, Commitment, Commitment)> {
        use ark_ec::{AffineRepr, CurveGroup};
        use ark_ff::UniformRand;
        let n = 1usize << self.poly.log_n;
        let g1 = srs.g1_powers();
        if g1.len() < n + coefficients {
            return Err(crate::Error::SrsTooSmall {
                what: "re-randomising a commitment",
                needed: n + coefficients,
                available: g1.len(),
            });
        }
        let delta: Vec<ark_bn254::Fr> = (0..coefficients)
            .map(|_| ark_bn254::Fr::rand(rng))
            .collect();
        let mut coeffs = self.poly.poly.coeffs.clone();
        coeffs.resize(
            coeffs.len().max(n + coefficients),
            ark_bn254::Fr::from(0u64),
        );
        let (mut big_delta, mut pi) = (
            ark_bn254::G1Projective::default(),
            ark_bn254::G1Projective::default(),
        );
        for (j, d) in delta.iter().enumerate() {
            coeffs[j] -= d;
            coeffs[n + j] += d;
            pi += g1[j] * d;
            big_delta += (g1[n + j].into_group() - g1[j].into_group()) * d;
        }
        let big_delta = Commitment(big_delta.into_affine());
        let commitment = Commitment((self.commitment.0.into_group() + big_delta.0).into_affine());
        let mut poly = self.poly.clone();
        poly.poly =
            <ark_poly::univariate::DensePolynomial<ark_bn254::Fr> as ark_poly::DenseUVPolynomial<
                _,
            >>::from_coefficients_vec(coeffs);
        poly.hiding = poly.hiding.max(coefficients);
        Ok((
            Committed {
                values: self.values.clone(),
                poly,
                commitment,
            },
            big_delta,
            Commitment(pi.into_affine()),
        ))
    }
}

/// The SRS the blocks' unit tests share (insecure: τ from a public seed).
#[cfg(test)]
pub(crate) fn test_srs() -> &'static crate::srs::Srs {
    static SRS: std::sync::OnceLock<crate::srs::Srs> = std::sync::OnceLock::new();
    SRS.get_or_init(|| crate::srs::Srs::insecure_for_tests(9, 21))
}
