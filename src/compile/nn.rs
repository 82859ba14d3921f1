//! Lowering of the neural-network ops with windows, channels and groups: Conv (im2col Copy +
//! one MatMulConst), pooling (window Copy + MaxGroups / SumGroups + DivConst), BatchNorm on its
//! own (per-channel affine), Softmax (max, exp table, sum, reciprocal table, product) and
//! ReduceMean / ReduceSum.

use super::builder::{np, Builder, LResult};
use super::ir::Block;
use super::lower::{axis, matmul_const, transpose2, Outputs};
use super::wiring::{Window2d, WiringSpec};
use crate::blocks::copy::{Source, Wiring};
use crate::onnx::{ConstTensor, Layer, TensorData};
use crate::quant::{self, TableFn};

/// Kernel, strides, dilations and padding of a 2-D window op over input `[n, c, h, w]` with
/// output spatial size `(oh, ow)`; pads are (top, left, bottom, right).
fn window(
    l: &Layer,
    xs: &[usize],
    oh: usize,
    ow: usize,
    kernel: (usize, usize),
) -> LResult<(Window2d, (usize, usize))> {
    let pair = |name: &str, default: usize| -> LResult<(usize, usize)> {
        match l.ints(name) {
            None => Ok((default, default)),
            Some([a, b]) if *a >= 0 && *b >= 0 => Ok((*a as usize, *b as usize)),
            Some(v) => np(format!("{name} {v:?} (only 2-D windows)")),
        }
    };
    let stride = pair("strides", 1)?;
    let dilation = pair("dilations", 1)?;
    let (h, w) = (xs[2], xs[3]);
    let (kh, kw) = kernel;
    let auto = l.string("auto_pad").unwrap_or("NOTSET");
    let (top, left, bottom, right) = match auto {
        "SAME_UPPER" | "SAME_LOWER" => {
            let total = |o: usize, s: usize, k: usize, d: usize, i: usize| {
                (o.saturating_sub(1).saturating_mul(s))
                    .saturating_add(k.saturating_sub(1).saturating_mul(d))
                    .saturating_add(1)
                    .saturating_sub(i)
            };
            let th = total(oh, stride.0, kh, dilation.0, h);
            let tw = total(ow, stride.1, kw, dilation.1, w);
            if auto == "SAME_UPPER" {
                (th / 2, tw / 2, th - th / 2, tw - tw / 2)
            } else {
                (th - th / 2, tw - tw / 2, th / 2, tw / 2)
            }
        }
        "VALID" => (0, 0, 0, 0),
        _ => match l.ints("pads") {
            None => (0, 0, 0, 0),
            Some([a, b, c, d]) if [a, b, c, d].iter().all(|v| **v >= 0) => {
                (*a as usize, *b as usize, *c as usize, *d as usize)
            }
            Some(v) => return np(format!("pads {v:?}")),
        },
    };
    Ok((
        Window2d {
            n: xs[0],
            c: xs[1],
            h,
            w,
            kh,
            kw,
            oh,
            ow,
            stride,
            dilation,
            pad: (top, left),
        },
        (bottom, right),
    ))
}

fn dims4(s: &[usize], what: &str) -> LResult<[usize; 4]> {
    match s {
        [a, b, c, d] => Ok([*a, *b, *c, *d]),
        _ => np(format!("{what} of rank {} (only 2-D, NCHW)", s.len())),
    }
}

/// A 1-D window op over `[n, c, length]` as the 2-D one over `[n, c, 1, length]` (the same
/// entries in the same order): kernel `[1, k]`, strides and dilations `[1, ·]`, pads
/// `[0, begin, 0, end]`; `auto_pad` and the rest carry over.
fn lift_1d(l: &Layer) -> LResult<Layer> {
    use crate::onnx::Attribute;
    let mut lifted = l.clone();
    for (name, pad) in [("kernel_shape", 1), ("strides", 1), ("dilations", 1)] {
        match l.ints(name) {
            None => {}
            Some([v]) => {
                lifted
                    .attributes
                    .insert(name.to_string(), Attribute::Ints(vec![pad, *v]));
            }
            Some(v) => return np(format!("{name} {v:?} of a 1-D {}", l.op_type)),
        }
    }
    match l.ints("pads") {
        None => {}
        Some([begin, end]) => {
            lifted.attributes.insert(
                "pads".to_string(),
                Attribute::Ints(vec![0, *begin, 0, *end]),
            );
        }
        Some(v) => return np(format!("pads {v:?} of a 1-D {}", l.op_type)),
    }
    Ok(lifted)
}

