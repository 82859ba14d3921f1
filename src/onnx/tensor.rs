//! Decoding ONNX `TensorProto`s (initializers, `Constant` values, tensor attributes) into
//! [`ConstTensor`]s, including weights stored as external data beside the model.
//!
//! Element types are narrowed as the layer graph documents: float, double and float16 become
//! `f32`; int8/16/32/64, uint8/16/32/64 and bool become `i64` (a uint64 above `i64::MAX` is an
//! error). Any other type (string, bfloat16, complex, float8, 4-bit) is an error naming the
//! tensor and the type. The payload length is checked against the shape before anything is
//! allocated from the shape, so a malformed file cannot request a huge allocation.
//!
//! External data (`data_location = EXTERNAL`, as torch's exporter writes `model.onnx.data`) is
//! read from the file named by the tensor's `location`, which must be a relative path inside
//! the model's directory; `offset` and `length` are honoured and checked against the file size.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use tract_onnx::pb::tensor_proto::{DataLocation, DataType};
use tract_onnx::pb::TensorProto;

use super::graph::{ConstTensor, TensorData};

/// Where a tensor's bytes may come from: the model's directory, for external data.
pub(crate) struct TensorSource<'a> {
    /// Directory holding the model file (external data paths are relative to it).
    pub model_dir: &'a Path,
}

/// A decoding failure, in words; the caller adds the model path.
pub(crate) type DecodeResult<T> = std::result::Result<T, String>;

/// Element size in bytes of the ONNX types we read, or `None` for types we refuse.
fn elem_size(dt: DataType) -> Option<usize> {
    Some(match dt {
        DataType::Bool | DataType::Uint8 | DataType::Int8 => 1,
        DataType::Uint16 | DataType::Int16 | DataType::Float16 => 2,
        DataType::Uint32 | DataType::Int32 | DataType::Float => 4,
        DataType::Uint64 | DataType::Int64 | DataType::Double => 8,
        _ => return None,
    })
}

/// The ONNX name of an element type, for messages.
pub(crate) fn dtype_name(data_type: i32) -> String {
    match DataType::try_from(data_type) {
        Ok(dt) => dt.as_str_name().to_string(),
        Err(_) => format!("unknown data type {data_type}"),
    }
}

/// Decode one tensor. `what` names it in errors (e.g. `initializer "fc1.weight"`).
pub(crate) fn decode(t: &TensorProto, what: &str, src: &TensorSource) -> DecodeResult<ConstTensor> {
    let dt = DataType::try_from(t.data_type)
        .ok()
        .filter(|dt| elem_size(*dt).is_some())
        .ok_or_else(|| {
            format!(
                "{what} has element type {}, which zktorch cannot read \
                 (supported: float, double, float16, int8/16/32/64, uint8/16/32/64, bool)",
                dtype_name(t.data_type)
            )
        })?;
    if t.segment.is_some() {
        return Err(format!(
            "{what} is a segment of a larger tensor, which is not supported"
        ));
    }
    let mut shape = Vec::with_capacity(t.dims.len());
    for &d in &t.dims {
        if d < 0 {
            return Err(format!(
                "{what} has a negative dimension {d} in {:?}",
                t.dims
            ));
        }
        shape.push(usize::try_from(d).map_err(|_| format!("{what}: dimension {d} too large"))?);
    }
    let count = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("{what}: shape {shape:?} overflows"))?;
    let size = elem_size(dt).unwrap_or(1);

    let external = t.data_location == Some(DataLocation::External as i32);
    let data = if external {
        let bytes = read_external(t, what, count, size, src)?;
        from_le_bytes(dt, &bytes)
    } else if !t.raw_data.is_empty() || count == 0 {
        check_len(
            what,
            t.raw_data.len(),
            count.checked_mul(size),
            "bytes of raw_data",
        )?;
        from_le_bytes(dt, &t.raw_data)
    } else {
        from_typed_fields(t, dt, what, count)?
    };
    if dt == DataType::Uint64 {
        // Values above i64::MAX wrapped to negative numbers in `from_le_bytes`.
        if let Some(v) = data_i64(&data).iter().find(|&&x| x < 0) {
            return Err(format!(
                "{what}: uint64 value {} does not fit in i64",
                *v as u64
            ));
        }
    }
    debug_assert_eq!(data.len(), count);
    Ok(ConstTensor { shape, data })
}

