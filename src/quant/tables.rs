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
    /// `1/x` for x > 0, exactly `⌊2^(in+out)/x + ½⌋` in integers (softmax denominators).
    Reciprocal,
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

impl TableSpec {
    /// The function on one integer input (the witness and the table rows both use this).
    pub fn eval(&self, x: i64) -> i64 {
        use super::fixed;
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
                if x <= 0 || self.in_bits.saturating_add(self.out_bits) > 100 {
                    return 0;
                }
                // ⌊2^(in+out)/x + ½⌋ = ⌊(2·2^(in+out) + x) / 2x⌋, exactly.
                let num = 2i128 << (self.in_bits + self.out_bits);
                let x = i128::from(x);
                ((num + x) / (2 * x)) as i64
            }
        }
    }

    /// Whether `x` lies in the table's range (false when no range is set yet).
    pub fn contains(&self, x: i64) -> bool {
        self.range.is_some_and(|(lo, hi)| lo <= x && x <= hi)
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

    /// The pair table `(x, f(x))` over the range, for the lookup block.
    pub fn to_table(&self) -> Result<Table> {
        let (lo, hi) = self.range.ok_or_else(|| {
            Error::InvalidArgument(format!("table {} has no range", self.describe()))
        })?;
        Ok(Table::function((lo..=hi).collect(), |x| self.eval(x)))
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
        let table = c.to_table().unwrap();
        assert_eq!(table.inputs, vec![-4, -3, -2, -1, 0, 1, 2, 3, 4]);
        assert_eq!(table.outputs.unwrap(), vec![-2, -2, -2, -1, 0, 1, 2, 3, 3]);
    }
}
