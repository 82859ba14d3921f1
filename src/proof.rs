//! Verifying-key and proof file formats (format version 4: segments, each on its own domain; the key names its SRS and carries
//! its key proof).
//!
//! `zktorch setup` writes a [`VerifyingKey`] (`model.vk`) and `zktorch prove` writes a
//! [`ProofFile`] (`proof.bin`). Both are plain data: this module only encodes and decodes them;
//! what the group elements and scalars mean is up to the protocol that produced them.
//!
//! Both encodings are **canonical**: a reader accepts exactly the bytes the writer produces for the
//! value it returns, so two different byte strings never decode to the same value (no second
//! encoding of the point at infinity, no non-reduced scalars, no trailing bytes, flags that are
//! exactly 0 or 1). Every count is checked against the bytes that remain before anything is
//! allocated; every point is checked on the curve and in the prime-order subgroup; no input makes
//! a reader panic.
//!
//! All integers are little-endian. `G1` is a 32-byte and `G2` a 64-byte compressed point
//! (arkworks encoding), `Fr` a 32-byte canonical scalar. `vec<T>` is a u64 count followed by that
//! many `T`; `bytes` is a u64 length followed by that many bytes.
//!
//! ## Verifying key (`model.vk`)
//!
//! | field                  | encoding          | notes                                              |
//! | ---------------------- | ----------------- | -------------------------------------------------- |
//! | magic                  | 8 bytes           | `ZKTRCHVK`                                         |
//! | version                | u16               | [`FORMAT_VERSION`] = 4                             |
//! | srs_digest             | 32 bytes          | digest of the SRS the key was made from            |
//! | srs_label              | bytes             | UTF-8: which SRS (`ceremony:<name>`, `local`, …)   |
//! | pcs.g                  | G1                | `[1]₁`                                             |
//! | pcs.h                  | G2                | `[1]₂`                                             |
//! | pcs.tau_h              | G2                | `[τ]₂`                                             |
//! | g2_extra               | vec\<G2\>         | `[Z_H(τ)]₂` per segment domain, ascending        |
//! | architecture           | bytes             | canonical description of the model graph           |
//! | constant_commitments   | vec\<G1\>         | commitments to weights and tables                  |
//! | key_proof_g1           | vec\<G1\>         | the key proof's group elements                     |
//! | key_proof_fr           | vec\<Fr\>         | the key proof's field elements                     |
//!
//! The key's **digest** ([`VerifyingKey::digest`]) is BLAKE2b-512 over the domain separator
//! `zktorch/vk-digest/v1` followed by the whole encoding above, truncated to 32 bytes. Its
//! **body digest** ([`VerifyingKey::body_digest`]) is the same over the encoding with the two
//! key-proof lists empty (what the key proof's transcript starts from).
//!
//! ## Proof file (`proof.bin`)
//!
//! | field       | encoding                        | notes                                                |
//! | ----------- | ------------------------------- | ---------------------------------------------------- |
//! | magic       | 8 bytes                         | `ZKTRCHPF`                                           |
//! | version     | u16                             | [`FORMAT_VERSION`] = 4                               |
//! | vk_digest   | 32 bytes                        | digest of the verifying key the proof is for         |
//! | has_vk      | u8                              | 0: no key embedded; 1: key follows                   |
//! | vk          | bytes (only if has_vk = 1)      | a whole verifying-key encoding; its digest must equal vk_digest |
//! | inputs      | vec\<tensor\>                   | public inputs                                        |
//! | outputs     | vec\<tensor\>                   | public outputs                                       |
//! | g1          | vec\<G1\>                       | proof group elements in G1                           |
//! | g2          | vec\<G2\>                       | proof group elements in G2                           |
//! | scalars     | vec\<Fr\>                       | proof field elements                                 |
//!
//! A **tensor** is: rank (u64, at most [`MAX_TENSOR_RANK`]), `rank` dimensions (u64 each), then
//! a u64 count and that many zigzag-LEB128 varints (1–10 bytes each, no overlong encodings) of
//! the data in row-major order, whose length must equal the product of the
//! dimensions (the empty product, rank 0, is 1).

use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::pcs::VerifierKey;
use ark_bn254::{Fr, G1Affine, G2Affine};
use blake2::{Blake2b512, Digest};
use std::path::Path;

