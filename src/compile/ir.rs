//! The block program: plain data (no cryptography) describing the model as tensors and block
//! instances, ready for the witness generator and, later, the provers.

use std::collections::BTreeMap;
use std::ops::Range;

use super::advice::AdviceFn;
use super::wiring::WiringSpec;
use crate::pcs::domain_log;
use crate::quant::{QuantConfig, TableSpec};

/// Index of a tensor in [`Program::tensors`].
pub type TensorId = usize;
/// Index of a table in [`Program::tables`].
pub type TableId = usize;
/// A division's quotient range or a range check's range, `[lo, hi]` once calibrated.
pub type QuotientRange = Option<(i64, i64)>;

/// What a tensor is, for the prover and verifier.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TensorKind {
    /// Graph input `index` (public), quantized from the user's floats.
    Input {
        /// Position among the graph inputs.
        index: usize,
    },
    /// A committed constant (weights, biases, broadcast constants): its values are private, its
    /// commitment is in the verifying key.
    Weight {
        /// The quantized values, row-major.
        values: Vec<i64>,
    },
    /// An intermediate value, committed per proof.
    Activation,
    /// A graph output (public).
    Output,
}

/// One tensor of the program.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tensor {
    /// Its index.
    pub id: TensorId,
    /// The ONNX tensor it holds, or `<layer>/<what>` for compiler temporaries.
    pub name: String,
    /// Shape (the flat row-major order is what blocks see).
    pub shape: Vec<usize>,
    /// Scale bits: entry q stands for q / 2^scale_bits.
    pub scale_bits: u32,
    /// Input, weight, activation or output.
    pub kind: TensorKind,
}

impl Tensor {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the tensor has no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The relation one block instance proves between its input tensors and its output tensor.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Block {
    /// `y = a + b` (linear: no proof, the verifier adds commitments).
    Add,
    /// `y = a − b` (linear).
    Sub,
    /// `y = k·x` for a public integer k (linear).
    ScaleConst {
        /// The factor.
        k: i64,
    },
    /// `y = a ∘ b`, entrywise.
    Hadamard,
    /// `y = x·W`: x is `rows × inner` row-major, W (a weight tensor) `inner × cols`.
    MatMulConst {
        /// Rows of x and y.
        rows: usize,
        /// Columns of x, rows of W.
        inner: usize,
        /// Columns of W and y.
        cols: usize,
        /// The convolution form (docs/PROTOCOLS.md §4.8, "Convolution form"): x is a padded input
        /// (`rows` positions × `inner` channels), W `inner × (C_out·K)` and y `C_out` blocks
        /// of `rows + reach` full-convolution sums.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        taps: Option<crate::blocks::matmul::Taps>,
    },
    /// `y = a·b`, both activations (`rows × inner` times `inner × cols`).
    MatMul {
        /// Rows of a and y.
        rows: usize,
        /// Columns of a, rows of b.
        inner: usize,
        /// Columns of b and y.
        cols: usize,
    },
    /// The input viewed as consecutive groups of `len` entries; one sum per group.
    SumGroups {
        /// Group length.
        len: usize,
    },
    /// The input viewed as consecutive groups of `len` entries; one maximum per group.
    MaxGroups {
        /// Group length.
        len: usize,
    },
    /// `y_i = f(x_i)` for the table's function; every x_i must lie in the table's range.
    Lookup {
        /// The table.
        table: TableId,
    },
    /// `y = ⌊(x + offset) / divisor⌋` (the offset is added linearly, the division block proves
    /// `x + offset = divisor·y + r` with `0 ≤ r < divisor` and y in `range`).
    DivConst {
        /// The divisor d > 0.
        divisor: i64,
        /// The public offset added before dividing (`d/2` rounds half up).
        offset: i64,
        /// The quotient range the division block's range lookup allows (set by calibration).
        range: Option<(i64, i64)>,
    },
    /// `y = x` with every x in `range` (set by calibration): a range check, proved by the
    /// division block with divisor 1 (limbs for a wide range). `min`, when set, is a lower end
    /// the range may not go below (the architecture check refuses a range that does).
    RangeCheck {
        /// The least lower end allowed.
        min: Option<i64>,
        /// The range checked.
        range: Option<(i64, i64)>,
    },
    /// Data movement: every output entry copies an input entry or is a public constant.
    Copy {
        /// The wiring, as its generator and parameters.
        spec: WiringSpec,
    },
    /// A value the prover computes (`func` of the inputs) and commits with no proof of its
    /// own: the instances that follow it ([`super::advice::checks`], required by
    /// [`Program::check_dataflow`]) pin it down.
    Advice {
        /// What the honest prover computes.
        func: AdviceFn,
    },
}

/// Block classes (families of relations), for summaries and folding.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum BlockClass {
    /// Add, Sub, ScaleConst.
    Linear,
    /// Hadamard product.
    Hadamard,
    /// Product with a committed constant matrix.
    MatMulConst,
    /// Product of two activations.
    MatMul,
    /// Grouped sums.
    SumGroups,
    /// Grouped maxima.
    MaxGroups,
    /// Table lookups.
    Lookup,
    /// Division by a constant.
    DivConst,
    /// Copy / permutation.
    Copy,
    /// Advice values (no proof of their own; their checks follow them).
    Advice,
}

