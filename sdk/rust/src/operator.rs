//! The traits operator authors implement.

use serde::de::DeserializeOwned;

use crate::{Context, OpenContext, Record, RecordRef, Result, Timer, UdfOutput};

/// A keyed process function (the WIT `operator` world): keyed state, timers,
/// a main output and side outputs. Export it with
/// [`export_operator!`](crate::export_operator).
///
/// The SDK hands over one record or timer at a time, with the host's current
/// key already switched to it, and sends everything emitted during one call
/// to the host in one batch when the call ends.
pub trait Operator: Sized + 'static {
    /// The operator's `config` from the job spec. `()` accepts an absent
    /// config (`{}` or `null`).
    type Config: DeserializeOwned;

    /// Called once before any record: register state here.
    fn open(ctx: &mut OpenContext, config: Self::Config) -> Result<Self>;

    /// Handles one record; its key is the current key.
    fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()>;

    /// Handles one timer that fired; its key is the current key. Ignores it by
    /// default.
    fn on_timer(&mut self, ctx: &mut Context, timer: Timer) -> Result<()> {
        let _ = (ctx, timer);
        Ok(())
    }

    /// Called once after the last record, or when the task stops. There is no
    /// current key. Does nothing by default.
    fn close(&mut self, ctx: &mut Context) -> Result<()> {
        let _ = ctx;
        Ok(())
    }
}

/// A stateless function from a record to zero or more records (the WIT `udf`
/// world). Export it with [`export_udf!`](crate::export_udf).
///
/// A UDF may log ([`crate::log`]) but has no state, timers or metrics.
pub trait Udf: Sized + 'static {
    /// The operator's `config` from the job spec. `()` accepts an absent
    /// config (`{}` or `null`).
    type Config: DeserializeOwned;

    /// Called once before any record.
    fn open(config: Self::Config) -> Result<Self>;

    /// Maps one record to zero or more records emitted to `out`. An output
    /// without a timestamp takes the input's.
    ///
    /// The record is borrowed from the batch the host sent and outputs are
    /// packed straight into the batch sent back, so a UDF that passes its
    /// input on (`out.emit(record)`, or `RecordRef { value: &new, ..record }`
    /// for a changed one) copies each record once and allocates nothing;
    /// [`RecordRef::to_record`] gives an owned [`Record`] where one is needed.
    fn transform(&mut self, record: RecordRef<'_>, out: &mut UdfOutput) -> Result<()>;
}
