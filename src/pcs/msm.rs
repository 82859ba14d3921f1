//! Multi-scalar multiplication for small signed scalars.
//!
//! Quantized tensors hold signed integers of a few bits, not 254-bit field elements. This MSM
//! never widens them:
//!
//! 1. **Signed digits.** The sign of a scalar is moved onto its base (negating an affine point is
//!    free), and the magnitude is recoded into `w` windows of `c` bits with digits in
//!    `[−2^(c−1), 2^(c−1)]`, so a window needs only `2^(c−1)` buckets. `c` and `w` are chosen
//!    from the largest magnitude present and the number of points by a cost model: 8-bit data
//!    uses one window of 128 buckets, and 16-bit data from about 2^16 points on one window of
//!    32 768 buckets (fewer points: two narrower windows).
//! 2. **Bucket accumulation by sorting and pairwise batch-affine addition.** The points of a
//!    window are counting-sorted by bucket; then, round after round, the points of every bucket
//!    are added in pairs. All additions of a round are independent, so their denominators are
//!    inverted together with Montgomery's trick: an affine addition costs about 6 field
//!    multiplications instead of about 11 for a mixed projective addition.
//! 3. **Bucket reduction** `Σ_k k·B_k` by the usual running sum, then Horner over windows.
//!
//! With the rayon feature of the callers, the point set is split into one chunk per thread.

use ark_bn254::{Fq, Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, VariableBaseMSM};
use ark_ff::{AdditiveGroup, Field, Zero};
use rayon::prelude::*;

/// Below this many points per thread, splitting across threads costs more than it saves.
const MIN_CHUNK: usize = 1 << 12;

/// `Σ scalars[i] · bases[i]` for small signed scalars (any `i64`; fastest for a few bits).
///
/// Extra bases or scalars beyond the shorter slice are ignored, as in arkworks.
pub fn msm_small(bases: &[G1Affine], scalars: &[i64]) -> G1Projective {
    let n = bases.len().min(scalars.len());
    let (bases, scalars) = (&bases[..n], &scalars[..n]);
    let threads = rayon::current_num_threads().max(1);
    let chunk = n.div_ceil(threads).max(MIN_CHUNK);
    if n <= chunk {
        return msm_small_serial(bases, scalars);
    }
    bases
        .par_chunks(chunk)
        .zip(scalars.par_chunks(chunk))
        .map(|(b, s)| msm_small_serial(b, s))
        .sum()
}

/// `Σ scalars[i] · bases[i]` for arbitrary field elements (arkworks' Pippenger).
pub fn msm_field(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let n = bases.len().min(scalars.len());
    G1Projective::msm_unchecked(&bases[..n], &scalars[..n])
}

/// Single-threaded small-scalar MSM (see the module docs).
pub fn msm_small_serial(bases: &[G1Affine], scalars: &[i64]) -> G1Projective {
    msm_small_chunked(bases, scalars, SERIAL_CHUNK)
}

fn msm_small_chunked(bases: &[G1Affine], scalars: &[i64], chunk: usize) -> G1Projective {
    let n = bases.len().min(scalars.len());
    let (bases, scalars) = (&bases[..n], &scalars[..n]);
    if n > chunk {
        return bases
            .chunks(chunk)
            .zip(scalars.chunks(chunk))
            .map(|(b, s)| msm_small_chunked(b, s, chunk))
            .sum();
    }
    let max_mag = scalars.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    if max_mag == 0 {
        return G1Projective::zero();
    }
    if bases.len() < 16 {
        return naive(bases, scalars);
    }
    let (c, w) = choose_window(n, max_mag);
    let digits = recode(scalars, c, w);
    let mut acc = G1Projective::zero();
    let mut scratch = Scratch::default();
    for j in (0..w).rev() {
        for _ in 0..c {
            if j + 1 < w {
                acc.double_in_place();
            }
        }
        acc += window_sum(bases, &digits[j * n..(j + 1) * n], c, &mut scratch);
    }
    acc
}

