#!/usr/bin/env python3
"""Build the small ONNX models of tests/fixtures/attacks/: statements an owner could abuse.

Usage (from the repository root):

    pip install onnx==1.22.0 numpy
    python3 scripts/make_attack_fixtures.py

Each model is tiny (a vector of 8) and names one way a public tensor can be shared or special:

- alias_outputs:      outputs [Relu(x), Identity(x)] — the second output *is* the input;
- output_twice:       outputs [Relu(x), Identity(Relu(x))] — one tensor in two output slots;
- constant_output:    outputs [Relu(x), a constant] — a graph output bound to no computation;
- linear_output:      output Relu(x) + x — a graph output computed by a linear layer;
- reshape_only:       output Reshape(x) — no block at all, only public tensors;
- bias_relu:          Relu(x·W + b) — a private bias, opened by every proof;
- transpose_relu:     Relu(Transpose(Reshape(x))) — a copy whose wiring the key must match.

Each <case>.onnx comes with <case>.input.json. tests/attacks.rs proves them and attacks the
proofs. Deterministic: running it again rewrites the same files.
"""

import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "tests", "fixtures", "attacks")
RNG = np.random.default_rng(99)
N = 8


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def save(case, nodes, outputs, inits=()):
    graph = helper.make_graph(
        nodes, case, [f32("x", [1, N])], [f32(n, s) for n, s in outputs], list(inits)
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.save_model(model, os.path.join(OUT, f"{case}.onnx"))
    data = [[float(v) for v in RNG.standard_normal(N).astype(np.float32)]]
    with open(os.path.join(OUT, f"{case}.input.json"), "w") as f:
        json.dump({"input_data": data}, f)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    relu = helper.make_node("Relu", ["x"], ["r"], name="relu")
    save(
        "alias_outputs",
        [relu, helper.make_node("Identity", ["x"], ["x_out"], name="identity")],
        [("r", [1, N]), ("x_out", [1, N])],
    )
    save(
        "output_twice",
        [relu, helper.make_node("Identity", ["r"], ["r_again"], name="identity")],
        [("r", [1, N]), ("r_again", [1, N])],
    )
    c = numpy_helper.from_array((RNG.standard_normal((1, N)) * 0.5).astype(np.float32), "c")
    save(
        "constant_output",
        [relu, helper.make_node("Identity", ["c"], ["c_out"], name="identity")],
        [("r", [1, N]), ("c_out", [1, N])],
        [c],
    )
    save(
        "linear_output",
        [relu, helper.make_node("Add", ["r", "x"], ["y"], name="add")],
        [("y", [1, N])],
    )
    shape = numpy_helper.from_array(np.array([N], dtype=np.int64), "shape")
    save(
        "reshape_only",
        [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
        [("y", [N])],
        [shape],
    )
    w = numpy_helper.from_array((RNG.standard_normal((N, 10)) * 0.5).astype(np.float32), "w")
    b = numpy_helper.from_array((RNG.standard_normal(10) * 0.5).astype(np.float32), "b")
    save(
        "bias_relu",
        [
            helper.make_node("Gemm", ["x", "w", "b"], ["h"], name="gemm"),
            helper.make_node("Relu", ["h"], ["y"], name="relu"),
        ],
        [("y", [1, 10])],
        [w, b],
    )
    shape2 = numpy_helper.from_array(np.array([2, N // 2], dtype=np.int64), "shape2")
    save(
        "transpose_relu",
        [
            helper.make_node("Reshape", ["x", "shape2"], ["m"], name="reshape"),
            helper.make_node("Transpose", ["m"], ["t"], name="transpose", perm=[1, 0]),
            helper.make_node("Relu", ["t"], ["y"], name="relu"),
        ],
        [("y", [N // 2, 2])],
        [shape2],
    )


if __name__ == "__main__":
    main()
