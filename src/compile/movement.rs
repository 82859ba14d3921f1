//! Data movement whose wiring is a function of the output position: Pad (constant, reflect,
//! edge), Tile, Expand, DepthToSpace and SpaceToDepth. Each is one Copy (PROTOCOLS §4.5) whose
//! public wiring maps every output entry to an input entry or a public constant.

use super::builder::{np, Builder, LResult, Value};
use super::ir::TensorId;
use super::lower::{one, Outputs};
use super::wiring::{strides, WiringSpec};
use crate::blocks::copy::{Source, Wiring};
use crate::onnx::Layer;
use crate::quant;

/// The Copy of `x` (shape `xs`) to `out` where output multi-index `o` reads input multi-index
/// `source(o)`, or the constant `fill` (at x's scale) where `source` gives `None`.
pub(crate) fn map_copy(
    b: &mut Builder,
    x: TensorId,
    xs: &[usize],
    out: &[usize],
    fill: i64,
    what: &str,
    source: impl Fn(&[usize]) -> Option<Vec<usize>>,
) -> LResult<TensorId> {
    let total = out
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&t| t <= super::wiring::MAX_ENTRIES);
    let Some(total) = total else {
        return np(format!("{what} larger than any domain"));
    };
    if total == 0 || xs.contains(&0) {
        return np(format!("{what} of an empty tensor"));
    }
    let st = strides(xs);
    let mut idx = vec![0usize; out.len()];
    let mut output = Vec::with_capacity(total);
    for n in 0..total {
        let mut rest = n;
        for k in (0..out.len()).rev() {
            idx[k] = rest % out[k];
            rest /= out[k];
        }
        output.push(match source(&idx) {
            Some(i) if i.len() == xs.len() && i.iter().zip(xs).all(|(a, d)| a < d) => {
                Source::Input {
                    input: 0,
                    index: i.iter().zip(&st).map(|(a, s)| a * s).sum(),
                }
            }
            Some(_) => return np(format!("{what}: a position outside the input")),
            None => Source::Const(fill),
        });
    }
    let w = Wiring {
        input_lens: vec![xs.iter().product()],
        output,
    };
    b.copy(vec![x], WiringSpec::Explicit(w), out.to_vec(), what)
}

/// Integer values of a constant input, if it is one.
fn const_ints(b: &Builder, l: &Layer, i: usize) -> Option<Vec<i64>> {
    let c = b.const_input(l, i)?;
    match c.as_i64() {
        Some(v) => Some(v.to_vec()),
        None => Some(c.to_f32_vec().iter().map(|&v| v as i64).collect()),
    }
}

/// Pad: `pads` (input since opset 11, attribute before) as `[begin_0.., end_0..]` over `axes`
/// (opset 18; all axes by default); modes constant (the value quantized at x's scale), reflect
/// and edge. Negative pads crop.
pub(crate) fn pad(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    let r = xs.len();
    let pads = match const_ints(b, l, 1).or_else(|| l.ints("pads").map(<[i64]>::to_vec)) {
        Some(p) => p,
        None => return np("Pad with pads that are not constant"),
    };
    let axes: Vec<usize> = match const_ints(b, l, 3) {
        Some(a) => a
            .iter()
            .map(|&v| super::lower::axis(v, r))
            .collect::<LResult<_>>()?,
        None => (0..r).collect(),
    };
    if pads.len() != 2 * axes.len() {
        return np(format!(
            "Pad with {} pads for {} axes",
            pads.len(),
            axes.len()
        ));
    }
    let mut begin = vec![0i64; r];
    for (k, &a) in axes.iter().enumerate() {
        begin[a] = pads[k];
    }
    let value = match l.inputs.get(2).filter(|n| !n.is_empty()) {
        Some(_) => match b.const_input(l, 2).and_then(super::lower::scalar) {
            Some(v) => v,
            None => return np("Pad with a value that is not a constant scalar"),
        },
        None => l.float("value").unwrap_or(0.0),
    };
    let fill = quant::quantize(f64::from(value), b.scale(x), &format!("{} value", l.name))?;
    let mode = l.string("mode").unwrap_or("constant").to_string();
    let dims: Vec<i64> = xs.iter().map(|&d| d as i64).collect();
    let y = map_copy(b, x, &xs, &out, fill, "pad", |o| {
        let mut i = Vec::with_capacity(r);
        for k in 0..r {
            let (p, d) = (o[k] as i64 - begin[k], dims[k]);
            let v = if (0..d).contains(&p) {
                p
            } else {
                match mode.as_str() {
                    "edge" => p.clamp(0, d - 1),
                    "reflect" if d > 1 => {
                        let period = 2 * (d - 1);
                        let m = p.rem_euclid(period);
                        if m < d {
                            m
                        } else {
                            period - m
                        }
                    }
                    "reflect" => 0,
                    _ => return None,
                }
            };
            i.push(v as usize);
        }
        Some(i)
    })?;
    one(y, out)
}

