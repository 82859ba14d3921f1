//! Quick single-run timing of the small-scalar MSM against arkworks (for a first look; the
//! criterion bench `benches/msm.rs` is the reference measurement).
//!
//! `RAYON_NUM_THREADS=1 cargo run --release --example msm_quick -- 18`

use ark_bn254::{Fr, G1Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_std::UniformRand;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::time::Instant;
use zktorch::pcs::msm::msm_small;

fn main() {
    let log_n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(18);
    let n = 1usize << log_n;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let q = G1Projective::rand(&mut rng);
    let mut p = G1Projective::rand(&mut rng);
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(p);
        p += q;
    }
    let bases = G1Projective::normalize_batch(&v);
    for bits in [8u32, 16, 32] {
        let bound = 1i64 << (bits - 1);
        let small: Vec<i64> = (0..n).map(|_| rng.gen_range(-bound..bound)).collect();
        let field: Vec<Fr> = small.iter().map(|&x| Fr::from(x)).collect();
        let t = Instant::now();
        let a = G1Projective::msm_unchecked(&bases, &field);
        let ta = t.elapsed();
        let t = Instant::now();
        let z = msm_small(&bases, &small);
        let tz = t.elapsed();
        assert_eq!(a, z);
        println!(
            "2^{log_n} {bits:>2}-bit: ark {:>8.1} ms ({:>5.2} M/s)   zktorch {:>8.1} ms ({:>5.2} M/s)",
            ta.as_secs_f64() * 1e3,
            n as f64 / ta.as_secs_f64() / 1e6,
            tz.as_secs_f64() * 1e3,
            n as f64 / tz.as_secs_f64() / 1e6
        );
    }
}
