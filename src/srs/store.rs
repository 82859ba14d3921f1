//! On-disk SRS cache.
//!
//! An [`SrsStore`] is a directory of `.zks` files, one SRS each, named
//! `srs-p{power}-{first 16 hex digits of the SRS digest}.zks` (the name is informational: loading
//! recomputes the digest from the points). Files are written atomically (a temporary file in the
//! same directory, then a rename), so a crash never leaves a half-written SRS under a real name.
//! Nothing secret is stored — τ is never written — so files get the default permissions.
//!
//! ## File layout (version 1)
//!
//! All integers little-endian; points are arkworks **uncompressed** encodings (G1 64 bytes,
//! G2 128 bytes), which load much faster than compressed ones (no square roots).
//!
//! | field            | encoding                                  | notes                                  |
//! | ---------------- | ----------------------------------------- | -------------------------------------- |
//! | magic            | 8 bytes                                   | `ZKTRCSRS`                             |
//! | version          | u16                                       | [`SRS_FILE_VERSION`] = 1               |
//! | source           | u64 length + JSON                         | [`SrsSource`] as serde_json            |
//! | power            | u32                                       | at most [`MAX_POWER`]                  |
//! | G1 powers        | `g1_len(power)` × G1                      | `[τ^i]₁`                               |
//! | G2 powers        | `g2_len(power)` × G2                      | `[τ^i]₂`                               |
//! | Lagrange count   | u32                                       | at most power + 1                      |
//! | each basis       | u32 log_n, then `2^log_n` × G1            | log_n ≤ power, all distinct            |
//! | checksum         | 64 bytes                                  | BLAKE2b-512 of every byte before it    |
//!
//! Loading verifies the checksum first (a corrupted file is refused with a message saying to
//! delete it), then parses with every point checked on the curve (in parallel) and the G2 powers
//! checked in the prime-order subgroup by a batched randomized test with error probability below
//! 2^-128 (G1 has cofactor 1). Loading a power-16 file (25 MB) takes about 0.75 s on 2 cores,
//! 1.25 s on one; checking each G2 point separately took 12 s. The checksum only catches
//! accidents: the cache is as trustworthy as the directory it lives in.

use super::subgroup::first_outside_g2;
use super::{g1_len, g2_len, Srs, SrsSource, MAX_POWER, MIN_POWER};
use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use ark_bn254::{G1Affine, G2Affine};
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use blake2::{Blake2b512, Digest};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// First bytes of an SRS cache file.
pub const SRS_MAGIC: [u8; 8] = *b"ZKTRCSRS";
/// The cache-file version this build writes and reads.
pub const SRS_FILE_VERSION: u16 = 1;
/// File extension of cache files.
pub const SRS_EXTENSION: &str = "zks";

const WHAT: &str = "SRS cache";
const CHECKSUM_BYTES: usize = 64;

/// A directory of cached SRS files.
#[derive(Clone, Debug)]
pub struct SrsStore {
    dir: PathBuf,
}

/// One file of the cache, as [`SrsStore::list`] reports it.
#[derive(Clone, Debug)]
pub struct SrsInfo {
    /// The file.
    pub path: PathBuf,
    /// The SRS power (0 when the file could not be read).
    pub power: u32,
    /// The SRS digest in hex (empty when the file could not be read).
    pub digest_hex: String,
    /// Where the SRS came from (`None` when the file could not be read).
    pub source: Option<SrsSource>,
    /// File size in bytes.
    pub bytes: u64,
    /// Why the file is unusable, if it is.
    pub error: Option<String>,
}

