//! Transcendental functions in exact integer arithmetic, so every machine computes the same
//! table rows.
//!
//! A verifier recomputes every table of a key from the architecture (the key check) and the
//! prover's witness must agree with it entry for entry. Platform `f64` `exp`/`tanh` come from the
//! C library and are not guaranteed to round the same way everywhere, so the tables use these
//! instead: fixed point with 56 fractional bits in `i128`, range reduction `v = k·ln 2 + r`
//! (|r| ≤ ln 2 / 2), a Taylor series for `e^r` (error below 2^-50 relative), and the final
//! `⌊value·2^out + ½⌋` taken exactly on the resulting rational. The result differs from the true
//! round-half-up only when the true value lies within about 2^-48 of a half-integer step, and is
//! the same on every platform.

/// Fractional bits of the fixed-point intermediate values.
const FRAC: u32 = 56;
const ONE: i128 = 1 << FRAC;
/// ln 2 · 2^56, rounded down (49946518145322873.67…).
const LN2: i128 = 49_946_518_145_322_873;

/// `e^r · 2^56` for `|r| ≤ ln2/2` given as `r·2^56` (Taylor series to 2^-60).
fn exp_small(r: i128) -> i128 {
    let mut sum = ONE;
    let mut term = ONE;
    for i in 1..30 {
        term = term * r / (i << FRAC);
        if term == 0 {
            break;
        }
        sum += term;
    }
    sum
}

/// `(k, e^r·2^56)` with `x/2^bits = k·ln2 + r`: `e^(x/2^bits) = 2^k·e^r`. `None` beyond the
/// range the fixed point holds (|x/2^bits| < 2^60 / 2^56, i.e. |v| < 16·…: every quantized
/// input of a table is far inside).
fn exp_parts(x: i64, bits: u32) -> Option<(i64, i128)> {
    if bits > FRAC {
        return None;
    }
    let v = i128::from(x).checked_mul(1i128 << (FRAC - bits))?;
    // k = round(v / ln2), r = v − k·ln2.
    let k = (2 * v + LN2).div_euclid(2 * LN2);
    let r = v - k * LN2;
    Some((i64::try_from(k).ok()?, exp_small(r)))
}

/// `⌊num / den + ½⌋` for den > 0, exactly (also used by the rational tables).
pub fn round_half_up(num: i128, den: i128) -> i128 {
    (2 * num + den).div_euclid(2 * den)
}

/// `⌊e^(x/2^in) · 2^out + ½⌋`, saturating at i64::MAX.
pub fn exp(x: i64, in_bits: u32, out_bits: u32) -> i64 {
    let Some((k, e)) = exp_parts(x, in_bits) else {
        return if x < 0 { 0 } else { i64::MAX };
    };
    // value = e · 2^(k + out − 56), the exponent in i128 (no overflow for any k, out).
    let shift = i128::from(k) + i128::from(out_bits) - i128::from(FRAC);
    if shift >= 0 {
        if shift > 62
            || e.checked_shl(shift as u32)
                .is_none_or(|v| v > i128::from(i64::MAX))
        {
            return i64::MAX;
        }
        return (e << shift) as i64;
    }
    let down = -shift;
    if down > 120 {
        return 0;
    }
    round_half_up(e, 1i128 << down) as i64
}

/// `e^(−|x|/2^in) · 2^56` (at most 1.0): the one exponential sigmoid and tanh need.
fn exp_neg_abs(x: i64, bits: u32) -> i128 {
    let Some((k, e)) = exp_parts(x.checked_abs().map_or(i64::MIN, |a| -a), bits) else {
        return 0;
    };
    // k ≤ 0 here (negated in i128: k may be i64::MIN).
    let down = u32::try_from(-i128::from(k)).unwrap_or(u32::MAX);
    if down >= 120 {
        0
    } else {
        e >> down
    }
}

/// `⌊2^out / (1 + e^(−x/2^in)) + ½⌋`.
pub fn sigmoid(x: i64, in_bits: u32, out_bits: u32) -> i64 {
    if out_bits > 60 {
        return i64::MAX;
    }
    let t = exp_neg_abs(x, in_bits);
    // x ≥ 0: 1/(1 + t); x < 0: t/(1 + t).
    let num = if x >= 0 { ONE } else { t };
    round_half_up(num << out_bits, ONE + t) as i64
}