/// Tile: output index `o_k` reads input index `o_k mod d_k`.
pub(crate) fn tile(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    if out.len() != xs.len() {
        return np("Tile with a rank change");
    }
    let dims = xs.clone();
    let y = map_copy(b, x, &xs, &out, 0, "tile", |o| {
        Some(o.iter().zip(&dims).map(|(a, d)| a % d).collect())
    })?;
    one(y, out)
}

/// Expand: numpy broadcasting to the constant target shape (the output's shape).
pub(crate) fn expand(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    if !matches!(b.value(&l.inputs[1])?, Value::Const(_)) {
        return np("Expand to a shape that is not constant");
    }
    let y = b.broadcast(x, &xs, &out)?;
    one(y, out)
}

/// DepthToSpace (DCR or CRD) and SpaceToDepth on `[n, c, h, w]` with block size s.
pub(crate) fn depth_space(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    let s = l.int("blocksize").unwrap_or(0);
    if s < 1 || xs.len() != 4 || out.len() != 4 {
        return np("DepthToSpace / SpaceToDepth of a tensor of rank other than 4");
    }
    let (c, oc) = (xs[1], out[1]);
    let s = s as usize;
    let crd = l.string("mode") == Some("CRD");
    let to_space = l.op_type == "DepthToSpace";
    let y = map_copy(b, x, &xs, &out, 0, "depth_space", |o| {
        let [n, ch, h, w] = [o[0], o[1], o[2], o[3]];
        Some(if to_space {
            // y[n, ch, h, w] = x[n, channel(ch, h % s, w % s), h / s, w / s]
            let (bh, bw) = (h % s, w % s);
            let cin = if crd {
                ch * s * s + bh * s + bw
            } else {
                (bh * s + bw) * oc + ch
            };
            vec![n, cin, h / s, w / s]
        } else {
            // y[n, (bh·s + bw)·c + ch, h, w] = x[n, ch, h·s + bh, w·s + bw]
            let (blk, cin) = (ch / c, ch % c);
            vec![n, cin, h * s + blk / s, w * s + blk % s]
        })
    })?;
    one(y, out)
}

/// Where output coordinate `o` of an axis resized from `len_in` to `len_out` by `scale` falls
/// in the input, by ONNX Resize's `coordinate_transformation_mode`.
fn resize_coordinate(
    mode: &str,
    o: usize,
    len_in: usize,
    len_out: usize,
    scale: f64,
) -> Option<f64> {
    let (o, li, lo) = (o as f64, len_in as f64, len_out as f64);
    Some(match mode {
        "half_pixel" => (o + 0.5) / scale - 0.5,
        "pytorch_half_pixel" if len_out > 1 => (o + 0.5) / scale - 0.5,
        "pytorch_half_pixel" => 0.0,
        "align_corners" if len_out > 1 => o * (li - 1.0) / (lo - 1.0),
        "align_corners" => 0.0,
        "asymmetric" => o / scale,
        "tf_half_pixel_for_nearest" => (o + 0.5) / scale,
        "half_pixel_symmetric" => {
            let adjustment = lo / (scale * li);
            let offset = li / 2.0 * (1.0 - adjustment);
            offset + (o + 0.5) / scale - 0.5
        }
        _ => return None,
    })
}

/// The input index nearest to coordinate `x`, by ONNX Resize's `nearest_mode`, clamped.
fn resize_nearest(mode: &str, x: f64, len_in: usize) -> Option<usize> {
    let i = match mode {
        "round_prefer_floor" if x.fract() == 0.5 || x.fract() == -0.5 => x.floor(),
        "round_prefer_ceil" if x.fract() == 0.5 || x.fract() == -0.5 => x.ceil(),
        "round_prefer_floor" | "round_prefer_ceil" => x.round(),
        "floor" => x.floor(),
        "ceil" => x.ceil(),
        _ => return None,
    };
    Some(i.clamp(0.0, len_in as f64 - 1.0) as usize)
}