impl SrsStore {
    /// A store in `dir` (created when the first SRS is saved).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SrsStore { dir: dir.into() }
    }

    /// `$ZKTORCH_SRS_DIR` if set and not empty, else the user's cache directory
    /// (`$XDG_CACHE_HOME` or `~/.cache` on Linux) + `zktorch/srs`, else `./.zktorch-srs`.
    pub fn default_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("ZKTORCH_SRS_DIR").filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        match dirs::cache_dir() {
            Some(cache) => cache.join("zktorch").join("srs"),
            None => PathBuf::from(".zktorch-srs"),
        }
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file name an SRS is saved under.
    pub fn file_name(srs: &Srs) -> String {
        format!(
            "srs-p{}-{}.{SRS_EXTENSION}",
            srs.power(),
            &srs.digest_hex()[..16]
        )
    }

    /// Writes `srs` (with the Lagrange bases computed so far) into the store, atomically, and
    /// returns its path. Saving an SRS that is already there rewrites the same file.
    pub fn save(&self, srs: &Srs) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        let path = self.dir.join(Self::file_name(srs));
        crate::fsx::write_atomic(&path, &Self::to_bytes(srs), false)?;
        Ok(path)
    }

    /// The cache-file encoding of `srs` (see the module docs).
    pub fn to_bytes(srs: &Srs) -> Vec<u8> {
        let lagrange = srs.lagrange_cached();
        let mut w = Writer::new();
        w.bytes(&SRS_MAGIC);
        w.u16(SRS_FILE_VERSION);
        w.blob(&serde_json::to_vec(srs.source()).expect("SrsSource serializes to JSON"));
        w.u32(srs.power());
        for p in srs.g1_powers() {
            w.ark(p, Compress::No);
        }
        for p in srs.g2_powers() {
            w.ark(p, Compress::No);
        }
        w.u32(lagrange.len() as u32);
        for (log_n, basis) in &lagrange {
            w.u32(*log_n);
            for p in basis.iter() {
                w.ark(p, Compress::No);
            }
        }
        let mut bytes = w.into_bytes();
        let checksum = Blake2b512::digest(&bytes);
        bytes.extend_from_slice(&checksum);
        bytes
    }

    /// Reads and validates one cache file (see [`SrsStore::load_bytes`]).
    pub fn load(&self, path: &Path) -> Result<Srs> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::load_bytes(&bytes).map_err(|e| with_path(e, path))
    }

    /// Decodes a cache file: checksum first, then every point checked on the curve and in the
    /// prime-order subgroup, counts checked against the power. The digest is recomputed.
    pub fn load_bytes(bytes: &[u8]) -> Result<Srs> {
        let p = parse(bytes, true, None)?;
        Srs::from_validated_parts(p.power, p.g1, p.g2, p.source, p.lagrange)
    }

    /// [`SrsStore::load`] trimmed to `power` while reading: the checksum covers the whole file,
    /// but only the points kept are decoded and checked — the same SRS as loading it whole and
    /// calling [`Srs::trim`], without the cost of the powers a caller does not need (a warm
    /// `prove` of a small model from a large store file).
    pub fn load_trimmed(&self, path: &Path, power: u32) -> Result<Srs> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let p = parse(&bytes, true, Some(power)).map_err(|e| with_path(e, path))?;
        Srs::from_validated_parts(p.power, p.g1, p.g2, p.source, p.lagrange)
    }

    /// Every `*.zks` file in the store, sorted by path. Each file's checksum and structure are
    /// checked, and its points on the curve (not the G2 subgroup check, so listing stays fast:
    /// about 0.1 s for a power-16 file). A file that fails is listed with its error rather than
    /// failing the listing. A missing directory is an empty store.
    pub fn list(&self) -> Result<Vec<SrsInfo>> {
        Ok(self.zks_files()?.into_iter().map(info_of).collect())
    }

    /// The most trustworthy cached SRS of power at least `min_power`: a ceremony (`Ptau`) SRS if
    /// there is one (the smallest such power), else the smallest `Local` one. `InsecureTestOnly`
    /// files are never picked. Only the files' headers are read to choose; the chosen file is then
    /// loaded in full. A file that fails to load is passed over for the next candidate; if no
    /// candidate loads, the first failure is returned (it names the file and says to delete it).
    pub fn find(&self, min_power: u32) -> Result<Option<Srs>> {
        let mut candidates: Vec<(u8, u32, PathBuf)> = self
            .zks_files()?
            .into_iter()
            .filter_map(|path| {
                let (source, power) = read_file_header(&path).ok()?;
                let rank = match source {
                    SrsSource::Ptau { .. } => 0,
                    SrsSource::Local => 1,
                    SrsSource::InsecureTestOnly { .. } => return None,
                };
                (power >= min_power).then_some((rank, power, path))
            })
            .collect();
        candidates.sort();
        let mut first_error = None;
        for (_, _, path) in candidates {
            match self.load(&path) {
                Ok(srs) => return Ok(Some(srs)),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }

    /// The source and `[τ]₂` of every SRS in the store that is not test-only (reading only each
    /// file's header and that one point, checked on the curve and in the subgroup): the
    /// anchors a verifier on this machine trusts besides the known ceremonies. Unreadable files
    /// are skipped.
    pub fn anchors(&self) -> Result<Vec<(SrsSource, G2Affine)>> {
        let mut out = Vec::new();
        for path in self.zks_files()? {
            if let Ok(Some(a)) = read_anchor(&path) {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// The SRS in the store whose `[τ]₂` is `tau_g2`, trimmed to `min_power`: the SRS a
    /// verifying key names (the smallest such file, of which only the powers kept are decoded).
    pub fn find_by_tau(&self, tau_g2: &G2Affine, min_power: u32) -> Result<Option<Srs>> {
        let mut candidates: Vec<(u32, PathBuf)> = Vec::new();
        for path in self.zks_files()? {
            let Ok((_, power)) = read_file_header(&path) else {
                continue;
            };
            if power >= min_power
                && read_anchor(&path)
                    .ok()
                    .flatten()
                    .is_some_and(|(_, t)| t == *tau_g2)
            {
                candidates.push((power, path));
            }
        }
        candidates.sort();
        match candidates.first() {
            Some((_, path)) => self.load_trimmed(path, min_power).map(Some),
            None => Ok(None),
        }
    }

    /// The `*.zks` files in the directory, sorted; a missing directory has none.
    fn zks_files(&self) -> Result<Vec<PathBuf>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&self.dir, e)),
        };
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&self.dir, e))?;
            let path = entry.path();
            let is_zks = path.extension().is_some_and(|x| x == SRS_EXTENSION);
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(true);
            if is_zks && !is_dir {
                paths.push(path);
            }
        }
        paths.sort();
        Ok(paths)
    }
}

