//! Lowering of one ONNX layer into blocks: dispatch, and the element-wise, matrix and
//! data-movement ops (the neural-network ops with windows and groups are in `nn`).

use super::builder::{np, Builder, LResult, Value};
use super::einsum;
use super::elementwise;
use super::ir::{Block, TensorId};
use super::movement;
use super::nn;
use super::norm;
use super::select;
use super::topk;
use super::wiring::{self, WiringSpec};
use crate::onnx::{ConstTensor, Layer};
use crate::quant::{self, TableFn};

/// The outputs of a lowered layer: a tensor and its ONNX shape per output.
pub(crate) type Outputs = Vec<(TensorId, Vec<usize>)>;

/// Lower layer `l`, or say why it cannot be proved yet.
pub(crate) fn lower(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    if !l.domain.is_empty() {
        return np(format!("op {}::{} of a custom domain", l.domain, l.op_type));
    }
    match l.op_type.as_str() {
        "Add" | "Sub" | "Mul" | "Div" => binary(b, l),
        "Gemm" => gemm(b, l),
        "MatMul" => matmul(b, l),
        "Clip" if elementwise::clip_has_tensor_bound(b, l) => elementwise::clip_by_tensors(b, l),
        "Relu" | "LeakyRelu" | "Sigmoid" | "Tanh" | "Clip" | "Abs" | "Exp" | "HardSigmoid"
        | "HardSwish" | "Elu" | "Selu" | "ThresholdedRelu" | "Softsign" | "Reciprocal" | "Log"
        | "Softplus" | "Floor" | "Ceil" | "Round" | "Sign" | "Erf" => unary(b, l),
        "Sqrt" => elementwise::sqrt(b, l),
        "LayerNormalization" | "InstanceNormalization" => norm::layer_norm(b, l),
        "Gelu" => norm::gelu(b, l),
        "Gather" => select::gather(b, l),
        "Slice" => select::slice(b, l),
        "Split" => select::split(b, l),
        "Where" => select::where_(b, l),
        "ArgMax" | "ArgMin" => select::arg_extreme(b, l),
        "Cast" => cast(b, l),
        "Equal" => elementwise::equal(b, l),
        "LSTM" => super::recurrent::lstm(b, l),
        "GRU" => super::recurrent::gru(b, l),
        "Max" | "Min" => elementwise::max_min(b, l),
        "Sum" | "Mean" => elementwise::sum_mean(b, l),
        "PRelu" => elementwise::prelu(b, l),
        "Pow" => elementwise::pow(b, l),
        "Neg" => elementwise::neg(b, l),
        "Flatten" | "Reshape" | "Squeeze" | "Unsqueeze" | "Identity" | "Dropout" => alias(b, l),
        "Transpose" => transpose(b, l),
        "Concat" => concat(b, l),
        "Conv" => nn::conv(b, l),
        "ConvTranspose" => nn::conv_transpose(b, l),
        "MaxPool" | "AveragePool" => nn::pool(b, l),
        "GlobalAveragePool" | "GlobalMaxPool" => nn::global_pool(b, l),
        "BatchNormalization" => nn::batchnorm(b, l),
        "Softmax" | "LogSoftmax" => nn::softmax(b, l),
        "ReduceMean" | "ReduceSum" | "ReduceMax" | "ReduceMin" | "ReduceL1" | "ReduceL2"
        | "ReduceSumSquare" => nn::reduce(b, l),
        "Pad" => movement::pad(b, l),
        "Tile" => movement::tile(b, l),
        "CumSum" => movement::cumsum(b, l),
        "Expand" => movement::expand(b, l),
        "DepthToSpace" | "SpaceToDepth" => movement::depth_space(b, l),
        "Resize" => movement::resize(b, l),
        "Einsum" => einsum::einsum(b, l),
        "TopK" => topk::topk(b, l),
        other => np(format!("no lowering for {other} yet")),
    }
}

