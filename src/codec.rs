//! Bounded binary reading and writing shared by every file format (SRS cache, verifying key,
//! proof).
//!
//! A [`Reader`] never allocates more than the bytes that remain in its input can justify: every
//! length prefix is checked against the remaining input before a vector is reserved, so a corrupt
//! or hostile file cannot make a reader allocate gigabytes or panic. Points are validated (on the
//! curve, in the prime-order subgroup) and, like scalars, must be in their one canonical
//! encoding, so two different byte strings never decode to the same value.

use crate::error::{Error, Result};
use crate::srs::subgroup::first_outside_g2;
use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use rayon::prelude::*;

/// Serialized sizes of the elements our formats carry.
pub const FR_BYTES: usize = 32;
/// Compressed G1 point.
pub const G1_COMPRESSED: usize = 32;
/// Compressed G2 point.
pub const G2_COMPRESSED: usize = 64;
/// Uncompressed G1 point.
pub const G1_UNCOMPRESSED: usize = 64;
/// Uncompressed G2 point.
pub const G2_UNCOMPRESSED: usize = 128;

/// Appends values to a byte buffer in the formats' canonical encoding.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Raw bytes, no length prefix.
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// Bytes with a u64 length prefix.
    pub fn blob(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.bytes(b);
    }

    /// Little-endian u16.
    pub fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }

    /// Little-endian u32.
    pub fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    /// Little-endian u64.
    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    /// Little-endian i64.
    pub fn var_i64(&mut self, v: i64) {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        loop {
            let b = (z & 0x7f) as u8;
            z >>= 7;
            if z == 0 {
                self.bytes(&[b]);
                return;
            }
            self.bytes(&[b | 0x80]);
        }
    }

    /// Little-endian i64.
    pub fn i64(&mut self, v: i64) {
        self.bytes(&v.to_le_bytes());
    }

    /// Any arkworks value in the given compression mode.
    pub fn ark<T: CanonicalSerialize>(&mut self, v: &T, compress: Compress) {
        v.serialize_with_mode(&mut self.buf, compress)
            .expect("serializing into a Vec is infallible");
    }

    /// A scalar (32 bytes, canonical).
    pub fn fr(&mut self, v: &Fr) {
        self.ark(v, Compress::Yes);
    }

    /// A compressed G1 point.
    pub fn g1(&mut self, p: &G1Affine) {
        self.ark(p, Compress::Yes);
    }

    /// A compressed G2 point.
    pub fn g2(&mut self, p: &G2Affine) {
        self.ark(p, Compress::Yes);
    }

    /// A u64 count followed by compressed G1 points.
    pub fn g1s(&mut self, ps: &[G1Affine]) {
        self.u64(ps.len() as u64);
        for p in ps {
            self.g1(p);
        }
    }

    /// A u64 count followed by compressed G2 points.
    pub fn g2s(&mut self, ps: &[G2Affine]) {
        self.u64(ps.len() as u64);
        for p in ps {
            self.g2(p);
        }
    }

    /// A u64 count followed by scalars.
    pub fn frs(&mut self, vs: &[Fr]) {
        self.u64(vs.len() as u64);
        for v in vs {
            self.fr(v);
        }
    }
}

