//! Safe file operations every command uses: atomic writes, exclusive locks, output paths
//! checked before any work.
//!
//! - [`write_atomic`]: the bytes go to a temporary file in the same directory, are synced, and
//!   the file is renamed over the target: a reader sees the old file or the new one, never a
//!   truncated one (a full disk or a crash leaves the target as it was and no temporary behind).
//! - [`Lock`]: an exclusive advisory lock on a lock file, held until dropped (concurrent `prove`
//!   and `setup` runs on one model, or SRS creation, wait for each other instead of racing).
//! - [`check_output`]: refuses, before any work, an output path that is an input of the same
//!   command or whose directory does not exist or cannot be written.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A temporary file name beside `path` (hidden, unique to this process and moment).
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    path.with_file_name(format!(".{name}.tmp-{}-{nanos}", std::process::id()))
}

/// Writes `bytes` to `path` atomically (see the module docs). With `private`, the file is
/// created readable by its owner only (Unix mode 0600).
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let tmp = temporary_beside(path);
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// An exclusive lock on a file, released when dropped.
#[derive(Debug)]
pub struct Lock {
    _file: std::fs::File,
}

impl Lock {
    /// Takes the lock on `path` (created if missing, with its directory), waiting for any other
    /// holder.
    pub fn exclusive(path: &Path) -> Result<Lock> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        file.lock().map_err(|e| Error::io(path, e))?;
        Ok(Lock { _file: file })
    }
}

/// Checks, before any work, that `output` can be written and is none of `inputs`: its directory
/// exists and accepts a new file, and it does not name the same file as an input.
pub fn check_output(output: &Path, inputs: &[&Path]) -> Result<()> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if let Some(input) = inputs.iter().find(|i| same(output, i)) {
        return Err(Error::InvalidArgument(format!(
            "{} is also an input of this command ({}): choose another output path",
            output.display(),
            input.display()
        )));
    }
    if output.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "{} is a directory: give a file path",
            output.display()
        )));
    }
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let probe = temporary_beside(output);
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(Error::io(&dir, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_whole_files_and_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        write_atomic(&p, b"first", false).unwrap();
        write_atomic(&p, b"second", true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // A target in a missing directory fails and leaves nothing.
        let bad = dir.path().join("missing").join("b.bin");
        assert!(write_atomic(&bad, b"x", false).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn outputs_are_checked_before_work() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("model.onnx");
        std::fs::write(&input, b"m").unwrap();
        assert!(check_output(&input, &[&input]).is_err());
        let via_dot = dir.path().join(".").join("model.onnx");
        assert!(check_output(&via_dot, &[&input]).is_err());
        assert!(check_output(&dir.path().join("proof.bin"), &[&input]).is_ok());
        assert!(check_output(&dir.path().join("no/such/dir/p.bin"), &[&input]).is_err());
        assert!(check_output(dir.path(), &[&input]).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn locks_exclude_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.lock");
        let held = Lock::exclusive(&p).unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        assert!(matches!(
            f.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(held);
        assert!(f.try_lock().is_ok());
    }
}
