//! `Deserialize` for [`SourceSpec`]: common fields plus those of its `type:`.

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use std::fmt;

use std::collections::BTreeMap;

use super::{TaggedFields, TaggedMap};
use crate::kafka::{
    DEFAULT_DISCOVERY_INTERVAL_MS, KafkaSourceSpec, PropertyValue, StartOffsets, StopOffsets,
    TopicSelection,
};
use crate::model::{FileSourceSpec, GeneratorSpec, SourceKind, SourceSpec, default_keys, one};

static SOURCE_FIELDS: TaggedFields = TaggedFields {
    what: "source",
    common: &["id", "parallelism", "watermark", "on_decode_error"],
    kinds: &[
        ("file", &["path", "format", "key_field", "timestamp_field"]),
        (
            "generator",
            &["count", "keys", "start_ms", "value", "rate_per_sec"],
        ),
        (
            "kafka",
            &[
                "brokers",
                "topics",
                "topic_pattern",
                "group_id",
                "start",
                "stop",
                "format",
                "key_field",
                "timestamp_field",
                "discovery_interval_ms",
                "rate_per_sec",
                "properties",
            ],
        ),
    ],
};

/// The fields of a `type: kafka` source as read.
#[derive(Default)]
struct KafkaFields {
    brokers: Option<String>,
    topics: Option<Vec<String>>,
    topic_pattern: Option<String>,
    group_id: Option<String>,
    start: Option<StartOffsets>,
    stop: Option<StopOffsets>,
    discovery_interval_ms: Option<u64>,
    properties: Option<BTreeMap<String, PropertyValue>>,
}

impl<'de> Deserialize<'de> for SourceSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SourceVisitor)
    }
}

struct SourceVisitor;

impl<'de> Visitor<'de> for SourceVisitor {
    type Value = SourceSpec;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a source mapping with `id` and `type`")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SourceSpec, A::Error> {
        let mut m = TaggedMap::new(map, &SOURCE_FIELDS);
        let (mut id, mut parallelism, mut watermark, mut on_decode_error) =
            (None, None, None, None);
        let (mut path, mut format, mut key_field, mut timestamp_field) = (None, None, None, None);
        let (mut count, mut keys, mut start_ms, mut value) = (None, None, None, None);
        let mut rate_per_sec = None;
        let mut kafka = KafkaFields::default();
        while let Some(field) = m.next_field()? {
            match field {
                "type" => m.read_kind()?,
                "id" => id = Some(m.value()?),
                "parallelism" => parallelism = Some(m.value()?),
                "watermark" => watermark = Some(m.value()?),
                "on_decode_error" => on_decode_error = Some(m.value()?),
                "path" => path = Some(m.value()?),
                "format" => format = Some(m.value()?),
                "key_field" => key_field = m.value()?,
                "timestamp_field" => timestamp_field = m.value()?,
                "count" => count = m.value()?,
                "keys" => keys = Some(m.value()?),
                "start_ms" => start_ms = Some(m.value()?),
                "value" => value = Some(m.value()?),
                "rate_per_sec" => rate_per_sec = m.value()?,
                "brokers" => kafka.brokers = Some(m.value()?),
                "topics" => kafka.topics = Some(m.value()?),
                "topic_pattern" => kafka.topic_pattern = Some(m.value()?),
                "group_id" => kafka.group_id = m.value()?,
                "start" => kafka.start = Some(m.value()?),
                "stop" => kafka.stop = m.value()?,
                "discovery_interval_ms" => kafka.discovery_interval_ms = Some(m.value()?),
                "properties" => kafka.properties = Some(m.value()?),
                other => unreachable!("source field `{other}` is listed but not read"),
            }
        }
        let kind = match m.finish()? {
            "file" => SourceKind::File(FileSourceSpec {
                path: path.ok_or_else(|| de::Error::missing_field("path"))?,
                format: format.unwrap_or_default(),
                key_field,
                timestamp_field,
            }),
            "generator" => SourceKind::Generator(GeneratorSpec {
                count,
                keys: keys.unwrap_or_else(default_keys),
                start_ms: start_ms.unwrap_or_default(),
                value: value.unwrap_or_default(),
                rate_per_sec,
            }),
            "kafka" => {
                let topics = match (kafka.topics, kafka.topic_pattern) {
                    (Some(names), None) => TopicSelection::Names(names),
                    (None, Some(pattern)) => TopicSelection::Pattern(pattern),
                    (None, None) => return Err(de::Error::missing_field("topics")),
                    (Some(_), Some(_)) => {
                        return Err(de::Error::custom(
                            "`topics` and `topic_pattern` exclude each other: give one",
                        ));
                    }
                };
                SourceKind::Kafka(KafkaSourceSpec {
                    brokers: kafka
                        .brokers
                        .ok_or_else(|| de::Error::missing_field("brokers"))?,
                    topics,
                    group_id: kafka.group_id,
                    start: kafka.start.unwrap_or_default(),
                    stop: kafka.stop,
                    format: format.unwrap_or_default(),
                    key_field,
                    timestamp_field,
                    discovery_interval_ms: kafka
                        .discovery_interval_ms
                        .unwrap_or(DEFAULT_DISCOVERY_INTERVAL_MS),
                    rate_per_sec,
                    properties: kafka
                        .properties
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k, v.0))
                        .collect(),
                })
            }
            other => unreachable!("source type `{other}` is listed but not built"),
        };
        Ok(SourceSpec {
            id: id.ok_or_else(|| de::Error::missing_field("id"))?,
            parallelism: parallelism.unwrap_or_else(one),
            kind,
            watermark: watermark.unwrap_or_default(),
            on_decode_error: on_decode_error.unwrap_or_default(),
        })
    }
}
