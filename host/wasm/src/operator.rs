use std::sync::Arc;

use std::path::Path;
use wasmtime::Store;

use weir_state::{BackendSnapshot, FiredTimer, KeyGroupBlob, SnapshotKind, TimeDomain};
use weir_types::{Millis, Record, packed};
use weir_world::operator::Operator;
use weir_world::operator::weir::operator::types as wit;
use weir_world::packed_operator::Operator as PackedOperator;

use crate::host::{Batch, Emitted, HostState};
use crate::metrics::OperatorMetrics;
use crate::module::{Module, Pre};
use crate::sandbox::{InstanceSetup, Sandboxed};
use crate::{CallKind, Result, WasmError};

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

/// The keyed state and timers of one operator subtask at a barrier.
#[derive(Debug)]
pub struct StateSnapshot {
    /// Keyed state, canonical or native.
    pub keyed: BackendSnapshot,
    /// Timers, one canonical blob per owned key group.
    pub timers: Vec<KeyGroupBlob>,
}

/// One sandboxed subtask of a component implementing an `operator` world.
pub struct OperatorInstance {
    inner: Sandboxed<Bindings>,
    /// Where batches for a packed guest are encoded, kept from call to call.
    buf: Vec<u8>,
}

/// The exports of the world the module implements.
pub(crate) enum Bindings {
    /// `weir:operator@0.1.0`: records and timers as WIT lists.
    Records(Operator),
    /// `weir:operator@0.2.0`: records and timers packed.
    Packed(PackedOperator),
}

impl std::fmt::Debug for OperatorInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorInstance")
            .field("task", self.inner.task())
            .finish()
    }
}

impl OperatorInstance {
    /// Instantiates `module` (which must implement the `operator` world).
    pub fn new(module: &Module, setup: InstanceSetup) -> Result<Self> {
        let inner = match &module.pre {
            Pre::Operator(pre) => Sandboxed::new(module, setup, |store| {
                pre.instantiate(store).map(Bindings::Records)
            })?,
            Pre::PackedOperator(pre) => Sandboxed::new(module, setup, |store| {
                pre.instantiate(store).map(Bindings::Packed)
            })?,
            Pre::Udf(_) | Pre::PackedUdf(_) => {
                return Err(WasmError::WorldMismatch {
                    module: module.name().to_owned(),
                    detail: format!("expected world operator, found {}", module.world()),
                });
            }
        };
        Ok(OperatorInstance {
            inner,
            buf: Vec::new(),
        })
    }

    /// Calls the guest's `open` with the operator's config as JSON.
    pub fn open(&mut self, config_json: &str) -> Result<()> {
        self.inner.store.data_mut().begin(Batch::None);
        self.call(CallKind::Open, |b, s| match b {
            Bindings::Records(b) => b.call_open(s, config_json),
            Bindings::Packed(b) => b.call_open(s, config_json),
        })?;
        // Emits from open are dropped: there is no element to attach them to.
        let _ = self.take_emitted();
        Ok(())
    }

