//! The WIT imports (hidden generated bindings) and the glue around them:
//! `sys`, the SDK's host calls, and `export`, the bodies of the exports that
//! the export macros instantiate in a guest crate.
//!
//! The bindings here come from an SDK-only world, `weir:sdk/imports`, that
//! imports every interface and exports nothing. The bindings of the exports
//! are generated in the guest crate by the export macro, so each guest carries
//! exactly one world with exports — its own (see the crate README).

/// Bindings of every `weir:operator` interface, as imports.
pub mod bindings {
    __weir_generate!(
        inline: "
            package weir:sdk;
            world imports {
                import weir:operator/state@0.1.0;
                import weir:operator/timers@0.1.0;
                import weir:operator/collector@0.1.0;
                import weir:operator/context@0.1.0;
                import weir:operator/log@0.1.0;
                import weir:operator/metrics@0.1.0;
                import weir:operator/output@0.2.0;
                import weir:operator/state-batch@0.2.0;
            }
        ",
        world: "weir:sdk/imports",
        generate_unused_types: true,
        generate_all,
    );

    // Two versions of the package are in the resolve (the udf world of
    // 0.2.0 is exported by guests), so wit-bindgen names the module by
    // version.
    pub use weir::operator0_1_0::*;
    pub use weir::operator0_2_0::{output, packed, state_batch};
}

use self::bindings::types as wit;
use self::bindings::{context, log, metrics, output, state};

use crate::host::{MapEntries, StateBytes, StateKind};
use crate::{Error, HostError, Record, TaskInfo};

impl From<wit::Error> for HostError {
    fn from(e: wit::Error) -> Self {
        match e {
            wit::Error::UnknownState(m) => HostError::UnknownState(m),
            wit::Error::NoCurrentKey => HostError::NoCurrentKey,
            wit::Error::InvalidArgument(m) => HostError::InvalidArgument(m),
            wit::Error::QuotaExceeded(m) => HostError::QuotaExceeded(m),
            wit::Error::UnknownOutput(m) => HostError::UnknownOutput(m),
        }
    }
}

impl From<Error> for wit::OperatorError {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidConfig(m) => wit::OperatorError::InvalidConfig(m),
            Error::BadInput(m) => wit::OperatorError::BadInput(m),
            other => wit::OperatorError::Failed(other.to_string()),
        }
    }
}

/// The SDK's host calls as WIT imports. Point reads and writes of keyed
/// state, timer calls and `set-current` go through the batch of
/// [`super::batch`]; the calls that read whole states send it first.
pub(crate) mod sys {
    use weir_types::state_ops::StateOp;

    use super::*;
    use crate::host::batch;
    use crate::log::Level;

    pub(crate) fn state_register(
        name: &str,
        kind: StateKind,
        ttl_ms: Option<u64>,
    ) -> Result<u32, HostError> {
        let kind = match kind {
            StateKind::Value => state::StateKind::Value,
            StateKind::Map => state::StateKind::Map,
            StateKind::List => state::StateKind::List,
        };
        let descriptor = state::StateDescriptor {
            name: name.to_owned(),
            kind,
            ttl_ms,
        };
        Ok(state::register(&descriptor)?)
    }

    pub(crate) fn state_clear(id: u32) -> Result<(), HostError> {
        batch::write(StateOp::Clear(id))
    }

    pub(crate) fn value_get(id: u32) -> Result<Option<StateBytes>, HostError> {
        batch::read(StateOp::ValueGet(id))
    }

    pub(crate) fn value_set(id: u32, value: &[u8]) -> Result<(), HostError> {
        batch::write(StateOp::ValueSet(id, value))
    }

    pub(crate) fn map_get(id: u32, map_key: &[u8]) -> Result<Option<StateBytes>, HostError> {
        batch::read(StateOp::MapGet(id, map_key))
    }

    pub(crate) fn map_put(id: u32, map_key: &[u8], value: &[u8]) -> Result<(), HostError> {
        batch::write(StateOp::MapPut(id, map_key, value))
    }

    pub(crate) fn map_remove(id: u32, map_key: &[u8]) -> Result<(), HostError> {
        batch::write(StateOp::MapRemove(id, map_key))
    }

    pub(crate) fn map_entries(id: u32) -> Result<MapEntries, HostError> {
        batch::sync()?;
        Ok(state::map_entries(id)?)
    }

    pub(crate) fn list_get(id: u32) -> Result<Vec<Vec<u8>>, HostError> {
        batch::sync()?;
        Ok(state::list_get(id)?)
    }

    pub(crate) fn list_add(id: u32, value: &[u8]) -> Result<(), HostError> {
        batch::write(StateOp::ListAdd(id, value))
    }

    pub(crate) fn list_update(id: u32, values: &[Vec<u8>]) -> Result<(), HostError> {
        batch::sync()?;
        Ok(state::list_update(id, values)?)
    }

    pub(crate) fn register_event_time(at: i64) -> Result<(), HostError> {
        timer(false, false, at)
    }

