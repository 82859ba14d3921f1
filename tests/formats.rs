//! File formats: verifying key, proof file, SRS cache. Round trips, refusals with clear messages,
//! and robustness against every small corruption (never a panic, never a silent acceptance of a
//! changed file as the same value).

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{BigInteger, Field, PrimeField, Zero};
use ark_serialize::CanonicalSerialize;
use blake2::{Blake2b512, Digest};
use proptest::prelude::*;
use rayon::prelude::*;
use zktorch::pcs::VerifierKey;
use zktorch::proof::{ProofFile, Tensor, VerifyingKey, FORMAT_VERSION, MAX_TENSOR_RANK};
use zktorch::srs::store::SrsStore;
use zktorch::srs::{Srs, SrsSource};
use zktorch::Error;

// ---- fixtures ----------------------------------------------------------------------------------

fn g1(k: u64) -> G1Affine {
    (G1Projective::generator() * Fr::from(k)).into_affine()
}

fn g2(k: u64) -> G2Affine {
    (G2Projective::generator() * Fr::from(k)).into_affine()
}

fn sample_vk() -> VerifyingKey {
    VerifyingKey {
        srs_digest: [7; 32],
        srs_label: "local".into(),
        pcs: VerifierKey {
            g: g1(1),
            h: g2(1),
            tau_h: g2(5),
        },
        g2_extra: vec![g2(25)],
        architecture: b"conv->relu->gemm".to_vec(),
        constant_commitments: vec![g1(11), G1Affine::zero(), g1(13)],
        key_proof_g1: vec![g1(2)],
        key_proof_fr: vec![Fr::from(3u64)],
    }
}

/// The small proof of the brief: 2 G1, 1 G2, 3 scalars, tiny tensors, embedded vk (optional).
fn sample_proof(embed: bool) -> ProofFile {
    let vk = sample_vk();
    ProofFile {
        vk_digest: vk.digest(),
        vk: embed.then_some(vk),
        inputs: vec![Tensor::new(vec![2, 3], vec![1, -2, 3, -4, 5, i64::MIN]).unwrap()],
        outputs: vec![
            Tensor::new(vec![2], vec![i64::MAX, 0]).unwrap(),
            Tensor::new(vec![], vec![42]).unwrap(),
        ],
        g1: vec![g1(3), g1(4)],
        g2: vec![g2(9)],
        scalars: vec![Fr::from(0u64), Fr::from(1u64), -Fr::from(2u64)],
    }
}

/// A point on the twist curve E'(Fq2) that is not in the prime-order subgroup (the twist has a
/// large cofactor, so almost every x with a point gives one).
fn off_subgroup_g2() -> G2Affine {
    let mut x = Fq2::new(Fq::from(3u64), Fq::ONE);
    loop {
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, true) {
            if p.is_on_curve() && !p.is_in_correct_subgroup_assuming_on_curve() {
                // Cross-check with the definition: r·P ≠ 0.
                assert!(!p.mul_bigint(Fr::MODULUS).is_zero());
                return p;
            }
        }
        x += Fq2::ONE;
    }
}

fn compressed<T: CanonicalSerialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    v.serialize_compressed(&mut out).unwrap();
    out
}

fn malformed(e: Error) -> String {
    assert!(matches!(e, Error::Malformed { .. }), "not Malformed: {e:?}");
    e.to_string()
}

fn proof_err(bytes: &[u8]) -> String {
    malformed(ProofFile::from_bytes(bytes).unwrap_err())
}

fn vk_err(bytes: &[u8]) -> String {
    malformed(VerifyingKey::from_bytes(bytes).unwrap_err())
}

/// Offset of the inputs count in a proof without an embedded key: magic, version, digest, flag.
const INPUTS_AT: usize = 8 + 2 + 32 + 1;

// ---- round trips -------------------------------------------------------------------------------