/// Resize (and Upsample) in nearest mode with constant scales or sizes: one Copy whose output
/// entry reads the input entry ONNX's coordinate transformation and rounding pick. The scales
/// are those given (`scales`), else `out/in` per axis (`sizes`, or the inferred output shape).
pub(crate) fn resize(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    let r = xs.len();
    let mode = l.string("mode").unwrap_or("nearest");
    if mode != "nearest" {
        return np(format!("Resize in {mode} mode (nearest is lowered)"));
    }
    if out.len() != r {
        return np("Resize with a rank change");
    }
    if l.int("antialias").unwrap_or(0) != 0 && out.iter().zip(&xs).any(|(o, i)| o < i) {
        return np("Resize with antialias when downsampling");
    }
    let axes: Vec<usize> = match l.ints("axes") {
        Some(a) => a
            .iter()
            .map(|&v| super::lower::axis(v, r))
            .collect::<LResult<_>>()?,
        None => (0..r).collect(),
    };
    // Scales: input 1 (Upsample, and Resize before opset 11) or 2, or Upsample-7's attribute;
    // sizes: input 3. Either covers `axes`; the other axes keep scale 1.
    let scale_input = if l.op_type == "Upsample" || b.g.opset() < 11 {
        1
    } else {
        2
    };
    let present = |i: usize| l.inputs.get(i).is_some_and(|n| !n.is_empty());
    let constant = |i: usize| -> LResult<Option<Vec<f64>>> {
        if !present(i) {
            return Ok(None);
        }
        match b.const_input(l, i) {
            Some(c) if c.is_empty() => Ok(None),
            Some(c) => Ok(Some(c.to_f32_vec().iter().map(|&v| f64::from(v)).collect())),
            None => np("Resize with scales or sizes that are not constant"),
        }
    };
    let given_scales = match constant(scale_input)? {
        Some(v) => Some(v),
        None => l
            .floats("scales")
            .map(|v| v.iter().map(|&s| f64::from(s)).collect()),
    };
    let sizes = constant(3)?;
    let mut scales = vec![1.0f64; r];
    if let Some(g) = given_scales {
        if g.len() != axes.len() {
            return np("Resize with scales of the wrong length");
        }
        for (&a, s) in axes.iter().zip(g) {
            scales[a] = s;
        }
    } else if let Some(sz) = sizes {
        if sz.len() != axes.len() {
            return np("Resize with sizes of the wrong length");
        }
        let ratio: Vec<f64> = axes
            .iter()
            .zip(&sz)
            .map(|(&a, s)| s / xs[a] as f64)
            .collect();
        let policy = l.string("keep_aspect_ratio_policy").unwrap_or("stretch");
        let common = match policy {
            "stretch" => None,
            "not_larger" => ratio.iter().copied().reduce(f64::min),
            "not_smaller" => ratio.iter().copied().reduce(f64::max),
            other => return np(format!("Resize with keep_aspect_ratio_policy {other}")),
        };
        for (&a, q) in axes.iter().zip(ratio) {
            scales[a] = common.unwrap_or(q);
        }
    } else {
        return np("Resize with neither scales nor sizes");
    }
    if scales.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return np("Resize with a scale that is not positive");
    }
    let default_transform = if b.g.opset() < 11 {
        "asymmetric"
    } else {
        "half_pixel"
    };
    let transform = l
        .string("coordinate_transformation_mode")
        .unwrap_or(default_transform)
        .to_string();
    let default_nearest = if b.g.opset() < 11 {
        "floor"
    } else {
        "round_prefer_floor"
    };
    let nearest = l
        .string("nearest_mode")
        .unwrap_or(default_nearest)
        .to_string();
    // Per axis, the input index of every output index (so the mapping is checked up front).
    let mut maps: Vec<Vec<usize>> = Vec::with_capacity(r);
    for k in 0..r {
        let mut m = Vec::with_capacity(out[k]);
        for o in 0..out[k] {
            let Some(c) = resize_coordinate(&transform, o, xs[k], out[k], scales[k]) else {
                return np(format!(
                    "Resize with coordinate_transformation_mode {transform}"
                ));
            };
            let Some(i) = resize_nearest(&nearest, c, xs[k]) else {
                return np(format!("Resize with nearest_mode {nearest}"));
            };
            m.push(i);
        }
        maps.push(m);
    }
    let y = map_copy(b, x, &xs, &out, 0, "resize", |o| {
        Some(o.iter().zip(&maps).map(|(&i, m)| m[i]).collect())
    })?;
    one(y, out)
}
