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

/// The SRS the blocks' unit tests share (insecure: τ from a public seed).
#[cfg(test)]
pub(crate) fn test_srs() -> &'static crate::srs::Srs {
    static SRS: std::sync::OnceLock<crate::srs::Srs> = std::sync::OnceLock::new();
    SRS.get_or_init(|| crate::srs::Srs::insecure_for_tests(9, 21))
}