fn naive(bases: &[G1Affine], scalars: &[i64]) -> G1Projective {
    bases
        .iter()
        .zip(scalars)
        .map(|(b, &s)| {
            let p = b.mul_bigint([s.unsigned_abs()]);
            if s < 0 {
                -p
            } else {
                p
            }
        })
        .sum()
}

/// Largest magnitude representable by `w` signed digits of `c` bits:
/// `2^(c−1) · (2^(cw) − 1) / (2^c − 1)`.
fn capacity(c: u32, w: u32) -> u128 {
    let total = u128::from(c) * u128::from(w);
    if total >= 127 {
        return u128::MAX;
    }
    // (2^total − 1)/(2^c − 1) < 2^(total−c+1), times 2^(c−1): below 2^total ≤ 2^126.
    ((1u128 << total) - 1) / ((1u128 << c) - 1) * (1u128 << (c - 1))
}

/// Above this many buckets, the bucket reduction is done by a recursive small MSM instead of a
/// running sum.
const RECURSIVE_REDUCTION_BUCKETS: usize = 1 << 9;

/// Whether windows of `c` bits (2^(c−1) buckets) reduce their buckets recursively.
fn reduces_recursively(c: u32) -> bool {
    (1usize << (c - 1)) > RECURSIVE_REDUCTION_BUCKETS
}

/// Picks the window width `c` and count `w` minimising the estimated cost
/// `w·(n·A + 2^(c−1)·R) + (w−1)·c·D` in units of one batch-affine addition, where R is about 4
/// for a running-sum reduction (a mixed plus a projective addition per bucket) and about 2 for
/// the recursive one.
fn choose_window(n: usize, max_mag: u64) -> (u32, usize) {
    const DOUBLE: u128 = 1;
    let mut best = (u128::MAX, 2u32, 1usize);
    for c in 2..=16u32 {
        let mut w = 1u32;
        while capacity(c, w) < u128::from(max_mag) {
            w += 1;
        }
        let buckets = 1u128 << (c - 1);
        let reduce = if reduces_recursively(c) { 2 } else { 4 };
        let cost = u128::from(w) * (n as u128 + buckets * reduce)
            + u128::from(w - 1) * u128::from(c) * DOUBLE;
        if cost < best.0 {
            best = (cost, c, w as usize);
        }
    }
    (best.1, best.2)
}

/// Signed-digit recoding: `digits[j·n + i]` is digit j of scalar i, with
/// `s_i = Σ_j digits[j·n+i] · 2^(cj)` and every digit in `[−2^(c−1), 2^(c−1)]`.
fn recode(scalars: &[i64], c: u32, w: usize) -> Vec<i32> {
    let n = scalars.len();
    let mut digits = vec![0i32; n * w];
    let half = 1u64 << (c - 1);
    let mask = (1u64 << c) - 1;
    for (i, &s) in scalars.iter().enumerate() {
        let neg = s < 0;
        let mut mag = s.unsigned_abs() as u128;
        for j in 0..w {
            let mut d = (mag as u64 & mask) as i64;
            mag >>= c;
            if d as u64 > half {
                d -= 1i64 << c;
                mag += 1;
            }
            digits[j * n + i] = if neg { -d as i32 } else { d as i32 };
        }
        debug_assert_eq!(mag, 0, "window count too small");
    }
    digits
}

/// Up to this many buckets the points are scattered into bucket order directly.
const SCATTER_MAX_BUCKETS: usize = 1 << 10;

/// Sign flag of a sorted index (the serial MSM handles fewer than 2^31 points at a time).
const SIGN_BIT: u32 = 1 << 31;

/// Most points one serial MSM sorts at once. Larger inputs are cut into chunks of this size:
/// the sorted copy then stays cache-sized (measured: 2^20 points of 16-bit values take 304 ms in
/// one piece and about 220 ms in four), and indices leave the sign bit free.
const SERIAL_CHUNK: usize = 1 << 18;