/// `[a, b, rest]` → `[a, b, 1, rest]`.
fn with_unit_height(s: &[usize]) -> Vec<usize> {
    let mut v = s.to_vec();
    v.insert(2.min(v.len()), 1);
    v
}

/// The lowered 2-D outputs given back the 1-D shape `out` (a free re-indexing).
fn as_1d(b: &mut Builder, outputs: Outputs, out: &[usize]) -> Outputs {
    outputs
        .into_iter()
        .map(|(y, _)| {
            b.prog.tensors[y].shape = out.to_vec();
            (y, out.to_vec())
        })
        .collect()
}

/// Conv: im2col Copy, one MatMulConst (rows = output pixels), bias, rescale, and a Copy to
/// NCHW. Groups (depthwise included) use a block-diagonal weight. A 1-D Conv (`[n, c, len]`)
/// is the 2-D one over `[n, c, 1, len]`.
pub(crate) fn conv(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    let wc = b.const_input(l, 1).cloned();
    if xs.len() != 3 {
        return conv_2d(b, l, x, xs, out, wc);
    }
    let lifted = lift_1d(l)?;
    let wc = wc.map(|c| ConstTensor {
        shape: with_unit_height(&c.shape),
        data: c.data,
    });
    let ys = conv_2d(
        b,
        &lifted,
        x,
        with_unit_height(&xs),
        with_unit_height(&out),
        wc,
    )?;
    Ok(as_1d(b, ys, &out))
}

fn conv_2d(
    b: &mut Builder,
    l: &Layer,
    x: usize,
    xs: Vec<usize>,
    out: Vec<usize>,
    wc: Option<ConstTensor>,
) -> LResult<Outputs> {
    let [n, c, _, _] = dims4(&xs, "Conv input")?;
    let [_, oc, oh, ow] = dims4(&out, "Conv output")?;
    let group = l.int("group").unwrap_or(1).max(1) as usize;
    let Some(wc) = wc else {
        return conv_activation_weight(b, l, x, &xs, &out, group);
    };
    let [woc, cg, kh, kw] = dims4(&wc.shape, "Conv weight")?;
    if woc != oc || cg.checked_mul(group) != Some(c) || oc % group != 0 {
        return np(format!(
            "Conv weight {:?} does not fit input {xs:?} with {group} groups",
            wc.shape
        ));
    }
    let (win, _) = window(l, &xs, oh, ow, (kh, kw))?;
    // (Saturating: a shape beyond any domain is refused by the Copy that would hold it.)
    let rows = n.saturating_mul(oh).saturating_mul(ow);
    let inner = c.saturating_mul(kh).saturating_mul(kw);
    let wv = wc.to_f32_vec();
    let depthwise_shape = group > 1 && cg == 1 && oc == c;
    if convolution_form_is_smaller(&win, oc, depthwise_shape) {
        return conv_rows(b, l, x, win, (&wv, group), oc, out);
    }
    let cols = b.copy(
        vec![x],
        WiringSpec::Im2col(win),
        vec![rows, inner],
        "im2col",
    )?;
    if depthwise_shape {
        return depthwise(b, l, cols, (rows, c, kh * kw), &wv, out);
    }
    // Block-diagonal [c·kh·kw, oc] weight.
    let per_group = oc / group;
    let mut full = vec![0f32; inner * oc];
    for o in 0..oc {
        let g = o / per_group;
        for ci in 0..cg {
            let ch = g * cg + ci;
            for ki in 0..kh {
                for kj in 0..kw {
                    full[((ch * kh + ki) * kw + kj) * oc + o] =
                        wv[((o * cg + ci) * kh + ki) * kw + kj];
                }
            }
        }
    }
    conv_product(b, l, cols, (rows, inner, oc), full, (n, oh * ow), out)
}

