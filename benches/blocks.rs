//! Prove and verify time of each basic block at 2^10, 2^14 and 2^16 elements.
//!
//! `cargo bench --bench blocks` (add `ZKTORCH_BENCH_QUICK=1` for 2^10 only). The SRS is the
//! insecure test SRS (same cost as any other SRS of the same power).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zktorch::blocks::copy::{self, CopyKey, Wiring};
use zktorch::blocks::{hadamard, sum, Committed};
use zktorch::pcs::PairingBatch;
use zktorch::srs::Srs;
use zktorch::transcript::Transcript;

fn values(n: usize, r: &mut ChaCha20Rng) -> Vec<i64> {
    (0..n).map(|_| r.gen_range(-(1 << 15)..(1 << 15))).collect()
}

fn blocks(c: &mut Criterion) {
    let quick = std::env::var_os("ZKTORCH_BENCH_QUICK").is_some();
    let sizes: &[u32] = if quick { &[10] } else { &[10, 14, 16] };
    // One power above the largest domain: the copy block's quotient has degree ≈ 2n.
    let srs = Srs::insecure_for_tests(sizes[sizes.len() - 1] + 1, 1);
    let vk = srs.verifier_key();
    let mut r = ChaCha20Rng::seed_from_u64(1);
    let mut group = c.benchmark_group("blocks");
    group.sample_size(10);
    for &log_n in sizes {
        let n = 1usize << log_n;
        // Hadamard
        let (av, bv) = (values(n, &mut r), values(n, &mut r));
        let cv = hadamard::hadamard_values(&av, &bv).unwrap();
        let a = Committed::new(&srs, &av, 2, &mut r).unwrap();
        let b = Committed::new(&srs, &bv, 2, &mut r).unwrap();
        let cc = Committed::new(&srs, &cv, 2, &mut r).unwrap();
        group.bench_function(BenchmarkId::new("hadamard/prove", n), |bench| {
            bench.iter(|| {
                let mut t = Transcript::new(b"bench");
                hadamard::prove(&srs, &a, &b, &cc, &mut t).unwrap()
            })
        });
        let mut t = Transcript::new(b"bench");
        let proof = hadamard::prove(&srs, &a, &b, &cc, &mut t).unwrap();
        let abc = [a.commitment, b.commitment, cc.commitment];
        group.bench_function(BenchmarkId::new("hadamard/verify", n), |bench| {
            bench.iter(|| {
                let mut t = Transcript::new(b"bench");
                let mut batch = PairingBatch::new();
                hadamard::verify(&vk, log_n, abc, &proof, &mut t, &mut batch).unwrap();
                assert!(batch.verify());
            })
        });
        // Sum
        let f = Committed::new(&srs, &av, 3, &mut r).unwrap();
        let total: i64 = av.iter().sum();
        group.bench_function(BenchmarkId::new("sum/prove", n), |bench| {
            bench.iter(|| {
                let mut t = Transcript::new(b"bench");
                sum::prove(&srs, &f, total, &mut t, &mut ChaCha20Rng::seed_from_u64(2)).unwrap()
            })
        });
        let mut t = Transcript::new(b"bench");
        let sp = sum::prove(&srs, &f, total, &mut t, &mut r).unwrap();
        group.bench_function(BenchmarkId::new("sum/verify", n), |bench| {
            bench.iter(|| {
                let mut t = Transcript::new(b"bench");
                let mut batch = PairingBatch::new();
                sum::verify(&vk, log_n, f.commitment, total, &sp, &mut t, &mut batch).unwrap();
                assert!(batch.verify());
            })
        });
        // Copy: a transpose of a (n/64)×64 matrix.
        let (rows, cols) = (n / 64, 64);
        let key = CopyKey::new(&srs, Wiring::transpose(rows, cols)).unwrap();
        let out = key.wiring.apply(&[&av]).unwrap();
        let y = Committed::new(&srs, &out, 2, &mut r).unwrap();
        group.bench_function(BenchmarkId::new("copy-transpose/prove", n), |bench| {
            bench.iter(|| {
                let mut t = Transcript::new(b"bench");
                copy::prove(
                    &srs,
                    &key,
                    &[&a],
                    &y,
                    &mut t,
                    &mut ChaCha20Rng::seed_from_u64(3),
                )
                .unwrap()
            })
        });
        let mut t = Transcript::new(b"bench");
        let cp = copy::prove(&srs, &key, &[&a], &y, &mut t, &mut r).unwrap();
        let ck = key.verifier_key();
        group.bench_function(BenchmarkId::new("copy-transpose/verify", n), |bench| {
            bench.iter(|| {
                let mut t = Transcript::new(b"bench");
                let mut batch = PairingBatch::new();
                copy::verify(
                    &vk,
                    &ck,
                    &[a.commitment],
                    y.commitment,
                    &cp,
                    &mut t,
                    &mut batch,
                )
                .unwrap();
                assert!(batch.verify());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, blocks);
criterion_main!(benches);
