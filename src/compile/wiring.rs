//! Copy wirings for data movement: transpose, broadcast, concat, im2col, pooling windows.
//!
//! Every function returns a [`Wiring`] whose output is the moved tensor in row-major order. The
//! program keeps a copy's wiring as a [`WiringSpec`] — the generator and its few parameters —
//! which is what the verifying key's architecture carries: a verifier expands it to recompute
//! the copy key's public columns (an expanded im2col wiring is megabytes, its spec a line).

use crate::blocks::copy::{Source, Wiring};
use crate::error::{Error, Result};

/// Largest number of entries a wiring described by a spec may move (the largest domain).
pub(crate) const MAX_ENTRIES: usize = 1 << crate::srs::MAX_POWER;

/// A copy's wiring as the compiler chose it: a generator and its parameters. Expanding it is
/// checked (every parameter bounded, every index in range), so a spec read from an untrusted
/// key can only fail, never panic or allocate without bound.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WiringSpec {
    /// ONNX Transpose of a tensor of `shape`: output axis k is input axis `perm[k]`.
    Transpose {
        /// Input shape.
        shape: Vec<usize>,
        /// The permutation.
        perm: Vec<usize>,
    },
    /// Numpy broadcasting of `from` to `to`.
    Broadcast {
        /// Input shape.
        from: Vec<usize>,
        /// Output shape.
        to: Vec<usize>,
    },
    /// Concat of tensors of these shapes along `axis`.
    Concat {
        /// Input shapes (equal except along the axis).
        shapes: Vec<Vec<usize>>,
        /// The axis.
        axis: usize,
    },
    /// im2col of a 2-D window.
    Im2col(Window2d),
    /// Pooling windows, padding reading `pad` (or the window's first valid entry).
    PoolWindows {
        /// The window.
        window: Window2d,
        /// The padding constant.
        pad: Option<i64>,
    },
    /// The input `[n, c, h, w]` laid out for the convolution form of the product: the padded
    /// grid `[n, hp, wp, c]` (positions × channels, [`Window2d::padded_grid`]), zeros in the
    /// padding.
    PaddedRows(Window2d),
    /// The convolution form's output `[oc, n·hp·wp + reach]` read at the window anchors into
    /// `[n, oc, oh, ow]`.
    ConvAnchors {
        /// The window (its `c` is the input's channels).
        window: Window2d,
        /// Output channels.
        oc: usize,
    },
    /// `[n·pixels, oc]` rows of output pixels moved to `[n, oc, pixels]`.
    PixelsToChannels {
        /// Batch.
        n: usize,
        /// Output pixels per image.
        pixels: usize,
        /// Output channels.
        oc: usize,
    },
    /// Any other wiring, spelled out entry by entry.
    Explicit(Wiring),
}

/// The number of entries of `shape`, which must have no zero dimension (an empty tensor moves
/// nothing, and a zero would hide arbitrarily large other dimensions from the bound) and fit
/// the largest domain — so every loop over a spec's entries is bounded by the domain.
fn entries(shape: &[usize]) -> Result<usize> {
    if shape.contains(&0) {
        return Err(bad_spec(format!("shape {shape:?} has an empty dimension")));
    }
    shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= MAX_ENTRIES)
        .ok_or_else(|| bad_spec(format!("shape {shape:?} is larger than any domain")))
}

fn bad_spec(reason: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("invalid copy wiring: {reason}"))
}