    pub(crate) fn delete_event_time(at: i64) -> Result<(), HostError> {
        timer(false, true, at)
    }

    pub(crate) fn register_processing_time(at: i64) -> Result<(), HostError> {
        timer(true, false, at)
    }

    pub(crate) fn delete_processing_time(at: i64) -> Result<(), HostError> {
        timer(true, true, at)
    }

    fn timer(processing_time: bool, delete: bool, at: i64) -> Result<(), HostError> {
        batch::write(StateOp::Timer {
            processing_time,
            delete,
            at,
        })
    }

    /// Sends the state calls still buffered; every export calls this before
    /// it returns.
    pub(crate) fn flush_state() -> Result<(), HostError> {
        batch::finish()
    }

    pub(crate) fn emit(records: Vec<Record>) -> Result<(), HostError> {
        Ok(output::emit(&crate::runtime::pack(&records))?)
    }

    pub(crate) fn emit_side(name: &str, records: Vec<Record>) -> Result<(), HostError> {
        Ok(output::emit_side(name, &crate::runtime::pack(&records))?)
    }

    pub(crate) fn set_current(index: u32) -> Result<(), HostError> {
        batch::select(index);
        Ok(())
    }

    pub(crate) fn current_watermark() -> i64 {
        context::current_watermark()
    }

    pub(crate) fn processing_time() -> i64 {
        context::processing_time()
    }

    pub(crate) fn task_info() -> TaskInfo {
        let t = context::task();
        TaskInfo {
            job_name: t.job_name,
            operator_id: t.operator_id,
            subtask_index: t.subtask_index,
            parallelism: t.parallelism,
            max_parallelism: t.max_parallelism,
        }
    }

    pub(crate) fn log(level: Level, message: &str) {
        let level = match level {
            Level::Trace => log::Level::Trace,
            Level::Debug => log::Level::Debug,
            Level::Info => log::Level::Info,
            Level::Warn => log::Level::Warn,
            Level::Error => log::Level::Error,
        };
        log::log(level, message);
    }

    pub(crate) fn counter_add(name: &str, delta: u64) {
        metrics::counter_add(name, delta);
    }

    pub(crate) fn gauge_set(name: &str, value: f64) {
        metrics::gauge_set(name, value);
    }

    pub(crate) fn histogram_record(name: &str, value: f64) {
        metrics::histogram_record(name, value);
    }
}

/// The bodies of the exports; the export macros call these with the guest's
/// instance slot.
pub mod export {
    use std::cell::RefCell;
    use std::thread::LocalKey;

    use super::wit;
    use crate::{Error, Operator, Result, Udf, runtime};

    /// Where an export macro keeps the instance between calls.
    pub type Slot<T> = LocalKey<RefCell<Option<T>>>;

    fn with_instance<T>(
        slot: &'static Slot<T>,
        f: impl FnOnce(&mut T) -> Result<()>,
    ) -> Result<()> {
        slot.with_borrow_mut(|instance| match instance {
            Some(instance) => f(instance),
            None => Err(Error::failed("called before `open` succeeded")),
        })
    }

    /// Makes a panic log its message (`panicked at <file:line:col>:
    /// <message>`) at error level before the guest traps, so the host can
    /// name the cause of the trap. Installed once, at the first `open`.
    fn report_panics() {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            std::panic::set_hook(Box::new(|info| {
                crate::log::log(crate::log::Level::Error, &info.to_string());
            }));
        });
    }

    pub fn operator_open<O: Operator>(
        slot: &'static Slot<O>,
        config: String,
    ) -> Result<(), wit::OperatorError> {
        report_panics();
        let op = runtime::open::<O>(&config)?;
        slot.set(Some(op));
        Ok(())
    }

    pub fn operator_process<O: Operator>(
        slot: &'static Slot<O>,
        batch: Vec<u8>,
    ) -> Result<(), wit::OperatorError> {
        let batch = runtime::unpack_records(&batch)?;
        Ok(with_instance(slot, |op| runtime::process(op, batch))?)
    }

    pub fn operator_on_timer<O: Operator>(
        slot: &'static Slot<O>,
        timers: Vec<u8>,
    ) -> Result<(), wit::OperatorError> {
        let timers = runtime::unpack_timers(&timers)?;
        Ok(with_instance(slot, |op| runtime::on_timer(op, timers))?)
    }

    pub fn operator_close<O: Operator>(slot: &'static Slot<O>) -> Result<(), wit::OperatorError> {
        Ok(with_instance(slot, |op| runtime::close(op))?)
    }

    pub fn udf_open<U: Udf>(slot: &'static Slot<U>, config: String) -> Result<(), String> {
        report_panics();
        let udf = runtime::udf_open::<U>(&config).map_err(|e| e.to_string())?;
        slot.set(Some(udf));
        Ok(())
    }

    pub fn udf_transform_packed<U: Udf>(
        slot: &'static Slot<U>,
        batch: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        with_instance(slot, |udf| {
            out = runtime::udf_transform_packed(udf, &batch)?;
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        Ok(out)
    }
}