#[test]
fn verifying_key_round_trip_and_digest() {
    let vk = sample_vk();
    let bytes = vk.to_bytes();
    assert_eq!(&bytes[..8], b"ZKTRCHVK");
    assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), FORMAT_VERSION);
    assert_eq!(VerifyingKey::from_bytes(&bytes).unwrap(), vk);

    let empty = VerifyingKey {
        srs_label: String::new(),
        g2_extra: vec![],
        architecture: vec![],
        constant_commitments: vec![],
        key_proof_g1: vec![],
        key_proof_fr: vec![],
        ..sample_vk()
    };
    assert_eq!(VerifyingKey::from_bytes(&empty.to_bytes()).unwrap(), empty);

    // The digest is BLAKE2b-512 of a domain separator and the encoding, truncated.
    let mut h = Blake2b512::new();
    h.update(b"zktorch/vk-digest/v1");
    h.update(&bytes);
    assert_eq!(vk.digest()[..], h.finalize()[..32]);
    let mut other = sample_vk();
    other.architecture.push(b'!');
    assert_ne!(other.digest(), vk.digest());
}

#[test]
fn proof_round_trip_with_and_without_embedded_vk() {
    for embed in [false, true] {
        let proof = sample_proof(embed);
        let bytes = proof.to_bytes();
        assert_eq!(&bytes[..8], b"ZKTRCHPF");
        assert_eq!(ProofFile::from_bytes(&bytes).unwrap(), proof);
    }
    let empty = ProofFile {
        vk_digest: [0; 32],
        vk: None,
        inputs: vec![],
        outputs: vec![Tensor::new(vec![0, 5], vec![]).unwrap()],
        g1: vec![],
        g2: vec![],
        scalars: vec![],
    };
    assert_eq!(ProofFile::from_bytes(&empty.to_bytes()).unwrap(), empty);
}

#[test]
fn files_round_trip_and_io_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let proof = sample_proof(true);
    let path = dir.path().join("proof.bin");
    proof.write_to(&path).unwrap();
    assert_eq!(ProofFile::read_from(&path).unwrap(), proof);
    assert_eq!(
        std::fs::metadata(&path).unwrap().len() as usize,
        proof.to_bytes().len()
    );
    let vk_path = dir.path().join("model.vk");
    sample_vk().write_to(&vk_path).unwrap();
    assert_eq!(VerifyingKey::read_from(&vk_path).unwrap(), sample_vk());

    let missing = dir.path().join("missing.bin");
    let err = ProofFile::read_from(&missing).unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    assert!(err.to_string().contains("missing.bin"), "{err}");
}

#[test]
fn tensor_constructor_checks_shape() {
    assert!(Tensor::new(vec![2, 2], vec![1, 2, 3]).is_err());
    assert!(Tensor::new(vec![1; MAX_TENSOR_RANK + 1], vec![0]).is_err());
    assert!(Tensor::new(vec![u64::MAX, 2], vec![]).is_err());
    assert!(Tensor::new(vec![1; MAX_TENSOR_RANK], vec![0]).is_ok());
}

#[test]
fn srs_store_round_trip_list_and_find() {
    let dir = tempfile::tempdir().unwrap();
    let store = SrsStore::new(dir.path());
    let srs = Srs::insecure_for_tests(3, 11);
    srs.lagrange(2).unwrap();
    let path = store.save(&srs).unwrap();
    let back = store.load(&path).unwrap();
    assert_eq!(back.digest(), srs.digest());
    assert_eq!(back.power(), 3);
    assert_eq!(back.source(), srs.source());
    assert_eq!(back.g1_powers(), srs.g1_powers());
    assert_eq!(back.g2_powers(), srs.g2_powers());
    assert_eq!(back.lagrange_cached(), srs.lagrange_cached());
    assert_eq!(
        SrsStore::load_bytes(&std::fs::read(&path).unwrap())
            .unwrap()
            .digest(),
        srs.digest()
    );

    let list = store.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].path, path);
    assert_eq!(list[0].power, 3);
    assert_eq!(list[0].digest_hex, srs.digest_hex());
    assert_eq!(
        list[0].source,
        Some(SrsSource::InsecureTestOnly { seed: 11 })
    );
    assert!(list[0].error.is_none());
    // A test SRS is never picked for real use.
    assert!(store.find(0).unwrap().is_none());
}

// ---- every small corruption --------------------------------------------------------------------