/// Reads values from a byte slice; every error names `what` is being read and where.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `data`, which is a `what` (used in error messages).
    pub fn new(data: &'a [u8], what: &'static str) -> Self {
        Reader { data, pos: 0, what }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Current offset from the start.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// An error about this input at the current offset.
    pub fn error(&self, reason: impl std::fmt::Display) -> Error {
        Error::malformed(self.what, format!("{reason} (at byte {})", self.pos))
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.error(format!(
                "truncated: needed {n} more bytes, {} left",
                self.remaining()
            )));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Takes exactly the bytes `expected`, or fails with `reason`.
    pub fn expect(&mut self, expected: &[u8], reason: &str) -> Result<()> {
        let got = self.take(expected.len())?;
        if got != expected {
            return Err(self.error(reason));
        }
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// Little-endian u16.
    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    /// Little-endian u32.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// Little-endian u64.
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A zigzag LEB128 varint (what [`Writer::var_i64`] writes), refusing overlong encodings so
    /// every value has exactly one encoding.
    pub fn var_i64(&mut self) -> Result<i64> {
        let mut z: u64 = 0;
        for i in 0..10 {
            let b = self.take(1)?[0];
            if i == 9 && b > 1 {
                return Err(self.error("varint overflows 64 bits"));
            }
            z |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                if b == 0 && i > 0 {
                    return Err(self.error("overlong varint (not canonical)"));
                }
                return Ok(((z >> 1) as i64) ^ -((z & 1) as i64));
            }
        }
        Err(self.error("varint longer than 10 bytes"))
    }

    /// Little-endian i64.
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A count of items that each take at least `item_bytes` bytes: refused if the rest of the
    /// input cannot hold that many, so the caller may allocate `count` items safely.
    pub fn count(&mut self, item_bytes: usize) -> Result<usize> {
        let n = self.u64()?;
        let max = (self.remaining() / item_bytes.max(1)) as u64;
        if n > max {
            return Err(self.error(format!(
                "length {n} cannot fit in the {} bytes that remain",
                self.remaining()
            )));
        }
        Ok(n as usize)
    }

    /// A u64-length-prefixed byte string.
    pub fn blob(&mut self) -> Result<&'a [u8]> {
        let n = self.count(1)?;
        self.take(n)
    }

    /// A compressed point, validated (on the curve, in the prime-order subgroup) and required to
    /// be exactly the canonical encoding: arkworks accepts, for instance, stray x-coordinate bits
    /// beside the infinity flag; refusing those makes every encoding unique.
    fn point<C: SWCurveConfig>(&mut self, kind: &str, subgroup: bool) -> Result<Affine<C>> {
        let at = self.pos;
        let size = Affine::<C>::identity().compressed_size();
        let bytes = self.take(size)?;
        decode_canonical::<C>(bytes, subgroup).map_err(|why| {
            Error::malformed(self.what, format!("invalid {kind} at byte {at}: {why}"))
        })
    }

    /// A canonical scalar: the 32 bytes must be the fully reduced little-endian encoding.
    pub fn fr(&mut self) -> Result<Fr> {
        let at = self.pos;
        let bytes = self.take(FR_BYTES)?;
        Fr::deserialize_compressed(bytes).map_err(|_| {
            Error::malformed(
                self.what,
                format!(
                    "invalid scalar at byte {at}: not a canonical field element \
                     (the value must be less than the group order r)"
                ),
            )
        })
    }

    /// A compressed G1 point, canonical, checked on the curve and in the subgroup.
    pub fn g1(&mut self) -> Result<G1Affine> {
        self.point("G1 point", true)
    }

    /// A compressed G2 point, canonical, checked on the curve and in the subgroup.
    pub fn g2(&mut self) -> Result<G2Affine> {
        self.point("G2 point", true)
    }

    /// A u64 count followed by compressed G1 points.
    pub fn g1s(&mut self) -> Result<Vec<G1Affine>> {
        let n = self.count(G1_COMPRESSED)?;
        let at = self.pos;
        let bytes = self.take(n * G1_COMPRESSED)?;
        // Decompression (a square root per point) dominates reading a large key: in parallel.
        // The first invalid point by position is named, as a sequential read names it.
        let decoded: Vec<_> = bytes
            .par_chunks(G1_COMPRESSED)
            .map(|b| decode_canonical::<ark_bn254::g1::Config>(b, true))
            .collect();
        decoded
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                p.map_err(|why| {
                    Error::malformed(
                        self.what,
                        format!("invalid G1 point at byte {}: {why}", at + i * G1_COMPRESSED),
                    )
                })
            })
            .collect()
    }

    /// A u64 count followed by compressed G2 points.
    ///
    /// Long lists are checked for subgroup membership in one batched randomized test (an exact
    /// check costs ~190 µs a point, which a hostile file could multiply by millions).
    pub fn g2s(&mut self) -> Result<Vec<G2Affine>> {
        let n = self.count(G2_COMPRESSED)?;
        if n <= EXACT_G2_CHECKS {
            return (0..n).map(|_| self.g2()).collect();
        }
        let at = self.pos;
        let points = (0..n)
            .map(|_| self.point("G2 point", false))
            .collect::<Result<Vec<G2Affine>>>()?;
        match first_outside_g2(&points) {
            None => Ok(points),
            Some(i) => Err(Error::malformed(
                self.what,
                format!(
                    "invalid G2 point at byte {}: not in the prime-order subgroup",
                    at + i * G2_COMPRESSED
                ),
            )),
        }
    }

    /// A u64 count followed by scalars.
    pub fn frs(&mut self) -> Result<Vec<Fr>> {
        let n = self.count(FR_BYTES)?;
        (0..n).map(|_| self.fr()).collect()
    }

    /// Fails unless every byte has been read.
    pub fn finish(self) -> Result<()> {
        if self.remaining() != 0 {
            return Err(self.error(format!("{} trailing bytes", self.remaining())));
        }
        Ok(())
    }
}

