//! What to restore from: `latest`, a checkpoint id, or a folder.

use std::str::FromStr;

/// Names a checkpoint or savepoint to restore (see
/// [`CheckpointStorage::load`](crate::CheckpointStorage::load)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotPointer {
    /// The completed checkpoint with the highest id.
    Latest,
    /// Checkpoint `<id>` of the storage.
    Id(u64),
    /// A `chk-<id>` folder or a savepoint folder: a path or URL.
    Location(String),
}

impl FromStr for SnapshotPointer {
    type Err = std::convert::Infallible;

    /// `latest`, digits (an id), or anything else (a location).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(if s == "latest" {
            SnapshotPointer::Latest
        } else if let Ok(id) = s.parse() {
            SnapshotPointer::Id(id)
        } else {
            SnapshotPointer::Location(s.to_owned())
        })
    }
}

impl std::fmt::Display for SnapshotPointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotPointer::Latest => f.write_str("latest"),
            SnapshotPointer::Id(id) => write!(f, "{id}"),
            SnapshotPointer::Location(location) => f.write_str(location),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_form() {
        let parse = |s: &str| s.parse::<SnapshotPointer>().unwrap();
        assert_eq!(parse("latest"), SnapshotPointer::Latest);
        assert_eq!(parse("17"), SnapshotPointer::Id(17));
        assert_eq!(
            parse("s3://b/sp-1"),
            SnapshotPointer::Location("s3://b/sp-1".into())
        );
        assert_eq!(parse("./chk-3").to_string(), "./chk-3");
    }
}
