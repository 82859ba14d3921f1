//! The program under construction: tensors, instances, tables, and the ONNX-name environment,
//! with one emitter per kind of step (so every lowering reads as a list of blocks).

use std::collections::BTreeMap;

use super::advice::{self, AdviceFn};
use super::ir::{Block, Instance, NamedTensor, Program, Tensor, TensorId, TensorKind};
use super::wiring;
use super::wiring::WiringSpec;
use crate::onnx::{ConstTensor, Layer, LayerGraph};
use crate::quant::{self, QuantConfig, TableFn, TableSpec};
use crate::Error;

/// Bits a square root keeps beyond the activation scale: its floor is then within 2^-(a+4)
/// (a quotient by it within ~0.1% for roots above 0.05), at checks 16× wider (in limbs).
pub const ROOT_EXTRA_BITS: u32 = 4;

/// Why a layer could not be lowered.
#[derive(Debug)]
pub(crate) enum Lower {
    /// The layer is not provable yet (the reason says why); compilation goes on.
    NotProvable(String),
    /// A real error (constant too large to quantize, ...): compilation stops.
    Fatal(Error),
}

impl From<Error> for Lower {
    fn from(e: Error) -> Self {
        Lower::Fatal(e)
    }
}

/// Result of lowering steps.
pub(crate) type LResult<T> = std::result::Result<T, Lower>;

/// Shorthand for a not-provable reason.
pub(crate) fn np<T>(reason: impl Into<String>) -> LResult<T> {
    Err(Lower::NotProvable(reason.into()))
}

/// What an ONNX name stands for during compilation.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    /// A compile-time constant (float values as in the model).
    Const(ConstTensor),
    /// A program tensor, seen with this (ONNX) shape.
    Tensor {
        /// The tensor.
        id: TensorId,
        /// Its ONNX shape (same flat order as the tensor).
        shape: Vec<usize>,
    },
}

/// The program being built.
pub(crate) struct Builder<'g> {
    pub g: &'g LayerGraph,
    pub cfg: QuantConfig,
    pub prog: Program,
    pub env: BTreeMap<String, Value>,
    /// The layer being lowered (names instances and temporaries).
    pub layer: String,
    /// Tensors written by a `Where(mask, −∞, x)` that only softmaxes read: per entry, whether
    /// it is masked (its value is a stand-in from the same row; the softmax zeroes it).
    pub masked: BTreeMap<TensorId, Vec<bool>>,
    /// Tensors proven to be non-negative integers whose division the advice quotient can
    /// prove (square roots made by [`Builder::sqrt`]).
    pub roots: std::collections::BTreeSet<TensorId>,
}

impl<'g> Builder<'g> {
    pub fn new(g: &'g LayerGraph, cfg: QuantConfig) -> Self {
        Builder {
            g,
            cfg,
            prog: Program {
                config: cfg,
                tensors: Vec::new(),
                instances: Vec::new(),
                tables: Vec::new(),
                inputs: Vec::new(),
                outputs: Vec::new(),
                names: BTreeMap::new(),
                layers: Vec::new(),
            },
            env: BTreeMap::new(),
            layer: String::new(),
            masked: BTreeMap::new(),
            roots: std::collections::BTreeSet::new(),
        }
    }

    /// Scale bits of activations.
    pub fn act_bits(&self) -> u32 {
        self.cfg.activation_bits
    }

    /// A new tensor.
    pub fn tensor(
        &mut self,
        name: String,
        shape: Vec<usize>,
        scale: u32,
        kind: TensorKind,
    ) -> TensorId {
        let id = self.prog.tensors.len();
        self.prog.tensors.push(Tensor {
            id,
            name,
            shape,
            scale_bits: scale,
            kind,
        });
        id
    }

    /// Scale bits of a tensor.
    pub fn scale(&self, t: TensorId) -> u32 {
        self.prog.tensors[t].scale_bits
    }

    /// Shape of a tensor (as stored).
    pub fn shape(&self, t: TensorId) -> &[usize] {
        &self.prog.tensors[t].shape
    }

    fn temp_name(&self, what: &str) -> String {
        format!("{}/{what}", self.layer)
    }

    /// An instance of `block` on `inputs`, writing a new activation tensor.
    pub fn emit(
        &mut self,
        block: Block,
        inputs: Vec<TensorId>,
        shape: Vec<usize>,
        scale: u32,
        what: &str,
    ) -> TensorId {
        let output = self.tensor(self.temp_name(what), shape, scale, TensorKind::Activation);
        self.prog.instances.push(Instance {
            layer: self.layer.clone(),
            block,
            inputs,
            output,
        });
        output
    }

