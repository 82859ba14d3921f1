//! Structured reference strings: powers of a secret τ in G1 and G2.
//!
//! An SRS of **power p** holds `[τ^i]₁` for `0 ≤ i ≤ 2^(p+1) − 2` and `[τ^i]₂` for
//! `0 ≤ i < 2^p` — the same shape as a snarkjs `.ptau` file of that power — so it supports
//! evaluation domains of up to `2^p` points with room for masking and for quotient polynomials of
//! twice that degree. It also provides the **Lagrange basis** `[L_i(τ)]₁` of every domain of size
//! `2^k ≤ 2^p` (ark-poly's `Radix2EvaluationDomain`, generator ω of order 2^k), which is what
//! commitments to tensors given by their values use.
//!
//! Three sources:
//! - [`Srs::local`]: a fresh τ from the operating system's RNG, zeroized after use. A proof on a
//!   local SRS convinces only those who trust the machine that made it.
//! - [`ptau::import`]: a public powers-of-tau ceremony file, validated point by point and by a
//!   randomized pairing check.
//! - [`Srs::insecure_for_tests`]: τ derived from a seed. **Test-only**: anyone can recompute τ.
//!
//! The SRS **digest** is BLAKE2b-512 (truncated to 32 bytes) over its power and every G1 and G2
//! power in compressed form; it names the SRS in caches and verifying keys.

pub mod anchor;
pub mod ptau;
pub mod store;
pub(crate) mod subgroup;

use crate::error::{Error, Result};
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::scalar_mul::ScalarMul;
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{One, UniformRand, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_serialize::CanonicalSerialize;
use blake2::{Blake2b512, Digest};
use rand::{CryptoRng, Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use zeroize::Zeroize;

/// Largest power this implementation will create or import (BN254's 2-adicity is 28).
pub const MAX_POWER: u32 = 27;

/// Largest power of a local setup: power 24 already means 2^25 G1 powers plus as many Lagrange
/// points and 2^24 G2 powers, about 5 GiB in memory while it is made.
pub const MAX_LOCAL_POWER: u32 = 24;

/// Smallest power: `[τ]₂` (the second G2 power) is needed by every opening check.
pub const MIN_POWER: u32 = 1;

/// Where an SRS came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SrsSource {
    /// Made on this machine from OS randomness; the trapdoor was discarded.
    Local,
    /// Imported from a powers-of-tau ceremony file.
    Ptau {
        /// BLAKE2b-512 of the file, hex.
        file_blake2b: String,
        /// The power of the file (before trimming).
        file_power: u32,
        /// The ceremony's power as the file's header states it.
        ceremony_power: u32,
    },
    /// Derived from a public seed. Insecure: for tests and benchmarks only.
    InsecureTestOnly {
        /// The seed τ was derived from.
        seed: u64,
    },
}

impl std::fmt::Display for SrsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SrsSource::Local => write!(
                f,
                "local (made on this machine; convinces only those who trust it)"
            ),
            SrsSource::Ptau {
                file_blake2b,
                file_power,
                ceremony_power,
            } => write!(
                f,
                "ptau ceremony file (power {file_power}, ceremony power {ceremony_power}, blake2b {}…)",
                file_blake2b.chars().take(16).collect::<String>()
            ),
            SrsSource::InsecureTestOnly { seed } => {
                write!(f, "INSECURE test-only SRS from public seed {seed}")
            }
        }
    }
}

/// A structured reference string (see the module docs).
pub struct Srs {
    power: u32,
    g1: Vec<G1Affine>,
    g2: Vec<G2Affine>,
    source: SrsSource,
    digest: [u8; 32],
    lagrange: RwLock<BTreeMap<u32, Arc<Vec<G1Affine>>>>,
}

impl std::fmt::Debug for Srs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Srs")
            .field("power", &self.power)
            .field("digest", &hex::encode(self.digest))
            .field("source", &self.source)
            .finish()
    }
}

/// Number of G1 powers in an SRS of power `p`.
pub const fn g1_len(power: u32) -> usize {
    (1usize << (power + 1)) - 1
}

