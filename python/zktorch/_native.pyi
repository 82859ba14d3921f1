"""Type stubs of the native module (see zktorch/__init__.py for the documented API)."""

from typing import List, Optional, Tuple

__version__: str

class ZkTorchError(Exception): ...
class InvalidProofError(ZkTorchError): ...
class InputError(ZkTorchError): ...
class NotProvableError(InputError): ...
class OutOfRangeError(InputError): ...
class FileError(InputError): ...

def setup(
    model: str,
    calibration: List[str],
    output: Optional[str] = None,
    force: bool = False,
    input_shapes: Optional[str] = None,
    srs_dir: Optional[str] = None,
    cache_dir: Optional[str] = None,
    scale: Optional[int] = None,
    weight_scale: Optional[int] = None,
) -> str: ...
def prove(
    model: str,
    input: str,
    calibration: List[str] = ...,
    embed_vk: bool = True,
    input_shapes: Optional[str] = None,
    srs_dir: Optional[str] = None,
    cache_dir: Optional[str] = None,
    scale: Optional[int] = None,
    weight_scale: Optional[int] = None,
) -> Tuple[bytes, str]: ...
def verify(
    proof: bytes,
    vk: Optional[bytes] = None,
    input: Optional[str] = None,
    expected_outputs: Optional[List[List[float]]] = None,
    require_ceremony: bool = False,
    max_domain_log: Optional[int] = None,
    srs_dir: Optional[str] = None,
    cache_dir: Optional[str] = None,
) -> str: ...
def inspect(
    model: str,
    inputs: List[str] = ...,
    input_shapes: Optional[str] = None,
    scale: Optional[int] = None,
    weight_scale: Optional[int] = None,
    target: Optional[str] = None,
) -> str: ...
def key_info(vk: bytes) -> str: ...
