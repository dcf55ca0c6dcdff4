//! What every guest instance shares: its store, its limits, and the call
//! wrapper that sets the CPU deadline, ends the call's scope and turns traps
//! into errors that name the operator, subtask, call and cause.

use wasmtime::Store;
use weir_state::{KeyedStateBackend, TimerService};

use crate::engine::deadline_ticks;
use crate::host::{Batch, Emitted, HostState, TaskInfo};
use crate::limits::Limiter;
use crate::metrics::OperatorMetrics;
use crate::module::Module;
use crate::{CallKind, Result, SandboxLimits, TrapCause, WasmError};

/// Everything an operator instance needs besides its module.
pub struct InstanceSetup {
    /// Where it sits in the job.
    pub task: TaskInfo,
    /// Whether its input is keyed (keyed state and timers are available).
    pub keyed: bool,
    /// Its keyed state.
    pub backend: Box<dyn KeyedStateBackend>,
    /// Its timers.
    pub timers: TimerService,
    /// Its sandbox.
    pub limits: SandboxLimits,
    /// Side outputs the job connects.
    pub side_outputs: Vec<String>,
}

impl std::fmt::Debug for InstanceSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceSetup")
            .field("task", &self.task)
            .field("keyed", &self.keyed)
            .finish()
    }
}

fn new_store(module: &Module, setup: InstanceSetup) -> Store<HostState> {
    let state = HostState {
        task: setup.task,
        keyed: setup.keyed,
        backend: setup.backend,
        timers: setup.timers,
        watermark: weir_types::MIN_WATERMARK,
        call_time: HostState::now_ms(),
        batch: Batch::None,
        current: Default::default(),
        emitted: Emitted::default(),
        max_output_bytes: setup.limits.max_output_bytes,
        limiter: Limiter::new(&setup.limits),
        metrics: OperatorMetrics::default(),
        side_outputs: setup.side_outputs,
        dropped_side_records: 0,
        fatal: None,
        panic: None,
    };
    let mut store = Store::new(module.engine.engine(), state);
    store.limiter(|s| &mut s.limiter);
    store.epoch_deadline_trap();
    store
}

/// A store with instantiated bindings `B` (one world's exports).
pub(crate) struct Sandboxed<B> {
    pub(crate) store: Store<HostState>,
    bindings: B,
    limits: SandboxLimits,
    poisoned: bool,
}

impl<B> Sandboxed<B> {
    /// Instantiates with `instantiate` under the setup's limits.
    pub(crate) fn new(
        module: &Module,
        setup: InstanceSetup,
        instantiate: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<B>,
    ) -> Result<Self> {
        let limits = setup.limits.clone();
        let mut store = new_store(module, setup);
        store.set_epoch_deadline(deadline_ticks(limits.call_timeout));
        match instantiate(&mut store) {
            Ok(bindings) => Ok(Sandboxed {
                store,
                bindings,
                limits,
                poisoned: false,
            }),
            Err(e) => Err(classify(&mut store, &limits, CallKind::Instantiate, e)),
        }
    }

    pub(crate) fn bindings(&self) -> &B {
        &self.bindings
    }

    pub(crate) fn limits(&self) -> &SandboxLimits {
        &self.limits
    }

    pub(crate) fn task(&self) -> &TaskInfo {
        &self.store.data().task
    }

    /// Calls into the guest. A guest error (`E`, described by `describe`)
    /// leaves the instance usable; a trap poisons it.
    pub(crate) fn call<T, E>(
        &mut self,
        kind: CallKind,
        f: impl FnOnce(&B, &mut Store<HostState>) -> wasmtime::Result<Result<T, E>>,
        describe: impl FnOnce(E) -> String,
    ) -> Result<T> {
        if self.poisoned {
            let task = self.task();
            return Err(WasmError::Poisoned {
                operator: task.operator.clone(),
                subtask: task.subtask,
            });
        }
        self.store
            .set_epoch_deadline(deadline_ticks(self.limits.call_timeout));
        self.store.data_mut().panic = None;
        let result = f(&self.bindings, &mut self.store);
        self.store.data_mut().end();
        match result {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                let task = self.task();
                Err(WasmError::Guest {
                    operator: task.operator.clone(),
                    subtask: task.subtask,
                    call: kind,
                    message: describe(e),
                })
            }
            Err(trap) => {
                self.poisoned = true;
                Err(classify(&mut self.store, &self.limits, kind, trap))
            }
        }
    }

    /// Poisons the instance for a limit the host found after a call returned.
    pub(crate) fn fail(&mut self, call: CallKind, cause: TrapCause) -> WasmError {
        self.poisoned = true;
        let task = self.task();
        WasmError::Trap {
            operator: task.operator.clone(),
            subtask: task.subtask,
            call,
            cause,
        }
    }
}

/// Turns a trap into a [`WasmError`] naming its cause.
fn classify(
    store: &mut Store<HostState>,
    limits: &SandboxLimits,
    call: CallKind,
    trap: wasmtime::Error,
) -> WasmError {
    let data = store.data_mut();
    let (operator, subtask) = (data.task.operator.clone(), data.task.subtask);
    if let Some(source) = data.fatal.take() {
        return WasmError::State {
            operator,
            subtask,
            source: Box::new(source),
        };
    }
    let cause = if let Some(requested) = data.limiter.memory_exceeded.take() {
        TrapCause::MemoryLimit {
            limit: limits.memory_bytes,
            requested,
        }
    } else if data.emitted.overflow {
        TrapCause::OutputLimit {
            limit: limits.max_output_bytes,
        }
    } else if matches!(
        trap.downcast_ref::<wasmtime::Trap>(),
        Some(wasmtime::Trap::Interrupt)
    ) {
        TrapCause::Timeout {
            limit_ms: limits.call_timeout.as_millis() as u64,
        }
    } else if let Some(panic) = data.panic.take() {
        TrapCause::Guest(panic)
    } else {
        TrapCause::Guest(trap_message(&trap))
    };
    WasmError::Trap {
        operator,
        subtask,
        call,
        cause,
    }
}

/// What a trap says, without wasmtime's `wasm trap: ` prefix (the message
/// already says the call trapped).
fn trap_message(trap: &wasmtime::Error) -> String {
    match trap.downcast_ref::<wasmtime::Trap>() {
        Some(t) => {
            let text = t.to_string();
            let text = text.strip_prefix("wasm trap: ").unwrap_or(&text);
            if *t == wasmtime::Trap::UnreachableCodeReached {
                format!("{text} (the guest panicked or aborted)")
            } else {
                text.to_owned()
            }
        }
        None => format!("{trap:#}"),
    }
}