fn data_i64(d: &TensorData) -> &[i64] {
    match d {
        TensorData::I64(v) => v,
        TensorData::F32(_) => &[],
    }
}

fn check_len(what: &str, got: usize, expected: Option<usize>, unit: &str) -> DecodeResult<()> {
    match expected {
        Some(e) if e == got => Ok(()),
        Some(e) => Err(format!("{what} has {got} {unit}, its shape needs {e}")),
        None => Err(format!("{what}: shape too large")),
    }
}

/// Little-endian bytes (raw_data or external data) to values; the length is already checked.
fn from_le_bytes(dt: DataType, b: &[u8]) -> TensorData {
    fn chunks<const N: usize>(b: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
        b.chunks_exact(N).map(|c| {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            a
        })
    }
    match dt {
        DataType::Float => TensorData::F32(chunks::<4>(b).map(f32::from_le_bytes).collect()),
        DataType::Double => TensorData::F32(
            chunks::<8>(b)
                .map(|c| f64::from_le_bytes(c) as f32)
                .collect(),
        ),
        DataType::Float16 => TensorData::F32(
            chunks::<2>(b)
                .map(|c| f16_to_f32(u16::from_le_bytes(c)))
                .collect(),
        ),
        DataType::Bool => TensorData::I64(b.iter().map(|&x| i64::from(x != 0)).collect()),
        DataType::Uint8 => TensorData::I64(b.iter().map(|&x| i64::from(x)).collect()),
        DataType::Int8 => TensorData::I64(b.iter().map(|&x| i64::from(x as i8)).collect()),
        DataType::Uint16 => TensorData::I64(
            chunks::<2>(b)
                .map(|c| i64::from(u16::from_le_bytes(c)))
                .collect(),
        ),
        DataType::Int16 => TensorData::I64(
            chunks::<2>(b)
                .map(|c| i64::from(i16::from_le_bytes(c)))
                .collect(),
        ),
        DataType::Uint32 => TensorData::I64(
            chunks::<4>(b)
                .map(|c| i64::from(u32::from_le_bytes(c)))
                .collect(),
        ),
        DataType::Int32 => TensorData::I64(
            chunks::<4>(b)
                .map(|c| i64::from(i32::from_le_bytes(c)))
                .collect(),
        ),
        // Uint64 values above i64::MAX wrap here and are refused by `decode`.
        DataType::Uint64 => TensorData::I64(
            chunks::<8>(b)
                .map(|c| u64::from_le_bytes(c) as i64)
                .collect(),
        ),
        _ => TensorData::I64(chunks::<8>(b).map(i64::from_le_bytes).collect()),
    }
}

/// Values stored in the typed repeated fields (`float_data`, `int32_data`, ...).
fn from_typed_fields(
    t: &TensorProto,
    dt: DataType,
    what: &str,
    count: usize,
) -> DecodeResult<TensorData> {
    let (field, len) = match dt {
        DataType::Float => ("float_data", t.float_data.len()),
        DataType::Double => ("double_data", t.double_data.len()),
        DataType::Int64 => ("int64_data", t.int64_data.len()),
        DataType::Uint32 | DataType::Uint64 => ("uint64_data", t.uint64_data.len()),
        _ => ("int32_data", t.int32_data.len()),
    };
    check_len(what, len, Some(count), &format!("values in {field}"))?;
    Ok(match dt {
        DataType::Float => TensorData::F32(t.float_data.clone()),
        DataType::Double => TensorData::F32(t.double_data.iter().map(|&x| x as f32).collect()),
        DataType::Float16 => {
            TensorData::F32(t.int32_data.iter().map(|&x| f16_to_f32(x as u16)).collect())
        }
        DataType::Int64 => TensorData::I64(t.int64_data.clone()),
        DataType::Uint32 | DataType::Uint64 => TensorData::I64(
            t.uint64_data
                .iter()
                .map(|&x| {
                    i64::try_from(x).map_err(|_| format!("{what}: value {x} does not fit in i64"))
                })
                .collect::<DecodeResult<_>>()?,
        ),
        DataType::Bool => {
            TensorData::I64(t.int32_data.iter().map(|&x| i64::from(x != 0)).collect())
        }
        // int8/16/32, uint8/16 are stored widened in int32_data.
        _ => TensorData::I64(t.int32_data.iter().map(|&x| i64::from(x)).collect()),
    })
}

