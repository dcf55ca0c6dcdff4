//! What operator code can see and do during a call.

use std::cell::Cell;

use crate::host::sys;
use crate::state::{ListState, MapState, StateDescriptor, StateHandle, ValueState};
use crate::{Record, Result};

/// Where this operator instance sits in the job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskInfo {
    /// The job's name.
    pub job_name: String,
    /// The operator's id in the job spec.
    pub operator_id: String,
    /// Which subtask this is, from 0.
    pub subtask_index: u32,
    /// How many subtasks the operator has.
    pub parallelism: u32,
    /// How many key groups keyed state is split into.
    pub max_parallelism: u32,
}

/// Handed to [`Operator::open`](crate::Operator::open): registers state.
#[derive(Debug)]
pub struct OpenContext {
    _private: (),
}

impl OpenContext {
    pub(crate) fn new() -> Self {
        OpenContext { _private: () }
    }

    /// Registers a state from a descriptor, which can carry a TTL:
    ///
    /// ```
    /// # use weir_sdk::prelude::*;
    /// # use std::time::Duration;
    /// # fn f(ctx: &mut OpenContext) -> Result<()> {
    /// let seen: ValueState<bool> =
    ///     ctx.state(StateDescriptor::value("seen").ttl(Duration::from_secs(3600)))?;
    /// # Ok(()) }
    /// ```
    pub fn state<S: StateHandle>(&mut self, descriptor: StateDescriptor<S>) -> Result<S> {
        descriptor.register()
    }

    /// Registers a [`ValueState`] without TTL.
    pub fn value_state<T>(&mut self, name: &str) -> Result<ValueState<T>> {
        self.state(StateDescriptor::value(name))
    }

    /// Registers a [`MapState`] without TTL.
    pub fn map_state<K, V>(&mut self, name: &str) -> Result<MapState<K, V>> {
        self.state(StateDescriptor::map(name))
    }

    /// Registers a [`ListState`] without TTL.
    pub fn list_state<T>(&mut self, name: &str) -> Result<ListState<T>> {
        self.state(StateDescriptor::list(name))
    }

    /// Where this instance sits in the job.
    pub fn task_info(&self) -> TaskInfo {
        sys::task_info()
    }
}

/// Handed to `process`, `on_timer` and `close`: the current element, time,
/// output and timers.
///
/// Emitted records are buffered and sent to the host in one batch per output
/// when the call ends.
#[derive(Debug, Default)]
pub struct Context {
    /// The current key's bytes (meaningful when `has_key`): a buffer reused
    /// from element to element, so switching keys does not allocate.
    key: Vec<u8>,
    has_key: bool,
    timestamp: Option<i64>,
    watermark: Cell<Option<i64>>,
    main: Vec<Record>,
    side: Vec<(String, Vec<Record>)>,
}

impl Context {
    pub(crate) fn new() -> Self {
        Context::default()
    }

    /// Makes an element current: `key` is compared with the previous one so
    /// the caller knows whether the host must be told.
    pub(crate) fn set_current(&mut self, key: Option<&[u8]>, timestamp: Option<i64>) -> bool {
        self.timestamp = timestamp;
        if self.key() == key {
            return false;
        }
        self.key.clear();
        self.key.extend_from_slice(key.unwrap_or_default());
        self.has_key = key.is_some();
        true
    }

    /// The current key: the key of the record or timer being handled.
    pub fn key(&self) -> Option<&[u8]> {
        self.has_key.then_some(self.key.as_slice())
    }

    /// The event time of the record or timer being handled.
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }

    /// The operator's event-time watermark (minimum over its inputs). It does
    /// not change during a call.
    pub fn watermark(&self) -> i64 {
        match self.watermark.get() {
            Some(w) => w,
            None => {
                let w = sys::current_watermark();
                self.watermark.set(Some(w));
                w
            }
        }
    }

    /// The worker's wall clock in milliseconds since the Unix epoch.
    pub fn processing_time(&self) -> i64 {
        sys::processing_time()
    }

    /// Where this instance sits in the job.
    pub fn task_info(&self) -> TaskInfo {
        sys::task_info()
    }

    /// Sends a record to the main output. Without a timestamp it takes the
    /// current element's.
    pub fn emit(&mut self, record: Record) {
        let record = self.stamp(record);
        self.main.push(record);
    }

    /// Sends a record to the side output `output`, which the job must
    /// declare. Without a timestamp it takes the current element's.
    pub fn emit_side(&mut self, output: &str, record: Record) {
        let record = self.stamp(record);
        match self.side.iter_mut().find(|(name, _)| name == output) {
            Some((_, records)) => records.push(record),
            None => self.side.push((output.to_owned(), vec![record])),
        }
    }

    /// Timers of the current key.
    ///
    /// ```
    /// # use weir_sdk::prelude::*;
    /// # fn f(ctx: &mut Context) -> Result<()> {
    /// ctx.timers().register_event_time(ctx.timestamp().unwrap_or(0) + 1_000)?;
    /// ctx.timers().register_processing_time(ctx.processing_time() + 60_000)?;
    /// # Ok(()) }
    /// ```
    pub fn timers(&self) -> Timers<'_> {
        Timers { _ctx: self }
    }

    fn stamp(&self, mut record: Record) -> Record {
        if record.timestamp.is_none() {
            record.timestamp = self.timestamp;
        }
        record
    }

    /// Sends the buffered output: one host call per output.
    pub(crate) fn flush(&mut self) -> Result<()> {
        if !self.main.is_empty() {
            sys::emit(std::mem::take(&mut self.main))?;
        }
        for (output, records) in std::mem::take(&mut self.side) {
            sys::emit_side(&output, records)?;
        }
        Ok(())
    }
}

/// Registers and deletes timers of the current key. Registering the same time
/// twice keeps one timer.
#[derive(Debug)]
pub struct Timers<'a> {
    _ctx: &'a Context,
}

impl Timers<'_> {
    /// A timer that fires when the watermark reaches `at`.
    pub fn register_event_time(&self, at: i64) -> Result<()> {
        Ok(sys::register_event_time(at)?)
    }

    /// Deletes the event-time timer at `at`, if any.
    pub fn delete_event_time(&self, at: i64) -> Result<()> {
        Ok(sys::delete_event_time(at)?)
    }

    /// A timer that fires when the wall clock reaches `at`.
    pub fn register_processing_time(&self, at: i64) -> Result<()> {
        Ok(sys::register_processing_time(at)?)
    }

    /// Deletes the processing-time timer at `at`, if any.
    pub fn delete_processing_time(&self, at: i64) -> Result<()> {
        Ok(sys::delete_processing_time(at)?)
    }
}
