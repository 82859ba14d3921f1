# %% [markdown]
# # zktorch from Python: prove an inference, check it, see a tampered proof fail
#
# A notebook-style script (cells marked `# %%`; run it whole with `python examples/walkthrough.py`
# after `pip install .`, or open it in any editor that understands the cell markers). Needs
# `onnx` and `onnxruntime` to build the model and run it in float.

# %%
import os
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import zktorch

work = tempfile.mkdtemp(prefix="zktorch-walkthrough-")
caches = {"srs_dir": os.path.join(work, "srs"), "cache_dir": os.path.join(work, "models")}
print("working in", work)

# %% [markdown]
# ## 1. A small model, built with `onnx.helper` (no torch needed)
#
# `y = W2·relu(W1·x + b1) + b2`, a 16-32-4 MLP with random weights — the owner's private model.

# %%
rng = np.random.default_rng(7)
w1 = numpy_helper.from_array((rng.standard_normal((16, 32)) * 0.4).astype(np.float32), "w1")
b1 = numpy_helper.from_array((rng.standard_normal(32) * 0.1).astype(np.float32), "b1")
w2 = numpy_helper.from_array((rng.standard_normal((32, 4)) * 0.4).astype(np.float32), "w2")
b2 = numpy_helper.from_array((rng.standard_normal(4) * 0.1).astype(np.float32), "b2")
graph = helper.make_graph(
    [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1"),
        helper.make_node("Relu", ["h"], ["r"], name="relu"),
        helper.make_node("Gemm", ["r", "w2", "b2"], ["y"], name="fc2"),
    ],
    "walkthrough",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    [w1, b1, w2, b2],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
path = os.path.join(work, "mlp.onnx")
onnx.save_model(model, path)
x = rng.standard_normal((1, 16)).astype(np.float32)

# %% [markdown]
# ## 2. What zktorch makes of it
#
# `inspect` lowers the model into basic blocks and, with an input, plans the proof exactly as
# `prove` will.

# %%
report = zktorch.inspect(path, x)
print("provable:", report["provable"], "| plan:", report["plan"])
print("blocks:", [(b["class"], b["instances"]) for b in report["blocks"]])

# %% [markdown]
# ## 3. Prove, and compare with the float model
#
# The first `prove` sets the model up (its key and model digest, cached) and makes a local SRS
# if there is none (a local SRS convinces only those who trust this machine: import a public
# ceremony for proofs others should believe).

# %%
proved = zktorch.prove(path, x, output=os.path.join(work, "proof.bin"), **caches)
float_y = ort.InferenceSession(path).run(None, {"x": x})[0]
quant_y = proved.outputs["y"]
print("proved output:", np.round(quant_y, 4))
print("float output: ", np.round(float_y, 4))
err = float(np.max(np.abs(quant_y - float_y)))
print(f"max |quantized − float| = {err:.5f} (tolerance 1% of max(1, max|float|))")
assert err <= 0.01 * max(1.0, float(np.max(np.abs(float_y))))
print(f"proof: {len(proved.proof)} bytes, model digest {proved.model_digest[:16]}…, "
      f"proving {proved.stages_s['prove']:.2f} s")

# %% [markdown]
# ## 4. Verify — as anyone holding the proof would
#
# The key embedded in the proof is checked against its SRS and its architecture first; `input`
# pins the input the verifier sent.

# %%
verdict = zktorch.verify(proved.proof, input=x, **caches)
print("valid:", verdict.valid, "| SRS:", verdict.srs["describe"])
np.testing.assert_array_equal(verdict.outputs["y"], quant_y)

# %% [markdown]
# ## 5. Tamper with the proof, the output, the input: rejected every time

# %%
bad = bytearray(proved.proof)
bad[-100] ^= 0x01
for name, attempt in [
    ("a flipped proof byte", lambda: zktorch.verify(bytes(bad), **caches)),
    ("another input", lambda: zktorch.verify(proved.proof, input=x + 0.5, **caches)),
    ("other outputs", lambda: zktorch.verify(proved.proof, expected_outputs=[quant_y + 0.25], **caches)),
]:
    try:
        attempt()
        raise SystemExit(f"{name} verified: this must never happen")
    except zktorch.ZkTorchError as e:
        print(f"{name}: rejected ({type(e).__name__}: {str(e)[:80]}…)")
print("walkthrough done")
