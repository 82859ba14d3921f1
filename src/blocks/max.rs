//! Max over groups: `m_k = max_(i<len) f_(k·len + i)` for g consecutive groups of a committed
//! tensor f (MaxPool windows after an im2col-style copy, ReduceMax, the max softmax subtracts).
//!
//! Both halves of "m_k is the maximum" are proven, as a composition on one domain H of size N
//! (`N ≥ g·len + 2^B`, the range table's rows after the witness rows):
//!
//! 1. **Broadcast** (copy block): the prover commits `m̃` with `m̃_(k·len+i) = m_k`, proven a copy
//!    of m by the public wiring.
//! 2. **No element exceeds the max** (range lookup): `d = m̃ − f` (derived by the verifier as
//!    `C_m̃ − C_f`) has every entry in `[0, 2^B)`. The range excludes field elements that are
//!    "negative": an element larger than the max would give `d ≡ −k mod r`, not in the table.
//! 3. **The max is an element** (zero product per group): the prover commits
//!    `p_i = Π_(j in i's group, j < i) d_j` (exclusive prefix products, masked, opened at ζ and
//!    ωζ) and the identity engine proves, with public columns `s` (group starts), `ℓ` (rows whose
//!    successor is in the same group) and `e` (group ends):
//!    - `s(X)·(p(X) − 1) = 0`;
//!    - `ℓ(X)·(p(ωX) − p(X)·d(X)) = 0`;
//!    - `e(X)·p(X)·d(X) = 0` — the product of every group's differences is 0, so some
//!      `d_i = 0`, i.e. `m_k = f_i` for an i in group k.
//!
//! Soundness: each part's own argument; together, every `m_k` is ≥ every element of its group
//! (up to 2^B − 1 above it) and equal to one of them, so it is the maximum. B bounds the spread
//! of a group and is fixed by the compiler from the quantized range (a spread ≥ 2^B is a witness
//! error, never a silent clamp). Degree 3 (no degree bound anywhere).
//!
//! Proof: m̃ (1 G1) + copy proof + lookup proof + p (1 G1) + identity proof.

use super::copy::{self, CopyKey, CopyProof, CopyVerifierKey, Source, Wiring};
use super::identity::{self, Constraints, IdentityProof, Rot, Row, Value};
use super::lookup::{self, LookupKey, LookupProof, LookupVerifierKey, Table};
use super::{linear, Committed};
use crate::error::{Error, Result};
use crate::pcs::{self, Commitment, CommittedPoly, PairingBatch, VerifierKey};
use crate::srs::Srs;
use crate::transcript::Transcript;
use ark_bn254::Fr;
use ark_ff::{One, Zero};
use rand::{CryptoRng, RngCore};

/// Mask of the broadcast maxima: opened by the copy block, the lookup (through d) and the
/// zero-product identity (through d): three points, plus one.
const BROADCAST_MASK: usize = 4;
/// Mask of the prefix products (opened at ζ and ωζ).
const PRODUCT_MASK: usize = 3;

/// The shape of one max instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Groups {
    /// g: number of groups (entries of the output).
    pub count: usize,
    /// len: entries per group.
    pub len: usize,
    /// B: every element is within `2^B − 1` of its group's max.
    pub spread_bits: u32,
}

impl Groups {
    fn check(&self) -> Result<()> {
        if self.count == 0 || self.len == 0 || self.spread_bits == 0 || self.spread_bits > 24 {
            return Err(Error::InvalidArgument(format!(
                "max over groups with invalid shape {self:?}"
            )));
        }
        self.count
            .checked_mul(self.len)
            .ok_or_else(|| Error::InvalidArgument("max over groups: size overflows".into()))?;
        Ok(())
    }

    /// log2 of the block's domain (the groups, then the range table).
    pub fn log_n(&self) -> Result<u32> {
        self.check()?;
        Ok(pcs::domain_log(
            self.count * self.len + (1usize << self.spread_bits),
        ))
    }
}

