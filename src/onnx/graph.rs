//! The layer graph: an ONNX model as written, as plain data.
//!
//! This is what the rest of zktorch (quantization, the compiler, `inspect`) reads. It does not
//! depend on tract: [`super::load()`] fills it from the protobuf, and tract's shape inference
//! fills [`LayerGraph::value_shapes`].
//!
//! Conventions:
//!
//! - Tensors are named as in the ONNX file. An empty name in [`Layer::inputs`] or
//!   [`Layer::outputs`] is an omitted optional input or output (ONNX keeps positions, e.g.
//!   `Clip(x, "", max)`).
//! - Constants are initializers and the outputs of `Constant` nodes; `Constant` nodes do not
//!   appear among the layers.
//! - Element types are narrowed to two: floats (f16, f32, f64, bfloat16 not supported) become
//!   `f32`, integers and booleans become `i64`. The quantizer works from `f32` anyway, and
//!   integer tensors in ONNX graphs are shapes, axes and indices.

use std::collections::BTreeMap;

/// An ONNX model read into plain data: its inputs, outputs, layers in topological order,
/// constants and the static shape of every tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerGraph {
    /// The graph's name (`GraphProto.name`).
    pub name: String,
    /// Opset version imported for each operator domain; the default ONNX domain is `""`
    /// (`"ai.onnx"` in the file is stored as `""` too).
    pub opset_imports: BTreeMap<String, i64>,
    /// Graph inputs that are not initializers, in file order, with their static shapes.
    pub inputs: Vec<ValueInfo>,
    /// Graph outputs, in file order, with their static shapes.
    pub outputs: Vec<ValueInfo>,
    /// Every node other than `Constant`, in topological order (file order where the file is
    /// already sorted, as ONNX requires).
    pub layers: Vec<Layer>,
    /// Initializers and `Constant` node outputs, by tensor name.
    pub constants: BTreeMap<String, ConstTensor>,
    /// Static shape of every non-constant tensor: the graph inputs and every layer output
    /// (possibly without the outputs nothing reads, such as Dropout's mask, when inference
    /// cannot tell them).
    pub value_shapes: BTreeMap<String, Vec<usize>>,
    /// Shapes the loader assumed (a symbolic batch dimension taken as 1), one sentence each,
    /// for the caller to print.
    pub assumed: Vec<String>,
    /// Graph inputs of an integer element type (token ids, indices): quantized at scale 2^0
    /// and fed to the float reference as i64.
    pub integer_inputs: std::collections::BTreeSet<String>,
}

impl LayerGraph {
    /// The opset version of the default ONNX domain.
    pub fn opset(&self) -> i64 {
        self.opset_for("")
    }

    /// The opset version imported for `domain` (`""` or `"ai.onnx"` is the default domain),
    /// or 0 if the model imports none.
    pub fn opset_for(&self, domain: &str) -> i64 {
        let domain = canonical_domain(domain);
        self.opset_imports.get(domain).copied().unwrap_or(0)
    }

    /// The layer with this node name.
    pub fn layer(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.name == name)
    }

    /// The layer that writes this tensor.
    pub fn producer(&self, tensor: &str) -> Option<&Layer> {
        self.layers
            .iter()
            .find(|l| l.outputs.iter().any(|o| o == tensor))
    }

    /// The static shape of a tensor: a graph input, a layer output or a constant.
    pub fn shape_of(&self, tensor: &str) -> Option<&[usize]> {
        if let Some(s) = self.value_shapes.get(tensor) {
            return Some(s);
        }
        self.constants.get(tensor).map(|c| c.shape.as_slice())
    }

    /// Distinct op types used by the layers, in first-use order.
    pub fn op_types(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for l in &self.layers {
            if !seen.contains(&l.op_type.as_str()) {
                seen.push(&l.op_type);
            }
        }
        seen
    }
}

/// `"ai.onnx"` is the default domain, also written `""`.
pub(crate) fn canonical_domain(domain: &str) -> &str {
    if domain == "ai.onnx" {
        ""
    } else {
        domain
    }
}

/// A graph input or output: its name and static shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueInfo {
    /// Tensor name.
    pub name: String,
    /// Static shape (every dimension known).
    pub shape: Vec<usize>,
}

