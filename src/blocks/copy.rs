//! Copy / permutation with public wiring: every entry of the output tensor y is an entry of one
//! of the input tensors x_0..x_(m−1), or a public constant, at positions fixed by the model.
//!
//! This one block covers reshape across commitment boundaries, transpose, slice, concat, pad and
//! im2col: each is only a different wiring. It is PLONK's permutation argument (GWC19, §5) over
//! the columns (x_0, …, x_(m−1), y) on H, with the wiring compiled once (by setup) into public
//! columns whose commitments belong to the verifying key:
//!
//! - `σ_c(X)`: the permutation that links every output cell to the input cell it copies (cells
//!   form cycles: an input cell and all the output cells that copy it); cell (c, i) is named
//!   `k_c·ω^i` with `k_c = g^c` for the field's multiplicative generator g (disjoint cosets of H);
//! - `q(X)`, `κ(X)`: the selector of output cells that hold a constant and that constant (those
//!   cells are fixed points of σ).
//!
//! Protocol: absorb the label, n, the wiring's public-column commitments and the tensors'
//! commitments; challenges β, γ; the prover commits the grand product
//! `z_0 = 1, z_(i+1) = z_i · Π_c (w_c,i + β k_c ω^i + γ) / Π_c (w_c,i + β σ_c(ω^i) + γ)`
//! (masked, opened at ζ and ωζ); then the identity engine proves, on H:
//!
//! - `L_0(X)·(z(X) − 1) = 0`;
//! - `z(ωX)·Π_c (w_c(X) + β σ_c(X) + γ) − z(X)·Π_c (w_c(X) + β k_c X + γ) = 0` (on every row,
//!   cyclically, so the product over H is 1);
//! - `q(X)·(y(X) − κ(X)) = 0`.
//!
//! Soundness: the product over H equals 1 for random β, γ only if the multiset of (value, name)
//! pairs equals the multiset of (value, σ(name)) pairs except with probability ≈ (m+1)n/r, i.e.
//! values are constant on every cycle of σ: each output cell equals the input cell it copies.
//! The public columns come from the verifying key, never from the proof.

use super::identity::{self, Constraints, IdentityProof, Rot, Row, Value};
use super::Committed;
use crate::error::{Error, Result};
use crate::pcs::{self, Commitment, CommittedPoly, PairingBatch, VerifierKey};
use crate::srs::Srs;
use crate::transcript::Transcript;
use ark_bn254::Fr;
use ark_ff::{batch_inversion, FftField, Field, One};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use rand::{CryptoRng, RngCore};

/// Mask of the grand-product column (opened at ζ and ωζ).
const GRAND_PRODUCT_MASK: usize = 3;

/// Where one output entry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Source {
    /// Entry `index` of input tensor `input`.
    Input {
        /// Which input tensor.
        input: usize,
        /// Which entry of it.
        index: usize,
    },
    /// A public constant (padding zeros, …).
    Const(i64),
}

/// A public wiring: the lengths of the inputs and, for every output entry, its source.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Wiring {
    /// Number of entries of each input tensor.
    pub input_lens: Vec<usize>,
    /// The source of each output entry.
    pub output: Vec<Source>,
}

impl Wiring {
    /// The transpose of a row-major `rows × cols` matrix (one input, output `cols × rows`).
    pub fn transpose(rows: usize, cols: usize) -> Self {
        Wiring {
            input_lens: vec![rows * cols],
            output: (0..cols)
                .flat_map(|j| {
                    (0..rows).map(move |i| Source::Input {
                        input: 0,
                        index: i * cols + j,
                    })
                })
                .collect(),
        }
    }

    /// log2 of the domain that holds every tensor of the wiring.
    pub fn log_n(&self) -> u32 {
        let longest = self
            .input_lens
            .iter()
            .copied()
            .chain([self.output.len()])
            .max()
            .unwrap_or(1);
        pcs::domain_log(longest)
    }

    /// The output an honest prover computes from the inputs' values.
    pub fn apply(&self, inputs: &[&[i64]]) -> Result<Vec<i64>> {
        self.check(inputs.iter().map(|x| x.len()))?;
        Ok(self
            .output
            .iter()
            .map(|s| match *s {
                Source::Input { input, index } => inputs[input][index],
                Source::Const(c) => c,
            })
            .collect())
    }