/// Adds the file to a format error's reason (the error type's `what` is a static name).
fn with_path(e: Error, path: &Path) -> Error {
    match e {
        Error::Malformed { what, reason } => Error::Malformed {
            what,
            reason: format!("{}: {reason}", path.display()),
        },
        other => other,
    }
}

fn info_of(path: PathBuf) -> SrsInfo {
    let mut info = SrsInfo {
        path,
        power: 0,
        digest_hex: String::new(),
        source: None,
        bytes: 0,
        error: None,
    };
    let bytes = match std::fs::read(&info.path) {
        Ok(b) => b,
        Err(e) => {
            info.error = Some(e.to_string());
            return info;
        }
    };
    info.bytes = bytes.len() as u64;
    match parse(&bytes, false, None) {
        Ok(p) => {
            info.power = p.power;
            info.digest_hex = hex::encode(super::digest_of(p.power, &p.g1, &p.g2));
            info.source = Some(p.source);
        }
        Err(e) => info.error = Some(e.to_string()),
    }
    info
}

struct Parsed {
    power: u32,
    source: SrsSource,
    g1: Vec<G1Affine>,
    g2: Vec<G2Affine>,
    lagrange: BTreeMap<u32, Arc<Vec<G1Affine>>>,
}

/// Magic, version, source and power.
fn parse_header(r: &mut Reader<'_>) -> Result<(SrsSource, u32)> {
    r.expect(&SRS_MAGIC, "not a zktorch SRS cache file")?;
    let version = r.u16()?;
    if version != SRS_FILE_VERSION {
        return Err(r.error(format!(
            "cache file version {version} is not supported (this build reads version \
             {SRS_FILE_VERSION}); delete the file and re-create it"
        )));
    }
    let source: SrsSource = serde_json::from_slice(r.blob()?)
        .map_err(|e| r.error(format!("unreadable SRS source: {e}")))?;
    if let SrsSource::Ptau { file_blake2b, .. } = &source {
        let hex_ok = file_blake2b.len() == 128
            && file_blake2b
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex_ok {
            return Err(r.error("SRS source names a file hash that is not 128 hex digits"));
        }
    }
    let power = r.u32()?;
    if !(MIN_POWER..=MAX_POWER).contains(&power) {
        return Err(r.error(format!(
            "SRS power {power} is outside the supported range {MIN_POWER}..={MAX_POWER}"
        )));
    }
    Ok((source, power))
}