/// A possibly negative axis of a rank-`rank` tensor, normalised.
pub(crate) fn axis(a: i64, rank: usize) -> LResult<usize> {
    let r = rank as i64;
    let v = if a < 0 { a + r } else { a };
    if (0..r.max(1)).contains(&v) {
        Ok(v as usize)
    } else {
        np(format!("axis {a} out of range for rank {rank}"))
    }
}

pub(crate) fn one(t: TensorId, shape: Vec<usize>) -> LResult<Outputs> {
    Ok(vec![(t, shape)])
}

/// A scalar constant's value, if the constant has one element.
pub(crate) fn scalar(c: &ConstTensor) -> Option<f32> {
    (c.len() == 1).then(|| c.to_f32_vec()[0])
}

/// `x·k` for a real constant k: an exact integer factor when k is a small integer, otherwise k
/// at the weight scale followed by a rescale.
pub(crate) fn scale_by(b: &mut Builder, x: TensorId, k: f32) -> LResult<TensorId> {
    let shape = b.shape(x).to_vec();
    let sx = b.scale(x);
    if k.fract() == 0.0 && k.abs() < (1 << 20) as f32 {
        return Ok(b.emit(
            Block::ScaleConst { k: k as i64 },
            vec![x],
            shape,
            sx,
            "scale",
        ));
    }
    let sw = b.weight_bits_for(&[k], None);
    let kq = quant::quantize(f64::from(k), sw, &format!("{} factor", b.layer))?;
    let y = b.emit(
        Block::ScaleConst { k: kq },
        vec![x],
        shape,
        sx + sw,
        "scale",
    );
    Ok(b.rescale_to_activation(y))
}

/// Add, Sub, Mul, Div with numpy broadcasting.
fn binary(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let out = b.out_shape(l, 0)?;
    let op = l.op_type.as_str();
    let (va, vb) = (
        b.value(&l.inputs[0])?.clone(),
        b.value(&l.inputs[1])?.clone(),
    );
    match (va, vb) {
        (Value::Tensor { .. }, Value::Tensor { .. }) if op == "Div" => {
            elementwise::div_by_activation(b, l)
        }
        (Value::Tensor { id: x, shape: xs }, Value::Tensor { id: y, shape: ys }) => {
            let r = tensor_op_tensor(b, op, (x, &xs), (y, &ys), &out)?;
            one(r, out)
        }
        (Value::Tensor { id: x, shape: xs }, Value::Const(c))
        | (Value::Const(c), Value::Tensor { id: x, shape: xs })
            if op == "Add" =>
        {
            if let Some(y) = select::masked_add(b, l, (x, &xs), &c, &out)? {
                return one(y, out);
            }
            let x = b.broadcast(x, &xs, &out)?;
            tensor_op_const(b, op, x, &c, &out, false)
        }
        (Value::Tensor { id: x, shape: xs }, Value::Const(c)) => {
            let x = b.broadcast(x, &xs, &out)?;
            tensor_op_const(b, op, x, &c, &out, false)
        }
        (Value::Const(_), Value::Tensor { .. }) if op == "Div" => {
            elementwise::div_by_activation(b, l)
        }
        (Value::Const(c), Value::Tensor { id: y, shape: ys }) => {
            let y = b.broadcast(y, &ys, &out)?;
            tensor_op_const(b, op, y, &c, &out, true)
        }
        (Value::Const(_), Value::Const(_)) => np("constant operation that could not be folded"),
    }
}

