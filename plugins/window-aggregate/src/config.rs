//! The window-aggregate operator's config.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use weir_plugin_common::OnError;
use weir_sdk::window::WindowKind;

/// The `config` of a window-aggregate operator in the job spec.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Which windows records fall into (`weir_sdk::window::WindowKind`).
    #[serde(deserialize_with = "window")]
    pub window: WindowKind,
    /// What is computed per key and window.
    #[serde(deserialize_with = "aggregate")]
    pub aggregate: Aggregate,
    /// The input path of the number to aggregate; required but for `count`.
    #[serde(default)]
    pub field: Option<String>,
    /// How long after a window fires it still takes (and re-fires on) late
    /// records.
    #[serde(default)]
    pub allowed_lateness_ms: u64,
    /// The side output for records too late for every window; `null` drops
    /// them.
    #[serde(default = "default_late_output")]
    pub late_output: Option<String>,
    /// Bad input: fail the job or skip the record.
    #[serde(default)]
    pub on_error: OnError,
}

/// The window, with errors that name the field.
fn window<'de, D: Deserializer<'de>>(d: D) -> Result<WindowKind, D::Error> {
    serde_json::from_value(Value::deserialize(d)?)
        .map_err(|e| D::Error::custom(format!("window: {e}")))
}

/// The aggregate, with errors that name the field.
fn aggregate<'de, D: Deserializer<'de>>(d: D) -> Result<Aggregate, D::Error> {
    let value = Value::deserialize(d)?;
    value.as_str().and_then(Aggregate::parse).ok_or_else(|| {
        D::Error::custom(format!(
            "aggregate: unknown aggregate {value}; expected one of count, sum, min, max, avg"
        ))
    })
}

fn default_late_output() -> Option<String> {
    Some("late".to_owned())
}

/// The aggregate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// Number of records.
    Count,
    /// Sum of the field: an integer while every input is an integer that
    /// fits, else a float.
    Sum,
    /// Smallest value of the field.
    Min,
    /// Largest value of the field.
    Max,
    /// Mean of the field, a float.
    Avg,
}

impl Aggregate {
    const ALL: [Aggregate; 5] = [
        Aggregate::Count,
        Aggregate::Sum,
        Aggregate::Min,
        Aggregate::Max,
        Aggregate::Avg,
    ];

    fn parse(name: &str) -> Option<Aggregate> {
        Aggregate::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The name in the config.
    pub fn name(self) -> &'static str {
        match self {
            Aggregate::Count => "count",
            Aggregate::Sum => "sum",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
            Aggregate::Avg => "avg",
        }
    }
}
