#![doc = include_str!("../README.md")]

mod compare;
mod predicate;

use weir_plugin_common::{OnError, Skipped, parse_json};
use weir_sdk::prelude::*;

pub use predicate::{Op, Predicate};

/// Keeps the records whose JSON value satisfies the configured predicate.
#[derive(Debug)]
pub struct Filter {
    predicate: Predicate,
    on_error: OnError,
    skipped: Skipped,
}

impl Filter {
    /// Builds the filter from its config: a predicate plus `on_error`.
    pub fn from_config(mut config: serde_json::Value) -> Result<Self> {
        let on_error = match config.as_object_mut().and_then(|m| m.remove("on_error")) {
            Some(v) => serde_json::from_value(v).map_err(Error::invalid_config)?,
            None => OnError::default(),
        };
        Ok(Filter {
            predicate: Predicate::from_config(&config)?,
            on_error,
            skipped: Skipped::default(),
        })
    }

    /// How many records were skipped as bad input (with `on_error: skip`).
    pub fn skipped(&self) -> u64 {
        self.skipped.count()
    }
}

impl Udf for Filter {
    type Config = serde_json::Value;

    fn open(config: serde_json::Value) -> Result<Self> {
        Filter::from_config(config)
    }

    fn transform(&mut self, record: RecordRef<'_>, out: &mut UdfOutput) -> Result<()> {
        let keep = parse_json(record).map(|value| self.predicate.test(&value));
        if self.skipped.handle(self.on_error, keep)? == Some(true) {
            out.emit(record);
        }
        Ok(())
    }
}

weir_sdk::export_udf!(Filter);

#[cfg(test)]
mod tests;