/// `x op y` (Add, Sub or Mul) for two activations, each broadcast to `out` first: Add and Sub
/// at the larger of their scales, Mul as a Hadamard product brought back to the activation
/// scale.
pub(crate) fn tensor_op_tensor(
    b: &mut Builder,
    op: &str,
    (x, xs): (TensorId, &[usize]),
    (y, ys): (TensorId, &[usize]),
    out: &[usize],
) -> LResult<TensorId> {
    let x = b.broadcast(x, xs, out)?;
    let y = b.broadcast(y, ys, out)?;
    match op {
        "Add" | "Sub" => {
            let s = b.scale(x).max(b.scale(y));
            let (x, y) = (b.align(x, s), b.align(y, s));
            let block = if op == "Add" { Block::Add } else { Block::Sub };
            Ok(b.emit(block, vec![x, y], out.to_vec(), s, "out"))
        }
        "Mul" => {
            let s = b.scale(x) + b.scale(y);
            let p = b.emit(Block::Hadamard, vec![x, y], out.to_vec(), s, "product");
            Ok(b.rescale_to_activation(p))
        }
        other => np(format!("{other} of two activations")),
    }
}

/// `x op c` (or `c op x` when `const_first`), x already broadcast to `out`.
pub(crate) fn tensor_op_const(
    b: &mut Builder,
    op: &str,
    x: TensorId,
    c: &ConstTensor,
    out: &[usize],
    const_first: bool,
) -> LResult<Outputs> {
    let sx = b.scale(x);
    let result = match op {
        "Add" | "Sub" => {
            // A non-zero scalar (an ε before a square root) added to a real-valued tensor (at
            // the activation scale or finer) is at least one step: rounded to 0 it would make
            // `x + ε` vanish where the float model relies on it being positive. The change is
            // within one rounding step. A coarser tensor (counts at 2^0) keeps the rounding.
            let tiny = scalar(c).filter(|&k| {
                sx >= b.act_bits()
                    && k != 0.0
                    && quant::quantize(f64::from(k), sx, "epsilon").is_ok_and(|q| q == 0)
            });
            let unit;
            let c = match tiny {
                Some(k) => {
                    unit = ConstTensor {
                        shape: c.shape.clone(),
                        data: crate::onnx::TensorData::F32(vec![
                            (f64::from(k.signum()) / 2f64.powi(sx as i32))
                                as f32;
                            c.shape.iter().product()
                        ]),
                    };
                    &unit
                }
                None => c,
            };
            let w = b.const_weight("const", c, out, sx)?;
            let (block, inputs) = match (op, const_first) {
                ("Add", _) => (Block::Add, vec![x, w]),
                ("Sub", false) => (Block::Sub, vec![x, w]),
                _ => (Block::Sub, vec![w, x]),
            };
            b.emit(block, inputs, out.to_vec(), sx, "out")
        }
        "Mul" => match scalar(c) {
            Some(k) => scale_by(b, x, k)?,
            None => {
                let sw = b.weight_bits_for(&c.to_f32_vec(), None);
                let w = b.const_weight("factor", c, out, sw)?;
                let p = b.emit(
                    Block::Hadamard,
                    vec![x, w],
                    out.to_vec(),
                    sx + sw,
                    "product",
                );
                b.rescale_to_activation(p)
            }
        },
        "Div" if const_first => return np("division of a constant by an activation"),
        _ => match scalar(c) {
            Some(0.0) => return np("division by the constant 0"),
            Some(d) if d.fract() == 0.0 && d.abs() < (1u64 << 40) as f32 => {
                let x = if d < 0.0 { scale_by(b, x, -1.0)? } else { x };
                let d = d.abs() as i64;
                b.div_const(x, d, d / 2, "quotient")
            }
            Some(d) => scale_by(b, x, 1.0 / d)?,
            None => {
                let recip = ConstTensor {
                    shape: c.shape.clone(),
                    data: crate::onnx::TensorData::F32(
                        c.to_f32_vec().iter().map(|v| 1.0 / v).collect(),
                    ),
                };
                if recip.to_f32_vec().iter().any(|v| !v.is_finite()) {
                    return np("division by a constant with a zero entry");
                }
                let sw = b.weight_bits_for(&recip.to_f32_vec(), None);
                let w = b.const_weight("reciprocal", &recip, out, sw)?;
                let p = b.emit(
                    Block::Hadamard,
                    vec![x, w],
                    out.to_vec(),
                    sx + sw,
                    "product",
                );
                b.rescale_to_activation(p)
            }
        },
    };
    one(result, out.to_vec())
}

