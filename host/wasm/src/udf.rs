use wasmtime::Store;
use weir_types::Record;
use weir_world::operator::weir::operator::types as wit;
use weir_world::udf::Udf;

use crate::host::{Batch, HostState};
use crate::module::{Module, Pre};
use crate::sandbox::{InstanceSetup, Sandboxed};
use crate::{CallKind, Result, TrapCause, WasmError};

/// One sandboxed subtask of a component implementing the `udf` world.
pub struct UdfInstance {
    inner: Sandboxed<Udf>,
}

impl std::fmt::Debug for UdfInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdfInstance")
            .field("task", self.inner.task())
            .finish()
    }
}

impl UdfInstance {
    /// Instantiates `module` (which must implement the `udf` world). The
    /// setup's state backend and timers are unused: UDFs have no state.
    pub fn new(module: &Module, setup: InstanceSetup) -> Result<Self> {
        let Pre::Udf(pre) = &module.pre else {
            return Err(WasmError::WorldMismatch {
                module: module.name().to_owned(),
                detail: format!("expected world udf, found {}", module.world()),
            });
        };
        let inner = Sandboxed::new(module, setup, |store| pre.instantiate(store))?;
        Ok(UdfInstance { inner })
    }

    /// Calls the guest's `open` with its config as JSON.
    pub fn open(&mut self, config_json: &str) -> Result<()> {
        self.call(CallKind::Open, |b, s| b.call_open(s, config_json))
    }

    /// Transforms a batch. Output records without a timestamp keep none
    /// (a UDF sees each record's own timestamp and may copy it).
    pub fn transform(&mut self, batch: Vec<Record>) -> Result<Vec<Record>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let batch: Vec<wit::Record> = batch
            .into_iter()
            .map(|r| wit::Record {
                key: r.key,
                value: r.value,
                timestamp: r.timestamp,
            })
            .collect();
        let out = self.call(CallKind::Process, |b, s| b.call_transform(s, &batch))?;
        let bytes: u64 = out
            .iter()
            .map(|r| (r.value.len() + r.key.as_ref().map_or(0, Vec::len)) as u64)
            .sum();
        let limit = self.inner.limits().max_output_bytes;
        if bytes > limit {
            let cause = TrapCause::OutputLimit { limit };
            return Err(self.inner.fail(CallKind::Process, cause));
        }
        Ok(out
            .into_iter()
            .map(|r| Record {
                key: r.key,
                value: r.value,
                timestamp: r.timestamp,
            })
            .collect())
    }

    fn call<T>(
        &mut self,
        kind: CallKind,
        f: impl FnOnce(&Udf, &mut Store<HostState>) -> wasmtime::Result<Result<T, String>>,
    ) -> Result<T> {
        self.inner.store.data_mut().begin(Batch::None);
        self.inner.call(kind, f, |message| message)
    }
}
