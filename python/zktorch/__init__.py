"""zktorch: zero-knowledge proofs that a committed ONNX model produced a given output.

A model owner sets a model up once (``setup``: its verifying key and model digest), then proves
inferences (``prove``); anyone checks a proof (``verify``) and learns that the committed model
produced the output on the input, and nothing about the weights. This package is a thin shell
over the Rust library the ``zktorch`` command line uses: the same caches, the same checks, the
same error messages.

    >>> import zktorch
    >>> r = zktorch.prove("models/mlp.onnx", x)          # x: a numpy array or nested lists
    >>> r.outputs["output"]                               # numpy array, model's output shape
    >>> zktorch.verify(r.proof).valid                     # True, or InvalidProofError

Inputs are file paths (``input.json`` as the CLI reads it: ``{"input_data": [[...]]}``) or
array-likes (a numpy array or nested lists for a model with one input, a list of them for
several). Proving and verifying release the GIL.

Errors are ``ZkTorchError`` subclasses: ``InvalidProofError`` (the proof or its key was checked
and is invalid), ``InputError`` and its subclasses ``NotProvableError``, ``OutOfRangeError``,
``FileError`` (unusable input), each with the CLI's message.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from . import _native
from ._native import (
    FileError,
    InputError,
    InvalidProofError,
    NotProvableError,
    OutOfRangeError,
    ZkTorchError,
)

__all__ = [
    "setup",
    "prove",
    "verify",
    "inspect",
    "key_info",
    "SetupResult",
    "ProveResult",
    "VerifyResult",
    "ZkTorchError",
    "InvalidProofError",
    "InputError",
    "NotProvableError",
    "OutOfRangeError",
    "FileError",
]

__version__ = _native.__version__

PathLike = Union[str, "os.PathLike[str]"]
ArrayLike = Any  # numpy array, nested lists, or a list of them (one per graph input)
Shapes = Union[Dict[str, Sequence[int]], Sequence[Sequence[int]]]


def _shapes(s: Optional[Shapes]) -> Optional[str]:
    """``input_shapes`` as the JSON the library reads (an object by name, or a list in input
    order)."""
    if s is None:
        return None
    if isinstance(s, dict):
        return json.dumps({k: [int(d) for d in v] for k, v in s.items()})
    return json.dumps([[int(d) for d in v] for v in s])


def _is_path(x: Any) -> bool:
    return isinstance(x, (str, os.PathLike))


def _input_json(x: Any) -> str:
    """An input as the input.json text the library parses: a path (read as is), a dict
    ``{"input_data": ...}``, a list or tuple of numpy arrays (one per graph input), or one
    array-like (a numpy array or nested lists: the model's one input, any shape)."""
    if _is_path(x):
        return _read(x).decode("utf-8")
    if isinstance(x, dict):
        return json.dumps(x)
    if isinstance(x, (list, tuple)) and x and all(isinstance(e, np.ndarray) for e in x):
        data = [np.asarray(e, dtype=np.float64).reshape(-1).tolist() for e in x]
    else:
        data = [np.asarray(x, dtype=np.float64).reshape(-1).tolist()]
    return json.dumps({"input_data": data})


def _opt(p: Optional[PathLike]) -> Optional[str]:
    return None if p is None else os.fspath(p)


def _tensors(ts: List[Dict[str, Any]]) -> Dict[str, np.ndarray]:
    return {
        t["name"]: np.asarray(t["values"], dtype=np.float64).reshape(t["shape"]) for t in ts
    }


@dataclass
class SetupResult:
    """What ``setup`` made (or found cached)."""

    model_digest: str
    key_source: str
    key_file: str
    srs: Dict[str, str]
    log_domain: int
    srs_power: int
    replaced: Optional[Dict[str, str]]
    stages_s: Dict[str, float]
    assumed_shapes: List[str] = field(default_factory=list)


@dataclass
class ProveResult:
    """A proof and what it states."""

    proof: bytes
    outputs: Dict[str, np.ndarray]
    inputs: Dict[str, np.ndarray]
    model_digest: str
    input_digest: str
    key_source: str
    key_file: str
    srs: Dict[str, str]
    stages_s: Dict[str, float]
    total_s: float
    peak_rss_bytes: Optional[int]
    proof_path: Optional[str] = None
    assumed_shapes: List[str] = field(default_factory=list)

    def save(self, path: PathLike) -> None:
        """Writes the proof file (atomically, like the CLI)."""
        tmp = os.fspath(path) + ".tmp"
        with open(tmp, "wb") as f:
            f.write(self.proof)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.fspath(path))
        self.proof_path = os.fspath(path)


@dataclass
class VerifyResult:
    """What a valid proof states."""

    valid: bool
    outputs: Dict[str, np.ndarray]
    inputs: Dict[str, np.ndarray]
    model_digest: str
    input_digest: str
    srs: Optional[Dict[str, str]] = field(default=None)


def setup(
    model: PathLike,
    calibration: Optional[Sequence[Any]] = None,
    *,
    output: Optional[PathLike] = None,
    force: bool = False,
    input_shapes: Optional[Shapes] = None,
    srs_dir: Optional[PathLike] = None,
    cache_dir: Optional[PathLike] = None,
    scale: Optional[int] = None,
    weight_scale: Optional[int] = None,
) -> SetupResult:
    """Sets ``model`` up once: its key is cached and (with ``output``) written.

    ``calibration`` are inputs (paths or array-likes) fixing the table ranges (default: the
    ``MODEL.input.json`` beside the model). A model already set up keeps its key unless
    ``force`` (a new key has a new digest: proofs and published keys of the old one no longer
    verify against it; the old cache entry is kept). ``scale`` and ``weight_scale`` are the
    fixed-point bits of activations and weights (4 to 16; default 8 and 12), as the CLI's
    ``--scale``/``--weight-scale``: part of the committed model."""
    texts = [_input_json(c) for c in (calibration or [])]
    out = _native.setup(
        os.fspath(model),
        texts,
        _opt(output),
        force,
        _shapes(input_shapes),
        _opt(srs_dir),
        _opt(cache_dir),
        scale,
        weight_scale,
    )
    return SetupResult(**json.loads(out))