/// A constant matrix as `[k, n]` f32 values (transposed if asked), times `alpha`.
fn const_matrix(c: &ConstTensor, transpose: bool, alpha: f32) -> LResult<(Vec<f32>, usize, usize)> {
    let dims: Vec<usize> = c.shape.clone();
    let (r, cols) = match dims.as_slice() {
        [r, cols] => (*r, *cols),
        [lead @ .., r, cols] if lead.iter().all(|&d| d == 1) => (*r, *cols),
        _ => {
            return np(format!(
                "constant matrix of shape {dims:?} (batched weights)"
            ))
        }
    };
    let v = c.to_f32_vec();
    if transpose {
        let t = wiring::permute_values(&v, &[r, cols], &[1, 0]);
        Ok((t.iter().map(|x| x * alpha).collect(), cols, r))
    } else {
        Ok((v.iter().map(|x| x * alpha).collect(), r, cols))
    }
}

/// `y = x·W` for a constant W given as `[k, n]` floats: MatMulConst, then the bias (if any,
/// as a committed constant at the product scale), then the rescale.
pub(crate) fn matmul_const(
    b: &mut Builder,
    x: TensorId,
    rows: usize,
    w: (Vec<f32>, usize, usize),
    bias: Option<(&ConstTensor, f32)>,
    out: Vec<usize>,
) -> LResult<TensorId> {
    let (wv, k, n) = w;
    let sx = b.scale(x);
    let bias_values = bias.map(|(c, beta)| {
        c.to_f32_vec()
            .iter()
            .map(|v| v * beta)
            .collect::<Vec<f32>>()
    });
    let matrix = commit_matrix(b, &wv, [k, n], bias_values.as_deref().map(|v| (v, sx)))?;
    let bias = match bias {
        Some((c, beta)) => Some(matrix_bias(b, &matrix, (c, beta), rows, sx)?),
        None => None,
    };
    times_matrix(b, x, rows, &matrix, bias, out)
}

/// A constant matrix W (`[k, n]` floats) committed once at its own scale, for one or several
/// products ([`times_matrix`]; tied weights such as an RNN's recurrent matrix at every step).
pub(crate) struct ConstMatrix {
    tensor: TensorId,
    scale: u32,
    k: usize,
    n: usize,
}

impl ConstMatrix {
    /// The committed weight tensor.
    pub(crate) fn tensor(&self) -> TensorId {
        self.tensor
    }

    /// Its scale (bits).
    pub(crate) fn scale(&self) -> u32 {
        self.scale
    }
}

/// Quantizes W at its own scale; `bias` (values, the input's scale) keeps a bias at the
/// product's scale under the limit.
pub(crate) fn commit_matrix(
    b: &mut Builder,
    wv: &[f32],
    [k, n]: [usize; 2],
    bias: Option<(&[f32], u32)>,
) -> LResult<ConstMatrix> {
    let scale = b.weight_bits_for(wv, bias);
    let wq = quant::quantize_all(wv, scale, &format!("{} weight", b.layer))?;
    let tensor = b.weight("weight", wq, vec![k, n], scale);
    Ok(ConstMatrix {
        tensor,
        scale,
        k,
        n,
    })
}

/// `beta·c` broadcast to `[rows, n]`, committed at the scale of `x·W` for an input at scale
/// `sx`: the bias [`times_matrix`] adds (one tensor for all of a tied product's uses).
pub(crate) fn matrix_bias(
    b: &mut Builder,
    w: &ConstMatrix,
    (c, beta): (&ConstTensor, f32),
    rows: usize,
    sx: u32,
) -> LResult<TensorId> {
    let scaled = ConstTensor {
        shape: c.shape.clone(),
        data: crate::onnx::TensorData::F32(c.to_f32_vec().iter().map(|v| v * beta).collect()),
    };
    b.const_weight("bias", &scaled, &[rows, w.n], sx + w.scale)
}