/// The public parts of a max key: the broadcast wiring (each maximum copied to every element of
/// its group), the range table `[0, 2^B)`, and the group-start, in-group-link and group-end
/// selectors `s, ℓ, e`. Setup commits them; a verifier checking a key recomputes them.
pub struct KeyParts {
    /// The broadcast wiring (on the block's domain, the output's padding is the constant 0).
    pub broadcast: Wiring,
    /// The range table.
    pub range: Table,
    /// `s, ℓ, e` on the domain.
    pub selectors: [Vec<i64>; 3],
}

/// The public parts of the key of `groups` on the domain of size `2^log_n`.
pub fn key_parts(groups: Groups, log_n: u32) -> Result<KeyParts> {
    if log_n < groups.log_n()? || log_n > crate::srs::MAX_POWER {
        return Err(Error::InvalidArgument(format!(
            "max over {groups:?} does not fit a domain of 2^{log_n}"
        )));
    }
    let n = 1usize << log_n;
    let total = groups.count * groups.len;
    let output: Vec<Source> = (0..total)
        .map(|p| Source::Input {
            input: 0,
            index: p / groups.len,
        })
        .collect();
    let (mut s, mut l, mut e) = (vec![0i64; n], vec![0i64; n], vec![0i64; n]);
    for p in 0..total {
        let i = p % groups.len;
        s[p] = i64::from(i == 0);
        e[p] = i64::from(i == groups.len - 1);
        l[p] = 1 - e[p];
    }
    Ok(KeyParts {
        broadcast: Wiring {
            input_lens: vec![n],
            output,
        },
        range: Table::single((0..1i64 << groups.spread_bits).collect()),
        selectors: [s, l, e],
    })
}

/// The maxima an honest prover commits, and the check that every spread fits in B bits.
pub fn group_maxima(groups: Groups, f: &[i64]) -> Result<Vec<i64>> {
    groups.check()?;
    if f.len() < groups.count * groups.len {
        return Err(Error::InvalidArgument(format!(
            "max over {} groups of {} from {} values",
            groups.count,
            groups.len,
            f.len()
        )));
    }
    let limit = 1i64 << groups.spread_bits;
    f[..groups.count * groups.len]
        .chunks(groups.len)
        .enumerate()
        .map(|(k, g)| {
            let m = g.iter().copied().max().unwrap_or(0);
            match g.iter().find(|v| m - **v >= limit) {
                Some(v) => Err(Error::InvalidArgument(format!(
                    "group {k}: max {m} and element {v} are {} apart, beyond the 2^{} range",
                    m - v,
                    groups.spread_bits
                ))),
                None => Ok(m),
            }
        })
        .collect()
}

/// Prover key: the broadcast wiring, the range table and the group columns, on one domain.
#[derive(Clone, Debug)]
pub struct MaxKey {
    /// Shape.
    pub groups: Groups,
    /// log2 of the domain.
    pub log_n: u32,
    broadcast: CopyKey,
    range: LookupKey,
    /// Public columns s, ℓ, e.
    public: Vec<CommittedPoly>,
    commitments: Vec<Commitment>,
}

/// Verifier key of a max instance (part of the model's verifying key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaxVerifierKey {
    /// Shape.
    pub groups: Groups,
    /// log2 of the domain.
    pub log_n: u32,
    /// The broadcast wiring's key.
    pub broadcast: CopyVerifierKey,
    /// The range table's key.
    pub range: LookupVerifierKey,
    /// Commitments to s, ℓ, e.
    pub commitments: Vec<Commitment>,
}

impl super::KeyColumns for MaxKey {
    fn key_columns(&self) -> Vec<(Commitment, Option<&CommittedPoly>)> {
        let mut v = self.broadcast.key_columns();
        v.extend(self.range.key_columns());
        v.extend(super::zip_public(&self.commitments, &self.public));
        v
    }
}

impl MaxKey {
    /// Setup for one shape.
    pub fn new(srs: &Srs, groups: Groups) -> Result<Self> {
        Self::on_domain(srs, groups, groups.log_n()?)
    }

