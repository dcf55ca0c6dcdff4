//! The shape of a job's durability settings: which state backend holds
//! keyed state, how often checkpoints are taken and where they go, and what
//! happens when a task fails.
//!
//! ```yaml
//! state: rocksdb                 # or heap (the default), or a mapping:
//! # state: { backend: rocksdb, block_cache_mb: 64, write_buffer_mb: 32, write_cache_mb: 64 }
//! checkpoints:
//!   interval_ms: 10000
//!   storage: file:///var/lib/weir/checkpoints   # or s3://bucket/prefix
//! restart:
//!   strategy: fixed_delay
//!   attempts: 3
//!   delay_ms: 1000
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where keyed state lives. YAML: `state: heap`, `state: rocksdb`, or a
/// mapping with `backend:` and the backend's settings.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct StateSpec {
    /// The backend.
    pub backend: StateBackendKind,
    /// RocksDB block cache per subtask, in MiB (default 64).
    pub block_cache_mb: Option<u64>,
    /// RocksDB write buffer (memtable) size per subtask, in MiB (default 32).
    pub write_buffer_mb: Option<u64>,
    /// Write-back cache in front of RocksDB per subtask, in MiB (default
    /// 64; 0 writes every change through to RocksDB at once). Records
    /// written and deleted between checkpoints never reach RocksDB.
    pub write_cache_mb: Option<u64>,
    /// Local folder for RocksDB's working files; relative to the spec
    /// file's folder. Default: a fresh folder under the system temp folder,
    /// removed when the job ends.
    pub dir: Option<PathBuf>,
}

/// The state backends.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StateBackendKind {
    /// Hash maps in process memory.
    #[default]
    Heap,
    /// An embedded RocksDB per subtask: state may exceed memory; checkpoints
    /// are incremental.
    Rocksdb,
}

impl StateBackendKind {
    /// The name used in specs and checkpoint metadata.
    pub fn name(self) -> &'static str {
        match self {
            StateBackendKind::Heap => "heap",
            StateBackendKind::Rocksdb => "rocksdb",
        }
    }
}

/// Periodic checkpoints.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSpec {
    /// Time between the starts of two checkpoints.
    pub interval_ms: u64,
    /// A checkpoint not complete after this long is aborted.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Least time between the end of one checkpoint and the start of the
    /// next.
    #[serde(default)]
    pub min_pause_ms: u64,
    /// Completed checkpoints kept; older ones are deleted.
    #[serde(default = "default_retain")]
    pub retain: usize,
    /// Whether a RocksDB checkpoint uploads only the files no earlier
    /// checkpoint stored (the default) or all of them every time.
    #[serde(default = "default_incremental")]
    pub incremental: bool,
    /// Where checkpoints are written: `file:///abs/path`, a path (relative
    /// to the spec file's folder) or `s3://bucket/prefix`. Default:
    /// `.weir/checkpoints/<job name>` beside the spec file.
    #[serde(default)]
    pub storage: Option<String>,
    /// Settings for the object store (for S3: `endpoint`, `region`,
    /// `access_key_id`, `secret_access_key`, `allow_http`, ...); the usual
    /// `AWS_*` environment variables apply first.
    #[serde(default)]
    pub storage_options: BTreeMap<String, String>,
    /// Where savepoints go when no target is given. Default:
    /// `.weir/savepoints/<job name>` beside the spec file.
    #[serde(default)]
    pub savepoints: Option<String>,
}

/// What happens when a task fails. YAML: `restart: { strategy: ..., ... }`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "strategy", rename_all = "snake_case", deny_unknown_fields)]
pub enum RestartSpec {
    /// Fail the job at the first task failure.
    None,
    /// Restart up to `attempts` times, waiting `delay_ms` before each.
    FixedDelay {
        /// Restarts allowed in all.
        attempts: u32,
        /// Wait before each restart.
        #[serde(default = "default_delay_ms")]
        delay_ms: u64,
    },
    /// Restart with a delay that doubles (times `multiplier`) after each
    /// failure up to `max_delay_ms`, and goes back to `initial_delay_ms`
    /// once the job ran `reset_after_ms` without failing.
    ExponentialBackoff {
        /// First delay.
        #[serde(default = "default_delay_ms")]
        initial_delay_ms: u64,
        /// Longest delay.
        #[serde(default = "default_max_delay_ms")]
        max_delay_ms: u64,
        /// Growth factor per failure.
        #[serde(default = "default_multiplier")]
        multiplier: f64,
        /// Failure-free run time after which the delay resets.
        #[serde(default = "default_reset_after_ms")]
        reset_after_ms: u64,
        /// Restarts allowed in all (absent: no limit).
        #[serde(default)]
        attempts: Option<u32>,
    },
    /// Restart after `delay_ms` unless more than `max_failures` failures
    /// happened within the last `interval_ms`.
    FailureRate {
        /// Failures tolerated per interval.
        max_failures: u32,
        /// The sliding interval.
        interval_ms: u64,
        /// Wait before each restart.
        #[serde(default = "default_delay_ms")]
        delay_ms: u64,
    },
}

impl RestartSpec {
    /// The strategy when the spec names none: with checkpoints, three
    /// restarts a second apart; without, none.
    pub fn default_for(checkpoints: bool) -> RestartSpec {
        if checkpoints {
            RestartSpec::FixedDelay {
                attempts: 3,
                delay_ms: default_delay_ms(),
            }
        } else {
            RestartSpec::None
        }
    }
}

fn default_timeout_ms() -> u64 {
    600_000
}
fn default_retain() -> usize {
    1
}
fn default_incremental() -> bool {
    true
}
fn default_delay_ms() -> u64 {
    1_000
}
fn default_max_delay_ms() -> u64 {
    60_000
}
fn default_multiplier() -> f64 {
    2.0
}
fn default_reset_after_ms() -> u64 {
    600_000
}
