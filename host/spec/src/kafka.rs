//! The shape of Kafka sources (and, later, sinks) in a job spec.
//!
//! ```yaml
//! sources:
//!   - id: orders
//!     type: kafka
//!     parallelism: 2
//!     brokers: 127.0.0.1:9092
//!     topics: [orders]               # or topic_pattern: "orders-.*"
//!     group_id: weir-orders          # default weir-<job>-<source id>
//!     start: earliest                # latest | committed | { timestamp_ms: … }
//!     stop: latest                   # optional: read up to the offsets at the start, then end
//!     format: json                   # raw (default) | json
//!     key_field: user                # json: key from a field (default: the Kafka key)
//!     timestamp_field: ts            # json: event time from a field (default: the Kafka timestamp)
//!     rate_per_sec: 1000             # optional: at most this many records per second
//!     properties: { security.protocol: SASL_SSL, sasl.mechanism: PLAIN }
//!     watermark: { out_of_orderness_ms: 500, idle_timeout_ms: 5000 }   # per partition
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::LineFormat;

/// Reads Kafka topics; offsets are part of every checkpoint.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct KafkaSourceSpec {
    /// `bootstrap.servers`: `host:port[,host:port…]`.
    pub brokers: String,
    /// Which topics: a list, or a regular expression matched against every
    /// topic name (new matching topics are picked up while running).
    pub topics: TopicSelection,
    /// The consumer group: offsets are committed there when a checkpoint
    /// completes (for monitoring; restores use the checkpoint's offsets)
    /// and `start: committed` reads them. Default `weir-<job>-<source id>`.
    pub group_id: Option<String>,
    /// Where a partition without a checkpointed offset starts.
    pub start: StartOffsets,
    /// Where reading ends: absent for an unbounded source.
    pub stop: Option<StopOffsets>,
    /// How a record's value is decoded.
    pub format: LineFormat,
    /// For `json`: the top-level field whose value becomes the record key;
    /// absent: the Kafka record's key.
    pub key_field: Option<String>,
    /// For `json`: the top-level field holding the event time (integer
    /// milliseconds); absent: the Kafka record's timestamp.
    pub timestamp_field: Option<String>,
    /// How often partitions are listed again to pick up new ones.
    pub discovery_interval_ms: u64,
    /// Most records per second over all subtasks (absent: as fast as the
    /// brokers deliver); for demos and tests.
    pub rate_per_sec: Option<u64>,
    /// librdkafka consumer properties passed through as they are
    /// (`security.protocol`, `sasl.*`, `ssl.*`, …).
    pub properties: BTreeMap<String, String>,
}

/// Default [`KafkaSourceSpec::discovery_interval_ms`].
pub const DEFAULT_DISCOVERY_INTERVAL_MS: u64 = 10_000;

/// The topics a Kafka source reads.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TopicSelection {
    /// These topics.
    Names(Vec<String>),
    /// Every topic whose whole name matches this regular expression.
    Pattern(String),
}

/// Where reading starts in a partition the checkpoint has no offset for.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StartOffsets {
    /// The first record still in the partition.
    #[default]
    Earliest,
    /// Only records written after the source starts.
    Latest,
    /// The consumer group's committed offset (earliest where there is none).
    Committed,
    /// The first record with a timestamp at or after this (milliseconds).
    #[serde(untagged)]
    Timestamp {
        /// Milliseconds since the epoch.
        timestamp_ms: i64,
    },
}

/// Where a bounded Kafka source ends.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StopOffsets {
    /// At each partition's end offset when the job first started (kept in
    /// checkpoints, so a restored job ends at the same place).
    Latest,
}