/// Whether the convolution form (the padded input and the full-convolution sums, one entry
/// per grid position and channel) moves fewer entries than im2col (one per pixel, channel and
/// tap, and for a depthwise Conv the broadcast filter and the products too): a kernel larger
/// than 1×1 with stride 1, strides small against the kernel, and nearly every depthwise Conv.
/// A depthwise layer's W' is block-diagonal, `C·C·K` entries where its filter has `C·K`: those
/// count against the form (each proof combines W's columns), and a W' beyond any domain rules
/// the form out.
fn convolution_form_is_smaller(win: &Window2d, oc: usize, depthwise: bool) -> bool {
    let t = win.taps();
    let taps = t.count();
    let dense = win.c.checked_mul(oc).and_then(|v| v.checked_mul(taps));
    if taps == 1 || dense.is_none_or(|d| d > super::wiring::MAX_ENTRIES) {
        return false;
    }
    let (grid, reach) = (win.positions(), t.reach());
    let form = grid
        .saturating_mul(win.c)
        .saturating_add((grid.saturating_add(reach)).saturating_mul(oc))
        .saturating_add(if depthwise { dense.unwrap_or(0) } else { 0 });
    let pixels = win.n.saturating_mul(win.oh).saturating_mul(win.ow);
    let per_tap = if depthwise { 3 } else { 1 };
    let im2col = pixels
        .saturating_mul(win.c.saturating_mul(taps))
        .saturating_mul(per_tap)
        .saturating_add(pixels.saturating_mul(oc));
    form < im2col
}

/// Conv in the convolution form of the constant-matrix product (docs/PROTOCOLS.md §4.8): the
/// input laid out on the padded grid (positions × channels) by one Copy, the product with
/// `W'[c, o·K + k] = W[o, c − g·cg, k]` for c in output o's group g (cg input channels per
/// group) and 0 elsewhere, a Copy of the sums at the window anchors into NCHW, the bias and
/// the rescale.
fn conv_rows(
    b: &mut Builder,
    l: &Layer,
    x: usize,
    win: Window2d,
    (wv, group): (&[f32], usize),
    oc: usize,
    out: Vec<usize>,
) -> LResult<Outputs> {
    let taps = win.taps();
    let (c, k) = (win.c, taps.count());
    let bias = constant_bias(b, l)?;
    let grid = win.positions();
    let padded = b.copy(
        vec![x],
        WiringSpec::PaddedRows(win),
        vec![grid, c],
        "padded_rows",
    )?;
    // W'[g·cg + i, o·K + k] = W[o, i, k] for o in group g (block-diagonal when grouped)
    let (cg, per_group) = (c / group.max(1), oc / group.max(1));
    let mut wt = vec![0f32; c.saturating_mul(oc).saturating_mul(k)];
    for o in 0..oc {
        let first = (o / per_group.max(1)) * cg;
        for i in 0..cg {
            for t in 0..k {
                wt[(first + i) * oc * k + o * k + t] = wv[(o * cg + i) * k + t];
            }
        }
    }
    let sx = b.scale(padded);
    let bias_values = bias.as_ref().map(|t| t.to_f32_vec());
    let matrix =
        super::lower::commit_matrix(b, &wt, [c, oc * k], bias_values.as_deref().map(|v| (v, sx)))?;
    let scale = sx + matrix.scale();
    let sums = b.emit(
        Block::MatMulConst {
            rows: grid,
            inner: c,
            cols: oc * k,
            taps: Some(taps),
        },
        vec![padded, matrix.tensor()],
        vec![oc, grid + taps.reach()],
        scale,
        "product",
    );
    let mut y = b.copy(
        vec![sums],
        WiringSpec::ConvAnchors { window: win, oc },
        out.clone(),
        "anchors",
    )?;
    if let Some(bc) = bias {
        let per_channel = ConstTensor {
            shape: vec![oc, 1, 1],
            data: bc.data.clone(),
        };
        if bc.shape.iter().product::<usize>() != oc {
            return np(format!("Conv bias of shape {:?}", bc.shape));
        }
        let bt = b.const_weight("bias", &per_channel, &out, scale)?;
        y = b.emit(Block::Add, vec![y, bt], out.clone(), scale, "biased");
    }
    let y = b.rescale_to_activation(y);
    Ok(vec![(y, out)])
}

/// The layer's bias (input 2) when it is a constant, `None` when there is none; refused when
/// it is an activation.
fn constant_bias(b: &Builder, l: &Layer) -> LResult<Option<ConstTensor>> {
    let bias = b.const_input(l, 2).cloned();
    if l.inputs.get(2).is_some_and(|s| !s.is_empty()) && bias.is_none() {
        return np(format!("{} with a non-constant bias", l.op_type));
    }
    Ok(bias)
}

