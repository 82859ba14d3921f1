//! Prove and verify time of each basic block at 2^10, 2^14 and 2^16 elements; lookups also
//! against tables of 2^12 and 2^16 rows; matrix products with 64×64, 256×256 and 1024×1024
//! weights.
//!
//! `cargo bench --bench blocks` (add `ZKTORCH_BENCH_QUICK=1` for the smallest sizes only). The SRS is the
//! insecure test SRS (same cost as any other SRS of the same power).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zktorch::blocks::copy::{self, CopyKey, Wiring};
use zktorch::blocks::lookup::{self, LookupKey, Table};
use zktorch::blocks::matmul::{self, Dims, MatMulKey};
use zktorch::blocks::matprod::{self, MatProdKey};
use zktorch::blocks::max::{self, Groups, MaxKey};
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

fn quick() -> bool {
    std::env::var_os("ZKTORCH_BENCH_QUICK").is_some()
}

/// Commits `v` zero-padded to `2^log_n` entries.
fn commit_on(srs: &Srs, v: &[i64], log_n: u32, mask: usize, r: &mut ChaCha20Rng) -> Committed {
    let mut v = v.to_vec();
    v.resize(1 << log_n, 0);
    Committed::new(srs, &v, mask, r).unwrap()
}

/// Times `prove` (a fresh transcript and RNG each run) and `verify` (a fresh transcript and
/// pairing batch each run, the batch checked) under `name/prove` and `name/verify`.
fn prove_and_verify<P>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    size: usize,
    prove: impl Fn(&mut Transcript, &mut ChaCha20Rng) -> P,
    verify: impl Fn(&P, &mut Transcript, &mut PairingBatch),
) {
    group.bench_function(BenchmarkId::new(format!("{name}/prove"), size), |bench| {
        bench.iter(|| {
            let mut t = Transcript::new(b"bench");
            prove(&mut t, &mut ChaCha20Rng::seed_from_u64(9))
        })
    });
    let proof = prove(
        &mut Transcript::new(b"bench"),
        &mut ChaCha20Rng::seed_from_u64(9),
    );
    group.bench_function(BenchmarkId::new(format!("{name}/verify"), size), |bench| {
        bench.iter(|| {
            let mut t = Transcript::new(b"bench");
            let mut batch = PairingBatch::new();
            verify(&proof, &mut t, &mut batch);
            assert!(batch.verify());
        })
    });
}

fn lookups_and_products(c: &mut Criterion) {
    let quick = quick();
    let sizes: &[u32] = if quick { &[10] } else { &[10, 14, 16] };
    let tables: &[u32] = if quick { &[12] } else { &[12, 16] };
    // Lookup domains hold witness and table rows (≤ 2^17); quotients need one power more.
    let srs = Srs::insecure_for_tests(if quick { 14 } else { 18 }, 2);
    let vk = srs.verifier_key();
    let mut r = ChaCha20Rng::seed_from_u64(5);
    let mut group = c.benchmark_group("blocks");
    group.sample_size(10);
    for &log_n in sizes {
        let n = 1usize << log_n;
        // Range lookups into tables of 2^12 and 2^16 rows.
        for &log_t in tables {
            let key = LookupKey::new(&srs, n, Table::single((0..1i64 << log_t).collect())).unwrap();
            let v: Vec<i64> = (0..n).map(|_| r.gen_range(0..1i64 << log_t)).collect();
            let a = commit_on(&srs, &v, key.log_m, 2, &mut r);
            let lk = key.verifier_key();
            prove_and_verify(
                &mut group,
                &format!("lookup-table-2^{log_t}"),
                n,
                |t, rng| lookup::prove(&srs, &key, &a, None, t, rng).unwrap(),
                |p, t, batch| lookup::verify(&vk, &lk, a.commitment, None, p, t, batch).unwrap(),
            );
        }
        // Max over groups of 4 (MaxPool 2×2), spread < 2^8.
        let groups = Groups {
            count: n / 4,
            len: 4,
            spread_bits: 8,
        };
        let key = MaxKey::new(&srs, groups).unwrap();
        let fv: Vec<i64> = (0..n).map(|_| r.gen_range(-100..100)).collect();
        let mv = max::group_maxima(groups, &fv).unwrap();
        let f = commit_on(&srs, &fv, key.log_n, 4, &mut r);
        let m = commit_on(&srs, &mv, key.log_n, 2, &mut r);
        let mk = key.verifier_key();
        prove_and_verify(
            &mut group,
            "max-groups-of-4",
            n,
            |t, rng| max::prove(&srs, &key, &f, &m, t, rng).unwrap(),
            |p, t, batch| max::verify(&vk, &mk, f.commitment, m.commitment, p, t, batch).unwrap(),
        );
    }
    // Matrix-vector products with square weights, and a convolution-shaped product
    // (576 output pixels × 25 taps × 6 channels: LeNet's first layer).
    let shapes: &[(usize, usize, usize)] = if quick {
        &[(1, 64, 64)]
    } else {
        &[(1, 64, 64), (1, 256, 256), (1, 1024, 1024), (576, 25, 6)]
    };
    for &(rows, inner, cols) in shapes {
        let dims = Dims::matrix(rows, inner, cols);
        let w: Vec<i64> = (0..inner * cols).map(|_| r.gen_range(-128..128)).collect();
        let key = MatMulKey::new(&srs, dims, w, &mut r).unwrap();
        let xv: Vec<i64> = (0..rows * inner).map(|_| r.gen_range(-128..128)).collect();
        let yv = matmul::matmul_values(dims, &xv, &key.weights).unwrap();
        let x = commit_on(&srs, &xv, key.log_n, 2, &mut r);
        let y = commit_on(&srs, &yv, key.log_n, 2, &mut r);
        let mk = key.verifier_key().clone();
        prove_and_verify(
            &mut group,
            &format!("matmul-const-{rows}x{inner}x{cols}"),
            inner * cols,
            |t, rng| matmul::prove(&srs, &key, &x, &y, t, rng).unwrap(),
            |p, t, batch| {
                matmul::verify(&vk, &mk, x.commitment, y.commitment, p, t, batch).unwrap()
            },
        );
    }
    // Products of two committed square matrices (attention-shaped).
    let sides: &[usize] = if quick { &[16] } else { &[16, 64, 128] };
    for &d in sides {
        let dims = Dims::matrix(d, d, d);
        let key = MatProdKey::new(&srs, dims).unwrap();
        let av: Vec<i64> = (0..d * d).map(|_| r.gen_range(-128..128)).collect();
        let bv: Vec<i64> = (0..d * d).map(|_| r.gen_range(-128..128)).collect();
        let cv = matmul::matmul_values(dims, &av, &bv).unwrap();
        let a = commit_on(&srs, &av, key.log_n, 2, &mut r);
        let b = commit_on(&srs, &bv, key.log_n, 2, &mut r);
        let cc = commit_on(&srs, &cv, key.log_n, 2, &mut r);
        let pk = key.verifier_key().clone();
        let abc = [a.commitment, b.commitment, cc.commitment];
        prove_and_verify(
            &mut group,
            &format!("matprod-{d}x{d}x{d}"),
            d * d,
            |t, rng| matprod::prove(&srs, &key, &a, &b, &cc, t, rng).unwrap(),
            |p, t, batch| matprod::verify(&vk, &pk, abc, p, t, batch).unwrap(),
        );
    }
    group.finish();
}

criterion_group!(benches, blocks, lookups_and_products);
criterion_main!(benches);
