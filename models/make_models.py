#!/usr/bin/env python3
"""Build the bundled ONNX models, their sample inputs and onnxruntime's float outputs.

Usage (from the repository root):

    pip install onnx==1.22.0 onnxruntime numpy
    python3 models/make_models.py

Writes, into models/:

    mlp.onnx                  MNIST-shaped MLP 784-128-10 (Gemm, Relu, Gemm), input [1,784]
    lenet5.onnx               LeNet-5 on [1,1,28,28]
    resnet_small.onnx         CIFAR-shaped CNN on [1,3,32,32]: Conv+BatchNorm+Relu, one residual
                              block with an Add, GlobalAveragePool, Flatten, Gemm
    mlp_external.onnx         MLP 16-8-4 whose weights live in mlp_external.onnx.data
    mlp_external.onnx.data    (external data, as torch's exporter writes it)
    resnet8.onnx              CIFAR ResNet-8 on [1,3,32,32]: stem Conv+BatchNorm+Relu (16 ch), three
                              stages of one basic block (16, 32, 64 ch; stages 2 and 3 stride 2, with
                              a 1x1 strided Conv+BatchNorm shortcut), GlobalAveragePool, Flatten, Gemm
    resnet14.onnx             the same with 2 basic blocks per stage (a family growing in depth)
    resnet20.onnx             the same with 3 basic blocks per stage
    resnet8_w32.onnx          ResNet-8 twice as wide: stages of 32, 64, 128 channels
    mobilenet_tiny.onnx       MobileNet-v2-style CIFAR net on [1,3,32,32]: Conv+BatchNorm+Relu6 (Clip),
                              seven inverted residual blocks (1x1 expand, 3x3 depthwise Conv with
                              group=channels, 1x1 linear projection, Add when the shape is kept),
                              1x1 Conv to 128, GlobalAveragePool, Flatten, Gemm
    <name>.input.json         a sample input: {"input_data": [[...]]}
    <name>.expected.json      onnxruntime's float output for that input, plus spot checks of
                              every initializer (shape, first values, sum) for the loader tests

and, into tests/fixtures/onnx/, tiny models for the error tests:

    unsupported_ops.onnx      Relu, then two ops zktorch does not support (Hardmax, Acos)
    unknown_op.onnx           an op of a custom domain that tract does not know either
    symbolic_dim.onnx         input with a symbolic batch dimension "batch"
    symbolic_value_info.onnx  the same symbol in value_info and the output, read by a Shape chain
    unsorted.onnx             three nodes not in topological order
    constants.onnx            Constant nodes, and initializers of several element types
    truncated.onnx            the first 3000 bytes of lenet5.onnx (cut inside a weight)
    garbage.onnx              bytes that are not a protobuf model

Everything is deterministic: weights come from numpy's seeded generator (He initialisation for
layers followed by Relu, Glorot otherwise), so running the script again rewrites the same files.
In the residual networks the last BatchNorm of each block has its gamma halved, so the residual
sums stay O(1) through the depth.
"""

import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "onnx")


