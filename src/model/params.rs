//! What each instance's key is made of, derived from the architecture alone: the one place
//! where a block instance of the program becomes the parameters of its block's key.
//!
//! Setup builds every key from these parameters ([`super::setup`]); a verifier checking a key
//! ([`super::check_key`]) derives the same parameters from the architecture the key states and
//! recomputes every public column from them ([`public_columns`]), so a key can only be accepted
//! if its tables, selectors, wirings and public matrices are the ones its architecture implies.

use crate::blocks::copy::{self, SigmaColumn, Wiring};
use crate::blocks::division::DivisionKey;
use crate::blocks::lookup::{self, Table};
use crate::blocks::matmul::{self, Dims};
use crate::blocks::matprod;
use crate::blocks::max::{self, Groups};
use crate::compile::{Block, Program, TensorKind};
use crate::error::{Error, Result};
use ark_bn254::Fr;
use ark_ff::{batch_inversion, Field, One, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};

/// The public parameters of one instance's key.
#[derive(Clone, Debug)]
pub enum InstanceParams {
    /// Add, Sub, ScaleConst: no key.
    Linear,
    /// Hadamard: no key.
    Hadamard,
    /// A product with a constant matrix: private (a layer's weights) or public (a reduction's
    /// 0/1 matrix, given here).
    MatMul {
        /// Dimensions.
        dims: Dims,
        /// The matrix when it is public.
        public: Option<Vec<i64>>,
    },
    /// A product of two committed matrices.
    MatProd {
        /// Dimensions.
        dims: Dims,
    },
    /// Grouped maxima.
    Max {
        /// The groups.
        groups: Groups,
    },
    /// A table lookup over `witness_len` entries.
    Lookup {
        /// Looked-up entries.
        witness_len: usize,
        /// The table (computed from the architecture's table specification).
        table: Table,
    },
    /// A division by a constant.
    Division {
        /// Divided entries.
        witness_len: usize,
        /// The divisor.
        divisor: i64,
        /// The quotient range.
        range: (i64, i64),
    },
    /// A copy (on the domain, the output's padding is the constant 0).
    Copy {
        /// The wiring.
        wiring: Wiring,
    },
}

fn bad(ix: usize, why: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("instance {ix}: {why}"))
}

/// The key parameters of instance `ix` on the domain of size `2^log_n`. `spread_bits` is the
/// plan's (architecture's) bound of a max instance. Fails, never panics, on an architecture
/// that does not describe a valid key (checked with [`Program::check_dataflow`] first).
pub fn instance_params(
    program: &Program,
    spread_bits: Option<u32>,
    ix: usize,
    log_n: u32,
) -> Result<InstanceParams> {
    let inst = program
        .instances
        .get(ix)
        .ok_or_else(|| bad(ix, "no such instance"))?;
    let n = 1usize << log_n;
    let len = |t: usize| program.tensors[t].len();
    Ok(match &inst.block {
        // An advice value has no key of its own: like a linear instance's, its key is empty.
        Block::Add | Block::Sub | Block::ScaleConst { .. } | Block::Advice { .. } => {
            InstanceParams::Linear
        }
        Block::Hadamard => InstanceParams::Hadamard,
        Block::MatMulConst { .. } => InstanceParams::MatMul {
            dims: inst
                .block
                .product_dims()
                .ok_or_else(|| bad(ix, "a product without dimensions"))?,
            public: None,
        },
        Block::SumGroups { len: g } => {
            let (mut dims, w) = matmul::reduce_weights(*g, 1);
            dims.rows = len(inst.inputs[0]) / (*g).max(1);
            InstanceParams::MatMul {
                dims,
                public: Some(w),
            }
        }
        Block::MatMul { rows, inner, cols } => {
            let dims = Dims::matrix(*rows, *inner, *cols);
            matprod::domain_log(dims)?;
            InstanceParams::MatProd { dims }
        }
        Block::MaxGroups { len: g } => InstanceParams::Max {
            groups: Groups {
                count: len(inst.inputs[0]) / (*g).max(1),
                len: *g,
                spread_bits: spread_bits.ok_or_else(|| bad(ix, "max without a spread bound"))?,
            },
        },
        Block::Lookup { table } => {
            let spec = program
                .tables
                .get(*table)
                .ok_or_else(|| bad(ix, "no such table"))?;
            let (lo, hi) = spec
                .range
                .ok_or_else(|| bad(ix, "a table without a calibrated range"))?;
            let rows = i128::from(hi) - i128::from(lo) + 1;
            if rows < 1 || rows > n as i128 {
                return Err(bad(
                    ix,
                    format!("table range [{lo}, {hi}] on a domain of {n}"),
                ));
            }
            InstanceParams::Lookup {
                witness_len: len(inst.inputs[0]),
                table: spec.to_table()?,
            }
        }
        Block::DivConst { .. } | Block::RangeCheck { .. } => {
            let (divisor, _, range) = inst.block.division().unwrap_or((1, 0, None));
            let range = range.ok_or_else(|| bad(ix, "a division without a quotient range"))?;
            if DivisionKey::domain_log(len(inst.inputs[0]), divisor, range.0, range.1)? > log_n {
                return Err(bad(ix, "a division whose tables do not fit the domain"));
            }
            InstanceParams::Division {
                witness_len: len(inst.inputs[0]),
                divisor,
                range,
            }
        }
        Block::Copy { spec } => {
            let wiring = spec.expand()?;
            if wiring.output.len() > n || wiring.input_lens.iter().any(|&l| l > n) {
                return Err(bad(ix, "a copy larger than the domain"));
            }
            InstanceParams::Copy { wiring }
        }
    })
}

