//! The relaxed form of the pairing equations every block verifier produces (what Mira-style
//! accumulation folds).
//!
//! Every group-side check of a block is a pairing-product equation `Π_k e(A_k, B_k) = 1` whose
//! G2 elements `B_k` come from the verifying key (`[1]₂`, `[τ]₂`, `[Z_H(τ)]₂`) and whose G1
//! elements `A_k` are linear combinations of commitments and proof elements with scalars the
//! verifier knows (KZG openings: `A_1 = C − v·[1]₁ + z·π`, `A_2 = −π`).
//!
//! **Relaxed relation** (Mira, BC24, specialised to equations that are linear in G1): an
//! instance is `(A_1 … A_K, μ, E)` over fixed `B_1 … B_K`, and it is satisfied iff
//!
//! `Π_k e(A_k, B_k) = e(E, [1]₂)`.
//!
//! A fresh equation is the instance `(A, μ = 1, E = 0)`, satisfied iff the equation holds.
//! Folding two instances with a challenge γ gives `A_k = A_k + γ·A'_k`, `μ = μ + γ·μ'`,
//! `E = E + γ·T + γ²·E'`. Because each equation is *linear* in the G1 elements (degree 1, no
//! constant term), the cross term is `T = 0` and μ multiplies nothing: the folded instance is
//! satisfied iff both inputs are, except with probability 1/r over γ. Blocks therefore never
//! need to send cross terms; μ is kept so the accumulator has Mira's shape.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{Field, One, Zero};

/// One pairing-product equation in relaxed form: `Π_k e(g1_k, g2_k) = e(error, [1]₂)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelaxedEquation {
    /// The G1 side, one element per G2 element.
    pub g1: Vec<G1Affine>,
    /// The G2 side (from the verifying key).
    pub g2: Vec<G2Affine>,
    /// The slack μ (1 for a fresh equation).
    pub mu: Fr,
    /// The error term E (0 for a fresh equation).
    pub error: G1Affine,
}

impl RelaxedEquation {
    /// A fresh equation `Π_k e(g1_k, g2_k) = 1` as a relaxed instance (μ = 1, E = 0).
    pub fn fresh(g1: Vec<G1Affine>, g2: Vec<G2Affine>) -> Self {
        RelaxedEquation {
            g1,
            g2,
            mu: Fr::one(),
            error: G1Affine::zero(),
        }
    }

    /// The relaxed check: `Π_k e(g1_k, g2_k) · e(−E, [1]₂) = 1`.
    pub fn holds(&self) -> bool {
        if self.g1.len() != self.g2.len() {
            return false;
        }
        let mut a: Vec<G1Affine> = self.g1.clone();
        let mut b: Vec<G2Affine> = self.g2.clone();
        a.push((-self.error.into_group()).into_affine());
        b.push(G2Affine::generator());
        Bn254::multi_pairing(a, b).is_zero()
    }

    /// The cross term of folding `self` with `other`: identically 0 for equations linear in G1.
    pub fn cross_term(&self, _other: &Self) -> G1Affine {
        G1Affine::zero()
    }

    /// Folds `other` into `self` with challenge γ (`x + γ·x'`, `E + γ·T + γ²·E'`). Returns
    /// `None` if the two equations are not of the same class (different G2 elements).
    pub fn fold(&self, other: &Self, gamma: Fr) -> Option<Self> {
        if self.g2 != other.g2 || self.g1.len() != other.g1.len() {
            return None;
        }
        let t = self.cross_term(other);
        let g1: Vec<G1Projective> = self
            .g1
            .iter()
            .zip(&other.g1)
            .map(|(a, b)| a.into_group() + b.into_group() * gamma)
            .collect();
        let error = self.error.into_group() + t * gamma + other.error.into_group() * gamma.square();
        Some(RelaxedEquation {
            g1: G1Projective::normalize_batch(&g1),
            g2: self.g2.clone(),
            mu: self.mu + gamma * other.mu,
            error: error.into_affine(),
        })
    }
}