impl WiringSpec {
    /// The wiring, after checking the parameters.
    pub fn expand(&self) -> Result<Wiring> {
        let w = match self {
            WiringSpec::Transpose { shape, perm } => {
                entries(shape)?;
                let mut seen = vec![false; shape.len()];
                if perm.len() != shape.len()
                    || !perm
                        .iter()
                        .all(|&p| p < seen.len() && !std::mem::replace(&mut seen[p], true))
                {
                    return Err(bad_spec(format!(
                        "{perm:?} is not a permutation of {shape:?}"
                    )));
                }
                transpose(shape, perm)
            }
            WiringSpec::Broadcast { from, to } => {
                entries(from)?;
                entries(to)?;
                broadcast(from, to)
                    .ok_or_else(|| bad_spec(format!("{from:?} does not broadcast to {to:?}")))?
            }
            WiringSpec::Concat { shapes, axis } => {
                let first = shapes
                    .first()
                    .ok_or_else(|| bad_spec("concat of nothing"))?;
                let agree = shapes.iter().all(|s| {
                    s.len() == first.len()
                        && s.iter()
                            .zip(first)
                            .enumerate()
                            .all(|(i, (a, b))| i == *axis || a == b)
                });
                if *axis >= first.len() || !agree {
                    return Err(bad_spec(format!("concat of {shapes:?} along axis {axis}")));
                }
                let total = shapes.iter().try_fold(0usize, |acc, s| {
                    entries(s).ok().and_then(|n| acc.checked_add(n))
                });
                if total.is_none_or(|t| t > MAX_ENTRIES) {
                    return Err(bad_spec("concat larger than any domain"));
                }
                concat(shapes, *axis)
            }
            WiringSpec::Im2col(win) => {
                win.check()?;
                win.im2col()
            }
            WiringSpec::PoolWindows { window, pad } => {
                window.check()?;
                window
                    .pool_windows(*pad)
                    .ok_or_else(|| bad_spec("a pooling window lies entirely in the padding"))?
            }
            WiringSpec::PaddedRows(win) => {
                win.check_padded(1)?;
                win.padded_rows()
            }
            WiringSpec::ConvAnchors { window, oc } => {
                window.check_padded(*oc)?;
                window.conv_anchors(*oc)
            }
            WiringSpec::PixelsToChannels { n, pixels, oc } => {
                entries(&[*n, *pixels, *oc])?;
                pixels_to_channels(*n, *pixels, *oc)
            }
            WiringSpec::Explicit(w) => {
                if w.output.len() > MAX_ENTRIES
                    || w.input_lens.iter().any(|&l| l > MAX_ENTRIES)
                    || w.input_lens.len() > 64
                {
                    return Err(bad_spec("an explicit wiring larger than any domain"));
                }
                w.clone()
            }
        };
        w.validate()?;
        Ok(w)
    }

    /// Number of output entries (without expanding).
    pub fn output_len(&self) -> usize {
        let prod = |s: &[usize]| s.iter().fold(1usize, |a, &d| a.saturating_mul(d));
        match self {
            WiringSpec::Transpose { shape, .. } => prod(shape),
            WiringSpec::Broadcast { to, .. } => prod(to),
            WiringSpec::Concat { shapes, .. } => {
                shapes.iter().fold(0usize, |a, s| a.saturating_add(prod(s)))
            }
            WiringSpec::Im2col(w) | WiringSpec::PoolWindows { window: w, .. } => {
                prod(&[w.n, w.oh, w.ow, w.c, w.kh, w.kw])
            }
            WiringSpec::PaddedRows(w) => {
                let (hp, wp) = w.padded_grid();
                prod(&[w.n, hp, wp, w.c])
            }
            WiringSpec::ConvAnchors { window: w, oc } => prod(&[w.n, *oc, w.oh, w.ow]),
            WiringSpec::PixelsToChannels { n, pixels, oc } => prod(&[*n, *pixels, *oc]),
            WiringSpec::Explicit(w) => w.output.len(),
        }
    }
}

/// Row-major strides of a shape.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// The multi-index of flat position `flat` in `shape`.
fn unravel(mut flat: usize, shape: &[usize], out: &mut [usize]) {
    for i in (0..shape.len()).rev() {
        let d = shape[i].max(1);
        out[i] = flat % d;
        flat /= d;
    }
}

