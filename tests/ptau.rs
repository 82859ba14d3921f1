//! Import of the real Hermez powers-of-tau file of power 8, and refusal of corrupted copies.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::short_weierstrass::SWCurveConfig;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInt, Field, One};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use blake2::{Blake2b512, Digest};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;
use zktorch::srs::{lagrange_by_fft, ptau, Srs, SrsSource};
use zktorch::Error;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/powersOfTau28_hez_final_08.ptau"
);

/// The published BLAKE2b-512 of `powersOfTau28_hez_final_08.ptau`.
const PUBLISHED_BLAKE2B: &str = "d6a8fb3a04feb600096c3b791f936a578c4e664d262e4aa24beed1b7a9a96aa5\
                                 eb72864d628db247e9293384b74b36ffb52ca8d148d6e1b8b51e279fdf57b583";

const G1_BYTES: usize = 64;
const G2_BYTES: usize = 128;

fn fixture() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| std::fs::read(FIXTURE).expect("fixture present"))
}

/// The full, untrimmed import of the fixture (shared between tests).
fn full() -> &'static Srs {
    static SRS: OnceLock<Srs> = OnceLock::new();
    SRS.get_or_init(|| ptau::import_bytes(fixture(), None).expect("fixture imports"))
}

// ---------------------------------------------------------------------------------------------
// Container helpers for the tests (independent of the implementation).

/// A section as found in the file: id, byte offset of its `id` field, byte offset of its payload,
/// payload length.
#[derive(Clone, Copy, Debug)]
struct Loc {
    id: u32,
    at: usize,
    start: usize,
    len: usize,
}

fn locate(bytes: &[u8]) -> Vec<Loc> {
    let n = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
    let mut pos = 12;
    let mut out = Vec::new();
    for _ in 0..n {
        let id = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap());
        let len = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
        out.push(Loc {
            id,
            at: pos,
            start: pos + 12,
            len,
        });
        pos += 12 + len;
    }
    assert_eq!(pos, bytes.len());
    out
}

fn loc(bytes: &[u8], id: u32) -> Loc {
    *locate(bytes)
        .iter()
        .find(|l| l.id == id)
        .expect("section present")
}

/// The sections of a container, in file order.
fn split(bytes: &[u8]) -> Vec<(u32, Vec<u8>)> {
    locate(bytes)
        .into_iter()
        .map(|l| (l.id, bytes[l.start..l.start + l.len].to_vec()))
        .collect()
}

/// A version-1 container holding `sections` in the given order.
fn build(sections: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = b"ptau".to_vec();
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    for (id, payload) in sections {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(payload);
    }
    out
}

/// Little-endian Montgomery limbs of a base-field element (the .ptau representation).
fn fq_le(f: &Fq) -> Vec<u8> {
    f.0 .0.iter().flat_map(|l| l.to_le_bytes()).collect()
}

fn g1_le(p: &G1Affine) -> Vec<u8> {
    [fq_le(&p.x), fq_le(&p.y)].concat()
}

/// A G1 point from .ptau bytes (test helper: no validation beyond what the test asserts).
fn g1_from_le(b: &[u8]) -> G1Affine {
    if b.iter().all(|&x| x == 0) {
        return G1Affine::zero();
    }
    let fq = |o: usize| {
        let limbs: Vec<u64> = b[o..o + 32]
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        Fq::new_unchecked(BigInt(limbs.try_into().unwrap()))
    };
    let p = G1Affine::new_unchecked(fq(0), fq(32));
    assert!(p.is_on_curve());
    p
}

fn g2_le(p: &G2Affine) -> Vec<u8> {
    [
        fq_le(&p.x.c0),
        fq_le(&p.x.c1),
        fq_le(&p.y.c0),
        fq_le(&p.y.c1),
    ]
    .concat()
}

/// Overwrites point `index` of section `id` with `point` (64 or 128 bytes).
fn put_point(bytes: &mut [u8], id: u32, index: usize, point: &[u8]) {
    let l = loc(bytes, id);
    let at = l.start + index * point.len();
    bytes[at..at + point.len()].copy_from_slice(point);
}

fn set_header_u32(bytes: &mut [u8], field_offset: usize, v: u32) {
    let l = loc(bytes, 1);
    bytes[l.start + field_offset..l.start + field_offset + 4].copy_from_slice(&v.to_le_bytes());
}

const HEADER_POWER: usize = 4 + 32;

