//! Trust anchors: the `[τ]₂` a verifier accepts a verifying key's SRS by.
//!
//! A verifying key is made by the model owner, who is also the prover, so the `[τ]₂` it carries
//! proves nothing by itself: an owner who picks τ can open any commitment to any value. A
//! verifier therefore accepts a key only if its `[τ]₂` is one it trusts for its own reasons:
//!
//! - a **public ceremony** whose `[τ]₂` this program carries as a constant (the Hermez
//!   powers-of-tau ceremony of which every `powersOfTau28_hez_final_*.ptau` file is a prefix):
//!   trusted if one contributor destroyed their share, checkable on any machine;
//! - an SRS in this machine's **store** (`zktorch srs local`, or a `.ptau` file of another
//!   ceremony imported here): trusted as far as the machine is — a proof on a local SRS
//!   convinces only those who trust the machine that made it;
//! - in tests, the SRS the test made.
//!
//! Every other element of the key that depends on τ (`[Z_H(τ)]₂`, every public column) is then
//! checked against that `[τ]₂` by the key check ([`crate::model::check_key`]).

use super::{Srs, SrsSource};
use crate::error::Result;
use ark_bn254::G2Affine;
use ark_serialize::CanonicalDeserialize;

/// How far an anchor is trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnchorKind {
    /// A public ceremony this program knows (anyone can check the key against it).
    Ceremony,
    /// An SRS in this machine's store: made here, or imported from a ceremony file this program
    /// does not know.
    Local,
    /// An insecure SRS from a public seed (tests and benchmarks only).
    TestOnly,
}

/// One trusted `[τ]₂` and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrsAnchor {
    /// The label a verifying key must carry for this SRS ([`source_label`]).
    pub label: String,
    /// How far it is trusted.
    pub kind: AnchorKind,
    /// `[τ]₂`.
    pub tau_g2: G2Affine,
}

impl SrsAnchor {
    /// What `verify` prints about it.
    pub fn describe(&self) -> String {
        match self.kind {
            AnchorKind::Ceremony => format!("{} (public ceremony)", self.label),
            AnchorKind::Local => format!(
                "{} (from this machine's SRS store: convinces only those who trust the machine \
                 that made it)",
                self.label
            ),
            AnchorKind::TestOnly => format!("{} (INSECURE, tests only)", self.label),
        }
    }
}

/// A public ceremony this program knows by its `[τ]₂`.
struct Ceremony {
    name: &'static str,
    /// `[τ]₂`, arkworks compressed encoding.
    tau_g2: [u8; 64],
}

/// The Hermez (Polygon zkEVM / snarkjs) powers-of-tau ceremony, 54 contributions and a random
/// beacon; `[τ]₂` read from `powersOfTau28_hez_final_08.ptau` (BLAKE2b-512 `d6a8fb3a…fdf57b583`),
/// the same in every `powersOfTau28_hez_final_*.ptau` (each is a prefix of the power-28 file).
/// The test `hermez_anchor_matches_the_ceremony_file` checks it against that file.
const CEREMONIES: &[Ceremony] = &[Ceremony {
    name: "hermez-ptau28",
    tau_g2: HERMEZ_TAU_G2,
}];

const HERMEZ_TAU_G2: [u8; 64] = [
    0x9e, 0xf7, 0xae, 0x8a, 0xee, 0x7f, 0x9f, 0xbc, 0x35, 0x25, 0x6c, 0x99, 0xa6, 0x89, 0x69, 0x71,
    0x27, 0x90, 0x89, 0xa8, 0x52, 0x21, 0xc4, 0x82, 0x04, 0x37, 0xd3, 0xb5, 0xd1, 0x1f, 0x44, 0x30,
    0x3d, 0xe2, 0x38, 0x19, 0x3d, 0x44, 0xd8, 0x35, 0xe9, 0xf7, 0xca, 0x20, 0xd1, 0x2c, 0x19, 0x5f,
    0xd3, 0x97, 0x65, 0xf8, 0x91, 0x5b, 0x9a, 0x9c, 0x2f, 0x4d, 0xee, 0x65, 0x2d, 0x6a, 0x18, 0xa6,
];

/// The label of an SRS: `ceremony:<name>` for a known ceremony, `ptau:<16 hex digits of the
/// file's BLAKE2b>` for another ceremony file, `local`, or `insecure-test`. A verifying key
/// records the label of the SRS it was made with.
pub fn source_label(source: &SrsSource, tau_g2: &G2Affine) -> String {
    if let Some(c) = known_ceremony(tau_g2) {
        return format!("ceremony:{c}");
    }
    match source {
        SrsSource::Local => "local".into(),
        SrsSource::Ptau { file_blake2b, .. } => {
            format!("ptau:{}", file_blake2b.chars().take(16).collect::<String>())
        }
        SrsSource::InsecureTestOnly { .. } => "insecure-test".into(),
    }
}