/// `y = x·W (+ bias)` for a committed constant matrix: MatMulConst, the bias's Add, the
/// rescale to the activation scale.
pub(crate) fn times_matrix(
    b: &mut Builder,
    x: TensorId,
    rows: usize,
    w: &ConstMatrix,
    bias: Option<TensorId>,
    out: Vec<usize>,
) -> LResult<TensorId> {
    let (k, n) = (w.k, w.n);
    let scale = b.scale(x) + w.scale;
    let mut y = b.emit(
        Block::MatMulConst {
            rows,
            inner: k,
            cols: n,
            taps: None,
        },
        vec![x, w.tensor],
        vec![rows, n],
        scale,
        "product",
    );
    if let Some(bt) = bias {
        if b.scale(bt) != scale {
            return np(format!(
                "a bias at 2^-{} for a product at 2^-{scale}",
                b.scale(bt)
            ));
        }
        y = b.emit(Block::Add, vec![y, bt], vec![rows, n], scale, "biased");
    }
    let y = b.rescale_to_activation(y);
    b.prog.tensors[y].shape = out;
    Ok(y)
}

/// Transpose a `[r, c]` tensor by a Copy.
pub(crate) fn transpose2(b: &mut Builder, x: TensorId, r: usize, c: usize) -> LResult<TensorId> {
    let spec = WiringSpec::Transpose {
        shape: vec![r, c],
        perm: vec![1, 0],
    };
    b.copy(vec![x], spec, vec![c, r], "transpose")
}

/// Gemm: `alpha·op(A)·op(B) + beta·C`.
fn gemm(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let alpha = l.float("alpha").unwrap_or(1.0);
    let beta = l.float("beta").unwrap_or(1.0);
    let ta = l.int("transA").unwrap_or(0) != 0;
    let tb = l.int("transB").unwrap_or(0) != 0;
    let out = b.out_shape(l, 0)?;
    let (x, xs) = b.act_input(l, 0)?;
    let [r, c] = xs[..] else {
        return np(format!("Gemm input of rank {}", xs.len()));
    };
    let (x, m) = if ta {
        (transpose2(b, x, r, c)?, c)
    } else {
        (x, r)
    };
    let bias = match l.inputs.get(2).filter(|n| !n.is_empty()) {
        Some(_) => match b.const_input(l, 2) {
            Some(c) => Some((c.clone(), beta)),
            None => return np("Gemm with a non-constant C"),
        },
        None => None,
    };
    if let Some(w) = b.const_input(l, 1).cloned() {
        let mat = const_matrix(&w, tb, alpha)?;
        let y = matmul_const(
            b,
            x,
            m,
            mat,
            bias.as_ref().map(|(c, k)| (c, *k)),
            out.clone(),
        )?;
        return one(y, out);
    }
    // Both operands are activations.
    let (y, ys) = b.act_input(l, 1)?;
    let [yr, yc] = ys[..] else {
        return np("Gemm B of rank other than 2");
    };
    let (y, n) = if tb {
        (transpose2(b, y, yr, yc)?, yr)
    } else {
        (y, yc)
    };
    let k = if ta { r } else { c };
    let s = b.scale(x) + b.scale(y);
    let mut p = b.emit(
        Block::MatMul {
            rows: m,
            inner: k,
            cols: n,
        },
        vec![x, y],
        vec![m, n],
        s,
        "product",
    );
    if alpha != 1.0 {
        p = scale_by(b, p, alpha)?;
    }
    if let Some((c, beta)) = bias {
        let sp = b.scale(p);
        let scaled = ConstTensor {
            shape: c.shape.clone(),
            data: crate::onnx::TensorData::F32(c.to_f32_vec().iter().map(|v| v * beta).collect()),
        };
        let bt = b.const_weight("bias", &scaled, &[m, n], sp)?;
        p = b.emit(Block::Add, vec![p, bt], vec![m, n], sp, "biased");
    }
    let p = b.rescale_to_activation(p);
    one(p, out)
}

