//! Lookup tables for non-linear functions: integer input range `[lo, hi]` → integer output.
//!
//! [`TableSpec::eval`] is the one definition of each function on integers: the witness calls
//! it for every looked-up entry and [`TableSpec::to_table`] calls it for every table row, so
//! the two cannot disagree — and a verifier checking a key recomputes every row from the
//! architecture, so every function is exact integer arithmetic that gives the same rows on
//! every machine: sigmoid, tanh and exp in fixed point ([`super::fixed`]), ReLU, clip and the
//! reciprocal exactly, LeakyRelu by one IEEE multiplication (correctly rounded everywhere).

use crate::blocks::lookup::Table;
use crate::{Error, Result};

/// The function a table tabulates.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TableFn {
    /// `max(x, 0)` (same scale in and out).
    Relu,
    /// `x` for x ≥ 0, `⌊alpha·x + ½⌋` otherwise (same scale in and out).
    LeakyRelu {
        /// The negative slope.
        alpha: f32,
    },
    /// Logistic sigmoid.
    Sigmoid,
    /// Hyperbolic tangent.
    Tanh,
    /// `clamp(x, lo, hi)` with bounds already at the input scale (same scale in and out).
    Clip {
        /// Lower bound (i64::MIN for none).
        lo: i64,
        /// Upper bound (i64::MAX for none).
        hi: i64,
    },
    /// `e^x` (softmax numerators; inputs are ≤ 0 after the max is subtracted).
    Exp,
    /// `1/x`, exactly `⌊2^(in+out)/x + ½⌋` in integers for x > 0 and `−f(−x)` for x < 0;
    /// 0 at x = 0 (softmax denominators, Reciprocal, division by an activation).
    Reciprocal,
    /// `|x|` (same scale in and out).
    Abs,
    /// `e^x` for the Exp op (calibrated on both sides of 0, unlike softmax's `Exp`).
    Exponential,
    /// `max(0, min(1, alpha·x + beta))` (one IEEE multiplication and one addition, correctly
    /// rounded on every machine).
    HardSigmoid {
        /// Slope.
        alpha: f32,
        /// Offset.
        beta: f32,
    },
    /// `x · max(0, min(1, x/6 + ½))`, exactly (`x(x+3)/6` between −3 and 3).
    HardSwish,
    /// `x` for x ≥ 0, `alpha·(e^x − 1)` otherwise, then times `gamma` (Elu: gamma = 1; Selu).
    Elu {
        /// Scale of the negative part.
        alpha: f32,
        /// Scale of the whole (1 for Elu).
        gamma: f32,
    },
    /// `x` for x > alpha, else 0.
    ThresholdedRelu {
        /// The threshold, at the input scale.
        alpha: i64,
    },
    /// `x / (1 + |x|)`, exactly.
    Softsign,
    /// `√x` for x ≥ 0 (0 below), exactly rounded.
    Sqrt,
    /// `⌊x⌋`, `⌈x⌉`, or x rounded half to even (same scale in and out).
    Round {
        /// Which rounding.
        mode: RoundMode,
    },
    /// −1, 0 or 1 by the sign of x.
    Sign,
    /// 1 (at the output scale) where x = 0, else 0: one-hot rows of an embedding.
    IsZero,
    /// The error function (fixed point, [`super::fixed::erf`]).
    Erf,
    /// `1/√(x + eps)` for a variance x ≥ 0 (LayerNorm), exactly rounded.
    Rsqrt {
        /// The ε added to the variance, as the model gives it.
        eps: f32,
    },
    /// The natural logarithm for x > 0 (fixed point, [`super::fixed::ln`]); undefined below.
    Log,
    /// `ln(1 + e^x)` (fixed point, [`super::fixed::softplus`]).
    Softplus,
}

/// The rounding of [`TableFn::Round`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RoundMode {
    /// Toward −∞.
    Floor,
    /// Toward +∞.
    Ceil,
    /// To the nearest integer, ties to even (ONNX Round).
    HalfEven,
}

