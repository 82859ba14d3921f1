//! Import of snarkjs `.ptau` powers-of-tau files (BN254).
//!
//! # Why a ceremony file, and what checking it can and cannot tell
//!
//! A powers-of-tau ceremony produces `[τ^i]₁` and `[τ^i]₂` for a τ that is the product of the
//! secrets of every contributor. τ is unknown to everyone as long as **one** contributor was
//! honest and destroyed their share; nothing in the file can prove that, and this module does not
//! try (the contribution transcript, section 7, is not interpreted). What it does check is that
//! the file is **internally consistent**: that it is a well-formed container, that every point it
//! uses is a valid point of the right group, and that the points really are consecutive powers of
//! one τ. A file that passes is safe to use exactly to the extent that its ceremony is trusted;
//! a file that fails is corrupt or forged and is refused with a message naming the section and,
//! for points, the index of the first bad point.
//!
//! # Format
//!
//! All integers are little-endian.
//!
//! ```text
//! file    = "ptau" version:u32 (= 1) n_sections:u32 section*
//! section = id:u32 len:u64 payload[len]
//! ```
//!
//! Sections may appear in any order; each id at most once. Sections used here:
//!
//! | id | name         | payload                                                               |
//! |----|--------------|-----------------------------------------------------------------------|
//! | 1  | header       | `n8:u32 (= 32)`, `q` (n8 bytes, BN254's base-field modulus), `power:u32`, `ceremonyPower:u32` |
//! | 2  | tauG1        | `[τ^i]₁` for `0 ≤ i < 2^(power+1) − 1`                               |
//! | 3  | tauG2        | `[τ^i]₂` for `0 ≤ i < 2^power`                                       |
//! | 12 | lagrangeG1   | optional ("prepared for phase 2"): `[L_i(τ)]₁` for the domains of size `2^0, 2^1, …, 2^(power+1)`, concatenated by increasing size (`2^(power+2) − 1` points) |
//!
//! Sections 4–7 (`alphaTauG1`, `betaTauG1`, `betaG2`, contributions) and 13–15 (the other Lagrange
//! bases) are not needed for KZG and are skipped, as are unknown ids.
//!
//! Points are affine and uncompressed, each coordinate 32 bytes of little-endian **Montgomery**
//! limbs (arkworks' own in-memory representation): G1 is `x‖y` (64 bytes), G2 is
//! `x.c0‖x.c1‖y.c0‖y.c1` (128 bytes), and all-zero bytes denote the point at infinity. The
//! Lagrange basis of size `2^k` starts at point `2^k − 1` of section 12 and uses the same order and
//! root of unity as ark-poly's `Radix2EvaluationDomain` (so it equals
//! [`lagrange_by_fft`](super::lagrange_by_fft) of the first `2^k` powers). The last basis, of
//! size `2^(power+1)`, involves `[τ^(2^(power+1)−1)]₁`, which section 2 does not hold (in the
//! Hermez files it comes from the larger ceremony the file was cut from); it is never used here.
//!
//! # What is validated
//!
//! - The container: magic, version, every section length within the file (checked before any
//!   slice or allocation), no duplicate ids, no trailing bytes, sections 1–3 present.
//! - The header: `n8 = 32`, `q` is BN254's base-field modulus, `1 ≤ power ≤` [`MAX_POWER`],
//!   `power ≤ ceremonyPower`.
//! - Section lengths: exactly what the header's power implies (this catches a wrong power and
//!   swapped section ids).
//! - Every point that is read: coordinates canonical (`< q`), on the curve, in the prime-order
//!   subgroup (a real check for G2, whose twist has a large cofactor). Validation runs in parallel.
//! - The powers: `[τ^0]` are the standard generators, τ ≠ 0, and consecutive powers differ by the
//!   same τ, by the randomized pairing check [`check_powers_consistent`].
//! - The Lagrange bases taken from section 12: each is checked against the powers by the
//!   randomized [`lagrange_matches_powers`].
//!
//! Only the prefix that the (possibly trimmed) SRS keeps is read and validated: importing with
//! `max_power = Some(p)` reads `2^(p+1) − 1` G1 and `2^p` G2 powers and the Lagrange bases of sizes
//! up to `2^p`. Trimming below power 1 is refused: `[τ]₂` is needed by every opening check.