/// The im2col rows times the `[inner, oc]` weight, the constant bias (input 2, if any), the
/// rescale, and the Copy back to NCHW: the common tail of Conv and ConvTranspose.
fn conv_product(
    b: &mut Builder,
    l: &Layer,
    cols: usize,
    (rows, inner, oc): (usize, usize, usize),
    full: Vec<f32>,
    (n, pixels): (usize, usize),
    out: Vec<usize>,
) -> LResult<Outputs> {
    let bias = constant_bias(b, l)?;
    let y = matmul_const(
        b,
        cols,
        rows,
        (full, inner, oc),
        bias.as_ref().map(|c| (c, 1.0)),
        vec![rows, oc],
    )?;
    let spec = WiringSpec::PixelsToChannels { n, pixels, oc };
    let y = b.copy(vec![y], spec, out.clone(), "to_nchw")?;
    Ok(vec![(y, out)])
}

/// ConvTranspose (2-D, one group, explicit pads): the input spread out by the strides with
/// zeros between (and the kernel extent less the pads around it) by one Copy of public zeros
/// and input entries, then a stride-1 Conv with the kernel flipped and its channel axes
/// swapped: `y[o, p] = Σ x[ci, (p + pad − d·k)/s]·W[ci, o, k]` over the k where the division is
/// exact, as ONNX defines it.
pub(crate) fn conv_transpose(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    let [n, c, h, w] = dims4(&xs, "ConvTranspose input")?;
    let [_, oc, oh, ow] = dims4(&out, "ConvTranspose output")?;
    if l.int("group").unwrap_or(1) != 1 {
        return np("ConvTranspose with groups");
    }
    if l.string("auto_pad").is_some_and(|a| a != "NOTSET") {
        return np("ConvTranspose with auto_pad");
    }
    let Some(wc) = b.const_input(l, 1).cloned() else {
        return np("ConvTranspose with a computed weight");
    };
    let [wc_in, woc, kh, kw] = dims4(&wc.shape, "ConvTranspose weight")?;
    if wc_in != c || woc != oc {
        return np(format!(
            "ConvTranspose weight {:?} for input {xs:?}",
            wc.shape
        ));
    }
    let pair = |name: &str| -> LResult<(usize, usize)> {
        match l.ints(name) {
            None => Ok((1, 1)),
            Some([a, b]) if *a >= 1 && *b >= 1 => Ok((*a as usize, *b as usize)),
            Some(v) => np(format!("ConvTranspose {name} {v:?}")),
        }
    };
    let (sh, sw) = pair("strides")?;
    let (dh, dw) = pair("dilations")?;
    let (pt, pl) = match l.ints("pads") {
        None => (0, 0),
        Some([t, left, _, _]) if *t >= 0 && *left >= 0 => (*t, *left),
        Some(v) => return np(format!("ConvTranspose pads {v:?}")),
    };
    // The spread input U: [n, c, oh + dh(kh−1), ow + dw(kw−1)]; U[u] reads x[(u − begin)/s]
    // where that is an input position, else 0.
    let (uh, uw) = (oh + dh * (kh - 1), ow + dw * (kw - 1));
    let (bh, bw) = ((dh * (kh - 1)) as i64 - pt, (dw * (kw - 1)) as i64 - pl);
    let spread = |u: usize, begin: i64, s: usize, len: usize| -> Option<usize> {
        let p = u as i64 - begin;
        (p >= 0 && p % s as i64 == 0 && ((p / s as i64) as usize) < len)
            .then(|| (p / s as i64) as usize)
    };
    let us = vec![n, c, uh, uw];
    let u = super::movement::map_copy(b, x, &xs, &us, 0, "spread", |o| {
        Some(vec![
            o[0],
            o[1],
            spread(o[2], bh, sh, h)?,
            spread(o[3], bw, sw, w)?,
        ])
    })?;
    let win = Window2d {
        n,
        c,
        h: uh,
        w: uw,
        kh,
        kw,
        oh,
        ow,
        stride: (1, 1),
        dilation: (dh, dw),
        pad: (0, 0),
    };
    let rows = n * oh * ow;
    let inner = c * kh * kw;
    let cols = b.copy(
        vec![u],
        WiringSpec::Im2col(win),
        vec![rows, inner],
        "im2col",
    )?;
    // full[(ci, i, j), o] = W[ci, o, kh−1−i, kw−1−j]
    let wv = wc.to_f32_vec();
    let mut full = vec![0f32; inner * oc];
    for ci in 0..c {
        for o in 0..oc {
            for i in 0..kh {
                for j in 0..kw {
                    full[((ci * kh + i) * kw + j) * oc + o] =
                        wv[((ci * oc + o) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)];
                }
            }
        }
    }
    conv_product(b, l, cols, (rows, inner, oc), full, (n, oh * ow), out)
}