impl BlockClass {
    /// Every class, in report order.
    pub const ALL: [BlockClass; 10] = [
        BlockClass::Linear,
        BlockClass::Hadamard,
        BlockClass::MatMulConst,
        BlockClass::MatMul,
        BlockClass::SumGroups,
        BlockClass::MaxGroups,
        BlockClass::Lookup,
        BlockClass::DivConst,
        BlockClass::Copy,
        BlockClass::Advice,
    ];

    /// The class name.
    pub fn name(self) -> &'static str {
        match self {
            BlockClass::Linear => "Linear",
            BlockClass::Hadamard => "Hadamard",
            BlockClass::MatMulConst => "MatMulConst",
            BlockClass::MatMul => "MatMul",
            BlockClass::SumGroups => "SumGroups",
            BlockClass::MaxGroups => "MaxGroups",
            BlockClass::Lookup => "Lookup",
            BlockClass::DivConst => "DivConst",
            BlockClass::Copy => "Copy",
            BlockClass::Advice => "Advice",
        }
    }

    /// Whether src/blocks/ has this class's prover (every class does since the blocks issue:
    /// SumGroups is the matrix-product block with a 0/1 matrix, MaxGroups the max block).
    pub fn has_prover(self) -> bool {
        true
    }

    /// Whether the class's protocol needs a domain twice the tensor size (quotient room).
    pub fn needs_double_domain(self) -> bool {
        matches!(
            self,
            BlockClass::Copy
                | BlockClass::Lookup
                | BlockClass::MatMulConst
                | BlockClass::MatMul
                | BlockClass::SumGroups
                | BlockClass::MaxGroups
                | BlockClass::DivConst
        )
    }
}

impl Block {
    /// The division this block is proved as, `(divisor, offset, quotient range)`: DivConst's
    /// own, and `(1, 0, range)` for a range check.
    pub fn division(&self) -> Option<(i64, i64, QuotientRange)> {
        match *self {
            Block::DivConst {
                divisor,
                offset,
                range,
            } => Some((divisor, offset, range)),
            Block::RangeCheck { range, .. } => Some((1, 0, range)),
            _ => None,
        }
    }

    /// The quotient range calibration sets (divisions and range checks).
    pub fn range_mut(&mut self) -> Option<&mut QuotientRange> {
        match self {
            Block::DivConst { range, .. } | Block::RangeCheck { range, .. } => Some(range),
            _ => None,
        }
    }

