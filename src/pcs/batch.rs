//! Batched pairing checks: many pairing-product equations, one multi-pairing.

use super::msm::msm_field;
use super::{RelaxedEquation, VerifierKey};
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::CurveGroup;
use ark_ff::{UniformRand, Zero};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// A set of pairing-product equations `Π_k e(A_k, B_k) = 1`, checked together.
///
/// Each equation added gets its own random coefficient ρ ≠ 0 drawn from the verifier's RNG
/// (never 1, never shared): the batch checks `Π_eq (Π_k e(A_k, B_k))^ρ_eq = 1`. Terms are grouped
/// by their G2 element, so the final check is one MSM per distinct G2 element and one
/// multi-pairing. If any single equation is false, the batch accepts with probability at most
/// 1/r over the coefficients, which the prover cannot predict: they are drawn after the proof is
/// fixed, from randomness the prover never sees.
pub struct PairingBatch {
    g2: Vec<G2Affine>,
    terms: Vec<Vec<(G1Affine, Fr)>>,
    equations: usize,
    rng: ChaCha20Rng,
    /// When recording, every equation added, in relaxed form (μ = 1, E = 0).
    recorded: Option<Vec<RelaxedEquation>>,
}

impl Default for PairingBatch {
    fn default() -> Self {
        Self::new()
    }
}

impl PairingBatch {
    /// An empty batch with coefficients from OS randomness.
    pub fn new() -> Self {
        Self::with_rng(ChaCha20Rng::from_entropy())
    }

    /// An empty batch with coefficients from the given RNG (tests use a seeded one; a verifier
    /// must use randomness the prover cannot predict).
    pub fn with_rng(rng: ChaCha20Rng) -> Self {
        PairingBatch {
            g2: Vec::new(),
            terms: Vec::new(),
            equations: 0,
            rng,
            recorded: None,
        }
    }

    /// An empty batch that also keeps every equation added in relaxed form, for accumulation and
    /// for tests of the relaxed relation ([`PairingBatch::relaxed`]).
    pub fn recording() -> Self {
        let mut b = Self::new();
        b.recorded = Some(Vec::new());
        b
    }

    /// The equations added so far as fresh relaxed instances (empty unless made by
    /// [`PairingBatch::recording`]).
    pub fn relaxed(&self) -> &[RelaxedEquation] {
        self.recorded.as_deref().unwrap_or(&[])
    }

    /// Number of equations added.
    pub fn len(&self) -> usize {
        self.equations
    }

    /// True when no equation has been added.
    pub fn is_empty(&self) -> bool {
        self.equations == 0
    }

    fn coefficient(&mut self) -> Fr {
        loop {
            let r = Fr::rand(&mut self.rng);
            if !r.is_zero() {
                return r;
            }
        }
    }

    fn push(&mut self, g1: G1Affine, scalar: Fr, g2: G2Affine) {
        let slot = match self.g2.iter().position(|h| *h == g2) {
            Some(i) => i,
            None => {
                self.g2.push(g2);
                self.terms.push(Vec::new());
                self.g2.len() - 1
            }
        };
        self.terms[slot].push((g1, scalar));
    }

    /// Adds `Π_k e(Σ_j s_kj·A_kj, B_k) = 1`, given as groups of scaled G1 terms per G2 element.
    pub fn add_equation(&mut self, groups: &[(&[(G1Affine, Fr)], G2Affine)]) {
        if let Some(recorded) = self.recorded.as_mut() {
            let g1: Vec<G1Projective> = groups
                .iter()
                .map(|(terms, _)| {
                    let (bases, scalars): (Vec<G1Affine>, Vec<Fr>) = terms.iter().copied().unzip();
                    msm_field(&bases, &scalars)
                })
                .collect();
            recorded.push(RelaxedEquation::fresh(
                G1Projective::normalize_batch(&g1),
                groups.iter().map(|(_, g2)| *g2).collect(),
            ));
        }
        let rho = self.coefficient();
        for (g1_terms, g2) in groups {
            for (a, s) in g1_terms.iter() {
                self.push(*a, rho * s, *g2);
            }
        }
        self.equations += 1;
    }

    /// Adds the KZG opening check of the combination `C = Σ s_j·C_j` at `point` with value
    /// `value` and witness `π`:
    ///
    /// `e(C − value·[1]₁ + point·π, [1]₂) · e(−π, [τ]₂) = 1`.
    pub fn add_opening(
        &mut self,
        vk: &VerifierKey,
        commitment_terms: &[(G1Affine, Fr)],
        point: Fr,
        value: Fr,
        witness: G1Affine,
    ) {
        let mut left: Vec<(G1Affine, Fr)> = commitment_terms.to_vec();
        left.push((vk.g, -value));
        left.push((witness, point));
        let right = [(witness, -Fr::from(1u64))];
        self.add_equation(&[(&left, vk.h), (&right, vk.tau_h)]);
    }

    /// Checks every equation added, with one multi-pairing. An empty batch is true.
    pub fn verify(self) -> bool {
        let mut g1 = Vec::with_capacity(self.g2.len());
        for terms in &self.terms {
            let (bases, scalars): (Vec<G1Affine>, Vec<Fr>) = terms.iter().copied().unzip();
            g1.push(msm_field(&bases, &scalars).into_affine());
        }
        Bn254::multi_pairing(g1, self.g2).is_zero()
    }
}
