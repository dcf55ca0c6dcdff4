//! The in-process host: what the WIT imports do, kept in memory, so operator
//! code runs natively under a [`Harness`](super::Harness).
//!
//! Each harness owns one [`NativeHost`]. While the harness calls into operator
//! code it pushes its host onto a thread-local stack, and the `sys` functions
//! act on the top of that stack; so several harnesses in one thread never see
//! each other's state.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use crate::host::{MapEntries, StateBytes, StateKind};
use crate::log::Level;
use crate::{HostError, Record, TaskInfo, TimeDomain, Timer};

/// A registered state.
#[derive(Clone, Debug)]
struct Decl {
    name: String,
    kind: StateKind,
    ttl_ms: Option<u64>,
}

/// Bytes with the processing time of their last write, for TTL.
#[derive(Clone, Debug)]
struct Stamped {
    bytes: Vec<u8>,
    written: i64,
}

/// The current key's entry of one state.
#[derive(Clone, Debug)]
enum Slot {
    Value(Stamped),
    Map(BTreeMap<Vec<u8>, Stamped>),
    List(Vec<Stamped>),
}

/// One line logged by operator code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Its level.
    pub level: Level,
    /// Its text.
    pub message: String,
}

/// Everything one operator instance's host keeps.
#[derive(Debug)]
pub(crate) struct NativeHost {
    decls: Vec<Decl>,
    slots: BTreeMap<(u32, Vec<u8>), Slot>,
    event_timers: BTreeSet<(i64, Vec<u8>)>,
    processing_timers: BTreeSet<(i64, Vec<u8>)>,
    /// Key and timestamp of each element of the batch being delivered.
    batch: Vec<(Option<Vec<u8>>, Option<i64>)>,
    current: usize,
    pub(crate) watermark: i64,
    pub(crate) processing_time: i64,
    pub(crate) task_info: TaskInfo,
    /// Side outputs the job declares; `None` accepts any name.
    pub(crate) declared_outputs: Option<BTreeSet<String>>,
    pub(crate) emitted: Vec<Record>,
    pub(crate) side: BTreeMap<String, Vec<Record>>,
    pub(crate) logs: Vec<LogLine>,
    pub(crate) counters: BTreeMap<String, u64>,
    pub(crate) gauges: BTreeMap<String, f64>,
    pub(crate) histograms: BTreeMap<String, Vec<f64>>,
    /// How many times the guest called `set-current`.
    pub(crate) set_current_calls: usize,
    /// How many times the guest called `emit` or `emit-side`.
    pub(crate) emit_calls: usize,
}

impl Default for NativeHost {
    fn default() -> Self {
        NativeHost {
            decls: Vec::new(),
            slots: BTreeMap::new(),
            event_timers: BTreeSet::new(),
            processing_timers: BTreeSet::new(),
            batch: Vec::new(),
            current: 0,
            watermark: i64::MIN,
            processing_time: 0,
            task_info: TaskInfo {
                job_name: "test".into(),
                operator_id: "test".into(),
                subtask_index: 0,
                parallelism: 1,
                max_parallelism: 128,
            },
            declared_outputs: None,
            emitted: Vec::new(),
            side: BTreeMap::new(),
            logs: Vec::new(),
            counters: BTreeMap::new(),
            gauges: BTreeMap::new(),
            histograms: BTreeMap::new(),
            set_current_calls: 0,
            emit_calls: 0,
        }
    }
}

thread_local! {
    static ACTIVE: RefCell<Vec<Rc<RefCell<NativeHost>>>> = const { RefCell::new(Vec::new()) };
}

/// Makes `host` the one the `sys` functions act on until dropped.
pub(crate) struct Entered(());

pub(crate) fn enter(host: &Rc<RefCell<NativeHost>>) -> Entered {
    ACTIVE.with_borrow_mut(|stack| stack.push(Rc::clone(host)));
    Entered(())
}

impl Drop for Entered {
    fn drop(&mut self) {
        ACTIVE.with_borrow_mut(|stack| stack.pop());
    }
}

fn try_with<R>(f: impl FnOnce(&mut NativeHost) -> R) -> Option<R> {
    let host = ACTIVE.with_borrow(|stack| stack.last().cloned())?;
    let mut host = host.borrow_mut();
    Some(f(&mut host))
}

fn with<R>(f: impl FnOnce(&mut NativeHost) -> R) -> R {
    try_with(f).expect(
        "a weir-sdk host call outside a Wasm host or a test harness: \
         run operator code through weir_sdk::testing::Harness",
    )
}

impl NativeHost {
    /// Starts delivering a batch whose elements have these keys and times.
    pub(crate) fn begin(&mut self, elements: Vec<(Option<Vec<u8>>, Option<i64>)>) {
        self.batch = elements;
        self.current = 0;
    }

    /// Ends a call: there is no current element any more.
    pub(crate) fn end(&mut self) {
        self.batch.clear();
        self.current = 0;
    }

    fn current(&self) -> Option<&(Option<Vec<u8>>, Option<i64>)> {
        self.batch.get(self.current)
    }

    fn current_key(&self) -> Result<Vec<u8>, HostError> {
        self.current()
            .and_then(|(k, _)| k.clone())
            .ok_or(HostError::NoCurrentKey)
    }

    fn decl(&self, id: u32, kind: StateKind) -> Result<&Decl, HostError> {
        self.decls
            .get(id as usize)
            .filter(|d| d.kind == kind)
            .ok_or_else(|| HostError::UnknownState(format!("no {kind:?} state with id {id}")))
    }