/// Number of G2 powers in an SRS of power `p`.
pub const fn g2_len(power: u32) -> usize {
    1usize << power
}

impl Srs {
    /// Assembles an SRS from powers that the caller has already validated (on the curve, in the
    /// subgroup, consistent powers of one τ). `lagrange` may carry validated Lagrange bases.
    pub(crate) fn from_validated_parts(
        power: u32,
        g1: Vec<G1Affine>,
        g2: Vec<G2Affine>,
        source: SrsSource,
        lagrange: BTreeMap<u32, Arc<Vec<G1Affine>>>,
    ) -> Result<Self> {
        if !(MIN_POWER..=MAX_POWER).contains(&power) {
            return Err(Error::InvalidArgument(format!(
                "SRS power {power} is outside the supported range {MIN_POWER}..={MAX_POWER}"
            )));
        }
        if g1.len() != g1_len(power) || g2.len() != g2_len(power) {
            return Err(Error::InvalidArgument(format!(
                "an SRS of power {power} needs {} G1 and {} G2 powers, got {} and {}",
                g1_len(power),
                g2_len(power),
                g1.len(),
                g2.len()
            )));
        }
        let digest = digest_of(power, &g1, &g2);
        Ok(Srs {
            power,
            g1,
            g2,
            source,
            digest,
            lagrange: RwLock::new(lagrange),
        })
    }

    /// A fresh local SRS of the given power. τ is drawn directly from the OS RNG (no seeded
    /// generator whose state could reveal it) and every scalar derived from it is zeroized
    /// before returning.
    pub fn local(power: u32) -> Result<Self> {
        if power > MAX_LOCAL_POWER {
            return Err(Error::InvalidArgument(format!(
                "a local SRS of power {power} would need more memory than this tool allows \
                 (maximum power {MAX_LOCAL_POWER}); import a ceremony file trimmed with \
                 --max-power instead"
            )));
        }
        Self::from_secret_rng(power, SrsSource::Local, &mut rand::rngs::OsRng)
    }

