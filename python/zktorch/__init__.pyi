"""Type stubs of zktorch (docstrings in zktorch/__init__.py)."""

import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from ._native import (
    FileError as FileError,
    InputError as InputError,
    InvalidProofError as InvalidProofError,
    NotProvableError as NotProvableError,
    OutOfRangeError as OutOfRangeError,
    ZkTorchError as ZkTorchError,
)

__version__: str
PathLike = Union[str, os.PathLike[str]]
Shapes = Union[Dict[str, Sequence[int]], Sequence[Sequence[int]]]

@dataclass
class SetupResult:
    model_digest: str
    key_source: str
    key_file: str
    srs: Dict[str, str]
    log_domain: int
    srs_power: int
    replaced: Optional[Dict[str, str]]
    stages_s: Dict[str, float]
    assumed_shapes: List[str] = ...

@dataclass
class ProveResult:
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
    proof_path: Optional[str] = ...
    assumed_shapes: List[str] = ...
    def save(self, path: PathLike) -> None: ...

@dataclass
class VerifyResult:
    valid: bool
    outputs: Dict[str, np.ndarray]
    inputs: Dict[str, np.ndarray]
    model_digest: str
    input_digest: str
    srs: Optional[Dict[str, str]] = ...

def setup(
    model: PathLike,
    calibration: Optional[Sequence[Any]] = ...,
    *,
    output: Optional[PathLike] = ...,
    force: bool = ...,
    input_shapes: Optional[Shapes] = ...,
    srs_dir: Optional[PathLike] = ...,
    cache_dir: Optional[PathLike] = ...,
    scale: Optional[int] = ...,
    weight_scale: Optional[int] = ...,
) -> SetupResult: ...
def prove(
    model: PathLike,
    input: Any,
    *,
    output: Optional[PathLike] = ...,
    calibration: Optional[Sequence[Any]] = ...,
    embed_vk: bool = ...,
    input_shapes: Optional[Shapes] = ...,
    srs_dir: Optional[PathLike] = ...,
    cache_dir: Optional[PathLike] = ...,
    scale: Optional[int] = ...,
    weight_scale: Optional[int] = ...,
) -> ProveResult: ...
def verify(
    proof: Union[bytes, PathLike],
    *,
    vk: Optional[Union[bytes, PathLike]] = ...,
    input: Any = ...,
    expected_outputs: Optional[Union[Sequence[Any], Dict[str, Any]]] = ...,
    require_ceremony: bool = ...,
    max_domain_log: Optional[int] = ...,
    srs_dir: Optional[PathLike] = ...,
    cache_dir: Optional[PathLike] = ...,
) -> VerifyResult: ...
def inspect(
    model: PathLike,
    input: Any = ...,
    calibration: Optional[Sequence[Any]] = ...,
    *,
    input_shapes: Optional[Shapes] = ...,
    scale: Optional[int] = ...,
    weight_scale: Optional[int] = ...,
    target: Optional[str] = ...,
) -> Dict[str, Any]: ...
def key_info(vk: Union[bytes, PathLike]) -> Dict[str, Any]: ...
