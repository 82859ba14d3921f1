"""The Python package against the CLI: same proofs, same checks, typed errors, GIL released.

Run from the repository root after `pip install .`:  python -m pytest python/tests
The CLI binary is $ZKTORCH_BIN, else target/release/zktorch (CI builds it first).
"""

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import zktorch

ROOT = Path(__file__).resolve().parents[2]
MLP = ROOT / "models" / "mlp.onnx"
MLP_INPUT = ROOT / "models" / "mlp.input.json"
SMALL = ROOT / "tests" / "fixtures" / "attacks" / "bias_relu.onnx"
SMALL_INPUT = ROOT / "tests" / "fixtures" / "attacks" / "bias_relu.input.json"
UNSUPPORTED = ROOT / "tests" / "fixtures" / "onnx" / "unsupported_ops.onnx"


def cli() -> str:
    b = os.environ.get("ZKTORCH_BIN", str(ROOT / "target" / "release" / "zktorch"))
    assert Path(b).exists(), f"the zktorch CLI ({b}) is needed: cargo build --release"
    return b


@pytest.fixture()
def dirs(tmp_path):
    """One SRS store and model cache shared by the Python calls and the CLI."""
    env = dict(os.environ, ZKTORCH_SRS_DIR=str(tmp_path / "srs"), ZKTORCH_CACHE_DIR=str(tmp_path / "models"))
    return {"srs_dir": tmp_path / "srs", "cache_dir": tmp_path / "models", "env": env, "tmp": tmp_path}


def kw(d):
    return {"srs_dir": d["srs_dir"], "cache_dir": d["cache_dir"]}


def load_input(path):
    return np.asarray(json.loads(Path(path).read_text())["input_data"][0], dtype=np.float32)


def test_prove_from_an_array_and_verify_in_python_and_with_the_cli(dirs):
    x = load_input(MLP_INPUT).reshape(1, 784)
    r = zktorch.prove(MLP, x, output=dirs["tmp"] / "py.bin", **kw(dirs))
    assert set(r.outputs) == {"output"} and r.outputs["output"].shape == (1, 10)
    assert r.inputs["input"].shape == (1, 784)
    assert r.key_source == "created" and r.srs["label"] == "local"
    v = zktorch.verify(r.proof, **kw(dirs))
    assert v.valid and v.model_digest == r.model_digest and v.input_digest == r.input_digest
    np.testing.assert_array_equal(v.outputs["output"], r.outputs["output"])
    # The CLI verifies the Python proof (same store).
    o = subprocess.run([cli(), "verify", str(dirs["tmp"] / "py.bin"), "--input", str(MLP_INPUT)],
                       env=dirs["env"], capture_output=True, text=True)
    assert o.returncode == 0, o.stdout + o.stderr
    assert r.model_digest in o.stdout
    # The same input as a file and as nested lists gives the same statement.
    r2 = zktorch.prove(MLP, MLP_INPUT, **kw(dirs))
    assert r2.key_source == "cached" and r2.input_digest == r.input_digest
    r3 = zktorch.prove(MLP, x.tolist(), **kw(dirs))
    assert r3.input_digest == r.input_digest


def test_a_cli_proof_verifies_in_python(dirs):
    out = dirs["tmp"] / "cli.bin"
    o = subprocess.run([cli(), "prove", str(SMALL), str(SMALL_INPUT), "-o", str(out)],
                       env=dirs["env"], capture_output=True, text=True)
    assert o.returncode == 0, o.stdout + o.stderr
    v = zktorch.verify(out, input=SMALL_INPUT, **kw(dirs))
    assert v.valid and v.outputs["y"].shape == (1, 10)
    # Pinned to the cached key, and the key's own description.
    info = zktorch.setup(SMALL, **kw(dirs))
    assert info.key_source == "cached" and info.model_digest == v.model_digest
    assert zktorch.key_info(info.key_file)["model_digest"] == v.model_digest
    assert zktorch.verify(out, vk=info.key_file, **kw(dirs)).valid
    # Expected outputs: the stated ones pass, others are an invalid proof.
    assert zktorch.verify(out, expected_outputs=v.outputs, **kw(dirs)).valid
    wrong = {k: a + 0.5 for k, a in v.outputs.items()}
    with pytest.raises(zktorch.InvalidProofError):
        zktorch.verify(out, expected_outputs=wrong, **kw(dirs))


