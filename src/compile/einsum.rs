//! Einsum in its matrix-product shapes: one operand (a transpose) or two operands whose every
//! label is a batch label (both operands and the output), a contracted label (both operands,
//! not the output) or a free label (one operand and the output). The operands are transposed
//! (Copies) to `[batch, free, contracted]` and `[batch, contracted, free]`, multiplied by the
//! matrix-product blocks MatMul (§4.10, per batch entry) or MatMulConst (§4.4, a constant
//! operand), and the product is transposed to the output's label order. No new relation: the
//! soundness is that of the Copies and products it is made of (PROTOCOLS §4.15).

use super::builder::{np, Builder, LResult, Value};
use super::ir::TensorId;
use super::lower::{batched_matmul, matmul_const, one, Outputs};
use super::wiring::{self, WiringSpec};
use crate::onnx::Layer;

/// The labels of each operand and of the output, ellipses spelled out as labels of their own.
#[derive(Debug, PartialEq)]
struct Equation {
    inputs: Vec<Vec<char>>,
    output: Vec<char>,
}

/// Labels standing for the axes of an ellipsis (not letters, so no clash with the equation's).
const ELLIPSIS_LABELS: &str = "0123456789";

/// Parses `equation` for operands of `ranks`: explicit (`ij,jk->ik`) or implicit (`ij,jk`: the
/// labels seen once, in alphabetical order), with `...` standing for the leading axes an
/// operand's letters leave.
fn parse(equation: &str, ranks: &[usize]) -> Result<Equation, String> {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let terms: Vec<&str> = lhs.split(',').collect();
    if terms.len() != ranks.len() {
        return Err(format!(
            "Einsum equation {equation:?} names {} operands, the node has {}",
            terms.len(),
            ranks.len()
        ));
    }
    let mut ellipsis = 0usize;
    let mut expand = |term: &str, rank: Option<usize>| -> Result<Vec<char>, String> {
        let letters = term.replace("...", "");
        if letters.chars().any(|c| !c.is_ascii_alphabetic()) {
            return Err(format!("Einsum term {term:?}"));
        }
        let dots = if term.contains("...") {
            match rank {
                Some(r) => r.checked_sub(letters.len()).ok_or("Einsum rank mismatch")?,
                None => ellipsis,
            }
        } else {
            0
        };
        ellipsis = ellipsis.max(dots);
        if dots > ELLIPSIS_LABELS.len() {
            return Err("Einsum ellipsis of more than 10 axes".into());
        }
        // An ellipsis covers the trailing `dots` of the ellipsis axes (numpy's right alignment).
        let first = ELLIPSIS_LABELS.len() - dots;
        let filler: String = ELLIPSIS_LABELS[first..].to_string();
        let spelled = term.replacen("...", &filler, 1);
        Ok(spelled.chars().collect())
    };
    let inputs: Vec<Vec<char>> = terms
        .iter()
        .zip(ranks)
        .map(|(t, &r)| expand(t, Some(r)))
        .collect::<Result<_, _>>()?;
    for (t, &r) in inputs.iter().zip(ranks) {
        if t.len() != r {
            return Err(format!(
                "Einsum term of {} labels for an operand of rank {r}",
                t.len()
            ));
        }
    }
    let output = match rhs {
        Some(r) => expand(r, None)?,
        None => {
            let mut dots: Vec<char> = ELLIPSIS_LABELS[ELLIPSIS_LABELS.len() - ellipsis..]
                .chars()
                .collect();
            let mut once: Vec<char> = ('A'..='Z')
                .chain('a'..='z')
                .filter(|c| inputs.iter().flatten().filter(|x| *x == c).count() == 1)
                .collect();
            dots.append(&mut once);
            dots
        }
    };
    Ok(Equation { inputs, output })
}

/// Where each of `want` sits in `labels`.
fn positions(labels: &[char], want: &[char]) -> Vec<usize> {
    want.iter()
        .filter_map(|c| labels.iter().position(|x| x == c))
        .collect()
}

/// `x` (shape `xs`, labels `labels`) transposed so its axes follow `order` (a permutation of
/// its labels), as a flat tensor: a Copy, or `x` itself when already in order.
fn arrange(
    b: &mut Builder,
    x: TensorId,
    xs: &[usize],
    labels: &[char],
    order: &[char],
    what: &str,
) -> LResult<TensorId> {
    let perm = positions(labels, order);
    let out: Vec<usize> = perm.iter().map(|&p| xs[p]).collect();
    let spec = WiringSpec::Transpose {
        shape: xs.to_vec(),
        perm,
    };
    b.copy(vec![x], spec, out, what)
}