/// First bytes of a verifying-key file.
pub const VK_MAGIC: [u8; 8] = *b"ZKTRCHVK";
/// First bytes of a proof file.
pub const PROOF_MAGIC: [u8; 8] = *b"ZKTRCHPF";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 4;
/// Largest rank a public tensor may have.
pub const MAX_TENSOR_RANK: usize = 8;

const VK_WHAT: &str = "verifying key";
const PROOF_WHAT: &str = "proof file";
const VK_DIGEST_DOMAIN: &[u8] = b"zktorch/vk-digest/v1";
const VK_BODY_DOMAIN: &[u8] = b"zktorch/vk-body/v1";
/// Longest SRS label a key may carry.
const MAX_LABEL: usize = 256;

/// What a verifier needs besides the proof: SRS elements, the model's architecture and the
/// commitments to its constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyingKey {
    /// Digest of the SRS the key was made from ([`crate::srs::Srs::digest`]).
    pub srs_digest: [u8; 32],
    /// Which SRS, as [`crate::srs::anchor::source_label`] names it (a verifier checks it
    /// against the anchor it finds for `[τ]₂`).
    pub srs_label: String,
    /// `[1]₁`, `[1]₂`, `[τ]₂`.
    pub pcs: VerifierKey,
    /// Further G2 elements some checks need (`[Z_H(τ)]₂`).
    pub g2_extra: Vec<G2Affine>,
    /// Opaque canonical description of the model graph.
    pub architecture: Vec<u8>,
    /// Commitments to weights and tables.
    pub constant_commitments: Vec<G1Affine>,
    /// The key proof's group elements (what a key check verifies).
    pub key_proof_g1: Vec<G1Affine>,
    /// The key proof's field elements.
    pub key_proof_fr: Vec<Fr>,
}

impl VerifyingKey {
    /// The canonical encoding (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(&VK_MAGIC);
        w.u16(FORMAT_VERSION);
        w.bytes(&self.srs_digest);
        w.blob(self.srs_label.as_bytes());
        w.g1(&self.pcs.g);
        w.g2(&self.pcs.h);
        w.g2(&self.pcs.tau_h);
        w.g2s(&self.g2_extra);
        w.blob(&self.architecture);
        w.g1s(&self.constant_commitments);
        w.g1s(&self.key_proof_g1);
        w.frs(&self.key_proof_fr);
        w.into_bytes()
    }

    /// Decodes a verifying key, refusing anything that is not exactly a canonical encoding.
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        let mut r = Reader::new(b, VK_WHAT);
        read_header(&mut r, &VK_MAGIC, "not a zktorch verifying key")?;
        let srs_digest = read_array(&mut r)?;
        let label = r.blob()?;
        if label.len() > MAX_LABEL {
            return Err(r.error(format!("SRS label of {} bytes", label.len())));
        }
        let srs_label =
            String::from_utf8(label.to_vec()).map_err(|_| r.error("the SRS label is not UTF-8"))?;
        let vk = VerifyingKey {
            srs_digest,
            srs_label,
            pcs: VerifierKey {
                g: r.g1()?,
                h: r.g2()?,
                tau_h: r.g2()?,
            },
            g2_extra: r.g2s()?,
            architecture: r.blob()?.to_vec(),
            constant_commitments: r.g1s()?,
            key_proof_g1: r.g1s()?,
            key_proof_fr: r.frs()?,
        };
        r.finish()?;
        check_srs_part(&vk.pcs)?;
        Ok(vk)
    }

    /// BLAKE2b-512 of `zktorch/vk-digest/v1 ‖ to_bytes()`, truncated to 32 bytes: the model
    /// digest a proof names and a verifier pins.
    pub fn digest(&self) -> [u8; 32] {
        digest_of_encoding(&self.to_bytes())
    }

    /// The digest of the key without its key proof (`zktorch/vk-body/v1`): the key proof's
    /// transcript starts from it, so the proof is bound to everything else in the key.
    pub fn body_digest(&self) -> [u8; 32] {
        let body = VerifyingKey {
            key_proof_g1: Vec::new(),
            key_proof_fr: Vec::new(),
            ..self.clone()
        };
        let mut h = Blake2b512::new();
        h.update(VK_BODY_DOMAIN);
        h.update(body.to_bytes());
        let out = h.finalize();
        let mut d = [0u8; 32];
        d.copy_from_slice(&out[..32]);
        d
    }

    /// Writes the encoding to `path`.
    pub fn write_to(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.to_bytes())
    }

    /// Reads and decodes a verifying-key file.
    pub fn read_from(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_bytes(&read_file(path.as_ref())?)
    }
}

