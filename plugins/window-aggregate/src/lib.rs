#![doc = include_str!("../README.md")]

mod acc;
mod config;
mod num;

use weir_plugin_common::{FieldPath, OnError, Skipped, parse_json};
use weir_sdk::prelude::*;
use weir_sdk::window::{Windowed, WindowedConfig};

pub use config::{Aggregate, Config};
use num::Num;

use acc::Agg;

/// The metric counting records skipped as bad input (`on_error: skip`).
pub const SKIPPED_METRIC: &str = "weir_plugin_skipped_records";

/// Aggregates a numeric JSON field per key over event-time windows.
pub struct WindowAggregate {
    windows: Windowed<Agg>,
    /// Where the number is; `None` for a `count` without `field`.
    field: Option<FieldPath>,
    on_error: OnError,
    skipped: Skipped,
}

impl std::fmt::Debug for WindowAggregate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowAggregate")
            .field("windows", &self.windows)
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

impl WindowAggregate {
    /// The record's number, or bad input saying why there is none.
    fn number(&self, record: &Record) -> Result<Option<Num>> {
        let Some(path) = &self.field else {
            return Ok(None);
        };
        let value = parse_json(record)?;
        match path.get(&value) {
            Some(v) => Num::from_json(v)
                .map(Some)
                .ok_or_else(|| Error::bad_input(format!("field `{path}` is not a number: {v}"))),
            None => Err(Error::bad_input(format!("field `{path}` is missing"))),
        }
    }
}

impl Operator for WindowAggregate {
    type Config = Config;

    fn open(ctx: &mut OpenContext, config: Config) -> Result<Self> {
        let field = match (&config.field, config.aggregate) {
            (Some(path), _) => Some(
                FieldPath::parse(path).map_err(|e| Error::invalid_config(format!("field: {e}")))?,
            ),
            (None, Aggregate::Count) => None,
            (None, other) => {
                return Err(Error::invalid_config(format!(
                    "field: missing (`{}` needs the path of a number)",
                    other.name()
                )));
            }
        };
        let windowed = WindowedConfig {
            window: config.window,
            allowed_lateness_ms: config.allowed_lateness_ms,
            late_output: config.late_output,
            aggregate: serde_json::json!({ "aggregate": config.aggregate }),
        };
        Ok(WindowAggregate {
            windows: Windowed::open(ctx, windowed)?,
            field,
            on_error: config.on_error,
            skipped: Skipped::default(),
        })
    }

    fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
        let result = match self.number(&record) {
            Ok(n) => acc::with_current(n, || self.windows.process(ctx, record)),
            Err(e) => Err(e),
        };
        if self.skipped.handle(self.on_error, result)?.is_none() {
            weir_sdk::metrics::counter_add(SKIPPED_METRIC, 1);
        }
        Ok(())
    }

    fn on_timer(&mut self, ctx: &mut Context, timer: Timer) -> Result<()> {
        self.windows.on_timer(ctx, timer)
    }

    fn close(&mut self, ctx: &mut Context) -> Result<()> {
        self.windows.close(ctx)
    }
}

weir_sdk::export_operator!(WindowAggregate);

#[cfg(test)]
mod tests;