#[derive(Default)]
struct Scratch {
    counts: Vec<u32>,
    order: Vec<u32>,
    starts: Vec<u32>,
    lens: Vec<u32>,
    points: Vec<G1Affine>,
    dens: Vec<Fq>,
    prefix: Vec<Fq>,
}

/// `Σ_i digits[i] · bases[i]` for digits of at most `c` bits in magnitude.
fn window_sum(bases: &[G1Affine], digits: &[i32], c: u32, s: &mut Scratch) -> G1Projective {
    // Bucket index = |digit|; index 0 is unused.
    let buckets = (1usize << (c - 1)) + 1;
    // Counting sort of the points by bucket, signs applied.
    s.counts.clear();
    s.counts.resize(buckets, 0);
    for (b, &d) in bases.iter().zip(digits) {
        if d != 0 && !b.is_zero() {
            s.counts[d.unsigned_abs() as usize] += 1;
        }
    }
    s.starts.clear();
    s.starts.resize(buckets, 0);
    let mut total = 0u32;
    for k in 0..buckets {
        s.starts[k] = total;
        total += s.counts[k];
    }
    s.points.clear();
    s.points.resize(total as usize, G1Affine::identity());
    s.lens.clear();
    s.lens.resize(buckets, 0);
    if buckets <= SCATTER_MAX_BUCKETS {
        // Few buckets: few write streams, so scattering the points directly is cache friendly.
        for (b, &d) in bases.iter().zip(digits) {
            if d != 0 && !b.is_zero() {
                let k = d.unsigned_abs() as usize;
                let pos = (s.starts[k] + s.lens[k]) as usize;
                s.points[pos] = if d < 0 { -*b } else { *b };
                s.lens[k] += 1;
            }
        }
    } else {
        // Many buckets: scatter 4-byte indices (sign in the top bit), then gather the points in
        // bucket order, so the random accesses are reads rather than read-for-ownership writes.
        s.order.clear();
        s.order.resize(total as usize, 0);
        for (i, (b, &d)) in bases.iter().zip(digits).enumerate() {
            if d != 0 && !b.is_zero() {
                let k = d.unsigned_abs() as usize;
                let pos = (s.starts[k] + s.lens[k]) as usize;
                s.order[pos] = i as u32 | if d < 0 { SIGN_BIT } else { 0 };
                s.lens[k] += 1;
            }
        }
        for (dst, &o) in s.points.iter_mut().zip(&s.order) {
            let b = &bases[(o & !SIGN_BIT) as usize];
            *dst = if o & SIGN_BIT != 0 { -*b } else { *b };
        }
    }
    // Rounds of pairwise additions inside every bucket until each holds at most one point.
    loop {
        s.dens.clear();
        for k in 1..buckets {
            let (st, len) = (s.starts[k] as usize, s.lens[k] as usize);
            for i in 0..len / 2 {
                let (p, q) = (&s.points[st + 2 * i], &s.points[st + 2 * i + 1]);
                s.dens.push(pair_denominator(p, q));
            }
        }
        if s.dens.is_empty() {
            break;
        }
        batch_invert(&mut s.dens, &mut s.prefix);
        let mut t = 0;
        for k in 1..buckets {
            let (st, len) = (s.starts[k] as usize, s.lens[k] as usize);
            if len < 2 {
                continue;
            }
            for i in 0..len / 2 {
                let sum =
                    add_with_inverse(&s.points[st + 2 * i], &s.points[st + 2 * i + 1], &s.dens[t]);
                s.points[st + i] = sum;
                t += 1;
            }
            if len % 2 == 1 {
                s.points[st + len / 2] = s.points[st + len - 1];
            }
            s.lens[k] = len.div_ceil(2) as u32;
        }
    }
    if reduces_recursively(c) {
        // Σ_k k·B_k is itself an MSM with small scalars k: recurse (the cost model then picks
        // narrow windows), about half the work of the running sum for 2^15 buckets.
        let mut pts = Vec::with_capacity(buckets);
        let mut ks = Vec::with_capacity(buckets);
        for k in 1..buckets {
            if s.lens[k] == 1 {
                pts.push(s.points[s.starts[k] as usize]);
                ks.push(k as i64);
            }
        }
        return msm_small_serial(&pts, &ks);
    }
    // Σ_k k·B_k = Σ_k (Σ_{j ≥ k} B_j).
    let mut running = G1Projective::zero();
    let mut sum = G1Projective::zero();
    for k in (1..buckets).rev() {
        if s.lens[k] == 1 {
            running += s.points[s.starts[k] as usize];
        }
        sum += running;
    }
    sum
}

