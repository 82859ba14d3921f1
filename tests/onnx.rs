//! The ONNX frontend on the bundled models (models/, made by models/make_models.py) and on the
//! error fixtures (tests/fixtures/onnx/): loading, constants, shapes, external data, the
//! supported-op check, input files, and tract's float run against onnxruntime's.

use std::path::{Path, PathBuf};

use serde_json::Value;
use zktorch::onnx::{self, Attribute, LayerGraph, TensorData};
use zktorch::Error;

const BUNDLED: &[&str] = &["mlp", "lenet5", "resnet_small", "mlp_external"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model(name: &str) -> PathBuf {
    root().join("models").join(format!("{name}.onnx"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/onnx").join(name)
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn expected(name: &str) -> Value {
    json(&root().join("models").join(format!("{name}.expected.json")))
}

fn load(name: &str) -> LayerGraph {
    onnx::load(&model(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn shape(g: &LayerGraph, tensor: &str) -> Vec<usize> {
    g.shape_of(tensor)
        .unwrap_or_else(|| panic!("no shape for {tensor}"))
        .to_vec()
}

fn ops(g: &LayerGraph) -> Vec<&str> {
    g.layers.iter().map(|l| l.op_type.as_str()).collect()
}

/// Every initializer's shape, first and last values (exact) and sum, against what the Python
/// script read from the .onnx (and .onnx.data) with the onnx package.
fn check_constants(name: &str, g: &LayerGraph) {
    let exp = expected(name);
    let consts = exp["constants"].as_object().unwrap();
    assert_eq!(
        consts.len(),
        g.constants.len(),
        "{name}: number of constants"
    );
    for (cname, spec) in consts {
        let c = g
            .constants
            .get(cname)
            .unwrap_or_else(|| panic!("{name}: constant {cname} missing"));
        let want_shape: Vec<usize> = spec["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(c.shape, want_shape, "{name}: shape of {cname}");
        let v = c.as_f32().unwrap();
        assert_eq!(v.len(), want_shape.iter().product::<usize>());
        for (i, f) in spec["first"].as_array().unwrap().iter().enumerate() {
            assert_eq!(v[i], f.as_f64().unwrap() as f32, "{name}: {cname}[{i}]");
        }
        let last = spec["last"][0].as_f64().unwrap() as f32;
        assert_eq!(*v.last().unwrap(), last, "{name}: last of {cname}");
        let sum: f64 = v.iter().map(|&x| f64::from(x)).sum();
        let want = spec["sum"].as_f64().unwrap();
        assert!(
            (sum - want).abs() <= 1e-9 * (1.0 + want.abs()) * v.len() as f64,
            "{name}: sum of {cname}: {sum} vs {want}"
        );
    }
}

#[test]
fn mlp_layers_shapes_constants() {
    let g = load("mlp");
    assert_eq!(g.opset(), 17);
    assert_eq!(g.name, "mlp");
    assert_eq!(ops(&g), ["Gemm", "Relu", "Gemm"]);
    assert_eq!(g.inputs.len(), 1);
    assert_eq!(g.inputs[0].name, "input");
    assert_eq!(g.inputs[0].shape, [1, 784]);
    assert_eq!(g.outputs[0].name, "output");
    assert_eq!(g.outputs[0].shape, [1, 10]);
    assert_eq!(shape(&g, "fc1_out"), [1, 128]);
    assert_eq!(shape(&g, "relu1_out"), [1, 128]);
    assert_eq!(shape(&g, "fc1.weight"), [128, 784]);
    assert_eq!(shape(&g, "fc2.bias"), [10]);

    let fc1 = g.layer("fc1").unwrap();
    assert_eq!(fc1.inputs, ["input", "fc1.weight", "fc1.bias"]);
    assert_eq!(fc1.outputs, ["fc1_out"]);
    assert_eq!(fc1.int("transB"), Some(1));
    assert_eq!(fc1.float("alpha"), Some(1.0));
    assert_eq!(g.producer("relu1_out").unwrap().name, "relu1");
    check_constants("mlp", &g);
}

#[test]
fn lenet5_layers_shapes_attributes() {
    let g = load("lenet5");
    assert_eq!(
        ops(&g),
        [
            "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu",
            "Gemm", "Relu", "Gemm"
        ]
    );
    assert_eq!(g.inputs[0].shape, [1, 1, 28, 28]);
    for (t, s) in [
        ("conv1_out", &[1, 6, 28, 28][..]),
        ("relu1_out", &[1, 6, 28, 28]),
        ("pool1_out", &[1, 6, 14, 14]),
        ("conv2_out", &[1, 16, 10, 10]),
        ("pool2_out", &[1, 16, 5, 5]),
        ("flatten_out", &[1, 400]),
        ("fc1_out", &[1, 120]),
        ("fc2_out", &[1, 84]),
        ("output", &[1, 10]),
        ("conv1.weight", &[6, 1, 5, 5]),
        ("conv2.weight", &[16, 6, 5, 5]),
        ("fc1.weight", &[120, 400]),
    ] {
        assert_eq!(shape(&g, t), s, "{t}");
    }
    let conv1 = g.layer("conv1").unwrap();
    assert_eq!(conv1.ints("pads"), Some(&[2, 2, 2, 2][..]));
    assert_eq!(conv1.ints("kernel_shape"), Some(&[5, 5][..]));
    assert_eq!(g.layer("flatten").unwrap().int("axis"), Some(1));
    assert_eq!(
        g.layer("pool1").unwrap().attributes.get("strides"),
        Some(&Attribute::Ints(vec![2, 2]))
    );
    check_constants("lenet5", &g);
}

#[test]
fn resnet_small_layers_shapes() {
    let g = load("resnet_small");
    let ops = ops(&g);
    assert_eq!(ops.iter().filter(|o| **o == "Conv").count(), 4);
    assert_eq!(
        ops.iter().filter(|o| **o == "BatchNormalization").count(),
        4
    );
    assert_eq!(ops.iter().filter(|o| **o == "Add").count(), 1);
    assert_eq!(
        &ops[ops.len() - 3..],
        ["GlobalAveragePool", "Flatten", "Gemm"]
    );
    assert_eq!(g.inputs[0].shape, [1, 3, 32, 32]);
    assert_eq!(shape(&g, "relu1_out"), [1, 16, 32, 32]);
    assert_eq!(shape(&g, "relu2_out"), [1, 32, 16, 16]);
    assert_eq!(shape(&g, "block.add_out"), [1, 32, 16, 16]);
    assert_eq!(shape(&g, "gap_out"), [1, 32, 1, 1]);
    assert_eq!(shape(&g, "flatten_out"), [1, 32]);
    assert_eq!(g.outputs[0].shape, [1, 10]);
    let add = g.layer("block.add").unwrap();
    assert_eq!(add.inputs, ["block.bn2_out", "relu2_out"]);
    let bn = g.layer("bn1").unwrap();
    assert_eq!(bn.inputs.len(), 5);
    assert!((bn.float("epsilon").unwrap() - 1e-5).abs() < 1e-12);
    // the Add comes after both of its producers
    let pos = |n: &str| g.layers.iter().position(|l| l.name == n).unwrap();
    assert!(pos("block.add") > pos("block.bn2") && pos("block.add") > pos("relu2"));
    check_constants("resnet_small", &g);
}

#[test]
fn every_used_tensor_has_a_shape_and_bundled_models_are_supported() {
    for name in BUNDLED {
        let g = load(name);
        onnx::check_supported(&g).unwrap();
        for l in &g.layers {
            for t in l.inputs.iter().chain(&l.outputs) {
                assert!(
                    g.shape_of(t).is_some(),
                    "{name}: {t} (node {}) has no shape",
                    l.name
                );
            }
        }
        for o in &g.outputs {
            assert_eq!(Some(o.shape.as_slice()), g.shape_of(&o.name));
        }
    }
}

#[test]
fn external_data_is_read_from_beside_the_model() {
    let g = load("mlp_external");
    assert_eq!(ops(&g), ["Gemm", "Relu", "Gemm"]);
    assert_eq!(shape(&g, "fc1.weight"), [8, 16]);
    check_constants("mlp_external", &g);

    // The .onnx alone refers to the .data file: the weights are really there.
    let proto = std::fs::read(model("mlp_external")).unwrap();
    assert!(proto.len() < 1000, "weights must not be inside the .onnx");

    let dir = tempfile::tempdir().unwrap();
    let lone = dir.path().join("mlp_external.onnx");
    std::fs::copy(model("mlp_external"), &lone).unwrap();
    let err = onnx::load(&lone).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Onnx { .. }), "{err:?}");
    assert!(
        msg.contains("mlp_external.onnx.data") && msg.contains("does not exist"),
        "{msg}"
    );
    assert!(msg.contains("fc1.weight"), "{msg}");
    assert_eq!(err.exit_code(), 2);

    // With the data file beside it, in another directory than the original: loads the same.
    let data = root().join("models/mlp_external.onnx.data");
    std::fs::copy(&data, dir.path().join("mlp_external.onnx.data")).unwrap();
    assert_eq!(onnx::load(&lone).unwrap(), g);

    // A short data file is an error, not a panic or made-up weights.
    let bytes = std::fs::read(&data).unwrap();
    std::fs::write(
        dir.path().join("mlp_external.onnx.data"),
        &bytes[..bytes.len() / 2],
    )
    .unwrap();
    let msg = onnx::load(&lone).unwrap_err().to_string();
    assert!(msg.contains("past the end"), "{msg}");
}

#[test]
fn unsupported_ops_are_all_listed() {
    let g = onnx::load(&fixture("unsupported_ops.onnx")).unwrap();
    assert_eq!(ops(&g), ["Relu", "Hardmax", "Acos", "Relu"]);
    // the unnamed Acos node is named after its output
    assert_eq!(g.layers[2].name, "e");
    let err = onnx::check_supported(&g).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported ONNX ops (2 nodes): Hardmax (node \"hm\", opset 13), \
         Acos (node \"e\", opset 13)"
    );
    match err {
        Error::UnsupportedOps { nodes } => {
            assert_eq!(nodes.len(), 2);
            assert_eq!(nodes[0].op_type, "Hardmax");
            assert_eq!(nodes[0].node, "hm");
            assert_eq!(nodes[0].opset, 13);
        }
        other => panic!("{other:?}"),
    }
    assert!(onnx::is_supported("Conv", ""));
    assert!(onnx::is_supported("Conv", "ai.onnx"));
    assert!(!onnx::is_supported("Conv", "com.example"));
    assert_eq!(onnx::SUPPORTED_OPS.len(), 82);
}

/// README.md's table of the ops that lower is the one this test generates from
/// `SUPPORTED_OPS` (on a mismatch it prints the block to paste).
#[test]
fn readme_lists_exactly_the_ops_that_lower() {
    let mut ops: Vec<&str> = onnx::SUPPORTED_OPS.to_vec();
    ops.sort_unstable();
    let mut block = format!(
        "<!-- ops:begin (generated: `cargo test --test onnx readme` prints it) -->\n\
         | {} ONNX op types lower (default domain; plus Shape/Gather/Cast chains folded at \
         compile time) |\n| --- |\n",
        ops.len()
    );
    for row in ops.chunks(10) {
        block.push_str(&format!("| {} |\n", row.join(", ")));
    }
    block.push_str("<!-- ops:end -->");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let found = readme.find("<!-- ops:begin").and_then(|a| {
        readme[a..]
            .find("<!-- ops:end -->")
            .map(|b| &readme[a..a + b + 16])
    });
    assert_eq!(
        found,
        Some(block.as_str()),
        "README.md needs this block:\n{block}"
    );
}

#[test]
fn malformed_files_are_errors_not_panics() {
    for f in ["garbage.onnx", "truncated.onnx"] {
        let err = onnx::load(&fixture(f)).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Onnx { .. }), "{f}: {err:?}");
        assert!(msg.contains(f), "{f}: {msg}");
        assert_eq!(err.exit_code(), 2);
    }
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.onnx");
    std::fs::write(&empty, b"").unwrap();
    let msg = onnx::load(&empty).unwrap_err().to_string();
    assert!(msg.contains("no graph"), "{msg}");

    let missing = dir.path().join("missing.onnx");
    assert!(matches!(onnx::load(&missing), Err(Error::Io { .. })));
    assert!(onnx::run_float(&fixture("garbage.onnx"), &[vec![0.0]]).is_err());

    // Every prefix of a small model: never a panic.
    let bytes = std::fs::read(model("mlp_external")).unwrap();
    for cut in 0..bytes.len() {
        let p = dir.path().join("cut.onnx");
        std::fs::write(&p, &bytes[..cut]).unwrap();
        let _ = onnx::load(&p);
    }
}

/// A symbolic dimension recorded in `value_info` and the graph output (Paddle2ONNX writes it in
/// every one) does not stop shape inference from the static input shape: the Shape → Slice →
/// Concat → Reshape chain folds, at batch 1 and at a given batch.
#[test]
fn symbolic_dimensions_in_value_info_do_not_stop_shape_inference() {
    let path = fixture("symbolic_value_info.onnx");
    let g = onnx::load(&path).unwrap();
    assert_eq!(shape(&g, "y"), [1, 6]);
    assert_eq!(g.outputs[0].shape, [1, 6]);
    let program = zktorch::compile::compile(&g, zktorch::quant::QuantConfig::default()).unwrap();
    assert!(program.not_provable().is_empty(), "the Shape chain folds");
    let mut shapes = onnx::InputShapes::new();
    shapes.give_arg("x=4,2,3").unwrap();
    let g = onnx::load_with_shapes(&path, &shapes).unwrap();
    assert_eq!(shape(&g, "y"), [4, 6]);
    let out = onnx::run_float_graph(&path, &g, &[vec![-1.0; 24]]).unwrap();
    assert_eq!(out["y"], (vec![4, 6], vec![0.0; 24]));
}

#[test]
fn a_symbolic_batch_is_one_unless_a_shape_is_given() {
    let path = fixture("symbolic_dim.onnx");
    // No shape given: the leading symbolic dimension is batch 1, and the graph says so.
    let g = onnx::load(&path).unwrap();
    assert_eq!(g.inputs[0].shape, [1, 4]);
    assert_eq!(shape(&g, "y"), [1, 4]);
    assert_eq!(g.assumed.len(), 1);
    let note = &g.assumed[0];
    assert!(
        note.contains("\"x\"") && note.contains("\"batch\"") && note.contains("axis 0"),
        "{note}"
    );

    let mut shapes = onnx::InputShapes::new();
    shapes.give_arg("x=3,4").unwrap();
    let g = onnx::load_with_shapes(&path, &shapes).unwrap();
    assert!(g.assumed.is_empty());
    assert_eq!(g.inputs[0].shape, [3, 4]);
    assert_eq!(g.outputs[0].shape, [3, 4]);
    assert_eq!(shape(&g, "y"), [3, 4]);
    let out = onnx::run_float_graph(&path, &g, &[vec![-1.0; 12]]).unwrap();
    assert_eq!(out["y"], (vec![3, 4], vec![0.0; 12]));

    // By position (EZKL's input files), the same.
    let mut by_pos = onnx::InputShapes::new();
    by_pos
        .give_input_json(r#"{"input_shapes": [[5, 4]]}"#, "in.json")
        .unwrap();
    assert_eq!(
        onnx::load_with_shapes(&path, &by_pos).unwrap().inputs[0].shape,
        [5, 4]
    );

    // A shape that does not fit the fixed dimensions, an unknown name, too many positions.
    let mut bad = onnx::InputShapes::new();
    bad.give_arg("x=3,5").unwrap();
    let msg = onnx::load_with_shapes(&path, &bad).unwrap_err().to_string();
    assert!(
        msg.contains("does not fit") && msg.contains("--input-shape x=3,5"),
        "{msg}"
    );
    let mut other = onnx::InputShapes::new();
    other.give_arg("nope=1").unwrap();
    let msg = onnx::load_with_shapes(&path, &other)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("\"nope\"") && msg.contains("[\"x\"]"), "{msg}");
    let mut extra = onnx::InputShapes::new();
    extra
        .give_input_json(r#"{"input_shapes": [[1, 4], [2]]}"#, "two.json")
        .unwrap();
    let msg = onnx::load_with_shapes(&path, &extra)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("two.json") && msg.contains("more input shapes"),
        "{msg}"
    );
}

#[test]
fn an_input_larger_than_any_proof_is_refused_when_loaded() {
    let mut s = onnx::InputShapes::new();
    s.give_arg("x=4294967296,4").unwrap();
    let msg = onnx::load_with_shapes(&fixture("symbolic_dim.onnx"), &s)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("more than 2^31 entries"), "{msg}");
}

/// 1/0 and √ of a negative have no finite float value: the witness refuses them (naming the
/// layer) instead of proving the table's stand-in value.
#[test]
fn a_reciprocal_of_zero_is_an_error_not_a_value() {
    let dir = tempfile::tempdir().unwrap();
    for (op, bad) in [("Reciprocal", 0.0f32), ("Sqrt", -1.0)] {
        let p = dir.path().join(format!("{op}.onnx"));
        std::fs::write(&p, one_op_model(op, &[Some(1), Some(4)], "n")).unwrap();
        let g = onnx::load(&p).unwrap();
        let mut program =
            zktorch::compile::compile(&g, zktorch::quant::QuantConfig::default()).unwrap();
        let ok = vec![vec![1.0, 2.0, 0.5, 4.0]];
        zktorch::quant::calibrate(&mut program, std::slice::from_ref(&ok)).unwrap();
        let msg = zktorch::quant::calibrate(&mut program, &[vec![vec![1.0, bad, 0.5, 4.0]]])
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("the_op") && msg.contains("not finite"),
            "{op}: {msg}"
        );
    }
}

#[test]
fn a_symbolic_dimension_after_the_first_needs_a_shape_and_says_how() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("seq.onnx");
    std::fs::write(&p, symbolic_model(&[Some(1), None, Some(8)], "seq")).unwrap();
    let msg = onnx::load(&p).unwrap_err().to_string();
    for want in [
        "\"x\"",
        "\"seq\"",
        "axis 1",
        "[1, ?, 8]",
        "--input-shape x=1,N,8",
        "input_shapes",
    ] {
        assert!(msg.contains(want), "{want}: {msg}");
    }
    let mut s = onnx::InputShapes::new();
    s.give_arg("1,16,8").unwrap();
    let g = onnx::load_with_shapes(&p, &s).unwrap();
    assert_eq!(g.inputs[0].shape, [1, 16, 8]);
    assert_eq!(shape(&g, "y"), [1, 16, 8]);
}

/// A one-node model `y = Relu(x)` whose input has the given dimensions (None: the symbolic
/// dimension `sym`), written with tract's protobuf types.
fn symbolic_model(dims: &[Option<i64>], sym: &str) -> Vec<u8> {
    one_op_model("Relu", dims, sym)
}

/// A one-node model `y = op(x)` whose input has the given dimensions (None: the symbolic
/// dimension `sym`), written with tract's protobuf types.
fn one_op_model(op: &str, dims: &[Option<i64>], sym: &str) -> Vec<u8> {
    use prost::Message;
    use tract_onnx::pb::tensor_shape_proto::{dimension::Value as D, Dimension};
    use tract_onnx::pb::type_proto::{Tensor, Value as T};
    use tract_onnx::pb::*;
    let ty = |dims: Vec<Option<i64>>| TypeProto {
        value: Some(T::TensorType(Tensor {
            elem_type: 1,
            shape: Some(TensorShapeProto {
                dim: dims
                    .into_iter()
                    .map(|d| Dimension {
                        value: Some(match d {
                            Some(v) => D::DimValue(v),
                            None => D::DimParam(sym.to_string()),
                        }),
                        ..Default::default()
                    })
                    .collect(),
            }),
        })),
        ..Default::default()
    };
    let vi = |name: &str, dims: Vec<Option<i64>>| ValueInfoProto {
        name: name.into(),
        r#type: Some(ty(dims)),
        ..Default::default()
    };
    let model = ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 17,
        }],
        graph: Some(GraphProto {
            name: "g".into(),
            node: vec![NodeProto {
                op_type: op.into(),
                name: "the_op".into(),
                input: vec!["x".into()],
                output: vec!["y".into()],
                ..Default::default()
            }],
            input: vec![vi("x", dims.to_vec())],
            output: vec![vi("y", dims.to_vec())],
            ..Default::default()
        }),
        ..Default::default()
    };
    model.encode_to_vec()
}

