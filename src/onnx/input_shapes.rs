//! Shapes given for a model's inputs, for the dimensions the model leaves symbolic (a batch
//! size, a sequence length, `-1`).
//!
//! A shape is given by input name (`--input-shape x=1,3,32,32`, Python's
//! `input_shapes={"x": ...}`, or an object `"input_shapes": {"x": [...]}` in an input file) or
//! by position in the model's input order (`--input-shape 1,3,32,32` for a one-input model, or
//! the list EZKL writes: `"input_shapes": [[1, 3, 32, 32]]`). Sources are merged; two sources
//! that give one input different shapes are an error naming both. [`super::load_with_shapes`]
//! applies them: a given shape must have the model's rank and agree with every dimension the
//! model fixes; an input with a symbolic leading dimension and no given shape gets batch 1, and
//! the graph records that assumption so the caller can print it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Error, Result};

/// Shapes given for graph inputs, by name and by position (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputShapes {
    /// Shapes by input name, with where each came from.
    pub by_name: BTreeMap<String, (Vec<usize>, String)>,
    /// Shapes by position in the model's input order, with where each came from.
    pub by_position: Vec<Option<(Vec<usize>, String)>>,
}

impl InputShapes {
    /// No shapes given.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether nothing is given.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty() && self.by_position.iter().all(Option::is_none)
    }

    /// Gives `shape` for the input called `name`, from `source` (named in errors).
    pub fn give_name(&mut self, name: &str, shape: Vec<usize>, source: &str) -> Result<()> {
        if let Some((s, from)) = self.by_name.get(name) {
            if *s != shape {
                return Err(conflict(
                    &format!("input {name:?}"),
                    s,
                    from,
                    &shape,
                    source,
                ));
            }
            return Ok(());
        }
        self.by_name
            .insert(name.to_string(), (shape, source.to_string()));
        Ok(())
    }

    /// Gives `shape` for the input at `position` in the model's input order.
    pub fn give_position(
        &mut self,
        position: usize,
        shape: Vec<usize>,
        source: &str,
    ) -> Result<()> {
        if self.by_position.len() <= position {
            self.by_position.resize(position + 1, None);
        }
        match &self.by_position[position] {
            Some((s, from)) if *s != shape => Err(conflict(
                &format!("input #{position}"),
                s,
                from,
                &shape,
                source,
            )),
            Some(_) => Ok(()),
            None => {
                self.by_position[position] = Some((shape, source.to_string()));
                Ok(())
            }
        }
    }

    /// Parses one `--input-shape` argument: `NAME=D,D,...` or, for a model with one input,
    /// `D,D,...` (dimensions may be separated by `,` or `x`).
    pub fn give_arg(&mut self, arg: &str) -> Result<()> {
        let source = format!("--input-shape {arg}");
        let (name, dims) = match arg.rsplit_once('=') {
            Some((n, d)) => (Some(n.trim()), d),
            None => (None, arg),
        };
        let shape = parse_dims(dims).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{source}: expected NAME=D,D,... (for example x=1,3,32,32), or D,D,... for a \
                 model with one input; every dimension a positive integer"
            ))
        })?;
        match name {
            Some(n) if !n.is_empty() => self.give_name(n, shape, &source),
            Some(_) => Err(Error::InvalidArgument(format!(
                "{source}: the input name before '=' is empty"
            ))),
            None => self.give_position(0, shape, &source),
        }
    }

    /// Takes the `"input_shapes"` an input file may hold (a list in input order, as EZKL
    /// writes it, or an object by input name); `source` names the file in errors.
    pub fn give_input_json(&mut self, text: &str, source: &str) -> Result<()> {
        let Ok(root) = serde_json::from_str::<Value>(text) else {
            return Ok(()); // the input parser reports malformed files, naming the error
        };
        let Some(given) = root.get("input_shapes") else {
            return Ok(());
        };
        let bad = |what: &str| {
            Error::InputData(format!(
                "{source}: \"input_shapes\" {what}; expected a list of shapes in input order \
                 ([[1, 3, 32, 32]]) or an object by input name ({{\"x\": [1, 3, 32, 32]}}), \
                 every dimension a positive integer"
            ))
        };
        let shape_of = |v: &Value, at: &str| -> Result<Vec<usize>> {
            v.as_array()
                .and_then(|dims| {
                    dims.iter()
                        .map(|d| d.as_u64().filter(|&d| d > 0).map(|d| d as usize))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| bad(&format!("entry {at} is not a shape")))
        };
        match given {
            Value::Array(list) => {
                for (i, v) in list.iter().enumerate() {
                    self.give_position(i, shape_of(v, &format!("#{i}"))?, source)?;
                }
            }
            Value::Object(map) => {
                for (name, v) in map {
                    self.give_name(name, shape_of(v, &format!("{name:?}"))?, source)?;
                }
            }
            _ => return Err(bad("is neither a list nor an object")),
        }
        Ok(())
    }

    /// The shape given for the input `name` at `position`, with its source; an error when the
    /// name and the position give different shapes.
    pub(crate) fn for_input(
        &self,
        name: &str,
        position: usize,
    ) -> std::result::Result<Option<(Vec<usize>, String)>, String> {
        let named = self.by_name.get(name);
        let placed = self.by_position.get(position).and_then(Option::as_ref);
        match (named, placed) {
            (Some((a, fa)), Some((b, fb))) if a != b => Err(format!(
                "input {name:?} is given shape {a:?} ({fa}) and {b:?} ({fb})"
            )),
            (Some(x), _) | (None, Some(x)) => Ok(Some(x.clone())),
            (None, None) => Ok(None),
        }
    }

    /// The resolved shapes of a loaded graph's inputs, as given shapes (loading again with
    /// them reproduces the graph and assumes nothing).
    pub fn resolved(inputs: &[super::ValueInfo]) -> Self {
        let mut s = Self::new();
        for i in inputs {
            s.by_name
                .insert(i.name.clone(), (i.shape.clone(), "resolved".to_string()));
        }
        s
    }
}