/// Depthwise Conv (one filter per channel): the im2col rows are `[pixels, channels, taps]`, so
/// each channel's filter broadcast over the pixels multiplies them entry by entry (Hadamard) and
/// the taps are summed (SumGroups) — one weight column of the im2col's size instead of a
/// `channels`-wide block-diagonal product (which held `channels` columns of that size).
fn depthwise(
    b: &mut Builder,
    l: &Layer,
    cols: usize,
    (rows, c, taps): (usize, usize, usize),
    wv: &[f32],
    out: Vec<usize>,
) -> LResult<Outputs> {
    let sx = b.scale(cols);
    let bias = constant_bias(b, l)?;
    let bias_values = bias.as_ref().map(ConstTensor::to_f32_vec);
    let sw = b.weight_bits_for(wv, bias_values.as_deref().map(|v| (v, sx)));
    let wq = quant::quantize_all(wv, sw, &format!("{} weight", b.layer))?;
    let broadcast: Vec<i64> = (0..rows).flat_map(|_| wq.iter().copied()).collect();
    let wt = b.weight("weight", broadcast, vec![rows * c, taps], sw);
    let prod = b.emit(
        Block::Hadamard,
        vec![cols, wt],
        vec![rows * c, taps],
        sx + sw,
        "taps",
    );
    let mut y = b.emit(
        Block::SumGroups { len: taps },
        vec![prod],
        vec![rows, c],
        sx + sw,
        "product",
    );
    if let Some(bc) = bias {
        let bt = b.const_weight("bias", &bc, &[rows, c], sx + sw)?;
        y = b.emit(Block::Add, vec![y, bt], vec![rows, c], sx + sw, "biased");
    }
    let y = b.rescale_to_activation(y);
    let n = out[0];
    let spec = WiringSpec::PixelsToChannels {
        n,
        pixels: rows / n.max(1),
        oc: c,
    };
    let y = b.copy(vec![y], spec, out.clone(), "to_nchw")?;
    Ok(vec![(y, out)])
}

/// Conv whose weight is an activation (ONNX test models feed W as an input): im2col, a Copy
/// transposing W, one MatMul of activations.
fn conv_activation_weight(
    b: &mut Builder,
    l: &Layer,
    x: usize,
    xs: &[usize],
    out: &[usize],
    group: usize,
) -> LResult<Outputs> {
    if group != 1 {
        return np("grouped Conv with a non-constant weight");
    }
    let (w, ws) = b.act_input(l, 1)?;
    let [oc, c, kh, kw] = dims4(&ws, "Conv weight")?;
    let [n, ..] = dims4(xs, "Conv input")?;
    let (oh, ow) = (out[2], out[3]);
    if c != xs[1] {
        return np("Conv weight does not fit its input");
    }
    let (win, _) = window(l, xs, oh, ow, (kh, kw))?;
    let rows = n * oh * ow;
    let inner = c * kh * kw;
    let cols = b.copy(
        vec![x],
        WiringSpec::Im2col(win),
        vec![rows, inner],
        "im2col",
    )?;
    let wt = transpose2(b, w, oc, inner)?;
    let s = b.scale(cols) + b.scale(wt);
    let mut y = b.emit(
        Block::MatMul {
            rows,
            inner,
            cols: oc,
        },
        vec![cols, wt],
        vec![rows, oc],
        s,
        "product",
    );
    if l.inputs.get(2).is_some_and(|s| !s.is_empty()) {
        let Some(bias) = b.const_input(l, 2).cloned() else {
            return np("Conv with a non-constant bias");
        };
        let bt = b.const_weight("bias", &bias, &[rows, oc], s)?;
        y = b.emit(Block::Add, vec![y, bt], vec![rows, oc], s, "biased");
    }
    let y = b.rescale_to_activation(y);
    let spec = WiringSpec::PixelsToChannels {
        n,
        pixels: oh * ow,
        oc,
    };
    let y = b.copy(vec![y], spec, out.to_vec(), "to_nchw")?;
    Ok(vec![(y, out.to_vec())])
}

/// MaxPool (window Copy + MaxGroups) and AveragePool (window Copy + SumGroups + DivConst);
/// over `[n, c, len]` as the 2-D op over `[n, c, 1, len]`.
pub(crate) fn pool(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    if l.outputs.get(1).is_some_and(|o| !o.is_empty()) {
        return np("MaxPool with an indices output");
    }
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    if xs.len() != 3 {
        return pool_2d(b, l, x, xs, out);
    }
    let lifted = lift_1d(l)?;
    let ys = pool_2d(b, &lifted, x, with_unit_height(&xs), with_unit_height(&out))?;
    Ok(as_1d(b, ys, &out))
}

