//! Batched prime-order-subgroup check for G2 points.
//!
//! BN254's G1 has cofactor 1 (on the curve = in the group), but the twist E'(Fq2) carrying G2 has
//! a large cofactor, so every G2 point read from a file must be checked. One exact check is a
//! ~127-bit scalar multiplication (~190 µs here); [`first_outside_g2`] checks thousands of points
//! for the price of a few small-coefficient combinations.

use ark_bn254::{G2Affine, G2Projective};
use ark_ec::CurveGroup;
use ark_ff::Zero;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

/// Security of the batched G2 subgroup check, in bits; see [`first_outside_g2`].
const SUBGROUP_CHECK_BITS: u32 = 128;

/// Checks that G2 points, already known to be on the twist curve E'(Fq2), all lie in the
/// prime-order subgroup G2 = E'[r].
///
/// Checking each point costs a ~127-bit scalar multiplication (about 190 µs here): 12 s for the
/// 65 536 G2 powers of a power-16 SRS. Instead, in each of several rounds we draw random b-bit
/// coefficients c_i from the OS RNG and check that `S = Σ c_i P_i` is in G2 (one bucket pass and
/// one exact check per round), with b = clamp(log2 n, 4, 13) and ⌈128 / b⌉ rounds.
///
/// Soundness: E'(Fq2) ≅ G2 × H with |H| = h = 2p − r = 10069 · 5864401 · 1875725156269 ·
/// 197620364512881247228717050342013327560683201906968909 (distinct primes), so every nonzero
/// element of H has order at least 10069 > 2^13. If some P_j
/// has a nonzero H-component B_j then, whatever the other coefficients, `S ∈ G2` needs `c_j·B_j`
/// to equal one particular element, and the 2^b multiples `c_j·B_j` (c_j < 2^b ≤ 2^13) are
/// distinct: a round passes with probability at most 2^-b, all rounds with at most 2^-128.
/// Points in G2 always pass. When the batch fails, each point is checked exactly and the index of
/// the first bad one is returned.
pub(crate) fn first_outside_g2(points: &[G2Affine]) -> Option<usize> {
    let n = points.len().max(1);
    let bits = (usize::BITS - 1 - n.leading_zeros()).clamp(4, 13);
    let rounds = SUBGROUP_CHECK_BITS.div_ceil(bits);
    let mut rng = ChaCha20Rng::from_entropy();
    let batch_ok = (0..rounds).all(|_| {
        let coeffs: Vec<u16> = (0..points.len())
            .map(|_| rng.gen::<u16>() >> (16 - bits))
            .collect();
        small_combination(points, &coeffs, bits)
            .into_affine()
            .is_in_correct_subgroup_assuming_on_curve()
    });
    if batch_ok {
        return None;
    }
    Some(
        points
            .par_iter()
            .position_first(|p| !p.is_in_correct_subgroup_assuming_on_curve())
            .unwrap_or(0),
    )
}