impl ValueInfo {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the tensor has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One ONNX node (other than `Constant`), as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Node name; for an unnamed node, the name of its first output (or `"<op_type>_<index>"`).
    pub name: String,
    /// ONNX op type, e.g. `"Conv"`.
    pub op_type: String,
    /// Operator domain, `""` for the default ONNX domain (`"ai.onnx"` is stored as `""`).
    pub domain: String,
    /// Input tensor names, positional; `""` marks an omitted optional input.
    pub inputs: Vec<String>,
    /// Output tensor names, positional; `""` marks an omitted optional output.
    pub outputs: Vec<String>,
    /// Attributes by name.
    pub attributes: BTreeMap<String, Attribute>,
}

impl Layer {
    /// An integer attribute.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.attributes.get(name) {
            Some(Attribute::Int(v)) => Some(*v),
            _ => None,
        }
    }

    /// A float attribute.
    pub fn float(&self, name: &str) -> Option<f32> {
        match self.attributes.get(name) {
            Some(Attribute::Float(v)) => Some(*v),
            _ => None,
        }
    }

    /// An integer-list attribute.
    pub fn ints(&self, name: &str) -> Option<&[i64]> {
        match self.attributes.get(name) {
            Some(Attribute::Ints(v)) => Some(v),
            _ => None,
        }
    }

    /// A float-list attribute.
    pub fn floats(&self, name: &str) -> Option<&[f32]> {
        match self.attributes.get(name) {
            Some(Attribute::Floats(v)) => Some(v),
            _ => None,
        }
    }

    /// A string attribute.
    pub fn string(&self, name: &str) -> Option<&str> {
        match self.attributes.get(name) {
            Some(Attribute::String(v)) => Some(v),
            _ => None,
        }
    }
}

/// A node attribute.
#[derive(Clone, Debug, PartialEq)]
pub enum Attribute {
    /// `INT`.
    Int(i64),
    /// `FLOAT`.
    Float(f32),
    /// `INTS`.
    Ints(Vec<i64>),
    /// `FLOATS`.
    Floats(Vec<f32>),
    /// `STRING` (bytes read as UTF-8, invalid sequences replaced).
    String(String),
    /// `STRINGS`.
    Strings(Vec<String>),
    /// `TENSOR`.
    Tensor(ConstTensor),
    /// A kind zktorch does not read (`GRAPH`, `GRAPHS`, `SPARSE_TENSOR`, `TYPE_PROTO`, ...):
    /// kept so the node can still be listed; only unsupported ops carry these.
    Unsupported {
        /// The ONNX attribute type, e.g. `"GRAPH"`.
        kind: String,
    },
}

/// A constant tensor (initializer or `Constant` node output), its values exact as in the file
/// up to the element-type narrowing described in the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstTensor {
    /// Shape (`[]` for a scalar).
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: TensorData,
}

impl ConstTensor {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the tensor has no element.
    pub fn is_empty(&self) -> bool {
        self.data.len() == 0
    }

    /// The values as `f32` if the tensor is a float tensor.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match &self.data {
            TensorData::F32(v) => Some(v),
            TensorData::I64(_) => None,
        }
    }

    /// The values as `i64` if the tensor is an integer (or boolean) tensor.
    pub fn as_i64(&self) -> Option<&[i64]> {
        match &self.data {
            TensorData::I64(v) => Some(v),
            TensorData::F32(_) => None,
        }
    }

    /// The values as `f32` whatever the element type (integers converted, exactly below 2^24).
    pub fn to_f32_vec(&self) -> Vec<f32> {
        match &self.data {
            TensorData::F32(v) => v.clone(),
            TensorData::I64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }
}

/// The values of a constant tensor.
#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    /// Float tensors (ONNX float, double, float16).
    F32(Vec<f32>),
    /// Integer and boolean tensors (ONNX int8/16/32/64, uint8/16/32/64, bool).
    I64(Vec<i64>),
}

impl TensorData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            TensorData::F32(v) => v.len(),
            TensorData::I64(v) => v.len(),
        }
    }

    /// Whether there is no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