#[test]
fn every_single_byte_flip_is_refused_or_changes_the_value() {
    let proof = sample_proof(true);
    let bytes = proof.to_bytes();
    // Positions in parallel (each parse checks several G2 points).
    let accepted: usize = (0..bytes.len())
        .into_par_iter()
        .map(|i| {
            // Low bit, the two point-flag bits, all bits, and a position-dependent pattern.
            let pattern = (i as u8).wrapping_mul(37) | 1;
            let mut accepted = 0;
            for mask in [0x01u8, 0x40, 0x80, 0xff, pattern] {
                let mut b = bytes.clone();
                b[i] ^= mask;
                if let Ok(p) = ProofFile::from_bytes(&b) {
                    assert_ne!(
                        p, proof,
                        "flip {mask:#04x} at byte {i} parsed to the same proof"
                    );
                    accepted += 1;
                }
            }
            accepted
        })
        .sum();
    // Public tensor values (and the key digest, when no key is embedded) parse to other values.
    assert!(accepted > 0);

    let vk = sample_vk();
    let bytes = vk.to_bytes();
    for i in 0..bytes.len() {
        for mask in [0x01u8, 0x40, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= mask;
            if let Ok(v) = VerifyingKey::from_bytes(&b) {
                assert_ne!(v, vk, "flip {mask:#04x} at byte {i} parsed to the same key");
            }
        }
    }
}

#[test]
fn every_truncation_is_refused() {
    for embed in [false, true] {
        let bytes = sample_proof(embed).to_bytes();
        for len in 0..bytes.len() {
            assert!(
                ProofFile::from_bytes(&bytes[..len]).is_err(),
                "length {len}"
            );
        }
    }
    let bytes = sample_vk().to_bytes();
    for len in 0..bytes.len() {
        assert!(
            VerifyingKey::from_bytes(&bytes[..len]).is_err(),
            "length {len}"
        );
    }
}

#[test]
fn every_srs_cache_truncation_is_refused() {
    let bytes = SrsStore::to_bytes(&Srs::insecure_for_tests(1, 2));
    for len in 0..bytes.len() {
        assert!(SrsStore::load_bytes(&bytes[..len]).is_err(), "length {len}");
    }
}

// ---- specific refusals -------------------------------------------------------------------------

#[test]
fn wrong_magic_is_refused() {
    let mut b = sample_proof(false).to_bytes();
    b[0] ^= 1;
    assert!(proof_err(&b).contains("not a zktorch proof file"));
    let mut b = sample_vk().to_bytes();
    b[7] ^= 1;
    assert!(vk_err(&b).contains("not a zktorch verifying key"));
    // Each reader refuses the other format.
    assert!(proof_err(&sample_vk().to_bytes()).contains("not a zktorch proof file"));
    assert!(vk_err(&sample_proof(true).to_bytes()).contains("not a zktorch verifying key"));
    assert!(proof_err(b"").contains("truncated"));
}

#[test]
fn future_version_is_refused_naming_both_versions() {
    let mut b = sample_proof(false).to_bytes();
    let next = FORMAT_VERSION + 1;
    b[8..10].copy_from_slice(&next.to_le_bytes());
    let err = proof_err(&b);
    assert!(
        err.contains(&format!("format version {next} is not supported"))
            && err.contains(&format!("reads version {FORMAT_VERSION}")),
        "{err}"
    );
    let mut b = sample_vk().to_bytes();
    b[8..10].copy_from_slice(&7u16.to_le_bytes());
    assert!(vk_err(&b).contains("format version 7 is not supported"));
}