/// Rows and inner size of a `[..., m, k]` operand whose leading dims multiply into rows.
fn rows_inner(shape: &[usize]) -> (usize, usize) {
    match shape {
        [] => (1, 1),
        [k] => (1, *k),
        [lead @ .., k] => (lead.iter().product(), *k),
    }
}

/// MatMul with a constant or activation right-hand side (or a constant left-hand side).
fn matmul(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let out = b.out_shape(l, 0)?;
    let (va, vb) = (
        b.value(&l.inputs[0])?.clone(),
        b.value(&l.inputs[1])?.clone(),
    );
    match (va, vb) {
        (Value::Tensor { id: x, shape: xs }, Value::Const(w)) => {
            let mat = const_matrix(&w, false, 1.0)?;
            let (rows, k) = rows_inner(&xs);
            if k != mat.1 {
                return np(format!("MatMul of {xs:?} by {:?}", w.shape));
            }
            let y = matmul_const(b, x, rows, mat, None, out.clone())?;
            one(y, out)
        }
        (Value::Const(a), Value::Tensor { id: y, shape: ys }) => {
            // y = A·X  ⇔  yᵀ = Xᵀ·Aᵀ.
            let [k, n] = ys[..] else {
                return np("MatMul of a constant by an activation of rank other than 2");
            };
            let (av, ka, m) = const_matrix(&a, true, 1.0)?; // Aᵀ: [k, m]
            if ka != k {
                return np(format!("MatMul of {:?} by {ys:?}", a.shape));
            }
            let xt = transpose2(b, y, k, n)?;
            let yt = matmul_const(b, xt, n, (av, k, m), None, vec![n, m])?;
            let yv = transpose2(b, yt, n, m)?;
            one(yv, out)
        }
        (Value::Tensor { id: x, shape: xs }, Value::Tensor { id: y, shape: ys }) => {
            let lead = |s: &[usize]| s.iter().rev().skip(2).product::<usize>();
            if lead(&xs) != 1 || lead(&ys) != 1 {
                return batched_matmul(b, x, &xs, y, &ys, out);
            }
            let (m, k) = rows_inner(&xs);
            let (k2, n) = match ys.as_slice() {
                [k2] => (*k2, 1),
                [.., k2, n] => (*k2, *n),
                [] => (1, 1),
            };
            if k != k2 {
                return np(format!("MatMul of {xs:?} by {ys:?}"));
            }
            let s = b.scale(x) + b.scale(y);
            let p = b.emit(
                Block::MatMul {
                    rows: m,
                    inner: k,
                    cols: n,
                },
                vec![x, y],
                vec![m, n],
                s,
                "product",
            );
            let p = b.rescale_to_activation(p);
            one(p, out)
        }
        (Value::Const(_), Value::Const(_)) => np("constant MatMul that could not be folded"),
    }
}