/// `⌊tanh(x/2^in) · 2^out + ½⌋`.
pub fn tanh(x: i64, in_bits: u32, out_bits: u32) -> i64 {
    if out_bits > 60 {
        return i64::MAX;
    }
    // tanh|v| = (1 − e^(−2|v|)) / (1 + e^(−2|v|)); 2|v| = |x|/2^(in−1).
    let t = if in_bits == 0 {
        exp_neg_abs(x.saturating_mul(2), 0)
    } else {
        exp_neg_abs(x, in_bits - 1)
    };
    let magnitude = (ONE - t) << out_bits;
    let num = if x >= 0 { magnitude } else { -magnitude };
    round_half_up(num, ONE + t) as i64
}

/// Fractional bits of the error function's series (products of two terms stay in i128).
const ERF_FRAC: u32 = 40;
/// 2/√π · 2^40, rounded (1240666014761.71…).
const TWO_OVER_SQRT_PI: i128 = 1_240_666_014_762;

/// `⌊erf(x/2^in) · 2^out + ½⌋`. For |v| < 4 the Maclaurin series
/// `erf v = 2/√π · Σ (−1)^n v^(2n+1) / (n!·(2n+1))` in fixed point with 2^-40 steps (absolute
/// error below 2^-32); beyond, ±1 (1 − erf 4 < 1.6·10^-8, under half a step for out ≤ 24).
/// Out scales above 24 give 0 (no program uses them).
pub fn erf(x: i64, in_bits: u32, out_bits: u32) -> i64 {
    if out_bits > 24 || in_bits > 40 {
        return 0;
    }
    let four = 4i128 << in_bits;
    let xi = i128::from(x);
    let sign = if xi < 0 { -1 } else { 1 };
    if xi.abs() >= four {
        return (sign << out_bits) as i64;
    }
    let v = xi << (ERF_FRAC - in_bits); // |v| < 2^42
    let v2 = (v * v) >> ERF_FRAC; // < 2^44
    let mut term = v; // v^(2n+1)/n!, |term| < 2^62
    let mut sum = v;
    for n in 1..200i128 {
        term = -((term * v2) >> ERF_FRAC) / n;
        if term == 0 {
            break;
        }
        sum += term / (2 * n + 1);
    }
    let value = (sum * TWO_OVER_SQRT_PI) >> ERF_FRAC; // erf·2^40
    round_half_up(value << out_bits, 1i128 << ERF_FRAC).clamp(-(1 << out_bits), 1 << out_bits)
        as i64
}

/// `ln(1 + t)·2^56` for `t·2^56` with `0 ≤ t ≤ 1`: `2·atanh(z)`, `z = t/(2 + t) ≤ 1/3`, by its
/// series `2·Σ z^(2k+1)/(2k+1)` (terms shrink ninefold: error below 2^-54).
fn ln1p_unit(t: i128) -> i128 {
    let z = (t << FRAC) / (2 * ONE + t);
    let z2 = (z * z) >> FRAC;
    let mut power = z;
    let mut sum = z;
    for k in 1..40i128 {
        power = (power * z2) >> FRAC;
        if power == 0 {
            break;
        }
        sum += power / (2 * k + 1);
    }
    2 * sum
}

/// `⌊ln(x/2^in) · 2^out + ½⌋` for x > 0 (0 otherwise: the table's witness refuses x ≤ 0).
/// With `x = 2^n·m`, `m ∈ [1, 2)` taken to 56 fractional bits: `ln m + (n − in)·ln 2`.
pub fn ln(x: i64, in_bits: u32, out_bits: u32) -> i64 {
    if x <= 0 || in_bits > 62 || out_bits > 60 {
        return 0;
    }
    let xi = i128::from(x);
    let n = 127 - xi.leading_zeros() as i32; // 2^n ≤ x < 2^(n+1), n ≤ 62
    let m = if n <= FRAC as i32 {
        xi << (FRAC as i32 - n)
    } else {
        xi >> (n - FRAC as i32)
    };
    let value = ln1p_unit(m - ONE) + i128::from(n - in_bits as i32) * LN2;
    round_half_up(value << out_bits, ONE) as i64
}