/// The denominator of the affine addition formula for p + q: `x_q − x_p`, or `2·y_p` when
/// doubling; 1 when no inversion is needed (an identity operand, or q = −p).
#[inline]
fn pair_denominator(p: &G1Affine, q: &G1Affine) -> Fq {
    if p.is_zero() || q.is_zero() {
        Fq::ONE
    } else if p.x == q.x {
        if p.y == q.y {
            p.y.double()
        } else {
            Fq::ONE
        }
    } else {
        q.x - p.x
    }
}

/// p + q given `inv = 1 / pair_denominator(p, q)`.
#[inline]
fn add_with_inverse(p: &G1Affine, q: &G1Affine, inv: &Fq) -> G1Affine {
    if p.is_zero() {
        return *q;
    }
    if q.is_zero() {
        return *p;
    }
    let lambda = if p.x == q.x {
        if p.y != q.y {
            return G1Affine::identity();
        }
        // Doubling: λ = 3x² / 2y (a = 0 on BN254).
        let xx = p.x.square();
        (xx.double() + xx) * inv
    } else {
        (q.y - p.y) * inv
    };
    let x3 = lambda.square() - p.x - q.x;
    let y3 = lambda * (p.x - x3) - p.y;
    G1Affine::new_unchecked(x3, y3)
}

/// Independent product chains in the batch inversion: a field multiplication's latency is several
/// times its throughput, so interleaved chains keep the multiplier busy.
const CHAINS: usize = 4;

