//! The data every guest call can reach: the store's `T`.

use std::sync::Arc;

use weir_state::{KeyScope, KeyedStateBackend, TimerService};
use weir_types::{Millis, Record};
use weir_world::operator::weir::operator::types as wit;

use crate::limits::Limiter;
use crate::metrics::OperatorMetrics;

/// Where an operator subtask sits in its job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskInfo {
    /// The job's name.
    pub job: String,
    /// The operator's id in the job spec.
    pub operator: String,
    /// This subtask's index.
    pub subtask: u32,
    /// The operator's parallelism.
    pub parallelism: u32,
    /// The job's number of key groups.
    pub max_parallelism: u32,
}

/// The elements of the call in progress, for `context.set-current`.
pub(crate) enum Batch {
    None,
    Records(Arc<Vec<wit::Record>>),
    Timers(Arc<Vec<wit::Timer>>, Arc<Vec<u32>>),
}

/// The current element: its key (with key group) and timestamp.
#[derive(Default)]
pub(crate) struct Current {
    pub(crate) key_group: u32,
    pub(crate) has_key: bool,
    pub(crate) timestamp: Option<Millis>,
    pub(crate) index: usize,
}

/// The current key, if any, as a state scope.
pub(crate) fn scope_of<'a>(
    batch: &'a Batch,
    current: &Current,
    keyed: bool,
) -> Option<KeyScope<'a>> {
    if !keyed || !current.has_key {
        return None;
    }
    let key = match batch {
        Batch::None => return None,
        Batch::Records(rs) => rs[current.index].key.as_deref()?,
        Batch::Timers(ts, _) => ts[current.index].key.as_deref()?,
    };
    Some(KeyScope {
        key_group: current.key_group,
        key,
    })
}

/// What a call emitted.
#[derive(Default)]
pub(crate) struct Emitted {
    pub(crate) main: Vec<Record>,
    pub(crate) side: Vec<(String, Vec<Record>)>,
    pub(crate) bytes: u64,
    pub(crate) overflow: bool,
}

/// The store data of one operator subtask.
pub struct HostState {
    pub(crate) task: TaskInfo,
    pub(crate) keyed: bool,
    pub(crate) backend: Box<dyn KeyedStateBackend>,
    pub(crate) timers: TimerService,
    pub(crate) watermark: Millis,
    /// Processing time when the current call began: the "now" of state TTL
    /// for the whole call, so the clock is not read on every state access.
    pub(crate) call_time: Millis,
    pub(crate) batch: Batch,
    pub(crate) current: Current,
    pub(crate) emitted: Emitted,
    pub(crate) max_output_bytes: u64,
    pub(crate) limiter: Limiter,
    pub(crate) metrics: OperatorMetrics,
    /// Side outputs the job connects; emits to others are dropped and counted.
    pub(crate) side_outputs: Vec<String>,
    pub(crate) dropped_side_records: u64,
    /// A host-side state failure that must fail the task (not the guest's
    /// fault, so not reported to it as a WIT error).
    pub(crate) fatal: Option<weir_state::StateError>,
    /// What the guest logged as its panic during the current call (the
    /// Rust SDK logs `panicked at …` at error level before it traps), so
    /// the trap can say why.
    pub(crate) panic: Option<String>,
}

impl HostState {
    /// The current key's bytes, if any.
    pub(crate) fn current_key(&self) -> Option<&[u8]> {
        match &self.batch {
            Batch::None => None,
            Batch::Records(rs) => rs.get(self.current.index)?.key.as_deref(),
            Batch::Timers(ts, _) => ts.get(self.current.index)?.key.as_deref(),
        }
    }

    /// Makes element `index` of the batch current. Returns false when out of
    /// range.
    pub(crate) fn set_current(&mut self, index: usize) -> bool {
        let max_par = self.task.max_parallelism;
        let (key, ts, kg) = match &self.batch {
            Batch::None => return false,
            Batch::Records(rs) => match rs.get(index) {
                Some(r) => (r.key.as_deref(), r.timestamp, None),
                None => return false,
            },
            Batch::Timers(ts, kgs) => match ts.get(index) {
                Some(t) => (t.key.as_deref(), Some(t.timestamp), Some(kgs[index])),
                None => return false,
            },
        };
        self.current = Current {
            key_group: match (kg, key) {
                (Some(kg), _) => kg,
                (None, Some(k)) if self.keyed => weir_types::key_group_for(k, max_par),
                _ => 0,
            },
            has_key: key.is_some(),
            timestamp: ts,
            index,
        };
        true
    }

    /// Starts a call over `batch`, making its first element current.
    pub(crate) fn begin(&mut self, batch: Batch) {
        self.call_time = HostState::now_ms();
        self.batch = batch;
        self.current = Current::default();
        self.set_current(0);
        self.emitted.bytes = 0;
        self.emitted.overflow = false;
    }

    /// Ends a call: drops the batch.
    pub(crate) fn end(&mut self) {
        self.batch = Batch::None;
        self.current = Current::default();
    }

    pub(crate) fn now_ms() -> Millis {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or(0)
    }

    /// Accounts for emitted bytes; false (and the overflow flag) when the
    /// call went over its output cap.
    pub(crate) fn charge_output(&mut self, bytes: u64) -> bool {
        self.emitted.bytes = self.emitted.bytes.saturating_add(bytes);
        if self.emitted.bytes > self.max_output_bytes {
            self.emitted.overflow = true;
            return false;
        }
        true
    }
}
