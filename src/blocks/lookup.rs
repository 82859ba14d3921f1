//! Lookup: every entry (or pair of entries) of committed tensors is a row of a public table.
//!
//! Used for every non-linearity (pairs `(x, f(x))` of a ReLU, GELU, sigmoid, … table), every
//! fixed-point rescale and every range check (single-column tables).
//!
//! **Argument: logUp (Hab22) with one running sum over one domain, no degree bound.** On the
//! domain H of size M, rows `[0, n)` hold the looked-up entries and rows `[M − N, M)` the table
//! (public columns `t_1`, `t_2` and selectors `q_w`, `q_t` fixed by setup; their commitments are
//! in the verifying key). The prover commits the multiplicities m (how often each table row is
//! used), then, after challenges θ (compresses pairs) and β:
//!
//! - `h_i = 1/(β + a_i + θ b_i)` on witness rows, `h_j = −m_j/(β + t_1,j + θ t_2,j)` on table rows,
//!   0 elsewhere;
//! - the running sum `z_i = h_0 + … + h_i`.
//!
//! Constraints on H (combined with α by the identity engine):
//!
//! - `q_w(X)·(h(X)·(β + a(X) + θ b(X)) − 1)`
//! - `q_t(X)·(h(X)·(β + t_1(X) + θ t_2(X)) + m(X))`
//! - `(1 − q_w(X) − q_t(X))·h(X)`
//! - `L_0(X)·(z(X) − h(X))`, `(X − ω^(M−1))·(z(ωX) − z(X) − h(ωX))`, `L_(M−1)(X)·z(X)`
//!
//! so `Σ_i 1/(β + f_i) = Σ_j m_j/(β + t_j)` with `f_i = a_i + θ b_i`, `t_j = t_1,j + θ t_2,j`.
//! By the logUp lemma (characteristic r exceeds every multiplicity), this identity of rational
//! functions in β holds iff every f_i is some t_j; a random β makes a false claim pass with
//! probability ≤ (n + N)/r, and θ adds n·N/r for pairs. The total is 0, public: unlike a
//! two-domain logUp, no secret-dependent sum is ever revealed. The table's cost is O(N) per
//! proof, paid once for all lookups into that table when the model-level prover batches them.

use super::identity::{self, Constraints, IdentityProof, Rot, Row, Value};
use super::Committed;
use crate::error::{Error, Result};
use crate::pcs::{self, Commitment, CommittedPoly, PairingBatch, VerifierKey};
use crate::srs::Srs;
use crate::transcript::Transcript;
use ark_bn254::Fr;
use ark_ff::{batch_inversion, One, Zero};
use ark_poly::DenseUVPolynomial;
use rand::{CryptoRng, RngCore};
use std::collections::HashMap;

/// Mask of the multiplicities (opened at ζ).
const MULTIPLICITY_MASK: usize = 2;
/// Mask of the inverse and running-sum columns (opened at ζ and ωζ).
const RUNNING_MASK: usize = 3;

/// A public table: one column, or two (input, output) of equal length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// The first column (the looked-up value, or the input of a function table).
    pub inputs: Vec<i64>,
    /// The second column (the function's output), for pair tables.
    pub outputs: Option<Vec<i64>>,
}

impl Table {
    /// A single-column table (range checks, rescale remainders).
    pub fn single(values: Vec<i64>) -> Self {
        Table {
            inputs: values,
            outputs: None,
        }
    }

    /// The pair table `(x, f(x))` for x in `inputs`.
    pub fn function(inputs: Vec<i64>, f: impl Fn(i64) -> i64) -> Self {
        let outputs = inputs.iter().map(|&x| f(x)).collect();
        Table {
            inputs,
            outputs: Some(outputs),
        }
    }

    fn len(&self) -> usize {
        self.inputs.len()
    }

    fn row(&self, j: usize) -> (i64, i64) {
        (self.inputs[j], self.outputs.as_ref().map_or(0, |o| o[j]))
    }
}

