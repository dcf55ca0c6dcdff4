//! Where things are under a storage root: pure path arithmetic.
//!
//! ```text
//! <root>/chk-<id>/_metadata            written last: its presence marks a completed checkpoint
//! <root>/chk-<id>/<name>               a checkpoint's exclusive files
//! <root>/shared/<instance>/<name>      files checkpoints may share (incremental)
//! <savepoint>/_metadata                a savepoint is a self-contained folder
//! <savepoint>/<name>, <savepoint>/shared/<instance>/<name>
//! ```

use crate::error::{Error, Result};
use crate::metadata::SnapshotKind;

/// The name of the metadata file.
pub const METADATA: &str = "_metadata";

/// The prefix of a checkpoint's folder name.
pub const CHECKPOINT_DIR_PREFIX: &str = "chk-";

/// The folder of shared files.
pub const SHARED_DIR: &str = "shared";

/// [`SHARED_DIR`] with its trailing slash.
pub const SHARED_DIR_PREFIX: &str = "shared/";

/// `chk-<id>`.
pub fn checkpoint_dir(id: u64) -> String {
    format!("{CHECKPOINT_DIR_PREFIX}{id}")
}

/// The id in a `chk-<id>` folder name; `None` for anything else
/// (including `chk-007`, which [`checkpoint_dir`] never writes).
pub fn parse_checkpoint_dir(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(CHECKPOINT_DIR_PREFIX)?;
    let id: u64 = digits.parse().ok()?;
    (digits == id.to_string()).then_some(id)
}

/// The folder (relative to the root, empty for the root itself) holding a
/// snapshot's `_metadata` and exclusive files.
pub fn snapshot_dir(kind: SnapshotKind, id: u64) -> String {
    match kind {
        SnapshotKind::Checkpoint => checkpoint_dir(id),
        SnapshotKind::Savepoint => String::new(),
    }
}

/// Joins a folder (possibly empty) and a relative path.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// Where a shared file goes: `shared/<instance>/<name>` (for a savepoint,
/// inside the savepoint folder).
pub fn shared_path(instance: &str, name: &str) -> String {
    format!("{SHARED_DIR_PREFIX}{instance}/{name}")
}

/// Checks a caller-given file name: `/`-separated segments of printable
/// characters, none empty, `.` or `..`, no `#` (the local store's staging
/// marker), and not `_metadata` itself.
pub fn validate_name(name: &str) -> Result<()> {
    let invalid = |reason| {
        Err(Error::InvalidFileName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return invalid("empty");
    }
    if name
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return invalid("empty, `.` or `..` path segment");
    }
    if name
        .chars()
        .any(|c| c.is_control() || c == '#' || c == '\\')
    {
        return invalid("control character, `#` or `\\`");
    }
    if name == METADATA || name.starts_with(SHARED_DIR_PREFIX) {
        return invalid("reserved name");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_dirs_round_trip() {
        assert_eq!(parse_checkpoint_dir(&checkpoint_dir(42)), Some(42));
        assert_eq!(parse_checkpoint_dir("chk-007"), None);
        assert_eq!(parse_checkpoint_dir("chk-"), None);
        assert_eq!(parse_checkpoint_dir("shared"), None);
    }

    #[test]
    fn savepoints_live_at_their_root() {
        assert_eq!(join(&snapshot_dir(SnapshotKind::Savepoint, 3), "a"), "a");
        assert_eq!(
            join(&snapshot_dir(SnapshotKind::Checkpoint, 3), "a"),
            "chk-3/a"
        );
    }

    #[test]
    fn rejects_names_that_escape_or_collide() {
        for bad in [
            "",
            "a//b",
            "../x",
            "a/./b",
            "_metadata",
            "x#1",
            "shared/i/f",
        ] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        validate_name("count/0/keyed").unwrap();
    }
}
