//! Mira-style accumulation of the relaxed pairing equations of a whole proof.
//!
//! Every block verifier leaves pairing equations behind (KZG opening claims, the matrix-product
//! block's `Δ = Π·Z_H` check); [`crate::pcs::PairingBatch::recording`] keeps them as
//! [`RelaxedEquation`]s. A **class** is the list of G2 elements an equation pairs against (all
//! KZG claims share `([1]₂, [τ]₂)`). Within a class:
//!
//! - a fresh equation is the relaxed instance `(A, μ = 1, E = 0)`;
//! - two instances fold with a challenge γ into `(A + γA', μ + γμ', E + γT + γ²E')`, the cross
//!   term T absorbed before γ is drawn (here T = 0: the equations are linear in G1, see
//!   [`crate::pcs::relaxed`]), so each fold costs group additions and scalar multiplications, no
//!   pairing;
//! - all instances of a class fold as a **balanced binary tree**: level by level, the pairs of a
//!   level folded in parallel (rayon); [`fold_sequential`] is the left fold, for comparison;
//! - the folded instance of each class is the class's **decider**; the deciders of all classes
//!   are combined with independent random coefficients from the verifier's own RNG into one
//!   multi-pairing.
//!
//! **Soundness.** Each γ is a hash of the two instances it folds (and its place in the tree), so
//! it is fixed only after both are; if one input instance is unsatisfied, the folded instance is
//! satisfied for at most one γ (the relation is linear in γ once T = 0). A class's decider holds
//! iff every instance of the class holds, except with probability (instances)/r; the final
//! random combination adds 1/r per class.

use crate::pcs::RelaxedEquation;
use crate::transcript::Transcript;
use ark_bn254::{Bn254, Fr, G1Affine, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{UniformRand, Zero};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The folding challenge for two instances at a place in the tree: a hash of both (their
/// G1 elements, slack and error) and of the place, so it is fixed after both are.
pub fn fold_challenge(level: usize, index: usize, a: &RelaxedEquation, b: &RelaxedEquation) -> Fr {
    let mut t = Transcript::new(b"zktorch/accumulate/v1");
    t.append_u64(b"level", level as u64);
    t.append_u64(b"index", index as u64);
    for e in [a, b] {
        t.append_g1s(b"g1", &e.g1);
        t.append_scalar(b"mu", &e.mu);
        t.append_g1(b"error", &e.error);
    }
    // The cross term: identically zero for these relations, absorbed all the same.
    t.append_g1(b"cross", &a.cross_term(b));
    t.challenge_scalar(b"gamma")
}

/// Folds one class as a balanced binary tree, each level in parallel. `None` for an empty list
/// or instances of different classes.
pub fn fold_tree(mut level: Vec<RelaxedEquation>) -> Option<RelaxedEquation> {
    let mut depth = 0;
    while level.len() > 1 {
        let next: Option<Vec<RelaxedEquation>> = level
            .par_chunks(2)
            .enumerate()
            .map(|(i, pair)| match pair {
                [a, b] => a.fold(b, fold_challenge(depth, i, a, b)),
                [a] => Some(a.clone()),
                _ => None,
            })
            .collect();
        level = next?;
        depth += 1;
    }
    level.pop()
}

/// Folds one class left to right (the sequential baseline).
pub fn fold_sequential(instances: &[RelaxedEquation]) -> Option<RelaxedEquation> {
    let (first, rest) = instances.split_first()?;
    rest.iter()
        .enumerate()
        .try_fold(first.clone(), |acc, (i, e)| {
            acc.fold(e, fold_challenge(0, i, &acc, e))
        })
}

/// Groups equations by class (their G2 elements).
pub fn classes(equations: &[RelaxedEquation]) -> BTreeMap<Vec<[u8; 64]>, Vec<RelaxedEquation>> {
    let mut out: BTreeMap<Vec<[u8; 64]>, Vec<RelaxedEquation>> = BTreeMap::new();
    for e in equations {
        let key: Vec<[u8; 64]> = e.g2.iter().map(g2_key).collect();
        out.entry(key).or_default().push(e.clone());
    }
    out
}

fn g2_key(p: &G2Affine) -> [u8; 64] {
    use ark_serialize::CanonicalSerialize;
    let mut b = [0u8; 64];
    // A compressed G2 point is exactly 64 bytes.
    let _ = p.serialize_compressed(&mut b[..]);
    b
}

/// Folds every class as a tree and checks all deciders with one multi-pairing (each decider
/// weighted by an independent random coefficient from OS randomness). True iff all hold.
pub fn accumulate_and_decide(equations: &[RelaxedEquation]) -> bool {
    let mut rng = ChaCha20Rng::from_entropy();
    let mut g1: Vec<G1Affine> = Vec::new();
    let mut g2: Vec<G2Affine> = Vec::new();
    for (_, instances) in classes(equations) {
        let Some(decider) = fold_tree(instances) else {
            return false;
        };
        let rho = loop {
            let r = Fr::rand(&mut rng);
            if !r.is_zero() {
                break r;
            }
        };
        // (Π_k e(A_k, B_k) · e(−E, [1]₂))^ρ
        for (a, b) in decider.g1.iter().zip(&decider.g2) {
            g1.push((*a * rho).into_affine());
            g2.push(*b);
        }
        g1.push((-(decider.error.into_group() * rho)).into_affine());
        g2.push(G2Affine::generator());
    }
    Bn254::multi_pairing(g1, g2).is_zero()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::AffineRepr;

    /// A true KZG-shaped equation e(a·G, H)·e(−a·G, H) = 1 and a false one.
    fn equation(a: u64, ok: bool) -> RelaxedEquation {
        let g = G1Affine::generator();
        let h = G2Affine::generator();
        let x = (g * Fr::from(a)).into_affine();
        let y = (g * Fr::from(a + u64::from(!ok))).into_affine();
        RelaxedEquation::fresh(vec![x, (-y.into_group()).into_affine()], vec![h, h])
    }

    #[test]
    fn tree_and_sequential_folds_decide_the_same() {
        let good: Vec<_> = (1..=9).map(|a| equation(a, true)).collect();
        assert!(fold_tree(good.clone()).unwrap().holds());
        assert!(fold_sequential(&good).unwrap().holds());
        assert!(accumulate_and_decide(&good));
        for bad_at in [0, 4, 8] {
            let mut v = good.clone();
            v[bad_at] = equation(3, false);
            assert!(!fold_tree(v.clone()).unwrap().holds(), "tree, bad {bad_at}");
            assert!(!fold_sequential(&v).unwrap().holds(), "seq, bad {bad_at}");
            assert!(!accumulate_and_decide(&v));
        }
        assert!(fold_tree(Vec::new()).is_none());
    }
}