    /// An SRS whose τ is derived from `seed`. **Insecure: anyone can recompute τ.** For tests and
    /// benchmarks only; its source says so wherever it is printed.
    pub fn insecure_for_tests(power: u32, seed: u64) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        Self::from_secret_rng(power, SrsSource::InsecureTestOnly { seed }, &mut rng)
            .expect("test SRS power within limits")
    }

    fn from_secret_rng<R: RngCore + CryptoRng>(
        power: u32,
        source: SrsSource,
        rng: &mut R,
    ) -> Result<Self> {
        if !(MIN_POWER..=MAX_POWER).contains(&power) {
            return Err(Error::InvalidArgument(format!(
                "SRS power {power} is outside the supported range {MIN_POWER}..={MAX_POWER}"
            )));
        }
        let mut tau = Fr::rand(rng);
        while tau.is_zero() {
            tau = Fr::rand(rng);
        }
        let mut powers = Vec::with_capacity(g1_len(power));
        let mut cur = Fr::one();
        for _ in 0..g1_len(power) {
            powers.push(cur);
            cur *= tau;
        }
        let g1 = G1Projective::generator().batch_mul(&powers);
        let g2 = G2Projective::generator().batch_mul(&powers[..g2_len(power)]);
        let mut lagrange = BTreeMap::new();
        for log_n in 0..=power {
            let mut scalars = lagrange_coefficients_at(log_n, tau);
            lagrange.insert(
                log_n,
                Arc::new(G1Projective::generator().batch_mul(&scalars)),
            );
            scalars.zeroize();
        }
        tau.zeroize();
        cur.zeroize();
        powers.zeroize();
        Self::from_validated_parts(power, g1, g2, source, lagrange)
    }

    /// The power p (domains up to 2^p points).
    pub fn power(&self) -> u32 {
        self.power
    }

    /// `[τ^i]₁` for `0 ≤ i < 2^(p+1) − 1`.
    pub fn g1_powers(&self) -> &[G1Affine] {
        &self.g1
    }

    /// `[τ^i]₂` for `0 ≤ i < 2^p`.
    pub fn g2_powers(&self) -> &[G2Affine] {
        &self.g2
    }

    /// Where the SRS came from.
    pub fn source(&self) -> &SrsSource {
        &self.source
    }

    /// The SRS digest (see the module docs).
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// The SRS digest in hex.
    pub fn digest_hex(&self) -> String {
        hex::encode(self.digest)
    }

    /// The largest degree a committed polynomial may have.
    pub fn max_degree(&self) -> usize {
        self.g1.len() - 1
    }

    /// The same SRS cut down to a smaller power (a prefix of the same powers, so any SRS of a
    /// ceremony can serve a smaller need).
    pub fn trim(&self, power: u32) -> Result<Self> {
        if power > self.power {
            return Err(Error::SrsTooSmall {
                what: "trimming",
                needed: g2_len(power),
                available: g2_len(self.power),
            });
        }
        let lagrange = self
            .lagrange_cached()
            .into_iter()
            .filter(|(k, _)| *k <= power)
            .collect();
        Self::from_validated_parts(
            power,
            self.g1[..g1_len(power)].to_vec(),
            self.g2[..g2_len(power)].to_vec(),
            self.source.clone(),
            lagrange,
        )
    }

    /// The Lagrange bases computed so far, by log size.
    pub fn lagrange_cached(&self) -> BTreeMap<u32, Arc<Vec<G1Affine>>> {
        self.lagrange
            .read()
            .map(|m| m.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// `[L_i(τ)]₁` for the domain of size `2^log_n`: taken from the cache, or derived from the
    /// monomial powers by an inverse FFT in G1 and cached.
    pub fn lagrange(&self, log_n: u32) -> Result<Arc<Vec<G1Affine>>> {
        if log_n > self.power {
            return Err(Error::SrsTooSmall {
                what: "Lagrange basis",
                needed: 1 << log_n,
                available: 1 << self.power,
            });
        }
        let cached = self
            .lagrange
            .read()
            .map(|m| m.get(&log_n).cloned())
            .unwrap_or_else(|e| e.into_inner().get(&log_n).cloned());
        if let Some(l) = cached {
            return Ok(l);
        }
        let basis = Arc::new(lagrange_by_fft(&self.g1[..1 << log_n]));
        let mut map = self.lagrange.write().unwrap_or_else(|e| e.into_inner());
        Ok(map.entry(log_n).or_insert(basis).clone())
    }

    /// The verifier's part: `[1]₁`, `[1]₂`, `[τ]₂`.
    pub fn verifier_key(&self) -> crate::pcs::VerifierKey {
        crate::pcs::VerifierKey {
            g: self.g1[0],
            h: self.g2[0],
            tau_h: self.g2[1],
        }
    }
}

fn digest_of(power: u32, g1: &[G1Affine], g2: &[G2Affine]) -> [u8; 32] {
    let mut h = Blake2b512::new();
    h.update(b"zktorch/srs/v1");
    h.update(power.to_le_bytes());
    let mut buf = Vec::with_capacity(64 * 1024);
    for chunk in g1.chunks(1024) {
        buf.clear();
        for p in chunk {
            p.serialize_compressed(&mut buf).expect("Vec write");
        }
        h.update(&buf);
    }
    for chunk in g2.chunks(512) {
        buf.clear();
        for p in chunk {
            p.serialize_compressed(&mut buf).expect("Vec write");
        }
        h.update(&buf);
    }
    let out = h.finalize();
    let mut d = [0u8; 32];
    d.copy_from_slice(&out[..32]);
    d
}

/// `L_i(τ)` for the domain of size `2^log_n`:
/// `L_i(τ) = ω^i (τ^n − 1) / (n (τ − ω^i))` (or the indicator when τ is in the domain).
fn lagrange_coefficients_at(log_n: u32, tau: Fr) -> Vec<Fr> {
    let n = 1usize << log_n;
    let domain = Radix2EvaluationDomain::<Fr>::new(n).expect("2-adicity covers MAX_POWER");
    domain.evaluate_all_lagrange_coefficients(tau)
}

/// `[L_i(τ)]₁ = (1/n) Σ_j ω^(−ij) [τ^j]₁`: the inverse FFT, over G1, of the first n powers.
pub fn lagrange_by_fft(powers: &[G1Affine]) -> Vec<G1Affine> {
    let n = powers.len();
    let domain = Radix2EvaluationDomain::<Fr>::new(n).expect("power-of-two size within 2-adicity");
    let mut points: Vec<G1Projective> = powers.iter().map(|p| p.into_group()).collect();
    domain.ifft_in_place(&mut points);
    G1Projective::normalize_batch(&points)
}

/// Randomized check that `lagrange` is the Lagrange basis of the first `lagrange.len()` powers:
/// for random values v, `Σ v_i [L_i(τ)]₁ = Σ c_j [τ^j]₁` where c = IFFT(v). A wrong basis passes
/// with probability at most 1/r.
pub fn lagrange_matches_powers<R: RngCore>(
    powers: &[G1Affine],
    lagrange: &[G1Affine],
    rng: &mut R,
) -> bool {
    let n = lagrange.len();
    if !n.is_power_of_two() || powers.len() < n {
        return false;
    }
    let Some(domain) = Radix2EvaluationDomain::<Fr>::new(n) else {
        return false;
    };
    let values: Vec<Fr> = (0..n).map(|_| Fr::rand(rng)).collect();
    let coeffs = domain.ifft(&values);
    let lhs = G1Projective::msm_unchecked(lagrange, &values);
    let rhs = G1Projective::msm_unchecked(&powers[..n], &coeffs);
    lhs == rhs
}

/// Which consistency check of the powers failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowersInconsistency {
    /// `[τ^0]₁` is not the standard generator.
    G1Generator,
    /// `[τ^0]₂` is not the standard generator.
    G2Generator,
    /// τ = 0.
    ZeroTau,
    /// Some `[τ^(i+1)]₁ ≠ τ·[τ^i]₁`.
    G1Powers,
    /// Some `[τ^(i+1)]₂ ≠ τ·[τ^i]₂`.
    G2Powers,
}

