use std::sync::Arc;

use wasmtime::Store;
use weir_state::{FiredTimer, KeyedStateBackend, TimeDomain, TimerService};
use weir_types::{Millis, Record};
use weir_world::operator::Operator;
use weir_world::operator::weir::operator::types as wit;

use crate::engine::deadline_ticks;
use crate::host::{Batch, Emitted, HostState, TaskInfo};
use crate::limits::Limiter;
use crate::metrics::OperatorMetrics;
use crate::module::{Module, Pre};
use crate::{CallKind, Result, SandboxLimits, TrapCause, WasmError};

/// Most timers handed to the guest in one `on-timer` call.
const TIMER_BATCH: usize = 1024;

/// Records an operator emitted during one or more calls.
#[derive(Debug, Default, PartialEq)]
pub struct OperatorOutput {
    /// The main output.
    pub main: Vec<Record>,
    /// Side outputs by name (only those the job connects).
    pub side: Vec<(String, Vec<Record>)>,
}

impl OperatorOutput {
    /// True when nothing was emitted.
    pub fn is_empty(&self) -> bool {
        self.main.is_empty() && self.side.iter().all(|(_, v)| v.is_empty())
    }

    fn absorb(&mut self, e: &mut Emitted) {
        if self.main.is_empty() {
            self.main = std::mem::take(&mut e.main);
        } else {
            self.main.append(&mut e.main);
        }
        for (name, mut recs) in e.side.drain(..) {
            match self.side.iter_mut().find(|(n, _)| *n == name) {
                Some((_, v)) => v.append(&mut recs),
                None => self.side.push((name, recs)),
            }
        }
    }
}

/// One sandboxed subtask of a component implementing the `operator` world.
pub struct OperatorInstance {
    store: Store<HostState>,
    bindings: Operator,
    limits: SandboxLimits,
    poisoned: bool,
}

impl std::fmt::Debug for OperatorInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorInstance")
            .field("task", &self.store.data().task)
            .finish()
    }
}

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

pub(crate) fn new_store(module: &Module, setup: InstanceSetup) -> Store<HostState> {
    let state = HostState {
        task: setup.task,
        keyed: setup.keyed,
        backend: setup.backend,
        timers: setup.timers,
        watermark: weir_types::MIN_WATERMARK,
        batch: Batch::None,
        current: Default::default(),
        emitted: Emitted::default(),
        max_output_bytes: setup.limits.max_output_bytes,
        limiter: Limiter::new(&setup.limits),
        metrics: OperatorMetrics::default(),
        side_outputs: setup.side_outputs,
        dropped_side_records: 0,
        fatal: None,
    };
    let mut store = Store::new(module.engine.engine(), state);
    store.limiter(|s| &mut s.limiter);
    store.epoch_deadline_trap();
    store
}

impl OperatorInstance {
    /// Instantiates `module` (which must implement the `operator` world).
    pub fn new(module: &Module, setup: InstanceSetup) -> Result<Self> {
        let Pre::Operator(pre) = &module.pre else {
            return Err(WasmError::WorldMismatch {
                module: module.name().to_owned(),
                detail: format!("expected world operator, found {}", module.world()),
            });
        };
        let limits = setup.limits.clone();
        let mut store = new_store(module, setup);
        store.set_epoch_deadline(deadline_ticks(limits.call_timeout));
        let bindings = match pre.instantiate(&mut store) {
            Ok(b) => b,
            Err(e) => return Err(classify(&mut store, &limits, CallKind::Instantiate, e)),
        };
        Ok(OperatorInstance {
            store,
            bindings,
            limits,
            poisoned: false,
        })
    }

    /// Calls the guest's `open` with the operator's config as JSON.
    pub fn open(&mut self, config_json: &str) -> Result<()> {
        self.store.data_mut().begin(Batch::None);
        self.call(CallKind::Open, |b, s| b.call_open(s, config_json))?;
        // Emits from open are dropped: there is no element to attach them to.
        let _ = self.take_emitted();
        Ok(())
    }

    /// Hands a batch of records to the guest's `process`.
    pub fn process(&mut self, batch: Vec<Record>) -> Result<OperatorOutput> {
        if batch.is_empty() {
            return Ok(OperatorOutput::default());
        }
        let batch: Arc<Vec<wit::Record>> = Arc::new(
            batch
                .into_iter()
                .map(|r| wit::Record {
                    key: r.key,
                    value: r.value,
                    timestamp: r.timestamp,
                })
                .collect(),
        );
        self.store
            .data_mut()
            .begin(Batch::Records(Arc::clone(&batch)));
        self.call(CallKind::Process, |b, s| b.call_process(s, &batch))?;
        Ok(self.take_emitted())
    }