/// The constant-tensor values of a weight tensor (setup only: a verifier never has them).
pub fn weight_values(program: &Program, t: usize) -> Result<&[i64]> {
    match &program.tensors.get(t).map(|t| &t.kind) {
        Some(TensorKind::Weight { values }) => Ok(values),
        _ => Err(Error::InvalidArgument(format!(
            "tensor {t} is not a model constant"
        ))),
    }
}

/// One public column of a key: its values on the domain.
pub enum Column {
    /// Small integers.
    Small(Vec<i64>),
    /// A wiring's σ: the identity except where copy cycles move cells.
    Sigma(SigmaColumn),
}

/// What evaluating columns at a point ξ outside H needs: `L_i(ξ)`, their prefix sums (a run of
/// equal values costs one multiplication) and `ω^i`.
pub struct At {
    /// ξ.
    pub xi: Fr,
    /// `L_i(ξ)`, i < N.
    pub lagrange: Vec<Fr>,
    /// `Σ_(j<i) L_j(ξ)`, i ≤ N.
    prefix: Vec<Fr>,
    /// `ω^i`, i < N.
    omegas: Vec<Fr>,
    /// `ω^i·L_i(ξ)`, i < N.
    omega_lagrange: Vec<Fr>,
}

impl At {
    /// The Lagrange basis of the domain of size `2^log_n` at ξ (one batch inversion).
    pub fn new(log_n: u32, xi: Fr) -> Result<At> {
        let bad = |why: &str| Error::Verification(why.into());
        let n = 1usize << log_n;
        let domain = Radix2EvaluationDomain::<Fr>::new(n).ok_or_else(|| bad("no FFT domain"))?;
        let zh = xi.pow([n as u64]) - Fr::one();
        if zh.is_zero() {
            return Err(bad("the evaluation point fell in the domain"));
        }
        use rayon::prelude::*;
        let chunk = n.div_ceil(rayon::current_num_threads().max(1)).max(1024);
        let omega = domain.group_gen();
        let mut omegas = vec![Fr::zero(); n];
        omegas
            .par_chunks_mut(chunk)
            .enumerate()
            .for_each(|(c, out)| {
                let mut w = omega.pow([(c * chunk) as u64]);
                for o in out {
                    *o = w;
                    w *= omega;
                }
            });
        let mut dens: Vec<Fr> = omegas.par_iter().map(|w| xi - w).collect();
        dens.par_chunks_mut(chunk).for_each(batch_inversion);
        let scale = zh
            * Fr::from(n as u64)
                .inverse()
                .ok_or_else(|| bad("domain size not invertible"))?;
        let lagrange: Vec<Fr> = omegas
            .par_iter()
            .zip(&dens)
            .map(|(w, d)| scale * w * d)
            .collect();
        let mut prefix = Vec::with_capacity(n + 1);
        let mut acc = Fr::zero();
        prefix.push(acc);
        for l in &lagrange {
            acc += l;
            prefix.push(acc);
        }
        let omega_lagrange = omegas
            .par_iter()
            .zip(&lagrange)
            .map(|(w, l)| *w * l)
            .collect();
        Ok(At {
            xi,
            lagrange,
            prefix,
            omegas,
            omega_lagrange,
        })
    }

    /// `Σ_(a ≤ i < b) L_i(ξ)`.
    pub fn range(&self, a: usize, b: usize) -> Fr {
        self.prefix[b] - self.prefix[a]
    }
}