/// The name of the known public ceremony with this `[τ]₂`, if any.
pub fn known_ceremony(tau_g2: &G2Affine) -> Option<&'static str> {
    CEREMONIES
        .iter()
        .find(|c| ceremony_tau(c).is_some_and(|t| t == *tau_g2))
        .map(|c| c.name)
}

fn ceremony_tau(c: &Ceremony) -> Option<G2Affine> {
    G2Affine::deserialize_compressed(&c.tau_g2[..]).ok()
}

/// The set of anchors a verifier accepts keys by, and the largest domain it is willing to check
/// a key of (a key check costs time and memory in proportion to the domain).
#[derive(Clone, Debug)]
pub struct Trust {
    anchors: Vec<SrsAnchor>,
    max_log_domain: u32,
}

/// The largest domain a verifier checks by default: `2^24`, as large as a local SRS goes.
pub const DEFAULT_MAX_LOG_DOMAIN: u32 = super::MAX_LOCAL_POWER;

impl Default for Trust {
    fn default() -> Self {
        Trust {
            anchors: Vec::new(),
            max_log_domain: DEFAULT_MAX_LOG_DOMAIN,
        }
    }
}

impl Trust {
    /// The largest domain (log2) this verifier checks.
    pub fn max_log_domain(&self) -> u32 {
        self.max_log_domain
    }

    /// The same trust with another domain limit.
    pub fn with_max_log_domain(mut self, log: u32) -> Self {
        self.max_log_domain = log;
        self
    }

    /// The public ceremonies this program knows, and nothing else.
    pub fn ceremonies() -> Self {
        Trust {
            max_log_domain: DEFAULT_MAX_LOG_DOMAIN,
            anchors: CEREMONIES
                .iter()
                .filter_map(|c| {
                    Some(SrsAnchor {
                        label: format!("ceremony:{}", c.name),
                        kind: AnchorKind::Ceremony,
                        tau_g2: ceremony_tau(c)?,
                    })
                })
                .collect(),
        }
    }

    /// The known ceremonies and every SRS in `store` (reading only each file's header and
    /// `[τ]₂`).
    pub fn with_store(store: &super::store::SrsStore) -> Result<Self> {
        let mut t = Self::ceremonies();
        for (source, tau_g2) in store.anchors()? {
            t.add(&source, tau_g2);
        }
        Ok(t)
    }

    /// The known ceremonies and `srs` (how tests and a prover checking its own key trust the
    /// SRS they hold).
    pub fn for_srs(srs: &Srs) -> Self {
        let mut t = Self::ceremonies();
        t.add(srs.source(), srs.verifier_key().tau_h);
        t
    }

    /// Trusts the SRS with this source and `[τ]₂` (a known ceremony stays a ceremony).
    pub fn add(&mut self, source: &SrsSource, tau_g2: G2Affine) {
        if self.find(&tau_g2).is_some() {
            return;
        }
        let kind = match source {
            SrsSource::InsecureTestOnly { .. } => AnchorKind::TestOnly,
            _ => AnchorKind::Local,
        };
        self.anchors.push(SrsAnchor {
            label: source_label(source, &tau_g2),
            kind,
            tau_g2,
        });
    }

    /// Only the public ceremonies (`verify --require-ceremony`).
    pub fn ceremonies_only(mut self) -> Self {
        self.anchors.retain(|a| a.kind == AnchorKind::Ceremony);
        self
    }

    /// The anchor with this `[τ]₂`.
    pub fn find(&self, tau_g2: &G2Affine) -> Option<&SrsAnchor> {
        self.anchors.iter().find(|a| a.tau_g2 == *tau_g2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_serialize::CanonicalSerialize;

    #[test]
    fn hermez_anchor_matches_the_ceremony_file() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/powersOfTau28_hez_final_08.ptau");
        let srs = super::super::ptau::import(&path, Some(4)).unwrap();
        let tau = srs.verifier_key().tau_h;
        let mut bytes = Vec::new();
        tau.serialize_compressed(&mut bytes).unwrap();
        assert_eq!(bytes, HERMEZ_TAU_G2.to_vec(), "{bytes:?}");
        assert_eq!(known_ceremony(&tau), Some("hermez-ptau28"));
        assert_eq!(source_label(srs.source(), &tau), "ceremony:hermez-ptau28");
        let trust = Trust::ceremonies();
        assert_eq!(trust.find(&tau).map(|a| a.kind), Some(AnchorKind::Ceremony));
        // A local SRS is not a ceremony, and only trusted once added.
        let local = Srs::insecure_for_tests(3, 1);
        let other = local.verifier_key().tau_h;
        assert!(trust.find(&other).is_none());
        assert_eq!(
            Trust::for_srs(&local).find(&other).map(|a| a.kind),
            Some(AnchorKind::TestOnly)
        );
        assert!(Trust::for_srs(&local)
            .ceremonies_only()
            .find(&other)
            .is_none());
    }
}