use super::subgroup::first_outside_g2;
use super::{
    check_powers_consistent, g1_len, g2_len, lagrange_matches_powers, Srs, SrsSource, MAX_POWER,
    MIN_POWER,
};
use crate::error::{Error, Result};
use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, BigInteger, PrimeField};
use blake2::{Blake2b512, Digest};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

const MAGIC: &[u8; 4] = b"ptau";
const VERSION: u32 = 1;
/// Bytes per base-field element.
const N8: usize = 32;
const G1_BYTES: usize = 2 * N8;
const G2_BYTES: usize = 4 * N8;
/// id (u32) + length (u64).
const SECTION_HEADER_BYTES: usize = 12;

const SECTION_HEADER: u32 = 1;
const SECTION_TAU_G1: u32 = 2;
const SECTION_TAU_G2: u32 = 3;
const SECTION_LAGRANGE_G1: u32 = 12;

/// The snarkjs name of a section, for messages.
fn section_name(id: u32) -> &'static str {
    match id {
        1 => "header",
        2 => "tauG1",
        3 => "tauG2",
        4 => "alphaTauG1",
        5 => "betaTauG1",
        6 => "betaG2",
        7 => "contributions",
        12 => "lagrangeG1",
        13 => "lagrangeG2",
        14 => "lagrangeAlphaG1",
        15 => "lagrangeBetaG1",
        _ => "unknown",
    }
}

fn refuse(msg: impl Into<String>) -> Error {
    Error::Ptau(msg.into())
}

/// Reads, validates and trims a snarkjs .ptau file.
///
/// The resulting SRS has power `min(file power, max_power)` (the whole file when `max_power` is
/// `None`). See the [module documentation](self) for the format and the checks; any failure is an
/// [`Error::Ptau`] naming the section (and point) at fault, or an [`Error::Io`] naming `path` if
/// the file cannot be read.
pub fn import(path: &Path, max_power: Option<u32>) -> Result<Srs> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    import_bytes(&bytes, max_power)
}

