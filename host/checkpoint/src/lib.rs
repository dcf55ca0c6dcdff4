#![doc = include_str!("../README.md")]

mod cleanup;
mod coordinator;
mod error;
mod key_groups;
mod layout;
mod location;
mod metadata;
mod native;
mod pending;
mod pointer;
mod retention;
mod root;
mod shared;
mod storage;

pub use cleanup::SubsumeReport;
pub use coordinator::{
    Abort, AbortReason, AckOutcome, CheckpointConfig, CheckpointCoordinator, Completion, TaskId,
    Tick, Trigger,
};
pub use error::{Error, Result};
pub use key_groups::concat_key_groups;
pub use layout::{METADATA, SHARED_DIR};
pub use location::StorageOptions;
pub use metadata::{
    CheckpointMetadata, FORMAT, FileRef, KeyGroupSpan, KeyGroupsHandle, KeyedStateHandle,
    ModuleInfo, NativeFileRef, NativeHandle, NodeSnapshot, SnapshotKind, SubtaskSnapshot, VERSION,
};
pub use pending::{CompletedCheckpoint, PendingCheckpoint};
pub use pointer::SnapshotPointer;
pub use storage::{CheckpointStorage, FoundCheckpoint, LoadedSnapshot};

#[cfg(test)]
mod tests {
    fn send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn handles_are_shared_across_threads() {
        send_sync::<crate::CheckpointStorage>();
        send_sync::<crate::PendingCheckpoint>();
        fn error_is_send_sync<T: Send + Sync + 'static>() {}
        error_is_send_sync::<crate::Error>();
    }
}