fn refusal(bytes: &[u8], max_power: Option<u32>) -> String {
    match ptau::import_bytes(bytes, max_power) {
        Ok(srs) => panic!("corrupted file was accepted: {srs:?}"),
        Err(e @ Error::Ptau(_)) => e.to_string(),
        Err(e) => panic!("expected Error::Ptau, got {e:?}"),
    }
}

fn assert_refused(bytes: &[u8], needles: &[&str]) {
    let msg = refusal(bytes, None);
    for needle in needles {
        assert!(msg.contains(needle), "message {msg:?} lacks {needle:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// The genuine file.

#[test]
fn fixture_hash_is_the_published_one() {
    let hash = hex::encode(Blake2b512::digest(fixture()));
    assert_eq!(hash, PUBLISHED_BLAKE2B);
}

#[test]
fn fixture_imports_with_its_lagrange_bases() {
    let srs = full();
    assert_eq!(srs.power(), 8);
    assert_eq!(srs.g1_powers().len(), 511);
    assert_eq!(srs.g2_powers().len(), 256);
    assert_eq!(srs.g1_powers()[0], G1Affine::generator());
    assert_eq!(srs.g2_powers()[0], G2Affine::generator());
    assert_eq!(
        srs.source(),
        &SrsSource::Ptau {
            file_blake2b: PUBLISHED_BLAKE2B.to_string(),
            file_power: 8,
            ceremony_power: 28,
        }
    );
    // Section 12 provided every basis up to 2^8; they are the ark-poly bases of the powers.
    let cached = srs.lagrange_cached();
    assert_eq!(
        cached.keys().copied().collect::<Vec<_>>(),
        (0..=8).collect::<Vec<_>>()
    );
    for log_n in 0..=8u32 {
        let from_file = &cached[&log_n];
        let by_fft = lagrange_by_fft(&srs.g1_powers()[..1 << log_n]);
        assert_eq!(**from_file, by_fft, "Lagrange basis of size 2^{log_n}");
    }
    assert_eq!(srs.lagrange(0).unwrap()[0], G1Affine::generator());
}

#[test]
fn section_12_layout_is_every_size_up_to_twice_the_power() {
    // 2^0 + … + 2^9 = 1023 points; the basis of size 2^k starts at point 2^k − 1 (the sizes up
    // to 2^8 are checked against `lagrange_by_fft` above). The last basis, of size 2^9, needs
    // [τ^511]₁, which the file does not hold in section 2: its FFT gives back the 511 powers and
    // one more point that is [τ^511]₁ (the file was cut from a larger ceremony's file).
    let bytes = fixture();
    let l12 = loc(bytes, 12);
    assert_eq!(l12.len, 1023 * G1_BYTES);
    let start = l12.start + 511 * G1_BYTES;
    let last: Vec<G1Affine> = bytes[start..start + 512 * G1_BYTES]
        .chunks_exact(G1_BYTES)
        .map(g1_from_le)
        .collect();
    let domain = Radix2EvaluationDomain::<Fr>::new(512).unwrap();
    let mut evals: Vec<G1Projective> = last.iter().map(|p| p.into_group()).collect();
    domain.fft_in_place(&mut evals);
    let powers = G1Projective::normalize_batch(&evals);
    let srs = full();
    assert_eq!(&powers[..511], srs.g1_powers());
    // e([τ^511]₁, [1]₂) = e([τ^510]₁, [τ]₂).
    assert_eq!(
        Bn254::pairing(powers[511], srs.g2_powers()[0]),
        Bn254::pairing(srs.g1_powers()[510], srs.g2_powers()[1])
    );
}

#[test]
fn trimmed_import_is_a_prefix() {
    let srs = ptau::import_bytes(fixture(), Some(4)).unwrap();
    assert_eq!(srs.power(), 4);
    assert_eq!(srs.g1_powers(), &full().g1_powers()[..31]);
    assert_eq!(srs.g2_powers(), &full().g2_powers()[..16]);
    assert!(matches!(
        srs.source(),
        SrsSource::Ptau { file_power: 8, .. }
    ));
    assert_eq!(srs.lagrange_cached().len(), 5);
    assert_eq!(*srs.lagrange(4).unwrap(), *full().lagrange(4).unwrap());

    // Power 0 would have no [τ]₂, which every opening check needs: refused with a message.
    let err = ptau::import_bytes(fixture(), Some(0))
        .unwrap_err()
        .to_string();
    assert!(err.contains("power 0"), "{err}");
    let tiny = ptau::import_bytes(fixture(), Some(1)).unwrap();
    assert_eq!(tiny.power(), 1);
    assert_eq!(tiny.g1_powers(), &full().g1_powers()[..3]);

    let bigger = ptau::import_bytes(fixture(), Some(20)).unwrap();
    assert_eq!(bigger.power(), 8);
    assert_eq!(bigger.digest(), full().digest());
}

#[test]
fn trimmed_import_ignores_corruption_beyond_what_it_keeps() {
    let mut bytes = fixture().to_vec();
    put_point(&mut bytes, 2, 400, &[0xff; G1_BYTES]);
    put_point(&mut bytes, 3, 200, &[0x01; G2_BYTES]);
    put_point(&mut bytes, 12, 300, &[0x02; G1_BYTES]);
    assert!(ptau::import_bytes(&bytes, Some(4)).is_ok());
    assert!(ptau::import_bytes(&bytes, None).is_err());
}

#[test]
fn import_reads_a_file_and_names_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.ptau");
    std::fs::write(&path, fixture()).unwrap();
    let srs = ptau::import(&path, Some(3)).unwrap();
    assert_eq!(srs.power(), 3);

    let missing = dir.path().join("no-such-file.ptau");
    match ptau::import(&missing, None) {
        Err(e @ Error::Io { .. }) => {
            assert!(e.to_string().contains("no-such-file.ptau"), "{e}")
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }

    let mut corrupt = fixture().to_vec();
    corrupt[0] = b'q';
    std::fs::write(&path, &corrupt).unwrap();
    assert!(matches!(ptau::import(&path, None), Err(Error::Ptau(_))));
}

#[test]
fn file_without_lagrange_section_imports_and_derives_bases() {
    let sections: Vec<_> = split(fixture())
        .into_iter()
        .filter(|(id, _)| *id != 12)
        .collect();
    let srs = ptau::import_bytes(&build(&sections), None).unwrap();
    assert!(srs.lagrange_cached().is_empty());
    assert_eq!(srs.g1_powers(), full().g1_powers());
    assert_eq!(*srs.lagrange(5).unwrap(), *full().lagrange(5).unwrap());
    // The hash is that of the file given, not of the original.
    assert!(
        matches!(srs.source(), SrsSource::Ptau { file_blake2b, .. } if file_blake2b != PUBLISHED_BLAKE2B)
    );
}

#[test]
fn reordered_sections_with_correct_ids_are_valid() {
    let mut sections = split(fixture());
    let i2 = sections.iter().position(|s| s.0 == 2).unwrap();
    let i3 = sections.iter().position(|s| s.0 == 3).unwrap();
    sections.swap(i2, i3);
    sections.reverse();
    let srs = ptau::import_bytes(&build(&sections), None).unwrap();
    assert_eq!(srs.digest(), full().digest());
}

// ---------------------------------------------------------------------------------------------
// Container corruptions.

#[test]
fn truncated_files_are_refused() {
    let bytes = fixture();
    let l2 = loc(bytes, 2);
    for cut in [
        0,
        3,
        6,
        11,
        20,
        l2.at - 5,
        l2.at + 7,
        l2.start + 1000,
        bytes.len() - 1,
    ] {
        let msg = refusal(&bytes[..cut], None);
        assert!(msg.contains("truncated"), "cut at {cut}: {msg}");
    }
    // Inside section 2, the message names it.
    let msg = refusal(&bytes[..l2.start + 1000], None);
    assert!(msg.contains("section 2 (tauG1)"), "{msg}");
}

#[test]
fn absurd_section_length_is_refused_without_allocating() {
    let mut bytes = fixture().to_vec();
    let l2 = loc(&bytes, 2);
    bytes[l2.at + 4..l2.at + 12].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_refused(&bytes, &["truncated", "section 2", &u64::MAX.to_string()]);
    let mut bytes = fixture().to_vec();
    bytes[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_refused(&bytes, &["truncated"]);
}

#[test]
fn wrong_magic_and_version_are_refused() {
    let mut bytes = fixture().to_vec();
    bytes[..4].copy_from_slice(b"zkey");
    assert_refused(&bytes, &["not a .ptau file", "magic"]);
    let mut bytes = fixture().to_vec();
    bytes[4..8].copy_from_slice(&2u32.to_le_bytes());
    assert_refused(&bytes, &["unsupported container version 2"]);
}

#[test]
fn duplicate_missing_and_trailing_are_refused() {
    let mut sections = split(fixture());
    let four = sections.iter().find(|s| s.0 == 4).unwrap().clone();
    sections.push(four);
    assert_refused(&build(&sections), &["section 4", "more than once"]);

    let sections: Vec<_> = split(fixture())
        .into_iter()
        .filter(|(id, _)| *id != 3)
        .collect();
    assert_refused(&build(&sections), &["missing required section 3 (tauG2)"]);

    let sections: Vec<_> = split(fixture())
        .into_iter()
        .filter(|(id, _)| *id != 1)
        .collect();
    assert_refused(&build(&sections), &["missing required section 1 (header)"]);

    let mut bytes = fixture().to_vec();
    bytes.extend_from_slice(&[0; 5]);
    assert_refused(&bytes, &["5 trailing bytes"]);
}

#[test]
fn unknown_sections_are_skipped() {
    let mut sections = split(fixture());
    sections.insert(2, (99, vec![0xab; 17]));
    let srs = ptau::import_bytes(&build(&sections), None).unwrap();
    assert_eq!(srs.digest(), full().digest());
}

// ---------------------------------------------------------------------------------------------
// Header corruptions.

#[test]
fn wrong_power_in_header_is_refused_by_section_lengths() {
    let mut bytes = fixture().to_vec();
    set_header_u32(&mut bytes, HEADER_POWER, 9);
    assert_refused(
        &bytes,
        &[
            "section 2 (tauG1)",
            "length is 32704 bytes",
            "expected 65472 bytes",
        ],
    );
    let mut bytes = fixture().to_vec();
    set_header_u32(&mut bytes, HEADER_POWER, 7);
    assert_refused(
        &bytes,
        &[
            "section 2 (tauG1)",
            "length is 32704 bytes",
            "expected 16320 bytes",
        ],
    );
}

#[test]
fn out_of_range_power_is_refused() {
    for power in [0, 28, u32::MAX] {
        let mut bytes = fixture().to_vec();
        set_header_u32(&mut bytes, HEADER_POWER, power);
        assert_refused(&bytes, &[&format!("power {power} is out of range")]);
    }
    let mut bytes = fixture().to_vec();
    set_header_u32(&mut bytes, HEADER_POWER + 4, 7);
    assert_refused(&bytes, &["exceeds the ceremony power 7"]);
}

#[test]
fn non_bn254_modulus_is_refused() {
    // BN254's scalar-field modulus r in place of the base-field modulus q.
    let mut bytes = fixture().to_vec();
    let l1 = loc(&bytes, 1);
    let r_le = {
        let mut r = hex::decode("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001")
            .unwrap();
        r.reverse();
        r
    };
    bytes[l1.start + 4..l1.start + 36].copy_from_slice(&r_le);
    assert_refused(&bytes, &["section 1 (header)", "modulus", "not BN254's"]);

    // A 48-byte field (BLS12-381 files) is refused on n8 already.
    let mut bytes = fixture().to_vec();
    set_header_u32(&mut bytes, 0, 48);
    assert_refused(&bytes, &["field elements are 48 bytes, expected 32"]);
}

#[test]
fn swapped_section_ids_are_refused() {
    let mut bytes = fixture().to_vec();
    let (l2, l3) = (loc(&bytes, 2), loc(&bytes, 3));
    bytes[l2.at..l2.at + 4].copy_from_slice(&3u32.to_le_bytes());
    bytes[l3.at..l3.at + 4].copy_from_slice(&2u32.to_le_bytes());
    assert_refused(
        &bytes,
        &[
            "section 2 (tauG1)",
            "length is 32768 bytes",
            "expected 32704 bytes",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Point corruptions.

#[test]
fn flipped_g1_byte_is_refused() {
    let l2 = loc(fixture(), 2);
    // A low byte of x: almost surely off the curve.
    let mut bytes = fixture().to_vec();
    bytes[l2.start + 17 * G1_BYTES + 5] ^= 0x01;
    let msg = refusal(&bytes, None);
    assert!(msg.contains("section 2 (tauG1): point #17"), "{msg}");
    assert!(
        msg.contains("not on the curve") || msg.contains("not a canonical field element"),
        "{msg}"
    );
    // The top byte of y: above the modulus.
    let mut bytes = fixture().to_vec();
    bytes[l2.start + 17 * G1_BYTES + 63] ^= 0x80;
    assert_refused(
        &bytes,
        &[
            "section 2 (tauG1): point #17",
            "not a canonical field element",
        ],
    );
}

#[test]
fn canonical_off_curve_g1_point_is_refused() {
    let p = full().g1_powers()[17];
    let off = G1Affine::new_unchecked(p.x, p.y + Fq::one());
    assert!(!off.is_on_curve());
    let mut bytes = fixture().to_vec();
    put_point(&mut bytes, 2, 17, &g1_le(&off));
    assert_refused(
        &bytes,
        &["section 2 (tauG1): point #17 is not on the curve"],
    );
}

#[test]
fn off_curve_g2_point_is_refused() {
    let p = full().g2_powers()[5];
    let off = G2Affine::new_unchecked(p.x, p.y + Fq2::one());
    let mut bytes = fixture().to_vec();
    put_point(&mut bytes, 3, 5, &g2_le(&off));
    assert_refused(&bytes, &["section 3 (tauG2): point #5 is not on the curve"]);
}

/// A point of the twist curve y² = x³ + b' outside the r-torsion subgroup.
fn g2_point_outside_subgroup() -> G2Affine {
    for i in 1u64.. {
        let x = Fq2::new(Fq::from(i), Fq::one());
        let rhs = x * x * x + ark_bn254::g2::Config::COEFF_B;
        if let Some(y) = rhs.sqrt() {
            let p = G2Affine::new_unchecked(x, y);
            assert!(p.is_on_curve());
            if !p.is_in_correct_subgroup_assuming_on_curve() {
                return p;
            }
        }
    }
    unreachable!()
}

#[test]
fn g2_point_outside_the_subgroup_is_refused() {
    let bad = g2_point_outside_subgroup();
    let mut bytes = fixture().to_vec();
    put_point(&mut bytes, 3, 7, &g2_le(&bad));
    assert_refused(
        &bytes,
        &["section 3 (tauG2): point #7 is not in the prime-order subgroup"],
    );
}

#[test]
fn valid_points_that_are_not_the_powers_are_refused() {
    let srs = full();
    // G1: a valid point (another power) in the wrong place.
    let mut bytes = fixture().to_vec();
    put_point(&mut bytes, 2, 17, &g1_le(&srs.g1_powers()[18]));
    assert_refused(&bytes, &["not consistent powers of one τ", "G1 powers"]);
    // G1: a random multiple of the generator.
    let mut bytes = fixture().to_vec();
    let q = (G1Affine::generator() * Fr::from(123456789u64)).into_affine();
    put_point(&mut bytes, 2, 300, &g1_le(&q));
    assert_refused(&bytes, &["G1 powers", "randomized pairing check failed"]);
    // G2.
    let mut bytes = fixture().to_vec();
    put_point(&mut bytes, 3, 4, &g2_le(&srs.g2_powers()[3]));
    assert_refused(&bytes, &["G2 powers"]);
    // The first power.
    let mut bytes = fixture().to_vec();
    put_point(&mut bytes, 2, 0, &g1_le(&srs.g1_powers()[1]));
    assert_refused(&bytes, &["the first G1 power is not the generator"]);
}

#[test]
fn corrupted_lagrange_points_are_refused() {
    // A valid point in the wrong place of the basis of size 2^3 (points #7..#14).
    let basis = full().lagrange(3).unwrap();
    let mut bytes = fixture().to_vec();
    put_point(&mut bytes, 12, 7 + 2, &g1_le(&basis[3]));
    assert_refused(
        &bytes,
        &[
            "section 12 (lagrangeG1)",
            "Lagrange basis of size 2^3",
            "does not match",
        ],
    );
    // A flipped byte.
    let l12 = loc(fixture(), 12);
    let mut bytes = fixture().to_vec();
    bytes[l12.start + 100 * G1_BYTES + 9] ^= 0x10;
    let msg = refusal(&bytes, None);
    assert!(msg.contains("section 12 (lagrangeG1): point #100"), "{msg}");
    // A wrong section-12 length.
    let mut sections = split(fixture());
    sections
        .iter_mut()
        .find(|s| s.0 == 12)
        .unwrap()
        .1
        .truncate(511 * G1_BYTES);
    assert_refused(
        &build(&sections),
        &[
            "section 12 (lagrangeG1)",
            "length is 32704 bytes",
            "expected 65472 bytes",
        ],
    );
}

#[test]
fn random_corruptions_never_panic() {
    let mut rng = ChaCha20Rng::seed_from_u64(2024);
    let original = fixture();
    let header_end = loc(original, 2).start;
    for _ in 0..48 {
        let mut bytes = original.to_vec();
        match rng.gen_range(0..3) {
            // Anywhere in the container and header.
            0 => {
                let i = rng.gen_range(0..header_end);
                bytes[i] = rng.gen();
            }
            // Anywhere at all.
            1 => {
                let i = rng.gen_range(0..bytes.len());
                bytes[i] ^= 1 << rng.gen_range(0..8);
            }
            // A truncation.
            _ => bytes.truncate(rng.gen_range(0..bytes.len())),
        }
        let _ = ptau::import_bytes(&bytes, Some(rng.gen_range(0..4)));
    }
}