    /// As [`MaxKey::new`] on a larger domain of size `2^log_n`.
    pub fn on_domain(srs: &Srs, groups: Groups, log_n: u32) -> Result<Self> {
        let parts = key_parts(groups, log_n)?;
        let broadcast = CopyKey::on_domain(srs, parts.broadcast, log_n)?;
        let range = LookupKey::on_domain(srs, groups.count * groups.len, parts.range, log_n)?;
        let mut public = Vec::with_capacity(3);
        let mut commitments = Vec::with_capacity(3);
        for col in &parts.selectors {
            public.push(pcs::values_poly(col)?);
            commitments.push(pcs::commit_values(srs, col)?);
        }
        Ok(MaxKey {
            groups,
            log_n,
            broadcast,
            range,
            public,
            commitments,
        })
    }

    /// The verifier's part.
    pub fn verifier_key(&self) -> MaxVerifierKey {
        MaxVerifierKey {
            groups: self.groups,
            log_n: self.log_n,
            broadcast: self.broadcast.verifier_key(),
            range: self.range.verifier_key(),
            commitments: self.commitments.clone(),
        }
    }
}

/// Constraints over columns (d, s, ℓ, e, p).
#[derive(Clone)]
struct ZeroProduct;

impl Constraints for ZeroProduct {
    fn columns(&self) -> usize {
        5
    }
    fn reads_next(&self, j: usize) -> bool {
        j == 4
    }
    fn degree(&self) -> usize {
        3
    }
    fn combine<V: Value>(&self, row: &Row<'_, V>, alpha: Fr) -> V {
        let c = |j| row.col(j, Rot::Cur);
        let (d, s, l, e, p) = (c(0), c(1), c(2), c(3), c(4));
        let start = s * (p - Fr::one());
        let link = l * (row.col(4, Rot::Next) - p * d);
        let end = e * p * d;
        start + (link + end * alpha) * alpha
    }
}

/// A max proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaxProof {
    /// `[m̃(τ)]₁`, the maxima broadcast over their groups.
    pub broadcast: Commitment,
    /// m̃ is m rearranged by the broadcast wiring.
    pub copy: CopyProof,
    /// `m̃ − f ∈ [0, 2^B)`.
    pub range: LookupProof,
    /// `[p(τ)]₁`, the prefix products.
    pub product: Commitment,
    /// The zero-product constraints' proof.
    pub identity: IdentityProof,
}

fn absorb_statement(t: &mut Transcript, key: &MaxVerifierKey, f: Commitment, m: Commitment) {
    t.append_bytes(b"block", b"max");
    for v in [key.groups.count, key.groups.len] {
        t.append_u64(b"max/shape", v as u64);
    }
    t.append_u64(b"max/spread_bits", u64::from(key.groups.spread_bits));
    t.append_g1s(b"max/fm", &[f.0, m.0]);
}

/// `p_i = Π_(j in i's group, j < i) d_j` on the groups, 0 beyond them.
fn prefix_products(groups: Groups, d: &[i64], n: usize) -> Vec<Fr> {
    let mut p = vec![Fr::zero(); n];
    let mut acc = Fr::one();
    for (i, slot) in p.iter_mut().enumerate().take(groups.count * groups.len) {
        if i % groups.len == 0 {
            acc = Fr::one();
        }
        *slot = acc;
        acc *= Fr::from(d[i]);
    }
    p
}