    /// An advice value, `func` of `inputs` at scale `scale` (committed with no proof of its
    /// own), followed by the checks that pin it down ([`advice::checks`]: one template, the
    /// same the architecture check requires).
    pub fn advice(
        &mut self,
        func: AdviceFn,
        inputs: Vec<TensorId>,
        scale: u32,
        what: &str,
    ) -> TensorId {
        let shape = self.shape(inputs[0]).to_vec();
        let out = self.emit(
            Block::Advice { func },
            inputs.clone(),
            shape.clone(),
            scale,
            what,
        );
        let mut steps: Vec<TensorId> = Vec::new();
        for (check, reads) in advice::checks(func) {
            let ins = reads
                .iter()
                .map(|r| match *r {
                    advice::Ref::In(i) => inputs[i],
                    advice::Ref::Out => out,
                    advice::Ref::Step(j) => steps[j],
                })
                .collect();
            let block = match check {
                advice::Check::Block(b) => b,
                advice::Check::Range(min) => Block::RangeCheck { min, range: None },
            };
            let t = self.emit(block, ins, shape.clone(), 0, &format!("{what}_check"));
            steps.push(t);
        }
        out
    }

    /// `x + v` for a constant v of the architecture (an attribute such as LayerNorm's ε, not a
    /// model weight): v is a public constant in a Copy's wiring, so the key cannot change it
    /// (a committed weight would be the owner's choice, entry by entry).
    pub fn add_public_constant(&mut self, x: TensorId, v: i64, what: &str) -> LResult<TensorId> {
        let shape = self.shape(x).to_vec();
        let len = shape.iter().product();
        let c = self.public_constants(x, vec![v; len], shape.clone(), what)?;
        let scale = self.scale(x);
        Ok(self.emit(
            Block::Add,
            vec![x, c],
            shape,
            scale,
            &format!("{what}_added"),
        ))
    }

    /// `√x` floored at the activation scale a plus [`ROOT_EXTRA_BITS`]: x brought to a, then
    /// `σ = ⌊√(x·2^(a+2e))⌋` as an advice value with its checks (PROTOCOLS §4.16). No table
    /// grows with x: the checks are range checks (in limbs when wide). A negative x has no
    /// square root (the witness refuses it).
    pub fn sqrt(&mut self, x: TensorId) -> TensorId {
        let (a, e) = (self.act_bits(), ROOT_EXTRA_BITS);
        let x = self.rescale_to_activation(x);
        let shape = self.shape(x).to_vec();
        let w = self.emit(
            Block::ScaleConst {
                k: quant::pow2(a + 2 * e),
            },
            vec![x],
            shape,
            2 * (a + e),
            "radicand",
        );
        let s = self.advice(AdviceFn::FloorSqrt { divisor: 1 }, vec![w], a + e, "sqrt");
        self.roots.insert(s);
        s
    }

    /// `a / d` at the activation scale, rounded half up, for a divisor d that is a square root
    /// made by [`Builder::sqrt`] (so a non-negative integer; a zero divisor has no quotient and
    /// the witness refuses it) and a dividend `a` of d's shape: the advice quotient with its
    /// checks (PROTOCOLS §4.16), no reciprocal table.
    pub fn divide_by_root(&mut self, a: TensorId, d: TensorId) -> TensorId {
        let act = self.act_bits();
        // y·2^-act = (a·2^-sa)/(d·2^-sd): y = a·2^(act + sd − sa)/d.
        let (sa, sd) = (self.scale(a), self.scale(d));
        // A dividend finer than that is rescaled first, so the shift is never negative.
        let a = match sa > act + sd {
            true => self.rescale(a, sa - act - sd),
            false => a,
        };
        let shift = act + sd - self.scale(a);
        self.advice(AdviceFn::RoundDiv { shift }, vec![a, d], act, "quotient")
    }

    /// A committed constant.
    pub fn weight(
        &mut self,
        what: &str,
        values: Vec<i64>,
        shape: Vec<usize>,
        scale: u32,
    ) -> TensorId {
        self.tensor(
            self.temp_name(what),
            shape,
            scale,
            TensorKind::Weight { values },
        )
    }