impl TableFn {
    /// Short name for reports.
    pub fn name(&self) -> String {
        match self {
            TableFn::Relu => "Relu".into(),
            TableFn::LeakyRelu { alpha } => format!("LeakyRelu({alpha})"),
            TableFn::Sigmoid => "Sigmoid".into(),
            TableFn::Tanh => "Tanh".into(),
            TableFn::Clip { lo, hi } => format!("Clip({lo}, {hi})"),
            TableFn::Exp => "Exp".into(),
            TableFn::Reciprocal => "Reciprocal".into(),
            TableFn::Abs => "Abs".into(),
            TableFn::Exponential => "Exp".into(),
            TableFn::HardSigmoid { alpha, beta } => format!("HardSigmoid({alpha}, {beta})"),
            TableFn::HardSwish => "HardSwish".into(),
            TableFn::Elu { alpha, gamma } => format!("Elu({alpha}, {gamma})"),
            TableFn::ThresholdedRelu { alpha } => format!("ThresholdedRelu({alpha})"),
            TableFn::Softsign => "Softsign".into(),
            TableFn::Sqrt => "Sqrt".into(),
            TableFn::Round { mode } => format!("{mode:?}"),
            TableFn::Sign => "Sign".into(),
            TableFn::IsZero => "IsZero".into(),
            TableFn::Erf => "Erf".into(),
            TableFn::Rsqrt { eps } => format!("Rsqrt(eps {eps})"),
            TableFn::Log => "Log".into(),
            TableFn::Softplus => "Softplus".into(),
        }
    }
}

/// One table of the program: its function, scales and input range.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableSpec {
    /// The function.
    pub func: TableFn,
    /// Scale bits of the input.
    pub in_bits: u32,
    /// Scale bits of the output.
    pub out_bits: u32,
    /// The integer input range `[lo, hi]`, set by the compiler (`fixed`) or by calibration.
    pub range: Option<(i64, i64)>,
    /// Whether the range is known statically (calibration leaves it alone).
    pub fixed: bool,
}

/// Round half up in f64, saturating into i64 (the range check rejects such inputs anyway).
fn round_half_up(v: f64) -> i64 {
    (v + 0.5).floor() as i64
}

/// The largest scale (bits) a table is evaluated at; beyond it [`TableSpec::eval`] is 0.
pub const MAX_BITS: u32 = 62;

/// 2^bits as f64, built exactly from its exponent (bits ≤ [`MAX_BITS`]).
fn pow2f(bits: u32) -> f64 {
    f64::from_bits((1023 + u64::from(bits.min(MAX_BITS))) << 52)
}

/// `X` from scale 2^in to 2^out, rounded half up (exact).
fn rescale_exact(x: i128, in_bits: u32, out_bits: u32) -> i64 {
    if out_bits >= in_bits {
        (x << (out_bits - in_bits).min(62)) as i64
    } else {
        super::fixed::round_half_up(x, 1i128 << (in_bits - out_bits).min(100)) as i64
    }
}

