//! Small-scalar MSM against arkworks' MSM.
//!
//! Measures, for 2^16, 2^18 and 2^20 points and 8-, 16-, 32- and 254-bit scalars:
//! - `ark`: `G1Projective::msm` on the values as field elements (arkworks 0.6 routes small values
//!   to its u8/u16/u32 paths itself),
//! - `zktorch`: `pcs::msm::msm_small` on the values as `i64` (not for 254-bit).
//!
//! Single-thread numbers: `RAYON_NUM_THREADS=1 cargo bench --bench msm`.
//! Quick subset: `ZKTORCH_BENCH_QUICK=1`.

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_std::UniformRand;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zktorch::pcs::msm::msm_small;

/// Distinct pseudo-random bases cheaply: P_i = P_{i−1} + Q.
fn bases(n: usize, rng: &mut ChaCha20Rng) -> Vec<G1Affine> {
    let q = G1Projective::rand(rng);
    let mut p = G1Projective::rand(rng);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(p);
        p += q;
    }
    G1Projective::normalize_batch(&out)
}

fn signed(bits: u32, n: usize, rng: &mut ChaCha20Rng) -> Vec<i64> {
    let bound = 1i64 << (bits - 1);
    (0..n).map(|_| rng.gen_range(-bound..bound)).collect()
}

fn msm(c: &mut Criterion) {
    let quick = std::env::var_os("ZKTORCH_BENCH_QUICK").is_some();
    let sizes: &[u32] = if quick { &[16] } else { &[16, 18, 20] };
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let all_bases = bases(1 << sizes[sizes.len() - 1], &mut rng);
    let mut group = c.benchmark_group("msm");
    group.sample_size(10);
    for &log_n in sizes {
        let n = 1usize << log_n;
        let b = &all_bases[..n];
        group.throughput(Throughput::Elements(n as u64));
        for bits in [8u32, 16, 32] {
            let small = signed(bits, n, &mut rng);
            let field: Vec<Fr> = small.iter().map(|&v| Fr::from(v)).collect();
            let id = format!("2^{log_n}/{bits}-bit");
            group.bench_function(BenchmarkId::new("ark", &id), |bench| {
                bench.iter(|| G1Projective::msm_unchecked(b, &field))
            });
            group.bench_function(BenchmarkId::new("zktorch", &id), |bench| {
                bench.iter(|| msm_small(b, &small))
            });
        }
        if !quick {
            let field: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            group.bench_function(
                BenchmarkId::new("ark", format!("2^{log_n}/254-bit")),
                |bench| bench.iter(|| G1Projective::msm_unchecked(b, &field)),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, msm);
criterion_main!(benches);