def test_errors_are_typed_and_carry_the_cli_messages(dirs):
    r = zktorch.prove(SMALL, SMALL_INPUT, **kw(dirs))
    # A tampered proof: invalid.
    bad = bytearray(r.proof)
    bad[-40] ^= 1
    with pytest.raises(zktorch.ZkTorchError):
        zktorch.verify(bytes(bad), **kw(dirs))
    with pytest.raises(zktorch.InvalidProofError):
        zktorch.verify(r.proof, input=np.full((1, 8), 0.5), **kw(dirs))
    with pytest.raises(zktorch.InvalidProofError, match="another input"):
        zktorch.verify(r.proof, input=np.full((1, 8), 0.5), **kw(dirs))
    # Not anchored: a store that does not hold the local SRS.
    with pytest.raises(zktorch.InvalidProofError, match="not one this verifier trusts"):
        zktorch.verify(r.proof, srs_dir=dirs["tmp"] / "elsewhere", cache_dir=dirs["cache_dir"])
    with pytest.raises(zktorch.InvalidProofError):
        zktorch.verify(r.proof, require_ceremony=True, **kw(dirs))
    # Unusable inputs.
    with pytest.raises(zktorch.InputError, match="expects 8 values"):
        zktorch.prove(SMALL, np.zeros(7), **kw(dirs))
    with pytest.raises(zktorch.FileError, match="nonexistent"):
        zktorch.prove(dirs["tmp"] / "nonexistent.onnx", np.zeros(8), **kw(dirs))
    with pytest.raises(zktorch.NotProvableError):
        zktorch.prove(UNSUPPORTED, np.zeros(4), **kw(dirs))
    with pytest.raises(zktorch.OutOfRangeError, match="zktorch setup"):
        zktorch.prove(SMALL, np.full((1, 8), 90.0), **kw(dirs))
    # The same message as the CLI's.
    o = subprocess.run([cli(), "prove", str(SMALL), str(dirs["tmp"] / "missing.json")],
                       env=dirs["env"], capture_output=True, text=True)
    with pytest.raises(zktorch.FileError) as e:
        zktorch.prove(SMALL, dirs["tmp"] / "missing.json", **kw(dirs))
    assert o.returncode == 2 and str(dirs["tmp"] / "missing.json") in o.stderr
    assert str(dirs["tmp"] / "missing.json") in str(e.value) or "No such file" in str(e.value)


def test_the_gil_is_released_while_proving(dirs):
    zktorch.setup(SMALL, [SMALL_INPUT], **kw(dirs))  # key cached: the thread below only proves
    done = threading.Event()
    result = {}

    def work():
        result["r"] = zktorch.prove(SMALL, SMALL_INPUT, **kw(dirs))
        done.set()

    t = threading.Thread(target=work)
    t.start()
    ticks = 0
    started = time.perf_counter()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    t.join()
    elapsed = time.perf_counter() - started
    assert result["r"].outputs["y"].shape == (1, 10)
    # Proving took a while and this thread ran all along (≥ a quarter of the 1 ms ticks).
    assert elapsed > 0.2, elapsed
    assert ticks > elapsed * 1000 / 4, (ticks, elapsed)