/// IEEE half precision bits to f32 (exact).
fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let mant = u32::from(h & 0x3ff);
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, m) => {
            // subnormal: value = m * 2^-24
            let v = m as f32 * f32::from_bits(0x3380_0000); // 2^-24
            return if sign != 0 { -v } else { v };
        }
        (0x1f, 0) => sign | 0x7f80_0000,
        (0x1f, m) => sign | 0x7fc0_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

fn external_key<'a>(t: &'a TensorProto, key: &str) -> Option<&'a str> {
    t.external_data
        .iter()
        .find(|e| e.key == key)
        .map(|e| e.value.as_str())
}

/// The path an external-data tensor points to, checked to stay inside the model directory.
pub(crate) fn external_path(
    t: &TensorProto,
    what: &str,
    model_dir: &Path,
) -> DecodeResult<PathBuf> {
    let location = external_key(t, "location")
        .ok_or_else(|| format!("{what} is stored as external data but names no location"))?;
    let rel = Path::new(location);
    if location.is_empty()
        || rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "{what}: external data location {location:?} must be a relative path inside the \
             model's directory"
        ));
    }
    Ok(model_dir.join(rel))
}

fn read_external(
    t: &TensorProto,
    what: &str,
    count: usize,
    size: usize,
    src: &TensorSource,
) -> DecodeResult<Vec<u8>> {
    let path = external_path(t, what, src.model_dir)?;
    let parse = |key: &str| -> DecodeResult<Option<u64>> {
        external_key(t, key)
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("{what}: external data {key} {v:?} is not a number"))
            })
            .transpose()
    };
    let offset = parse("offset")?.unwrap_or(0);
    let length = parse("length")?;
    let mut file = File::open(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "{what} is stored in the external data file {} which does not exist \
                 (keep the data file beside the model)",
                path.display()
            )
        } else {
            format!(
                "{what}: cannot open external data file {}: {e}",
                path.display()
            )
        }
    })?;
    // Symlinks must not lead outside the model directory.
    let canon_dir = src
        .model_dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", src.model_dir.display()))?;
    let canon = path
        .canonicalize()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if !canon.starts_with(&canon_dir) {
        return Err(format!(
            "{what}: external data file {} resolves outside the model directory",
            path.display()
        ));
    }
    let file_len = file
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let needed = count
        .checked_mul(size)
        .ok_or_else(|| format!("{what}: shape too large"))? as u64;
    let length = length.unwrap_or(needed);
    if length != needed {
        return Err(format!(
            "{what}: external data length {length} does not match its shape ({needed} bytes)"
        ));
    }
    if offset.checked_add(length).is_none_or(|end| end > file_len) {
        return Err(format!(
            "{what}: external data [{offset}, {offset}+{length}) is past the end of {} \
             ({file_len} bytes)",
            path.display()
        ));
    }
    let mut buf = vec![0u8; needed as usize];
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut buf))
        .map_err(|e| format!("{what}: reading {}: {e}", path.display()))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x8000), -0.0);
        assert!(f16_to_f32(0x7c00).is_infinite());
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    fn tensor(dt: DataType, dims: Vec<i64>) -> TensorProto {
        TensorProto {
            data_type: dt as i32,
            dims,
            ..Default::default()
        }
    }

    #[test]
    fn typed_and_raw_fields() {
        let src = TensorSource {
            model_dir: Path::new("."),
        };
        let mut t = tensor(DataType::Int8, vec![3]);
        t.raw_data = vec![0xff, 0x01, 0x80];
        let c = decode(&t, "t", &src).unwrap();
        assert_eq!(c.data, TensorData::I64(vec![-1, 1, -128]));

        let mut t = tensor(DataType::Double, vec![2]);
        t.double_data = vec![0.5, -3.0];
        assert_eq!(
            decode(&t, "t", &src).unwrap().data,
            TensorData::F32(vec![0.5, -3.0])
        );

        let mut t = tensor(DataType::Float, vec![2, 2]);
        t.float_data = vec![1.0, 2.0, 3.0];
        let e = decode(&t, "initializer \"w\"", &src).unwrap_err();
        assert!(
            e.contains("3 values in float_data") && e.contains("needs 4"),
            "{e}"
        );

        let t = tensor(DataType::String, vec![1]);
        assert!(decode(&t, "t", &src).unwrap_err().contains("STRING"));

        let mut t = tensor(DataType::Float, vec![1 << 40, 1 << 40]);
        t.raw_data = vec![0; 4];
        assert!(decode(&t, "t", &src).is_err());
    }
}
