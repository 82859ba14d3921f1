//! Which ONNX ops this milestone handles, and the check that names every node that it does not.
//!
//! Support is by op type in the default ONNX domain (`""` / `"ai.onnx"`); any op of another
//! domain is unsupported. Opset-dependent semantics (e.g. Softmax's axis before opset 13) are the
//! compiler's business, per op; the opset is reported in the error so a user can tell.

use std::fmt;

use super::graph::LayerGraph;
use crate::{Error, Result};

/// ONNX op types (default domain) supported by this milestone.
pub const SUPPORTED_OPS: &[&str] = &[
    "Gemm",
    "MatMul",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Relu",
    "LeakyRelu",
    "Sigmoid",
    "Tanh",
    "Clip",
    "Conv",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "BatchNormalization",
    "Flatten",
    "Reshape",
    "Squeeze",
    "Unsqueeze",
    "Transpose",
    "Concat",
    "Softmax",
    "LogSoftmax",
    "ReduceMean",
    "ReduceSum",
    "Identity",
    "Dropout",
    "Constant",
    "Abs",
    "Neg",
    "Exp",
    "HardSigmoid",
    "HardSwish",
    "Elu",
    "Selu",
    "ThresholdedRelu",
    "Softsign",
    "Sqrt",
    "Reciprocal",
    "Floor",
    "Ceil",
    "Round",
    "Sign",
    "Max",
    "Min",
    "Sum",
    "Mean",
    "PRelu",
    "Pow",
    "Erf",
    "Gelu",
    "LayerNormalization",
    "Gather",
    "Slice",
    "Split",
    "Where",
    "ReduceMax",
    "ReduceMin",
    "ReduceL1",
    "ReduceL2",
    "ReduceSumSquare",
    "Pad",
    "Tile",
    "Expand",
    "DepthToSpace",
    "SpaceToDepth",
    "InstanceNormalization",
    "ArgMax",
    "ArgMin",
    "Cast",
    "Equal",
    "LSTM",
    "GRU",
    "ConvTranspose",
    "Log",
    "Softplus",
    "Resize",
    "Einsum",
    "TopK",
    "CumSum",
];

/// Whether an op type of a domain is supported.
pub fn is_supported(op_type: &str, domain: &str) -> bool {
    (domain.is_empty() || domain == "ai.onnx") && SUPPORTED_OPS.contains(&op_type)
}

/// One node zktorch cannot handle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsupportedNode {
    /// ONNX op type.
    pub op_type: String,
    /// Operator domain (`""` for the default ONNX domain).
    pub domain: String,
    /// Node name (see [`super::Layer::name`] for unnamed nodes).
    pub node: String,
    /// Opset version of the node's domain in this model.
    pub opset: i64,
}

impl fmt::Display for UnsupportedNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.domain.is_empty() {
            write!(
                f,
                "{} (node {:?}, opset {})",
                self.op_type, self.node, self.opset
            )
        } else {
            write!(
                f,
                "{}::{} (node {:?}, domain {} opset {})",
                self.domain, self.op_type, self.node, self.domain, self.opset
            )
        }
    }
}

/// `A (node "a", opset 13), B (node "b", opset 13)`.
pub fn format_unsupported(nodes: &[UnsupportedNode]) -> String {
    nodes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every unsupported node of the graph, in topological order.
pub fn unsupported_nodes(g: &LayerGraph) -> Vec<UnsupportedNode> {
    g.layers
        .iter()
        .filter(|l| !is_supported(&l.op_type, &l.domain))
        .map(|l| UnsupportedNode {
            op_type: l.op_type.clone(),
            domain: l.domain.clone(),
            node: l.name.clone(),
            opset: g.opset_for(&l.domain),
        })
        .collect()
}

/// `Ok` if every layer is supported, otherwise one [`Error::UnsupportedOps`] listing them all.
pub fn check_supported(g: &LayerGraph) -> Result<()> {
    let nodes = unsupported_nodes(g);
    if nodes.is_empty() {
        Ok(())
    } else {
        Err(Error::UnsupportedOps { nodes })
    }
}