impl TableSpec {
    /// The function on one integer input (the witness and the table rows both use this).
    pub fn eval(&self, x: i64) -> i64 {
        use super::fixed;
        // No scale of a real program comes near this; an (untrusted) key that says otherwise
        // gets a constant table rather than arithmetic outside its bounds.
        if self.in_bits > MAX_BITS || self.out_bits > MAX_BITS {
            return 0;
        }
        match self.func {
            TableFn::Relu => x.max(0),
            TableFn::LeakyRelu { alpha } => {
                if x >= 0 {
                    x
                } else {
                    round_half_up(f64::from(alpha) * x as f64)
                }
            }
            TableFn::Sigmoid => fixed::sigmoid(x, self.in_bits, self.out_bits),
            TableFn::Tanh => fixed::tanh(x, self.in_bits, self.out_bits),
            // (max then min: no panic on lo > hi from an untrusted architecture.)
            TableFn::Clip { lo, hi } => x.max(lo).min(hi),
            TableFn::Exp => fixed::exp(x, self.in_bits, self.out_bits),
            TableFn::Reciprocal => {
                if x == 0 || self.in_bits.saturating_add(self.out_bits) > 100 {
                    return 0;
                }
                // ⌊2^(in+out)/|x| + ½⌋ = ⌊(2·2^(in+out) + |x|) / 2|x|⌋, exactly; odd in x.
                let num = 2i128 << (self.in_bits + self.out_bits);
                let a = i128::from(x).abs();
                let r = (num + a) / (2 * a);
                let r = if x < 0 { -r } else { r };
                r.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
            }
            TableFn::Abs => x.saturating_abs(),
            TableFn::Exponential => fixed::exp(x, self.in_bits, self.out_bits),
            TableFn::HardSigmoid { alpha, beta } => {
                let v = f64::from(alpha) * (x as f64 / pow2f(self.in_bits)) + f64::from(beta);
                round_half_up(v.clamp(0.0, 1.0) * pow2f(self.out_bits))
            }
            TableFn::HardSwish => self.hard_swish(x),
            TableFn::Elu { alpha, gamma } => {
                let v = if x >= 0 {
                    rescale_exact(i128::from(x), self.in_bits, self.out_bits) as f64
                } else {
                    let e = fixed::exp(x, self.in_bits, self.out_bits);
                    f64::from(alpha) * (e as f64 - pow2f(self.out_bits))
                };
                round_half_up(f64::from(gamma) * v)
            }
            TableFn::ThresholdedRelu { alpha } => {
                if x > alpha {
                    x
                } else {
                    0
                }
            }
            TableFn::Softsign => {
                // x/(1+|x|) at scale 2^out: X·2^out / (2^in + |X|), rounded half up.
                if self.in_bits > 60 || self.out_bits > 60 {
                    return 0;
                }
                let xi = i128::from(x);
                fixed::round_half_up(xi << self.out_bits, (1i128 << self.in_bits) + xi.abs()) as i64
            }
            TableFn::Sqrt => self.sqrt(x),
            TableFn::Round { mode } => {
                let unit = 1i128 << self.in_bits.min(62);
                let xi = i128::from(x);
                let q = match mode {
                    RoundMode::Floor => xi.div_euclid(unit),
                    RoundMode::Ceil => -(-xi).div_euclid(unit),
                    RoundMode::HalfEven => {
                        let f = xi.div_euclid(unit);
                        let r = xi - f * unit;
                        match (2 * r).cmp(&unit) {
                            std::cmp::Ordering::Less => f,
                            std::cmp::Ordering::Greater => f + 1,
                            std::cmp::Ordering::Equal => f + (f & 1),
                        }
                    }
                };
                (q * unit) as i64
            }
            TableFn::Sign => x.signum() << self.out_bits.min(62),
            TableFn::IsZero => i64::from(x == 0) << self.out_bits.min(62),
            TableFn::Erf => fixed::erf(x, self.in_bits, self.out_bits),
            TableFn::Rsqrt { eps } => self.rsqrt(x, eps),
            TableFn::Log => fixed::ln(x, self.in_bits, self.out_bits),
            TableFn::Softplus => fixed::softplus(x, self.in_bits, self.out_bits),
        }
    }

    /// `⌊2^out/√(X/2^in + ε) + ½⌋` exactly, with ε taken at 2^-40 (`e = ⌊ε·2^40 + ½⌋`):
    /// with `M = X·2^(40−in) + e`, the value is `K/√M` for `K = 2^(out+20)`, and the result is
    /// the largest y ≥ 0 with `(2y − 1)²·M ≤ 4K²`. 0 where M ≤ 0 (no variance is negative).
    fn rsqrt(&self, x: i64, eps: f32) -> i64 {
        if self.in_bits > 40 || self.out_bits > 30 || !eps.is_finite() || eps < 0.0 {
            return 0;
        }
        let e = (f64::from(eps) * pow2f(40) + 0.5).floor();
        if e >= pow2f(62) {
            return 0;
        }
        let Some(m) = i128::from(x)
            .checked_mul(1i128 << (40 - self.in_bits))
            .and_then(|v| v.checked_add(e as i128))
            .filter(|&m| m > 0 && m < 1i128 << 100)
        else {
            return 0;
        };
        let k2x4 = 4i128 << (2 * (self.out_bits + 20));
        let fits = |y: i128| {
            let t = 2 * y - 1;
            t.checked_mul(t)
                .and_then(|t2| t2.checked_mul(m))
                .is_some_and(|v| v <= k2x4)
        };
        let est = pow2f(self.out_bits + 20) / (m as f64).sqrt();
        let mut y = (est.round().max(0.0) as i128).min(1i128 << 62);
        while y > 0 && !fits(y) {
            y -= 1;
        }
        while y < 1i128 << 62 && fits(y + 1) {
            y += 1;
        }
        y as i64
    }