/// The SRS part of a key must be usable: `[1]₁`, `[1]₂` the standard generators and
/// `[τ]₂ ∉ {0, [1]₂}`. With `h = 0` or `τh = 0` every pairing product would be 1 and every proof
/// would verify, so a key embedded in a proof could otherwise disable all checks.
fn check_srs_part(pcs: &VerifierKey) -> Result<()> {
    use ark_ec::AffineRepr;
    if pcs.g != G1Affine::generator() || pcs.h != G2Affine::generator() {
        return Err(Error::malformed(
            VK_WHAT,
            "the SRS generators are not the standard BN254 generators",
        ));
    }
    if pcs.tau_h.is_zero() || pcs.tau_h == pcs.h {
        return Err(Error::malformed(
            VK_WHAT,
            "[τ]₂ is the identity or the generator (τ ∈ {0, 1}): not a usable SRS",
        ));
    }
    Ok(())
}

fn digest_of_encoding(encoding: &[u8]) -> [u8; 32] {
    let mut h = Blake2b512::new();
    h.update(VK_DIGEST_DOMAIN);
    h.update(encoding);
    let out = h.finalize();
    let mut d = [0u8; 32];
    d.copy_from_slice(&out[..32]);
    d
}

/// A public tensor of fixed-point integers, row-major.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Tensor {
    /// Dimensions, outermost first (at most [`MAX_TENSOR_RANK`]).
    pub shape: Vec<u64>,
    /// The values; `data.len()` is the product of `shape`.
    pub data: Vec<i64>,
}

impl Tensor {
    /// A tensor, checked: rank at most [`MAX_TENSOR_RANK`] and as many values as the shape says.
    pub fn new(shape: Vec<u64>, data: Vec<i64>) -> Result<Self> {
        let t = Tensor { shape, data };
        t.check().map_err(Error::InvalidArgument)?;
        Ok(t)
    }

    /// Number of values the shape calls for, or `None` if the product overflows a u64.
    pub fn shape_len(shape: &[u64]) -> Option<u64> {
        if shape.contains(&0) {
            return Some(0);
        }
        shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d))
    }

    fn check(&self) -> std::result::Result<(), String> {
        if self.shape.len() > MAX_TENSOR_RANK {
            return Err(format!(
                "tensor rank {} exceeds the maximum {MAX_TENSOR_RANK}",
                self.shape.len()
            ));
        }
        match Self::shape_len(&self.shape) {
            None => Err(format!(
                "tensor shape {:?} has more elements than fit in 64 bits",
                self.shape
            )),
            Some(n) if n != self.data.len() as u64 => Err(format!(
                "tensor shape {:?} needs {n} values but {} are given",
                self.shape,
                self.data.len()
            )),
            Some(_) => Ok(()),
        }
    }

    fn write(&self, w: &mut Writer) {
        w.u64(self.shape.len() as u64);
        for &d in &self.shape {
            w.u64(d);
        }
        w.u64(self.data.len() as u64);
        for &v in &self.data {
            w.var_i64(v);
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let rank = r.u64()?;
        if rank > MAX_TENSOR_RANK as u64 {
            return Err(r.error(format!(
                "tensor rank {rank} exceeds the maximum {MAX_TENSOR_RANK}"
            )));
        }
        let shape = (0..rank).map(|_| r.u64()).collect::<Result<Vec<u64>>>()?;
        let Some(expected) = Self::shape_len(&shape) else {
            return Err(r.error(format!(
                "tensor shape {shape:?} has more elements than fit in 64 bits"
            )));
        };
        let n = r.count(1)?;
        if n as u64 != expected {
            return Err(r.error(format!(
                "tensor shape {shape:?} needs {expected} values but the data has {n}"
            )));
        }
        let data = (0..n).map(|_| r.var_i64()).collect::<Result<Vec<i64>>>()?;
        Ok(Tensor { shape, data })
    }
}

/// Everything `zktorch prove` writes and `zktorch verify` reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofFile {
    /// Digest of the verifying key the proof is for ([`VerifyingKey::digest`]).
    pub vk_digest: [u8; 32],
    /// The verifying key, embedded unless the verifier pins one. When present its digest equals
    /// `vk_digest` (checked by [`ProofFile::from_bytes`]).
    pub vk: Option<VerifyingKey>,
    /// Public inputs.
    pub inputs: Vec<Tensor>,
    /// Public outputs.
    pub outputs: Vec<Tensor>,
    /// Proof group elements in G1 (commitments, openings, fold terms).
    pub g1: Vec<G1Affine>,
    /// Proof group elements in G2.
    pub g2: Vec<G2Affine>,
    /// Proof field elements (evaluations, ...).
    pub scalars: Vec<Fr>,
}

