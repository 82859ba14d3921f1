//! The library's one error type.
//!
//! Every fallible library call returns [`Error`]. Variants say *what* failed in words a user can
//! act on (which file, which section, which point); the CLI maps them to exit codes with
//! [`Error::exit_code`].

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in zktorch's library code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// Bytes that were supposed to be one of our formats are not.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being read ("proof file", "verifying key", "SRS cache", ...).
        what: &'static str,
        /// What exactly is wrong, with the offset or index where that helps.
        reason: String,
    },

    /// A powers-of-tau file was refused.
    #[error("invalid ptau file: {0}")]
    Ptau(String),

    /// The structured reference string cannot serve the request.
    #[error("SRS too small: {what} needs {needed}, the SRS has {available}")]
    SrsTooSmall {
        /// What needed the powers.
        what: &'static str,
        /// How many were needed.
        needed: usize,
        /// How many there are.
        available: usize,
    },

    /// A caller passed arguments that cannot be used (mismatched lengths, empty input, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A proof (or one of its parts) was checked and rejected.
    #[error("verification failed: {0}")]
    Verification(String),

    /// The feature exists in the command line but is delivered by a later milestone.
    #[error("not implemented yet: {0}")]
    NotImplemented(&'static str),

    /// An ONNX model could not be read or understood (not a model, missing external data file,
    /// symbolic dimension without a size, shape inference failure, ...).
    #[error("ONNX model {}: {reason}", path.display())]
    Onnx {
        /// The model file.
        path: PathBuf,
        /// What is wrong, naming the tensor, node or input involved.
        reason: String,
    },

    /// The model uses ONNX ops that zktorch cannot handle; every such node is listed.
    #[error(
        "unsupported ONNX ops ({} node{}): {}",
        nodes.len(),
        if nodes.len() == 1 { "" } else { "s" },
        crate::onnx::format_unsupported(nodes)
    )]
    UnsupportedOps {
        /// Every unsupported node of the model, in graph order.
        nodes: Vec<crate::onnx::UnsupportedNode>,
    },

    /// Input data (an `input.json`) does not fit the model: wrong number of inputs, wrong number
    /// of values for an input, or values that are not numbers.
    #[error("bad input data: {0}")]
    InputData(String),
    /// A constant or input value cannot be represented at its fixed-point scale.
    #[error("quantization: {0}")]
    Quantization(String),

    /// A value fell outside the range of a lookup table or a division's quotient range while
    /// running the quantized model (the range was calibrated on other data): never clamped.
    #[error(
        "layer {layer:?}: {what} is {value}, outside the calibrated range [{lo}, {hi}] \
         ({}); recalibrate with data that covers this input",
        range_distance(*value, *lo, *hi)
    )]
    OutOfRange {
        /// The ONNX layer (node name).
        layer: String,
        /// Which value: the input of which table, or which division's quotient.
        what: String,
        /// The value.
        value: i64,
        /// Lower end of the range.
        lo: i64,
        /// Upper end of the range.
        hi: i64,
    },

    /// Integer overflow in the exact execution of the quantized model.
    #[error("layer {layer:?}: i64 overflow in {what}")]
    Overflow {
        /// The ONNX layer (node name).
        layer: String,
        /// The operation that overflowed.
        what: String,
    },

    /// Layers the compiler cannot lower into basic blocks yet, each with the reason.
    #[error("not provable yet ({} layer{}): {}", .0.len(), if .0.len() == 1 { "" } else { "s" }, .0.join("; "))]
    NotProvable(Vec<String>),

    /// An error with what the user should do about it.
    #[error("{error}; {hint}")]
    WithHint {
        /// The error.
        error: Box<Error>,
        /// What fixes it (a command to run).
        hint: String,
    },
}

/// How far `v` lies outside `[lo, hi]`, in words.
fn range_distance(v: i64, lo: i64, hi: i64) -> String {
    if v < lo {
        format!("{} below", lo.abs_diff(v))
    } else {
        format!("{} above", v.abs_diff(hi))
    }
}

impl Error {
    /// Process exit code for this error: 1 when a proof was checked and found invalid, 2 for every
    /// kind of unusable input (bad file, bad flag, unsupported request).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Verification(_) => 1,
            Error::WithHint { error, .. } => error.exit_code(),
            _ => 2,
        }
    }

    pub(crate) fn malformed(what: &'static str, reason: impl Into<String>) -> Self {
        Error::Malformed {
            what,
            reason: reason.into(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