/// MatMul of two activations batched over equal leading dimensions (attention's `Q·Kᵀ` and
/// `P·V` over heads): per batch entry, a slice of each operand (Copy) and one product of two
/// committed matrices; the products are concatenated (one Copy) and rescaled once.
pub(crate) fn batched_matmul(
    b: &mut Builder,
    x: TensorId,
    xs: &[usize],
    y: TensorId,
    ys: &[usize],
    out: Vec<usize>,
) -> LResult<Outputs> {
    let (Some((&[m, k], xl)), Some((&[k2, n], yl))) = (
        xs.split_last_chunk::<2>().map(|(l, t)| (t, l)),
        ys.split_last_chunk::<2>().map(|(l, t)| (t, l)),
    ) else {
        return np("batched MatMul of operands of rank below 2");
    };
    let batch: usize = xl.iter().product();
    // Equal batch shapes after left-padding with 1s (numpy broadcasting of the batch axes is
    // not lowered: it would need more products than batch entries).
    let padded = |s: &[usize], r: usize| {
        let mut v = vec![1; r.saturating_sub(s.len())];
        v.extend_from_slice(s);
        v
    };
    let r = xl.len().max(yl.len());
    if padded(xl, r) != padded(yl, r) || k != k2 {
        return np(format!(
            "batched MatMul of {xs:?} by {ys:?} (broadcast batches)"
        ));
    }
    let s = b.scale(x) + b.scale(y);
    let mut products = Vec::with_capacity(batch);
    for h in 0..batch {
        let a = select::pick(
            b,
            x,
            &[batch, m, k],
            &[vec![h], (0..m).collect(), (0..k).collect()],
            "batch_a",
        )?
        .0;
        let c = select::pick(
            b,
            y,
            &[batch, k, n],
            &[vec![h], (0..k).collect(), (0..n).collect()],
            "batch_b",
        )?
        .0;
        products.push(b.emit(
            Block::MatMul {
                rows: m,
                inner: k,
                cols: n,
            },
            vec![a, c],
            vec![m, n],
            s,
            "product",
        ));
    }
    let spec = WiringSpec::Concat {
        shapes: vec![vec![m, n]; batch],
        axis: 0,
    };
    let all = b.copy(products, spec, vec![batch * m, n], "products")?;
    let p = b.rescale_to_activation(all);
    b.prog.tensors[p].shape = out.clone();
    one(p, out)
}

/// Element-wise non-linearities, each one table lookup.
fn unary(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let sx = b.scale(x);
    let act = b.act_bits();
    let (func, out_bits) = match l.op_type.as_str() {
        "Relu" => (TableFn::Relu, sx),
        "LeakyRelu" => (
            TableFn::LeakyRelu {
                alpha: l.float("alpha").unwrap_or(0.01),
            },
            sx,
        ),
        "Sigmoid" => (TableFn::Sigmoid, act),
        "Tanh" => (TableFn::Tanh, act),
        "Abs" => (TableFn::Abs, sx),
        "Exp" => (TableFn::Exponential, act),
        "HardSigmoid" => (
            TableFn::HardSigmoid {
                alpha: l.float("alpha").unwrap_or(0.2),
                beta: l.float("beta").unwrap_or(0.5),
            },
            act,
        ),
        "HardSwish" => (TableFn::HardSwish, sx),
        "Elu" => (
            TableFn::Elu {
                alpha: l.float("alpha").unwrap_or(1.0),
                gamma: 1.0,
            },
            sx,
        ),
        "Selu" => (
            TableFn::Elu {
                alpha: l.float("alpha").unwrap_or(1.673_263_2),
                gamma: l.float("gamma").unwrap_or(1.050_701),
            },
            sx,
        ),
        "ThresholdedRelu" => {
            let alpha = l.float("alpha").unwrap_or(1.0);
            let q = quant::quantize(f64::from(alpha), sx, &format!("{} alpha", l.name))?;
            (TableFn::ThresholdedRelu { alpha: q }, sx)
        }
        "Softsign" => (TableFn::Softsign, act),
        "Reciprocal" => (TableFn::Reciprocal, act),
        "Floor" => (
            TableFn::Round {
                mode: quant::RoundMode::Floor,
            },
            sx,
        ),
        "Ceil" => (
            TableFn::Round {
                mode: quant::RoundMode::Ceil,
            },
            sx,
        ),
        "Round" => (
            TableFn::Round {
                mode: quant::RoundMode::HalfEven,
            },
            sx,
        ),
        "Sign" => (TableFn::Sign, act),
        "Erf" => (TableFn::Erf, act),
        "Log" => (TableFn::Log, act),
        "Softplus" => (TableFn::Softplus, act),
        _ => {
            // Clip: bounds from inputs (opset ≥ 11) or attributes.
            let bound = |i: usize, attr: &str, default: f32| -> LResult<f32> {
                if b.g.opset() >= 11 {
                    match l.inputs.get(i).filter(|n| !n.is_empty()) {
                        None => Ok(default),
                        Some(_) => match b.const_input(l, i).and_then(scalar) {
                            Some(v) => Ok(v),
                            None => np("Clip with non-constant bounds"),
                        },
                    }
                } else {
                    Ok(l.float(attr).unwrap_or(default))
                }
            };
            let lo = bound(1, "min", f32::NEG_INFINITY)?;
            let hi = bound(2, "max", f32::INFINITY)?;
            let q = |v: f32, what: &str| -> LResult<i64> {
                if v.is_infinite() {
                    Ok(if v > 0.0 { i64::MAX } else { i64::MIN })
                } else {
                    Ok(quant::quantize(
                        f64::from(v),
                        sx,
                        &format!("{} {what}", l.name),
                    )?)
                }
            };
            let (lo, hi) = (q(lo, "min")?, q(hi, "max")?);
            if lo > hi {
                return np("Clip with min > max");
            }
            (TableFn::Clip { lo, hi }, sx)
        }
    };
    let y = b.lookup(x, func, out_bits, None, "out");
    one(y, xs)
}