/// `⌊ln(1 + e^(x/2^in)) · 2^out + ½⌋` (softplus): `max(v, 0) + ln(1 + e^(−|v|))`.
pub fn softplus(x: i64, in_bits: u32, out_bits: u32) -> i64 {
    if in_bits > FRAC || out_bits > 60 {
        return 0;
    }
    let t = exp_neg_abs(x, in_bits);
    let linear = i128::from(x.max(0)) << (FRAC - in_bits);
    let value = linear.saturating_add(ln1p_unit(t));
    if value > i128::from(i64::MAX) << (FRAC - out_bits.min(FRAC)) {
        return i64::MAX;
    }
    round_half_up(value << out_bits, ONE).min(i128::from(i64::MAX)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float_round(v: f64) -> i64 {
        (v + 0.5).floor() as i64
    }

    /// Against f64 on every input of typical tables: equal except (rarely) by one step where
    /// f64 itself is within its error of a half-integer.
    #[test]
    fn agrees_with_floating_point() {
        let mut off = 0;
        for x in -4096i64..=4096 {
            let v = x as f64 / 256.0;
            let cases = [
                (exp(x.min(0), 8, 8), float_round(v.min(0.0).exp() * 256.0)),
                (exp(x, 8, 12), float_round(v.exp() * 4096.0)),
                (sigmoid(x, 8, 8), float_round(256.0 / (1.0 + (-v).exp()))),
                (tanh(x, 8, 8), float_round(v.tanh() * 256.0)),
                (tanh(x, 8, 16), float_round(v.tanh() * 65536.0)),
                (softplus(x, 8, 8), float_round(v.exp().ln_1p() * 256.0)),
                (softplus(x, 8, 12), float_round(v.exp().ln_1p() * 4096.0)),
                (
                    ln(x.abs().max(1), 8, 12),
                    float_round((x.abs().max(1) as f64 / 256.0).ln() * 4096.0),
                ),
            ];
            for (i, (a, b)) in cases.into_iter().enumerate() {
                assert!((a - b).abs() <= 1, "x = {x}, case {i}: {a} vs {b}");
                off += usize::from(a != b);
            }
        }
        assert!(off <= 8, "{off} entries differ from f64 by one step");
    }

    #[test]
    fn erf_agrees_with_a_reference() {
        // erf at a few points (Abramowitz & Stegun table 7.1).
        for (v, e) in [
            (0.5, 0.520_499_877_8),
            (1.0, 0.842_700_792_9),
            (2.0, 0.995_322_265),
        ] {
            let x = (v * 256.0) as i64;
            assert_eq!(erf(x, 8, 16), (e * 65536.0_f64 + 0.5).floor() as i64, "{v}");
            assert_eq!(
                erf(-x, 8, 16),
                -((e * 65536.0_f64 + 0.5).floor() as i64),
                "{v}"
            );
        }
        assert_eq!(erf(0, 8, 8), 0);
        assert_eq!(erf(4 << 8, 8, 8), 256);
        assert_eq!(erf(i64::MIN, 8, 8), -256);
        assert_eq!(erf(i64::MAX, 8, 8), 256);
        // Monotone on a table's worth of inputs.
        let mut last = erf(-2048, 8, 12);
        for x in -2047..2048 {
            let y = erf(x, 8, 12);
            assert!(y >= last);
            last = y;
        }
    }

    #[test]
    fn exact_values_and_extremes() {
        assert_eq!(exp(0, 8, 8), 256);
        assert_eq!(exp(-256, 8, 8), 94); // 256/e = 94.18
        assert_eq!(exp(256, 8, 8), 696); // 256·e = 695.89
        assert_eq!(sigmoid(0, 8, 8), 128);
        assert_eq!(sigmoid(256, 8, 8), 187);
        assert_eq!(tanh(0, 8, 8), 0);
        assert_eq!(tanh(-256, 8, 8), -195);
        assert_eq!(exp(i64::MIN, 8, 8), 0);
        assert_eq!(exp(i64::MAX, 8, 8), i64::MAX);
        assert_eq!(exp(-(1 << 40), 8, 8), 0);
        assert_eq!(sigmoid(i64::MIN, 8, 8), 0);
        assert_eq!(sigmoid(i64::MAX, 8, 8), 256);
        assert_eq!(tanh(i64::MIN, 8, 8), -256);
        assert_eq!(tanh(1 << 40, 8, 8), 256);
        assert_eq!(ln(256, 8, 8), 0);
        assert_eq!(ln(512, 8, 16), 45_426); // ln 2 · 2^16 = 45426.09
        assert_eq!(ln(1, 8, 8), -1420); // −8 ln 2 · 2^8 = −1419.57
        assert_eq!(ln(0, 8, 8), 0);
        assert_eq!(ln(i64::MAX, 0, 8), 11_179); // 63 ln 2 · 2^8 = 11179.08
        assert_eq!(softplus(0, 8, 8), 177); // ln 2 · 256 = 177.4
        assert_eq!(softplus(i64::MIN, 8, 8), 0);
        assert_eq!(softplus(i64::MAX, 8, 8), i64::MAX);
    }
}