/// Like [`import`], from the bytes of a .ptau file already in memory.
pub fn import_bytes(bytes: &[u8], max_power: Option<u32>) -> Result<Srs> {
    let sections = parse_container(bytes)?;
    let required = |id: u32| -> Result<&[u8]> {
        sections.get(&id).copied().ok_or_else(|| {
            refuse(format!(
                "missing required section {id} ({})",
                section_name(id)
            ))
        })
    };
    let header = parse_header(required(SECTION_HEADER)?)?;
    let file_power = header.power;
    let g1_data = required(SECTION_TAU_G1)?;
    let g2_data = required(SECTION_TAU_G2)?;

    // Every length below is bounded: file_power ≤ MAX_POWER was checked by parse_header.
    check_section_len(
        SECTION_TAU_G1,
        g1_data,
        g1_len(file_power),
        G1_BYTES,
        "G1",
        file_power,
    )?;
    check_section_len(
        SECTION_TAU_G2,
        g2_data,
        g2_len(file_power),
        G2_BYTES,
        "G2",
        file_power,
    )?;
    let lagrange_data = sections.get(&SECTION_LAGRANGE_G1).copied();
    if let Some(data) = lagrange_data {
        // Bases of sizes 2^0 … 2^(power+1): 2^(power+2) − 1 points.
        check_section_len(
            SECTION_LAGRANGE_G1,
            data,
            g1_len(file_power + 1),
            G1_BYTES,
            "G1",
            file_power,
        )?;
    }

    let power = max_power.map_or(file_power, |m| m.min(file_power));
    if power < MIN_POWER {
        return Err(refuse(format!(
            "cannot trim to power {power}: an SRS needs at least power {MIN_POWER} ([τ]₂ is used \
             by every opening check)"
        )));
    }
    let g1 = read_points(
        SECTION_TAU_G1,
        g1_data,
        g1_len(power),
        G1_BYTES,
        g1_from_bytes,
    )?;
    let g2 = read_points(
        SECTION_TAU_G2,
        g2_data,
        g2_len(power),
        G2_BYTES,
        g2_on_curve_from_bytes,
    )?;
    if let Some(bad) = first_outside_g2(&g2) {
        return Err(refuse(format!(
            "section {SECTION_TAU_G2} ({}): point #{bad} {}",
            section_name(SECTION_TAU_G2),
            PointError::NotInSubgroup.describe()
        )));
    }

    let mut rng = ChaCha20Rng::from_entropy();
    check_powers_consistent(&g1, &g2, &mut rng).map_err(|e| {
        refuse(format!(
            "sections {SECTION_TAU_G1} (tauG1) and {SECTION_TAU_G2} (tauG2) are not consistent \
             powers of one τ: {e}"
        ))
    })?;

    let mut lagrange = BTreeMap::new();
    if let Some(data) = lagrange_data {
        // The bases of sizes 2^0 … 2^power occupy the first 2^(power+1) − 1 points.
        let all = read_points(
            SECTION_LAGRANGE_G1,
            data,
            g1_len(power),
            G1_BYTES,
            g1_from_bytes,
        )?;
        for log_n in 0..=power {
            let start = (1usize << log_n) - 1;
            let basis = all.get(start..start + (1usize << log_n)).ok_or_else(|| {
                refuse(format!(
                    "section {SECTION_LAGRANGE_G1} (lagrangeG1): no room for the basis of size \
                     2^{log_n}"
                ))
            })?;
            if !lagrange_matches_powers(&g1, basis, &mut rng) {
                return Err(refuse(format!(
                    "section {SECTION_LAGRANGE_G1} (lagrangeG1): the Lagrange basis of size \
                     2^{log_n} (points #{start}..#{}) does not match the powers of τ in section \
                     {SECTION_TAU_G1} (randomized check failed)",
                    start + (1usize << log_n) - 1
                )));
            }
            lagrange.insert(log_n, Arc::new(basis.to_vec()));
        }
    }

    let file_blake2b = hex::encode(Blake2b512::digest(bytes));
    Srs::from_validated_parts(
        power,
        g1,
        g2,
        SrsSource::Ptau {
            file_blake2b,
            file_power,
            ceremony_power: header.ceremony_power,
        },
        lagrange,
    )
}

/// Little-endian u32 at `at`, if the slice holds it.
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}

/// Little-endian u64 at `at`, if the slice holds it.
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(s.try_into().ok()?))
}

/// Splits the container into its sections (id → payload), checking magic, version, lengths,
/// duplicates and trailing bytes.
fn parse_container(bytes: &[u8]) -> Result<BTreeMap<u32, &[u8]>> {
    let len = bytes.len();
    let truncated_header = || {
        refuse(format!(
            "truncated: the file is {len} bytes, too short for the 12-byte container header"
        ))
    };
    let magic = bytes.get(..4).ok_or_else(truncated_header)?;
    if magic != MAGIC {
        return Err(refuse(format!(
            "not a .ptau file: the magic bytes are {:02x?}, expected \"ptau\"",
            magic
        )));
    }
    let version = u32_at(bytes, 4).ok_or_else(truncated_header)?;
    if version != VERSION {
        return Err(refuse(format!(
            "unsupported container version {version} (only version {VERSION} is supported)"
        )));
    }
    let n_sections = u32_at(bytes, 8).ok_or_else(truncated_header)?;

    let mut sections = BTreeMap::new();
    let mut pos = 12usize;
    // Each iteration consumes at least 12 bytes, so a huge n_sections ends at the first
    // truncation; nothing is allocated from it.
    for i in 0..n_sections {
        let remaining = len - pos;
        let (Some(id), Some(section_len)) = (u32_at(bytes, pos), u64_at(bytes, pos + 4)) else {
            return Err(refuse(format!(
                "truncated: the header of section #{i} (of {n_sections}) at byte {pos} needs \
                 {SECTION_HEADER_BYTES} bytes, {remaining} remain"
            )));
        };
        let start = pos + SECTION_HEADER_BYTES;
        let available = len - start;
        let payload = usize::try_from(section_len)
            .ok()
            .and_then(|l| bytes.get(start..start.checked_add(l)?))
            .ok_or_else(|| {
                refuse(format!(
                    "truncated: section {id} ({}) at byte {pos} declares {section_len} bytes, \
                     only {available} remain",
                    section_name(id)
                ))
            })?;
        if sections.insert(id, payload).is_some() {
            return Err(refuse(format!(
                "section {id} ({}) appears more than once (again at byte {pos})",
                section_name(id)
            )));
        }
        pos = start + payload.len();
    }
    if pos != len {
        return Err(refuse(format!(
            "{} trailing bytes after the {n_sections} sections the header announces (from byte \
             {pos})",
            len - pos
        )));
    }
    Ok(sections)
}