    /// The block's class.
    pub fn class(&self) -> BlockClass {
        match self {
            Block::Add | Block::Sub | Block::ScaleConst { .. } => BlockClass::Linear,
            Block::Hadamard => BlockClass::Hadamard,
            Block::MatMulConst { .. } => BlockClass::MatMulConst,
            Block::MatMul { .. } => BlockClass::MatMul,
            Block::SumGroups { .. } => BlockClass::SumGroups,
            Block::MaxGroups { .. } => BlockClass::MaxGroups,
            Block::Lookup { .. } => BlockClass::Lookup,
            Block::DivConst { .. } | Block::RangeCheck { .. } => BlockClass::DivConst,
            Block::Copy { .. } => BlockClass::Copy,
            Block::Advice { .. } => BlockClass::Advice,
        }
    }

    /// The dimensions of a product block (MatMulConst, MatMul).
    pub fn product_dims(&self) -> Option<crate::blocks::matmul::Dims> {
        use crate::blocks::matmul::Dims;
        match *self {
            Block::MatMulConst {
                rows,
                inner,
                cols,
                taps,
            } => Some(Dims {
                rows,
                inner,
                cols,
                conv: taps,
            }),
            Block::MatMul { rows, inner, cols } => Some(Dims::matrix(rows, inner, cols)),
            _ => None,
        }
    }

    /// A short description: `MatMulConst 1×784×128`, `DivConst ⌊(x+128)/256⌋`, ...
    pub fn describe(&self) -> String {
        match self {
            Block::Add => "Add".into(),
            Block::Sub => "Sub".into(),
            Block::ScaleConst { k } => format!("ScaleConst {k}"),
            Block::Hadamard => "Hadamard".into(),
            Block::MatMulConst {
                rows,
                inner,
                taps: Some(t),
                ..
            } => format!(
                "Conv {rows}×{inner} → {}, {}×{} taps",
                self.product_dims().map_or(0, |d| d.out_channels()),
                t.kh,
                t.kw
            ),
            Block::MatMulConst {
                rows, inner, cols, ..
            } => {
                format!("MatMulConst {rows}×{inner}×{cols}")
            }
            Block::MatMul { rows, inner, cols } => format!("MatMul {rows}×{inner}×{cols}"),
            Block::SumGroups { len } => format!("SumGroups {len}"),
            Block::MaxGroups { len } => format!("MaxGroups {len}"),
            Block::Lookup { table } => format!("Lookup table {table}"),
            Block::DivConst {
                divisor, offset, ..
            } => format!("DivConst ⌊(x+{offset})/{divisor}⌋"),
            Block::RangeCheck { min, .. } => match min {
                Some(m) => format!("RangeCheck x ≥ {m}"),
                None => "RangeCheck".into(),
            },
            Block::Copy { spec } => format!("Copy {} entries", spec.output_len()),
            Block::Advice { func } => format!("Advice {}", func.name()),
        }
    }
}

/// One use of a block.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Instance {
    /// The ONNX layer (node name) this instance implements.
    pub layer: String,
    /// The relation.
    pub block: Block,
    /// Input tensors, in the block's order.
    pub inputs: Vec<TensorId>,
    /// The output tensor.
    pub output: TensorId,
}

/// What became of one ONNX layer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LayerStatus {
    /// Lowered into block instances.
    Lowered,
    /// A view of its input in the same flat order (Reshape, Flatten, ...): no block.
    Alias,
    /// Computed at compile time from constants.
    ConstantFolded,
    /// Folded into another layer (BatchNormalization into the preceding Conv/Gemm).
    FusedInto(String),
    /// Not provable yet, with the reason; its outputs are opaque to the rest of the program.
    NotProvable(String),
}

/// One ONNX layer in the program's layer table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LayerInfo {
    /// Node name.
    pub name: String,
    /// ONNX op type.
    pub op: String,
    /// Shapes of its inputs (constants included), positional; `[]` for an omitted input.
    pub input_shapes: Vec<Vec<usize>>,
    /// Its first output's name and shape.
    pub output: String,
    /// Shape of the first output.
    pub output_shape: Vec<usize>,
    /// Scale bits of the first output, when it is a program tensor.
    pub scale_bits: Option<u32>,
    /// What became of it.
    pub status: LayerStatus,
    /// The instances it produced (indices into [`Program::instances`]).
    pub instances: Range<usize>,
}