fn input(index: usize) -> Source {
    Source::Input { input: 0, index }
}

/// Whether the wiring copies its only input unchanged (then no block is needed).
pub fn is_identity(w: &Wiring) -> bool {
    w.input_lens.len() == 1
        && w.input_lens[0] == w.output.len()
        && w.output.iter().enumerate().all(|(j, s)| *s == input(j))
}

/// ONNX Transpose: output axis k is input axis `perm[k]`.
pub fn transpose(shape: &[usize], perm: &[usize]) -> Wiring {
    let in_strides = strides(shape);
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let n: usize = shape.iter().product();
    let mut idx = vec![0; shape.len()];
    let output = (0..n)
        .map(|j| {
            unravel(j, &out_shape, &mut idx);
            input(
                perm.iter()
                    .zip(&idx)
                    .map(|(&p, &i)| i * in_strides[p])
                    .sum(),
            )
        })
        .collect();
    Wiring {
        input_lens: vec![n],
        output,
    }
}

/// The values `v` of a tensor of `shape`, transposed by `perm` (ONNX Transpose), as a new
/// row-major vector: for constants, which are permuted at compile time rather than copied.
pub fn permute_values<T: Copy + Default>(v: &[T], shape: &[usize], perm: &[usize]) -> Vec<T> {
    transpose(shape, perm)
        .output
        .iter()
        .map(|s| match *s {
            Source::Input { index, .. } => v.get(index).copied().unwrap_or_default(),
            Source::Const(_) => T::default(),
        })
        .collect()
}

/// Numpy broadcasting of `from` to `to`, or `None` if the shapes are incompatible.
pub fn broadcast(from: &[usize], to: &[usize]) -> Option<Wiring> {
    if from.len() > to.len() {
        return None;
    }
    let pad = to.len() - from.len();
    let mut padded = vec![1; pad];
    padded.extend_from_slice(from);
    for (f, t) in padded.iter().zip(to) {
        if *f != 1 && f != t {
            return None;
        }
    }
    let in_strides = strides(&padded);
    let n: usize = to.iter().product();
    let mut idx = vec![0; to.len()];
    let output = (0..n)
        .map(|j| {
            unravel(j, to, &mut idx);
            input(
                idx.iter()
                    .zip(&padded)
                    .zip(&in_strides)
                    .map(|((&i, &d), &s)| if d == 1 { 0 } else { i * s })
                    .sum(),
            )
        })
        .collect();
    Some(Wiring {
        input_lens: vec![from.iter().product()],
        output,
    })
}

/// ONNX Concat of tensors with these shapes along `axis` (shapes agree elsewhere).
pub fn concat(shapes: &[Vec<usize>], axis: usize) -> Wiring {
    let outer: usize = shapes[0][..axis].iter().product();
    let inner: usize = shapes[0][axis + 1..].iter().product();
    let mut output = Vec::new();
    for o in 0..outer {
        for (k, s) in shapes.iter().enumerate() {
            let block = s[axis] * inner;
            for e in 0..block {
                output.push(Source::Input {
                    input: k,
                    index: o * block + e,
                });
            }
        }
    }
    Wiring {
        input_lens: shapes.iter().map(|s| s.iter().product()).collect(),
        output,
    }
}

/// A 2-D sliding window over an `[n, c, h, w]` tensor (Conv and pooling).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window2d {
    /// Batch.
    pub n: usize,
    /// Channels.
    pub c: usize,
    /// Input height and width.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Output height.
    pub oh: usize,
    /// Output width.
    pub ow: usize,
    /// Strides (height, width).
    pub stride: (usize, usize),
    /// Dilations (height, width).
    pub dilation: (usize, usize),
    /// Padding before (top, left).
    pub pad: (usize, usize),
}

impl Window2d {
    /// Every dimension bounded so that no index computation can overflow and the moved tensors
    /// fit a domain.
    fn check(&self) -> Result<()> {
        self.check_bounds()?;
        entries(&[self.n, self.oh, self.ow, self.c, self.kh, self.kw])?;
        Ok(())
    }