fn pool_2d(
    b: &mut Builder,
    l: &Layer,
    x: usize,
    xs: Vec<usize>,
    out: Vec<usize>,
) -> LResult<Outputs> {
    dims4(&xs, "pooling input")?;
    let [_, _, oh, ow] = dims4(&out, "pooling output")?;
    let kernel = match l.ints("kernel_shape") {
        Some([a, b]) if *a > 0 && *b > 0 => (*a as usize, *b as usize),
        other => return np(format!("kernel_shape {other:?} (only 2-D)")),
    };
    let (win, pad_end) = window(l, &xs, oh, ow, kernel)?;
    let k = kernel.0 * kernel.1;
    let windows = out.iter().product::<usize>();
    if l.op_type == "MaxPool" {
        let spec = WiringSpec::PoolWindows {
            window: win,
            pad: None,
        };
        let t = b.copy(vec![x], spec, vec![windows, k], "windows")?;
        let s = b.scale(t);
        let y = b.emit(Block::MaxGroups { len: k }, vec![t], out.clone(), s, "out");
        return Ok(vec![(y, out)]);
    }
    let include_pad = l.int("count_include_pad").unwrap_or(0) != 0;
    let counts: Vec<usize> = if include_pad {
        (0..oh)
            .flat_map(|y| (0..ow).map(move |x| (y, x)))
            .map(|(y, x)| {
                (0..kernel.0)
                    .flat_map(|ki| (0..kernel.1).map(move |kj| (ki, kj)))
                    .filter(|&(ki, kj)| win.in_padded(y, x, ki, kj, pad_end))
                    .count()
            })
            .collect()
    } else {
        win.valid_counts()
    };
    let count = counts[0];
    if count == 0 || counts.iter().any(|&c| c != count) {
        return np("AveragePool windows of different sizes (padding not counted)");
    }
    let spec = WiringSpec::PoolWindows {
        window: win,
        pad: Some(0),
    };
    let t = b.copy(vec![x], spec, vec![windows, k], "windows")?;
    let s = b.scale(t);
    let sum = b.emit(Block::SumGroups { len: k }, vec![t], out.clone(), s, "sum");
    let y = b.div_const(sum, count as i64, count as i64 / 2, "mean");
    Ok(vec![(y, out)])
}

/// GlobalAveragePool and GlobalMaxPool: the spatial entries of each channel are consecutive,
/// so one SumGroups and one DivConst (or one MaxGroups), no Copy.
pub(crate) fn global_pool(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    if xs.len() < 3 {
        return np(format!("{} of rank < 3", l.op_type));
    }
    let len: usize = xs[2..].iter().product();
    let s = b.scale(x);
    if l.op_type == "GlobalMaxPool" {
        let y = b.emit(Block::MaxGroups { len }, vec![x], out.clone(), s, "out");
        return Ok(vec![(y, out)]);
    }
    let sum = b.emit(Block::SumGroups { len }, vec![x], out.clone(), s, "sum");
    let y = b.div_const(sum, len as i64, len as i64 / 2, "mean");
    Ok(vec![(y, out)])
}

/// A BatchNormalization nothing could absorb: `y = a_c·x + b_c` per channel (Hadamard with the
/// broadcast scale, bias at the product scale, rescale).
pub(crate) fn batchnorm(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    if l.outputs.iter().skip(1).any(|o| !o.is_empty()) {
        return np("BatchNormalization in training mode");
    }
    let (x, xs) = b.act_input(l, 0)?;
    if xs.len() < 2 {
        return np("BatchNormalization of rank < 2");
    }
    let consts: std::collections::BTreeMap<String, ConstTensor> = (1..5)
        .filter_map(|i| Some((l.inputs.get(i)?.clone(), b.const_input(l, i)?.clone())))
        .collect();
    let Some((a, bias)) = super::fold::batchnorm_affine(l, &consts) else {
        return np("BatchNormalization with non-constant statistics");
    };
    let mut cshape = vec![xs[1]];
    cshape.extend(std::iter::repeat_n(1, xs.len() - 2));
    let ct = |v: Vec<f32>| ConstTensor {
        shape: cshape.clone(),
        data: TensorData::F32(v),
    };
    let sx = b.scale(x);
    let sw = b.weight_bits_for(&a, Some((&bias, sx)));
    let at = b.const_weight("scale", &ct(a), &xs, sw)?;
    let p = b.emit(Block::Hadamard, vec![x, at], xs.clone(), sx + sw, "product");
    let bt = b.const_weight("bias", &ct(bias), &xs, sx + sw)?;
    let y = b.emit(Block::Add, vec![p, bt], xs.clone(), sx + sw, "biased");
    let y = b.rescale_to_activation(y);
    Ok(vec![(y, xs)])
}

