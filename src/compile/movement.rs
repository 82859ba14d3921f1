//! Data movement whose wiring is a function of the output position: Pad (constant, reflect,
//! edge), Tile, Expand, DepthToSpace and SpaceToDepth. Each is one Copy (PROTOCOLS §4.5) whose
//! public wiring maps every output entry to an input entry or a public constant.

use super::builder::{np, Builder, LResult, Value};
use super::ir::{Block, TensorId};
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

/// `x` (shape `xs`) with axis `ax` moved last (one Copy, or `x` itself when it already is
/// last): for ops that work on consecutive groups (Softmax, ArgMax, TopK). Returns the tensor
/// and its shape.
pub(crate) fn axis_last(
    b: &mut Builder,
    x: TensorId,
    xs: &[usize],
    ax: usize,
) -> LResult<(TensorId, Vec<usize>)> {
    let mut perm: Vec<usize> = (0..xs.len()).filter(|&i| i != ax).collect();
    perm.push(ax);
    let moved: Vec<usize> = perm.iter().map(|&p| xs[p]).collect();
    let spec = WiringSpec::Transpose {
        shape: xs.to_vec(),
        perm,
    };
    let t = b.copy(vec![x], spec, moved.clone(), "axis_last")?;
    Ok((t, moved))
}

/// The inverse of [`axis_last`]: `y` (shape `moved`, the axis last) with its last axis put
/// back at `ax`. Returns the tensor and its shape.
pub(crate) fn axis_back(
    b: &mut Builder,
    y: TensorId,
    moved: &[usize],
    ax: usize,
) -> LResult<(TensorId, Vec<usize>)> {
    let r = moved.len();
    let mut perm: Vec<usize> = (0..r.saturating_sub(1)).collect();
    perm.insert(ax.min(perm.len()), r.saturating_sub(1));
    let shape: Vec<usize> = perm.iter().map(|&p| moved[p]).collect();
    let spec = WiringSpec::Transpose {
        shape: moved.to_vec(),
        perm,
    };
    let t = b.copy(vec![y], spec, shape.clone(), "axis_back")?;
    Ok((t, shape))
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

/// CumSum along a constant axis (`exclusive`, `reverse` as ONNX): Hillis–Steele prefix sums,
/// ⌈log₂ len⌉ rounds of `y ← y + shift(y, 2^r)` (a Copy with zero fill, an Add), after a shift
/// by one for `exclusive`. Exact integers at x's scale: no rescale, no table.
pub(crate) fn cumsum(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    if xs.is_empty() || xs.contains(&0) {
        return np("CumSum of an empty or rank-0 tensor");
    }
    let axis = match b.const_input(l, 1).map(|c| c.to_f32_vec()) {
        Some(v) if v.len() == 1 => super::lower::axis(v[0] as i64, xs.len())?,
        _ => return np("CumSum along an axis that is not a constant scalar"),
    };
    let reverse = l.int("reverse").unwrap_or(0) != 0;
    let len = xs[axis];
    let scale = b.scale(x);
    // Output position o reads o − k along the axis (o + k when reversed), else 0.
    let shift = |b: &mut Builder, t: TensorId, k: usize| {
        map_copy(b, t, &xs, &xs, 0, "cumsum_shift", |o| {
            let mut i = o.to_vec();
            i[axis] = match reverse {
                false => o[axis].checked_sub(k)?,
                true => Some(o[axis] + k).filter(|&j| j < len)?,
            };
            Some(i)
        })
    };
    let mut y = match l.int("exclusive").unwrap_or(0) != 0 {
        true => shift(b, x, 1)?,
        false => x,
    };
    let mut k = 1;
    while k < len {
        let s = shift(b, y, k)?;
        y = b.emit(Block::Add, vec![y, s], xs.clone(), scale, "cumsum");
        k *= 2;
    }
    one(y, xs)
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

/// An exact positive rational `num/den` (a Resize scale: `out/in` from sizes, or the exact
/// value of an f32 scale).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Ratio {
    num: i128,
    den: i128,
}

impl Ratio {
    /// The exact value of a finite positive f32, or `None` (not positive, or beyond 2^±60).
    fn of_f32(v: f32) -> Option<Ratio> {
        if !(v.is_finite() && v > 0.0) {
            return None;
        }
        let bits = v.to_bits();
        let exp = ((bits >> 23) & 0xff) as i32;
        let (mantissa, e) = match exp {
            0 => (i128::from(bits & 0x7f_ffff), -149),
            _ => (i128::from((bits & 0x7f_ffff) | 0x80_0000), exp - 150),
        };
        if !(-60..=60).contains(&e) {
            return None;
        }
        Some(match e >= 0 {
            true => Ratio {
                num: mantissa << e,
                den: 1,
            },
            false => Ratio {
                num: mantissa,
                den: 1 << -e,
            },
        })
    }

    fn of_sizes(out: usize, input: usize) -> Ratio {
        Ratio {
            num: out as i128,
            den: input.max(1) as i128,
        }
    }
}

/// Where output coordinate `o` of an axis resized from `len_in` to `len_out` by `scale` falls
/// in the input, by ONNX Resize's `coordinate_transformation_mode`, as an exact fraction
/// `(p, q)`, q > 0 (no floating-point rounding can move a coordinate across a boundary).
fn resize_coordinate(
    mode: &str,
    o: usize,
    len_in: usize,
    len_out: usize,
    s: Ratio,
) -> Option<(i128, i128)> {
    let (o, li, lo) = (o as i128, len_in as i128, len_out as i128);
    let (n, d) = (s.num, s.den);
    Some(match mode {
        // (o + ½)/s − ½
        "half_pixel" => ((2 * o + 1) * d - n, 2 * n),
        "pytorch_half_pixel" if len_out > 1 => ((2 * o + 1) * d - n, 2 * n),
        "pytorch_half_pixel" => (0, 1),
        // o·(len_in − 1)/(len_out − 1), with the integer output length as onnxruntime and
        // PyTorch (ONNX's reference takes the unfloored len_in·s: `resize_linear` refuses the
        // linear cases where the two differ)
        "align_corners" if len_out > 1 => (o * (li - 1), lo - 1),
        "align_corners" => (0, 1),
        // o/s
        "asymmetric" => (o * d, n),
        // (o + ½)/s
        "tf_half_pixel_for_nearest" => ((2 * o + 1) * d, 2 * n),
        // len_in/2·(1 − len_out/(s·len_in)) + (o + ½)/s − ½ = ((len_in − 1)·s + 2o + 1 − len_out)/(2s)
        "half_pixel_symmetric" => ((li - 1) * n + (2 * o + 1 - lo) * d, 2 * n),
        _ => return None,
    })
}

/// The input index nearest to coordinate `p/q` by ONNX Resize's `nearest_mode`, clamped.
fn resize_nearest(mode: &str, (p, q): (i128, i128), len_in: usize) -> Option<usize> {
    let floor = p.div_euclid(q);
    let ceil = -(-p).div_euclid(q);
    let half = 2 * p.rem_euclid(q) == q;
    let nearest = (2 * p + q).div_euclid(2 * q); // round half up
    let i = match mode {
        "round_prefer_floor" if half => floor,
        "round_prefer_ceil" if half => ceil,
        "round_prefer_floor" | "round_prefer_ceil" => nearest,
        "floor" => floor,
        "ceil" => ceil,
        _ => return None,
    };
    Some(i.clamp(0, len_in as i128 - 1) as usize)
}

/// Resize in nearest mode with constant scales or sizes: one Copy whose output entry reads the
/// input entry ONNX's coordinate transformation and rounding pick, computed exactly. The scales
/// are those given (`scales`, exactly as f32), else `size/in` per axis (`sizes`, with
/// `keep_aspect_ratio_policy`). Before opset 11 (Resize-10): `asymmetric`, rounding down when
/// upsampling and up when downsampling, as onnxruntime and the opset-10 node tests do.
pub(crate) fn resize(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let (x, xs) = b.act_input(l, 0)?;
    let out = b.out_shape(l, 0)?;
    if xs.is_empty() || xs.contains(&0) || out.contains(&0) {
        return np("Resize of an empty or rank-0 tensor");
    }
    let r = xs.len();
    let mode = l.string("mode").unwrap_or("nearest");
    if mode != "nearest" && mode != "linear" {
        return np(format!(
            "Resize in {mode} mode (nearest and linear are lowered)"
        ));
    }
    if out.len() != r {
        return np("Resize with a rank change");
    }
    let total = out
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&t| t <= super::wiring::MAX_ENTRIES);
    if total.is_none() {
        return np("Resize output larger than any domain");
    }
    let axes: Vec<usize> = match l.ints("axes") {
        Some(a) => a
            .iter()
            .map(|&v| super::lower::axis(v, r))
            .collect::<LResult<_>>()?,
        None => (0..r).collect(),
    };
    let opset10 = b.g.opset() < 11;
    let scale_input = if opset10 { 1 } else { 2 };
    let present = |i: usize| l.inputs.get(i).is_some_and(|n| !n.is_empty());
    let constant = |i: usize| -> LResult<Option<Vec<f32>>> {
        if !present(i) {
            return Ok(None);
        }
        match b.const_input(l, i) {
            Some(c) if c.is_empty() => Ok(None),
            Some(c) => Ok(Some(c.to_f32_vec())),
            None => np("Resize with scales or sizes that are not constant"),
        }
    };
    let mut scales = vec![Ratio { num: 1, den: 1 }; r];
    if let Some(g) = constant(scale_input)? {
        if g.len() != axes.len() {
            return np("Resize with scales of the wrong length");
        }
        for (&a, v) in axes.iter().zip(g) {
            scales[a] = match Ratio::of_f32(v) {
                Some(q) => q,
                None => return np(format!("Resize with scale {v}")),
            };
        }
    } else if let Some(sz) = constant(3)? {
        if sz.len() != axes.len() {
            return np("Resize with sizes of the wrong length");
        }
        let ratios: Vec<Ratio> = axes
            .iter()
            .zip(&sz)
            .map(|(&a, &v)| Ratio::of_sizes(v.max(0.0) as usize, xs[a]))
            .collect();
        // not_larger: the smallest ratio (a/b < c/d ⇔ a·d < c·b), not_smaller the largest.
        let pick = |want_smaller: bool| {
            ratios.iter().copied().reduce(|p, q| {
                let p_smaller = p.num * q.den < q.num * p.den;
                if p_smaller == want_smaller {
                    p
                } else {
                    q
                }
            })
        };
        let common = match l.string("keep_aspect_ratio_policy").unwrap_or("stretch") {
            "stretch" => None,
            "not_larger" => pick(true),
            "not_smaller" => pick(false),
            other => return np(format!("Resize with keep_aspect_ratio_policy {other}")),
        };
        for (&a, q) in axes.iter().zip(ratios) {
            scales[a] = common.unwrap_or(q);
        }
    } else {
        return np("Resize with neither scales nor sizes");
    }
    let transform = match opset10 {
        true => "asymmetric".to_string(),
        false => l
            .string("coordinate_transformation_mode")
            .unwrap_or("half_pixel")
            .to_string(),
    };
    if mode == "linear" {
        if l.int("antialias").unwrap_or(0) != 0 && scales.iter().any(|q| q.num < q.den) {
            return np("Resize downsampling with antialias");
        }
        if transform == "tf_half_pixel_for_nearest" {
            return np("Resize in linear mode with tf_half_pixel_for_nearest");
        }
        // align_corners where len_in·scale is not the output length: onnxruntime and PyTorch
        // divide by the integer length, ONNX's reference by the unfloored one.
        let ambiguous = |k: usize| {
            let s = scales[k];
            xs[k] as i128 * s.num != out[k] as i128 * s.den
        };
        if transform == "align_corners" && (0..r).any(ambiguous) {
            return np(
                "Resize align_corners with a scale whose resized length is not an integer \
                 (onnxruntime and the ONNX reference disagree there; give sizes instead)",
            );
        }
        let y = resize_linear(b, x, &xs, &out, &scales, &transform)?;
        return one(y, out);
    }
    let nearest = l
        .string("nearest_mode")
        .unwrap_or("round_prefer_floor")
        .to_string();
    // Per axis, the input index of every output index (so the mapping is checked up front).
    let mut maps: Vec<Vec<usize>> = Vec::with_capacity(r);
    for k in 0..r {
        let rounding = match opset10 {
            true if scales[k].num < scales[k].den => "ceil",
            true => "floor",
            false => nearest.as_str(),
        };
        let mut m = Vec::with_capacity(out[k]);
        for o in 0..out[k] {
            let Some(c) = resize_coordinate(&transform, o, xs[k], out[k], scales[k]) else {
                return np(format!(
                    "Resize with coordinate_transformation_mode {transform}"
                ));
            };
            let Some(i) = resize_nearest(rounding, c, xs[k]) else {
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

/// Largest fixed-point precision of a linear interpolation weight (a 2^12-row remainder table
/// for the rescale after it).
const INTERPOLATION_BITS: u32 = 12;

/// Resize in linear mode (bilinear, trilinear, ...: one axis at a time). Along axis k, output
/// index o sits at the exact input coordinate c = p/q of the coordinate transformation; with
/// i₀ = clamp(⌊c⌋), i₁ = clamp(⌊c⌋ + 1) (edge clamping, as onnxruntime) and the public weight
/// w = (c − ⌊c⌋)·2^F, `y = ⌊(2^F·x[i₀] + w·(x[i₁] − x[i₀]) + 2^(F−1)) / 2^F⌋`: two Copies, a Sub,
/// a Hadamard with a public constant (the weights, a Copy's constants), a ScaleConst, an Add
/// and a rescale. F is the least precision at which every weight is exact (scale 2 with
/// half_pixel: F = 2), else 12 with the weight rounded, an error below 2^-13·|x[i₁] − x[i₀]|.
/// An axis the transformation maps onto itself is skipped; one whose weights are all 0 is
/// only the Copy of x[i₀].
fn resize_linear(
    b: &mut Builder,
    x: TensorId,
    xs: &[usize],
    out: &[usize],
    scales: &[Ratio],
    transform: &str,
) -> LResult<TensorId> {
    let sx = b.scale(x);
    let (mut cur, mut shape) = (x, xs.to_vec());
    for k in 0..xs.len() {
        // (i₀, i₁, c − ⌊c⌋ as r/q) per output index along k.
        let mut taps = Vec::with_capacity(out[k]);
        for o in 0..out[k] {
            let Some((p, q)) = resize_coordinate(transform, o, xs[k], out[k], scales[k]) else {
                return np(format!(
                    "Resize with coordinate_transformation_mode {transform}"
                ));
            };
            if q <= 0 {
                return np("Resize with a degenerate scale");
            }
            let last = xs[k] as i128 - 1;
            let f = p.div_euclid(q);
            let clamp = |i: i128| i.clamp(0, last) as usize;
            taps.push((clamp(f), clamp(f + 1), p.rem_euclid(q), q));
        }
        let moves = |t: &(usize, usize, i128, i128)| t.2 != 0 && t.0 != t.1;
        if out[k] == xs[k] && taps.iter().enumerate().all(|(o, t)| t.0 == o && !moves(t)) {
            continue;
        }
        let mut next = shape.clone();
        next[k] = out[k];
        let pick = |b: &mut Builder, cur: TensorId, hi: bool, what: &str| {
            map_copy(b, cur, &shape, &next, 0, what, |o| {
                let mut i = o.to_vec();
                let t = &taps[o[k]];
                i[k] = if hi { t.1 } else { t.0 };
                Some(i)
            })
        };
        let lo = pick(b, cur, false, "resize_low")?;
        if !taps.iter().any(moves) {
            (cur, shape) = (lo, next);
            continue;
        }
        let hi = pick(b, cur, true, "resize_high")?;
        // (A clamped edge tap, i₀ = i₁, needs no weight: its w is irrelevant.)
        let bits = (0..=INTERPOLATION_BITS)
            .find(|&f| taps.iter().all(|t| !moves(t) || (t.2 << f) % t.3 == 0))
            .unwrap_or(INTERPOLATION_BITS);
        // w = round(r/q · 2^F), half up.
        let weight =
            |t: &(usize, usize, i128, i128)| ((2 * (t.2 << bits) + t.3) / (2 * t.3)) as i64;
        let st = strides(&next);
        let total: usize = next.iter().product();
        let weights: Vec<i64> = (0..total)
            .map(|n| weight(&taps[(n / st[k]) % next[k]]))
            .collect();
        let w = b.public_constants(x, weights, next.clone(), "resize_weight")?;
        b.prog.tensors[w].scale_bits = bits;
        let delta = b.emit(Block::Sub, vec![hi, lo], next.clone(), sx, "resize_delta");
        let step = b.emit(
            Block::Hadamard,
            vec![delta, w],
            next.clone(),
            sx + bits,
            "resize_step",
        );
        let base = b.emit(
            Block::ScaleConst {
                k: quant::pow2(bits),
            },
            vec![lo],
            next.clone(),
            sx + bits,
            "resize_base",
        );
        let sum = b.emit(
            Block::Add,
            vec![base, step],
            next.clone(),
            sx + bits,
            "resize_sum",
        );
        cur = b.rescale(sum, bits);
        shape = next;
    }
    Ok(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact coordinates: 7 → 9 entries, half_pixel, output 4 is exactly 3.0 (f64 gives
    /// 2.9999999999999996 and floor 2); scale 0.5 from an f32 is exactly ½.
    #[test]
    fn resize_coordinates_are_exact() {
        let s = Ratio::of_sizes(9, 7);
        let c = resize_coordinate("half_pixel", 4, 7, 9, s).unwrap();
        assert_eq!(resize_nearest("floor", c, 7), Some(3));
        let half = Ratio::of_f32(0.5).unwrap();
        assert_eq!(half.num * 2, half.den);
        // Downsampling by 2, half_pixel: coordinate 2o + ½ exactly, round_prefer_floor → 2o.
        for o in 0..4 {
            let c = resize_coordinate("half_pixel", o, 8, 4, half).unwrap();
            assert_eq!(resize_nearest("round_prefer_floor", c, 8), Some(2 * o));
            assert_eq!(resize_nearest("round_prefer_ceil", c, 8), Some(2 * o + 1));
        }
        assert_eq!(Ratio::of_f32(0.0), None);
        assert_eq!(Ratio::of_f32(f32::NAN), None);
        assert_eq!(Ratio::of_f32(1e30), None);
        assert_eq!(resize_coordinate("tf_crop_and_resize", 0, 2, 2, half), None);
    }
}