struct Header {
    power: u32,
    ceremony_power: u32,
}

fn parse_header(data: &[u8]) -> Result<Header> {
    let what = "section 1 (header)";
    let n8 = u32_at(data, 0).ok_or_else(|| {
        refuse(format!(
            "{what}: {} bytes, too short to hold the field size",
            data.len()
        ))
    })?;
    if n8 as usize != N8 {
        return Err(refuse(format!(
            "{what}: field elements are {n8} bytes, expected {N8} (BN254)"
        )));
    }
    let expected = 4 + N8 + 4 + 4;
    if data.len() != expected {
        return Err(refuse(format!(
            "{what}: length is {} bytes, expected {expected}",
            data.len()
        )));
    }
    let q = data.get(4..4 + N8).unwrap_or_default();
    let bn254_q = Fq::MODULUS.to_bytes_le();
    if q != bn254_q.as_slice() {
        let mut be = q.to_vec();
        be.reverse();
        return Err(refuse(format!(
            "{what}: the base-field modulus 0x{} is not BN254's (0x{}); only BN254 files are \
             supported",
            hex::encode(be),
            hex::encode(Fq::MODULUS.to_bytes_be())
        )));
    }
    let (Some(power), Some(ceremony_power)) = (u32_at(data, 4 + N8), u32_at(data, 4 + N8 + 4))
    else {
        return Err(refuse(format!("{what}: truncated")));
    };
    if power == 0 || power > MAX_POWER {
        return Err(refuse(format!(
            "{what}: power {power} is out of range (supported: 1..={MAX_POWER})"
        )));
    }
    if power > ceremony_power {
        return Err(refuse(format!(
            "{what}: power {power} exceeds the ceremony power {ceremony_power}"
        )));
    }
    Ok(Header {
        power,
        ceremony_power,
    })
}

/// Refuses a section whose length is not `count` points of `point_bytes` each.
fn check_section_len(
    id: u32,
    data: &[u8],
    count: usize,
    point_bytes: usize,
    group: &str,
    power: u32,
) -> Result<()> {
    let expected = count.checked_mul(point_bytes);
    if expected != Some(data.len()) {
        let expected = expected.map_or_else(|| "more than addressable".into(), |e| e.to_string());
        return Err(refuse(format!(
            "section {id} ({}): length is {} bytes, expected {expected} bytes ({count} {group} \
             points for power {power}); the header's power or the section ids are wrong",
            section_name(id),
            data.len()
        )));
    }
    Ok(())
}

/// Why a point was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PointError {
    NonCanonical,
    NotOnCurve,
    NotInSubgroup,
}

impl PointError {
    fn describe(self) -> &'static str {
        match self {
            PointError::NonCanonical => {
                "has a coordinate that is not a canonical field element (not below the modulus)"
            }
            PointError::NotOnCurve => "is not on the curve",
            PointError::NotInSubgroup => "is not in the prime-order subgroup",
        }
    }
}