    /// HardSwish in integers: X·(X + 3·2^in)/(6·2^(2·in)) at scale 2^out between −3 and 3.
    fn hard_swish(&self, x: i64) -> i64 {
        if self.in_bits > 40 || self.out_bits > 40 {
            return 0;
        }
        let s = 1i128 << self.in_bits;
        let xi = i128::from(x);
        if xi <= -3 * s {
            0
        } else if xi >= 3 * s {
            rescale_exact(xi, self.in_bits, self.out_bits)
        } else {
            super::fixed::round_half_up((xi * (xi + 3 * s)) << self.out_bits, 6 * s * s) as i64
        }
    }

    /// `⌊√(X/2^in)·2^out + ½⌋` exactly: the largest y ≥ 0 with (2y − 1)²·2^in ≤ 4·X·2^(2·out).
    fn sqrt(&self, x: i64) -> i64 {
        if x <= 0 || self.in_bits > 40 || self.out_bits > 24 {
            return 0;
        }
        let n4 = (i128::from(x) << (2 * self.out_bits)) * 4;
        let fits = |y: i128| {
            let t = 2 * y - 1;
            t.checked_mul(t)
                .and_then(|t2| t2.checked_mul(1i128 << self.in_bits))
                .is_some_and(|v| v <= n4)
        };
        let est = ((x as f64) / pow2f(self.in_bits)).sqrt() * pow2f(self.out_bits);
        let mut y = est.round().max(0.0) as i128;
        while y > 0 && !fits(y) {
            y -= 1;
        }
        while fits(y + 1) {
            y += 1;
        }
        y as i64
    }

