//! On-disk SRS cache (in progress).