/// `Σ c_i P_i` for coefficients `c_i < 2^bits`, by one bucket pass per thread: point i goes into
/// bucket c_i, then `Σ_k k·B_k` is summed with running sums (2·2^bits additions). Uses only the
/// group law, so it is exact for points outside G2 too (no endomorphism shortcuts).
fn small_combination(points: &[G2Affine], coeffs: &[u16], bits: u32) -> G2Projective {
    let chunk = points
        .len()
        .div_ceil(rayon::current_num_threads())
        .max(1024);
    points
        .par_chunks(chunk)
        .zip(coeffs.par_chunks(chunk))
        .map(|(ps, cs)| {
            let mut buckets = vec![G2Projective::zero(); 1 << bits];
            for (p, &c) in ps.iter().zip(cs) {
                buckets[c as usize] += p;
            }
            let mut running = G2Projective::zero();
            let mut total = G2Projective::zero();
            for b in buckets[1..].iter().rev() {
                running += b;
                total += running;
            }
            total
        })
        .sum()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::srs::Srs;
    use ark_ec::AffineRepr;
    use ark_ff::Field;

    /// Points of the twist curve E'(Fq2), almost all outside G2.
    pub(crate) fn twist_points() -> impl Iterator<Item = G2Affine> {
        (1u64..).filter_map(|i| {
            let x = ark_bn254::Fq2::new(ark_bn254::Fq::from(i), ark_bn254::Fq::ONE);
            G2Affine::get_point_from_x_unchecked(x, false)
        })
    }

    pub(crate) fn off_subgroup_g2() -> G2Affine {
        twist_points()
            .find(|p| p.is_on_curve() && !p.is_in_correct_subgroup_assuming_on_curve())
            .unwrap()
    }

    /// r·h/10069 and r·h/5864401 (h = 2p − r, the twist cofactor), little-endian limbs.
    pub(crate) const KILL_ALL_BUT_10069: [u64; 8] = [
        2142581213437564505,
        9845073926841290862,
        14273871328715418994,
        10286552652075766640,
        9645934325305158438,
        17504506729524261281,
        12740601339176723874,
        65463225446058,
    ];
    pub(crate) const KILL_ALL_BUT_5864401: [u64; 8] = [
        12410656484809051645,
        11296225151739383290,
        2523823531402998491,
        8841988178911043843,
        18303307646939325858,
        11819404459094678853,
        3824016409016318364,
        112398387664,
    ];

    /// A point of prime order q, the hardest case for a random-combination check.
    pub(crate) fn point_of_order(q: u64, kill: [u64; 8]) -> G2Affine {
        use ark_ec::CurveGroup;
        let t = twist_points()
            .map(|p| p.mul_bigint(kill).into_affine())
            .find(|t| !t.is_zero())
            .unwrap();
        assert!(t.mul_bigint([q]).into_affine().is_zero());
        assert!(!t.is_in_correct_subgroup_assuming_on_curve());
        t
    }

    #[test]
    fn small_combination_is_the_plain_linear_combination() {
        use ark_ec::{CurveGroup, VariableBaseMSM};
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let srs = Srs::insecure_for_tests(4, 9);
        // Points in and outside G2, some repeated, some zero.
        let mut points = srs.g2_powers().to_vec();
        points.extend(twist_points().take(20));
        points.push(G2Affine::zero());
        points.push(points[17]);
        for bits in [4, 9, 13] {
            let coeffs: Vec<u16> = (0..points.len())
                .map(|_| rng.gen::<u16>() >> (16 - bits))
                .collect();
            let naive: G2Projective = points
                .iter()
                .zip(&coeffs)
                .map(|(p, &c)| p.mul_bigint([c as u64]))
                .sum();
            assert_eq!(small_combination(&points, &coeffs, bits), naive);
            if bits == 13 {
                assert_eq!(
                    G2Projective::msm_u16(&points, &coeffs).into_affine(),
                    naive.into_affine()
                );
            }
        }
    }

    #[test]
    fn batched_subgroup_check_catches_small_order_components() {
        use ark_ec::CurveGroup;
        let srs = Srs::insecure_for_tests(4, 9);
        let good = srs.g2_powers().to_vec();
        assert_eq!(first_outside_g2(&good), None);
        for (q, kill) in [(10069, KILL_ALL_BUT_10069), (5864401, KILL_ALL_BUT_5864401)] {
            let t = point_of_order(q, kill);
            for j in [0, 7, 15] {
                let mut points = good.clone();
                points[j] = (points[j] + t).into_affine();
                assert_eq!(first_outside_g2(&points), Some(j));
            }
        }
    }

    #[test]
    fn off_subgroup_helper_really_is_outside_the_subgroup() {
        use ark_ec::CurveGroup;
        use ark_ff::PrimeField;
        let p = off_subgroup_g2();
        assert!(!p.mul_bigint(ark_bn254::Fr::MODULUS).into_affine().is_zero());
    }
}