impl Column {
    /// The column's polynomial at ξ: `Σ_i v_i·L_i(ξ)`, in O(runs) multiplications for small
    /// values and O(moves) for σ.
    pub fn evaluate(&self, at: &At) -> Result<Fr> {
        let n = at.lagrange.len();
        match self {
            Column::Small(v) => {
                if v.len() > n {
                    return Err(Error::Verification(
                        "a public column is longer than the domain".into(),
                    ));
                }
                let mut sum = Fr::zero();
                let mut i = 0;
                while i < v.len() {
                    let x = v[i];
                    let mut j = i + 1;
                    while j < v.len() && v[j] == x {
                        j += 1;
                    }
                    if x != 0 {
                        sum += Fr::from(x) * at.range(i, j);
                    }
                    i = j;
                }
                Ok(sum)
            }
            Column::Sigma(s) => {
                // k·ξ − k·Σ ω^i L_i + Σ_t k_t·Σ_(moves to t) ω^(i') L_i
                let mut own = Fr::zero();
                let mut to = vec![Fr::zero(); s.ks.len()];
                for &(i, t, j) in &s.moves {
                    let (Some(l), Some(wl), Some(wj), Some(acc)) = (
                        at.lagrange.get(i),
                        at.omega_lagrange.get(i),
                        at.omegas.get(j),
                        to.get_mut(t),
                    ) else {
                        return Err(Error::Verification(
                            "a wiring moves a cell outside the domain".into(),
                        ));
                    };
                    own += wl;
                    *acc += *wj * l;
                }
                let moved: Fr = to.iter().zip(&s.ks).map(|(a, k)| *a * k).sum();
                Ok(s.k * (at.xi - own) + moved)
            }
        }
    }
}

/// The columns of an instance key in the order of its commitments in the verifying key, `None`
/// where the commitment is private (a layer's weight columns).
pub fn public_columns(params: &InstanceParams, log_n: u32) -> Result<Vec<Option<Column>>> {
    let small = |cols: Vec<Vec<i64>>| cols.into_iter().map(|c| Some(Column::Small(c)));
    let lookup = |witness_len: usize, table: &Table| -> Result<Vec<Option<Column>>> {
        Ok(
            small(lookup::table_columns(witness_len, table, log_m_checked(log_n)?)?.to_vec())
                .collect(),
        )
    };
    let wiring = |w: &Wiring| -> Result<Vec<Option<Column>>> {
        let c = copy::wiring_columns(w, log_n)?;
        let mut out: Vec<Option<Column>> = c
            .sigma
            .into_iter()
            .map(|s| Some(Column::Sigma(s)))
            .collect();
        out.extend(small(vec![c.selector, c.constants]));
        Ok(out)
    };
    Ok(match params {
        InstanceParams::Linear | InstanceParams::Hadamard => Vec::new(),
        InstanceParams::MatMul { dims, public } => {
            dims.check()?;
            if dims.log_n()? > log_n {
                return Err(Error::InvalidArgument(format!(
                    "product {dims:?} does not fit a domain of 2^{log_n}"
                )));
            }
            let mut out: Vec<Option<Column>> = match public {
                Some(w) => small(matmul::public_weight_columns(*dims, w, log_n)?).collect(),
                None => (0..dims.cols).map(|_| None).collect(),
            };
            out.push(Some(Column::Small(matmul::selector_column(*dims, log_n))));
            if public.is_none() {
                out.extend(small(matmul::tiling_selectors(*dims, log_n).to_vec()));
            }
            out
        }
        InstanceParams::MatProd { dims } => {
            if matprod::domain_log(*dims)? > log_n {
                return Err(Error::InvalidArgument(format!(
                    "product {dims:?} does not fit a domain of 2^{log_n}"
                )));
            }
            small(matprod::end_columns(*dims, log_n).to_vec()).collect()
        }
        InstanceParams::Max { groups } => {
            let parts = max::key_parts(*groups, log_n)?;
            let mut out = wiring(&parts.broadcast)?;
            out.extend(lookup(groups.count * groups.len, &parts.range)?);
            out.extend(small(parts.selectors.to_vec()));
            out
        }
        InstanceParams::Lookup { witness_len, table } => lookup(*witness_len, table)?,
        InstanceParams::Division {
            witness_len,
            divisor,
            range,
        } => {
            let mut out = Vec::new();
            for t in DivisionKey::tables(*witness_len, *divisor, range.0, range.1)? {
                out.extend(lookup(*witness_len, &t)?);
            }
            out
        }
        InstanceParams::Copy { wiring: w } => wiring(w)?,
    })
}

fn log_m_checked(log_n: u32) -> Result<u32> {
    if log_n > crate::srs::MAX_POWER {
        return Err(Error::InvalidArgument("domain too large".into()));
    }
    Ok(log_n)
}