#[test]
fn nodes_are_put_in_topological_order() {
    let g = onnx::load(&fixture("unsorted.onnx")).unwrap();
    let names: Vec<&str> = g.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["first_neg", "first_abs", "second"]);
    assert_eq!(shape(&g, "a"), [2, 3]);
}

#[test]
fn input_json_parsing() {
    let g = load("lenet5");
    let inputs =
        onnx::read_input_json(&root().join("models/lenet5.input.json"), &g.inputs).unwrap();
    assert_eq!(inputs.len(), 1);
    assert_eq!(inputs[0].len(), 784);

    // nested lists flatten row-major; extra keys are ignored
    let one = vec![onnx::ValueInfo {
        name: "x".into(),
        shape: vec![2, 2],
    }];
    let v = onnx::parse_input_json(
        r#"{"input_data": [[[1, 2], [3.5, -4e-1]]], "output_data": [[0]]}"#,
        &one,
    )
    .unwrap();
    assert_eq!(v, [vec![1.0, 2.0, 3.5, -0.4]]);
    // a flat list for a single-input model
    let v = onnx::parse_input_json(r#"{"input_data": [1, 2, 3, 4]}"#, &one).unwrap();
    assert_eq!(v, [vec![1.0, 2.0, 3.0, 4.0]]);

    let err = |text: &str, inputs: &[onnx::ValueInfo]| {
        let e = onnx::parse_input_json(text, inputs).unwrap_err();
        assert!(matches!(e, Error::InputData(_)), "{e:?}");
        assert_eq!(e.exit_code(), 2);
        e.to_string()
    };
    let m = err(r#"{"input_data": [[1, 2, 3, 4], [1]]}"#, &one);
    assert!(m.contains("2 entries") && m.contains("1 input"), "{m}");
    let m = err(r#"{"input_data": [[1, 2, 3]]}"#, &one);
    assert!(
        m.contains("\"x\"") && m.contains("expects 4 values") && m.contains("has 3"),
        "{m}"
    );
    let m = err(r#"{"input_data": [[1, "two", 3, 4]]}"#, &one);
    assert!(
        m.contains("\"two\"") && m.contains("not a number") && m.contains("#1"),
        "{m}"
    );
    let m = err(r#"{"input_data": [[1, null, 3, 4]]}"#, &one);
    assert!(m.contains("null"), "{m}");
    let m = err(r#"{"input_data": [[1, 2, 3, 1e300]]}"#, &one);
    assert!(m.contains("out of f32 range"), "{m}");
    let m = err(r#"{"inputs": [[1, 2, 3, 4]]}"#, &one);
    assert!(m.contains("input_data"), "{m}");
    let m = err("{not json", &one);
    assert!(m.contains("not valid JSON"), "{m}");

    let two = vec![
        onnx::ValueInfo {
            name: "a".into(),
            shape: vec![2],
        },
        onnx::ValueInfo {
            name: "b".into(),
            shape: vec![1, 3],
        },
    ];
    let v = onnx::parse_input_json(r#"{"input_data": [[1, 2], [[3, 4, 5]]]}"#, &two).unwrap();
    assert_eq!(v, [vec![1.0, 2.0], vec![3.0, 4.0, 5.0]]);
    let m = err(r#"{"input_data": [1, 2, 3, 4, 5]}"#, &two);
    assert!(m.contains("5 entries") && m.contains("2 inputs"), "{m}");
    let m = err(r#"{"input_data": [[1, 2], [3, 4]]}"#, &two);
    assert!(m.contains("\"b\"") && m.contains("expects 3"), "{m}");
}

/// |tract - onnxruntime| <= 1e-4 * max(|expected|, largest |expected| of the tensor): relative
/// to the value, or to the tensor's scale for values near zero.
fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(0f32, |m, x| m.max(x.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let tol = 1e-4 * w.abs().max(scale);
        assert!(
            (g - w).abs() <= tol,
            "{what}[{i}]: tract {g} vs onnxruntime {w}"
        );
    }
}

#[test]
fn float_reference_matches_onnxruntime() {
    for name in BUNDLED {
        let path = model(name);
        let g = onnx::load(&path).unwrap();
        let inputs = onnx::read_input_json(
            &root().join("models").join(format!("{name}.input.json")),
            &g.inputs,
        )
        .unwrap();
        let out = onnx::run_float_graph(&path, &g, &inputs).unwrap();
        let exp = expected(name);
        for (k, oname) in exp["output_names"].as_array().unwrap().iter().enumerate() {
            let oname = oname.as_str().unwrap();
            let (shape, data) = &out[oname];
            let want_shape: Vec<usize> = exp["output_shapes"][k]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(shape, &want_shape, "{name}: {oname} shape");
            let want: Vec<f32> = exp["output_data"][k]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect();
            assert_close(&format!("{name}: {oname}"), data, &want);
        }
        // every layer output comes back, with the shape the loader inferred
        for l in &g.layers {
            for o in &l.outputs {
                let (s, d) = out
                    .get(o)
                    .unwrap_or_else(|| panic!("{name}: no value for {o}"));
                assert_eq!(Some(s.as_slice()), g.shape_of(o), "{name}: {o}");
                assert_eq!(d.len(), s.iter().product::<usize>());
            }
        }
    }
}

#[test]
fn intermediate_values_are_the_layer_outputs() {
    let path = model("mlp");
    let g = onnx::load(&path).unwrap();
    let x: Vec<f32> = (0..784).map(|i| ((i * 37) % 101) as f32 / 100.0).collect();
    let out = onnx::run_float(&path, std::slice::from_ref(&x)).unwrap();
    let (_, fc1) = &out["fc1_out"];
    let (_, relu) = &out["relu1_out"];
    assert!(
        fc1.iter().any(|&v| v < 0.0),
        "some pre-activations are negative"
    );
    for (a, r) in fc1.iter().zip(relu) {
        assert_eq!(*r, a.max(0.0));
    }
    // fc1 by hand, in f64
    let w = g.constants["fc1.weight"].as_f32().unwrap();
    let b = g.constants["fc1.bias"].as_f32().unwrap();
    for j in [0usize, 17, 127] {
        let acc: f64 = (0..784)
            .map(|i| f64::from(w[j * 784 + i]) * f64::from(x[i]))
            .sum::<f64>()
            + f64::from(b[j]);
        assert!((acc - f64::from(fc1[j])).abs() < 1e-4, "fc1_out[{j}]");
    }

    // wrong inputs are refused before tract runs
    let e = onnx::run_float(&path, &[vec![0.0; 783]]).unwrap_err();
    assert!(e.to_string().contains("expects 784"), "{e}");
    let e = onnx::run_float(&path, &[]).unwrap_err();
    assert!(matches!(e, Error::InputData(_)), "{e:?}");
}

#[test]
fn constant_data_types() {
    // Every bundled constant is f32; the TensorData narrowing is unit-tested in the crate.
    for name in BUNDLED {
        for (cname, c) in &load(name).constants {
            assert!(matches!(c.data, TensorData::F32(_)), "{name}: {cname}");
            assert_eq!(c.len(), c.shape.iter().product::<usize>());
        }
    }
}

#[test]
fn constant_nodes_and_element_types() {
    let path = fixture("constants.onnx");
    let g = onnx::load(&path).unwrap();
    // Constant nodes become constants and leave the layer list
    assert_eq!(ops(&g), ["Reshape", "Add"]);
    assert_eq!(g.layers[1].name, "add");
    let c = &g.constants;
    assert_eq!(c["shape_c"].shape, [2]);
    assert_eq!(c["shape_c"].data, TensorData::I64(vec![3, 2]));
    assert_eq!(c["bias_c"].shape, [2]);
    assert_eq!(c["bias_c"].data, TensorData::F32(vec![0.5, -1.5]));
    assert_eq!(c["w_f16"].data, TensorData::F32(vec![1.0, -2.5, 65504.0]));
    assert_eq!(c["w_f64"].shape, [2, 1]);
    assert_eq!(c["w_f64"].data, TensorData::F32(vec![0.1, -7.25]));
    assert_eq!(c["w_i8"].data, TensorData::I64(vec![-128, 0, 127]));
    assert_eq!(c["w_bool"].data, TensorData::I64(vec![1, 0]));
    assert_eq!(c["w_i32"].data, TensorData::I64(vec![7, -3]));
    assert_eq!(shape(&g, "r"), [3, 2]);
    assert_eq!(g.outputs[0].shape, [3, 2]);

    let x: Vec<f32> = (0..6).map(|i| i as f32).collect();
    let out = onnx::run_float_graph(&path, &g, &[x]).unwrap();
    assert_eq!(out["y"], (vec![3, 2], vec![0.5, -0.5, 2.5, 1.5, 4.5, 3.5]));
}

#[test]
fn an_op_nobody_knows_is_named_by_load() {
    // tract cannot infer the shape after the unknown op, so `load` reports the unsupported ops.
    let err = onnx::load(&fixture("unknown_op.onnx")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported ONNX ops (1 node): com.example::Frobnicate (node \"frob\", domain \
         com.example opset 2)"
    );
}

#[test]
fn error_messages_read_well() {
    // Printed with --nocapture, for a human to look at; asserts only that each is one line.
    let dir = tempfile::tempdir().unwrap();
    let lone = dir.path().join("mlp_external.onnx");
    std::fs::copy(model("mlp_external"), &lone).unwrap();
    for p in [
        fixture("garbage.onnx"),
        fixture("truncated.onnx"),
        fixture("unknown_op.onnx"),
        lone,
    ] {
        let m = onnx::load(&p).unwrap_err().to_string();
        println!("{m}");
        assert!(!m.contains('\n'), "{m}");
    }
}