    /// Advances the event-time watermark, firing every event-time timer at or
    /// below it (in time order, in batches) through `on-timer`.
    pub fn advance_watermark(&mut self, watermark: Millis) -> Result<OperatorOutput> {
        let mut out = OperatorOutput::default();
        if watermark <= self.store.data().watermark {
            return Ok(out);
        }
        self.store.data_mut().watermark = watermark;
        loop {
            let fired = self.store.data_mut().timers.drain_event_timers(watermark);
            if fired.is_empty() {
                return Ok(out);
            }
            self.fire(fired, &mut out)?;
        }
    }

    /// Fires every processing-time timer at or before `now`.
    pub fn fire_processing_timers(&mut self, now: Millis) -> Result<OperatorOutput> {
        let mut out = OperatorOutput::default();
        loop {
            let fired = self.store.data_mut().timers.drain_processing_timers(now);
            if fired.is_empty() {
                return Ok(out);
            }
            self.fire(fired, &mut out)?;
        }
    }

    fn fire(&mut self, fired: Vec<FiredTimer>, out: &mut OperatorOutput) -> Result<()> {
        for chunk in fired.chunks(TIMER_BATCH) {
            let kgs: Arc<Vec<u32>> = Arc::new(chunk.iter().map(|t| t.key_group).collect());
            let timers: Arc<Vec<wit::Timer>> = Arc::new(
                chunk
                    .iter()
                    .map(|t| wit::Timer {
                        key: Some(t.key.clone()),
                        timestamp: t.timestamp,
                        domain: match t.domain {
                            TimeDomain::EventTime => wit::TimeDomain::EventTime,
                            TimeDomain::ProcessingTime => wit::TimeDomain::ProcessingTime,
                        },
                    })
                    .collect(),
            );
            self.store
                .data_mut()
                .begin(Batch::Timers(Arc::clone(&timers), kgs));
            self.call(CallKind::OnTimer, |b, s| b.call_on_timer(s, &timers))?;
            let mut e = std::mem::take(&mut self.store.data_mut().emitted);
            out.absorb(&mut e);
        }
        Ok(())
    }

    /// The earliest pending processing-time timer.
    pub fn next_processing_timer(&self) -> Option<Millis> {
        self.store.data().timers.next_processing_timer()
    }

    /// The operator's current watermark.
    pub fn watermark(&self) -> Millis {
        self.store.data().watermark
    }

    /// Calls the guest's `close`.
    pub fn close(&mut self) -> Result<OperatorOutput> {
        self.store.data_mut().begin(Batch::None);
        self.call(CallKind::Close, |b, s| b.call_close(s))?;
        Ok(self.take_emitted())
    }

    /// Metrics the guest reported.
    pub fn metrics(&self) -> &OperatorMetrics {
        &self.store.data().metrics
    }

    /// Records emitted to side outputs the job does not connect.
    pub fn dropped_side_records(&self) -> u64 {
        self.store.data().dropped_side_records
    }

    /// Approximate bytes of keyed state held.
    pub fn state_bytes(&self) -> u64 {
        self.store.data().backend.state_bytes()
    }

    /// Pending timers of both domains.
    pub fn pending_timers(&self) -> usize {
        self.store.data().timers.len()
    }

    fn take_emitted(&mut self) -> OperatorOutput {
        let mut out = OperatorOutput::default();
        let mut e = std::mem::take(&mut self.store.data_mut().emitted);
        out.absorb(&mut e);
        out
    }

    fn call<T>(
        &mut self,
        kind: CallKind,
        f: impl FnOnce(&Operator, &mut Store<HostState>) -> wasmtime::Result<Result<T, wit::OperatorError>>,
    ) -> Result<T> {
        let task = &self.store.data().task;
        if self.poisoned {
            return Err(WasmError::Poisoned {
                operator: task.operator.clone(),
                subtask: task.subtask,
            });
        }
        self.store
            .set_epoch_deadline(deadline_ticks(self.limits.call_timeout));
        let result = f(&self.bindings, &mut self.store);
        self.store.data_mut().end();
        match result {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                let task = &self.store.data().task;
                Err(WasmError::Guest {
                    operator: task.operator.clone(),
                    subtask: task.subtask,
                    call: kind,
                    message: describe_guest_error(&e),
                })
            }
            Err(trap) => {
                self.poisoned = true;
                Err(classify(&mut self.store, &self.limits, kind, trap))
            }
        }
    }
}

pub(crate) fn describe_guest_error(e: &wit::OperatorError) -> String {
    match e {
        wit::OperatorError::InvalidConfig(m) => format!("invalid config: {m}"),
        wit::OperatorError::BadInput(m) => format!("bad input: {m}"),
        wit::OperatorError::Failed(m) => m.clone(),
    }
}

/// Turns a trap into a [`WasmError`] naming its cause.
pub(crate) fn classify(
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
