//! Fiat–Shamir transcript.
//!
//! A [`Transcript`] is a running BLAKE2b-512 hash of everything the prover has said so far. Every
//! message is absorbed as `tag ‖ len(label) ‖ label ‖ len(data) ‖ data`, where the one-byte tag
//! names the kind of value (bytes, integer, scalar, G1, G2, challenge), so no two different
//! sequences of messages hash the same way. Group elements are absorbed in arkworks' canonical
//! compressed form, scalars as 32 canonical little-endian bytes, so the encoding is the same on
//! every machine.
//!
//! A challenge is drawn by hashing a copy of the state with the challenge's label and reducing the
//! 64-byte output modulo r (bias < 2^-250). The output is then absorbed back into the state, so
//! each challenge depends on every message and every earlier challenge, and two challenges drawn
//! in a row differ. There is no way to draw a challenge without the transcript that produced it:
//! challenges are never cached or shared across instances.
//!
//! The protocol-level rules (seed with the verifying-key digest and the public input and output,
//! absorb every prover message before any challenge that depends on it) are documented in
//! docs/PROTOCOLS.md; this type only makes following them easy.

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ff::PrimeField;
use ark_serialize::CanonicalSerialize;
use blake2::{Blake2b512, Digest};

/// Version string absorbed first by every transcript; change it when the encoding changes.
const TRANSCRIPT_DOMAIN: &[u8] = b"zktorch/transcript/v1";

#[repr(u8)]
#[derive(Clone, Copy)]
enum Tag {
    Domain = 0,
    Bytes = 1,
    U64 = 2,
    Scalar = 3,
    G1 = 4,
    G2 = 5,
    Challenge = 6,
    ChallengeOutput = 7,
    Fork = 8,
}

/// A Fiat–Shamir transcript over BN254 (see the module docs for the encoding).
///
/// Deliberately not `Clone`: a cloned transcript would hand the same challenges to two
/// instances.
pub struct Transcript {
    state: Blake2b512,
}

impl Transcript {
    /// A new transcript for the protocol named `protocol` (a domain-separation label).
    pub fn new(protocol: &[u8]) -> Self {
        let mut t = Transcript {
            state: Blake2b512::new(),
        };
        t.absorb(Tag::Domain, TRANSCRIPT_DOMAIN, protocol);
        t
    }

    fn absorb(&mut self, tag: Tag, label: &[u8], data: &[u8]) {
        self.state.update([tag as u8]);
        self.state.update((label.len() as u64).to_le_bytes());
        self.state.update(label);
        self.state.update((data.len() as u64).to_le_bytes());
        self.state.update(data);
    }

    /// Absorbs raw bytes.
    pub fn append_bytes(&mut self, label: &[u8], bytes: &[u8]) {
        self.absorb(Tag::Bytes, label, bytes);
    }

    /// Absorbs an integer (lengths, shapes, sizes).
    pub fn append_u64(&mut self, label: &[u8], value: u64) {
        self.absorb(Tag::U64, label, &value.to_le_bytes());
    }

    /// Absorbs a scalar-field element in canonical form.
    pub fn append_scalar(&mut self, label: &[u8], s: &Fr) {
        self.absorb(Tag::Scalar, label, &scalar_bytes(s));
    }

    /// Absorbs a list of scalars, preceded by its length.
    pub fn append_scalars(&mut self, label: &[u8], scalars: &[Fr]) {
        self.append_u64(label, scalars.len() as u64);
        for s in scalars {
            self.append_scalar(label, s);
        }
    }

    /// Absorbs a G1 point in compressed canonical form.
    pub fn append_g1(&mut self, label: &[u8], p: &G1Affine) {
        self.absorb(Tag::G1, label, &compressed(p));
    }

    /// Absorbs a list of G1 points, preceded by its length.
    pub fn append_g1s(&mut self, label: &[u8], points: &[G1Affine]) {
        self.append_u64(label, points.len() as u64);
        for p in points {
            self.append_g1(label, p);
        }
    }