#[test]
fn huge_counts_are_refused_before_allocating() {
    let base = sample_proof(false).to_bytes();
    for count in [u64::MAX, 1 << 40, 1 << 20] {
        let mut b = base.clone();
        b[INPUTS_AT..INPUTS_AT + 8].copy_from_slice(&count.to_le_bytes());
        assert!(proof_err(&b).contains("cannot fit"));
    }
    // The embedded key's length, and the key's own counts.
    let mut b = sample_proof(true).to_bytes();
    b[INPUTS_AT..INPUTS_AT + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(proof_err(&b).contains("cannot fit"));
    let mut b = sample_vk().to_bytes();
    // magic, version, SRS digest, label ("local"), [1]₁, [1]₂, [τ]₂.
    let g2_extra_at = 8 + 2 + 32 + 8 + 5 + 32 + 64 + 64;
    b[g2_extra_at..g2_extra_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(vk_err(&b).contains("cannot fit"));
    // A tensor rank beyond the cap.
    let t = ProofFile {
        inputs: vec![Tensor::new(vec![1], vec![5]).unwrap()],
        ..sample_proof(false)
    };
    let mut b = t.to_bytes();
    let rank_at = INPUTS_AT + 8;
    b[rank_at..rank_at + 8].copy_from_slice(&9u64.to_le_bytes());
    assert!(proof_err(&b).contains("rank 9 exceeds the maximum 8"));
}

/// A proof without key whose encoding of inputs is replaced by `tensor_bytes` (one tensor).
fn proof_with_raw_input(tensor_bytes: &[u8]) -> Vec<u8> {
    let p = ProofFile {
        inputs: vec![],
        ..sample_proof(false)
    };
    let b = p.to_bytes();
    let mut out = b[..INPUTS_AT].to_vec();
    out.extend_from_slice(&1u64.to_le_bytes());
    out.extend_from_slice(tensor_bytes);
    out.extend_from_slice(&b[INPUTS_AT + 8..]);
    out
}

fn raw_tensor(shape: &[u64], data: &[i64]) -> Vec<u8> {
    let mut t = (shape.len() as u64).to_le_bytes().to_vec();
    for d in shape {
        t.extend_from_slice(&d.to_le_bytes());
    }
    t.extend_from_slice(&(data.len() as u64).to_le_bytes());
    for v in data {
        // zigzag LEB128
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        loop {
            let b = (z & 0x7f) as u8;
            z >>= 7;
            if z == 0 {
                t.push(b);
                break;
            }
            t.push(b | 0x80);
        }
    }
    t
}

#[test]
fn tensor_values_have_one_encoding() {
    // Overlong varints (a zero continuation) are refused; extremes round-trip.
    let mut overlong = raw_tensor(&[1], &[]);
    let n = overlong.len();
    overlong[n - 8..].copy_from_slice(&1u64.to_le_bytes());
    overlong.extend_from_slice(&[0x80, 0x00]);
    let err = proof_err(&proof_with_raw_input(&overlong));
    assert!(err.contains("overlong"), "{err}");
    for v in [0, 1, -1, 63, -64, 64, i64::MAX, i64::MIN] {
        let b = proof_with_raw_input(&raw_tensor(&[1], &[v]));
        assert_eq!(ProofFile::from_bytes(&b).unwrap().inputs[0].data, vec![v]);
    }
}

#[test]
fn tensor_shape_must_match_data() {
    // Sanity: the raw encoding is the real one.
    let ok = proof_with_raw_input(&raw_tensor(&[2, 3], &[1, 2, 3, 4, 5, 6]));
    assert_eq!(
        ProofFile::from_bytes(&ok).unwrap().inputs,
        vec![Tensor::new(vec![2, 3], vec![1, 2, 3, 4, 5, 6]).unwrap()]
    );
    let err = proof_err(&proof_with_raw_input(&raw_tensor(
        &[2, 3],
        &[1, 2, 3, 4, 5],
    )));
    assert!(err.contains("needs 6 values but the data has 5"), "{err}");
    let err = proof_err(&proof_with_raw_input(&raw_tensor(&[u64::MAX, 3], &[])));
    assert!(err.contains("more elements than fit in 64 bits"), "{err}");
    let err = proof_err(&proof_with_raw_input(&raw_tensor(&[1 << 32, 1 << 32], &[])));
    assert!(err.contains("more elements than fit in 64 bits"), "{err}");
    let err = proof_err(&proof_with_raw_input(&raw_tensor(&[1 << 40], &[])));
    assert!(err.contains("needs 1099511627776 values"), "{err}");
}

#[test]
fn embedded_vk_must_match_the_digest() {
    let mut p = sample_proof(true);
    p.vk_digest[0] ^= 1;
    let err = proof_err(&p.to_bytes());
    assert!(err.contains("embedded verifying key has digest"), "{err}");
    // Without an embedded key any digest is accepted (the verifier pins one).
    let mut p = sample_proof(false);
    p.vk_digest = [9; 32];
    assert_eq!(ProofFile::from_bytes(&p.to_bytes()).unwrap(), p);
    // An invalid flag.
    let mut b = sample_proof(false).to_bytes();
    b[INPUTS_AT - 1] = 2;
    assert!(proof_err(&b).contains("verifying-key flag is 2"));
}

#[test]
fn g2_point_outside_the_subgroup_is_refused() {
    let off = off_subgroup_g2();
    let enc = compressed(&off);
    assert_eq!(enc.len(), 64);
    // In the proof's G2 section: the one G2 point sits before the scalars (count + 3 × 32).
    let mut b = sample_proof(false).to_bytes();
    let at = b.len() - (8 + 3 * 32) - 64;
    assert_eq!(&b[at..at + 64], &compressed(&g2(9))[..]);
    b[at..at + 64].copy_from_slice(&enc);
    let err = proof_err(&b);
    assert!(
        err.contains("G2 point") && err.contains("not in the prime-order subgroup"),
        "{err}"
    );
    // In the verifying key ([τ]₂), also when embedded in a proof.
    let mut b = sample_vk().to_bytes();
    let tau_h_at = 8 + 2 + 32 + 32 + 64;
    b[tau_h_at..tau_h_at + 64].copy_from_slice(&enc);
    assert!(vk_err(&b).contains("not in the prime-order subgroup"));
    let mut vk = sample_vk();
    vk.pcs.tau_h = off;
    let p = ProofFile {
        vk_digest: vk.digest(),
        vk: Some(vk),
        ..sample_proof(false)
    };
    assert!(proof_err(&p.to_bytes()).contains("not in the prime-order subgroup"));
}

#[test]
fn g1_x_without_a_curve_point_is_refused() {
    let mut b = sample_proof(false).to_bytes();
    let at = b.len() - (8 + 3 * 32) - 64 - 8 - 2 * 32;
    assert_eq!(&b[at..at + 32], &compressed(&g1(3))[..]);
    // Find an x with x³ + 3 not a square.
    let mut x = Fq::from(1u64);
    while (x * x * x + Fq::from(3u64)).sqrt().is_some() {
        x += Fq::ONE;
    }
    b[at..at + 32].copy_from_slice(&x.into_bigint().to_bytes_le());
    let err = proof_err(&b);
    assert!(
        err.contains("invalid G1 point") && err.contains("not a point encoding"),
        "{err}"
    );
}

#[test]
fn non_canonical_encodings_are_refused() {
    let proof = sample_proof(false);
    let b = proof.to_bytes();
    let last = b.len() - 32;
    // The scalar r (≡ 0) and 2^256 − 1.
    for bad in [Fr::MODULUS.to_bytes_le(), vec![0xff; 32]] {
        let mut c = b.clone();
        c[last..].copy_from_slice(&bad);
        let err = proof_err(&c);
        assert!(err.contains("not a canonical field element"), "{err}");
    }
    // The point at infinity with stray x bits (arkworks alone would accept it).
    let vk = sample_vk();
    let mut c = vk.to_bytes();
    // Before it: g1(13), then the key proof's one G1 and one scalar (each with its count).
    let zero_at = c.len() - (8 + 32) - (8 + 32) - 2 * 32;
    assert_eq!(
        &c[zero_at..zero_at + 32],
        &compressed(&G1Affine::zero())[..]
    );
    c[zero_at] = 1;
    assert!(vk_err(&c).contains("not the canonical encoding"));
}

#[test]
fn trailing_bytes_are_refused() {
    let mut b = sample_proof(true).to_bytes();
    b.push(0);
    assert!(proof_err(&b).contains("1 trailing bytes"));
    let mut b = sample_vk().to_bytes();
    b.extend_from_slice(&[0; 3]);
    assert!(vk_err(&b).contains("3 trailing bytes"));
}

#[test]
fn checksum_corrupted_srs_cache_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = SrsStore::new(dir.path());
    let path = store.save(&Srs::insecure_for_tests(2, 5)).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let i = bytes.len() / 3;
    bytes[i] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();
    let err = malformed(store.load(&path).unwrap_err());
    assert!(
        err.contains("checksum mismatch") && err.contains("delete it"),
        "{err}"
    );
    let list = store.list().unwrap();
    assert!(list[0]
        .error
        .as_deref()
        .unwrap()
        .contains("checksum mismatch"));
}

// ---- property tests: never a panic -------------------------------------------------------------

#[derive(Clone, Debug)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Set(usize, u8),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, m)| Edit::Flip(i, m)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Edit::Insert(i, v)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Edit::Set(i, v)),
    ];
    prop::collection::vec(edit, 1..6)
}