def prove(
    model: PathLike,
    input: Any,
    *,
    output: Optional[PathLike] = None,
    calibration: Optional[Sequence[Any]] = None,
    embed_vk: bool = True,
    input_shapes: Optional[Shapes] = None,
    srs_dir: Optional[PathLike] = None,
    cache_dir: Optional[PathLike] = None,
    scale: Optional[int] = None,
    weight_scale: Optional[int] = None,
) -> ProveResult:
    """Runs ``model`` on ``input`` and proves the result (setting the model up on first use,
    calibrated on this input and ``calibration``). With ``output`` the proof file is written
    there too. ``input_shapes`` (``{"x": [4, 784]}``, or a list in input order) sizes inputs the
    model leaves symbolic; without it a symbolic leading dimension is batch 1 (reported in
    ``assumed_shapes``). ``scale``/``weight_scale``: as for :func:`setup`."""
    texts = [_input_json(c) for c in (calibration or [])]
    proof, summary = _native.prove(
        os.fspath(model),
        _input_json(input),
        texts,
        embed_vk,
        _shapes(input_shapes),
        _opt(srs_dir),
        _opt(cache_dir),
        scale,
        weight_scale,
    )
    s = json.loads(summary)
    st = s["statement"]
    r = ProveResult(
        proof=bytes(proof),
        outputs=_tensors(st["outputs"]),
        inputs=_tensors(st["inputs"]),
        model_digest=st["model_digest"],
        input_digest=st["input_digest"],
        key_source=s["key_source"],
        key_file=s["key_file"],
        srs=s["srs"],
        stages_s=s["stages_s"],
        total_s=s["total_s"],
        peak_rss_bytes=s["peak_rss_bytes"],
        assumed_shapes=s.get("assumed_shapes", []),
    )
    if output is not None:
        r.save(output)
    return r


def _read(path: PathLike) -> bytes:
    """A file's bytes; a file that cannot be read is a ``FileError`` worded as the CLI words
    it (``path: reason (os error N)``)."""
    try:
        with open(os.fspath(path), "rb") as f:
            return f.read()
    except OSError as e:
        raise FileError(f"{os.fspath(path)}: {e.strerror} (os error {e.errno})") from None


def _bytes(x: Union[bytes, PathLike]) -> bytes:
    if isinstance(x, (bytes, bytearray)):
        return bytes(x)
    return _read(x)


def verify(
    proof: Union[bytes, PathLike],
    *,
    vk: Optional[Union[bytes, PathLike]] = None,
    input: Any = None,
    expected_outputs: Optional[Union[Sequence[Any], Dict[str, Any]]] = None,
    require_ceremony: bool = False,
    max_domain_log: Optional[int] = None,
    srs_dir: Optional[PathLike] = None,
    cache_dir: Optional[PathLike] = None,
) -> VerifyResult:
    """Checks a proof (bytes or a path). Raises ``InvalidProofError`` when it is invalid.

    The key (``vk`` pins the one the owner published; otherwise the proof's own) is checked
    first against its SRS (a public ceremony, or an SRS in this machine's store) and its
    architecture. With ``input`` the proof must be about exactly that input; with
    ``expected_outputs`` (array-likes in output order, or a dict by name) it must state exactly
    those outputs."""
    exp = None
    if expected_outputs is not None:
        values = (
            list(expected_outputs.values())
            if isinstance(expected_outputs, dict)
            else list(expected_outputs)
        )
        exp = [np.asarray(v, dtype=np.float64).reshape(-1).tolist() for v in values]
    out = _native.verify(
        _bytes(proof),
        None if vk is None else _bytes(vk),
        None if input is None else _input_json(input),
        exp,
        require_ceremony,
        max_domain_log,
        _opt(srs_dir),
        _opt(cache_dir),
    )
    st = json.loads(out)
    return VerifyResult(
        valid=True,
        outputs=_tensors(st["outputs"]),
        inputs=_tensors(st["inputs"]),
        model_digest=st["model_digest"],
        input_digest=st["input_digest"],
        srs=st.get("srs"),
    )


def inspect(
    model: PathLike,
    input: Any = None,
    calibration: Optional[Sequence[Any]] = None,
    *,
    input_shapes: Optional[Shapes] = None,
    scale: Optional[int] = None,
    weight_scale: Optional[int] = None,
    target: Optional[str] = None,
) -> Dict[str, Any]:
    """How ``model`` lowers into blocks, whether it is provable, and (with ``input``) the proof
    plan and the quantized run against float, with every sample's error and class agreement
    (``samples``): the CLI's ``inspect --json`` report, at the given scales. With
    ``target="resources"`` or ``"accuracy"`` (instead of ``scale``/``weight_scale``) the scales
    are chosen on the samples as ``inspect --target`` does; ``report["precision"]`` lists every
    candidate and the ``chosen`` pair to pass to ``prove``/``setup``."""
    texts = [] if input is None else [_input_json(input)] + [
        _input_json(c) for c in (calibration or [])
    ]
    return json.loads(
        _native.inspect(
            os.fspath(model), texts, _shapes(input_shapes), scale, weight_scale, target
        )
    )


def key_info(vk: Union[bytes, PathLike]) -> Dict[str, Any]:
    """What a verifying key states (digest, SRS, inputs, outputs); not checked."""
    return json.loads(_native.key_info(_bytes(vk)))
