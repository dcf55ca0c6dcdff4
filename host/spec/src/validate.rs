//! Rules that span fields, checked before anything runs.
//!
//! [`problems`] is a pure function of the spec and reports every broken rule,
//! each with the path of the field at fault, so one run of `weir run` shows
//! everything to fix.

use std::collections::{HashMap, HashSet};

use crate::error::Problem;
use crate::graph::NodeRef;
use crate::kafka::Delivery;
use crate::model::{
    EdgeSpec, JobSpec, KeyBy, LineFormat, OperatorSpec, Partitioning, SinkKind, SinkSpec,
    SourceKind, SourceSpec, TopicSelection,
};

/// Most key groups a job may have.
pub const MAX_PARALLELISM_LIMIT: u32 = 32_768;
/// Most records a source may put in one batch.
pub const MAX_BATCH_SIZE: usize = 1_000_000;
/// Most linear memory a 32-bit Wasm guest can have, in MiB.
pub const MAX_MEMORY_MB: u64 = 4_096;

impl JobSpec {
    /// Checks the rules that span fields; `Err` lists every problem found.
    pub fn validate(&self) -> Result<(), Vec<Problem>> {
        let problems = problems(self);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Every rule `spec` breaks, in spec order; empty when it is valid.
pub fn problems(spec: &JobSpec) -> Vec<Problem> {
    let mut out = Problems::default();
    job(spec, &mut out);
    ids(spec, &mut out);
    for (i, source) in spec.sources.iter().enumerate() {
        self::source(spec, &format!("sources[{i}]"), source, &mut out);
    }
    for (i, operator) in spec.operators.iter().enumerate() {
        self::operator(spec, &format!("operators[{i}]"), operator, &mut out);
    }
    for (i, sink) in spec.sinks.iter().enumerate() {
        self::sink(spec, &format!("sinks[{i}]"), sink, &mut out);
    }
    for (i, edge) in spec.edges.iter().enumerate() {
        self::edge(spec, i, edge, &mut out);
    }
    durability::durability(spec, &mut out);
    connected(spec, &mut out);
    cycles::cycles(spec, &mut out);
    out.0
}

#[derive(Default)]
pub(crate) struct Problems(Vec<Problem>);

impl Problems {
    pub(crate) fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem::new(path, message));
    }
}

fn job(spec: &JobSpec, out: &mut Problems) {
    if spec.name.trim().is_empty() {
        out.add("name", "must not be empty");
    }
    if !(1..=MAX_PARALLELISM_LIMIT).contains(&spec.max_parallelism) {
        out.add(
            "max_parallelism",
            format!(
                "is {}, must be between 1 and {MAX_PARALLELISM_LIMIT}",
                spec.max_parallelism
            ),
        );
    }
    if !(1..=MAX_BATCH_SIZE).contains(&spec.batch_size) {
        out.add(
            "batch_size",
            format!(
                "is {}, must be between 1 and {MAX_BATCH_SIZE}",
                spec.batch_size
            ),
        );
    }
    if spec.sources.is_empty() {
        out.add("sources", "a job needs at least one source");
    }
    if spec.sinks.is_empty() {
        out.add("sinks", "a job needs at least one sink");
    }
}

/// Ids are non-empty, made of `[A-Za-z0-9_-]`, and unique across all nodes.
fn ids(spec: &JobSpec, out: &mut Problems) {
    let mut first: HashMap<&str, String> = HashMap::new();
    for (path, node) in node_paths(spec) {
        let id = node.id();
        let path = format!("{path}.id");
        if id.is_empty() {
            out.add(path, "must not be empty");
        } else if !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            out.add(
                path,
                format!("`{id}` may only contain letters, digits, `_` and `-`"),
            );
        } else if let Some(earlier) = first.get(id) {
            out.add(path, format!("`{id}` is already the id of {earlier}"));
        } else {
            first.insert(id, path.trim_end_matches(".id").to_owned());
        }
    }
}

/// Each node with the path of its entry, like `operators[1]`.
fn node_paths(spec: &JobSpec) -> impl Iterator<Item = (String, NodeRef<'_>)> {
    let sources = (spec.sources.iter().enumerate())
        .map(|(i, s)| (format!("sources[{i}]"), NodeRef::Source(s)));
    let operators = (spec.operators.iter().enumerate())
        .map(|(i, o)| (format!("operators[{i}]"), NodeRef::Operator(o)));
    let sinks =
        (spec.sinks.iter().enumerate()).map(|(i, s)| (format!("sinks[{i}]"), NodeRef::Sink(s)));
    sources.chain(operators).chain(sinks)
}

fn parallelism(spec: &JobSpec, path: &str, parallelism: u32, out: &mut Problems) {
    let max = spec.max_parallelism;
    if parallelism == 0 {
        out.add(format!("{path}.parallelism"), "must be at least 1");
    } else if (1..=MAX_PARALLELISM_LIMIT).contains(&max) && parallelism > max {
        out.add(
            format!("{path}.parallelism"),
            format!("is {parallelism}, more than max_parallelism ({max})"),
        );
    }
}