/// A program tensor seen through an ONNX name (possibly reshaped: same flat order).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NamedTensor {
    /// The tensor.
    pub tensor: TensorId,
    /// The ONNX shape of the name.
    pub shape: Vec<usize>,
}

/// A compiled model.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Program {
    /// The fixed-point parameters.
    pub config: QuantConfig,
    /// Every tensor.
    pub tensors: Vec<Tensor>,
    /// Block instances in execution order.
    pub instances: Vec<Instance>,
    /// Lookup tables.
    pub tables: Vec<TableSpec>,
    /// The graph inputs' tensors, in graph order.
    pub inputs: Vec<TensorId>,
    /// The graph outputs: ONNX name and tensor.
    pub outputs: Vec<(String, NamedTensor)>,
    /// Every ONNX tensor (graph inputs and layer outputs) that is a program tensor.
    pub names: BTreeMap<String, NamedTensor>,
    /// The layer table, in graph order.
    pub layers: Vec<LayerInfo>,
}

impl Program {
    /// Checks that the program is a well-formed statement (what a verifier must know before
    /// it relies on an architecture it did not compile itself): tensor ids in range; every graph
    /// input an `Input` tensor of its position; every instance reading only inputs, constants
    /// and tensors written by an earlier instance, with the arity and tensor lengths its block
    /// needs; every activation and output tensor written by exactly one instance, and no
    /// instance writing an input or a constant. Then every committed value is determined by the
    /// inputs and the constants: nothing in a proof is a free witness.
    pub fn check_dataflow(&self) -> std::result::Result<(), String> {
        let nt = self.tensors.len();
        if self.tensors.iter().enumerate().any(|(i, t)| t.id != i) {
            return Err("tensor ids are not their positions".into());
        }
        for (pos, &t) in self.inputs.iter().enumerate() {
            match self.tensors.get(t).map(|t| &t.kind) {
                Some(TensorKind::Input { index }) if *index == pos => {}
                _ => return Err(format!("graph input {pos} is not an input tensor")),
            }
        }
        let inputs_declared = self
            .tensors
            .iter()
            .filter(|t| matches!(t.kind, TensorKind::Input { .. }))
            .count();
        if inputs_declared != self.inputs.len() {
            return Err("input tensors that are not graph inputs".into());
        }
        if self.outputs.iter().any(|(_, n)| n.tensor >= nt) {
            return Err("a graph output refers to a tensor that does not exist".into());
        }
        let mut written = vec![false; nt];
        for t in &self.tensors {
            if matches!(t.kind, TensorKind::Input { .. } | TensorKind::Weight { .. }) {
                written[t.id] = true;
            }
        }
        for (ix, inst) in self.instances.iter().enumerate() {
            let bad = |why: String| Err(format!("instance {ix} ({:?}): {why}", inst.layer));
            if inst.output >= nt || inst.inputs.iter().any(|&t| t >= nt) {
                return bad("refers to a tensor that does not exist".into());
            }
            if let Some(&t) = inst.inputs.iter().find(|&&t| !written[t]) {
                return bad(format!("reads tensor {t} before anything writes it"));
            }
            if written[inst.output] {
                return bad(format!(
                    "writes tensor {} that is an input, a constant or already written",
                    inst.output
                ));
            }
            written[inst.output] = true;
            let len = |t: TensorId| self.tensors[t].len();
            let (x, y) = (inst.inputs.first().map(|&t| len(t)), len(inst.output));
            let arity = match &inst.block {
                Block::Add | Block::Sub | Block::Hadamard | Block::MatMulConst { .. } => 2,
                Block::MatMul { .. } => 2,
                Block::Copy { .. } => inst.inputs.len().max(1),
                Block::Advice { func } => func.arity(),
                _ => 1,
            };
            if inst.inputs.len() != arity {
                return bad(format!(
                    "{} inputs where {arity} are needed",
                    inst.inputs.len()
                ));
            }
            let x = x.unwrap_or(0);
            let ok = match &inst.block {
                Block::Add | Block::Sub | Block::Hadamard => x == y && len(inst.inputs[1]) == y,
                Block::ScaleConst { .. }
                | Block::Lookup { .. }
                | Block::DivConst { .. }
                | Block::RangeCheck { .. } => x == y,
                Block::MatMulConst { .. } | Block::MatMul { .. } => {
                    let w = len(inst.inputs[1]);
                    let is_weight =
                        matches!(self.tensors[inst.inputs[1]].kind, TensorKind::Weight { .. });
                    let const_ok = !matches!(inst.block, Block::MatMulConst { .. }) || is_weight;
                    match inst.block.product_dims() {
                        Some(d) if d.check().is_ok() => {
                            d.x_len() == x
                                && d.inner.checked_mul(d.cols) == Some(w)
                                && d.y_len() == y
                                && const_ok
                        }
                        _ => false,
                    }
                }
                Block::SumGroups { len: g } | Block::MaxGroups { len: g } => {
                    *g > 0 && x % g == 0 && x / g == y
                }
                Block::Advice { .. } => super::advice::lengths_ok(self, inst),
                Block::Copy { spec } => match spec.expand() {
                    Ok(w) => {
                        w.output.len() == y
                            && w.input_lens.len() == inst.inputs.len()
                            && w.input_lens
                                .iter()
                                .zip(&inst.inputs)
                                .all(|(&l, &t)| l == len(t))
                    }
                    Err(e) => return bad(e.to_string()),
                },
            };
            if !ok {
                return bad(format!(
                    "{} does not match its tensors' lengths",
                    inst.block.describe()
                ));
            }
            match &inst.block {
                Block::Lookup { table } if *table >= self.tables.len() => {
                    return bad(format!("table {table} does not exist"));
                }
                Block::DivConst { divisor, .. } if *divisor <= 0 => {
                    return bad(format!("division by {divisor}"));
                }
                Block::RangeCheck {
                    min: Some(m),
                    range: Some((lo, _)),
                } if lo < m => {
                    return bad(format!("a range check from {lo}, below its least end {m}"));
                }
                Block::Advice { .. } => super::advice::check_follows(self, ix).or_else(bad)?,
                _ => {}
            }
        }
        if let Some(t) = (0..nt).find(|&t| !written[t]) {
            return Err(format!(
                "tensor {t} ({:?}) is never written",
                self.tensors[t].name
            ));
        }
        // A constant matrix lives only in its products' key columns. Several products may
        // read one matrix (tied weights: an RNN's recurrent weights at every time step) only
        // when they have the same dimensions: their keys must then be identical, which the key
        // check enforces ([`Program::tied_products`]). No other reader and no public slot, or
        // the architecture would state a tie (a public constant, a weight read as a column)
        // that the key does not enforce.
        // Readers of every tensor, and how many of them read it as a product's matrix.
        let mut readers = vec![0usize; nt];
        let mut product_readers = vec![0usize; nt];
        for inst in &self.instances {
            for &t in &inst.inputs {
                readers[t] += 1;
            }
            if let Block::MatMulConst { .. } = inst.block {
                product_readers[inst.inputs[1]] += 1;
            }
        }
        for (_, o) in &self.outputs {
            readers[o.tensor] += 1;
        }
        let tied = self.tied_products();
        for (ix, inst) in self.instances.iter().enumerate() {
            if let Block::MatMulConst { .. } = inst.block {
                let w = inst.inputs[1];
                let same_dims =
                    tied[ix].is_none_or(|first| self.instances[first].block == inst.block);
                if inst.inputs[0] == w || !same_dims {
                    return Err(format!(
                        "instance {ix} ({:?}): its constant matrix (tensor {w}) is also its \
                         input, or tied to a product of other dimensions",
                        inst.layer
                    ));
                }
                if readers[w] != product_readers[w] {
                    return Err(format!(
                        "instance {ix} ({:?}): its constant matrix (tensor {w}) is also read \
                         elsewhere or public; a product's weights must be products' only",
                        inst.layer
                    ));
                }
            }
        }
        Ok(())
    }