    /// A constant quantized at `scale` bits and broadcast to `shape`, as a committed weight.
    pub fn const_weight(
        &mut self,
        what: &str,
        c: &ConstTensor,
        shape: &[usize],
        scale: u32,
    ) -> LResult<TensorId> {
        let Some(v) = super::fold::broadcast_f32(c, shape) else {
            return np(format!(
                "constant of shape {:?} does not broadcast to {shape:?}",
                c.shape
            ));
        };
        let q = quant::quantize_all(&v, scale, &format!("{} {what}", self.layer))?;
        Ok(self.weight(what, q, shape.to_vec(), scale))
    }

    /// The scale of a weight tensor with these values, its bias (if any) at `product_bits`
    /// plus that scale ([`QuantConfig::weight_bits_for`](quant::QuantConfig::weight_bits_for)).
    pub fn weight_bits_for(&self, values: &[f32], bias: Option<(&[f32], u32)>) -> u32 {
        self.cfg.weight_bits_for(values, bias)
    }

    /// `x` rescaled down by 2^k (round half up); `x` itself when k = 0.
    ///
    /// A divisor whose remainder table would set the domain (2^k > max(2^12, n) for n entries)
    /// is split in two divisions, `⌊(x + 2^(k−1))/2^k⌋ = ⌊⌊(x + 2^(k−1))/2^k₁⌋/2^k₂⌋`
    /// (k₁ = ⌈k/2⌉, k₂ = k − k₁): nested floor divisions by positive integers are exact, so the
    /// result is the same integer and each remainder table has at most 2^k₁ rows.
    pub fn rescale(&mut self, x: TensorId, k: u32) -> TensorId {
        if k == 0 {
            return x;
        }
        let (offset, divisor) = quant::rescale_params(k);
        let shape = self.shape(x).to_vec();
        let n: usize = shape.iter().product();
        let whole = i64::try_from(n).unwrap_or(i64::MAX);
        if divisor <= crate::blocks::division::WIDE_MIN_ROWS.max(whole) {
            return self.divide_down(x, k, offset, "rescale");
        }
        let k1 = k.div_ceil(2);
        let high = self.divide_down(x, k1, offset, "rescale_high");
        self.divide_down(high, k - k1, 0, "rescale")
    }

    /// `⌊(x + offset)/2^k⌋` at x's scale minus k.
    fn divide_down(&mut self, x: TensorId, k: u32, offset: i64, what: &str) -> TensorId {
        let shape = self.shape(x).to_vec();
        let scale = self.scale(x) - k;
        self.emit(
            Block::DivConst {
                divisor: quant::pow2(k),
                offset,
                range: None,
            },
            vec![x],
            shape,
            scale,
            what,
        )
    }

    /// `x` brought to the activation scale (rescaled down, or multiplied up exactly).
    pub fn rescale_to_activation(&mut self, x: TensorId) -> TensorId {
        let s = self.scale(x);
        let a = self.act_bits();
        if s > a {
            self.rescale(x, s - a)
        } else {
            self.align(x, a)
        }
    }

    /// `x` at a scale `to ≥ scale(x)` by the exact factor 2^(to − scale(x)).
    pub fn align(&mut self, x: TensorId, to: u32) -> TensorId {
        let s = self.scale(x);
        if s >= to {
            return x;
        }
        let shape = self.shape(x).to_vec();
        self.emit(
            Block::ScaleConst {
                k: quant::pow2(to - s),
            },
            vec![x],
            shape,
            to,
            "align",
        )
    }

    /// Floor division `⌊(x + offset)/d⌋` keeping x's scale (means).
    pub fn div_const(&mut self, x: TensorId, divisor: i64, offset: i64, what: &str) -> TensorId {
        let shape = self.shape(x).to_vec();
        let scale = self.scale(x);
        self.emit(
            Block::DivConst {
                divisor,
                offset,
                range: None,
            },
            vec![x],
            shape,
            scale,
            what,
        )
    }

    /// A copy with this wiring; no block at all when it is the identity on one input.
    pub fn copy(
        &mut self,
        inputs: Vec<TensorId>,
        spec: WiringSpec,
        shape: Vec<usize>,
        what: &str,
    ) -> LResult<TensorId> {
        let w = match spec.expand() {
            Ok(w) => w,
            Err(e) => return np(e.to_string()),
        };
        if inputs.len() == 1 && wiring::is_identity(&w) {
            return Ok(inputs[0]);
        }
        let scale = self.scale(inputs[0]);
        Ok(self.emit(Block::Copy { spec }, inputs, shape, scale, what))
    }