/// The public columns `t_1, t_2, q_w, q_t` of `table` laid out after `witness_len` witness rows
/// on the domain of size `2^log_m` (table rows `[M − N, M)`). Setup commits them; a verifier
/// checking a key recomputes them from the architecture.
pub fn table_columns(witness_len: usize, table: &Table, log_m: u32) -> Result<[Vec<i64>; 4]> {
    let n_t = table.len();
    if n_t == 0 || table.outputs.as_ref().is_some_and(|o| o.len() != n_t) {
        return Err(Error::InvalidArgument(
            "a lookup table needs at least one row and columns of equal length".into(),
        ));
    }
    if log_m > crate::srs::MAX_POWER || witness_len.saturating_add(n_t) > 1usize << log_m {
        return Err(Error::InvalidArgument(format!(
            "{witness_len} entries and a table of {n_t} rows do not fit a domain of 2^{log_m}"
        )));
    }
    let m = 1usize << log_m;
    let start = m - n_t;
    let mut t1 = vec![0i64; m];
    let mut t2 = vec![0i64; m];
    let mut q_w = vec![0i64; m];
    let mut q_t = vec![0i64; m];
    for j in 0..n_t {
        let (x, y) = table.row(j);
        t1[start + j] = x;
        t2[start + j] = y;
        q_t[start + j] = 1;
    }
    q_w[..witness_len].fill(1);
    Ok([t1, t2, q_w, q_t])
}

/// A table laid out on the domain, with its public columns committed (made once by setup).
#[derive(Clone, Debug)]
pub struct LookupKey {
    /// log2 of the domain size M.
    pub log_m: u32,
    /// Number of looked-up entries n (rows `[0, n)`).
    pub witness_len: usize,
    /// The table (rows `[M − N, M)`).
    pub table: Table,
    /// t_1, t_2, q_w, q_t as public polynomials.
    pub public: Vec<CommittedPoly>,
    /// Their commitments (what the verifying key stores).
    pub commitments: Vec<Commitment>,
}

/// The verifier's part of a [`LookupKey`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupVerifierKey {
    /// log2 of the domain size.
    pub log_m: u32,
    /// Whether the table has two columns.
    pub pairs: bool,
    /// Commitments to t_1, t_2, q_w, q_t.
    pub commitments: Vec<Commitment>,
}

impl LookupKey {
    /// Lays out `table` after `witness_len` witness rows on the smallest domain holding both, and
    /// commits the public columns.
    pub fn new(srs: &Srs, witness_len: usize, table: Table) -> Result<Self> {
        let log_m = pcs::domain_log(witness_len + table.len());
        Self::on_domain(srs, witness_len, table, log_m)
    }

    /// As [`LookupKey::new`] on a given domain of size `2^log_m` (so that several lookups over
    /// the same tensors share their domain).
    pub fn on_domain(srs: &Srs, witness_len: usize, table: Table, log_m: u32) -> Result<Self> {
        let columns = table_columns(witness_len, &table, log_m)?;
        let mut public = Vec::with_capacity(4);
        let mut commitments = Vec::with_capacity(4);
        for col in &columns {
            commitments.push(pcs::commit_values(srs, col)?);
            public.push(pcs::values_poly(col)?);
        }
        Ok(LookupKey {
            log_m,
            witness_len,
            table,
            public,
            commitments,
        })
    }

    /// The verifier's part of the key.
    pub fn verifier_key(&self) -> LookupVerifierKey {
        LookupVerifierKey {
            log_m: self.log_m,
            pairs: self.table.outputs.is_some(),
            commitments: self.commitments.clone(),
        }
    }
}

/// Column order: a, b, t_1, t_2, q_w, q_t, m, h, z (b is the zero column for single tables).
const A: usize = 0;
const B: usize = 1;
const T1: usize = 2;
const T2: usize = 3;
const QW: usize = 4;
const QT: usize = 5;
const M: usize = 6;
const H: usize = 7;
const Z: usize = 8;

#[derive(Clone)]
struct LogUp {
    theta: Fr,
    beta: Fr,
}

impl Constraints for LogUp {
    fn columns(&self) -> usize {
        9
    }
    fn reads_next(&self, j: usize) -> bool {
        j == H || j == Z
    }
    fn degree(&self) -> usize {
        3
    }
    fn combine<V: Value>(&self, row: &Row<'_, V>, alpha: Fr) -> V {
        let c = |j| row.col(j, Rot::Cur);
        let f = c(A) + c(B) * self.theta + self.beta;
        let t = c(T1) + c(T2) * self.theta + self.beta;
        let constraints = [
            c(QW) * (c(H) * f - Fr::one()),
            c(QT) * (c(H) * t + c(M)),
            (V::from(Fr::one()) - c(QW) - c(QT)) * c(H),
            row.l_first * (c(Z) - c(H)),
            row.not_last * (row.col(Z, Rot::Next) - c(Z) - row.col(H, Rot::Next)),
            row.l_last * c(Z),
        ];
        constraints
            .iter()
            .rev()
            .fold(V::from(Fr::zero()), |acc, x| acc * alpha + *x)
    }
}