/// The header of a cache file, reading only its first bytes (the checksum is not verified).
fn read_file_header(path: &Path) -> Result<(SrsSource, u32)> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(HEADER_READ_LIMIT).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    parse_header(&mut Reader::new(&head, WHAT))
}

/// A file's source and `[τ]₂` (`None` for a test-only SRS), reading the header and one point.
fn read_anchor(path: &Path) -> Result<Option<(SrsSource, G2Affine)>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = Vec::new();
    (&mut f)
        .take(HEADER_READ_LIMIT)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    let mut r = Reader::new(&head, WHAT);
    let (source, power) = parse_header(&mut r)?;
    if matches!(source, SrsSource::InsecureTestOnly { .. }) {
        return Ok(None);
    }
    let g1_size = G1Affine::identity().uncompressed_size() as u64;
    let g2_size = G2Affine::identity().uncompressed_size();
    let at = r.position() as u64 + g1_len(power) as u64 * g1_size + g2_size as u64;
    let mut point = vec![0u8; g2_size];
    f.seek(SeekFrom::Start(at))
        .and_then(|_| f.read_exact(&mut point))
        .map_err(|e| Error::io(path, e))?;
    let tau = G2Affine::deserialize_with_mode(&point[..], Compress::No, Validate::Yes)
        .map_err(|_| Error::malformed(WHAT, format!("{}: [τ]₂ is not a point", path.display())))?;
    Ok(Some((source, tau)))
}

/// Uncompressed point sizes.
const G1_BYTES: usize = 64;
const G2_BYTES: usize = 128;

/// Bytes read to find a file's header (the source JSON is well under this).
const HEADER_READ_LIMIT: u64 = 64 * 1024;