    /// Per instance: for a constant-matrix product whose matrix an earlier product already
    /// reads (tied weights), that first product's index. Tied products have identical keys.
    pub fn tied_products(&self) -> Vec<Option<usize>> {
        let mut first: std::collections::BTreeMap<TensorId, usize> = Default::default();
        self.instances
            .iter()
            .enumerate()
            .map(|(ix, inst)| match (&inst.block, inst.inputs.get(1)) {
                (Block::MatMulConst { .. }, Some(&w)) => match first.get(&w) {
                    Some(&f) => Some(f),
                    None => {
                        first.insert(w, ix);
                        None
                    }
                },
                _ => None,
            })
            .collect()
    }

    /// Layers that cannot be proved yet.
    pub fn not_provable(&self) -> Vec<&LayerInfo> {
        self.layers
            .iter()
            .filter(|l| matches!(l.status, LayerStatus::NotProvable(_)))
            .collect()
    }

    /// log2 of the evaluation domain instance `ix` needs: the next power of two of the largest
    /// tensor (or tensor + table) it touches, plus one for blocks that need 2× quotient room.
    pub fn domain_log(&self, ix: usize) -> u32 {
        let inst = &self.instances[ix];
        if let Block::Advice { .. } = inst.block {
            // Nothing of an advice instance is on a domain (its readers commit its value).
            return 1;
        }
        let len = |t: TensorId| self.tensors[t].len();
        let largest = inst
            .inputs
            .iter()
            .map(|&t| len(t))
            .chain([len(inst.output)])
            .max()
            .unwrap_or(1);
        let rows = match &inst.block {
            Block::Lookup { table } => len(inst.inputs[0]) + self.tables[*table].rows().max(1),
            Block::DivConst { .. } | Block::RangeCheck { .. } => {
                let (divisor, _, range) = inst.block.division().unwrap_or((1, 0, None));
                let n = len(inst.inputs[0]);
                let q_rows = range.map_or(1, |(lo, hi)| {
                    crate::blocks::division::quotient_rows(n, lo, hi)
                });
                n + (divisor.max(1) as usize).max(q_rows)
            }
            // The weights live in the setup's column commitments, not on the domain.
            Block::MatMulConst { .. } => inst
                .block
                .product_dims()
                .map_or(largest, |d| d.x_len().max(d.y_len())),
            Block::MatMul { rows, inner, cols } => {
                (rows * inner).max(inner * cols).max(rows * cols)
            }
            _ => largest,
        };
        domain_log(rows) + u32::from(inst.block.class().needs_double_domain())
    }

    /// The SRS power the whole program needs (the largest instance domain), and which instance.
    pub fn srs_power(&self) -> (u32, Option<usize>) {
        (0..self.instances.len())
            .map(|i| (self.domain_log(i), Some(i)))
            .max_by_key(|(p, _)| *p)
            .unwrap_or((0, None))
    }

    /// Instances per block class, in [`BlockClass::ALL`] order (classes with none left out).
    pub fn class_counts(&self) -> Vec<(BlockClass, usize)> {
        BlockClass::ALL
            .iter()
            .map(|&c| {
                let n = self
                    .instances
                    .iter()
                    .filter(|i| i.block.class() == c)
                    .count();
                (c, n)
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// The tensor of a graph output or layer output by ONNX name.
    pub fn named(&self, name: &str) -> Option<&NamedTensor> {
        self.names.get(name)
    }
}
