//! The job spec as data: what a YAML job file deserializes into.
//!
//! Every struct rejects unknown fields so a typo is an error, not a silently
//! ignored setting. Sources and sinks pick their kind with `type:` and are
//! deserialized by hand (see `de/`) so that a field of another kind is
//! rejected too, at its own line. Validation that spans fields (ids, edges,
//! parallelism) is in `validate.rs`; this file is only the shape.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use crate::durability::{CheckpointSpec, RestartSpec, StateBackendKind, StateSpec};
pub use crate::kafka::{
    Delivery, KafkaSinkSpec, KafkaSourceSpec, StartOffsets, StopOffsets, TopicSelection,
};

/// A whole job: sources, operators and sinks joined by edges.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    /// The job's name, used in logs and metrics.
    pub name: String,
    /// Number of key groups keyed state is split into (1..=32768).
    #[serde(default = "default_max_parallelism")]
    pub max_parallelism: u32,
    /// Most records a source puts in one batch; batches are the unit that
    /// crosses channels and the Wasm boundary.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Where the job reads from.
    pub sources: Vec<SourceSpec>,
    /// The Wasm operators.
    #[serde(default)]
    pub operators: Vec<OperatorSpec>,
    /// Where the job writes to.
    pub sinks: Vec<SinkSpec>,
    /// How records flow between the nodes above.
    pub edges: Vec<EdgeSpec>,
    /// Where keyed state lives (default: heap).
    #[serde(default)]
    pub state: StateSpec,
    /// Periodic checkpoints; absent means none.
    #[serde(default)]
    pub checkpoints: Option<CheckpointSpec>,
    /// What happens when a task fails. Absent: see
    /// [`RestartSpec::default_for`].
    #[serde(default)]
    pub restart: Option<RestartSpec>,
}

impl JobSpec {
    /// The restart strategy in force: the spec's, or the default.
    pub fn restart_strategy(&self) -> RestartSpec {
        self.restart
            .clone()
            .unwrap_or_else(|| RestartSpec::default_for(self.checkpoints.is_some()))
    }
}

/// A source of records.
///
/// In YAML the kind's settings sit beside the common fields, selected by
/// `type:` (`type: file` with `path:`, or `type: generator` with `count:`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SourceSpec {
    /// Unique id among all sources, operators and sinks.
    pub id: String,
    /// Number of parallel subtasks.
    #[serde(default = "one")]
    pub parallelism: u32,
    /// What kind of source and its settings.
    #[serde(flatten)]
    pub kind: SourceKind,
    /// Event-time watermarks generated at this source.
    #[serde(default)]
    pub watermark: WatermarkSpec,
    /// What happens to a record that cannot be decoded.
    #[serde(default)]
    pub on_decode_error: DecodeErrorPolicy,
}

/// The kinds of source. Selected by `type:` in YAML.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SourceKind {
    /// Lines of one or more files.
    File(FileSourceSpec),
    /// A deterministic generator for tests and benchmarks.
    Generator(GeneratorSpec),
    /// Kafka topics.
    Kafka(KafkaSourceSpec),
}

/// Reads lines of files.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileSourceSpec {
    /// A file, or a directory whose files are read in name order. Relative
    /// paths are relative to the spec file's folder.
    pub path: PathBuf,
    /// How each line is decoded.
    #[serde(default)]
    pub format: LineFormat,
    /// For `json`: the top-level field whose value becomes the record key
    /// (strings as their UTF-8 bytes, other values as their JSON text).
    #[serde(default)]
    pub key_field: Option<String>,
    /// For `json`: the top-level field holding the event time (integer
    /// milliseconds).
    #[serde(default)]
    pub timestamp_field: Option<String>,
}

/// How a line becomes a record.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LineFormat {
    /// The line's bytes are the value; no key, no timestamp.
    #[default]
    Raw,
    /// Each line is a JSON value (checked); the line is the value.
    Json,
}

/// Generates record `i` (for `i` in `0..count`) with key `i % keys` (as
/// decimal text), event time `start_ms + i`, and value `i` encoded as `value`
/// says. Subtask `s` of `p` generates the `i` with `i % p == s`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GeneratorSpec {
    /// How many records in all; absent means unbounded.
    #[serde(default)]
    pub count: Option<u64>,
    /// Number of distinct keys.
    #[serde(default = "default_keys")]
    pub keys: u64,
    /// Event time of record 0.
    #[serde(default)]
    pub start_ms: i64,
    /// How the value `i` is encoded.
    #[serde(default)]
    pub value: GeneratedValue,
    /// Most records per second over all subtasks; absent means as fast as
    /// possible.
    #[serde(default)]
    pub rate_per_sec: Option<u64>,
}

/// Encoding of a generated value.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GeneratedValue {
    /// Decimal ASCII text.
    #[default]
    Text,
    /// Eight bytes, little-endian `u64`.
    U64Le,
}

