//! `key_by: record` or `key_by: { field: account }`.

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::fmt;

use crate::model::KeyBy;

impl<'de> Deserialize<'de> for KeyBy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KeyByVisitor)
    }
}

impl Serialize for KeyBy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            KeyBy::Record => serializer.serialize_str("record"),
            KeyBy::Field(name) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("field", name)?;
                map.end()
            }
        }
    }
}

/// The mapping form, `{ field: <name> }`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldForm {
    field: String,
}

struct KeyByVisitor;

impl<'de> Visitor<'de> for KeyByVisitor {
    type Value = KeyBy;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("`record` or `{ field: <name> }`")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyBy, E> {
        match v {
            "record" => Ok(KeyBy::Record),
            other => Err(E::custom(format_args!(
                "unknown key_by `{other}`, expected `record` or `{{ field: <name> }}`"
            ))),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KeyBy, A::Error> {
        let form = FieldForm::deserialize(MapAccessDeserializer::new(map))?;
        Ok(KeyBy::Field(form.field))
    }
}