/// Montgomery's trick: replaces every (non-zero) element by its inverse, with one inversion per
/// interleaved chain.
fn batch_invert(v: &mut [Fq], prefix: &mut Vec<Fq>) {
    prefix.clear();
    prefix.reserve(v.len());
    let mut acc = [Fq::ONE; CHAINS];
    for (i, x) in v.iter().enumerate() {
        let a = &mut acc[i % CHAINS];
        prefix.push(*a);
        *a *= x;
    }
    let mut inv = acc.map(|a| {
        a.inverse()
            .expect("denominators are non-zero by construction")
    });
    for (i, (x, before)) in v.iter_mut().zip(prefix.iter()).enumerate().rev() {
        let chain = &mut inv[i % CHAINS];
        let next = *chain * *x;
        *x = *chain * before;
        *chain = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;
    use ark_ec::PrimeGroup;
    use ark_std::UniformRand;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    fn reference(bases: &[G1Affine], scalars: &[i64]) -> G1Projective {
        let fs: Vec<Fr> = scalars.iter().map(|&s| Fr::from(s)).collect();
        msm_field(bases, &fs)
    }

    /// Distinct bases cheaply: P, P + Q, P + 2Q, … for random P, Q.
    fn random_bases(n: usize, rng: &mut ChaCha20Rng) -> Vec<G1Affine> {
        let (mut p, q) = (G1Projective::rand(rng), G1Projective::rand(rng));
        let mut ps = Vec::with_capacity(n);
        for _ in 0..n {
            ps.push(p);
            p += q;
        }
        G1Projective::normalize_batch(&ps)
    }

    #[test]
    fn matches_arkworks_for_many_sizes_and_widths() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for &n in &[1usize, 2, 15, 16, 17, 100, 1000, 5000] {
            let bases = random_bases(n, &mut rng);
            for &bits in &[1u32, 2, 8, 9, 16, 17, 31, 32, 40, 63] {
                let bound = 1i64 << (bits - 1);
                let scalars: Vec<i64> = (0..n).map(|_| rng.gen_range(-bound..=bound)).collect();
                assert_eq!(
                    msm_small(&bases, &scalars),
                    reference(&bases, &scalars),
                    "n={n} bits={bits}"
                );
            }
        }
    }

    #[test]
    fn extreme_values() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let bases = random_bases(64, &mut rng);
        for v in [
            i64::MIN,
            i64::MAX,
            i64::MIN + 1,
            -1,
            1,
            0,
            1 << 15,
            -(1 << 15),
        ] {
            let scalars = vec![v; 64];
            assert_eq!(
                msm_small(&bases, &scalars),
                reference(&bases, &scalars),
                "{v}"
            );
        }
    }

    #[test]
    fn repeated_and_opposite_bases_and_identity() {
        // Same base many times (doubling inside a bucket), a base and its negation (sums to the
        // identity), and identity bases.
        let g = G1Affine::generator();
        let mut bases = vec![g; 40];
        bases.extend(vec![-g; 40]);
        bases.extend(vec![G1Affine::identity(); 10]);
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        for _ in 0..5 {
            let scalars: Vec<i64> = (0..bases.len()).map(|_| rng.gen_range(-3..=3)).collect();
            assert_eq!(msm_small(&bases, &scalars), reference(&bases, &scalars));
        }
        let scalars = vec![5i64; bases.len()];
        assert_eq!(msm_small(&bases, &scalars), G1Projective::zero());
        assert_eq!(
            msm_small(&[g; 32], &[1; 32]),
            G1Projective::generator() * Fr::from(32u64)
        );
    }

    #[test]
    fn recoding_reconstructs_the_scalar() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        for c in 2..=16u32 {
            for _ in 0..50 {
                let s: i64 = rng.gen();
                let mut w = 1;
                while capacity(c, w) < u128::from(s.unsigned_abs()) {
                    w += 1;
                }
                let d = recode(&[s], c, w as usize);
                let back: i128 = d
                    .iter()
                    .enumerate()
                    .map(|(j, &x)| i128::from(x) << (c as usize * j))
                    .sum();
                assert_eq!(back, i128::from(s));
                assert!(d.iter().all(|&x| x.unsigned_abs() <= 1 << (c - 1)));
            }
        }
    }

    #[test]
    fn window_choice_is_one_window_for_16_bit_data() {
        assert_eq!(choose_window(1 << 18, 1 << 15), (16, 1));
        assert_eq!(choose_window(1 << 18, 128).1, 1);
    }

    #[test]
    fn one_wide_window_and_chunking() {
        // 2^16 points of 16-bit values: one window of 2^15 buckets, recursive reduction.
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let n = 1 << 16;
        assert_eq!(choose_window(n, 1 << 15), (16, 1));
        let bases = random_bases(n, &mut rng);
        let scalars: Vec<i64> = (0..n)
            .map(|_| rng.gen_range(-(1 << 15)..=(1 << 15)))
            .collect();
        let expected = reference(&bases, &scalars);
        assert_eq!(msm_small_serial(&bases, &scalars), expected);
        // Chunked accumulation (as for inputs above SERIAL_CHUNK).
        assert_eq!(msm_small_chunked(&bases, &scalars, 1000), expected);
    }

    #[test]
    fn serial_msm_with_unequal_lengths_uses_the_shorter() {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let bases = random_bases(300, &mut rng);
        let scalars: Vec<i64> = (0..200)
            .map(|_| rng.gen_range(-(1 << 20)..(1 << 20)))
            .collect();
        let expected = reference(&bases[..200], &scalars);
        assert_eq!(msm_small_serial(&bases, &scalars), expected);
        assert_eq!(
            msm_small_serial(&bases[..150], &scalars),
            reference(&bases[..150], &scalars[..150])
        );
    }

    #[test]
    fn empty_and_mismatched_lengths() {
        assert_eq!(msm_small(&[], &[]), G1Projective::zero());
        let g = G1Affine::generator();
        assert_eq!(
            msm_small(&[g, g], &[3]),
            G1Projective::generator() * Fr::from(3u64)
        );
    }
}