/// Cast of an activation: to a float type the value is unchanged (a new name, no block); to an
/// integer or boolean type only an integer tensor (scale 2^0: indices, ids) is unchanged, other
/// values would need truncation and are not lowered.
fn cast(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, _) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    match l.int("to") {
        Some(1 | 10 | 11 | 16) => one(x, out),
        Some(2..=7 | 12 | 13) if b.scale(x) == 0 => one(x, out),
        Some(t) => np(format!("Cast of a real-valued activation to ONNX type {t}")),
        None => np("Cast without a target type"),
    }
}

/// Ops that keep the flat order: a new name and shape for the same tensor, no block. Dropout
/// in inference mode is the identity, and its mask (if asked for) the constant "all kept".
fn alias(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    if l.op_type == "Dropout" {
        if b.const_input(l, 2)
            .is_some_and(|t| t.to_f32_vec().iter().any(|&v| v != 0.0))
            || (l.inputs.get(2).is_some_and(|s| !s.is_empty()) && b.const_input(l, 2).is_none())
        {
            return np("Dropout in training mode");
        }
        if let Some(mask) = l.outputs.get(1).filter(|m| !m.is_empty()) {
            let n = xs.iter().product();
            b.env.insert(
                mask.clone(),
                Value::Const(ConstTensor {
                    shape: xs.clone(),
                    data: crate::onnx::TensorData::I64(vec![1; n]),
                }),
            );
        }
    }
    one(x, out)
}

/// Transpose by a Copy.
fn transpose(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let perm: Vec<usize> = match l.ints("perm") {
        Some(p) => p
            .iter()
            .map(|&v| axis(v, xs.len()))
            .collect::<LResult<_>>()?,
        None => (0..xs.len()).rev().collect(),
    };
    let out: Vec<usize> = perm.iter().map(|&p| xs[p]).collect();
    let spec = WiringSpec::Transpose { shape: xs, perm };
    let y = b.copy(vec![x], spec, out.clone(), "out")?;
    one(y, out)
}

/// Concat by a Copy over every input (constants become committed weights).
fn concat(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let out = b.out_shape(l, 0)?;
    let ax = axis(l.int("axis").unwrap_or(0), out.len())?;
    let mut ids = Vec::new();
    let mut shapes = Vec::new();
    for i in 0..l.inputs.len() {
        if l.inputs[i].is_empty() {
            continue;
        }
        let (t, s) = b.act_input(l, i)?;
        ids.push(t);
        shapes.push(s);
    }
    let s = ids.iter().map(|&t| b.scale(t)).max().unwrap_or(0);
    let ids: Vec<TensorId> = ids.into_iter().map(|t| b.align(t, s)).collect();
    if shapes.iter().any(|sh| sh.len() != out.len()) {
        return np("Concat of tensors of different ranks");
    }
    let spec = WiringSpec::Concat { shapes, axis: ax };
    let y = b.copy(ids, spec, out.clone(), "out")?;
    one(y, out)
}