    /// Every dimension nonzero (padding aside) and at most `MAX_ENTRIES`, and the input within
    /// the largest domain: what every window computation needs, without the im2col matrix's
    /// size (the convolution form never builds it).
    fn check_bounds(&self) -> Result<()> {
        let all = [
            self.n,
            self.c,
            self.h,
            self.w,
            self.kh,
            self.kw,
            self.oh,
            self.ow,
            self.stride.0,
            self.stride.1,
            self.dilation.0,
            self.dilation.1,
            self.pad.0,
            self.pad.1,
        ];
        if all.iter().any(|&d| d > MAX_ENTRIES) || all[..12].contains(&0) {
            return Err(bad_spec(format!("window {self:?} out of range")));
        }
        entries(&[self.n, self.c, self.h, self.w])?;
        Ok(())
    }

    /// The padded grid (hp, wp) of the convolution form: the input after the leading padding,
    /// extended (with zeros) until the last window fits.
    pub fn padded_grid(&self) -> (usize, usize) {
        // (Saturating: the lowering asks before the window is checked.)
        let last = |o: usize, s: usize, k: usize, d: usize| {
            (o.saturating_sub(1).saturating_mul(s))
                .saturating_add(k.saturating_sub(1).saturating_mul(d))
                .saturating_add(1)
        };
        (
            (self.h.saturating_add(self.pad.0)).max(last(
                self.oh,
                self.stride.0,
                self.kh,
                self.dilation.0,
            )),
            (self.w.saturating_add(self.pad.1)).max(last(
                self.ow,
                self.stride.1,
                self.kw,
                self.dilation.1,
            )),
        )
    }

    /// The taps of the convolution form over the padded grid.
    pub fn taps(&self) -> crate::blocks::matmul::Taps {
        crate::blocks::matmul::Taps {
            kh: self.kh,
            kw: self.kw,
            dil_h: self.dilation.0,
            dil_w: self.dilation.1,
            row_len: self.padded_grid().1,
        }
    }

    /// Positions of the padded grid over the batch: `n·hp·wp`.
    pub fn positions(&self) -> usize {
        let (hp, wp) = self.padded_grid();
        self.n.saturating_mul(hp).saturating_mul(wp)
    }

    /// [`Window2d::check_bounds`], and the padded input, the convolution form's full output
    /// (`oc` channels) and the convolution's output within the largest domain. Not limited by
    /// the im2col matrix's size, which this form never builds.
    fn check_padded(&self, oc: usize) -> Result<()> {
        self.check_bounds()?;
        let (hp, wp) = self.padded_grid();
        let grid = entries(&[self.n, hp, wp])?;
        entries(&[grid, self.c])?;
        let reach = self.taps().reach();
        entries(&[grid.saturating_add(reach), oc])?;
        entries(&[self.n, oc, self.oh, self.ow])?;
        Ok(())
    }

    /// [`WiringSpec::PaddedRows`]: entry (b, y, x, ch) of the padded grid reads input
    /// (b, ch, y − top, x − left), or 0 outside the input.
    pub fn padded_rows(&self) -> Wiring {
        let (hp, wp) = self.padded_grid();
        let mut output = Vec::with_capacity(self.n * hp * wp * self.c);
        for b in 0..self.n {
            for y in 0..hp {
                for x in 0..wp {
                    let iy = y.checked_sub(self.pad.0).filter(|&v| v < self.h);
                    let ix = x.checked_sub(self.pad.1).filter(|&v| v < self.w);
                    for ch in 0..self.c {
                        output.push(match (iy, ix) {
                            (Some(iy), Some(ix)) => {
                                input(((b * self.c + ch) * self.h + iy) * self.w + ix)
                            }
                            _ => Source::Const(0),
                        });
                    }
                }
            }
        }
        Wiring {
            input_lens: vec![self.n * self.c * self.h * self.w],
            output,
        }
    }