/// A lookup proof: multiplicities, inverses and running sum, then the identity proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupProof {
    /// `[m(τ)]₁`.
    pub multiplicities: Commitment,
    /// `[h(τ)]₁`.
    pub inverses: Commitment,
    /// `[z(τ)]₁`.
    pub running_sum: Commitment,
    /// The constraints' proof.
    pub identity: IdentityProof,
}

fn absorb_statement(
    transcript: &mut Transcript,
    key: &[Commitment],
    log_m: u32,
    a: Commitment,
    b: Option<Commitment>,
) {
    transcript.append_bytes(b"block", b"lookup");
    transcript.append_u64(b"lookup/log_m", u64::from(log_m));
    let k: Vec<_> = key.iter().map(|c| c.0).collect();
    transcript.append_g1s(b"lookup/table", &k);
    transcript.append_g1(b"lookup/a", &a.0);
    if let Some(b) = b {
        transcript.append_g1(b"lookup/b", &b.0);
    }
}

/// Proves that every `(a_i, b_i)` (or `a_i`, for single tables), i < n, is a row of the table.
/// The tensors must be committed on the key's domain. Fails, naming the first offending entry,
/// if one is not in the table.
pub fn prove<R: RngCore + CryptoRng>(
    srs: &Srs,
    key: &LookupKey,
    a: &Committed,
    b: Option<&Committed>,
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<LookupProof> {
    prove_in(srs, key, a, b, transcript, rng, identity::Mode::Now)
}

/// As [`prove`], with the identity proved now or deferred to a shared proof.
pub fn prove_in<R: RngCore + CryptoRng>(
    srs: &Srs,
    key: &LookupKey,
    a: &Committed,
    b: Option<&Committed>,
    transcript: &mut Transcript,
    rng: &mut R,
    mode: identity::Mode<'_>,
) -> Result<LookupProof> {
    let m_size = 1usize << key.log_m;
    let pairs = key.table.outputs.is_some();
    if pairs != b.is_some() {
        return Err(Error::InvalidArgument(
            "a pair table needs two tensors, a single table one".into(),
        ));
    }
    let tensors: Vec<&Committed> = [Some(a), b].into_iter().flatten().collect();
    if tensors
        .iter()
        .any(|t| t.poly.log_n != key.log_m || t.values.len() != m_size)
    {
        return Err(Error::InvalidArgument(format!(
            "lookup tensors must be committed on the key's domain of size 2^{}",
            key.log_m
        )));
    }
    let n = key.witness_len;
    if tensors
        .iter()
        .any(|t| t.values[n..].iter().any(|&v| v != 0))
    {
        return Err(Error::InvalidArgument(format!(
            "lookup tensors must be zero beyond their {n} entries"
        )));
    }
    // Multiplicities.
    let start = m_size - key.table.len();
    let mut index: HashMap<(i64, i64), usize> = HashMap::with_capacity(key.table.len());
    for j in 0..key.table.len() {
        index.entry(key.table.row(j)).or_insert(j);
    }
    let mut mult = vec![0i64; m_size];
    for i in 0..n {
        let entry = (a.values[i], b.map_or(0, |b| b.values[i]));
        let j = *index.get(&entry).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "entry {i} = {entry:?} is not in the table (first row {:?}, last row {:?})",
                key.table.row(0),
                key.table.row(key.table.len() - 1)
            ))
        })?;
        mult[start + j] += 1;
    }

    absorb_statement(
        transcript,
        &key.commitments,
        key.log_m,
        a.commitment,
        b.map(|b| b.commitment),
    );
    let m = Committed::new(srs, &mult, MULTIPLICITY_MASK, rng)?;
    transcript.append_g1(b"lookup/multiplicities", &m.commitment.0);
    let theta = if pairs {
        transcript.challenge_scalar(b"lookup/theta")
    } else {
        Fr::zero()
    };
    let beta = transcript.challenge_scalar(b"lookup/beta");

    // h and z.
    let mut dens = vec![Fr::one(); m_size];
    for (i, d) in dens.iter_mut().enumerate().take(n) {
        *d = beta + Fr::from(a.values[i]) + theta * Fr::from(b.map_or(0, |b| b.values[i]));
    }
    for j in 0..key.table.len() {
        let (x, y) = key.table.row(j);
        dens[start + j] = beta + Fr::from(x) + theta * Fr::from(y);
    }
    if dens.iter().any(|d| d.is_zero()) {
        return Err(Error::InvalidArgument(
            "β hit a table or witness value (probability ≈ 2^-240); retry".into(),
        ));
    }
    batch_inversion(&mut dens);
    let mut h = vec![Fr::zero(); m_size];
    h[..n].copy_from_slice(&dens[..n]);
    for j in 0..key.table.len() {
        h[start + j] = -Fr::from(mult[start + j]) * dens[start + j];
    }
    let mut z = Vec::with_capacity(m_size);
    let mut acc = Fr::zero();
    for v in &h {
        acc += v;
        z.push(acc);
    }
    if !acc.is_zero() {
        return Err(Error::InvalidArgument(
            "logUp sums differ: an entry is not in the table".into(),
        ));
    }
    let (h_c, h_poly) = pcs::commit_field_values_hiding(srs, &h, RUNNING_MASK, rng)?;
    let (z_c, z_poly) = pcs::commit_field_values_hiding(srs, &z, RUNNING_MASK, rng)?;
    transcript.append_g1(b"lookup/inverses", &h_c.0);
    transcript.append_g1(b"lookup/running", &z_c.0);

    let zero_b;
    let b_poly = match b {
        Some(b) => (&b.poly, b.commitment),
        None => {
            zero_b = CommittedPoly {
                poly: DenseUVPolynomial::from_coefficients_vec(vec![]),
                log_n: key.log_m,
                hiding: 0,
            };
            (&zero_b, Commitment(ark_bn254::G1Affine::default()))
        }
    };
    let columns: Vec<&CommittedPoly> = vec![
        &a.poly,
        b_poly.0,
        &key.public[0],
        &key.public[1],
        &key.public[2],
        &key.public[3],
        &m.poly,
        &h_poly,
        &z_poly,
    ];
    let commitments = vec![
        a.commitment,
        b_poly.1,
        key.commitments[0],
        key.commitments[1],
        key.commitments[2],
        key.commitments[3],
        m.commitment,
        h_c,
        z_c,
    ];
    let identity = identity::prove_in(
        srs,
        &LogUp { theta, beta },
        &columns,
        &commitments,
        transcript,
        mode,
    )?;
    Ok(LookupProof {
        multiplicities: m.commitment,
        inverses: h_c,
        running_sum: z_c,
        identity,
    })
}