/// Decodes one compressed point and checks it, saying what is wrong in words: not a valid
/// encoding, not on the curve, or not in the prime-order subgroup (arkworks' own validation
/// reports all of these as "invalid data").
fn decode_point<C: SWCurveConfig>(
    bytes: &[u8],
    subgroup: bool,
) -> std::result::Result<Affine<C>, &'static str> {
    let p =
        Affine::<C>::deserialize_with_mode(bytes, Compress::Yes, Validate::No).map_err(|_| {
            "not a point encoding (a coordinate is not reduced, the flag bits are invalid, or no \
         curve point has this x-coordinate)"
        })?;
    if !p.is_on_curve() {
        return Err("not on the curve");
    }
    if subgroup && !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err("not in the prime-order subgroup");
    }
    Ok(p)
}

/// [`decode_point`], and the bytes must be exactly the canonical encoding of the point.
fn decode_canonical<C: SWCurveConfig>(
    bytes: &[u8],
    subgroup: bool,
) -> std::result::Result<Affine<C>, &'static str> {
    let p = decode_point::<C>(bytes, subgroup)?;
    let mut again = Vec::with_capacity(bytes.len());
    p.serialize_compressed(&mut again)
        .map_err(|_| "not serializable")?;
    if again != bytes {
        return Err("not the canonical encoding of the point");
    }
    Ok(p)
}

/// Up to this many G2 points in a list are checked one by one.
const EXACT_G2_CHECKS: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::AffineRepr;

    #[test]
    fn round_trip() {
        let mut w = Writer::new();
        w.u32(7);
        w.g1s(&[G1Affine::generator(), G1Affine::zero()]);
        w.frs(&[Fr::from(3u64)]);
        w.blob(b"hello");
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes, "test");
        assert_eq!(r.u32().unwrap(), 7);
        assert_eq!(
            r.g1s().unwrap(),
            vec![G1Affine::generator(), G1Affine::zero()]
        );
        assert_eq!(r.frs().unwrap(), vec![Fr::from(3u64)]);
        assert_eq!(r.blob().unwrap(), b"hello");
        r.finish().unwrap();
    }

    #[test]
    fn huge_length_is_refused_before_allocating() {
        let mut w = Writer::new();
        w.u64(u64::MAX);
        let bytes = w.into_bytes();
        let err = Reader::new(&bytes, "test").g1s().unwrap_err();
        assert!(err.to_string().contains("cannot fit"), "{err}");
    }

    #[test]
    fn invalid_points_are_named_and_non_canonical_encodings_refused() {
        use ark_bn254::Fq;
        use ark_ff::Field;
        // An x-coordinate with no point on the curve.
        let mut x = Fq::from(1u64);
        while (x * x * x + Fq::from(3u64)).sqrt().is_some() {
            x += Fq::ONE;
        }
        let mut b = Vec::new();
        x.serialize_compressed(&mut b).unwrap();
        let err = Reader::new(&b, "test").g1().unwrap_err().to_string();
        assert!(err.contains("not a point encoding"), "{err}");
        // A coordinate ≥ p.
        let err = Reader::new(&[0x3f; 32], "test")
            .g1()
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a point encoding"), "{err}");
        // The identity, and the identity with stray x bits (which arkworks alone accepts).
        let mut w = Writer::new();
        w.g1(&G1Affine::zero());
        let zero = w.into_bytes();
        assert!(Reader::new(&zero, "test").g1().unwrap().is_zero());
        let mut stray = zero.clone();
        stray[0] = 1;
        let err = Reader::new(&stray, "test").g1().unwrap_err().to_string();
        assert!(err.contains("not the canonical encoding"), "{err}");
        // G2 and G1 round trips through the strict reader.
        let mut w = Writer::new();
        w.g2s(&[G2Affine::generator(), G2Affine::zero()]);
        let bytes = w.into_bytes();
        assert_eq!(
            Reader::new(&bytes, "test").g2s().unwrap(),
            vec![G2Affine::generator(), G2Affine::zero()]
        );
    }

    #[test]
    fn long_g2_lists_are_subgroup_checked_in_a_batch() {
        let good: Vec<G2Affine> = (1..=40u64)
            .map(|k| (G2Affine::generator() * Fr::from(k)).into())
            .collect();
        let mut w = Writer::new();
        w.g2s(&good);
        let bytes = w.into_bytes();
        assert_eq!(Reader::new(&bytes, "test").g2s().unwrap(), good);
        let mut bad = good.clone();
        bad[33] = crate::srs::subgroup::tests::off_subgroup_g2();
        let mut w = Writer::new();
        w.g2s(&bad);
        let bytes = w.into_bytes();
        let err = Reader::new(&bytes, "test").g2s().unwrap_err().to_string();
        assert!(
            err.contains(&format!("at byte {}", 8 + 33 * G2_COMPRESSED))
                && err.contains("not in the prime-order subgroup"),
            "{err}"
        );
    }

    #[test]
    fn non_canonical_scalar_is_refused() {
        let bytes = [0xffu8; 32];
        assert!(Reader::new(&bytes, "test").fr().is_err());
    }
}