    /// Hands a batch of records to the guest's `process`.
    pub fn process(&mut self, batch: Vec<Record>) -> Result<OperatorOutput> {
        if batch.is_empty() {
            return Ok(OperatorOutput::default());
        }
        let mut buf = std::mem::take(&mut self.buf);
        if self.is_packed() {
            buf.clear();
            packed::push_records(&mut buf, &batch);
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
        self.inner
            .store
            .data_mut()
            .begin(Batch::Records(Arc::clone(&batch)));
        let result = self.call(CallKind::Process, |b, s| match b {
            Bindings::Records(b) => b.call_process(s, &batch),
            Bindings::Packed(b) => b.call_process(s, &buf),
        });
        self.buf = buf;
        result?;
        Ok(self.take_emitted())
    }

    /// Advances the event-time watermark, firing every event-time timer at or
    /// below it (in time order, in batches) through `on-timer`.
    pub fn advance_watermark(&mut self, watermark: Millis) -> Result<OperatorOutput> {
        let mut out = OperatorOutput::default();
        if watermark <= self.inner.store.data().watermark {
            return Ok(out);
        }
        self.inner.store.data_mut().watermark = watermark;
        loop {
            let fired = self
                .inner
                .store
                .data_mut()
                .timers
                .drain_event_timers(watermark);
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
            let fired = self
                .inner
                .store
                .data_mut()
                .timers
                .drain_processing_timers(now);
            if fired.is_empty() {
                return Ok(out);
            }
            self.fire(fired, &mut out)?;
        }
    }

    fn fire(&mut self, fired: Vec<FiredTimer>, out: &mut OperatorOutput) -> Result<()> {
        let mut fired = fired.into_iter().peekable();
        while fired.peek().is_some() {
            let mut kgs = Vec::with_capacity(TIMER_BATCH);
            let mut timers = Vec::with_capacity(TIMER_BATCH);
            for t in fired.by_ref().take(TIMER_BATCH) {
                kgs.push(t.key_group);
                timers.push(wit::Timer {
                    key: Some(t.key),
                    timestamp: t.timestamp,
                    domain: match t.domain {
                        TimeDomain::EventTime => wit::TimeDomain::EventTime,
                        TimeDomain::ProcessingTime => wit::TimeDomain::ProcessingTime,
                    },
                });
            }
            let timers = Arc::new(timers);
            self.inner
                .store
                .data_mut()
                .begin(Batch::Timers(Arc::clone(&timers), Arc::new(kgs)));
            let mut buf = std::mem::take(&mut self.buf);
            if self.is_packed() {
                buf.clear();
                for t in timers.iter() {
                    let processing = t.domain == wit::TimeDomain::ProcessingTime;
                    packed::push_timer(&mut buf, t.key.as_deref(), t.timestamp, processing);
                }
            }
            let result = self.call(CallKind::OnTimer, |b, s| match b {
                Bindings::Records(b) => b.call_on_timer(s, &timers),
                Bindings::Packed(b) => b.call_on_timer(s, &buf),
            });
            self.buf = buf;
            result?;
            let mut e = std::mem::take(&mut self.inner.store.data_mut().emitted);
            out.absorb(&mut e);
        }
        Ok(())
    }

    /// The earliest pending processing-time timer.
    pub fn next_processing_timer(&self) -> Option<Millis> {
        self.inner.store.data().timers.next_processing_timer()
    }

    /// The operator's current watermark.
    pub fn watermark(&self) -> Millis {
        self.inner.store.data().watermark
    }

    /// Calls the guest's `close`.
    pub fn close(&mut self) -> Result<OperatorOutput> {
        self.inner.store.data_mut().begin(Batch::None);
        self.call(CallKind::Close, |b, s| match b {
            Bindings::Records(b) => b.call_close(s),
            Bindings::Packed(b) => b.call_close(s),
        })?;
        Ok(self.take_emitted())
    }

    /// Metrics the guest reported.
    pub fn metrics(&self) -> &OperatorMetrics {
        &self.inner.store.data().metrics
    }

    /// Records emitted to side outputs the job does not connect.
    pub fn dropped_side_records(&self) -> u64 {
        self.inner.store.data().dropped_side_records
    }

    /// Approximate bytes of keyed state held.
    pub fn state_bytes(&self) -> u64 {
        self.inner.store.data().backend.state_bytes()
    }

    /// Snapshots the subtask's keyed state and timers for checkpoint or
    /// savepoint (`kind`). `scratch` is an empty local folder a backend may
    /// write native files into. Operators without a key have neither.
    pub fn snapshot(
        &mut self,
        kind: SnapshotKind,
        scratch: &Path,
    ) -> Result<Option<StateSnapshot>> {
        let data = self.inner.store.data_mut();
        if !data.keyed {
            return Ok(None);
        }
        let state_error = |data: &HostState, e| WasmError::State {
            operator: data.task.operator.clone(),
            subtask: data.task.subtask,
            source: Box::new(e),
        };
        let keyed = match data.backend.snapshot(kind, scratch) {
            Ok(s) => s,
            Err(e) => return Err(state_error(data, e)),
        };
        let mut timers = Vec::new();
        for key_group in data.timers.key_groups() {
            let mut bytes = Vec::new();
            if let Err(e) = data.timers.snapshot_key_group(key_group, &mut bytes) {
                return Err(state_error(data, e));
            }
            timers.push(KeyGroupBlob { key_group, bytes });
        }
        Ok(Some(StateSnapshot { keyed, timers }))
    }

    /// Pending timers of both domains.
    pub fn pending_timers(&self) -> usize {
        self.inner.store.data().timers.len()
    }

    fn take_emitted(&mut self) -> OperatorOutput {
        let mut out = OperatorOutput::default();
        let mut e = std::mem::take(&mut self.inner.store.data_mut().emitted);
        out.absorb(&mut e);
        out
    }

    fn is_packed(&self) -> bool {
        matches!(self.inner.bindings(), Bindings::Packed(_))
    }

    fn call<T>(
        &mut self,
        kind: CallKind,
        f: impl FnOnce(
            &Bindings,
            &mut Store<HostState>,
        ) -> wasmtime::Result<Result<T, wit::OperatorError>>,
    ) -> Result<T> {
        self.inner.call(kind, f, describe_guest_error)
    }
}

fn describe_guest_error(e: wit::OperatorError) -> String {
    match e {
        wit::OperatorError::InvalidConfig(m) => format!("invalid config: {m}"),
        wit::OperatorError::BadInput(m) => format!("bad input: {m}"),
        wit::OperatorError::Failed(m) => m,
    }
}