    /// A tensor of public constants, `values` in row-major order: a Copy of `anchor` (any tensor
    /// already written) that reads none of its entries, so every value is in the public wiring.
    pub fn public_constants(
        &mut self,
        anchor: TensorId,
        values: Vec<i64>,
        shape: Vec<usize>,
        what: &str,
    ) -> LResult<TensorId> {
        let w = crate::blocks::copy::Wiring {
            input_lens: vec![self.shape(anchor).iter().product()],
            output: values
                .into_iter()
                .map(crate::blocks::copy::Source::Const)
                .collect(),
        };
        self.copy(vec![anchor], WiringSpec::Explicit(w), shape, what)
    }

    /// `x` broadcast to `shape` (a Copy, or `x` itself when the shapes' sizes agree).
    pub fn broadcast(&mut self, x: TensorId, from: &[usize], to: &[usize]) -> LResult<TensorId> {
        if from.iter().product::<usize>() == to.iter().product::<usize>() {
            return Ok(x);
        }
        if wiring::broadcast(from, to).is_none() {
            return np(format!("shape {from:?} does not broadcast to {to:?}"));
        }
        let spec = WiringSpec::Broadcast {
            from: from.to_vec(),
            to: to.to_vec(),
        };
        self.copy(vec![x], spec, to.to_vec(), "broadcast")
    }

    /// The table for `func` from `in_bits` to `out_bits` (one table per function and scales,
    /// shared by every layer that uses it).
    pub fn table(
        &mut self,
        func: TableFn,
        in_bits: u32,
        out_bits: u32,
        fixed: Option<(i64, i64)>,
    ) -> usize {
        let found = self.prog.tables.iter().position(|t| {
            t.func == func
                && t.in_bits == in_bits
                && t.out_bits == out_bits
                && t.fixed == fixed.is_some()
                && (fixed.is_none() || t.range == fixed)
        });
        if let Some(i) = found {
            return i;
        }
        self.prog.tables.push(TableSpec {
            func,
            in_bits,
            out_bits,
            range: fixed,
            fixed: fixed.is_some(),
        });
        self.prog.tables.len() - 1
    }

    /// `y = f(x)` by a lookup.
    pub fn lookup(
        &mut self,
        x: TensorId,
        func: TableFn,
        out_bits: u32,
        fixed: Option<(i64, i64)>,
        what: &str,
    ) -> TensorId {
        let table = self.table(func, self.scale(x), out_bits, fixed);
        let shape = self.shape(x).to_vec();
        self.emit(Block::Lookup { table }, vec![x], shape, out_bits, what)
    }

    /// The value of an ONNX name.
    pub fn value(&self, name: &str) -> LResult<&Value> {
        match self.env.get(name) {
            Some(v) => Ok(v),
            None => np(format!(
                "tensor {name:?} is not available (written by a layer that is not provable)"
            )),
        }
    }

    /// The constant behind an input of `l`, if it is one.
    pub fn const_input(&self, l: &Layer, i: usize) -> Option<&ConstTensor> {
        match self.env.get(l.inputs.get(i)?) {
            Some(Value::Const(c)) => Some(c),
            _ => None,
        }
    }

    /// An input of `l` as a program tensor (constants become weights at the activation scale).
    pub fn act_input(&mut self, l: &Layer, i: usize) -> LResult<(TensorId, Vec<usize>)> {
        let Some(name) = l.inputs.get(i).filter(|n| !n.is_empty()) else {
            return np(format!("input {i} is missing"));
        };
        match self.value(name)?.clone() {
            Value::Tensor { id, shape } => Ok((id, shape)),
            Value::Const(c) => {
                let scale = self.act_bits();
                let id = self.const_weight(&format!("const{i}"), &c, &c.shape.clone(), scale)?;
                Ok((id, c.shape))
            }
        }
    }

    /// The static shape of output `i` of `l`.
    pub fn out_shape(&self, l: &Layer, i: usize) -> LResult<Vec<usize>> {
        match l.outputs.get(i).and_then(|o| self.g.value_shapes.get(o)) {
            Some(s) => Ok(s.clone()),
            None => np(format!("the shape of output {i} is unknown")),
        }
    }

    /// Bind an ONNX name to a tensor seen with `shape`.
    pub fn bind(&mut self, name: &str, id: TensorId, shape: Vec<usize>) {
        if self.prog.tensors[id]
            .name
            .starts_with(&format!("{}/", self.layer))
        {
            self.prog.tensors[id].name = name.to_string();
        }
        self.prog.names.insert(
            name.to_string(),
            NamedTensor {
                tensor: id,
                shape: shape.clone(),
            },
        );
        self.env
            .insert(name.to_string(), Value::Tensor { id, shape });
    }
}