/// Parses a cache file. Every point is checked on the curve (which for G1, of cofactor 1, means in
/// the group); with `subgroup_check`, the G2 powers are also checked in the prime-order subgroup
/// (see [`g2_subgroup_check`]).
fn parse(bytes: &[u8], subgroup_check: bool, keep: Option<u32>) -> Result<Parsed> {
    if bytes.len() < CHECKSUM_BYTES {
        return Err(Error::malformed(
            WHAT,
            format!(
                "file is {} bytes, too short to be an SRS cache file; delete it",
                bytes.len()
            ),
        ));
    }
    let (body, checksum) = bytes.split_at(bytes.len() - CHECKSUM_BYTES);
    if Blake2b512::digest(body).as_slice() != checksum {
        return Err(Error::malformed(
            WHAT,
            "checksum mismatch: the file is corrupted (or is not an SRS cache file); delete it \
             and re-create it (re-import the ptau file, or let zktorch make a new local SRS)",
        ));
    }
    let mut r = Reader::new(body, WHAT);
    let (source, power) = parse_header(&mut r)?;
    // The powers kept (all, or a prefix): the rest of each section is skipped unread.
    let kept = keep.unwrap_or(power);
    if kept > power {
        return Err(r.error(format!(
            "an SRS of power {kept} was asked of a file of power {power}"
        )));
    }
    let g1 = points::<ark_bn254::g1::Config>(&mut r, g1_len(kept), "G1 power")?;
    r.take((g1_len(power) - g1_len(kept)).saturating_mul(G1_BYTES))?;
    let g2_at = r.position();
    let g2 = points::<ark_bn254::g2::Config>(&mut r, g2_len(kept), "G2 power")?;
    r.take((g2_len(power) - g2_len(kept)).saturating_mul(G2_BYTES))?;
    if subgroup_check {
        g2_subgroup_check(&g2, g2_at)?;
    }
    let count = r.u32()?;
    if count > power + 1 {
        return Err(r.error(format!(
            "{count} Lagrange bases, but an SRS of power {power} has at most {}",
            power + 1
        )));
    }
    let mut lagrange = BTreeMap::new();
    for _ in 0..count {
        let log_n = r.u32()?;
        if log_n > power {
            return Err(r.error(format!(
                "Lagrange basis of size 2^{log_n} exceeds the SRS power {power}"
            )));
        }
        if lagrange.contains_key(&log_n) {
            return Err(r.error(format!("Lagrange basis of size 2^{log_n} appears twice")));
        }
        if log_n > kept {
            r.take((1usize << log_n).saturating_mul(G1_BYTES))?;
            continue;
        }
        let basis = points::<ark_bn254::g1::Config>(&mut r, 1 << log_n, "Lagrange point")?;
        lagrange.insert(log_n, Arc::new(basis));
    }
    r.finish()?;
    Ok(Parsed {
        power: kept,
        source,
        g1,
        g2,
        lagrange,
    })
}

/// `n` uncompressed points, decoded and checked on the curve in parallel.
fn points<C: SWCurveConfig>(r: &mut Reader<'_>, n: usize, kind: &str) -> Result<Vec<Affine<C>>> {
    let size = Affine::<C>::identity().uncompressed_size();
    let start = r.position();
    let section = r.take(n.saturating_mul(size))?;
    section
        .par_chunks_exact(size)
        .enumerate()
        .map(|(i, chunk)| {
            let at = start + i * size;
            let p = Affine::<C>::deserialize_with_mode(chunk, Compress::No, Validate::No).map_err(
                |_| {
                    Error::malformed(
                        WHAT,
                        format!(
                            "{kind} {i} (at byte {at}) is not a point encoding (a coordinate \
                             is not reduced or the flag bits are invalid)"
                        ),
                    )
                },
            )?;
            if !p.is_on_curve() {
                return Err(Error::malformed(
                    WHAT,
                    format!("{kind} {i} (at byte {at}) is not on the curve"),
                ));
            }
            Ok(p)
        })
        .collect()
}

