//! A memo of commitments for the prover's warm path: `commit(SRS, basis, scalars)` is a pure
//! function, so a setup can record the result of every commitment it makes and a later rebuild
//! of the same key can look them up instead of repeating the MSMs.
//!
//! The memo is only consulted inside a [`Scope`] (setup and rebuild); proving never hashes its
//! scalars. A wrong entry cannot reach a proof unnoticed: a rebuild must reproduce the cached
//! verifying key byte for byte ([`crate::model::rebuild`]), and every commitment of the key is
//! in it.

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::CurveGroup;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use blake2::{Blake2b512, Digest};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static TABLE: Mutex<Option<HashMap<[u8; 32], G1Affine>>> = Mutex::new(None);

/// While alive, commitments are recorded in and looked up from the memo.
pub struct Scope(());

impl Scope {
    /// Opens a scope, first adding `entries` (from a cache) to the memo.
    pub fn open(entries: &[([u8; 32], G1Affine)]) -> Scope {
        let mut t = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        let table = t.get_or_insert_with(HashMap::new);
        table.extend(entries.iter().copied());
        ACTIVE.fetch_add(1, Ordering::SeqCst);
        Scope(())
    }

    /// Everything the memo holds (to store beside a key).
    pub fn entries(&self) -> Vec<([u8; 32], G1Affine)> {
        let t = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        t.as_ref()
            .map(|m| m.iter().map(|(k, v)| (*k, *v)).collect())
            .unwrap_or_default()
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if ACTIVE.fetch_sub(1, Ordering::SeqCst) == 1 {
            let mut t = TABLE.lock().unwrap_or_else(|e| e.into_inner());
            *t = None;
        }
    }
}

/// `compute()`, or its recorded value for the same (SRS, basis, scalars) inside a scope.
pub(crate) fn remember<S: CanonicalSerialize>(
    srs_digest: &[u8; 32],
    basis: &[u8],
    scalars: &[S],
    compute: impl FnOnce() -> G1Projective,
) -> G1Projective {
    if ACTIVE.load(Ordering::SeqCst) == 0 {
        return compute();
    }
    let mut h = Blake2b512::new();
    h.update(b"zktorch/commit-memo/v1");
    h.update(srs_digest);
    h.update((basis.len() as u64).to_le_bytes());
    h.update(basis);
    h.update((scalars.len() as u64).to_le_bytes());
    let mut buf = Vec::with_capacity(32);
    for s in scalars {
        buf.clear();
        // Serialising a field element or an integer into a Vec cannot fail.
        let _ = s.serialize_uncompressed(&mut buf);
        h.update(&buf);
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&h.finalize()[..32]);
    let found = TABLE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(&key).copied());
    if let Some(p) = found {
        return p.into();
    }
    let p = compute();
    if let Some(m) = TABLE.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        m.insert(key, p.into_affine());
    }
    p
}

/// The memo's entries as bytes (32-byte key, compressed point), sorted by key.
pub fn encode(entries: &[([u8; 32], G1Affine)]) -> Vec<u8> {
    let mut sorted = entries.to_vec();
    sorted.sort_by_key(|(k, _)| *k);
    let mut out = Vec::with_capacity(sorted.len() * 64);
    for (k, p) in sorted {
        out.extend_from_slice(&k);
        let _ = p.serialize_compressed(&mut out);
    }
    out
}

/// The inverse of [`encode`]; `None` if the bytes are not a memo (then it is not used).
pub fn decode(bytes: &[u8]) -> Option<Vec<([u8; 32], G1Affine)>> {
    if !bytes.len().is_multiple_of(64) {
        return None;
    }
    bytes
        .chunks(64)
        .map(|c| {
            let mut k = [0u8; 32];
            k.copy_from_slice(&c[..32]);
            G1Affine::deserialize_compressed(&c[32..])
                .ok()
                .map(|p| (k, p))
        })
        .collect()
}
