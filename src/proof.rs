//! Verifying-key and proof file formats (in progress).
