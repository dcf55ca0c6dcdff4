use wasmtime::Store;
use weir_types::Record;
use weir_world::operator::weir::operator::types as wit;
use weir_world::udf::Udf;

use crate::engine::deadline_ticks;
use crate::host::{Batch, HostState};
use crate::module::{Module, Pre};
use crate::operator::{InstanceSetup, classify, new_store};
use crate::{CallKind, Result, TrapCause, WasmError};

/// One sandboxed subtask of a component implementing the `udf` world.
pub struct UdfInstance {
    store: Store<HostState>,
    bindings: Udf,
    poisoned: bool,
    setup_limits: crate::SandboxLimits,
}

impl std::fmt::Debug for UdfInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdfInstance")
            .field("task", &self.store.data().task)
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
        let limits = setup.limits.clone();
        let mut store = new_store(module, setup);
        store.set_epoch_deadline(deadline_ticks(limits.call_timeout));
        let bindings = match pre.instantiate(&mut store) {
            Ok(b) => b,
            Err(e) => return Err(classify(&mut store, &limits, CallKind::Instantiate, e)),
        };
        Ok(UdfInstance {
            store,
            bindings,
            poisoned: false,
            setup_limits: limits,
        })
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
        if bytes > self.setup_limits.max_output_bytes {
            self.poisoned = true;
            let task = &self.store.data().task;
            return Err(WasmError::Trap {
                operator: task.operator.clone(),
                subtask: task.subtask,
                call: CallKind::Process,
                cause: TrapCause::OutputLimit {
                    limit: self.setup_limits.max_output_bytes,
                },
            });
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
        let task = &self.store.data().task;
        if self.poisoned {
            return Err(WasmError::Poisoned {
                operator: task.operator.clone(),
                subtask: task.subtask,
            });
        }
        self.store.data_mut().begin(Batch::None);
        self.store
            .set_epoch_deadline(deadline_ticks(self.setup_limits.call_timeout));
        let result = f(&self.bindings, &mut self.store);
        self.store.data_mut().end();
        match result {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(message)) => {
                let task = &self.store.data().task;
                Err(WasmError::Guest {
                    operator: task.operator.clone(),
                    subtask: task.subtask,
                    call: kind,
                    message,
                })
            }
            Err(trap) => {
                self.poisoned = true;
                Err(classify(&mut self.store, &self.setup_limits, kind, trap))
            }
        }
    }
}