impl std::fmt::Display for PowersInconsistency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PowersInconsistency::G1Generator => "the first G1 power is not the generator",
            PowersInconsistency::G2Generator => "the first G2 power is not the generator",
            PowersInconsistency::ZeroTau => "τ is zero (the second G1 power is the identity)",
            PowersInconsistency::G1Powers => {
                "consecutive G1 powers are not powers of one τ (randomized pairing check failed)"
            }
            PowersInconsistency::G2Powers => {
                "consecutive G2 powers are not powers of one τ (randomized pairing check failed)"
            }
        })
    }
}

/// Checks that `g1 = ([τ^i]₁)` and `g2 = ([τ^i]₂)` are consecutive powers of one τ ≠ 0, with
/// random ρ_i, σ_j:
///
/// `e(Σ ρ_i g1[i], g2[1]) = e(Σ ρ_i g1[i+1], g2[0])` and
/// `e(g1[1], Σ σ_j g2[j]) = e(g1[0], Σ σ_j g2[j+1])`.
///
/// If any power is off, the failing equation passes with probability at most 2^-128 over the
/// 128-bit coefficients ρ (resp. σ), which come from the caller's RNG after the file is fixed.
/// Points must already be on the curve and in the subgroup.
pub fn check_powers_consistent<R: RngCore>(
    g1: &[G1Affine],
    g2: &[G2Affine],
    rng: &mut R,
) -> std::result::Result<(), PowersInconsistency> {
    if g1.len() < 2 || g2.len() < 2 {
        return Err(PowersInconsistency::ZeroTau);
    }
    if g1[0] != G1Affine::generator() {
        return Err(PowersInconsistency::G1Generator);
    }
    if g2[0] != G2Affine::generator() {
        return Err(PowersInconsistency::G2Generator);
    }
    if g1[1].is_zero() || g2[1].is_zero() {
        return Err(PowersInconsistency::ZeroTau);
    }
    // 128-bit random coefficients are enough for a 2^-128 error and halve the MSM cost.
    let rho: Vec<Fr> = (0..g1.len() - 1)
        .map(|_| Fr::from(rng.gen::<u128>()))
        .collect();
    let a = G1Projective::msm_unchecked(&g1[..g1.len() - 1], &rho);
    let b = G1Projective::msm_unchecked(&g1[1..], &rho);
    let ok = Bn254::multi_pairing([a, -b], [g2[1], g2[0]]).is_zero();
    if !ok {
        return Err(PowersInconsistency::G1Powers);
    }
    let sigma: Vec<Fr> = (0..g2.len() - 1)
        .map(|_| Fr::from(rng.gen::<u128>()))
        .collect();
    let c = G2Projective::msm_unchecked(&g2[..g2.len() - 1], &sigma);
    let d = G2Projective::msm_unchecked(&g2[1..], &sigma);
    let ok = Bn254::multi_pairing([g1[1], -g1[0]], [c, d]).is_zero();
    if !ok {
        return Err(PowersInconsistency::G2Powers);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_srs_has_the_ptau_shape_and_consistent_powers() {
        let srs = Srs::insecure_for_tests(4, 1);
        assert_eq!(srs.g1_powers().len(), 31);
        assert_eq!(srs.g2_powers().len(), 16);
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        check_powers_consistent(srs.g1_powers(), srs.g2_powers(), &mut rng).unwrap();
    }

    #[test]
    fn lagrange_from_tau_equals_lagrange_by_fft() {
        let srs = Srs::insecure_for_tests(5, 2);
        for log_n in 0..=5 {
            let direct = srs.lagrange(log_n).unwrap();
            let fft = lagrange_by_fft(&srs.g1_powers()[..1 << log_n]);
            assert_eq!(*direct, fft, "log_n = {log_n}");
        }
    }

    #[test]
    fn lagrange_check_rejects_a_wrong_basis() {
        let srs = Srs::insecure_for_tests(4, 3);
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut basis = (*srs.lagrange(3).unwrap()).clone();
        assert!(lagrange_matches_powers(srs.g1_powers(), &basis, &mut rng));
        basis.swap(1, 2);
        assert!(!lagrange_matches_powers(srs.g1_powers(), &basis, &mut rng));
    }

    #[test]
    fn consistency_check_names_what_is_wrong() {
        let srs = Srs::insecure_for_tests(3, 4);
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut g1 = srs.g1_powers().to_vec();
        g1[5] = (g1[5] + g1[5]).into_affine();
        assert_eq!(
            check_powers_consistent(&g1, srs.g2_powers(), &mut rng),
            Err(PowersInconsistency::G1Powers)
        );
        let mut g2 = srs.g2_powers().to_vec();
        g2[3] = (g2[3] + g2[3]).into_affine();
        assert_eq!(
            check_powers_consistent(srs.g1_powers(), &g2, &mut rng),
            Err(PowersInconsistency::G2Powers)
        );
        let mut g1 = srs.g1_powers().to_vec();
        g1[0] = g1[1];
        assert_eq!(
            check_powers_consistent(&g1, srs.g2_powers(), &mut rng),
            Err(PowersInconsistency::G1Generator)
        );
    }

    #[test]
    fn power_zero_and_oversized_local_setups_are_refused() {
        assert!(Srs::local(0).is_err());
        let err = Srs::local(MAX_LOCAL_POWER + 1).unwrap_err().to_string();
        assert!(err.contains("maximum power"), "{err}");
        let srs = Srs::insecure_for_tests(2, 6);
        assert!(srs.trim(0).is_err());
        assert_eq!(
            srs.trim(1).unwrap().verifier_key().tau_h,
            srs.g2_powers()[1]
        );
    }

    #[test]
    fn trim_keeps_a_prefix_and_changes_the_digest() {
        let srs = Srs::insecure_for_tests(4, 5);
        let small = srs.trim(2).unwrap();
        assert_eq!(small.g1_powers(), &srs.g1_powers()[..7]);
        assert_eq!(small.g2_powers(), &srs.g2_powers()[..4]);
        assert_ne!(small.digest(), srs.digest());
        assert!(srs.trim(5).is_err());
    }
}
