#![doc = include_str!("../README.md")]

mod config;
mod plan;

use weir_plugin_common::{Skipped, parse_json};
use weir_sdk::prelude::*;

pub use config::{Config, Missing};
use plan::Plan;

/// Picks and renames fields of JSON objects, adds constants, sets the key.
#[derive(Debug)]
pub struct Project {
    plan: Plan,
    config: Config,
    skipped: Skipped,
}

impl Project {
    /// How many records were skipped as bad input (with `on_error: skip`).
    pub fn skipped(&self) -> u64 {
        self.skipped.count()
    }

    fn project(&self, record: RecordRef<'_>) -> Result<Record> {
        let value = parse_json(record)?;
        let key = match &self.plan.key {
            Some(path) => Some(plan::key(path, &value)?),
            None => record.key.map(<[u8]>::to_vec),
        };
        let value = if self.plan.is_passthrough() {
            record.value.to_vec()
        } else {
            self.plan
                .write(&value, self.config.missing, record.value.len())?
        };
        Ok(Record {
            key,
            value,
            timestamp: record.timestamp,
        })
    }
}

impl Udf for Project {
    type Config = Config;

    fn open(config: Config) -> Result<Self> {
        Ok(Project {
            plan: Plan::new(&config)?,
            config,
            skipped: Skipped::default(),
        })
    }

    fn transform(&mut self, record: RecordRef<'_>, out: &mut UdfOutput) -> Result<()> {
        let projected = self.project(record);
        if let Some(r) = self.skipped.handle(self.config.on_error, projected)? {
            out.emit(&r);
        }
        Ok(())
    }
}

weir_sdk::export_udf!(Project);

#[cfg(test)]
mod tests;