/// Parses and validates the first `count` points of a section (the caller has checked that the
/// section holds at least that many). Runs in parallel; on failure, reports the first bad point.
fn read_points<T, F>(
    id: u32,
    data: &[u8],
    count: usize,
    point_bytes: usize,
    parse: F,
) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(&[u8]) -> std::result::Result<T, PointError> + Sync,
{
    let region = count
        .checked_mul(point_bytes)
        .and_then(|n| data.get(..n))
        .ok_or_else(|| {
            refuse(format!(
                "section {id} ({}): too short for {count} points",
                section_name(id)
            ))
        })?;
    let parsed: std::result::Result<Vec<T>, PointError> =
        region.par_chunks_exact(point_bytes).map(&parse).collect();
    parsed.map_err(|any| {
        // Which error the parallel collect saw first is arbitrary: name the first bad point.
        let (index, err) = region
            .par_chunks_exact(point_bytes)
            .enumerate()
            .find_map_first(|(i, c)| parse(c).err().map(|e| (i, e)))
            .unwrap_or((0, any));
        refuse(format!(
            "section {id} ({}): point #{index} {}",
            section_name(id),
            err.describe()
        ))
    })
}

/// A base-field element from 32 bytes of little-endian Montgomery limbs, if canonical.
fn fq_from_le_montgomery(b: &[u8]) -> std::result::Result<Fq, PointError> {
    if b.len() != N8 {
        return Err(PointError::NonCanonical);
    }
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(b.chunks_exact(8)) {
        let mut a = [0u8; 8];
        a.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(a);
    }
    let repr = BigInt(limbs);
    if repr >= Fq::MODULUS {
        return Err(PointError::NonCanonical);
    }
    // The limbs are the Montgomery form itself, which is what new_unchecked takes.
    Ok(Fq::new_unchecked(repr))
}

fn g1_from_bytes(b: &[u8]) -> std::result::Result<G1Affine, PointError> {
    if b.iter().all(|&x| x == 0) {
        return Ok(G1Affine::zero());
    }
    let (x, y) = b.split_at(N8);
    let p = G1Affine::new_unchecked(fq_from_le_montgomery(x)?, fq_from_le_montgomery(y)?);
    if !p.is_on_curve() {
        return Err(PointError::NotOnCurve);
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(PointError::NotInSubgroup);
    }
    Ok(p)
}

/// A G2 point from ptau bytes, checked on the curve (not yet in the subgroup).
fn g2_on_curve_from_bytes(b: &[u8]) -> std::result::Result<G2Affine, PointError> {
    if b.iter().all(|&x| x == 0) {
        return Ok(G2Affine::zero());
    }
    let mut coords = [Fq::from(0u64); 4];
    for (c, chunk) in coords.iter_mut().zip(b.chunks_exact(N8)) {
        *c = fq_from_le_montgomery(chunk)?;
    }
    let [x0, x1, y0, y1] = coords;
    let p = G2Affine::new_unchecked(Fq2::new(x0, x1), Fq2::new(y0, y1));
    if !p.is_on_curve() {
        return Err(PointError::NotOnCurve);
    }
    // Subgroup membership is checked for the whole section at once (batched, see
    // `first_outside_g2`): one exact check per point would cost minutes for large files.
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;

    fn g1_bytes(p: &G1Affine) -> Vec<u8> {
        let mut out = Vec::new();
        for c in [p.x, p.y] {
            for limb in c.0 .0 {
                out.extend_from_slice(&limb.to_le_bytes());
            }
        }
        out
    }

    #[test]
    fn montgomery_limbs_round_trip() {
        let p = (G1Affine::generator() * ark_bn254::Fr::from(12345u64)).into_affine();
        assert_eq!(g1_from_bytes(&g1_bytes(&p)), Ok(p));
        assert_eq!(g1_from_bytes(&[0u8; 64]), Ok(G1Affine::zero()));
        assert_eq!(g1_from_bytes(&[0xffu8; 64]), Err(PointError::NonCanonical));
    }

    #[test]
    fn container_refuses_absurd_lengths_without_allocating() {
        let mut b = b"ptau".to_vec();
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&u64::MAX.to_le_bytes());
        let err = parse_container(&b).unwrap_err().to_string();
        assert!(err.contains("truncated: section 1 (header)"), "{err}");
    }
}