    fn live(&self, ttl_ms: Option<u64>, s: &Stamped) -> bool {
        live_at(self.processing_time, ttl_ms, s)
    }

    fn stamp(&self, bytes: &[u8]) -> Stamped {
        Stamped {
            bytes: bytes.to_vec(),
            written: self.processing_time,
        }
    }

    fn register(
        &mut self,
        name: &str,
        kind: StateKind,
        ttl_ms: Option<u64>,
    ) -> Result<u32, HostError> {
        if let Some(i) = self.decls.iter().position(|d| d.name == name) {
            let d = &self.decls[i];
            if d.kind != kind || d.ttl_ms != ttl_ms {
                return Err(HostError::InvalidArgument(format!(
                    "state `{name}` is already registered as {:?} with TTL {:?}",
                    d.kind, d.ttl_ms
                )));
            }
            return Ok(i as u32);
        }
        self.decls.push(Decl {
            name: name.to_owned(),
            kind,
            ttl_ms,
        });
        Ok(self.decls.len() as u32 - 1)
    }

    fn slot(
        &mut self,
        id: u32,
        kind: StateKind,
    ) -> Result<(Option<u64>, Option<&mut Slot>), HostError> {
        let ttl = self.decl(id, kind)?.ttl_ms;
        let key = self.current_key()?;
        Ok((ttl, self.slots.get_mut(&(id, key))))
    }

    fn slot_or_insert(
        &mut self,
        id: u32,
        kind: StateKind,
        empty: Slot,
    ) -> Result<&mut Slot, HostError> {
        self.decl(id, kind)?;
        let key = self.current_key()?;
        Ok(self.slots.entry((id, key)).or_insert(empty))
    }

    fn replace(&mut self, id: u32, kind: StateKind, slot: Slot) -> Result<(), HostError> {
        self.decl(id, kind)?;
        let key = self.current_key()?;
        self.slots.insert((id, key), slot);
        Ok(())
    }

    // ---- what an inspecting harness reads, bypassing the current key ----

    pub(crate) fn state_id(&self, name: &str, kind: StateKind) -> u32 {
        match self.decls.iter().position(|d| d.name == name) {
            Some(i) if self.decls[i].kind == kind => i as u32,
            Some(i) => panic!(
                "state `{name}` is a {:?} state, not {kind:?}",
                self.decls[i].kind
            ),
            None => panic!("no state `{name}` was registered"),
        }
    }

    pub(crate) fn peek_value(&self, key: &[u8], name: &str) -> Option<Vec<u8>> {
        let id = self.state_id(name, StateKind::Value);
        let ttl = self.decls[id as usize].ttl_ms;
        match self.slots.get(&(id, key.to_vec())) {
            Some(Slot::Value(s)) if self.live(ttl, s) => Some(s.bytes.clone()),
            _ => None,
        }
    }

    pub(crate) fn peek_map(&self, key: &[u8], name: &str) -> MapEntries {
        let id = self.state_id(name, StateKind::Map);
        let ttl = self.decls[id as usize].ttl_ms;
        match self.slots.get(&(id, key.to_vec())) {
            Some(Slot::Map(m)) => m
                .iter()
                .filter(|(_, s)| self.live(ttl, s))
                .map(|(k, s)| (k.clone(), s.bytes.clone()))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn peek_list(&self, key: &[u8], name: &str) -> Vec<Vec<u8>> {
        let id = self.state_id(name, StateKind::List);
        let ttl = self.decls[id as usize].ttl_ms;
        match self.slots.get(&(id, key.to_vec())) {
            Some(Slot::List(l)) => l
                .iter()
                .filter(|s| self.live(ttl, s))
                .map(|s| s.bytes.clone())
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn timers_of(&self, key: &[u8]) -> Vec<Timer> {
        let of = |set: &BTreeSet<(i64, Vec<u8>)>, domain| {
            set.iter()
                .filter(|(_, k)| k == key)
                .map(|(t, k)| Timer {
                    key: Some(k.clone()),
                    timestamp: *t,
                    domain,
                })
                .collect::<Vec<_>>()
        };
        let mut all = of(&self.event_timers, TimeDomain::EventTime);
        all.extend(of(&self.processing_timers, TimeDomain::ProcessingTime));
        all.sort_by_key(|t| (t.timestamp, t.domain));
        all
    }

    /// Removes and returns the timers of `domain` due at `now`, in time order.
    pub(crate) fn take_due(&mut self, domain: TimeDomain, now: i64) -> Vec<Timer> {
        let set = match domain {
            TimeDomain::EventTime => &mut self.event_timers,
            TimeDomain::ProcessingTime => &mut self.processing_timers,
        };
        let later = now
            .checked_add(1)
            .map_or_else(BTreeSet::new, |next| set.split_off(&(next, Vec::new())));
        let due = std::mem::replace(set, later);
        due.into_iter()
            .map(|(timestamp, key)| Timer {
                key: Some(key),
                timestamp,
                domain,
            })
            .collect()
    }
}

/// Whether an entry written at `s.written` is still alive at `now`: it lives
/// for `ttl_ms` milliseconds of processing time after its last write.
fn live_at(now: i64, ttl_ms: Option<u64>, s: &Stamped) -> bool {
    ttl_ms.is_none_or(|ttl| {
        now < s
            .written
            .saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX))
    })
}

pub(crate) mod sys;