/// Watermark generation at a source.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WatermarkSpec {
    /// Bounded out-of-orderness: the watermark trails the highest event time
    /// seen by this much.
    #[serde(default)]
    pub out_of_orderness_ms: u64,
    /// After this long without records a source subtask is marked idle and
    /// stops holding back the watermark downstream.
    #[serde(default)]
    pub idle_timeout_ms: Option<u64>,
}

/// What to do with a record that fails to decode.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DecodeErrorPolicy {
    /// Fail the job, naming the record's position.
    #[default]
    Fail,
    /// Drop the record, count it, and log its position.
    Skip,
}

/// A Wasm operator.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OperatorSpec {
    /// Unique id among all sources, operators and sinks.
    pub id: String,
    /// The component: a path (relative to the spec file's folder) or a file
    /// name looked up on the module path.
    pub module: String,
    /// Number of parallel subtasks.
    #[serde(default = "one")]
    pub parallelism: u32,
    /// How the key of each input record is taken. When set, every input edge
    /// is keyed.
    #[serde(default)]
    pub key_by: Option<KeyBy>,
    /// Passed to the guest's `open` as JSON.
    #[serde(default)]
    pub config: Option<serde_json::Value>,
    /// Sandbox limits.
    #[serde(default)]
    pub limits: LimitsSpec,
}

/// How an operator's input records get their key.
///
/// YAML: `key_by: record` or `key_by: { field: account }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyBy {
    /// Use the key the record already has.
    Record,
    /// Parse the value as JSON and use this top-level field.
    Field(String),
}

/// Per-subtask sandbox limits.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Cap on the guest's linear memory, in MiB.
    #[serde(default = "default_memory_mb")]
    pub memory_mb: u64,
    /// Longest one call into the guest may run before it is interrupted.
    #[serde(default = "default_call_timeout_ms")]
    pub call_timeout_ms: u64,
    /// Most bytes (keys plus values) one call may emit.
    #[serde(default = "default_max_output_bytes")]
    pub max_output_bytes: u64,
}

impl Default for LimitsSpec {
    fn default() -> Self {
        LimitsSpec {
            memory_mb: default_memory_mb(),
            call_timeout_ms: default_call_timeout_ms(),
            max_output_bytes: default_max_output_bytes(),
        }
    }
}

/// A sink.
///
/// In YAML the kind's settings sit beside the common fields, selected by
/// `type:` (`type: file` with `path:`, `type: stdout`, or `type: discard`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SinkSpec {
    /// Unique id among all sources, operators and sinks.
    pub id: String,
    /// Number of parallel subtasks.
    #[serde(default = "one")]
    pub parallelism: u32,
    /// What kind of sink and its settings.
    #[serde(flatten)]
    pub kind: SinkKind,
}

/// The kinds of sink. Selected by `type:` in YAML.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SinkKind {
    /// Writes one line per record. With parallelism 1 `path` is the file;
    /// otherwise `path` is a folder of `part-<subtask>` files.
    File(FileSinkSpec),
    /// Writes one line per record to standard output.
    Stdout(StdoutSinkSpec),
    /// Counts records and drops them (for benchmarks).
    Discard(DiscardSinkSpec),
    /// Writes records to a Kafka topic.
    Kafka(KafkaSinkSpec),
}

/// File sink settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileSinkSpec {
    /// Output file or folder; relative to the spec file's folder.
    pub path: PathBuf,
    /// How a record becomes a line.
    #[serde(default)]
    pub format: OutputFormat,
}

/// Stdout sink settings.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StdoutSinkSpec {
    /// How a record becomes a line.
    #[serde(default)]
    pub format: OutputFormat,
}

/// Discard sink settings: there are none.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DiscardSinkSpec {}

/// How a sink writes a record.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// The value's bytes and a newline.
    #[default]
    Value,
    /// A JSON object `{"key":…,"value":…,"timestamp":…}` (key and value as
    /// UTF-8 text, lossily).
    Record,
}

/// A connection from one node's output to another node's input.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EdgeSpec {
    /// A source or operator id.
    pub from: String,
    /// An operator or sink id.
    pub to: String,
    /// A side output of `from` (an operator); absent means the main output.
    #[serde(default)]
    pub output: Option<String>,
    /// How records are spread over `to`'s subtasks. Absent: `keyed` when
    /// `to` has `key_by`, `forward` when parallelisms match, else `rebalance`.
    #[serde(default)]
    pub partition: Option<Partitioning>,
}

/// How records on an edge are spread over the consumer's subtasks.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Partitioning {
    /// Subtask i feeds subtask i (parallelisms must match); chained into
    /// one task where possible.
    Forward,
    /// By key group of the record's key.
    Keyed,
    /// Round robin.
    Rebalance,
    /// Every record to every subtask.
    Broadcast,
}

pub(crate) fn one() -> u32 {
    1
}
fn default_max_parallelism() -> u32 {
    128
}
fn default_batch_size() -> usize {
    1024
}
pub(crate) fn default_keys() -> u64 {
    10_000
}
fn default_memory_mb() -> u64 {
    64
}
fn default_call_timeout_ms() -> u64 {
    5_000
}
fn default_max_output_bytes() -> u64 {
    64 << 20
}