fn not_empty(path: String, value: &str, out: &mut Problems) {
    if value.is_empty() {
        out.add(path, "must not be empty");
    }
}

fn source(spec: &JobSpec, path: &str, source: &SourceSpec, out: &mut Problems) {
    parallelism(spec, path, source.parallelism, out);
    if source.watermark.idle_timeout_ms == Some(0) {
        out.add(
            format!("{path}.watermark.idle_timeout_ms"),
            "must be greater than 0 (leave it out to never mark the source idle)",
        );
    }
    match &source.kind {
        SourceKind::File(file) => {
            not_empty(format!("{path}.path"), &file.path.to_string_lossy(), out);
            json_fields(
                path,
                file.format,
                &file.key_field,
                &file.timestamp_field,
                out,
            );
        }
        SourceKind::Kafka(kafka) => {
            not_empty(format!("{path}.brokers"), &kafka.brokers, out);
            match &kafka.topics {
                TopicSelection::Names(names) if names.is_empty() => {
                    out.add(format!("{path}.topics"), "must name at least one topic");
                }
                TopicSelection::Names(names) => {
                    for (i, name) in names.iter().enumerate() {
                        not_empty(format!("{path}.topics[{i}]"), name, out);
                    }
                }
                TopicSelection::Pattern(pattern) => {
                    if let Err(e) = regex::Regex::new(pattern) {
                        out.add(
                            format!("{path}.topic_pattern"),
                            format!("is not a regular expression: {e}"),
                        );
                    }
                }
            }
            if let Some(group) = &kafka.group_id {
                not_empty(format!("{path}.group_id"), group, out);
            }
            if kafka.rate_per_sec == Some(0) {
                out.add(format!("{path}.rate_per_sec"), "must be at least 1");
            }
            if kafka.discovery_interval_ms == 0 {
                out.add(
                    format!("{path}.discovery_interval_ms"),
                    "must be at least 1",
                );
            }
            json_fields(
                path,
                kafka.format,
                &kafka.key_field,
                &kafka.timestamp_field,
                out,
            );
        }
        SourceKind::Generator(generator) => {
            if generator.keys == 0 {
                out.add(format!("{path}.keys"), "must be at least 1");
            }
            if generator.rate_per_sec == Some(0) {
                out.add(format!("{path}.rate_per_sec"), "must be at least 1");
            }
        }
    }
}

/// `key_field` and `timestamp_field` of a source: only with `format: json`,
/// and not empty.
fn json_fields(
    path: &str,
    format: LineFormat,
    key_field: &Option<String>,
    timestamp_field: &Option<String>,
    out: &mut Problems,
) {
    for (name, field) in [
        ("key_field", key_field),
        ("timestamp_field", timestamp_field),
    ] {
        let Some(field) = field else { continue };
        if format != LineFormat::Json {
            out.add(
                format!("{path}.{name}"),
                "is only allowed with `format: json`",
            );
        } else {
            not_empty(format!("{path}.{name}"), field, out);
        }
    }
}

fn operator(spec: &JobSpec, path: &str, operator: &OperatorSpec, out: &mut Problems) {
    parallelism(spec, path, operator.parallelism, out);
    not_empty(format!("{path}.module"), &operator.module, out);
    if let Some(KeyBy::Field(field)) = &operator.key_by {
        not_empty(format!("{path}.key_by.field"), field, out);
    }
    let limits = &operator.limits;
    if limits.memory_mb == 0 || limits.memory_mb > MAX_MEMORY_MB {
        out.add(
            format!("{path}.limits.memory_mb"),
            format!(
                "is {}, must be between 1 and {MAX_MEMORY_MB}",
                limits.memory_mb
            ),
        );
    }
    if limits.call_timeout_ms == 0 {
        out.add(
            format!("{path}.limits.call_timeout_ms"),
            "must be greater than 0",
        );
    }
    if limits.max_output_bytes == 0 {
        out.add(
            format!("{path}.limits.max_output_bytes"),
            "must be greater than 0",
        );
    }
}

fn sink(spec: &JobSpec, path: &str, sink: &SinkSpec, out: &mut Problems) {
    parallelism(spec, path, sink.parallelism, out);
    match &sink.kind {
        SinkKind::File(file) => {
            not_empty(format!("{path}.path"), &file.path.to_string_lossy(), out);
        }
        SinkKind::Kafka(kafka) => {
            not_empty(format!("{path}.brokers"), &kafka.brokers, out);
            not_empty(format!("{path}.topic"), &kafka.topic, out);
            if kafka.delivery == Delivery::ExactlyOnce && spec.checkpoints.is_none() {
                out.add(
                    format!("{path}.delivery"),
                    "`exactly_once` needs `checkpoints:` (a transaction commits when a checkpoint completes); add them or use `at_least_once`",
                );
            }
            if let Some(prefix) = &kafka.transactional_id_prefix {
                not_empty(format!("{path}.transactional_id_prefix"), prefix, out);
            }
            if kafka.properties.contains_key("transactional.id") {
                out.add(
                    format!("{path}.properties.transactional.id"),
                    "set by Weir for each subtask; use `transactional_id_prefix`",
                );
            }
        }
        SinkKind::Stdout(_) | SinkKind::Discard(_) => {}
    }
}