/// Proves `m_k = max of group k of f` for the committed f and m (both on the key's domain).
pub fn prove<R: RngCore + CryptoRng>(
    srs: &Srs,
    key: &MaxKey,
    f: &Committed,
    m: &Committed,
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<MaxProof> {
    prove_in(srs, key, f, m, transcript, rng, identity::Mode::Now)
}

/// As [`prove`], with the identity proved now or deferred to a shared proof.
pub fn prove_in<R: RngCore + CryptoRng>(
    srs: &Srs,
    key: &MaxKey,
    f: &Committed,
    m: &Committed,
    transcript: &mut Transcript,
    rng: &mut R,
    mut mode: identity::Mode<'_>,
) -> Result<MaxProof> {
    let Groups { count, len, .. } = key.groups;
    let n = 1usize << key.log_n;
    if f.poly.log_n != key.log_n || m.poly.log_n != key.log_n {
        return Err(Error::InvalidArgument(format!(
            "max tensors must be committed on the domain of size 2^{}",
            key.log_n
        )));
    }
    let maxima = group_maxima(key.groups, &f.values)?;
    if m.values[..count] != maxima[..] {
        return Err(Error::InvalidArgument(
            "the claimed maxima are not the groups' maxima".into(),
        ));
    }
    if f.values[count * len..].iter().any(|v| *v != 0) {
        return Err(Error::InvalidArgument(
            "the max block's input must be zero beyond its groups".into(),
        ));
    }
    absorb_statement(transcript, &key.verifier_key(), f.commitment, m.commitment);
    let mut spread: Vec<i64> = (0..count * len).map(|p| maxima[p / len]).collect();
    spread.resize(n, 0);
    let broadcast = Committed::new(srs, &spread, BROADCAST_MASK, rng)?;
    transcript.append_g1(b"max/broadcast", &broadcast.commitment.0);
    let copy = copy::prove_in(
        srs,
        &key.broadcast,
        &[m],
        &broadcast,
        transcript,
        rng,
        mode.reborrow(),
    )?;
    let d = linear::sub(&broadcast, f)?;
    let range = lookup::prove_in(srs, &key.range, &d, None, transcript, rng, mode.reborrow())?;

    let p = prefix_products(key.groups, &d.values, n);
    let (product, p_poly) = pcs::commit_field_values_hiding(srs, &p, PRODUCT_MASK, rng)?;
    transcript.append_g1(b"max/product", &product.0);
    let mut columns: Vec<&CommittedPoly> = vec![&d.poly];
    columns.extend(key.public.iter());
    columns.push(&p_poly);
    let mut commitments = vec![d.commitment];
    commitments.extend_from_slice(&key.commitments);
    commitments.push(product);
    let identity = identity::prove_in(srs, &ZeroProduct, &columns, &commitments, transcript, mode)?;
    Ok(MaxProof {
        broadcast: broadcast.commitment,
        copy,
        range,
        product,
        identity,
    })
}

/// Verifies `m_k = max of group k of f` for the committed f and m.
pub fn verify(
    vk: &VerifierKey,
    key: &MaxVerifierKey,
    f: Commitment,
    m: Commitment,
    proof: &MaxProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
) -> Result<()> {
    verify_in(
        vk,
        key,
        f,
        m,
        proof,
        transcript,
        batch,
        identity::Check::Now,
    )
}

/// As [`verify`], with the identity checked now or deferred to a shared proof.
#[allow(clippy::too_many_arguments)] // the standalone signature plus the identity mode
pub fn verify_in(
    vk: &VerifierKey,
    key: &MaxVerifierKey,
    f: Commitment,
    m: Commitment,
    proof: &MaxProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
    mut mode: identity::Check<'_>,
) -> Result<()> {
    if key.commitments.len() != 3
        || !key
            .groups
            .log_n()
            .is_ok_and(|l| l <= key.log_n && key.log_n <= crate::srs::MAX_POWER)
        || key.broadcast.log_n != key.log_n
        || key.range.log_m != key.log_n
    {
        return Err(Error::Verification(
            "max key does not match its shape".into(),
        ));
    }
    absorb_statement(transcript, key, f, m);
    transcript.append_g1(b"max/broadcast", &proof.broadcast.0);
    copy::verify_in(
        vk,
        &key.broadcast,
        &[m],
        proof.broadcast,
        &proof.copy,
        transcript,
        batch,
        mode.reborrow(),
    )?;
    // C_d = C_m̃ − C_f
    let d = linear::sub_commitments(proof.broadcast, f);
    lookup::verify_in(
        vk,
        &key.range,
        d,
        None,
        &proof.range,
        transcript,
        batch,
        mode.reborrow(),
    )?;
    transcript.append_g1(b"max/product", &proof.product.0);
    let mut commitments = vec![d];
    commitments.extend_from_slice(&key.commitments);
    commitments.push(proof.product);
    identity::verify_in(
        vk,
        &ZeroProduct,
        key.log_n,
        &commitments,
        &proof.identity,
        transcript,
        batch,
        mode,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::G1Affine;
    use ark_ec::{AffineRepr, CurveGroup};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    fn srs() -> &'static Srs {
        crate::blocks::test_srs()
    }

    struct Case {
        key: MaxKey,
        f: Committed,
        m: Committed,
    }

    fn commit_on(values: &[i64], log_n: u32, mask: usize, r: &mut ChaCha20Rng) -> Committed {
        let mut v = values.to_vec();
        v.resize(1 << log_n, 0);
        Committed::new(srs(), &v, mask, r).unwrap()
    }

    fn case(groups: Groups, maxima: Option<Vec<i64>>, seed: u64) -> Case {
        let mut r = ChaCha20Rng::seed_from_u64(seed);
        let key = MaxKey::new(srs(), groups).unwrap();
        let spread = 1i64 << (groups.spread_bits - 1);
        let fv: Vec<i64> = (0..groups.count * groups.len)
            .map(|_| r.gen_range(-spread..spread))
            .collect();
        let mv = maxima.unwrap_or_else(|| group_maxima(groups, &fv).unwrap());
        let f = commit_on(&fv, key.log_n, 4, &mut r);
        let m = commit_on(&mv, key.log_n, 2, &mut r);
        Case { key, f, m }
    }

    fn accepts(c: &Case, f: Commitment, m: Commitment, p: &MaxProof) -> bool {
        let mut t = Transcript::new(b"max-test");
        let mut batch = PairingBatch::new();
        let vk = srs().verifier_key();
        verify(&vk, &c.key.verifier_key(), f, m, p, &mut t, &mut batch).is_ok() && batch.verify()
    }

    fn prove_case(c: &Case, seed: u64) -> Result<MaxProof> {
        let mut r = ChaCha20Rng::seed_from_u64(seed);
        let mut t = Transcript::new(b"max-test");
        prove(srs(), &c.key, &c.f, &c.m, &mut t, &mut r)
    }

    fn groups(count: usize, len: usize, spread_bits: u32) -> Groups {
        Groups {
            count,
            len,
            spread_bits,
        }
    }

    #[test]
    fn completeness_on_several_shapes() {
        for (i, g) in [
            groups(1, 1, 4),
            groups(1, 9, 6),
            groups(5, 4, 6),
            groups(12, 3, 7),
        ]
        .into_iter()
        .enumerate()
        {
            let c = case(g, None, i as u64);
            let p = prove_case(&c, 50 + i as u64).unwrap();
            assert!(accepts(&c, c.f.commitment, c.m.commitment, &p), "{g:?}");
        }
    }

    #[test]
    fn tampered_proofs_and_wrong_statements_are_rejected() {
        let c = case(groups(5, 4, 6), None, 3);
        let p = prove_case(&c, 4).unwrap();
        let g = G1Affine::generator();
        let tweak = |a: Commitment| Commitment((a.0 + g).into_affine());
        let mut bad = Vec::new();
        let mut q = p.clone();
        q.broadcast = tweak(q.broadcast);
        bad.push(q);
        let mut q = p.clone();
        q.product = tweak(q.product);
        bad.push(q);
        for t in p.identity.tampered() {
            let mut q = p.clone();
            q.identity = t;
            bad.push(q);
        }
        let mut q = p.clone();
        q.copy.grand_product = tweak(q.copy.grand_product);
        bad.push(q);
        let mut q = p.clone();
        q.range.multiplicities = tweak(q.range.multiplicities);
        bad.push(q);
        for (i, q) in bad.iter().enumerate() {
            assert!(
                !accepts(&c, c.f.commitment, c.m.commitment, q),
                "tamper {i}"
            );
        }
        assert!(!accepts(&c, c.m.commitment, c.f.commitment, &p));
        let other = case(groups(5, 4, 6), None, 5);
        assert!(!accepts(&c, c.f.commitment, other.m.commitment, &p));
    }

    #[test]
    fn a_wrong_max_is_refused_by_the_honest_prover() {
        let base = case(groups(3, 4, 6), None, 7);
        let mut too_big = base.m.values[..3].to_vec();
        too_big[1] += 1;
        let c = case(groups(3, 4, 6), Some(too_big), 7);
        assert!(prove_case(&c, 8).is_err());
        let mut too_small = base.m.values[..3].to_vec();
        too_small[2] -= 1;
        let c = case(groups(3, 4, 6), Some(too_small), 7);
        assert!(prove_case(&c, 8).is_err());
    }

    /// A max above every element of its group passes the range check; a forger then proves
    /// vacuous constraints in place of the zero product: rejected.
    #[test]
    fn forced_proof_of_a_max_that_is_not_an_element_is_rejected() {
        struct Vacuous;
        impl Constraints for Vacuous {
            fn columns(&self) -> usize {
                5
            }
            fn reads_next(&self, j: usize) -> bool {
                j == 4
            }
            fn degree(&self) -> usize {
                1
            }
            fn combine<V: Value>(&self, _row: &Row<'_, V>, _alpha: Fr) -> V {
                V::from(Fr::zero())
            }
        }
        let base = case(groups(3, 4, 6), None, 9);
        let mut wrong = base.m.values[..3].to_vec();
        wrong[0] += 1;
        let c = case(groups(3, 4, 6), Some(wrong.clone()), 9);
        let (key, f, m) = (&c.key, &c.f, &c.m);
        let mut r = ChaCha20Rng::seed_from_u64(10);
        let mut t = Transcript::new(b"max-test");
        let n = 1usize << key.log_n;
        absorb_statement(&mut t, &key.verifier_key(), f.commitment, m.commitment);
        let mut spread: Vec<i64> = (0..12).map(|p| wrong[p / 4]).collect();
        spread.resize(n, 0);
        let broadcast = Committed::new(srs(), &spread, BROADCAST_MASK, &mut r).unwrap();
        t.append_g1(b"max/broadcast", &broadcast.commitment.0);
        let copy = copy::prove(srs(), &key.broadcast, &[m], &broadcast, &mut t, &mut r).unwrap();
        let d = linear::sub(&broadcast, f).unwrap();
        let range = lookup::prove(srs(), &key.range, &d, None, &mut t, &mut r).unwrap();
        let p = prefix_products(key.groups, &d.values, n);
        let (product, p_poly) = pcs::commit_field_values_hiding(srs(), &p, 3, &mut r).unwrap();
        t.append_g1(b"max/product", &product.0);
        // The honest zero-product prover refuses this witness.
        let mut columns: Vec<&CommittedPoly> = vec![&d.poly];
        columns.extend(key.public.iter());
        columns.push(&p_poly);
        let mut commitments = vec![d.commitment];
        commitments.extend_from_slice(&key.commitments);
        commitments.push(product);
        let mut t2 = Transcript::new(b"unused");
        assert!(identity::prove(srs(), &ZeroProduct, &columns, &commitments, &mut t2).is_err());
        let identity = identity::prove(srs(), &Vacuous, &columns, &commitments, &mut t).unwrap();
        let forged = MaxProof {
            broadcast: broadcast.commitment,
            copy,
            range,
            product,
            identity,
        };
        assert!(!accepts(&c, f.commitment, m.commitment, &forged));
    }

    #[test]
    fn relaxed_form_of_a_fresh_proof_accepts_iff_the_proof_does() {
        let c = case(groups(4, 3, 5), None, 11);
        let p = prove_case(&c, 12).unwrap();
        let mut bad = p.clone();
        bad.identity.opening.witnesses[0] =
            (bad.identity.opening.witnesses[0] + G1Affine::generator()).into_affine();
        for (proof, expect) in [(&p, true), (&bad, false)] {
            let mut t = Transcript::new(b"max-test");
            let mut batch = PairingBatch::recording();
            let vk = srs().verifier_key();
            let ok = verify(
                &vk,
                &c.key.verifier_key(),
                c.f.commitment,
                c.m.commitment,
                proof,
                &mut t,
                &mut batch,
            )
            .is_ok();
            assert_eq!(ok && batch.relaxed().iter().all(|e| e.holds()), expect);
        }
    }

    #[test]
    fn a_spread_beyond_the_range_is_a_named_error() {
        let g = groups(1, 3, 4);
        let err = group_maxima(g, &[0, 20, 3]).unwrap_err().to_string();
        assert!(err.contains("20") && err.contains("2^4"), "{err}");
    }
}