    /// Checks that every output entry copies an entry its input has.
    pub fn validate(&self) -> Result<()> {
        self.check(self.input_lens.iter().copied())
    }

    fn check(&self, lens: impl Iterator<Item = usize>) -> Result<()> {
        let lens: Vec<usize> = lens.collect();
        if lens.len() != self.input_lens.len()
            || lens.iter().zip(&self.input_lens).any(|(a, b)| a > b)
        {
            return Err(Error::InvalidArgument(format!(
                "wiring expects inputs of lengths {:?}, got {lens:?}",
                self.input_lens
            )));
        }
        for (j, s) in self.output.iter().enumerate() {
            if let Source::Input { input, index } = *s {
                if input >= self.input_lens.len() || index >= self.input_lens[input] {
                    return Err(Error::InvalidArgument(format!(
                        "output entry {j} copies input {input}[{index}], which does not exist"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// The wiring compiled into public columns: polynomials for the prover, commitments for the
/// verifier. Made once per wiring (by setup) and cached.
#[derive(Clone, Debug)]
pub struct CopyKey {
    /// The wiring.
    pub wiring: Wiring,
    /// log2 of the domain size.
    pub log_n: u32,
    /// σ_0..σ_m, q, κ as unmasked public polynomials (σ values as field elements).
    pub public: Vec<CommittedPoly>,
    /// Their commitments (what a verifying key stores).
    pub commitments: Vec<Commitment>,
}

impl CopyKey {
    /// Compiles `wiring` (σ from the copy cycles, constant selector and values) and commits its
    /// public columns.
    pub fn new(srs: &Srs, wiring: Wiring) -> Result<Self> {
        let log_n = wiring.log_n();
        Self::on_domain(srs, wiring, log_n)
    }

    /// As [`CopyKey::new`] on a domain of size `2^log_n` (at least the wiring's own): the
    /// output's padding up to the domain is the constant 0.
    pub fn on_domain(srs: &Srs, wiring: Wiring, log_n: u32) -> Result<Self> {
        let columns = wiring_columns(&wiring, log_n)?;
        let powers = omega_powers(log_n)?;
        let mut public = Vec::with_capacity(columns.sigma.len() + 2);
        let mut commitments = Vec::with_capacity(columns.sigma.len() + 2);
        for col in &columns.sigma {
            let (c, p) = public_column(srs, &col.dense(&powers))?;
            public.push(p);
            commitments.push(c);
        }
        // Small integers: the small-scalar MSM.
        for col in [&columns.selector, &columns.constants] {
            public.push(pcs::values_poly(col)?);
            commitments.push(pcs::commit_values(srs, col)?);
        }
        Ok(CopyKey {
            wiring,
            log_n,
            public,
            commitments,
        })
    }
}

/// `ω^i` for i < 2^log_n.
fn omega_powers(log_n: u32) -> Result<Vec<Fr>> {
    let n = 1usize << log_n;
    let omega = Radix2EvaluationDomain::<Fr>::new(n)
        .ok_or_else(|| Error::InvalidArgument("no FFT domain".into()))?
        .group_gen();
    let mut powers = Vec::with_capacity(n);
    let mut x = Fr::one();
    for _ in 0..n {
        powers.push(x);
        x *= omega;
    }
    Ok(powers)
}

/// One σ column: the identity `k·ω^i` (the cells' own names, `k = k_c = g^c`) except at the
/// cells a copy cycle moves, where it is another cell's name `k_t·ω^(i')`. Kept in this form so
/// that a verifier evaluates it in O(moves), not O(n):
/// `σ(ξ) = k·ξ + Σ_moved (k_t·ω^(i') − k·ω^i)·L_i(ξ)` (X interpolates ω^i on H).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigmaColumn {
    /// This column's `k_c`.
    pub k: Fr,
    /// Every wire's `k` (the targets' multipliers).
    pub ks: Vec<Fr>,
    /// `(i, t, i')`: row i holds the name of cell i' of wire t; by increasing i.
    pub moves: Vec<(usize, usize, usize)>,
}

impl SigmaColumn {
    /// The values on H given `powers[i] = ω^i`.
    pub fn dense(&self, powers: &[Fr]) -> Vec<Fr> {
        let mut v: Vec<Fr> = powers.iter().map(|p| self.k * p).collect();
        for &(i, t, j) in &self.moves {
            v[i] = self.ks[t] * powers[j];
        }
        v
    }
}

/// A wiring's public columns on its domain: σ_0..σ_m, the constant selector q and the
/// constants κ.
pub struct WiringColumns {
    /// σ_c for every wire (inputs, then the output).
    pub sigma: Vec<SigmaColumn>,
    /// q: 1 on output cells that hold a constant (padding included).
    pub selector: Vec<i64>,
    /// κ: those constants.
    pub constants: Vec<i64>,
}

/// Compiles `wiring` into its public columns on the domain of size `2^log_n` (σ from the copy
/// cycles, constant selector and values; output rows past the wiring's are the constant 0).
/// Setup commits them; a verifier checking a key recomputes them from the wiring.
pub fn wiring_columns(wiring: &Wiring, log_n: u32) -> Result<WiringColumns> {
    wiring.check(wiring.input_lens.iter().copied())?;
    if log_n > crate::srs::MAX_POWER || log_n < wiring.log_n() {
        return Err(Error::InvalidArgument(format!(
            "a wiring over 2^{} cells on a domain of 2^{log_n}",
            wiring.log_n()
        )));
    }
    let n = 1usize << log_n;
    let m = wiring.input_lens.len();
    let out = m; // column index of y
    let ks: Vec<Fr> = (0..=m).map(|c| Fr::GENERATOR.pow([c as u64])).collect();
    // Each input cell's copies form a cycle through it: (input, index) → y_j1 → y_j2 → … →
    // (input, index). `first`/`last` per input cell, `next` per output cell.
    const NONE: usize = usize::MAX;
    let mut first: Vec<Vec<usize>> = wiring.input_lens.iter().map(|&l| vec![NONE; l]).collect();
    let mut last = first.clone();
    let mut next = vec![NONE; wiring.output.len()];
    let mut selector = vec![0i64; n];
    let mut constants = vec![0i64; n];
    // Output padding is the constant 0.
    selector[wiring.output.len()..].fill(1);
    for (j, s) in wiring.output.iter().enumerate() {
        match *s {
            Source::Const(v) => {
                selector[j] = 1;
                constants[j] = v;
            }
            Source::Input { input, index } => {
                match last[input][index] {
                    NONE => first[input][index] = j,
                    prev => next[prev] = j,
                }
                last[input][index] = j;
            }
        }
    }
    let mut sigma: Vec<SigmaColumn> = ks
        .iter()
        .map(|&k| SigmaColumn {
            k,
            ks: ks.clone(),
            moves: Vec::new(),
        })
        .collect();
    for (c, cells) in first.iter().enumerate() {
        for (i, &f) in cells.iter().enumerate() {
            if f != NONE {
                sigma[c].moves.push((i, out, f));
            }
        }
    }
    for (j, s) in wiring.output.iter().enumerate() {
        if let Source::Input { input, index } = *s {
            let target = match next[j] {
                NONE => (input, index),
                nj => (out, nj),
            };
            sigma[out].moves.push((j, target.0, target.1));
        }
    }
    Ok(WiringColumns {
        sigma,
        selector,
        constants,
    })
}

fn public_column(srs: &Srs, values: &[Fr]) -> Result<(Commitment, CommittedPoly)> {
    let log_n = pcs::domain_log(values.len());
    let domain = Radix2EvaluationDomain::<Fr>::new(1 << log_n)
        .ok_or_else(|| Error::InvalidArgument("no FFT domain".into()))?;
    let poly = CommittedPoly {
        poly: ark_poly::DenseUVPolynomial::from_coefficients_vec(domain.ifft(values)),
        log_n,
        hiding: 0,
    };
    Ok((pcs::commit_field_values(srs, values)?, poly))
}

/// Constraints over columns (w_0..w_m, σ_0..σ_m, q, κ, z), m + 1 wires.
#[derive(Clone)]
struct Copy {
    wires: usize,
    beta: Fr,
    gamma: Fr,
}

impl Copy {
    fn sigma(&self, c: usize) -> usize {
        self.wires + c
    }
    fn selector(&self) -> usize {
        2 * self.wires
    }
    fn constant(&self) -> usize {
        2 * self.wires + 1
    }
    fn z(&self) -> usize {
        2 * self.wires + 2
    }
}

impl Constraints for Copy {
    fn columns(&self) -> usize {
        2 * self.wires + 3
    }
    fn reads_next(&self, j: usize) -> bool {
        j == self.z()
    }
    fn degree(&self) -> usize {
        self.wires + 1
    }
    fn combine<V: Value>(&self, row: &Row<'_, V>, alpha: Fr) -> V {
        let z = row.col(self.z(), Rot::Cur);
        let z_next = row.col(self.z(), Rot::Next);
        let mut num = V::from(Fr::one());
        let mut den = V::from(Fr::one());
        for c in 0..self.wires {
            let w = row.col(c, Rot::Cur);
            num *= w + row.x * (self.beta * Fr::GENERATOR.pow([c as u64])) + self.gamma;
            den *= w + row.col(self.sigma(c), Rot::Cur) * self.beta + self.gamma;
        }
        let y = row.col(self.wires - 1, Rot::Cur);
        let start = row.l_first * (z - Fr::one());
        let step = z_next * den - z * num;
        let constant =
            row.col(self.selector(), Rot::Cur) * (y - row.col(self.constant(), Rot::Cur));
        start + (step + constant * alpha) * alpha
    }
}

/// A copy proof: the grand-product commitment and the identity proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyProof {
    /// `[z(τ)]₁`.
    pub grand_product: Commitment,
    /// The constraints' proof.
    pub identity: IdentityProof,
}

/// Absorbs the statement and draws β, γ (prover and verifier share this step).
fn challenges(
    transcript: &mut Transcript,
    key_commitments: &[Commitment],
    tensors: &[Commitment],
    log_n: u32,
) -> (Fr, Fr) {
    transcript.append_bytes(b"block", b"copy");
    transcript.append_u64(b"copy/log_n", u64::from(log_n));
    let key: Vec<_> = key_commitments.iter().map(|c| c.0).collect();
    transcript.append_g1s(b"copy/wiring", &key);
    let t: Vec<_> = tensors.iter().map(|c| c.0).collect();
    transcript.append_g1s(b"copy/tensors", &t);
    (
        transcript.challenge_scalar(b"copy/beta"),
        transcript.challenge_scalar(b"copy/gamma"),
    )
}

/// Proves that `output` is `inputs` rearranged by the key's wiring. Fails (no proof) if it is
/// not. Inputs and output must be committed on the key's domain.
pub fn prove<R: RngCore + CryptoRng>(
    srs: &Srs,
    key: &CopyKey,
    inputs: &[&Committed],
    output: &Committed,
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<CopyProof> {
    prove_in(
        srs,
        key,
        inputs,
        output,
        transcript,
        rng,
        identity::Mode::Now,
    )
}

/// As [`prove`], with the identity proved now or deferred to a shared proof.
pub fn prove_in<R: RngCore + CryptoRng>(
    srs: &Srs,
    key: &CopyKey,
    inputs: &[&Committed],
    output: &Committed,
    transcript: &mut Transcript,
    rng: &mut R,
    mode: identity::Mode<'_>,
) -> Result<CopyProof> {
    let input_values: Vec<&[i64]> = inputs
        .iter()
        .zip(&key.wiring.input_lens)
        .map(|(x, &len)| &x.values[..len.min(x.values.len())])
        .collect();
    let expected = key.wiring.apply(&input_values)?;
    let n = 1usize << key.log_n;
    let mut padded = expected.clone();
    padded.resize(n, 0);
    let wires: Vec<&Committed> = inputs.iter().copied().chain([output]).collect();
    if wires.iter().any(|w| w.poly.log_n != key.log_n) {
        return Err(Error::InvalidArgument(format!(
            "copy block tensors must be committed on the domain of size 2^{}",
            key.log_n
        )));
    }
    if output.values != padded {
        return Err(Error::InvalidArgument(
            "the output is not the wiring applied to the inputs".into(),
        ));
    }
    let commitments: Vec<Commitment> = wires.iter().map(|w| w.commitment).collect();
    let (beta, gamma) = challenges(transcript, &key.commitments, &commitments, key.log_n);

    // z_0 = 1, z_(i+1) = z_i · num_i / den_i
    let omega = Radix2EvaluationDomain::<Fr>::new(n)
        .ok_or_else(|| Error::InvalidArgument("no FFT domain".into()))?
        .group_gen();
    let sigma_evals: Vec<Vec<Fr>> = (0..wires.len())
        .map(|c| {
            Radix2EvaluationDomain::<Fr>::new(n)
                .map(|d| d.fft(&key.public[c].poly.coeffs))
                .unwrap_or_default()
        })
        .collect();
    let mut nums = vec![Fr::one(); n];
    let mut dens = vec![Fr::one(); n];
    for (c, w) in wires.iter().enumerate() {
        let k = Fr::GENERATOR.pow([c as u64]);
        let mut x = Fr::one();
        for i in 0..n {
            let v = Fr::from(w.values[i]);
            nums[i] *= v + beta * k * x + gamma;
            dens[i] *= v + beta * sigma_evals[c][i] + gamma;
            x *= omega;
        }
    }
    batch_inversion(&mut dens);
    let mut z = Vec::with_capacity(n);
    let mut acc = Fr::one();
    for i in 0..n {
        z.push(acc);
        acc *= nums[i] * dens[i];
    }
    if !acc.is_one() {
        return Err(Error::InvalidArgument(
            "grand product is not 1: the output does not follow the wiring".into(),
        ));
    }
    let (z_commitment, z_poly) = pcs::commit_field_values_hiding(srs, &z, GRAND_PRODUCT_MASK, rng)?;
    transcript.append_g1(b"copy/grand_product", &z_commitment.0);

    let constraints = Copy {
        wires: wires.len(),
        beta,
        gamma,
    };
    let mut columns: Vec<&CommittedPoly> = wires.iter().map(|w| &w.poly).collect();
    columns.extend(key.public.iter());
    columns.push(&z_poly);
    let mut all = commitments.clone();
    all.extend_from_slice(&key.commitments);
    all.push(z_commitment);
    let identity = identity::prove_in(srs, &constraints, &columns, &all, transcript, mode)?;
    Ok(CopyProof {
        grand_product: z_commitment,
        identity,
    })
}

/// What the verifier needs of a wiring: its domain and its public columns' commitments (part of
/// the model's verifying key, never taken from a proof).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyVerifierKey {
    /// log2 of the domain size.
    pub log_n: u32,
    /// Commitments to σ_0..σ_m, q, κ.
    pub commitments: Vec<Commitment>,
}

impl CopyKey {
    /// The verifier's part of the key.
    pub fn verifier_key(&self) -> CopyVerifierKey {
        CopyVerifierKey {
            log_n: self.log_n,
            commitments: self.commitments.clone(),
        }
    }
}

/// Verifies that the committed output is the committed inputs rearranged by the wiring `key`.
pub fn verify(
    vk: &VerifierKey,
    key: &CopyVerifierKey,
    inputs: &[Commitment],
    output: Commitment,
    proof: &CopyProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
) -> Result<()> {
    verify_in(
        vk,
        key,
        inputs,
        output,
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
    key: &CopyVerifierKey,
    inputs: &[Commitment],
    output: Commitment,
    proof: &CopyProof,
    transcript: &mut Transcript,
    batch: &mut PairingBatch,
    mode: identity::Check<'_>,
) -> Result<()> {
    let (key_commitments, log_n) = (&key.commitments, key.log_n);
    let wires = inputs.len() + 1;
    if key_commitments.len() != wires + 2 {
        return Err(Error::Verification(format!(
            "wiring key has {} commitments, expected {}",
            key_commitments.len(),
            wires + 2
        )));
    }
    let mut commitments = inputs.to_vec();
    commitments.push(output);
    let (beta, gamma) = challenges(transcript, key_commitments, &commitments, log_n);
    transcript.append_g1(b"copy/grand_product", &proof.grand_product.0);
    let constraints = Copy { wires, beta, gamma };
    let mut all = commitments;
    all.extend_from_slice(key_commitments);
    all.push(proof.grand_product);
    identity::verify_in(
        vk,
        &constraints,
        log_n,
        &all,
        &proof.identity,
        transcript,
        batch,
        mode,
    )
}
