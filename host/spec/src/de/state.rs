//! `state: heap`, `state: rocksdb`, or `state: { backend: rocksdb, ... }`.

use std::fmt;
use std::path::PathBuf;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use crate::durability::{StateBackendKind, StateSpec};

impl<'de> Deserialize<'de> for StateSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StateVisitor)
    }
}

/// The mapping form.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MapForm {
    backend: StateBackendKind,
    #[serde(default)]
    block_cache_mb: Option<u64>,
    #[serde(default)]
    write_buffer_mb: Option<u64>,
    #[serde(default)]
    write_cache_mb: Option<u64>,
    #[serde(default)]
    dir: Option<PathBuf>,
}

struct StateVisitor;

impl<'de> Visitor<'de> for StateVisitor {
    type Value = StateSpec;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("`heap`, `rocksdb` or `{ backend: <heap|rocksdb>, ... }`")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<StateSpec, E> {
        let backend = match v {
            "heap" => StateBackendKind::Heap,
            "rocksdb" => StateBackendKind::Rocksdb,
            other => {
                return Err(E::custom(format_args!(
                    "unknown state backend `{other}`, expected `heap` or `rocksdb`"
                )));
            }
        };
        Ok(StateSpec {
            backend,
            ..StateSpec::default()
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StateSpec, A::Error> {
        let form = MapForm::deserialize(MapAccessDeserializer::new(map))?;
        Ok(StateSpec {
            backend: form.backend,
            block_cache_mb: form.block_cache_mb,
            write_buffer_mb: form.write_buffer_mb,
            write_cache_mb: form.write_cache_mb,
            dir: form.dir,
        })
    }
}
