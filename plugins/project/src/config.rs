//! The project operator's config.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use weir_plugin_common::OnError;

/// The `config` of a project operator in the job spec.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Output fields: a map from output name to input path, or a list of
    /// input paths, each kept under its last segment's name.
    pub fields: Option<Value>,
    /// Constant output fields.
    pub constants: BTreeMap<String, Value>,
    /// The input path whose value becomes the record key.
    pub key: Option<String>,
    /// What to do when an input path is missing.
    pub missing: Missing,
    /// What to do with bad input: fail the job or skip the record.
    pub on_error: OnError,
}

/// What a project does when a record lacks a field it picks: `omit`, `null`
/// or `fail`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Missing {
    /// Leave the output field out.
    #[default]
    Omit,
    /// Write the output field as `null`.
    Null,
    /// Bad input: fail the job, or skip the record with `on_error: skip`.
    Fail,
}

impl<'de> Deserialize<'de> for Missing {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        match value.as_str() {
            Some("omit") => Ok(Missing::Omit),
            Some("null") => Ok(Missing::Null),
            Some("fail") => Ok(Missing::Fail),
            _ => Err(D::Error::custom(format!(
                "missing: expected `omit`, `null` or `fail`, found {value}"
            ))),
        }
    }
}
