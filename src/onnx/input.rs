//! Input data files: `{"input_data": [[...], ...]}`, the format EZKL and the ZKTorch paper use.
//!
//! `input_data` holds one list per graph input, in the model's input order. Each list may be
//! nested any way (nested lists are flattened row-major); its shape comes from the model, so
//! only the number of values has to match. Other top-level keys (EZKL writes `output_data`,
//! for one) are ignored. As a convenience, a model with a single input also accepts a flat list
//! of numbers as `input_data`.

use std::path::Path;

use serde_json::Value;

use super::graph::ValueInfo;
use crate::{Error, Result};

/// Read an input file for a model with these inputs; one flat `f32` vector per input.
pub fn read_input_json(path: &Path, inputs: &[ValueInfo]) -> Result<Vec<Vec<f32>>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_input_json(&text, inputs).map_err(|e| match e {
        Error::InputData(m) => Error::InputData(format!("{}: {m}", path.display())),
        other => other,
    })
}

/// Parse input-file text for a model with these inputs; one flat `f32` vector per input.
pub fn parse_input_json(text: &str, inputs: &[ValueInfo]) -> Result<Vec<Vec<f32>>> {
    let bad = |m: String| Error::InputData(m);
    let root: Value =
        serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    let data = root
        .get("input_data")
        .ok_or_else(|| bad("no \"input_data\" key (expected {\"input_data\": [[...]]})".into()))?;
    let Value::Array(entries) = data else {
        return Err(bad("\"input_data\" is not a list".into()));
    };
    let flat_single = inputs.len() == 1 && entries.iter().all(|v| !v.is_array());
    let entries: Vec<&Value> = if flat_single && !entries.is_empty() {
        vec![data]
    } else {
        entries.iter().collect()
    };
    if entries.len() != inputs.len() {
        let names: Vec<String> = inputs
            .iter()
            .map(|i| format!("{:?} {:?}", i.name, i.shape))
            .collect();
        return Err(bad(format!(
            "\"input_data\" has {} entr{}, the model has {} input{}: {}",
            entries.len(),
            if entries.len() == 1 { "y" } else { "ies" },
            inputs.len(),
            if inputs.len() == 1 { "" } else { "s" },
            names.join(", ")
        )));
    }
    let mut out = Vec::with_capacity(inputs.len());
    for (ix, (entry, info)) in entries.into_iter().zip(inputs).enumerate() {
        let mut values = Vec::with_capacity(info.len());
        flatten(entry, &mut values).map_err(|(pos, v)| {
            bad(format!(
                "input_data[{ix}] (input {:?}): value #{pos} is {}, not a number",
                info.name,
                describe(v)
            ))
        })?;
        if values.len() != info.len() {
            return Err(bad(format!(
                "input {:?} expects {} values (shape {:?}), input_data[{ix}] has {}",
                info.name,
                info.len(),
                info.shape,
                values.len()
            )));
        }
        let mut floats = Vec::with_capacity(values.len());
        for (pos, v) in values.into_iter().enumerate() {
            let f = v as f32;
            if !f.is_finite() {
                return Err(bad(format!(
                    "input_data[{ix}] (input {:?}): value #{pos} ({v}) is out of f32 range",
                    info.name
                )));
            }
            floats.push(f);
        }
        out.push(floats);
    }
    Ok(out)
}

/// Check that `data` fits `inputs` (count of inputs, count of values per input).
pub fn check_input_lengths(inputs: &[ValueInfo], data: &[Vec<f32>]) -> Result<()> {
    if data.len() != inputs.len() {
        return Err(Error::InputData(format!(
            "{} input tensor{} given, the model has {}",
            data.len(),
            if data.len() == 1 { "" } else { "s" },
            inputs.len()
        )));
    }
    for (info, d) in inputs.iter().zip(data) {
        if d.len() != info.len() {
            return Err(Error::InputData(format!(
                "input {:?} expects {} values (shape {:?}), got {}",
                info.name,
                info.len(),
                info.shape,
                d.len()
            )));
        }
    }
    Ok(())
}

/// Flatten nested lists of numbers, row-major; on a non-number, its position and value.
fn flatten<'a>(v: &'a Value, out: &mut Vec<f64>) -> std::result::Result<(), (usize, &'a Value)> {
    match v {
        Value::Array(items) => {
            for item in items {
                flatten(item, out)?;
            }
            Ok(())
        }
        Value::Number(n) => match n.as_f64() {
            Some(f) => {
                out.push(f);
                Ok(())
            }
            None => Err((out.len(), v)),
        },
        other => Err((out.len(), other)),
    }
}

fn describe(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}
