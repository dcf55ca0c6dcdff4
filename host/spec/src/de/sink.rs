//! `Deserialize` for [`SinkSpec`]: common fields plus those of its `type:`.

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use std::fmt;

use std::collections::BTreeMap;

use super::{TaggedFields, TaggedMap};
use crate::kafka::{KafkaSinkSpec, PropertyValue};
use crate::model::{DiscardSinkSpec, FileSinkSpec, SinkKind, SinkSpec, StdoutSinkSpec, one};

static SINK_FIELDS: TaggedFields = TaggedFields {
    what: "sink",
    common: &["id", "parallelism"],
    kinds: &[
        ("file", &["path", "format"]),
        ("stdout", &["format"]),
        ("discard", &[]),
        (
            "kafka",
            &[
                "brokers",
                "topic",
                "delivery",
                "transactional_id_prefix",
                "properties",
            ],
        ),
    ],
};

impl<'de> Deserialize<'de> for SinkSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SinkVisitor)
    }
}

struct SinkVisitor;

impl<'de> Visitor<'de> for SinkVisitor {
    type Value = SinkSpec;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sink mapping with `id` and `type`")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SinkSpec, A::Error> {
        let mut m = TaggedMap::new(map, &SINK_FIELDS);
        let (mut id, mut parallelism, mut path, mut format) = (None, None, None, None);
        let (mut brokers, mut topic, mut delivery, mut prefix) = (None, None, None, None);
        let mut properties: Option<BTreeMap<String, PropertyValue>> = None;
        while let Some(field) = m.next_field()? {
            match field {
                "type" => m.read_kind()?,
                "id" => id = Some(m.value()?),
                "parallelism" => parallelism = Some(m.value()?),
                "path" => path = Some(m.value()?),
                "format" => format = Some(m.value()?),
                "brokers" => brokers = Some(m.value()?),
                "topic" => topic = Some(m.value()?),
                "delivery" => delivery = Some(m.value()?),
                "transactional_id_prefix" => prefix = Some(m.value()?),
                "properties" => properties = Some(m.value()?),
                other => unreachable!("sink field `{other}` is listed but not read"),
            }
        }
        let kind = match m.finish()? {
            "file" => SinkKind::File(FileSinkSpec {
                path: path.ok_or_else(|| de::Error::missing_field("path"))?,
                format: format.unwrap_or_default(),
            }),
            "stdout" => SinkKind::Stdout(StdoutSinkSpec {
                format: format.unwrap_or_default(),
            }),
            "discard" => SinkKind::Discard(DiscardSinkSpec {}),
            "kafka" => SinkKind::Kafka(KafkaSinkSpec {
                brokers: brokers.ok_or_else(|| de::Error::missing_field("brokers"))?,
                topic: topic.ok_or_else(|| de::Error::missing_field("topic"))?,
                delivery: delivery.unwrap_or_default(),
                transactional_id_prefix: prefix,
                properties: properties
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.0))
                    .collect(),
            }),
            other => unreachable!("sink type `{other}` is listed but not built"),
        };
        Ok(SinkSpec {
            id: id.ok_or_else(|| de::Error::missing_field("id"))?,
            parallelism: parallelism.unwrap_or_else(one),
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink(yaml: &str) -> Result<SinkSpec, serde_yaml::Error> {
        serde_yaml::from_str(yaml)
    }

    #[test]
    fn a_discard_sink_has_no_settings_of_its_own() {
        let spec = sink("{ id: drop, type: discard, parallelism: 2 }").unwrap();
        assert_eq!(
            spec,
            SinkSpec {
                id: "drop".into(),
                parallelism: 2,
                kind: SinkKind::Discard(DiscardSinkSpec {}),
            }
        );
        let err = sink("{ id: drop, type: discard, format: value }").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unknown field `format` for a `type: discard` sink, expected one of `type`, `id`, `parallelism`"),
            "{err}"
        );
    }

    #[test]
    fn a_discard_sink_serializes_back_the_same() {
        let spec = sink("{ id: drop, type: discard }").unwrap();
        let text = serde_yaml::to_string(&spec).unwrap();
        assert_eq!(text, "id: drop\nparallelism: 1\ntype: discard\n");
        assert_eq!(sink(&text).unwrap(), spec);
    }
}