class Builder:
    """Collects nodes and initializers for one graph, with deterministic weights."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.inits = []
        self.clip_bounds = None

    def weight(self, name, shape, fan_in, fan_out=None, relu=True):
        if relu:
            std = np.sqrt(2.0 / fan_in)  # He
        else:
            std = np.sqrt(2.0 / (fan_in + (fan_out or fan_in)))  # Glorot
        w = (self.rng.standard_normal(shape) * std).astype(np.float32)
        self.inits.append(numpy_helper.from_array(w, name))
        return name

    def bias(self, name, n, scale=0.05):
        b = (self.rng.standard_normal(n) * scale).astype(np.float32)
        self.inits.append(numpy_helper.from_array(b, name))
        return name

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op, inputs, outputs, name, **attrs):
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs[0]

    def gemm(self, x, out, name, n_in, n_out, relu):
        w = self.weight(f"{name}.weight", (n_out, n_in), n_in, n_out, relu)
        b = self.bias(f"{name}.bias", n_out)
        return self.node("Gemm", [x, w, b], [out], name, alpha=1.0, beta=1.0, transB=1)

    def conv(self, x, out, name, c_in, c_out, k, stride=1, pad=0, bias=True, group=1):
        w = self.weight(f"{name}.weight", (c_out, c_in // group, k, k), c_in // group * k * k)
        inputs = [x, w]
        if bias:
            inputs.append(self.bias(f"{name}.bias", c_out))
        return self.node(
            "Conv",
            inputs,
            [out],
            name,
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=[pad, pad, pad, pad],
            dilations=[1, 1],
            group=group,
        )

    def batchnorm(self, x, out, name, c, gamma_scale=1.0):
        gamma = (gamma_scale * (1.0 + 0.1 * self.rng.standard_normal(c))).astype(np.float32)
        beta = (0.1 * self.rng.standard_normal(c)).astype(np.float32)
        mean = (0.1 * self.rng.standard_normal(c)).astype(np.float32)
        var = (1.0 + 0.2 * self.rng.random(c)).astype(np.float32)
        ins = [
            self.const(f"{name}.weight", gamma),
            self.const(f"{name}.bias", beta),
            self.const(f"{name}.running_mean", mean),
            self.const(f"{name}.running_var", var),
        ]
        return self.node("BatchNormalization", [x] + ins, [out], name, epsilon=1e-5)

    def relu6(self, x, out, name):
        """Relu6 as ONNX writes it: Clip with scalar min 0 and max 6 (initializers shared by all)."""
        if self.clip_bounds is None:
            self.clip_bounds = [
                self.const("clip_min", np.array(0.0, dtype=np.float32)),
                self.const("clip_max", np.array(6.0, dtype=np.float32)),
            ]
        return self.node("Clip", [x] + self.clip_bounds, [out], name)

    def model(self, graph_name, inputs, outputs):
        graph = helper.make_graph(self.nodes, graph_name, inputs, outputs, self.inits)
        m = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="zktorch models/make_models.py",
        )
        m.ir_version = IR_VERSION
        onnx.checker.check_model(m)
        return onnx.shape_inference.infer_shapes(m, strict_mode=True)


def f32_input(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def mlp():
    b = Builder(seed=1)
    h = b.gemm("input", "fc1_out", "fc1", 784, 128, relu=True)
    h = b.node("Relu", [h], ["relu1_out"], "relu1")
    b.gemm(h, "output", "fc2", 128, 10, relu=False)
    return b.model("mlp", [f32_input("input", [1, 784])], [f32_input("output", [1, 10])])


def lenet5():
    b = Builder(seed=2)
    h = b.conv("input", "conv1_out", "conv1", 1, 6, 5, pad=2)
    h = b.node("Relu", [h], ["relu1_out"], "relu1")
    h = b.node("MaxPool", [h], ["pool1_out"], "pool1", kernel_shape=[2, 2], strides=[2, 2])
    h = b.conv(h, "conv2_out", "conv2", 6, 16, 5)
    h = b.node("Relu", [h], ["relu2_out"], "relu2")
    h = b.node("MaxPool", [h], ["pool2_out"], "pool2", kernel_shape=[2, 2], strides=[2, 2])
    h = b.node("Flatten", [h], ["flatten_out"], "flatten", axis=1)
    h = b.gemm(h, "fc1_out", "fc1", 400, 120, relu=True)
    h = b.node("Relu", [h], ["relu3_out"], "relu3")
    h = b.gemm(h, "fc2_out", "fc2", 120, 84, relu=True)
    h = b.node("Relu", [h], ["relu4_out"], "relu4")
    b.gemm(h, "output", "fc3", 84, 10, relu=False)
    return b.model("lenet5", [f32_input("input", [1, 1, 28, 28])], [f32_input("output", [1, 10])])


def resnet_small():
    b = Builder(seed=3)
    # stem: 3 -> 16 channels at 32x32
    h = b.conv("input", "conv1_out", "conv1", 3, 16, 3, pad=1, bias=False)
    h = b.batchnorm(h, "bn1_out", "bn1", 16)
    h = b.node("Relu", [h], ["relu1_out"], "relu1")
    # downsample: 16 -> 32 channels, 16x16
    h = b.conv(h, "conv2_out", "conv2", 16, 32, 3, stride=2, pad=1, bias=False)
    h = b.batchnorm(h, "bn2_out", "bn2", 32)
    skip = b.node("Relu", [h], ["relu2_out"], "relu2")
    # residual block
    h = b.conv(skip, "block.conv1_out", "block.conv1", 32, 32, 3, pad=1, bias=False)
    h = b.batchnorm(h, "block.bn1_out", "block.bn1", 32)
    h = b.node("Relu", [h], ["block.relu1_out"], "block.relu1")
    h = b.conv(h, "block.conv2_out", "block.conv2", 32, 32, 3, pad=1, bias=False)
    h = b.batchnorm(h, "block.bn2_out", "block.bn2", 32)
    h = b.node("Add", [h, skip], ["block.add_out"], "block.add")
    h = b.node("Relu", [h], ["block.relu2_out"], "block.relu2")
    # head
    h = b.node("GlobalAveragePool", [h], ["gap_out"], "gap")
    h = b.node("Flatten", [h], ["flatten_out"], "flatten", axis=1)
    b.gemm(h, "output", "fc", 32, 10, relu=False)
    return b.model(
        "resnet_small", [f32_input("input", [1, 3, 32, 32])], [f32_input("output", [1, 10])]
    )


def mlp_external():
    b = Builder(seed=4)
    h = b.gemm("input", "fc1_out", "fc1", 16, 8, relu=True)
    h = b.node("Relu", [h], ["relu1_out"], "relu1")
    b.gemm(h, "output", "fc2", 8, 4, relu=False)
    return b.model("mlp_external", [f32_input("input", [1, 16])], [f32_input("output", [1, 4])])


def resnet(name, blocks_per_stage, width, seed):
    """CIFAR ResNet (He et al. 2016, section 4.2) with 6n+2 layers, n = blocks_per_stage: stages of
    width, 2*width, 4*width channels at 32x32, 16x16, 8x8."""
    b = Builder(seed=seed)
    # stem
    h = b.conv("input", "conv1_out", "conv1", 3, width, 3, pad=1, bias=False)
    h = b.batchnorm(h, "bn1_out", "bn1", width)
    h = b.node("Relu", [h], ["relu1_out"], "relu1")
    c_in = width
    for stage, (mult, first_stride) in enumerate([(1, 1), (2, 2), (4, 2)], start=1):
        c = width * mult
        for i in range(blocks_per_stage):
            stride = first_stride if i == 0 else 1
            p = f"layer{stage}.{i}"
            skip = h
            h = b.conv(h, f"{p}.conv1_out", f"{p}.conv1", c_in, c, 3, stride, pad=1, bias=False)
            h = b.batchnorm(h, f"{p}.bn1_out", f"{p}.bn1", c)
            h = b.node("Relu", [h], [f"{p}.relu1_out"], f"{p}.relu1")
            h = b.conv(h, f"{p}.conv2_out", f"{p}.conv2", c, c, 3, pad=1, bias=False)
            h = b.batchnorm(h, f"{p}.bn2_out", f"{p}.bn2", c, gamma_scale=0.5)
            if stride != 1 or c_in != c:
                q = f"{p}.downsample"
                skip = b.conv(skip, f"{q}.conv_out", f"{q}.conv", c_in, c, 1, stride, bias=False)
                skip = b.batchnorm(skip, f"{q}.bn_out", f"{q}.bn", c)
            h = b.node("Add", [h, skip], [f"{p}.add_out"], f"{p}.add")
            h = b.node("Relu", [h], [f"{p}.relu2_out"], f"{p}.relu2")
            c_in = c
    # head
    h = b.node("GlobalAveragePool", [h], ["gap_out"], "gap")
    h = b.node("Flatten", [h], ["flatten_out"], "flatten", axis=1)
    b.gemm(h, "output", "fc", c_in, 10, relu=False)
    return b.model(name, [f32_input("input", [1, 3, 32, 32])], [f32_input("output", [1, 10])])


# MobileNet-v2 inverted residual settings: expansion t, output channels c, repeats n, stride s.
MOBILENET_TINY = [(1, 16, 1, 1), (4, 24, 2, 2), (4, 32, 2, 2), (4, 64, 1, 2)]


def mobilenet_tiny():
    b = Builder(seed=9)
    # stem: 3 -> 16 channels at 32x32
    h = b.conv("input", "conv1_out", "conv1", 3, 16, 3, pad=1, bias=False)
    h = b.batchnorm(h, "bn1_out", "bn1", 16)
    h = b.relu6(h, "relu1_out", "relu1")
    c_in = 16
    block = 0
    for t, c, n, s in MOBILENET_TINY:
        for i in range(n):
            stride = s if i == 0 else 1
            residual = stride == 1 and c_in == c
            hidden = c_in * t
            p = f"block{block}"
            skip = h
            if t != 1:
                h = b.conv(h, f"{p}.expand_out", f"{p}.expand", c_in, hidden, 1, bias=False)
                h = b.batchnorm(h, f"{p}.expand_bn_out", f"{p}.expand_bn", hidden)
                h = b.relu6(h, f"{p}.expand_relu6_out", f"{p}.expand_relu6")
            h = b.conv(
                h, f"{p}.dw_out", f"{p}.dw", hidden, hidden, 3, stride, pad=1, bias=False,
                group=hidden,
            )
            h = b.batchnorm(h, f"{p}.dw_bn_out", f"{p}.dw_bn", hidden)
            h = b.relu6(h, f"{p}.dw_relu6_out", f"{p}.dw_relu6")
            h = b.conv(h, f"{p}.project_out", f"{p}.project", hidden, c, 1, bias=False)
            h = b.batchnorm(
                h, f"{p}.project_bn_out", f"{p}.project_bn", c, gamma_scale=0.5 if residual else 1.0
            )
            if residual:
                h = b.node("Add", [h, skip], [f"{p}.add_out"], f"{p}.add")
            c_in = c
            block += 1
    # head: 1x1 Conv to 128 channels
    h = b.conv(h, "conv_last_out", "conv_last", c_in, 128, 1, bias=False)
    h = b.batchnorm(h, "bn_last_out", "bn_last", 128)
    h = b.relu6(h, "relu_last_out", "relu_last")
    h = b.node("GlobalAveragePool", [h], ["gap_out"], "gap")
    h = b.node("Flatten", [h], ["flatten_out"], "flatten", axis=1)
    b.gemm(h, "output", "fc", 128, 10, relu=False)
    return b.model(
        "mobilenet_tiny", [f32_input("input", [1, 3, 32, 32])], [f32_input("output", [1, 10])]
    )


def two_domains():
    """A small net whose convolution's im2col needs a larger domain than its other layers: proved
    in two segments with tensors bound across them (the segment-boundary tests)."""
    b = Builder(seed=10)
    h = b.conv("input", "conv_out", "conv", 2, 4, 3, pad=1)
    h = b.node("Relu", [h], ["relu_out"], "relu")
    h = b.node("MaxPool", [h], ["pool_out"], "pool", kernel_shape=[2, 2], strides=[2, 2])
    h = b.node("Flatten", [h], ["flatten_out"], "flatten", axis=1)
    h = b.gemm(h, "fc1_out", "fc1", 576, 32, relu=True)
    h = b.node("Relu", [h], ["relu1_out"], "relu1")
    h = b.gemm(h, "fc2_out", "fc2", 32, 16, relu=True)
    h = b.node("Relu", [h], ["relu2_out"], "relu2")
    b.gemm(h, "output", "fc3", 16, 10, relu=False)
    return b.model("two_domains", [f32_input("input", [1, 2, 24, 24])], [f32_input("output", [1, 10])])


def sample_input(name, shape, seed):
    rng = np.random.default_rng(100 + seed)
    if name in ("mlp", "lenet5"):
        x = rng.random(shape)  # MNIST-like pixel intensities in [0, 1)
    else:
        x = rng.standard_normal(shape)
    return x.astype(np.float32)


def floats(a):
    """float32 array -> list of Python floats; each one round-trips exactly to the same f32."""
    return [float(v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def spot_checks(model):
    out = {}
    for init in model.graph.initializer:
        arr = numpy_helper.to_array(init, base_dir=HERE)
        out[init.name] = {
            "shape": list(arr.shape),
            "first": floats(arr.reshape(-1)[:4]),
            "last": floats(arr.reshape(-1)[-1:]),
            "sum": float(arr.astype(np.float64).sum()),
        }
    return out


def write_json(path, obj, indent=1):
    with open(path, "w") as f:
        json.dump(obj, f, indent=indent)
        f.write("\n")


def save_bundled(name, model, external=False):
    path = os.path.join(HERE, f"{name}.onnx")
    if external:
        data_name = f"{name}.onnx.data"
        data_path = os.path.join(HERE, data_name)
        if os.path.exists(data_path):
            os.remove(data_path)  # the external-data writer appends
        onnx.save_model(
            model,
            path,
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=data_name,
            size_threshold=0,
            convert_attribute=False,
        )
    else:
        onnx.save_model(model, path)
    # Reload from disk so external data is really read back from the .data file.
    reloaded = onnx.load(path, load_external_data=False)
    if external:
        assert all(
            init.data_location == TensorProto.EXTERNAL for init in reloaded.graph.initializer
        ), "expected every initializer in external data"
    onnx.checker.check_model(path)

    inp = reloaded.graph.input[0]
    shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    x = sample_input(name, shape, len(name))
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    outs = sess.run(None, {inp.name: x})
    write_json(os.path.join(HERE, f"{name}.input.json"), {"input_data": [floats(x)]}, indent=None)
    write_json(
        os.path.join(HERE, f"{name}.expected.json"),
        {
            "producer": f"onnxruntime {ort.__version__}, onnx {onnx.__version__}",
            "output_names": [o.name for o in sess.get_outputs()],
            "output_shapes": [list(o.shape) for o in outs],
            "output_data": [floats(o) for o in outs],
            "constants": spot_checks(onnx.load(path)),
        },
    )
    print(f"{path}: {os.path.getsize(path)} bytes, output {[list(o.shape) for o in outs]}")


def fixtures():
    os.makedirs(FIXTURES, exist_ok=True)

    # Two unsupported ops (one unnamed, so the loader names it after its output), between
    # supported ones.
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu0"),
        helper.make_node("Hardmax", ["r"], ["h"], name="hm", axis=-1),
        helper.make_node("Acos", ["h"], ["e"]),
        helper.make_node("Relu", ["e"], ["y"], name="relu1"),
    ]
    g = helper.make_graph(nodes, "unsupported", [f32_input("x", [1, 4])], [f32_input("y", [1, 4])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m)
    onnx.save_model(m, os.path.join(FIXTURES, "unsupported_ops.onnx"))

    # An op of a custom domain that nobody (tract included) knows: its output has no shape.
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu0"),
        helper.make_node("Frobnicate", ["r"], ["f"], name="frob", domain="com.example"),
        helper.make_node("Relu", ["f"], ["y"], name="relu1"),
    ]
    g = helper.make_graph(nodes, "unknown", [f32_input("x", [1, 4])], [f32_input("y", [1, 4])])
    m = helper.make_model(
        g, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.example", 2)]
    )
    m.ir_version = IR_VERSION
    onnx.save_model(m, os.path.join(FIXTURES, "unknown_op.onnx"))

    # A symbolic batch dimension.
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    g = helper.make_graph(
        nodes, "symbolic", [f32_input("x", ["batch", 4])], [f32_input("y", ["batch", 4])]
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m)
    onnx.save_model(m, os.path.join(FIXTURES, "symbolic_dim.onnx"))

    # Constant nodes and initializers of several element types.
    nodes = [
        helper.make_node(
            "Constant", [], ["shape_c"], name="shape_const",
            value=numpy_helper.from_array(np.array([3, 2], dtype=np.int64)),
        ),
        helper.make_node("Reshape", ["x", "shape_c"], ["r"], name="reshape"),
        helper.make_node("Constant", [], ["bias_c"], value_floats=[0.5, -1.5]),
        helper.make_node("Add", ["r", "bias_c"], ["y"], name="add"),
    ]
    inits = [
        numpy_helper.from_array(np.array([1.0, -2.5, 65504.0], dtype=np.float16), "w_f16"),
        numpy_helper.from_array(np.array([[0.1], [-7.25]], dtype=np.float64), "w_f64"),
        numpy_helper.from_array(np.array([-128, 0, 127], dtype=np.int8), "w_i8"),
        numpy_helper.from_array(np.array([True, False]), "w_bool"),
        numpy_helper.from_array(np.array([7, -3], dtype=np.int32), "w_i32"),
    ]
    g = helper.make_graph(
        nodes, "constants", [f32_input("x", [2, 3])], [f32_input("y", [3, 2])], inits
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m)
    onnx.save_model(m, os.path.join(FIXTURES, "constants.onnx"))

    # Nodes out of topological order (the loader sorts them).
    nodes = [
        helper.make_node("Relu", ["a"], ["y"], name="second"),
        helper.make_node("Neg", ["x"], ["n"], name="first_neg"),
        helper.make_node("Abs", ["n"], ["a"], name="first_abs"),
    ]
    g = helper.make_graph(nodes, "unsorted", [f32_input("x", [2, 3])], [f32_input("y", [2, 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = IR_VERSION
    onnx.save_model(m, os.path.join(FIXTURES, "unsorted.onnx"))  # the checker refuses it

    symbolic_value_info()

    # Truncated and garbage files.
    with open(os.path.join(HERE, "lenet5.onnx"), "rb") as f:
        data = f.read()
    with open(os.path.join(FIXTURES, "truncated.onnx"), "wb") as f:
        f.write(data[:3000])
    with open(os.path.join(FIXTURES, "garbage.onnx"), "wb") as f:
        f.write(b"this is not an ONNX model\n\xff\xfe\x00\x01")


def symbolic_value_info():
    """Paddle2ONNX's habit: a symbolic batch in the input, in every `value_info` and in the
    output, and a Shape → Slice → Concat → Reshape chain reading it."""
    dyn = "DynamicDimension.0"
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu"),
        helper.make_node("Shape", ["r"], ["s"], name="shape"),
        helper.make_node("Slice", ["s", "zero", "one"], ["n"], name="slice"),
        helper.make_node("Concat", ["n", "minus_one"], ["target"], name="concat", axis=0),
        helper.make_node("Reshape", ["r", "target"], ["y"], name="reshape"),
    ]
    ints = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)  # noqa: E731
    g = helper.make_graph(
        nodes,
        "symbolic_value_info",
        [f32_input("x", [dyn, 2, 3])],
        [f32_input("y", [dyn, 6])],
        [ints("zero", [0]), ints("one", [1]), ints("minus_one", [-1])],
        value_info=[
            f32_input("r", [dyn, 2, 3]),
            helper.make_tensor_value_info("s", TensorProto.INT64, [3]),
            helper.make_tensor_value_info("target", TensorProto.INT64, [2]),
        ],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m)
    onnx.save_model(m, os.path.join(FIXTURES, "symbolic_value_info.onnx"))


def main():
    if onnx.__version__ != "1.22.0":
        print(f"warning: built with onnx {onnx.__version__}, the project pins 1.22.0", file=sys.stderr)
    save_bundled("mlp", mlp())
    save_bundled("lenet5", lenet5())
    save_bundled("resnet_small", resnet_small())
    save_bundled("mlp_external", mlp_external(), external=True)
    save_bundled("resnet8", resnet("resnet8", blocks_per_stage=1, width=16, seed=5))
    save_bundled("resnet14", resnet("resnet14", blocks_per_stage=2, width=16, seed=6))
    save_bundled("resnet20", resnet("resnet20", blocks_per_stage=3, width=16, seed=7))
    save_bundled("resnet8_w32", resnet("resnet8_w32", blocks_per_stage=1, width=32, seed=8))
    save_bundled("mobilenet_tiny", mobilenet_tiny())
    fixtures()
    m = two_domains()
    onnx.save(m, os.path.join(FIXTURES, "two_domains.onnx"))
    x = sample_input("two_domains", [1, 2, 24, 24], 10)
    write_json(os.path.join(FIXTURES, "two_domains.input.json"), {"input_data": [floats(x.flatten())]})


if __name__ == "__main__":
    main()