    /// [`WiringSpec::ConvAnchors`]: output (b, o, y, x) reads the full-convolution sum of
    /// channel o at the anchor `b·hp·wp + y·sh·wp + x·sw`, entry `o·(n·hp·wp + reach) +
    /// anchor + reach` of the product's output.
    pub fn conv_anchors(&self, oc: usize) -> Wiring {
        let (hp, wp) = self.padded_grid();
        let reach = self.taps().reach();
        let block = self.n * hp * wp + reach;
        let mut output = Vec::with_capacity(self.n * oc * self.oh * self.ow);
        for b in 0..self.n {
            for o in 0..oc {
                for y in 0..self.oh {
                    for x in 0..self.ow {
                        let anchor = b * hp * wp + y * self.stride.0 * wp + x * self.stride.1;
                        output.push(input(o * block + anchor + reach));
                    }
                }
            }
        }
        Wiring {
            input_lens: vec![oc * block],
            output,
        }
    }

    /// The input position (flat index) read by kernel tap (ki, kj) of output pixel (y, x) of
    /// channel `ch` in batch `b`, or `None` in the padding.
    fn tap(&self, b: usize, ch: usize, y: usize, x: usize, ki: usize, kj: usize) -> Option<usize> {
        let iy = (y * self.stride.0 + ki * self.dilation.0).checked_sub(self.pad.0)?;
        let ix = (x * self.stride.1 + kj * self.dilation.1).checked_sub(self.pad.1)?;
        (iy < self.h && ix < self.w).then(|| ((b * self.c + ch) * self.h + iy) * self.w + ix)
    }

    /// Whether tap (ki, kj) of output pixel (y, x) lies inside the padded input
    /// (`pad_end` = padding after: bottom, right).
    pub fn in_padded(
        &self,
        y: usize,
        x: usize,
        ki: usize,
        kj: usize,
        pad_end: (usize, usize),
    ) -> bool {
        let iy = y * self.stride.0 + ki * self.dilation.0;
        let ix = x * self.stride.1 + kj * self.dilation.1;
        iy < self.h + self.pad.0 + pad_end.0 && ix < self.w + self.pad.1 + pad_end.1
    }

    /// im2col: a `[n·oh·ow, c·kh·kw]` matrix whose row for output pixel (b, y, x) holds the
    /// window over every channel (column order c, ki, kj, as the flattened Conv weight);
    /// padding reads the constant 0.
    pub fn im2col(&self) -> Wiring {
        let mut output =
            Vec::with_capacity(self.n * self.oh * self.ow * self.c * self.kh * self.kw);
        for b in 0..self.n {
            for y in 0..self.oh {
                for x in 0..self.ow {
                    for ch in 0..self.c {
                        for ki in 0..self.kh {
                            for kj in 0..self.kw {
                                output.push(match self.tap(b, ch, y, x, ki, kj) {
                                    Some(i) => input(i),
                                    None => Source::Const(0),
                                });
                            }
                        }
                    }
                }
            }
        }
        Wiring {
            input_lens: vec![self.n * self.c * self.h * self.w],
            output,
        }
    }

    /// Pooling windows: a `[n·c·oh·ow, kh·kw]` matrix, one row per output entry in NCHW order.
    /// Taps in the padding read `pad` when given (average pooling), otherwise a copy of the
    /// window's first valid entry, which leaves its maximum unchanged (max pooling). `None` if
    /// some window has no valid entry.
    pub fn pool_windows(&self, pad: Option<i64>) -> Option<Wiring> {
        let mut output =
            Vec::with_capacity(self.n * self.c * self.oh * self.ow * self.kh * self.kw);
        for b in 0..self.n {
            for ch in 0..self.c {
                for y in 0..self.oh {
                    for x in 0..self.ow {
                        let taps: Vec<Option<usize>> = (0..self.kh)
                            .flat_map(|ki| (0..self.kw).map(move |kj| (ki, kj)))
                            .map(|(ki, kj)| self.tap(b, ch, y, x, ki, kj))
                            .collect();
                        let first = taps.iter().flatten().next().copied();
                        for t in taps {
                            output.push(match (t, pad) {
                                (Some(i), _) => input(i),
                                (None, Some(v)) => Source::Const(v),
                                (None, None) => input(first?),
                            });
                        }
                    }
                }
            }
        }
        Some(Wiring {
            input_lens: vec![self.n * self.c * self.h * self.w],
            output,
        })
    }

