use weir_connectors::ConnectorError;
use weir_wasm::WasmError;

/// Why a job could not start or failed while running.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// An operator's module is not where the spec says.
    #[error("operator {operator}: module `{module}` not found (looked in: {searched})")]
    ModuleNotFound {
        /// Operator id.
        operator: String,
        /// The spec's `module` value.
        module: String,
        /// Where it was looked for.
        searched: String,
    },
    /// An operator's module could not be loaded or does not fit the world.
    #[error("operator {operator}: {error}")]
    Module {
        /// Operator id.
        operator: String,
        /// What went wrong. Not exposed as `source()`: the message already
        /// holds it, and an error chain would print it twice.
        error: WasmError,
    },
    /// A guest failed, trapped or went over a limit.
    #[error(transparent)]
    Wasm(#[from] WasmError),
    /// A source or sink failed.
    #[error("{node} subtask {subtask}: {error}")]
    Connector {
        /// Source or sink id.
        node: String,
        /// Subtask index.
        subtask: u32,
        /// What went wrong (in the message, not `source()`).
        error: ConnectorError,
    },
    /// A record on a keyed edge has no usable key.
    #[error("edge {edge}: {detail}")]
    MissingKey {
        /// The edge (`from → to`).
        edge: String,
        /// Why.
        detail: String,
    },
    /// A consumer stopped (because another task failed).
    #[error("edge {edge}: the consumer stopped")]
    DownstreamGone {
        /// The edge.
        edge: String,
    },
    /// Every producer of a task stopped before ending its stream (because
    /// another task failed).
    #[error("task {task}: its inputs stopped before the end of the stream")]
    UpstreamGone {
        /// The task (its head node and subtask).
        task: String,
    },
    /// The job was cancelled.
    #[error("the job was cancelled")]
    Cancelled,
    /// A task thread panicked (a bug in Weir, not in a guest).
    #[error("task {task} panicked: {message}")]
    Panicked {
        /// The task.
        task: String,
        /// The panic message.
        message: String,
    },
    /// A task thread could not be started.
    #[error("cannot start a thread for task {task}: {error}")]
    Spawn {
        /// The task.
        task: String,
        /// The OS error (in the message, not `source()`).
        error: std::io::Error,
    },
    /// A local scratch folder for checkpoint or restore files failed.
    #[error("checkpoint scratch folder {}: {error}", path.display())]
    Scratch {
        /// The folder.
        path: std::path::PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// Reading or writing checkpoint storage failed.
    #[error(transparent)]
    Checkpoint(#[from] Box<weir_checkpoint::Error>),
    /// A snapshot does not fit the job it should start.
    #[error("cannot restore from {what}: {message}")]
    Restore {
        /// The snapshot (`checkpoint 7`, `savepoint 3`) or the part of it.
        what: String,
        /// Why.
        message: String,
    },
    /// Opening or restoring keyed state failed on the host side.
    #[error("operator {operator} subtask {subtask}: state: {source}")]
    State {
        /// Operator id.
        operator: String,
        /// Subtask.
        subtask: u32,
        /// The backend's error.
        source: Box<weir_state::StateError>,
    },
    /// A RocksDB backend could not be opened or restored.
    #[error("operator {operator} subtask {subtask}: RocksDB state in {}: {error}", dir.display())]
    RocksDb {
        /// Operator id.
        operator: String,
        /// Subtask.
        subtask: u32,
        /// The backend's working folder.
        dir: std::path::PathBuf,
        /// The backend's error.
        error: Box<weir_state_rocksdb::RocksDbError>,
    },
    /// The job failed and its restart strategy gave up.
    #[error("{cause} (gave up after {restarts} restarts: {why})")]
    GaveUp {
        /// The last failure.
        cause: Box<RuntimeError>,
        /// Restarts made.
        restarts: u32,
        /// Which limit was reached.
        why: String,
    },
}

impl RuntimeError {
    /// True for errors that only follow from another task's failure; the
    /// runner reports the first error that is not one of these.
    pub fn is_secondary(&self) -> bool {
        matches!(
            self,
            RuntimeError::DownstreamGone { .. }
                | RuntimeError::UpstreamGone { .. }
                | RuntimeError::Cancelled
        )
    }
}

/// Result of this crate.
pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;

impl From<weir_checkpoint::Error> for RuntimeError {
    fn from(e: weir_checkpoint::Error) -> Self {
        RuntimeError::Checkpoint(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error and its `source()` chain, joined as `{:#}` of anyhow prints
    /// them.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut text = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            text = format!("{text}: {c}");
            cause = c.source();
        }
        text
    }

    #[test]
    fn a_wrapped_cause_is_printed_once_in_the_chain() {
        let e = RuntimeError::Module {
            operator: "op".into(),
            error: WasmError::NotAComponent {
                module: "m.wasm".into(),
                reason: "it is a core Wasm module".into(),
            },
        };
        assert_eq!(
            chain(&e),
            "operator op: module m.wasm is not a Wasm component: it is a core Wasm module"
        );
        let e = RuntimeError::Spawn {
            task: "src#0".into(),
            error: std::io::Error::other("no threads left"),
        };
        assert_eq!(
            chain(&e),
            "cannot start a thread for task src#0: no threads left"
        );
    }
}