fn apply(mut b: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = b.len();
        match *e {
            Edit::Flip(i, m) if n > 0 => b[i % n] ^= m,
            Edit::Set(i, v) if n > 0 => b[i % n] = v,
            Edit::Delete(i) if n > 0 => {
                b.remove(i % n);
            }
            Edit::Insert(i, v) => b.insert(i % (n + 1), v),
            _ => {}
        }
    }
    b
}

/// Recomputes an SRS cache file's checksum so that edits reach the parser.
fn reseal(mut b: Vec<u8>) -> Vec<u8> {
    if b.len() >= 64 {
        let n = b.len() - 64;
        let sum = Blake2b512::digest(&b[..n]);
        b[n..].copy_from_slice(&sum);
    }
    b
}

fn header(magic: &[u8; 8]) -> Vec<u8> {
    let mut h = magic.to_vec();
    h.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    h
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let _ = ProofFile::from_bytes(&bytes);
        let _ = VerifyingKey::from_bytes(&bytes);
        let _ = SrsStore::load_bytes(&bytes);
        // Past the magic and version, so the body parsers see the bytes.
        let mut p = header(b"ZKTRCHPF");
        p.extend_from_slice(&bytes);
        let _ = ProofFile::from_bytes(&p);
        let mut v = header(b"ZKTRCHVK");
        v.extend_from_slice(&bytes);
        let _ = VerifyingKey::from_bytes(&v);
        let mut s = b"ZKTRCSRS".to_vec();
        s.extend_from_slice(&1u16.to_le_bytes());
        s.extend_from_slice(&bytes);
        s.extend_from_slice(&[0; 64]);
        let _ = SrsStore::load_bytes(&reseal(s));
    }

    #[test]
    fn mutated_proofs_and_keys_never_panic(embed in any::<bool>(), edits in edits()) {
        let proof = sample_proof(embed);
        let b = apply(proof.to_bytes(), &edits);
        if let Ok(p) = ProofFile::from_bytes(&b) {
            // Canonical encoding: accepted bytes are exactly the encoding of what they decode to.
            prop_assert_eq!(p.to_bytes(), b);
        }
        let v = apply(sample_vk().to_bytes(), &edits);
        if let Ok(k) = VerifyingKey::from_bytes(&v) {
            prop_assert_eq!(k.to_bytes(), v);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn mutated_srs_cache_files_never_panic(
        edits in edits(),
        bytes in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        thread_local! {
            static GOOD: Vec<u8> = SrsStore::to_bytes(&Srs::insecure_for_tests(2, 1));
        }
        let dir = tempfile::tempdir().unwrap();
        let store = SrsStore::new(dir.path());
        let good = GOOD.with(|g| g.clone());
        let cases = [
            bytes,
            apply(good.clone(), &edits),
            reseal(apply(good, &edits)),
        ];
        for (i, case) in cases.iter().enumerate() {
            let path = dir.path().join(format!("case{i}.zks"));
            std::fs::write(&path, case).unwrap();
            let _ = store.load(&path);
        }
        let _ = store.list().unwrap();
        let _ = store.find(0);
    }
}

#[test]
fn verifying_key_with_a_degenerate_srs_part_is_refused() {
    // h = 0 or τh = 0 would make every pairing product 1 (every proof valid).
    type Mutation = Box<dyn Fn(&mut VerifyingKey)>;
    let cases: Vec<(&str, Mutation)> = vec![
        ("τ", Box::new(|vk| vk.pcs.tau_h = G2Affine::zero())),
        ("τ", Box::new(|vk| vk.pcs.tau_h = vk.pcs.h)),
        ("generators", Box::new(|vk| vk.pcs.h = g2(3))),
        ("generators", Box::new(|vk| vk.pcs.g = g1(2))),
    ];
    for (needle, mutate) in cases {
        let mut vk = sample_vk();
        mutate(&mut vk);
        let err = VerifyingKey::from_bytes(&vk.to_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{err}");
    }
}