/// Einsum of one operand (a transpose) or two (a matrix product, see the module docs).
pub(crate) fn einsum(b: &mut Builder, l: &Layer) -> LResult<Outputs> {
    let out = b.out_shape(l, 0)?;
    let values: Vec<Value> = l
        .inputs
        .iter()
        .map(|n| b.value(n).cloned())
        .collect::<LResult<_>>()?;
    let shape_of = |v: &Value| match v {
        Value::Tensor { shape, .. } => shape.clone(),
        Value::Const(c) => c.shape.clone(),
    };
    let ranks: Vec<usize> = values.iter().map(|v| shape_of(v).len()).collect();
    let eq = match parse(l.string("equation").unwrap_or(""), &ranks) {
        Ok(eq) => eq,
        Err(e) => return np(e),
    };
    for t in eq.inputs.iter().chain([&eq.output]) {
        if (1..t.len()).any(|i| t[..i].contains(&t[i])) {
            return np("Einsum with a repeated label in one term (a diagonal)");
        }
    }
    // Every label's size, the same wherever it appears (numpy would broadcast a 1; ONNX's
    // Einsum does not).
    let mut sizes: std::collections::BTreeMap<char, usize> = Default::default();
    for (t, v) in eq.inputs.iter().zip(&values) {
        for (&c, &d) in t.iter().zip(&shape_of(v)) {
            if *sizes.entry(c).or_insert(d) != d {
                return np(format!("Einsum label {c:?} of sizes {} and {d}", sizes[&c]));
            }
        }
    }
    let dim = |c: char| -> usize { sizes.get(&c).copied().unwrap_or(1) };
    let implied: Vec<usize> = eq.output.iter().map(|&c| dim(c)).collect();
    if implied.iter().product::<usize>() != out.iter().product::<usize>() {
        return np(format!(
            "Einsum output of shape {implied:?} by its labels, {out:?} by shape inference"
        ));
    }
    match values.as_slice() {
        [Value::Tensor { id, shape }] => {
            if eq.inputs[0].len() != eq.output.len() {
                return np("Einsum that sums an operand's axes away");
            }
            let y = arrange(b, *id, shape, &eq.inputs[0], &eq.output, "out")?;
            one(y, out)
        }
        [va, vb] => {
            let (ta, tb) = (&eq.inputs[0], &eq.inputs[1]);
            // Every label the output drops is contracted: in both operands.
            if ta
                .iter()
                .chain(tb)
                .any(|c| !(eq.output.contains(c) || ta.contains(c) && tb.contains(c)))
            {
                return np("Einsum that sums an axis of one operand only");
            }
            if eq.output.iter().any(|c| !ta.contains(c) && !tb.contains(c)) {
                return np("Einsum output label in no operand");
            }
            // The activation goes on the left (a constant operand is the committed matrix).
            let swap = matches!(va, Value::Const(_));
            let (left, right, tl, tr) = if swap {
                (vb, va, tb, ta)
            } else {
                (va, vb, ta, tb)
            };
            let batch: Vec<char> = eq
                .output
                .iter()
                .copied()
                .filter(|c| tl.contains(c) && tr.contains(c))
                .collect();
            let contracted: Vec<char> = tl
                .iter()
                .copied()
                .filter(|c| tr.contains(c) && !eq.output.contains(c))
                .collect();
            let free_l: Vec<char> = tl.iter().copied().filter(|c| !tr.contains(c)).collect();
            let free_r: Vec<char> = tr.iter().copied().filter(|c| !tl.contains(c)).collect();
            let size = |ls: &[char]| ls.iter().map(|&c| dim(c)).product::<usize>();
            let (nb, m, k, n) = (
                size(&batch),
                size(&free_l),
                size(&contracted),
                size(&free_r),
            );
            let order_l: Vec<char> = [&batch[..], &free_l, &contracted].concat();
            let order_r: Vec<char> = [&batch[..], &contracted, &free_r].concat();
            let Value::Tensor { id: x, shape: xs } = left else {
                return np("constant Einsum that could not be folded");
            };
            let a = arrange(b, *x, xs, tl, &order_l, "einsum_left")?;
            let product = match right {
                Value::Const(c) => {
                    if nb != 1 {
                        return np("Einsum batched over a constant operand");
                    }
                    let perm = positions(tr, &order_r);
                    let wv = wiring::permute_values(&c.to_f32_vec(), &c.shape, &perm);
                    matmul_const(b, a, m, (wv, k, n), None, vec![m, n])?
                }
                Value::Tensor { id: y, shape: ys } => {
                    let c = arrange(b, *y, ys, tr, &order_r, "einsum_right")?;
                    let (a_shape, c_shape) = ([nb, m, k], [nb, k, n]);
                    batched_matmul(b, a, &a_shape, c, &c_shape, vec![nb, m, n])?[0].0
                }
            };
            let labels: Vec<char> = [&batch[..], &free_l, &free_r].concat();
            let dims: Vec<usize> = labels.iter().map(|&c| dim(c)).collect();
            let y = arrange(b, product, &dims, &labels, &eq.output, "out")?;
            one(y, out)
        }
        _ => np(format!("Einsum of {} operands", values.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equations_parse() {
        let e = parse("ij,jk->ik", &[2, 2]).unwrap();
        assert_eq!(e.inputs, vec![vec!['i', 'j'], vec!['j', 'k']]);
        assert_eq!(e.output, vec!['i', 'k']);
        let e = parse("ij,jk", &[2, 2]).unwrap();
        assert_eq!(e.output, vec!['i', 'k']);
        let e = parse("...ij,...jk->...ik", &[4, 3]).unwrap();
        assert_eq!(e.inputs[0], vec!['8', '9', 'i', 'j']);
        assert_eq!(e.inputs[1], vec!['9', 'j', 'k']);
        assert_eq!(e.output, vec!['8', '9', 'i', 'k']);
        assert!(parse("ij,jk->ik", &[2]).is_err());
        assert!(parse("ij->i", &[3]).is_err());
        assert!(parse("i1->i", &[2]).is_err());
    }
}