/// Writes records to a Kafka topic: the record's key and value as the Kafka
/// key and value, its event time as the Kafka timestamp.
///
/// ```yaml
/// sinks:
///   - id: alerts
///     type: kafka
///     brokers: 127.0.0.1:9092
///     topic: alerts
///     delivery: exactly_once         # or at_least_once (the default)
///     transactional_id_prefix: fraud-alerts   # default: weir-<job>-<sink id>
///     properties: { compression.type: lz4 }
/// ```
///
/// `exactly_once` needs `checkpoints:`: a subtask's records are written to
/// Kafka in one transaction when the checkpoint after them completes, so a
/// `read_committed` consumer sees them once, a checkpoint interval late.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct KafkaSinkSpec {
    /// `bootstrap.servers`.
    pub brokers: String,
    /// The topic written to (it must exist).
    pub topic: String,
    /// The delivery guarantee.
    pub delivery: Delivery,
    /// With `exactly_once`: subtask `i` uses `transactional.id`
    /// `<prefix>-<i>`. Absent: `weir-<job name>-<sink id>`. Two jobs writing
    /// at once must not share a prefix (they would fence each other).
    pub transactional_id_prefix: Option<String>,
    /// librdkafka producer properties passed through as they are.
    pub properties: BTreeMap<String, String>,
}

/// What a sink promises about each record.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Every record arrives; after a failure some may arrive twice. Records
    /// are flushed at each checkpoint barrier.
    #[default]
    AtLeastOnce,
    /// Every record arrives once for `read_committed` consumers, through
    /// Kafka transactions committed when checkpoints complete.
    ExactlyOnce,
}

/// A librdkafka property value: YAML strings, numbers and booleans are all
/// passed as text (`session.timeout.ms: 6000` is `"6000"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PropertyValue(pub(crate) String);

