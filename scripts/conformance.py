#!/usr/bin/env python3
"""Run the ONNX backend node tests through zktorch's frontend, quantizer and witness.

For every node test shipped with the onnx package (onnx/backend/test/data/node/<test>/) whose
name belongs to an op zktorch lowers, the script converts test_data_set_0/input_*.pb into an
input.json, runs `zktorch inspect --json model.onnx input.json` (compile, calibrate on that
input, exact integer witness) and compares the dequantized outputs with output_*.pb.

A test passes when every output entry is within TOL · max(1, max|expected|) of the expected
value (the tolerance the single-op tests use, docs/DESIGN.md). Results per op:

    pass          within tolerance
    fail          ran, but outside the tolerance (or the wrong number of values)
    unsupported   zktorch says a layer is not provable yet, or cannot read the model
    error         anything else (inputs that are not float, tract failures, ...)

Usage (from the repository root, after `cargo build`):

    pip install onnx==1.22.0
    python3 scripts/conformance.py                 # every matching test
    python3 scripts/conformance.py --quick         # at most 2 tests per op (CI)
    python3 scripts/conformance.py -v --op Conv    # one op, with a line per test
    python3 scripts/conformance.py --weights-as-constants   # graph inputs after the first
                                                   # become initializers (committed weights)

Exit code 0 unless a test *fails* (numbers wrong); unsupported tests are reported, not fatal.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

TOL = 0.02
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Ops zktorch lowers (src/compile/), with the prefixes of their node-test names.
OPS = {
    "Add": ["add"],
    "Sub": ["sub"],
    "Mul": ["mul"],
    "Div": ["div"],
    "Gemm": ["gemm"],
    "MatMul": ["matmul"],
    "Relu": ["relu"],
    "LeakyRelu": ["leakyrelu"],
    "Sigmoid": ["sigmoid"],
    "Tanh": ["tanh"],
    "Clip": ["clip"],
    "Conv": ["conv"],
    "MaxPool": ["maxpool"],
    "AveragePool": ["averagepool"],
    "GlobalAveragePool": ["globalaveragepool"],
    "GlobalMaxPool": ["globalmaxpool"],
    "Equal": ["equal"],
    "LSTM": ["lstm"],
    "GRU": ["gru"],
    "BatchNormalization": ["batchnorm"],
    "Flatten": ["flatten"],
    "Reshape": ["reshape"],
    "Squeeze": ["squeeze"],
    "Unsqueeze": ["unsqueeze"],
    "Transpose": ["transpose"],
    "Concat": ["concat"],
    "Softmax": ["softmax"],
    "LogSoftmax": ["logsoftmax"],
    "ReduceMean": ["reduce_mean"],
    "ReduceSum": ["reduce_sum"],
    "Identity": ["identity"],
    "Dropout": ["dropout"],
    "Abs": ["abs"],
    "Neg": ["neg"],
    "Exp": ["exp"],
    "HardSigmoid": ["hardsigmoid"],
    "HardSwish": ["hardswish"],
    "Elu": ["elu"],
    "Selu": ["selu"],
    "ThresholdedRelu": ["thresholdedrelu"],
    "Softsign": ["softsign"],
    "Sqrt": ["sqrt"],
    "Reciprocal": ["reciprocal"],
    "Floor": ["floor"],
    "Ceil": ["ceil"],
    "Round": ["round"],
    "Sign": ["sign"],
    "Max": ["max"],
    "Min": ["min"],
    "Sum": ["sum"],
    "Mean": ["mean"],
    "PRelu": ["prelu"],
    "Pow": ["pow"],
    "Erf": ["erf"],
    "Gelu": ["gelu"],
    "LayerNormalization": ["layer_normalization"],
    "Gather": ["gather"],
    "Slice": ["slice"],
    "Split": ["split"],
    "Where": ["where"],
    "ReduceMax": ["reduce_max"],
    "ReduceMin": ["reduce_min"],
    "ReduceL1": ["reduce_l1"],
    "ReduceL2": ["reduce_l2"],
    "ReduceSumSquare": ["reduce_sum_square"],
    "Pad": ["pad", "constant_pad", "edge_pad", "reflect_pad"],
    "Tile": ["tile"],
    "Expand": ["expand"],
    "DepthToSpace": ["depthtospace"],
    "SpaceToDepth": ["spacetodepth"],
    "InstanceNormalization": ["instancenorm"],
    "ArgMax": ["argmax"],
    "ArgMin": ["argmin"],
    "Cast": ["cast"],
    "ConvTranspose": ["convtranspose"],
    "Log": ["log"],
    "Softplus": ["softplus"],
    "Resize": ["resize"],
    "Einsum": ["einsum"],
    "TopK": ["top_k"],
    "CumSum": ["cumsum"],
}


def primary_op(test, model):
    """The supported op a test is about: its name starts with the op's prefix and the model
    uses the op."""
    name = test[len("test_"):]
    used = {n.op_type for n in model.graph.node}
    for op, prefixes in sorted(OPS.items(), key=lambda kv: -max(len(p) for p in kv[1])):
        for p in prefixes:
            if (name == p or name.startswith(p + "_")) and op in used:
                return op
    return None


def zktorch_binary(given):
    if given:
        return given
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    exe = os.path.join(target, "debug", "zktorch")
    if not os.path.exists(exe):
        subprocess.run(["cargo", "build"], cwd=ROOT, check=True)
    return exe


def read_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def run_test(exe, test_dir, weights_as_constants, workdir):
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    data_dir = os.path.join(test_dir, "test_data_set_0")
    files = sorted(os.listdir(data_dir))
    inputs = [read_pb(os.path.join(data_dir, f)) for f in files if f.startswith("input_")]
    outputs = [read_pb(os.path.join(data_dir, f)) for f in files if f.startswith("output_")]
    init_names = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in init_names]
    if not inputs or inputs[0].dtype.kind != "f":
        return "error", "the first input is not a float tensor"
    # Integer inputs are shapes, axes or indices: they become initializers (constants), as in
    # exported models; so do a Resize's float roi and scales, which set the output's shape. With
    # --weights-as-constants every input after the first does too.
    if len(graph_inputs) != len(inputs):
        return "error", "graph inputs and test inputs differ in number"
    shape_setting = {
        name for n in model.graph.node if n.op_type in ("Resize", "Upsample") for name in n.input[1:]
    }
    to_const = [
        i
        for i, a in enumerate(inputs)
        if i > 0
        and (a.dtype.kind != "f" or weights_as_constants or graph_inputs[i].name in shape_setting)
    ]
    for i in to_const:
        model.graph.initializer.append(numpy_helper.from_array(inputs[i], graph_inputs[i].name))
    const_names = {graph_inputs[i].name for i in to_const}
    kept = [vi for vi in model.graph.input if vi.name not in const_names]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    inputs = [a for i, a in enumerate(inputs) if i not in to_const]
    model_path = os.path.join(workdir, "model.onnx")
    onnx.save_model(model, model_path)
    input_path = os.path.join(workdir, "input.json")
    with open(input_path, "w") as f:
        json.dump({"input_data": [a.astype(np.float64).reshape(-1).tolist() for a in inputs]}, f)
    try:
        p = subprocess.run(
            [exe, "inspect", "--json", model_path, input_path],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        return "error", "timeout"
    try:
        report = json.loads(p.stdout)
    except json.JSONDecodeError:
        reason = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "no output"
        kind = "unsupported" if "ONNX model" in reason or "unsupported" in reason else "error"
        return kind, reason
    if report.get("not_provable"):
        return "unsupported", "; ".join(report["not_provable"])
    if "error" in report:
        return "error", report["error"]
    got = report.get("outputs", [])
    if len(got) != len(outputs):
        return "fail", f"{len(got)} outputs, expected {len(outputs)}"
    worst = 0.0
    for g, e in zip(got, outputs):
        q = np.array(g["quantized"], dtype=np.float64)
        e = e.astype(np.float64).reshape(-1)
        if q.shape != e.shape:
            return "fail", f"{q.size} values, expected {e.size}"
        scale = max(1.0, float(np.abs(e).max()) if e.size else 1.0)
        worst = max(worst, float(np.abs(q - e).max()) / scale if e.size else 0.0)
    if worst <= TOL:
        return "pass", f"relative error {worst:.4f}"
    return "fail", f"relative error {worst:.4f} > {TOL}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="at most 2 tests per op")
    ap.add_argument("--op", help="only this op")
    ap.add_argument("--zktorch", help="path of the zktorch binary")
    ap.add_argument("--weights-as-constants", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per test")
    args = ap.parse_args()
    if onnx.__version__ != "1.22.0":
        print(f"warning: onnx {onnx.__version__}, the project pins 1.22.0", file=sys.stderr)
    exe = zktorch_binary(args.zktorch)
    node_dir = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
    counts = collections.defaultdict(collections.Counter)
    per_op_run = collections.Counter()
    with tempfile.TemporaryDirectory() as work:
        for test in sorted(os.listdir(node_dir)):
            test_dir = os.path.join(node_dir, test)
            try:
                model = onnx.load(os.path.join(test_dir, "model.onnx"))
            except Exception:  # noqa: BLE001 - unreadable test models are not ours to judge
                continue
            op = primary_op(test, model)
            if op is None or (args.op and op != args.op):
                continue
            if args.quick and per_op_run[op] >= 2:
                continue
            per_op_run[op] += 1
            try:
                result, why = run_test(exe, test_dir, args.weights_as_constants, work)
            except Exception as e:  # noqa: BLE001 - test data this script cannot convert
                result, why = "error", f"cannot convert the test data: {e}"
            counts[op][result] += 1
            if args.verbose or result == "fail":
                print(f"{result:<12} {test}: {why}")
    print(f"\n{'op':<20} {'pass':>5} {'fail':>5} {'unsupported':>12} {'error':>6}")
    total = collections.Counter()
    for op in sorted(counts):
        c = counts[op]
        total.update(c)
        print(f"{op:<20} {c['pass']:>5} {c['fail']:>5} {c['unsupported']:>12} {c['error']:>6}")
    print(f"{'total':<20} {total['pass']:>5} {total['fail']:>5} {total['unsupported']:>12} {total['error']:>6}")
    return 1 if total["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
