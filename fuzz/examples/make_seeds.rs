//! Writes seed inputs for the fuzz targets into `corpus/<target>/` (run from `fuzz/`):
//! valid encodings that the fuzzer then mutates, so it starts past the magic bytes and the
//! counts.
//!
//! `cargo run --example make_seeds`

use ark_bn254::{Fr, G1Affine, G1Projective, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use std::path::Path;
use zktorch::pcs::VerifierKey;
use zktorch::proof::{ProofFile, Tensor, VerifyingKey};
use zktorch::srs::store::SrsStore;
use zktorch::srs::Srs;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("corpus").join(target);
    std::fs::create_dir_all(&dir).expect("create corpus directory");
    std::fs::write(dir.join(name), bytes).expect("write seed");
}

fn main() {
    let g1 = |k: u64| (G1Projective::generator() * Fr::from(k)).into_affine();
    let g2 = |k: u64| (G2Projective::generator() * Fr::from(k)).into_affine();
    let vk = VerifyingKey {
        srs_digest: [1; 32],
        pcs: VerifierKey {
            g: g1(1),
            h: g2(1),
            tau_h: g2(7),
        },
        g2_extra: vec![g2(49)],
        architecture: b"gemm".to_vec(),
        constant_commitments: vec![g1(2), G1Affine::zero()],
    };
    write("verifying_key", "vk", &vk.to_bytes());
    for embed in [false, true] {
        let proof = ProofFile {
            vk_digest: vk.digest(),
            vk: embed.then(|| vk.clone()),
            inputs: vec![Tensor::new(vec![2, 2], vec![1, -1, 2, -2]).unwrap()],
            outputs: vec![Tensor::new(vec![1], vec![3]).unwrap()],
            g1: vec![g1(3), g1(4)],
            g2: vec![g2(5)],
            scalars: vec![Fr::from(6u64), -Fr::from(1u64)],
        };
        write(
            "proof_file",
            &format!("proof-embed-{embed}"),
            &proof.to_bytes(),
        );
    }
    for power in [0, 1, 2] {
        let srs = Srs::insecure_for_tests(power, 1);
        let file = SrsStore::to_bytes(&srs);
        // The target appends the checksum itself; seed both forms.
        write("srs_cache", &format!("srs-p{power}-sealed"), &file);
        write(
            "srs_cache",
            &format!("srs-p{power}-body"),
            &file[..file.len() - 64],
        );
    }
    println!("seeds written under corpus/");
}