impl ProofFile {
    /// The canonical encoding (see the module docs). Its length is the proof size we report.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(&PROOF_MAGIC);
        w.u16(FORMAT_VERSION);
        w.bytes(&self.vk_digest);
        match &self.vk {
            None => w.bytes(&[0]),
            Some(vk) => {
                w.bytes(&[1]);
                w.blob(&vk.to_bytes());
            }
        }
        for tensors in [&self.inputs, &self.outputs] {
            w.u64(tensors.len() as u64);
            for t in tensors {
                t.write(&mut w);
            }
        }
        w.g1s(&self.g1);
        w.g2s(&self.g2);
        w.frs(&self.scalars);
        w.into_bytes()
    }

    /// Decodes a proof file, refusing anything that is not exactly a canonical encoding, and an
    /// embedded verifying key whose digest is not `vk_digest`.
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        let mut r = Reader::new(b, PROOF_WHAT);
        read_header(&mut r, &PROOF_MAGIC, "not a zktorch proof file")?;
        let vk_digest: [u8; 32] = read_array(&mut r)?;
        let vk = match r.take(1)?[0] {
            0 => None,
            1 => {
                let at = r.position();
                let encoding = r.blob()?;
                let vk = VerifyingKey::from_bytes(encoding).map_err(|e| {
                    Error::malformed(
                        PROOF_WHAT,
                        format!("embedded verifying key (starting at byte {at}): {e}"),
                    )
                })?;
                let digest = digest_of_encoding(encoding);
                if digest != vk_digest {
                    return Err(Error::malformed(
                        PROOF_WHAT,
                        format!(
                            "embedded verifying key has digest {} but the proof names {}",
                            hex::encode(digest),
                            hex::encode(vk_digest)
                        ),
                    ));
                }
                Some(vk)
            }
            flag => {
                return Err(r.error(format!(
                    "verifying-key flag is {flag}, expected 0 (absent) or 1 (embedded)"
                )))
            }
        };
        let inputs = read_tensors(&mut r)?;
        let outputs = read_tensors(&mut r)?;
        let g1 = r.g1s()?;
        let g2 = r.g2s()?;
        let scalars = r.frs()?;
        r.finish()?;
        Ok(ProofFile {
            vk_digest,
            vk,
            inputs,
            outputs,
            g1,
            g2,
            scalars,
        })
    }

    /// Writes the encoding to `path`.
    pub fn write_to(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.to_bytes())
    }

    /// Reads and decodes a proof file.
    pub fn read_from(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_bytes(&read_file(path.as_ref())?)
    }
}

// ---- private reading helpers -------------------------------------------------------------------

/// Magic and version.
fn read_header(r: &mut Reader<'_>, magic: &[u8; 8], not_ours: &str) -> Result<()> {
    r.expect(magic, not_ours)?;
    let version = r.u16()?;
    if version != FORMAT_VERSION {
        return Err(r.error(format!(
            "format version {version} is not supported (this build reads version {FORMAT_VERSION})"
        )));
    }
    Ok(())
}

fn read_array<const N: usize>(r: &mut Reader<'_>) -> Result<[u8; N]> {
    let mut a = [0u8; N];
    a.copy_from_slice(r.take(N)?);
    Ok(a)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::fsx::write_atomic(path, bytes, false)
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

fn read_tensors(r: &mut Reader<'_>) -> Result<Vec<Tensor>> {
    // Each tensor takes at least 16 bytes (rank and data length).
    let n = r.count(16)?;
    (0..n).map(|_| Tensor::read(r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_lengths_are_overflow_checked() {
        assert_eq!(Tensor::shape_len(&[]), Some(1));
        assert_eq!(Tensor::shape_len(&[3, 0, 7]), Some(0));
        assert_eq!(Tensor::shape_len(&[1 << 32, 1 << 31]), Some(1 << 63));
        assert_eq!(Tensor::shape_len(&[1 << 32, 1 << 32]), None);
        assert_eq!(Tensor::shape_len(&[0, 1 << 32, 1 << 32]), Some(0));
        assert_eq!(Tensor::shape_len(&[1 << 32, 1 << 32, 0]), Some(0));
    }
}