/// Verifies that every entry of the committed `a` (paired with `b` for pair tables) is a row of
/// the table whose key is `key` (from the verifying key).
pub fn verify(
    vk: &VerifierKey,
    key: &LookupVerifierKey,
    a: Commitment,
    b: Option<Commitment>,
    proof: &LookupProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
) -> Result<()> {
    verify_in(
        vk,
        key,
        a,
        b,
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
    key: &LookupVerifierKey,
    a: Commitment,
    b: Option<Commitment>,
    proof: &LookupProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
    mode: identity::Check<'_>,
) -> Result<()> {
    if key.commitments.len() != 4 || key.pairs != b.is_some() {
        return Err(Error::Verification(
            "lookup key and statement do not match".into(),
        ));
    }
    absorb_statement(transcript, &key.commitments, key.log_m, a, b);
    transcript.append_g1(b"lookup/multiplicities", &proof.multiplicities.0);
    let theta = if key.pairs {
        transcript.challenge_scalar(b"lookup/theta")
    } else {
        Fr::zero()
    };
    let beta = transcript.challenge_scalar(b"lookup/beta");
    transcript.append_g1(b"lookup/inverses", &proof.inverses.0);
    transcript.append_g1(b"lookup/running", &proof.running_sum.0);
    let commitments = vec![
        a,
        b.unwrap_or(Commitment(ark_bn254::G1Affine::default())),
        key.commitments[0],
        key.commitments[1],
        key.commitments[2],
        key.commitments[3],
        proof.multiplicities,
        proof.inverses,
        proof.running_sum,
    ];
    identity::verify_in(
        vk,
        &LogUp { theta, beta },
        key.log_m,
        &commitments,
        &proof.identity,
        transcript,
        batch,
        mode,
    )
}
