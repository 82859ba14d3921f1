//! KZG polynomial commitments over BN254 (in progress).

pub mod msm;

use ark_bn254::{G1Affine, G2Affine};

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
