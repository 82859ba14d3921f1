#!/usr/bin/env python3
"""Build the single-op ONNX models of tests/fixtures/ops/ and their sample inputs.

Usage (from the repository root):

    pip install onnx==1.22.0 numpy
    python3 scripts/make_op_fixtures.py

For every case writes tests/fixtures/ops/<case>.onnx (opset 17, IR 8, weights as initializers)
and <case>.input.json ({"input_data": [[...], ...]}, one list per graph input, standard normal
values from a seeded generator). tests/frontend.rs compiles each model, runs the quantized
witness and compares with tract's float output. Deterministic: running it again rewrites the
same files.
"""

import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "tests", "fixtures", "ops")
RNG = np.random.default_rng(2024)


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def w(name, shape, scale=0.5):
    return const(name, (RNG.standard_normal(shape) * scale).astype(np.float32))


def save(case, nodes, inputs, output_shape, inits=(), opset=OPSET):
    graph = helper.make_graph(
        nodes, case, [f32(n, s) for n, s in inputs], [f32("y", output_shape)], list(inits)
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.save_model(model, os.path.join(OUT, f"{case}.onnx"))
    data = [
        [float(v) for v in RNG.standard_normal(s).astype(np.float32).reshape(-1)]
        for _, s in inputs
    ]
    with open(os.path.join(OUT, f"{case}.input.json"), "w") as f:
        json.dump({"input_data": data}, f)
        f.write("\n")


def node(op, ins, out="y", **attrs):
    return helper.make_node(op, ins, [out], name=op.lower(), **attrs)


def main():
    os.makedirs(OUT, exist_ok=True)
    x23 = [("x", [2, 3])]
    save("add_const", [node("Add", ["x", "c"])], x23, [2, 3], [w("c", [3])])
    save("add_broadcast", [node("Add", ["x", "b"])], [("x", [2, 3]), ("b", [1, 3])], [2, 3])
    save("sub_const_first", [node("Sub", ["c", "x"])], x23, [2, 3], [w("c", [2, 3])])
    save("mul_scalar", [node("Mul", ["x", "c"])], x23, [2, 3], [const("c", np.float32(0.37))])
    save("mul_tensor_const", [node("Mul", ["x", "c"])], x23, [2, 3], [w("c", [3])])
    save("mul_two", [node("Mul", ["x", "b"])], [("x", [2, 3]), ("b", [2, 3])], [2, 3])
    save("div_integer", [node("Div", ["x", "c"])], x23, [2, 3], [const("c", np.float32(4.0))])
    save("div_real", [node("Div", ["x", "c"])], x23, [2, 3], [const("c", np.float32(0.3))])
    save("matmul_const", [node("MatMul", ["x", "W"])], [("x", [2, 5])], [2, 3], [w("W", [5, 3])])
    save("matmul_const_left", [node("MatMul", ["W", "x"])], [("x", [5, 3])], [2, 3], [w("W", [2, 5])])
    save("matmul_two", [node("MatMul", ["x", "b"])], [("x", [2, 4]), ("b", [4, 3])], [2, 3])
    save(
        "gemm_trans_alpha_beta",
        [node("Gemm", ["x", "W", "C"], transA=1, transB=1, alpha=0.5, beta=2.0)],
        [("x", [5, 2])],
        [2, 3],
        [w("W", [3, 5]), w("C", [3])],
    )
    save("relu", [node("Relu", ["x"])], x23, [2, 3])
    save("leaky_relu", [node("LeakyRelu", ["x"], alpha=0.2)], x23, [2, 3])
    save("sigmoid", [node("Sigmoid", ["x"])], x23, [2, 3])
    save("tanh", [node("Tanh", ["x"])], x23, [2, 3])
    save(
        "clip",
        [node("Clip", ["x", "lo", "hi"])],
        x23,
        [2, 3],
        [const("lo", np.float32(-0.5)), const("hi", np.float32(0.8))],
    )
    x4 = [("x", [1, 2, 7, 7])]
    save(
        "conv_stride_pad",
        [node("Conv", ["x", "W", "B"], strides=[2, 2], pads=[1, 1, 1, 1], kernel_shape=[3, 3])],
        x4,
        [1, 4, 4, 4],
        [w("W", [4, 2, 3, 3]), w("B", [4])],
    )
    save(
        "conv_same_dilated",
        [node("Conv", ["x", "W"], auto_pad="SAME_UPPER", dilations=[2, 2])],
        x4,
        [1, 3, 7, 7],
        [w("W", [3, 2, 2, 2])],
    )
    save(
        "conv_depthwise",
        [node("Conv", ["x", "W", "B"], group=3, pads=[1, 1, 1, 1])],
        [("x", [1, 3, 6, 6])],
        [1, 6, 6, 6],
        [w("W", [6, 1, 3, 3]), w("B", [6])],
    )
    save(
        "maxpool_pad",
        [node("MaxPool", ["x"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])],
        x4,
        [1, 2, 4, 4],
    )
    save(
        "averagepool",
        [node("AveragePool", ["x"], kernel_shape=[2, 2], strides=[2, 2])],
        [("x", [1, 2, 6, 6])],
        [1, 2, 3, 3],
    )
    save(
        "averagepool_count_pad",
        [node("AveragePool", ["x"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1)],
        [("x", [1, 2, 5, 5])],
        [1, 2, 5, 5],
    )
    save("global_average_pool", [node("GlobalAveragePool", ["x"])], x4, [1, 2, 1, 1])
    bn = lambda c: [  # noqa: E731
        const("g", (1 + 0.2 * RNG.standard_normal(c)).astype(np.float32)),
        const("be", (0.1 * RNG.standard_normal(c)).astype(np.float32)),
        const("m", (0.1 * RNG.standard_normal(c)).astype(np.float32)),
        const("v", (1 + 0.3 * RNG.random(c)).astype(np.float32)),
    ]
    save(
        "batchnorm",
        [node("BatchNormalization", ["x", "g", "be", "m", "v"], epsilon=1e-5)],
        x4,
        [1, 2, 7, 7],
        bn(2),
    )
    save(
        "conv_batchnorm",
        [
            node("Conv", ["x", "W"], "c", pads=[1, 1, 1, 1]),
            node("BatchNormalization", ["c", "g", "be", "m", "v"]),
        ],
        x4,
        [1, 3, 7, 7],
        [w("W", [3, 2, 3, 3])] + bn(3),
    )
    save(
        "gemm_batchnorm",
        [node("Gemm", ["x", "W", "C"], "h", transB=1), node("BatchNormalization", ["h", "g", "be", "m", "v"])],
        [("x", [2, 5])],
        [2, 4],
        [w("W", [4, 5]), w("C", [4])] + bn(4),
    )
    x234 = [("x", [2, 3, 4])]
    save("flatten", [node("Flatten", ["x"], axis=2)], x234, [6, 4])
    save(
        "reshape",
        [node("Reshape", ["x", "s"])],
        x234,
        [4, 6],
        [const("s", np.array([4, -1], dtype=np.int64))],
    )
    save(
        "squeeze_unsqueeze",
        [
            node("Unsqueeze", ["x", "a"], "u"),
            node("Squeeze", ["u", "a"]),
        ],
        x234,
        [2, 3, 4],
        [const("a", np.array([1], dtype=np.int64))],
    )
    save("transpose", [node("Transpose", ["x"], perm=[2, 0, 1])], x234, [4, 2, 3])
    save(
        "concat",
        [node("Concat", ["x", "b", "c"], axis=1)],
        [("x", [2, 3, 4]), ("b", [2, 1, 4])],
        [2, 6, 4],
        [w("c", [2, 2, 4])],
    )
    save("softmax_last", [node("Softmax", ["x"], axis=-1)], [("x", [2, 5])], [2, 5])
    save("softmax_middle", [node("Softmax", ["x"], axis=1)], x234, [2, 3, 4])
    save("reduce_mean", [node("ReduceMean", ["x"], axes=[1], keepdims=1)], x234, [2, 1, 4])
    save(
        "reduce_sum",
        [node("ReduceSum", ["x", "a"], keepdims=0)],
        x234,
        [3],
        [const("a", np.array([0, 2], dtype=np.int64))],
    )
    save("identity_dropout", [node("Identity", ["x"], "i"), node("Dropout", ["i"])], x23, [2, 3])
    # torch-style flatten: Shape -> Gather -> Unsqueeze -> Concat -> Reshape
    save(
        "shape_chain_reshape",
        [
            node("Shape", ["x"], "s"),
            node("Gather", ["s", "zero"], "d0", axis=0),
            node("Unsqueeze", ["d0", "ax"], "d0u"),
            node("Concat", ["d0u", "minus1"], "target", axis=0),
            node("Reshape", ["x", "target"]),
        ],
        x234,
        [2, 12],
        [
            const("zero", np.array(0, dtype=np.int64)),
            const("ax", np.array([0], dtype=np.int64)),
            const("minus1", np.array([-1], dtype=np.int64)),
        ],
    )
    # Element-wise ops of issue #13 (tables and compositions of existing blocks). Appended
    # here, after every earlier case, so the seeded generator leaves the earlier files as
    # they were. Square roots and reciprocals get |x| + c (their float result is defined).
    for op, attrs in [
        ("Abs", {}),
        ("Neg", {}),
        ("Exp", {}),
        ("HardSigmoid", {"alpha": 0.25, "beta": 0.4}),
        ("HardSwish", {}),
        ("Elu", {"alpha": 0.8}),
        ("Selu", {}),
        ("ThresholdedRelu", {"alpha": 0.3}),
        ("Softsign", {}),
        ("Floor", {}),
        ("Ceil", {}),
        ("Round", {}),
        ("Sign", {}),
    ]:
        save(op.lower(), [node(op, ["x"], **attrs)], x23, [2, 3])
    positive = lambda last: [node("Abs", ["x"], "a"), node("Add", ["a", "c"], "p"), last]  # noqa: E731
    save(
        "sqrt_of_positive",
        positive(node("Sqrt", ["p"])),
        x23,
        [2, 3],
        [const("c", np.float32(0.5))],
    )
    save(
        "reciprocal_of_positive",
        positive(node("Reciprocal", ["p"])),
        x23,
        [2, 3],
        [const("c", np.float32(1.0))],
    )
    two = [("x", [2, 3]), ("b", [2, 3])]
    save("max_two", [node("Max", ["x", "b"])], two, [2, 3])
    save("min_three", [node("Min", ["x", "b", "c"])], two, [2, 3], [w("c", [3])])
    save("max_scalar", [node("Max", ["x", "c"])], x23, [2, 3], [const("c", np.float32(0.1))])
    save("sum_three", [node("Sum", ["x", "b", "c"])], two, [2, 3], [w("c", [3])])
    save("mean_two", [node("Mean", ["x", "b"])], two, [2, 3])
    save(
        "prelu_channels",
        [node("PRelu", ["x", "s"])],
        [("x", [1, 3, 2, 2])],
        [1, 3, 2, 2],
        [const("s", np.array([0.1, 0.5, -0.2], dtype=np.float32).reshape(3, 1, 1))],
    )
    save("pow_square", [node("Pow", ["x", "e"])], x23, [2, 3], [const("e", np.float32(2.0))])
    save(
        "div_by_activation",
        [node("Abs", ["b"], "a"), node("Add", ["a", "one"], "d"), node("Div", ["x", "d"])],
        two,
        [2, 3],
        [const("one", np.float32(1.0))],
    )
    # LayerNorm written out by hand, as in a wake-word head: (x − μ) / √(σ² + ε).
    save(
        "layernorm_decomposed",
        [
            node("ReduceMean", ["x"], "mu", axes=[-1]),
            node("Sub", ["x", "mu"], "d"),
            node("Pow", ["d", "two"], "sq"),
            helper.make_node("ReduceMean", ["sq"], ["var"], name="reducemean_var", axes=[-1]),
            node("Add", ["var", "eps"], "ve"),
            node("Sqrt", ["ve"], "sd"),
            node("Div", ["d", "sd"]),
        ],
        [("x", [2, 8])],
        [2, 8],
        [const("two", np.float32(2.0)), const("eps", np.float32(1e-5))],
    )
    # A reshape target computed Shape -> Cast -> Slice -> Cast -> Concat, as PaddlePaddle's
    # exporter writes it (RapidOCR's classifier): folded at compile time.
    save(
        "shape_slice_reshape",
        [
            node("Shape", ["x"], "s"),
            helper.make_node("Cast", ["s"], ["s32"], name="cast_a", to=TensorProto.INT32),
            node("Slice", ["s32", "st", "en", "ax", "sp"], "head"),
            helper.make_node("Cast", ["head"], ["h64"], name="cast_b", to=TensorProto.INT64),
            node("Concat", ["h64", "minus1"], "target", axis=0),
            node("Reshape", ["x", "target"]),
        ],
        x234,
        [2, 12],
        [
            const("st", np.array([0], dtype=np.int64)),
            const("en", np.array([1], dtype=np.int64)),
            const("ax", np.array([0], dtype=np.int64)),
            const("sp", np.array([1], dtype=np.int64)),
            const("minus1", np.array([-1], dtype=np.int64)),
        ],
    )
    transformer_ops()
    movement_ops()
    one_d_and_small_weights()
    comparisons()
    recurrent()
    torch_patterns()
    gru()
    interpolation()
    prefix_sums()
    print(f"wrote {len([f for f in os.listdir(OUT) if f.endswith('.onnx')])} models to {OUT}")


def transformer_ops():
    """The ops of GPT-2- and BERT-style models (issue #12), one fixture each."""
    x238 = [("x", [2, 3, 8])]
    save(
        "layernorm",
        [node("LayerNormalization", ["x", "g", "b"], axis=-1, epsilon=1e-5)],
        x238,
        [2, 3, 8],
        [w("g", [8]), w("b", [8])],
    )
    save("erf", [node("Erf", ["x"])], x238, [2, 3, 8])
    save("gelu", [node("Gelu", ["x"])], x238, [2, 3, 8], opset=20)
    save(
        "split_sub",
        [
            helper.make_node("Split", ["x", "sizes"], ["a", "b"], name="split", axis=2),
            node("Sub", ["a", "b"]),
        ],
        x238,
        [2, 3, 4],
        [const("sizes", np.array([4, 4], dtype=np.int64))],
    )
    save(
        "slice_activation",
        [node("Slice", ["x", "st", "en", "ax", "sp"])],
        x238,
        [2, 2, 3],
        [
            const("st", np.array([1, 7], dtype=np.int64)),
            const("en", np.array([3, 0], dtype=np.int64)),
            const("ax", np.array([1, 2], dtype=np.int64)),
            const("sp", np.array([1, -3], dtype=np.int64)),
        ],
    )
    save(
        "gather_activation",
        [node("Gather", ["x", "idx"], axis=1)],
        x238,
        [2, 2, 8],
        [const("idx", np.array([2, 0], dtype=np.int64))],
    )
    mask = np.tril(np.ones((4, 4), dtype=bool))
    save(
        "masked_softmax",
        [
            node("Where", ["mask", "x", "neg_inf"], "s"),
            node("Softmax", ["s"], axis=-1),
        ],
        [("x", [2, 4, 4])],
        [2, 4, 4],
        [const("mask", mask), const("neg_inf", np.float32(-np.inf))],
    )
    save(
        "where_select",
        [node("Where", ["cond", "x", "c"])],
        [("x", [2, 3])],
        [2, 3],
        [const("cond", np.array([True, False, True])), w("c", [2, 3])],
    )
    save(
        "matmul_batched",
        [node("MatMul", ["a", "b"])],
        [("a", [2, 3, 4]), ("b", [2, 4, 5])],
        [2, 3, 5],
    )
    # An embedding: rows of a constant table picked by integer token ids.
    table = w("table", [10, 4])
    graph = helper.make_graph(
        [node("Gather", ["table", "ids"], axis=0)],
        "embedding",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [5])],
        [f32("y", [5, 4])],
        [table],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save_model(model, os.path.join(OUT, "embedding.onnx"))
    with open(os.path.join(OUT, "embedding.input.json"), "w") as f:
        json.dump({"input_data": [[3, 0, 9, 3, 7]]}, f)
        f.write("\n")


def movement_ops():
    """Pad in its three modes and Tile on activations (issue #13), one fixture each."""
    x234 = [("x", [2, 3, 4])]
    ints = lambda name, v: const(name, np.array(v, dtype=np.int64))  # noqa: E731
    for mode in ["constant", "reflect", "edge"]:
        ins = ["x", "pads", "v"] if mode == "constant" else ["x", "pads"]
        save(
            f"pad_{mode}",
            [node("Pad", ins, mode=mode)],
            x234,
            [2, 5, 7],
            [ints("pads", [0, 1, 2, 0, 1, 1]), const("v", np.float32(0.75))],
        )
    save("tile", [node("Tile", ["x", "reps"])], x234, [4, 3, 8], [ints("reps", [2, 1, 2])])
    argmax = helper.make_node("ArgMax", ["x"], ["i"], name="argmax", axis=2, keepdims=0)
    save("argmax", [argmax, node("Cast", ["i"], to=TensorProto.FLOAT)], x234, [2, 3])
    save("gelu_tanh", [node("Gelu", ["x"], approximate="tanh")], x234, [2, 3, 4], opset=20)
    save(
        "instance_norm",
        [node("InstanceNormalization", ["x", "g", "b"], epsilon=1e-5)],
        [("x", [2, 3, 4, 5])],
        [2, 3, 4, 5],
        [w("g", [3]), w("b", [3])],
    )
    save(
        "conv_transpose",
        [node("ConvTranspose", ["x", "W", "B"], strides=[2, 2], pads=[1, 0, 1, 1],
              output_padding=[1, 0])],
        [("x", [1, 2, 3, 4])],
        [1, 3, 6, 8],
        [w("W", [2, 3, 3, 3]), w("B", [3])],
    )

    # Issue #13, fifth session: Log, Softplus, Resize (nearest) and Einsum.
    save(
        "log",
        [node("Abs", ["x"], "a"), node("Add", ["a", "h"], "p"), node("Log", ["p"])],
        x234,
        [2, 3, 4],
        [const("h", np.float32(0.5))],
    )
    save("softplus", [node("Softplus", ["x"])], x234, [2, 3, 4])
    floats = lambda name, v: const(name, np.array(v, dtype=np.float32))  # noqa: E731
    save(
        "resize_nearest",
        [node("Resize", ["x", "", "s"], mode="nearest")],
        [("x", [1, 2, 3, 4])],
        [1, 2, 6, 6],
        [floats("s", [1.0, 1.0, 2.0, 1.5])],
    )
    save(
        "einsum_heads",
        [node("Einsum", ["x", "z"], equation="bhqd,bhkd->bhqk")],
        [("x", [1, 2, 3, 4]), ("z", [1, 2, 5, 4])],
        [1, 2, 3, 5],
    )
    save(
        "einsum_weight",
        [node("Einsum", ["x", "W"], equation="bij,kj->bki")],
        [("x", [2, 3, 4])],
        [2, 5, 3],
        [w("W", [5, 4])],
    )
    # TopK along a middle axis after Round (many ties: the lower index must come first), its
    # values and indices side by side.
    topk = helper.make_node("TopK", ["r", "k"], ["v", "i"], name="topk", axis=1)
    save(
        "topk_ties",
        [
            node("Round", ["x"], "r"),
            topk,
            node("Cast", ["i"], "ic", to=TensorProto.FLOAT),
            node("Concat", ["v", "ic"], axis=1),
        ],
        [("x", [2, 7, 3])],
        [2, 8, 3],
        [const("k", np.array([4], dtype=np.int64))],
    )


def one_d_and_small_weights():
    """1-D windows (Conv, depthwise Conv, MaxPool, AveragePool over [n, c, length]) and a Conv
    whose weights are ~10^-3 on inputs ~10^3 (a fixed 2^12 weight scale keeps 2 bits of them:
    each weight tensor gets its own scale)."""
    save(
        "conv1d",
        [node("Conv", ["x", "W", "B"], strides=[2], pads=[1, 1], kernel_shape=[3])],
        [("x", [1, 2, 11])],
        [1, 4, 6],
        [w("W", [4, 2, 3]), w("B", [4])],
    )
    save(
        "conv1d_depthwise_pool",
        [
            node("Conv", ["x", "W"], "c", group=3, pads=[2, 2], dilations=[2]),
            node("MaxPool", ["c"], "m", kernel_shape=[2], strides=[2]),
            node("AveragePool", ["m"], kernel_shape=[3], pads=[1, 1], count_include_pad=1),
        ],
        [("x", [1, 3, 12])],
        [1, 3, 6],
        [w("W", [3, 1, 3])],
    )
    save("global_max_pool", [node("GlobalMaxPool", ["x"])], [("x", [1, 3, 5, 4])], [1, 3, 1, 1])
    save(
        "small_weights",
        [
            node("Mul", ["x", "k"], "big"),
            node("Conv", ["big", "W"], pads=[1, 1, 1, 1]),
        ],
        [("x", [1, 2, 7, 7])],
        [1, 3, 7, 7],
        [const("k", np.float32(1000.0)), w("W", [3, 2, 3, 3], scale=1e-3)],
    )


def comparisons():
    """Equal: JAX's one-hot (integer ids against an iota, then a product with a table) and two
    activations compared after Floor; Max with a −∞ constant (JAX's softmax stabiliser)."""
    ids = helper.make_tensor_value_info("ids", TensorProto.INT32, [1, 6])
    graph = helper.make_graph(
        [
            node("Reshape", ["ids", "col"], "c"),
            node("Equal", ["c", "iota"], "eq"),
            helper.make_node("Cast", ["eq"], ["onehot"], name="cast", to=TensorProto.FLOAT),
            node("MatMul", ["onehot", "W"], "e"),
            node("Max", ["e", "minus_inf"]),
        ],
        "equal_one_hot",
        [ids],
        [f32("y", [6, 4])],
        [
            const("col", np.array([6, 1], dtype=np.int64)),
            const("iota", np.arange(10, dtype=np.int32).reshape(1, 10)),
            w("W", [10, 4]),
            const("minus_inf", np.float32(-np.inf)),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save_model(model, os.path.join(OUT, "equal_one_hot.onnx"))
    with open(os.path.join(OUT, "equal_one_hot.input.json"), "w") as f:
        json.dump({"input_data": [[3, 0, 9, 3, 7, 1]]}, f)
        f.write("\n")
    save(
        "equal_floor",
        [
            node("Floor", ["x"], "fx"),
            helper.make_node("Floor", ["z"], ["fz"], name="floor_z"),
            node("Equal", ["fx", "fz"], "eq"),
            helper.make_node("Cast", ["eq"], ["m"], name="cast", to=TensorProto.FLOAT),
            node("Mul", ["x", "m"]),
        ],
        [("x", [2, 8]), ("z", [2, 8])],
        [2, 8],
    )
    # A count (scale 2^0) plus an ε: the ε is not raised to a whole step there.
    save(
        "count_plus_epsilon",
        [
            node("Round", ["x"], "r"),
            node("Equal", ["r", "zero"], "eq"),
            helper.make_node("Cast", ["eq"], ["m"], name="cast", to=TensorProto.FLOAT),
            node("ReduceSum", ["m", "axis"], "count", keepdims=1),
            node("Add", ["count", "eps"]),
        ],
        [("x", [2, 6])],
        [2, 1],
        [
            const("zero", np.float32(0.0)),
            const("axis", np.array([1], dtype=np.int64)),
            const("eps", np.float32(1e-6)),
        ],
    )
    # A LayerNorm written out with ε = 1e-7 (below one step at 2^8) over a row with no
    # variance: x + ε must not vanish before the root and the reciprocal.
    save(
        "epsilon_before_root",
        [
            node("ReduceMean", ["x"], "mean", axes=[1]),
            node("Sub", ["x", "mean"], "c"),
            helper.make_node("Mul", ["c", "c"], ["sq"], name="square"),
            helper.make_node("ReduceMean", ["sq"], ["var"], name="variance", axes=[1]),
            node("Add", ["var", "eps"], "ve"),
            node("Sqrt", ["ve"], "sd"),
            node("Reciprocal", ["sd"], "inv"),
            helper.make_node("Mul", ["c", "inv"], ["y"], name="normalise"),
        ],
        [("x", [2, 8])],
        [2, 8],
        [const("eps", np.float32(1e-7))],
    )
    with open(os.path.join(OUT, "epsilon_before_root.input.json"), "w") as f:
        row = [float(v) for v in RNG.standard_normal(8).astype(np.float32)]
        json.dump({"input_data": [[0.5] * 8 + row]}, f)
        f.write("\n")
    # Clip whose lower bound is an activation (openWakeWord: max(x, max(x) − 80 dB)).
    save(
        "clip_tensor_bound",
        [
            node("ReduceMax", ["x"], "m", axes=[1], keepdims=1),
            node("Sub", ["m", "range"], "lo"),
            node("Clip", ["x", "lo", "hi"]),
        ],
        [("x", [2, 6])],
        [2, 6],
        [const("range", np.float32(1.5)), const("hi", np.float32(0.8))],
    )


def recurrent():
    """LSTM (ONNX gate order i, o, f, c): forward with its whole output Y, bidirectional with
    the last hidden state Y_h."""
    h, i = 4, 3
    save(
        "lstm",
        [helper.make_node("LSTM", ["x", "W", "R", "B"], ["y"], name="lstm", hidden_size=h)],
        [("x", [5, 2, i])],
        [5, 1, 2, h],
        [w("W", [1, 4 * h, i]), w("R", [1, 4 * h, h]), w("B", [1, 8 * h], scale=0.2)],
    )
    save(
        "lstm_bidirectional",
        [
            helper.make_node(
                "LSTM", ["x", "W", "R"], ["", "y"], name="lstm", hidden_size=h,
                direction="bidirectional",
            )
        ],
        [("x", [4, 1, i])],
        [2, 1, h],
        [w("W", [2, 4 * h, i]), w("R", [2, 4 * h, h])],
    )


def gru():
    """GRU (ONNX gate order z, r, h): bidirectional with the reset applied before the
    recurrent product (linear_before_reset 0), and forward after it (1, torch's export)."""
    h, i = 4, 3
    save(
        "gru_bidirectional",
        [helper.make_node("GRU", ["x", "W", "R", "B"], ["y"], name="gru", hidden_size=h,
                          direction="bidirectional")],
        [("x", [4, 2, i])],
        [4, 2, 2, h],
        [w("W", [2, 3 * h, i]), w("R", [2, 3 * h, h]), w("B", [2, 6 * h], scale=0.2)],
    )
    save(
        "gru_before_reset",
        [helper.make_node("GRU", ["x", "W", "R", "B"], ["", "y"], name="gru", hidden_size=h,
                          linear_before_reset=1)],
        [("x", [5, 1, i])],
        [1, 1, h],
        [w("W", [1, 3 * h, i]), w("R", [1, 3 * h, h]), w("B", [1, 6 * h], scale=0.2)],
    )


def torch_patterns():
    """What torch's exporter writes around common modules: LogSoftmax; the causal mask of
    `scaled_dot_product_attention(is_causal=True)` (Expand of a constant to a Shape-derived
    size, Trilu, Equal, Where into 0/−∞, an additive mask before Softmax); `x.std`'s element
    count by ReduceProd of a Shape; Mod of shape values."""
    save(
        "log_softmax",
        [node("LogSoftmax", ["x"], axis=-1)],
        [("x", [3, 10])],
        [3, 10],
    )
    ints = lambda name, v: const(name, np.array(v, dtype=np.int64))  # noqa: E731
    save(
        "causal_additive_mask",
        [
            node("MatMul", ["x", "W"], "scores"),
            node("Shape", ["scores"], "s"),
            node("Slice", ["s", "minus_two", "big"], "last_two"),
            node("Expand", ["one", "last_two"], "ones"),
            node("Trilu", ["ones"], "lower", upper=0),
            node("Equal", ["lower", "zero"], "above"),
            node("Where", ["above", "minus_inf", "zero"], "mask"),
            node("Mod", ["last_two", "two"], "parity"),
            node("ReduceProd", ["parity"], "p", keepdims=0),
            node("Add", ["scores", "mask"], "masked"),
            node("Softmax", ["masked"], axis=-1),
        ],
        [("x", [4, 3])],
        [4, 4],
        [
            w("W", [3, 4]),
            ints("minus_two", [-2]),
            ints("big", [2**62]),
            const("one", np.float32(1.0)),
            const("zero", np.float32(0.0)),
            const("minus_inf", np.float32(-np.inf)),
            ints("two", [2]),
        ],
    )


def interpolation():
    """Resize in linear mode as torch exports `F.interpolate(mode="bilinear")`: scale 2 with
    pytorch_half_pixel (exact weights ¼, ¾), align_corners to odd sizes (weights rounded at
    2^-12), and a linear downsampling by sizes."""
    floats = lambda name, v: const(name, np.array(v, dtype=np.float32))  # noqa: E731
    ints = lambda name, v: const(name, np.array(v, dtype=np.int64))  # noqa: E731
    save(
        "resize_bilinear",
        [
            node(
                "Resize",
                ["x", "", "s"],
                mode="linear",
                coordinate_transformation_mode="pytorch_half_pixel",
            )
        ],
        [("x", [1, 2, 3, 4])],
        [1, 2, 6, 8],
        [floats("s", [1.0, 1.0, 2.0, 2.0])],
    )
    save(
        "resize_align_corners",
        [
            node(
                "Resize",
                ["x", "", "", "sz"],
                mode="linear",
                coordinate_transformation_mode="align_corners",
            )
        ],
        [("x", [1, 1, 4, 5])],
        [1, 1, 7, 9],
        [ints("sz", [1, 1, 7, 9])],
    )
    save(
        "resize_linear_down",
        [node("Resize", ["x", "", "", "sz"], mode="linear")],
        [("x", [1, 2, 6, 5])],
        [1, 2, 3, 4],
        [ints("sz", [1, 2, 3, 4])],
    )


def prefix_sums():
    """CumSum as `torch.cumsum` exports it, and exclusive + reverse on a negative axis."""
    ints = lambda name, v: const(name, np.array(v, dtype=np.int64))  # noqa: E731
    save("cumsum", [node("CumSum", ["x", "a"])], [("x", [2, 8])], [2, 8], [ints("a", 1)])
    save(
        "cumsum_exclusive_reverse",
        [node("CumSum", ["x", "a"], exclusive=1, reverse=1)],
        [("x", [3, 5, 2])],
        [3, 5, 2],
        [ints("a", -2)],
    )


if __name__ == "__main__":
    main()