fn edge(spec: &JobSpec, i: usize, edge: &EdgeSpec, out: &mut Problems) {
    let path = format!("edges[{i}]");
    let from = match spec.node(&edge.from) {
        None => {
            out.add(
                format!("{path}.from"),
                format!("no source or operator has id `{}`", edge.from),
            );
            None
        }
        Some(NodeRef::Sink(_)) => {
            out.add(
                format!("{path}.from"),
                format!(
                    "`{}` is a sink; an edge starts at a source or operator",
                    edge.from
                ),
            );
            None
        }
        Some(node) => Some(node),
    };
    let to = match spec.node(&edge.to) {
        None => {
            out.add(
                format!("{path}.to"),
                format!("no operator or sink has id `{}`", edge.to),
            );
            None
        }
        Some(NodeRef::Source(_)) => {
            out.add(
                format!("{path}.to"),
                format!(
                    "`{}` is a source; an edge ends at an operator or sink",
                    edge.to
                ),
            );
            None
        }
        Some(node) => Some(node),
    };
    if let Some(output) = &edge.output {
        if let Some(NodeRef::Source(_)) = from {
            out.add(
                format!("{path}.output"),
                format!(
                    "`{}` is a source; only operators have side outputs",
                    edge.from
                ),
            );
        } else {
            not_empty(format!("{path}.output"), output, out);
        }
    }
    if let (Some(from), Some(to)) = (from, to) {
        partition(&path, edge, from, to, out);
    }
    let repeated = spec.edges[..i]
        .iter()
        .position(|e| e.from == edge.from && e.to == edge.to && e.output == edge.output);
    if let Some(j) = repeated {
        out.add(
            path,
            format!("repeats edges[{j}]; records would be sent twice"),
        );
    }
}

/// The explicit `partition:` of an edge between two known nodes.
fn partition(path: &str, edge: &EdgeSpec, from: NodeRef, to: NodeRef, out: &mut Problems) {
    let path = format!("{path}.partition");
    let keyed_target = to.key_by().is_some();
    match edge.partition {
        None => {}
        Some(Partitioning::Keyed) if !keyed_target => {
            let why = match to {
                NodeRef::Operator(_) => "has no `key_by`",
                _ => "is a sink",
            };
            out.add(
                path,
                format!(
                    "`keyed` needs an operator with `key_by`, but `{}` {why}",
                    to.id()
                ),
            );
        }
        Some(Partitioning::Keyed) => {}
        Some(other) if keyed_target => {
            out.add(
                path,
                format!(
                    "is `{}`, but `{}` has `key_by`, so its inputs must be `keyed` \
                     (or leave `partition` out)",
                    name(other),
                    to.id()
                ),
            );
        }
        Some(Partitioning::Forward) if from.parallelism() != to.parallelism() => {
            out.add(
                path,
                format!(
                    "`forward` needs equal parallelism, but `{}` has {} and `{}` has {}",
                    from.id(),
                    from.parallelism(),
                    to.id(),
                    to.parallelism()
                ),
            );
        }
        Some(_) => {}
    }
}

fn name(partitioning: Partitioning) -> &'static str {
    match partitioning {
        Partitioning::Forward => "forward",
        Partitioning::Keyed => "keyed",
        Partitioning::Rebalance => "rebalance",
        Partitioning::Broadcast => "broadcast",
    }
}

/// Every operator and sink has an input; every source and operator an output.
fn connected(spec: &JobSpec, out: &mut Problems) {
    let has_input: HashSet<&str> = spec.edges.iter().map(|e| e.to.as_str()).collect();
    let has_output: HashSet<&str> = spec.edges.iter().map(|e| e.from.as_str()).collect();
    for (path, node) in node_paths(spec) {
        let id = node.id();
        if !matches!(node, NodeRef::Source(_)) && !has_input.contains(id) {
            out.add(
                path.clone(),
                format!(
                    "{} `{id}` has no input; add an edge with `to: {id}`",
                    node.role()
                ),
            );
        }
        if !matches!(node, NodeRef::Sink(_)) && !has_output.contains(id) {
            out.add(
                path,
                format!(
                    "{} `{id}` has no output; add an edge with `from: {id}`",
                    node.role()
                ),
            );
        }
    }
}

mod cycles;
mod durability;

pub use durability::check_location;
#[cfg(test)]
mod tests;