/// Checks that G2 points already known to be on the twist curve are in the prime-order subgroup,
/// naming the first one that is not (see [`super::subgroup`]).
fn g2_subgroup_check(points: &[G2Affine], section_at: usize) -> Result<()> {
    match first_outside_g2(points) {
        None => Ok(()),
        Some(bad) => Err(Error::malformed(
            WHAT,
            format!(
                "G2 power {bad} (at byte {}) is not in the prime-order subgroup",
                section_at + bad * G2Affine::identity().uncompressed_size()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same powers as `srs`, relabelled with another source (tests only: these powers come
    /// from a public seed).
    fn relabel(srs: &Srs, source: SrsSource) -> Srs {
        Srs::from_validated_parts(
            srs.power(),
            srs.g1_powers().to_vec(),
            srs.g2_powers().to_vec(),
            source,
            srs.lagrange_cached(),
        )
        .unwrap()
    }

    fn ptau_source() -> SrsSource {
        SrsSource::Ptau {
            file_blake2b: "ab".repeat(64),
            file_power: 8,
            ceremony_power: 28,
        }
    }

    /// Replaces the checksum of a cache file after editing its body.
    fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
        let body = bytes.len() - CHECKSUM_BYTES;
        let sum = Blake2b512::digest(&bytes[..body]);
        bytes[body..].copy_from_slice(&sum);
        bytes
    }

    /// Offset of the power field in a cache file.
    fn power_offset(bytes: &[u8]) -> usize {
        let json_len = u64::from_le_bytes(bytes[10..18].try_into().unwrap()) as usize;
        18 + json_len
    }

    fn err_of(bytes: &[u8]) -> String {
        SrsStore::load_bytes(bytes).unwrap_err().to_string()
    }

    #[test]
    fn a_trimmed_load_is_the_trimmed_srs() {
        let dir = tempfile::tempdir().unwrap();
        let store = SrsStore::new(dir.path());
        let srs = relabel(&Srs::insecure_for_tests(5, 3), SrsSource::Local);
        srs.lagrange(2).unwrap();
        srs.lagrange(4).unwrap();
        let path = store.save(&srs).unwrap();
        for p in [1, 3, 5] {
            let trimmed = store.load_trimmed(&path, p).unwrap();
            let expected = srs.trim(p).unwrap();
            assert_eq!(trimmed.digest(), expected.digest(), "power {p}");
            assert_eq!(trimmed.g1_powers(), expected.g1_powers());
            assert_eq!(trimmed.g2_powers(), expected.g2_powers());
            assert_eq!(
                trimmed.lagrange_cached().keys().collect::<Vec<_>>(),
                expected.lagrange_cached().keys().collect::<Vec<_>>()
            );
        }
        assert!(store.load_trimmed(&path, 6).is_err());
        let tau = srs.verifier_key().tau_h;
        assert_eq!(
            store.find_by_tau(&tau, 3).unwrap().unwrap().digest(),
            srs.trim(3).unwrap().digest()
        );
    }

    #[test]
    fn save_load_round_trip_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        let store = SrsStore::new(dir.path().join("nested/srs"));
        let srs = relabel(&Srs::insecure_for_tests(3, 1), SrsSource::Local);
        let path = store.save(&srs).unwrap();
        assert_eq!(
            path.file_name().unwrap().to_str().unwrap(),
            format!("srs-p3-{}.zks", &srs.digest_hex()[..16])
        );
        let back = store.load(&path).unwrap();
        assert_eq!(back.power(), 3);
        assert_eq!(back.digest(), srs.digest());
        assert_eq!(back.source(), &SrsSource::Local);
        assert_eq!(back.g1_powers(), srs.g1_powers());
        assert_eq!(back.g2_powers(), srs.g2_powers());
        assert_eq!(back.lagrange_cached(), srs.lagrange_cached());
        // No temporary file is left behind, and saving again is idempotent.
        assert_eq!(store.save(&srs).unwrap(), path);
        let names: Vec<_> = std::fs::read_dir(store.dir()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn list_reports_every_file_and_errors_without_failing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SrsStore::new(dir.path());
        assert!(store.list().unwrap().is_empty());
        assert!(SrsStore::new(dir.path().join("missing"))
            .list()
            .unwrap()
            .is_empty());
        let srs = Srs::insecure_for_tests(2, 7);
        let good = store.save(&srs).unwrap();
        std::fs::write(dir.path().join("broken.zks"), b"not an srs at all").unwrap();
        std::fs::write(dir.path().join("ignored.txt"), b"whatever").unwrap();
        let list = store.list().unwrap();
        assert_eq!(list.len(), 2);
        let broken = list.iter().find(|i| i.path != good).unwrap();
        assert!(broken.error.as_deref().unwrap().contains("too short"));
        assert_eq!(broken.bytes, 17);
        let info = list.iter().find(|i| i.path == good).unwrap();
        assert_eq!(info.error, None);
        assert_eq!(info.power, 2);
        assert_eq!(info.digest_hex, srs.digest_hex());
        assert_eq!(info.source, Some(SrsSource::InsecureTestOnly { seed: 7 }));
        assert_eq!(info.bytes, std::fs::metadata(&good).unwrap().len());
    }

    #[test]
    fn find_prefers_ceremonies_then_the_smallest_power_and_never_test_srs() {
        let dir = tempfile::tempdir().unwrap();
        let store = SrsStore::new(dir.path());
        let test4 = Srs::insecure_for_tests(4, 1);
        store.save(&test4).unwrap();
        assert!(
            store.find(1).unwrap().is_none(),
            "test SRS must not be found"
        );

        let local4 = relabel(&test4, SrsSource::Local);
        let local2 = relabel(&Srs::insecure_for_tests(2, 2), SrsSource::Local);
        store.save(&local4).unwrap();
        store.save(&local2).unwrap();
        assert_eq!(store.find(1).unwrap().unwrap().digest(), local2.digest());
        assert_eq!(store.find(2).unwrap().unwrap().digest(), local2.digest());
        assert_eq!(store.find(3).unwrap().unwrap().digest(), local4.digest());
        assert!(store.find(5).unwrap().is_none());

        let ptau3 = relabel(&Srs::insecure_for_tests(3, 3), ptau_source());
        store.save(&ptau3).unwrap();
        let found = store.find(1).unwrap().unwrap();
        assert_eq!(found.digest(), ptau3.digest());
        assert_eq!(found.source(), &ptau_source());
        assert_eq!(store.find(4).unwrap().unwrap().digest(), local4.digest());

        // A file without a readable header is ignored; a corrupted better candidate (a ceremony
        // SRS of smaller power) is passed over.
        std::fs::write(dir.path().join("srs-p9-0000000000000000.zks"), [0u8; 100]).unwrap();
        let ptau2 = relabel(&Srs::insecure_for_tests(2, 4), ptau_source());
        let bad = store.save(&ptau2).unwrap();
        let mut bytes = std::fs::read(&bad).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&bad, &bytes).unwrap();
        assert_eq!(store.find(1).unwrap().unwrap().digest(), ptau3.digest());

        // When every candidate is corrupted, find says so instead of returning nothing.
        let dir2 = tempfile::tempdir().unwrap();
        let only_bad = SrsStore::new(dir2.path());
        std::fs::copy(&bad, dir2.path().join("x.zks")).unwrap();
        let err = only_bad.find(1).unwrap_err().to_string();
        assert!(
            err.contains("checksum mismatch") && err.contains("x.zks"),
            "{err}"
        );
        assert!(only_bad.find(3).unwrap().is_none());
    }

    #[test]
    fn corrupted_file_is_refused_by_checksum_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let store = SrsStore::new(dir.path());
        let path = store.save(&Srs::insecure_for_tests(2, 3)).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let err = store.load(&path).unwrap_err().to_string();
        assert!(err.contains("checksum mismatch"), "{err}");
        assert!(err.contains("delete it"), "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
        let missing = store.load(&dir.path().join("nope.zks")).unwrap_err();
        assert!(matches!(missing, Error::Io { .. }));
    }

    #[test]
    fn structural_errors_behind_a_valid_checksum_are_named() {
        let srs = Srs::insecure_for_tests(2, 4);
        let good = SrsStore::to_bytes(&srs);
        let at = power_offset(&good);

        let mut b = good.clone();
        b[..8].copy_from_slice(b"NOTANSRS");
        assert!(err_of(&reseal(b)).contains("not a zktorch SRS cache file"));

        let mut b = good.clone();
        b[8] = 2;
        assert!(err_of(&reseal(b)).contains("version 2 is not supported"));

        let mut b = good.clone();
        b[at..at + 4].copy_from_slice(&(MAX_POWER + 1).to_le_bytes());
        assert!(err_of(&reseal(b)).contains("outside the supported range"));

        let mut b = good.clone();
        b[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
        assert!(err_of(&reseal(b)).contains("outside the supported range"));

        let mut b = good.clone();
        b[at..at + 4].copy_from_slice(&9u32.to_le_bytes());
        assert!(err_of(&reseal(b)).contains("truncated"));

        let mut b = good.clone();
        b[18] = b'x';
        assert!(err_of(&reseal(b)).contains("unreadable SRS source"));

        // Lagrange section: count, then (log_n, points).
        let lag = at + 4 + g1_len(2) * 64 + g2_len(2) * 128;
        assert_eq!(
            u32::from_le_bytes(good[lag..lag + 4].try_into().unwrap()),
            3
        );
        let mut b = good.clone();
        b[lag..lag + 4].copy_from_slice(&4u32.to_le_bytes());
        assert!(err_of(&reseal(b)).contains("at most 3"));
        // Bases are written in order 0, 1, 2: make the second claim size 2^0 again.
        let mut b = good.clone();
        let second = lag + 4 + 4 + 64;
        b[second..second + 4].copy_from_slice(&0u32.to_le_bytes());
        assert!(err_of(&reseal(b)).contains("appears twice"));
        let mut b = good.clone();
        b[second..second + 4].copy_from_slice(&3u32.to_le_bytes());
        assert!(err_of(&reseal(b)).contains("exceeds the SRS power"));

        // Trailing bytes and a missing section.
        let mut b = good[..good.len() - CHECKSUM_BYTES].to_vec();
        b.push(0);
        b.extend_from_slice(&[0; CHECKSUM_BYTES]);
        assert!(err_of(&reseal(b)).contains("trailing"));
        let mut b = good[..lag].to_vec();
        b.extend_from_slice(&[0; CHECKSUM_BYTES]);
        assert!(err_of(&reseal(b)).contains("truncated"));
    }

    #[test]
    fn invalid_points_behind_a_valid_checksum_are_refused() {
        let srs = Srs::insecure_for_tests(2, 5);
        let good = SrsStore::to_bytes(&srs);
        let g1_at = power_offset(&good) + 4;
        let g2_at = g1_at + g1_len(2) * 64;

        // G1 power 1 moved off the curve.
        let mut b = good.clone();
        b[g1_at + 64] ^= 1;
        let err = err_of(&reseal(b));
        assert!(
            err.contains("G1 power 1") && err.contains("not on the curve"),
            "{err}"
        );

        // G2 power 2 replaced by a point on the twist outside the r-torsion.
        let off = crate::srs::subgroup::tests::off_subgroup_g2();
        let mut enc = Vec::new();
        off.serialize_uncompressed(&mut enc).unwrap();
        let mut b = good.clone();
        b[g2_at + 2 * 128..g2_at + 3 * 128].copy_from_slice(&enc);
        let err = err_of(&reseal(b));
        assert!(
            err.contains("G2 power 2") && err.contains("not in the prime-order subgroup"),
            "{err}"
        );
    }

    #[test]
    fn forged_source_label_is_refused_not_panicked_on() {
        // A checksum-valid file whose ptau hash label is not hex (e.g. multi-byte characters
        // around byte 16, which once made the label printer panic).
        let srs = Srs::insecure_for_tests(2, 4);
        let good = SrsStore::to_bytes(&srs);
        let label = serde_json::to_vec(&SrsSource::Ptau {
            file_blake2b: format!("{}é{}", "a".repeat(15), "b".repeat(111)),
            file_power: 2,
            ceremony_power: 28,
        })
        .unwrap();
        let old_len = u64::from_le_bytes(good[10..18].try_into().unwrap()) as usize;
        let mut b = good[..10].to_vec();
        b.extend_from_slice(&(label.len() as u64).to_le_bytes());
        b.extend_from_slice(&label);
        b.extend_from_slice(&good[18 + old_len..]);
        let err = err_of(&reseal(b));
        assert!(err.contains("not 128 hex digits"), "{err}");
    }

    #[test]
    fn default_dir_honours_the_environment_variable() {
        // Only read, never set: tests run in parallel threads of one process.
        let dir = SrsStore::default_dir();
        match std::env::var_os("ZKTORCH_SRS_DIR").filter(|d| !d.is_empty()) {
            Some(d) => assert_eq!(dir, PathBuf::from(d)),
            None => assert!(dir.ends_with("zktorch/srs") || dir.ends_with(".zktorch-srs")),
        }
    }
}