/// An ONNX file and the shapes given for its inputs: what setup, prove and inspect load.
#[derive(Clone, Debug)]
pub struct ModelFile {
    /// The `.onnx` file.
    pub path: PathBuf,
    /// Shapes given for its inputs (none: the declared ones, batch 1 for a symbolic leading
    /// dimension).
    pub shapes: InputShapes,
}

impl ModelFile {
    /// The file with its declared shapes.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ModelFile {
            path: path.into(),
            shapes: InputShapes::new(),
        }
    }

    /// The file with shapes given for its inputs.
    pub fn with_shapes(path: impl Into<PathBuf>, shapes: InputShapes) -> Self {
        ModelFile {
            path: path.into(),
            shapes,
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file and its given shapes as command-line arguments (`model.onnx --input-shape
    /// x=1,4`), for hints that tell the user what to run.
    pub fn command_args(&self) -> String {
        let mut s = self.path.display().to_string();
        for (name, (dims, _)) in &self.shapes.by_name {
            let dims: Vec<String> = dims.iter().map(usize::to_string).collect();
            s.push_str(&format!(" --input-shape {name}={}", dims.join(",")));
        }
        s
    }

    /// Loads the graph with these shapes ([`super::load_with_shapes`]).
    pub fn load(&self) -> Result<super::LayerGraph> {
        super::load_with_shapes(&self.path, &self.shapes)
    }
}

fn conflict(what: &str, a: &[usize], from_a: &str, b: &[usize], from_b: &str) -> Error {
    Error::InvalidArgument(format!(
        "{what} is given two shapes: {a:?} ({from_a}) and {b:?} ({from_b}); give one"
    ))
}

fn parse_dims(s: &str) -> Option<Vec<usize>> {
    let dims: Option<Vec<usize>> = s
        .split([',', 'x'])
        .map(|d| d.trim().parse::<usize>().ok().filter(|&d| d > 0))
        .collect();
    dims.filter(|d| !d.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_parse_by_name_and_by_position() {
        let mut s = InputShapes::new();
        s.give_arg("x=1,3,32,32").unwrap();
        s.give_arg("2x4").unwrap();
        assert_eq!(s.by_name["x"].0, [1, 3, 32, 32]);
        assert_eq!(s.by_position[0].as_ref().unwrap().0, [2, 4]);
        for bad in ["x=", "x=1,,2", "x=0,3", "=1,2", "x=-1,3", "abc"] {
            let e = InputShapes::new().give_arg(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn two_sources_that_disagree_are_an_error_naming_both() {
        let mut s = InputShapes::new();
        s.give_arg("x=1,4").unwrap();
        s.give_arg("x=1,4").unwrap(); // the same shape twice is fine
        let e = s.give_arg("x=2,4").unwrap_err().to_string();
        assert!(e.contains("[1, 4]") && e.contains("[2, 4]"), "{e}");
        s.give_input_json(r#"{"input_shapes": [[3, 4]]}"#, "in.json")
            .unwrap();
        let e = s.for_input("x", 0).unwrap_err();
        assert!(
            e.contains("in.json") && e.contains("--input-shape x=1,4"),
            "{e}"
        );
    }

    #[test]
    fn input_files_give_lists_or_objects() {
        let mut s = InputShapes::new();
        s.give_input_json(
            r#"{"input_data": [[1]], "input_shapes": {"a": [2, 3]}}"#,
            "f",
        )
        .unwrap();
        s.give_input_json(
            r#"{"input_data": [[1]], "input_shapes": [[5], [6, 7]]}"#,
            "g",
        )
        .unwrap();
        assert!(s.for_input("a", 0).unwrap_err().contains("[2, 3]"));
        assert_eq!(s.for_input("b", 1).unwrap().unwrap().0, [6, 7]);
        s.give_input_json(r#"{"input_data": [[1]]}"#, "h").unwrap();
        s.give_input_json("not json", "h").unwrap();
        for bad in [
            r#"{"input_shapes": 3}"#,
            r#"{"input_shapes": [[1, "a"]]}"#,
            r#"{"input_shapes": [[0]]}"#,
            r#"{"input_shapes": {"a": 1}}"#,
        ] {
            let e = InputShapes::new()
                .give_input_json(bad, "bad.json")
                .unwrap_err()
                .to_string();
            assert!(e.contains("bad.json") && e.contains("input_shapes"), "{e}");
        }
    }
}