def test_inspect_reports_the_plan_prove_uses(dirs):
    rep = zktorch.inspect(SMALL, SMALL_INPUT)
    assert rep["schema"] == "zktorch/inspect/v1" and rep["provable"]
    s = zktorch.setup(SMALL, [SMALL_INPUT], **kw(dirs))
    plan = rep["plan"]
    assert (plan["log_domain"], plan["srs_power"]) == (s.log_domain, s.srs_power)
    # The segments cover every instance in order, each on a domain no larger than the largest.
    segs = plan["segments"]
    assert segs and segs[0][0] == 0 and all(a[1] == b[0] for a, b in zip(segs, segs[1:]))
    assert max(seg[2] for seg in segs) <= plan["log_domain"] and plan["memory_estimate"] > 0
    assert not zktorch.inspect(UNSUPPORTED)["provable"]


SYMBOLIC = ROOT / "tests" / "fixtures" / "onnx" / "symbolic_dim.onnx"  # x: [batch, 4] -> Relu


def test_symbolic_batch_sizes_from_input_shapes_or_batch_one(dirs):
    x = np.array([[1.0, -1.0, 2.0, 0.0], [0.5, -0.5, 3.0, -3.0], [0.0, 1.0, -1.0, 0.25]])
    r = zktorch.prove(SYMBOLIC, x, input_shapes={"x": [3, 4]}, **kw(dirs))
    assert r.outputs["y"].shape == (3, 4) and r.assumed_shapes == []
    np.testing.assert_allclose(r.outputs["y"], np.maximum(x, 0), atol=1 / 256)
    assert zktorch.verify(r.proof, input=x, **kw(dirs)).valid
    # No shape: batch 1, and the result says it was assumed.
    r1 = zktorch.prove(SYMBOLIC, x[0], **kw(dirs))
    assert r1.outputs["y"].shape == (1, 4) and r1.model_digest != r.model_digest
    assert "taken as batch 1" in r1.assumed_shapes[0]
    # Twelve values with batch 1 assumed: the message names the assumption and the fix.
    with pytest.raises(zktorch.InputError, match="input-shape"):
        zktorch.prove(SYMBOLIC, x, **kw(dirs))
    with pytest.raises(zktorch.InputError, match="does not fit"):
        zktorch.inspect(SYMBOLIC, x, input_shapes=[[3, 5]])


def test_precision_is_a_keyword_and_part_of_the_model(dirs):
    # Other scales are another committed model (another digest), proved and verified the same way.
    plain = zktorch.prove(SMALL, SMALL_INPUT, **kw(dirs))
    fine = zktorch.prove(SMALL, SMALL_INPUT, scale=12, weight_scale=14, **kw(dirs))
    assert fine.model_digest != plain.model_digest and fine.key_source == "created"
    assert zktorch.verify(fine.proof, **kw(dirs)).model_digest == fine.model_digest
    rep = zktorch.inspect(MLP, MLP_INPUT, [MLP_INPUT], scale=12)
    assert rep["activation_bits"] == 12 and len(rep["samples"]) == 2
    out = rep["samples"][0]["outputs"][0]
    assert out["argmax_rows"] == 1 and out["relative_error"] < 0.01
    with pytest.raises(zktorch.InputError, match="--scale 40"):
        zktorch.prove(SMALL, SMALL_INPUT, scale=40, **kw(dirs))
    # A calibration target chooses the scales on the samples; they are then passed to prove.
    rep = zktorch.inspect(MLP, MLP_INPUT, target="resources")
    chosen = rep["precision"]["chosen"]
    assert rep["precision"]["target"] == "resources" and len(rep["precision"]["candidates"]) == 7
    assert [rep["activation_bits"], rep["weight_bits"]] == list(chosen)
    assert rep["samples"][0]["outputs"][0]["relative_error"] < 0.01
    with pytest.raises(zktorch.InputError, match="resources"):
        zktorch.inspect(MLP, MLP_INPUT, target="fast")
    with pytest.raises(zktorch.InputError, match="not both"):
        zktorch.inspect(MLP, MLP_INPUT, target="accuracy", scale=10)