    /// Why the function has no finite value at `x`, for the inputs where the float model's
    /// result is infinite or NaN (1/0, √ of a negative): the witness refuses them instead of
    /// proving the table's stand-in value.
    pub fn undefined_at(&self, x: i64) -> Option<&'static str> {
        match self.func {
            TableFn::Reciprocal if x == 0 => {
                Some("a reciprocal or division by a value that quantizes to 0")
            }
            TableFn::Sqrt if x < 0 => Some("a square root of a negative value"),
            TableFn::Log if x <= 0 => Some("a logarithm of a value that quantizes to 0 or below"),
            _ => None,
        }
    }

    /// Whether `x` is a row of the table: in its range and where the function is defined
    /// (false when no range is set yet).
    pub fn contains(&self, x: i64) -> bool {
        self.range.is_some_and(|(lo, hi)| lo <= x && x <= hi) && self.undefined_at(x).is_none()
    }

    /// Number of rows (0 before calibration).
    pub fn rows(&self) -> usize {
        match self.range {
            Some((lo, hi)) if hi >= lo => {
                usize::try_from(i128::from(hi) - i128::from(lo) + 1).unwrap_or(usize::MAX)
            }
            _ => 0,
        }
    }

    /// A description for reports: `Sigmoid 2^8→2^8 on [-2048, 2048]`.
    pub fn describe(&self) -> String {
        let range = match self.range {
            Some((lo, hi)) => format!("[{lo}, {hi}] ({} rows)", self.rows()),
            None => "(range not calibrated)".into(),
        };
        format!(
            "{} 2^{}→2^{} on {range}",
            self.func.name(),
            self.in_bits,
            self.out_bits
        )
    }

    /// The pair table `(x, f(x))` over the range, for the lookup block: every x of the range
    /// where the function is defined ([`Self::undefined_at`]). The rows where it is not (1/0,
    /// √ of a negative, log of x ≤ 0) are left out, so no proof can claim their stand-in value:
    /// the honest witness refuses those inputs, and the table gives a prover nothing to look up.
    pub fn to_table(&self) -> Result<Table> {
        let (lo, hi) = self.range.ok_or_else(|| {
            Error::InvalidArgument(format!("table {} has no range", self.describe()))
        })?;
        let rows = (lo..=hi)
            .filter(|&x| self.undefined_at(x).is_none())
            .collect();
        Ok(Table::function(rows, |x| self.eval(x)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(func: TableFn, in_bits: u32, out_bits: u32) -> TableSpec {
        TableSpec {
            func,
            in_bits,
            out_bits,
            range: Some((-4, 4)),
            fixed: false,
        }
    }

    /// The witness refuses the inputs where the float function has no finite value.
    #[test]
    fn undefined_inputs_are_named() {
        let log = spec(TableFn::Log, 8, 8);
        assert!(log.undefined_at(0).is_some() && log.undefined_at(-3).is_some());
        assert_eq!(log.undefined_at(1), None);
        assert!(spec(TableFn::Sqrt, 8, 8).undefined_at(-1).is_some());
        assert!(spec(TableFn::Reciprocal, 8, 8).undefined_at(0).is_some());
        assert_eq!(spec(TableFn::Softplus, 8, 8).undefined_at(-100), None);
        // …and the tables have no rows there, so no proof can claim a stand-in value.
        let rows = |f: TableFn| spec(f, 8, 8).to_table().unwrap();
        let log = rows(TableFn::Log);
        assert_eq!(log, Table::function((1..=4).collect(), fixed_ln));
        let sqrt = rows(TableFn::Sqrt);
        assert_eq!(
            sqrt,
            Table::function((0..=4).collect(), |x| spec(TableFn::Sqrt, 8, 8).eval(x))
        );
        let recip = rows(TableFn::Reciprocal);
        assert_eq!(
            recip,
            Table::function(vec![-4, -3, -2, -1, 1, 2, 3, 4], |x| {
                spec(TableFn::Reciprocal, 8, 8).eval(x)
            })
        );
        assert!(!spec(TableFn::Log, 8, 8).contains(0));
    }

    fn fixed_ln(x: i64) -> i64 {
        super::super::fixed::ln(x, 8, 8)
    }

    /// Whatever an (untrusted) architecture says, evaluating a table never panics.
    #[test]
    fn extreme_parameters_do_not_panic() {
        let funcs = [
            TableFn::Reciprocal,
            TableFn::Abs,
            TableFn::Exp,
            TableFn::Sigmoid,
            TableFn::Tanh,
            TableFn::LeakyRelu { alpha: f32::MAX },
            TableFn::Exponential,
            TableFn::HardSigmoid {
                alpha: f32::NAN,
                beta: f32::INFINITY,
            },
            TableFn::HardSwish,
            TableFn::Elu {
                alpha: f32::MAX,
                gamma: f32::MAX,
            },
            TableFn::ThresholdedRelu { alpha: i64::MIN },
            TableFn::Softsign,
            TableFn::Sqrt,
            TableFn::Log,
            TableFn::Softplus,
            TableFn::Round {
                mode: RoundMode::Floor,
            },
            TableFn::Round {
                mode: RoundMode::Ceil,
            },
            TableFn::Round {
                mode: RoundMode::HalfEven,
            },
            TableFn::Sign,
        ];
        for func in funcs {
            for (i, o) in [
                (0, 0),
                (8, 8),
                (40, 24),
                (63, 63),
                (200, 200),
                (u32::MAX, u32::MAX),
            ] {
                for x in [
                    i64::MIN,
                    -6_393_154_322_601_327_744,
                    -1 << 40,
                    -3,
                    -2,
                    -1,
                    0,
                    5,
                    1 << 40,
                    6_393_154_322_601_327_743,
                    i64::MAX,
                ] {
                    let _ = spec(func, i, o).eval(x);
                }
            }
        }
    }

    #[test]
    fn functions_on_integers() {
        let r = spec(TableFn::Relu, 8, 8);
        assert_eq!((r.eval(-5), r.eval(7)), (0, 7));
        let l = spec(TableFn::LeakyRelu { alpha: 0.25 }, 8, 8);
        assert_eq!((l.eval(-10), l.eval(-11), l.eval(3)), (-2, -3, 3));
        let s = spec(TableFn::Sigmoid, 8, 8);
        assert_eq!(s.eval(0), 128);
        assert_eq!(s.eval(256), 187); // 256·σ(1) = 187.13
        let t = spec(TableFn::Tanh, 8, 8);
        assert_eq!((t.eval(0), t.eval(-256)), (0, -195)); // 256·tanh(−1) = −194.96
        let e = spec(TableFn::Exp, 8, 8);
        assert_eq!((e.eval(0), e.eval(-256)), (256, 94)); // 256/e = 94.18
        let rc = spec(TableFn::Reciprocal, 8, 12);
        assert_eq!(rc.eval(256), 4096); // 1/1.0
        assert_eq!(rc.eval(768), 1365); // 4096/3 = 1365.33
        let c = spec(TableFn::Clip { lo: -2, hi: 3 }, 8, 8);
        assert_eq!((c.eval(-9), c.eval(1), c.eval(9)), (-2, 1, 3));
        let a = spec(TableFn::Abs, 8, 8);
        assert_eq!((a.eval(-7), a.eval(7), a.eval(i64::MIN)), (7, 7, i64::MAX));
        let rc = spec(TableFn::Reciprocal, 8, 12);
        assert_eq!((rc.eval(-768), rc.eval(0)), (-1365, 0)); // odd; 0 at 0
        let hs = spec(
            TableFn::HardSigmoid {
                alpha: 0.2,
                beta: 0.5,
            },
            8,
            8,
        );
        assert_eq!(
            (hs.eval(-1280), hs.eval(0), hs.eval(256), hs.eval(1280)),
            (0, 128, 179, 256)
        );
        let hw = spec(TableFn::HardSwish, 8, 8);
        // 256·hardswish(1) = 256·(1·4/6) = 170.67; −1 → −256·2/6 = −85.33; ±3 and beyond.
        assert_eq!(
            (hw.eval(256), hw.eval(-256), hw.eval(-768), hw.eval(1024)),
            (171, -85, 0, 1024)
        );
        let el = spec(
            TableFn::Elu {
                alpha: 1.0,
                gamma: 1.0,
            },
            8,
            8,
        );
        assert_eq!((el.eval(300), el.eval(-256)), (300, -162)); // 256·(1/e − 1) = −161.8
        let tr = spec(TableFn::ThresholdedRelu { alpha: 256 }, 8, 8);
        assert_eq!((tr.eval(256), tr.eval(257)), (0, 257));
        let ss = spec(TableFn::Softsign, 8, 8);
        assert_eq!((ss.eval(256), ss.eval(-768)), (128, -192));
        let sq = spec(TableFn::Sqrt, 8, 8);
        assert_eq!(
            (sq.eval(1024), sq.eval(512), sq.eval(-5), sq.eval(0)),
            (512, 362, 0, 0)
        );
        let round = |mode| spec(TableFn::Round { mode }, 8, 8);
        let (fl, ce, he) = (
            round(RoundMode::Floor),
            round(RoundMode::Ceil),
            round(RoundMode::HalfEven),
        );
        assert_eq!((fl.eval(-1), fl.eval(511), fl.eval(512)), (-256, 256, 512));
        assert_eq!((ce.eval(-1), ce.eval(257), ce.eval(256)), (0, 512, 256));
        assert_eq!(
            (he.eval(128), he.eval(384), he.eval(-128), he.eval(129)),
            (0, 512, 0, 256)
        );
        let sg = spec(TableFn::Sign, 8, 8);
        assert_eq!((sg.eval(-3), sg.eval(0), sg.eval(9)), (-256, 0, 256));
        let table = c.to_table().unwrap();
        assert_eq!(table.inputs, vec![-4, -3, -2, -1, 0, 1, 2, 3, 4]);
        assert_eq!(table.outputs.unwrap(), vec![-2, -2, -2, -1, 0, 1, 2, 3, 3]);
    }
}