    /// Absorbs a G2 point in compressed canonical form.
    pub fn append_g2(&mut self, label: &[u8], p: &G2Affine) {
        self.absorb(Tag::G2, label, &compressed(p));
    }

    /// Draws a challenge in Fr that depends on everything absorbed so far, and absorbs it.
    pub fn challenge_scalar(&mut self, label: &[u8]) -> Fr {
        let mut h = self.state.clone();
        h.update([Tag::Challenge as u8]);
        h.update((label.len() as u64).to_le_bytes());
        h.update(label);
        let out = h.finalize();
        self.absorb(Tag::ChallengeOutput, label, &out);
        Fr::from_le_bytes_mod_order(&out)
    }

    /// A child transcript for part `index` of a proof whose parts run independently (a
    /// segment): it starts from everything absorbed so far, then absorbs the label and the
    /// index, so two children with different indices draw independent challenges, and
    /// nothing a child absorbs reaches this transcript or its siblings.
    pub fn fork(&self, label: &[u8], index: u64) -> Transcript {
        let mut child = Transcript {
            state: self.state.clone(),
        };
        child.absorb(Tag::Fork, label, &index.to_le_bytes());
        child
    }

    /// Draws `n` challenges in a row (each absorbed before the next is drawn).
    pub fn challenge_scalars(&mut self, label: &[u8], n: usize) -> Vec<Fr> {
        (0..n).map(|_| self.challenge_scalar(label)).collect()
    }
}

fn scalar_bytes(s: &Fr) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    // Writing into a Vec cannot fail.
    s.serialize_compressed(&mut out)
        .expect("serializing into a Vec is infallible");
    out
}

fn compressed<T: CanonicalSerialize>(p: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(p.compressed_size());
    p.serialize_compressed(&mut out)
        .expect("serializing into a Vec is infallible");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::AffineRepr;

    #[test]
    fn same_messages_same_challenge() {
        let mut a = Transcript::new(b"test");
        let mut b = Transcript::new(b"test");
        a.append_scalar(b"x", &Fr::from(7u64));
        b.append_scalar(b"x", &Fr::from(7u64));
        assert_eq!(a.challenge_scalar(b"c"), b.challenge_scalar(b"c"));
    }

    #[test]
    fn every_input_changes_the_challenge() {
        let base = || {
            let mut t = Transcript::new(b"test");
            t.append_g1(b"p", &G1Affine::generator());
            t
        };
        let reference = base().challenge_scalar(b"c");
        type Step = Box<dyn Fn(&mut Transcript)>;
        let variants: Vec<Step> = vec![
            Box::new(|t| t.append_scalar(b"x", &Fr::from(1u64))),
            Box::new(|t| t.append_u64(b"x", 1)),
            Box::new(|t| t.append_bytes(b"x", &[1])),
            Box::new(|t| t.append_g2(b"x", &G2Affine::generator())),
        ];
        for v in &variants {
            let mut t = base();
            v(&mut t);
            assert_ne!(t.challenge_scalar(b"c"), reference);
        }
        // Same data, another label.
        let mut t = Transcript::new(b"test");
        t.append_g1(b"q", &G1Affine::generator());
        assert_ne!(t.challenge_scalar(b"c"), reference);
        // Same data, another protocol.
        let mut t = Transcript::new(b"other");
        t.append_g1(b"p", &G1Affine::generator());
        assert_ne!(t.challenge_scalar(b"c"), reference);
    }

    #[test]
    fn consecutive_challenges_differ() {
        let mut t = Transcript::new(b"test");
        let c = t.challenge_scalars(b"c", 3);
        assert_ne!(c[0], c[1]);
        assert_ne!(c[1], c[2]);
    }

    #[test]
    fn label_and_data_boundaries_are_unambiguous() {
        let mut a = Transcript::new(b"test");
        a.append_bytes(b"ab", b"c");
        let mut b = Transcript::new(b"test");
        b.append_bytes(b"a", b"bc");
        assert_ne!(a.challenge_scalar(b"c"), b.challenge_scalar(b"c"));
    }
}