    /// Number of valid (non-padding) taps of every window, NCHW-independent (per pixel).
    pub fn valid_counts(&self) -> Vec<usize> {
        let mut counts = Vec::with_capacity(self.oh * self.ow);
        for y in 0..self.oh {
            for x in 0..self.ow {
                let mut k = 0;
                for ki in 0..self.kh {
                    for kj in 0..self.kw {
                        k += usize::from(self.tap(0, 0, y, x, ki, kj).is_some());
                    }
                }
                counts.push(k);
            }
        }
        counts
    }
}

/// The product of im2col and the weight, `[n·p, oc]` (rows = output pixels), moved to
/// ONNX's `[n, oc, p]` layout.
pub fn pixels_to_channels(n: usize, pixels: usize, oc: usize) -> Wiring {
    let mut output = Vec::with_capacity(n * pixels * oc);
    for b in 0..n {
        for o in 0..oc {
            for p in 0..pixels {
                output.push(input((b * pixels + p) * oc + o));
            }
        }
    }
    Wiring {
        input_lens: vec![n * pixels * oc],
        output,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(w: &Wiring, x: &[i64]) -> Vec<i64> {
        w.apply(&[x]).unwrap()
    }

    #[test]
    fn transpose_broadcast_concat() {
        let x: Vec<i64> = (0..6).collect();
        assert_eq!(
            apply(&transpose(&[2, 3], &[1, 0]), &x),
            vec![0, 3, 1, 4, 2, 5]
        );
        let b = broadcast(&[3], &[2, 3]).unwrap();
        assert_eq!(apply(&b, &[7, 8, 9]), vec![7, 8, 9, 7, 8, 9]);
        let b = broadcast(&[2, 1], &[2, 3]).unwrap();
        assert_eq!(apply(&b, &[1, 2]), vec![1, 1, 1, 2, 2, 2]);
        assert!(broadcast(&[2], &[3]).is_none());
        let c = concat(&[vec![2, 1], vec![2, 2]], 1);
        assert_eq!(
            c.apply(&[&[1, 2], &[3, 4, 5, 6]]).unwrap(),
            vec![1, 3, 4, 2, 5, 6]
        );
        assert!(is_identity(&transpose(&[2, 3], &[0, 1])));
    }

    #[test]
    fn im2col_with_padding() {
        // 1×1×2×2 input, 2×2 kernel, pad 1 → 3×3 output; the centre window is the whole input.
        let g = Window2d {
            n: 1,
            c: 1,
            h: 2,
            w: 2,
            kh: 2,
            kw: 2,
            oh: 3,
            ow: 3,
            stride: (1, 1),
            dilation: (1, 1),
            pad: (1, 1),
        };
        let m = apply(&g.im2col(), &[1, 2, 3, 4]);
        assert_eq!(&m[..4], &[0, 0, 0, 1]);
        assert_eq!(&m[16..20], &[1, 2, 3, 4]);
        let p = apply(&g.pool_windows(None).unwrap(), &[1, 2, 3, 4]);
        assert_eq!(&p[..4], &[1, 1, 1, 1]);
        assert_eq!(g.valid_counts(), vec![1, 2, 1, 2, 4, 2, 1, 2, 1]);
    }
}
