use std::fmt;
use std::path::PathBuf;

/// Which export of a guest was being called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// Instantiating the component.
    Instantiate,
    /// `open`.
    Open,
    /// `process` (operator world) or `transform` (udf world).
    Process,
    /// `on-timer`.
    OnTimer,
    /// `close`.
    Close,
}

impl fmt::Display for CallKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CallKind::Instantiate => "instantiate",
            CallKind::Open => "open",
            CallKind::Process => "process",
            CallKind::OnTimer => "on-timer",
            CallKind::Close => "close",
        })
    }
}

/// Why a call into a guest was stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapCause {
    /// The call ran past its CPU deadline (`call_timeout_ms`).
    Timeout {
        /// The deadline in milliseconds.
        limit_ms: u64,
    },
    /// The guest tried to grow its memory past the cap.
    MemoryLimit {
        /// The cap in bytes.
        limit: u64,
        /// The size it asked for.
        requested: u64,
    },
    /// The guest emitted more bytes in one call than allowed.
    OutputLimit {
        /// The cap in bytes.
        limit: u64,
    },
    /// The guest trapped (a panic, `unreachable`, out-of-bounds access, …).
    Guest(String),
}

impl fmt::Display for TrapCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrapCause::Timeout { limit_ms } => {
                write!(
                    f,
                    "exceeded its CPU deadline of {limit_ms} ms per call (limits.call_timeout_ms)"
                )
            }
            TrapCause::MemoryLimit { limit, requested } => write!(
                f,
                "tried to grow its memory to {requested} bytes, over its memory cap of {limit} bytes (limits.memory_mb)"
            ),
            TrapCause::OutputLimit { limit } => {
                write!(
                    f,
                    "emitted more than its output cap of {limit} bytes in one call (limits.max_output_bytes)"
                )
            }
            TrapCause::Guest(msg) => write!(f, "trapped: {msg}"),
        }
    }
}

/// Errors of the Wasm layer. Each names the module or the operator subtask.
#[derive(Debug, thiserror::Error)]
pub enum WasmError {
    /// The module file could not be read.
    #[error("cannot read module {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not a Wasm component (a core module, or not Wasm at all).
    #[error("module {module} is not a Wasm component: {reason}")]
    NotAComponent {
        /// Where the bytes came from.
        module: String,
        /// What it is instead.
        reason: String,
    },
    /// The component failed to compile.
    #[error("module {module} failed to compile: {message}")]
    Compile {
        /// Where the bytes came from.
        module: String,
        /// The compiler's message.
        message: String,
    },
    /// The component does not implement a Weir world.
    #[error("module {module} does not implement a weir:operator world: {detail}")]
    WorldMismatch {
        /// Where the bytes came from.
        module: String,
        /// What is missing or extra.
        detail: String,
    },
    /// A call into the guest was stopped.
    #[error("operator {operator} subtask {subtask}: {call} {cause}")]
    Trap {
        /// Operator id.
        operator: String,
        /// Subtask index.
        subtask: u32,
        /// The export being called.
        call: CallKind,
        /// Why it stopped.
        cause: TrapCause,
    },
    /// The guest returned an error from an export.
    #[error("operator {operator} subtask {subtask}: {call} failed: {message}")]
    Guest {
        /// Operator id.
        operator: String,
        /// Subtask index.
        subtask: u32,
        /// The export that failed.
        call: CallKind,
        /// The guest's message.
        message: String,
    },
    /// The instance trapped earlier and cannot be entered again.
    #[error("operator {operator} subtask {subtask}: instance is poisoned by an earlier trap")]
    Poisoned {
        /// Operator id.
        operator: String,
        /// Subtask index.
        subtask: u32,
    },
    /// A state or timer operation failed on the host side.
    #[error("operator {operator} subtask {subtask}: state: {source}")]
    State {
        /// Operator id.
        operator: String,
        /// Subtask index.
        subtask: u32,
        /// The backend's error.
        source: Box<weir_state::StateError>,
    },
}

/// Result of this crate.
pub type Result<T, E = WasmError> = std::result::Result<T, E>;