/// ⌈log2 n⌉.
fn ceil_log2(n: usize) -> u32 {
    n.max(1).next_power_of_two().trailing_zeros()
}

/// Softmax over consecutive groups of `len` entries of x (flat). With a mask (from
/// `Where(mask, −∞, ·)`), masked entries' exponentials are replaced by the constant 0 (a Copy)
/// before the sum, so they contribute nothing and come out 0, as with −∞ in floats.
fn softmax_groups(
    b: &mut Builder,
    x: usize,
    len: usize,
    mask: Option<&[bool]>,
    log: bool,
) -> LResult<usize> {
    let total = b.shape(x).iter().product::<usize>();
    let groups = total / len.max(1);
    let sx = b.scale(x);
    let act = b.act_bits();
    let m = b.emit(
        Block::MaxGroups { len },
        vec![x],
        vec![groups, 1],
        sx,
        "max",
    );
    let mb = b.broadcast(m, &[groups, 1], &[groups, len])?;
    let d = b.emit(Block::Sub, vec![x, mb], vec![groups, len], sx, "shifted");
    let mut e = b.lookup(d, TableFn::Exp, act, None, "exp");
    if let Some(mask) = mask {
        let w = Wiring {
            input_lens: vec![total],
            output: (0..total)
                .map(|i| match mask.get(i) {
                    Some(false) => Source::Input { input: 0, index: i },
                    _ => Source::Const(0),
                })
                .collect(),
        };
        e = b.copy(
            vec![e],
            WiringSpec::Explicit(w),
            vec![groups, len],
            "masked",
        )?;
    }
    let s = b.emit(
        Block::SumGroups { len },
        vec![e],
        vec![groups, 1],
        act,
        "sum",
    );
    // Sums lie in [2^act, len·2^act]: the max entry contributes exactly e^0 = 2^act.
    let one = quant::pow2(act);
    if log {
        // LogSoftmax: (x − m) − ln(Σ e^(x−m)), the logarithm from a table over the sums.
        let ls = b.lookup(
            s,
            TableFn::Log,
            sx,
            Some((one, len as i64 * one)),
            "log_sum",
        );
        let lb = b.broadcast(ls, &[groups, 1], &[groups, len])?;
        return Ok(b.emit(Block::Sub, vec![d, lb], vec![groups, len], sx, "out"));
    }
    let sr = ceil_log2(len) + 10;
    let r = b.lookup(
        s,
        TableFn::Reciprocal,
        sr,
        Some((one, len as i64 * one)),
        "reciprocal",
    );
    let rb = b.broadcast(r, &[groups, 1], &[groups, len])?;
    let p = b.emit(
        Block::Hadamard,
        vec![e, rb],
        vec![groups, len],
        act + sr,
        "product",
    );
    Ok(b.rescale_to_activation(p))
}

/// Softmax: subtract the group max, exp table, sum, reciprocal table, product, rescale. The
/// axis is moved last by Copies when it is not (opset ≥ 13).
pub(crate) fn softmax(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let log = l.op_type == "LogSoftmax";
    if log && b.masked.contains_key(&x) {
        return np("LogSoftmax over masked scores (−∞ has no fixed-point value)");
    }
    let r = xs.len();
    let opset = b.g.opset();
    let ax = axis(l.int("axis").unwrap_or(if opset < 13 { 1 } else { -1 }), r)?;
    if opset < 13 || ax + 1 >= r {
        let len = xs[ax.min(r.saturating_sub(1))..].iter().product::<usize>();
        let mask = b.masked.get(&x).cloned();
        let y = softmax_groups(b, x, len, mask.as_deref(), log)?;
        b.prog.tensors[y].shape = xs.clone();
        return Ok(vec![(y, xs)]);
    }
    let (t, moved) = super::movement::axis_last(b, x, &xs, ax)?;
    let y = softmax_groups(b, t, xs[ax], None, log)?;
    let (y, _) = super::movement::axis_back(b, y, &moved, ax)?;
    Ok(vec![(y, xs)])
}

