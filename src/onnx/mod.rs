//! The ONNX frontend: from a `.onnx` file to the [`LayerGraph`] the rest of zktorch reads.
//!
//! - [`graph`]: the layer graph, plain data independent of tract;
//! - [`load`](mod@load): reading the protobuf as written (constants, external data, attributes,
//!   topological order, input shapes);
//! - `tensor` (private): decoding ONNX tensors, including external data files;
//! - `shapes` (private): static shapes of every tensor by tract's shape inference;
//! - [`supported`]: the ops this milestone handles, and the check that lists all the others;
//! - [`reference`](mod@reference): tract's float run, every layer output by name, for accuracy reports;
//! - [`input`]: `input.json` files (`{"input_data": [[...]]}`);
//! - [`input_shapes`]: shapes given for inputs with symbolic dimensions.
//!
//! ```no_run
//! use std::path::Path;
//! use zktorch::onnx;
//!
//! let path = Path::new("models/lenet5.onnx");
//! let graph = onnx::load(path)?;
//! onnx::check_supported(&graph)?;
//! let inputs = onnx::read_input_json(Path::new("models/lenet5.input.json"), &graph.inputs)?;
//! let float = onnx::run_float_graph(path, &graph, &inputs)?;
//! println!("{:?}", float[&graph.outputs[0].name]);
//! # Ok::<(), zktorch::Error>(())
//! ```

pub mod graph;
pub mod input;
pub mod input_shapes;
pub mod load;
pub mod reference;
mod shapes;
pub mod supported;
mod tensor;

pub use graph::{Attribute, ConstTensor, Layer, LayerGraph, TensorData, ValueInfo};
pub use input::{check_input_lengths, parse_input_json, read_input_json};
pub use input_shapes::{InputShapes, ModelFile};
pub use load::{load, load_with_shapes};
pub use reference::{run_float, run_float_graph, FloatValues};
pub use supported::{
    check_supported, format_unsupported, is_supported, unsupported_nodes, UnsupportedNode,
    SUPPORTED_OPS,
};