impl<'de> Deserialize<'de> for PropertyValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Scalar {
            Text(String),
            Int(i64),
            Float(f64),
            Bool(bool),
        }
        Ok(PropertyValue(match Scalar::deserialize(deserializer)? {
            Scalar::Text(s) => s,
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::{JobSpec, SourceKind};

    fn job(source: &str) -> Result<JobSpec, String> {
        let yaml = format!(
            "name: k\nsources:\n  - {source}\nsinks:\n  - {{ id: out, type: stdout }}\n\
             edges:\n  - {{ from: in, to: out }}\n"
        );
        JobSpec::from_yaml_str(&yaml, Path::new("k.yaml")).map_err(|e| e.to_string())
    }

    fn kafka(source: &str) -> KafkaSourceSpec {
        match job(source).unwrap().sources.remove(0).kind {
            SourceKind::Kafka(k) => k,
            other => panic!("not kafka: {other:?}"),
        }
    }

    #[test]
    fn a_kafka_source_with_every_field() {
        let k = kafka(
            "{ id: in, type: kafka, brokers: 'a:9092,b:9092', topics: [t1, t2], group_id: g, \
             start: { timestamp_ms: 1700 }, stop: latest, format: json, key_field: user, \
             timestamp_field: ts, discovery_interval_ms: 500, \
             properties: { security.protocol: SASL_SSL, session.timeout.ms: 6000, enable.idempotence: true } }",
        );
        assert_eq!(k.brokers, "a:9092,b:9092");
        assert_eq!(
            k.topics,
            TopicSelection::Names(vec!["t1".into(), "t2".into()])
        );
        assert_eq!(k.group_id.as_deref(), Some("g"));
        assert_eq!(k.start, StartOffsets::Timestamp { timestamp_ms: 1700 });
        assert_eq!(k.stop, Some(StopOffsets::Latest));
        assert_eq!(k.format, LineFormat::Json);
        assert_eq!(k.key_field.as_deref(), Some("user"));
        assert_eq!(k.discovery_interval_ms, 500);
        assert_eq!(k.properties["session.timeout.ms"], "6000");
        assert_eq!(k.properties["enable.idempotence"], "true");
        assert_eq!(k.properties["security.protocol"], "SASL_SSL");
    }

    #[test]
    fn defaults() {
        let k = kafka("{ id: in, type: kafka, brokers: b:1, topic_pattern: 'orders-.*' }");
        assert_eq!(k.topics, TopicSelection::Pattern("orders-.*".into()));
        assert_eq!(k.start, StartOffsets::Earliest);
        assert_eq!(k.stop, None);
        assert_eq!(k.format, LineFormat::Raw);
        assert_eq!(k.discovery_interval_ms, DEFAULT_DISCOVERY_INTERVAL_MS);
        for (start, want) in [
            ("latest", StartOffsets::Latest),
            ("committed", StartOffsets::Committed),
        ] {
            let k = kafka(&format!(
                "{{ id: in, type: kafka, brokers: b:1, topics: [t], start: {start} }}"
            ));
            assert_eq!(k.start, want);
        }
    }

    #[test]
    fn mistakes_are_named() {
        for (source, want) in [
            (
                "{ id: in, type: kafka, topics: [t] }",
                "missing field `brokers`",
            ),
            (
                "{ id: in, type: kafka, brokers: b:1 }",
                "missing field `topics`",
            ),
            (
                "{ id: in, type: kafka, brokers: b:1, topics: [t], topic_pattern: x }",
                "exclude each other",
            ),
            (
                "{ id: in, type: kafka, brokers: b:1, topics: [] }",
                "sources[0].topics: must name at least one topic",
            ),
            (
                "{ id: in, type: kafka, brokers: '', topics: [t] }",
                "sources[0].brokers",
            ),
            (
                "{ id: in, type: kafka, brokers: b:1, topic_pattern: '(' }",
                "sources[0].topic_pattern: is not a regular expression",
            ),
            (
                "{ id: in, type: kafka, brokers: b:1, topics: [t], key_field: k }",
                "sources[0].key_field: is only allowed with `format: json`",
            ),
            (
                "{ id: in, type: kafka, brokers: b:1, topics: [t], start: yesterday }",
                "sources[0]",
            ),
            (
                "{ id: in, type: kafka, brokers: b:1, topics: [t], path: x }",
                "unknown field `path` for a `type: kafka` source",
            ),
        ] {
            let err = job(source).unwrap_err();
            assert!(err.contains(want), "{source}: `{want}` not in {err}");
        }
    }

    fn sink(sink: &str) -> Result<JobSpec, String> {
        let yaml = format!(
            "name: k\nsources:\n  - {{ id: in, type: generator }}\nsinks:\n  - {sink}\n\
             edges:\n  - {{ from: in, to: out }}\n"
        );
        JobSpec::from_yaml_str(&yaml, Path::new("k.yaml")).map_err(|e| e.to_string())
    }

    #[test]
    fn a_kafka_sink() {
        let spec =
            sink("{ id: out, type: kafka, brokers: b:1, topic: t, properties: { linger.ms: 20 } }")
                .unwrap();
        let crate::model::SinkKind::Kafka(k) = &spec.sinks[0].kind else {
            panic!("not kafka");
        };
        assert_eq!(k.topic, "t");
        assert_eq!(k.delivery, Delivery::AtLeastOnce);
        assert_eq!(k.properties["linger.ms"], "20");
        for (yaml, want) in [
            (
                "{ id: out, type: kafka, brokers: b:1 }",
                "missing field `topic`",
            ),
            (
                "{ id: out, type: kafka, topic: t }",
                "missing field `brokers`",
            ),
            (
                "{ id: out, type: kafka, brokers: b:1, topic: '' }",
                "sinks[0].topic",
            ),
            (
                "{ id: out, type: kafka, brokers: b:1, topic: t, delivery: exactly_once }",
                "sinks[0].delivery: `exactly_once` needs `checkpoints:`",
            ),
            (
                "{ id: out, type: kafka, brokers: b:1, topic: t, transactional_id_prefix: '' }",
                "sinks[0].transactional_id_prefix",
            ),
            (
                "{ id: out, type: kafka, brokers: b:1, topic: t, properties: { transactional.id: x } }",
                "sinks[0].properties.transactional.id: set by Weir",
            ),
        ] {
            let err = sink(yaml).unwrap_err();
            assert!(err.contains(want), "{yaml}: `{want}` not in {err}");
        }
    }

    #[test]
    fn an_exactly_once_kafka_sink_with_checkpoints() {
        let yaml = "name: k\ncheckpoints: { interval_ms: 1000 }\n\
                    sources:\n  - { id: in, type: generator }\n\
                    sinks:\n  - { id: out, type: kafka, brokers: b:1, topic: t, delivery: exactly_once, transactional_id_prefix: p }\n\
                    edges:\n  - { from: in, to: out }\n";
        let spec = JobSpec::from_yaml_str(yaml, Path::new("k.yaml")).unwrap();
        let crate::model::SinkKind::Kafka(k) = &spec.sinks[0].kind else {
            panic!("not kafka");
        };
        assert_eq!(k.delivery, Delivery::ExactlyOnce);
        assert_eq!(k.transactional_id_prefix.as_deref(), Some("p"));
    }
}
