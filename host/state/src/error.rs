//! The one error type of this crate.

use weir_types::KeyGroupRange;

use crate::{StateDescriptor, StateId, StateKind};

/// Result of a state or timer operation.
pub type Result<T> = std::result::Result<T, StateError>;

/// What can go wrong in keyed state and timers.
///
/// Operations that fail leave the backend exactly as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The state id was never handed out by `register` on this backend.
    #[error("unknown state id {0}")]
    UnknownState(StateId),

    /// A state was used as another kind than it was registered as (for
    /// example `map_get` on a value state).
    #[error("state `{name}` is a {registered} state but was used as a {used_as} state")]
    KindMismatch {
        /// The state's name.
        name: String,
        /// The kind it was registered with.
        registered: StateKind,
        /// The kind the failed call needs.
        used_as: StateKind,
    },

    /// A state name was registered again with another kind or TTL.
    #[error("state `{}` is registered as {existing} but was requested as {requested}", existing.name)]
    Conflict {
        /// The descriptor already registered under the name.
        existing: StateDescriptor,
        /// The descriptor of the refused registration.
        requested: StateDescriptor,
    },

    /// The key group of a key scope (or of a snapshot) is not one this
    /// backend owns.
    #[error("key group {key_group} is not owned here (owned: {}..{})", range.start, range.end)]
    KeyGroupNotOwned {
        /// The key group asked for.
        key_group: u32,
        /// The key groups this backend owns.
        range: KeyGroupRange,
    },

    /// A write (or restore) would take the total over the configured quota:
    /// payload bytes for keyed state, number of timers for the timer service.
    #[error("quota exceeded: would be {would_be}, limit is {limit}")]
    QuotaExceeded {
        /// The configured maximum.
        limit: u64,
        /// The total the refused operation would have produced.
        would_be: u64,
    },

    /// Snapshot bytes do not start with the expected magic or are malformed.
    #[error("invalid snapshot: {0}")]
    InvalidSnapshot(String),

    /// The snapshot was written in a format version this build cannot read.
    #[error("unsupported snapshot version {found} (this build reads version {supported})")]
    UnsupportedSnapshotVersion {
        /// Version byte found in the snapshot.
        found: u8,
        /// The version this build reads.
        supported: u8,
    },

    /// The snapshot holds another key group than the one it is restored as.
    #[error("snapshot is of key group {found} but was restored as key group {expected}")]
    SnapshotKeyGroupMismatch {
        /// Key group passed to `restore_key_group`.
        expected: u32,
        /// Key group recorded in the snapshot.
        found: u32,
    },
}