/// ReduceSum / ReduceMean: the reduced axes moved last by a Copy (if needed), SumGroups, and
/// for the mean a DivConst rounding half up.
pub(crate) fn reduce(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    let r = xs.len();
    let axes: Vec<i64> = match l.ints("axes") {
        Some(a) => a.to_vec(),
        None => match l.inputs.get(1).filter(|s| !s.is_empty()) {
            Some(_) => match b.const_input(l, 1).and_then(|c| c.as_i64()) {
                Some(v) => v.to_vec(),
                None => return np("reduction axes that are not constant"),
            },
            None => Vec::new(),
        },
    };
    let mut axes: Vec<usize> = axes.iter().map(|&a| axis(a, r)).collect::<LResult<_>>()?;
    if axes.is_empty() {
        if l.int("noop_with_empty_axes").unwrap_or(0) != 0 {
            return Ok(vec![(x, out)]);
        }
        axes = (0..r).collect();
    }
    axes.sort_unstable();
    axes.dedup();
    let mut perm: Vec<usize> = (0..r).filter(|i| !axes.contains(i)).collect();
    perm.extend(&axes);
    let moved: Vec<usize> = perm.iter().map(|&p| xs[p]).collect();
    let spec = WiringSpec::Transpose {
        shape: xs.clone(),
        perm,
    };
    let t = b.copy(vec![x], spec, moved, "axes_last")?;
    let len: usize = axes.iter().map(|&a| xs[a]).product();
    let s = b.scale(t);
    let shape = b.shape(t).to_vec();
    let sum = |b: &mut Builder, t: usize, s: u32| {
        b.emit(Block::SumGroups { len }, vec![t], out.clone(), s, "sum")
    };
    let y = match l.op_type.as_str() {
        "ReduceMean" => {
            let total = sum(b, t, s);
            b.div_const(total, len as i64, len as i64 / 2, "mean")
        }
        "ReduceMax" => b.emit(Block::MaxGroups { len }, vec![t], out.clone(), s, "max"),
        "ReduceMin" => {
            // min x = −max(−x)
            let neg = b.emit(Block::ScaleConst { k: -1 }, vec![t], shape, s, "negated");
            let m = b.emit(Block::MaxGroups { len }, vec![neg], out.clone(), s, "max");
            b.emit(Block::ScaleConst { k: -1 }, vec![m], out.clone(), s, "min")
        }
        "ReduceL1" => {
            let a = b.lookup(t, TableFn::Abs, s, None, "abs");
            sum(b, a, s)
        }
        "ReduceSumSquare" | "ReduceL2" => {
            let sq = b.emit(Block::Hadamard, vec![t, t], shape, 2 * s, "square");
            let sq = b.rescale_to_activation(sq);
            let ss = sum(b, sq, b.scale(sq));
            if l.op_type == "ReduceL2" {
                b.sqrt(ss)
            } else {
                ss
            }
        }
        _ => sum(b, t, s),
    };
    Ok(vec![(y, out)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(c: usize, hw: usize, k: usize, stride: usize, pad: usize) -> Window2d {
        let o = (hw + 2 * pad - k) / stride + 1;
        Window2d {
            n: 1,
            c,
            h: hw,
            w: hw,
            kh: k,
            kw: k,
            oh: o,
            ow: o,
            stride: (stride, stride),
            dilation: (1, 1),
            pad: (pad, pad),
        }
    }

    /// The choice between im2col and the convolution form: stride-1 kernels and depthwise layers
    /// take the form, 1×1 and strided dense layers im2col, and a depthwise layer whose dense W'
    /// would be beyond any domain never takes the form (it would allocate C²·K weights).
    #[test]
    fn convolution_form_is_chosen_by_size() {
        // (channels, side, kernel, stride, pad, output channels, depthwise, form chosen)
        for (c, hw, k, stride, pad, oc, depthwise, form) in [
            (16, 32, 3, 1, 1, 16, false, true),
            (16, 32, 1, 1, 0, 32, false, false),
            (16, 32, 3, 2, 1, 32, false, false),
            (96, 16, 3, 1, 1, 96, true, true),
            (96, 32, 3, 2, 1, 96, true, true),
            (65536, 3, 3, 1, 0, 65536, true, false),
            (960, 7, 3, 1, 1, 960, true, false),
        ] {
            let w = win(c, hw, k, stride, pad);
            assert_eq!(
                convolution_form_is_smaller(&w, oc, depthwise),
                form,
                "{w:?}, {oc} outputs"
            );
        }
    }
}
