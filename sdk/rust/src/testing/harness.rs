//! Runs an [`Operator`] natively against the in-process host.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::rc::Rc;

use serde::de::DeserializeOwned;

use super::ConfigSource;
use super::host::{LogLine, NativeHost, enter};
use crate::{Operator, Record, Result, TaskInfo, TimeDomain, Timer, runtime};

/// Runs an operator natively: the same code as in the Wasm component, with
/// the host calls answered in memory.
///
/// ```
/// use weir_sdk::prelude::*;
/// use weir_sdk::testing::Harness;
///
/// struct Count { n: ValueState<u64> }
/// impl Operator for Count {
///     type Config = ();
///     fn open(ctx: &mut OpenContext, _: ()) -> Result<Self> {
///         Ok(Count { n: ctx.value_state("n")? })
///     }
///     fn process(&mut self, ctx: &mut Context, _: Record) -> Result<()> {
///         let n = self.n.update(|n| n.unwrap_or(0) + 1)?;
///         ctx.emit(Record::new(n.to_string()));
///         Ok(())
///     }
/// }
///
/// let mut h = Harness::<Count>::new(()).unwrap();
/// h.process(Record::keyed("a", "x").with_timestamp(1)).unwrap();
/// h.process(Record::keyed("a", "y").with_timestamp(2)).unwrap();
/// assert_eq!(h.value::<u64>("a", "n"), Some(2));
/// assert_eq!(h.take_emitted()[1], Record::new("2").with_timestamp(2));
/// ```
pub struct Harness<O: Operator> {
    host: Rc<RefCell<NativeHost>>,
    op: O,
}

impl<O: Operator> std::fmt::Debug for Harness<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// Sets up a [`Harness`] before `open`.
pub struct HarnessBuilder<O> {
    host: NativeHost,
    _op: PhantomData<fn() -> O>,
}

impl<O> std::fmt::Debug for HarnessBuilder<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HarnessBuilder")
            .field("host", &self.host)
            .finish()
    }
}

impl<O: Operator> HarnessBuilder<O> {
    /// Where the instance pretends to sit in a job (default: job and operator
    /// `test`, subtask 0 of 1, 128 key groups).
    pub fn task_info(mut self, info: TaskInfo) -> Self {
        self.host.task_info = info;
        self
    }

    /// The starting wall clock (default 0).
    pub fn processing_time(mut self, at: i64) -> Self {
        self.host.processing_time = at;
        self
    }

    /// The starting watermark (default `i64::MIN`).
    pub fn watermark(mut self, at: i64) -> Self {
        self.host.watermark = at;
        self
    }

    /// Declares the job's side outputs; emitting to another one then fails
    /// with [`HostError::UnknownOutput`](crate::HostError::UnknownOutput).
    /// By default any name is accepted.
    pub fn side_outputs<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.host.declared_outputs =
            Some(names.into_iter().map(Into::into).collect::<BTreeSet<_>>());
        self
    }

    /// Calls the operator's `open` with `config`.
    pub fn open(self, config: impl ConfigSource) -> Result<Harness<O>> {
        let host = Rc::new(RefCell::new(self.host));
        let op = {
            let _entered = enter(&host);
            runtime::open::<O>(&config.into_config_text())?
        };
        Ok(Harness { host, op })
    }
}

impl<O: Operator> Harness<O> {
    /// Opens the operator with `config` (JSON text, a JSON value, or `()`).
    pub fn new(config: impl ConfigSource) -> Result<Self> {
        Self::builder().open(config)
    }

    /// A builder to set the task info, clocks or side outputs first.
    pub fn builder() -> HarnessBuilder<O> {
        HarnessBuilder {
            host: NativeHost::default(),
            _op: PhantomData,
        }
    }

    fn call(
        &mut self,
        elements: Vec<(Option<Vec<u8>>, Option<i64>)>,
        f: impl FnOnce(&mut O) -> Result<()>,
    ) -> Result<()> {
        self.host.borrow_mut().begin(elements);
        let result = {
            let _entered = enter(&self.host);
            f(&mut self.op)
        };
        self.host.borrow_mut().end();
        result
    }

    /// Delivers one record, as a batch of one.
    pub fn process(&mut self, record: Record) -> Result<()> {
        self.process_batch(vec![record])
    }

    /// Delivers records as one batch, in order, as the host does (packed
    /// and unpacked on the way, as on Wasm).
    pub fn process_batch(&mut self, batch: Vec<Record>) -> Result<()> {
        let elements = batch.iter().map(|r| (r.key.clone(), r.timestamp)).collect();
        let packed = runtime::pack(&batch);
        self.call(elements, |op| {
            runtime::process(op, runtime::unpack_records(&packed)?)
        })
    }

    /// Raises the watermark to `at` (it never goes back) and fires the due
    /// event-time timers (time at or below the watermark) in time order, one
    /// batch per round, until none is due.
    pub fn advance_watermark(&mut self, at: i64) -> Result<()> {
        {
            let mut host = self.host.borrow_mut();
            host.watermark = host.watermark.max(at);
        }
        self.fire(TimeDomain::EventTime)
    }

    /// Moves the wall clock to `at` (it never goes back) and fires the due
    /// processing-time timers as [`advance_watermark`](Self::advance_watermark)
    /// does. State TTL counts on this clock.
    pub fn advance_processing_time(&mut self, at: i64) -> Result<()> {
        {
            let mut host = self.host.borrow_mut();
            host.processing_time = host.processing_time.max(at);
        }
        self.fire(TimeDomain::ProcessingTime)
    }

    fn fire(&mut self, domain: TimeDomain) -> Result<()> {
        loop {
            let due = {
                let mut host = self.host.borrow_mut();
                let now = match domain {
                    TimeDomain::EventTime => host.watermark,
                    TimeDomain::ProcessingTime => host.processing_time,
                };
                host.take_due(domain, now)
            };
            if due.is_empty() {
                return Ok(());
            }
            let elements = due
                .iter()
                .map(|t| (t.key.clone(), Some(t.timestamp)))
                .collect();
            let mut packed = Vec::new();
            for t in &due {
                let processing = t.domain == TimeDomain::ProcessingTime;
                weir_types::packed::push_timer(
                    &mut packed,
                    t.key.as_deref(),
                    t.timestamp,
                    processing,
                );
            }
            self.call(elements, |op| {
                runtime::on_timer(op, runtime::unpack_timers(&packed)?)
            })?;
        }
    }

    /// Calls the operator's `close`.
    pub fn close(&mut self) -> Result<()> {
        self.call(Vec::new(), |op| runtime::close(op))
    }

    /// The records sent to the main output so far.
    pub fn emitted(&self) -> Vec<Record> {
        self.host.borrow().emitted.clone()
    }

    /// Takes the records sent to the main output so far.
    pub fn take_emitted(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.host.borrow_mut().emitted)
    }

    /// The records sent to side output `name` so far.
    pub fn side_output(&self, name: &str) -> Vec<Record> {
        self.host
            .borrow()
            .side
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    /// Takes the records sent to side output `name` so far.
    pub fn take_side_output(&mut self, name: &str) -> Vec<Record> {
        self.host.borrow_mut().side.remove(name).unwrap_or_default()
    }

    /// The value state `state` of `key` (`None` if unset or expired).
    ///
    /// # Panics
    /// If no such value state is registered or the bytes are not a `T`.
    pub fn value<T: DeserializeOwned>(&self, key: impl AsRef<[u8]>, state: &str) -> Option<T> {
        let key = key.as_ref();
        let bytes = self.host.borrow().peek_value(key, state);
        bytes.map(|b| decode(state, key, &b))
    }

    /// The map state `state` of `key`, ordered by encoded map key.
    ///
    /// # Panics
    /// If no such map state is registered or the bytes are not `(K, V)`.
    pub fn map<K: DeserializeOwned, V: DeserializeOwned>(
        &self,
        key: impl AsRef<[u8]>,
        state: &str,
    ) -> Vec<(K, V)> {
        let key = key.as_ref();
        let entries = self.host.borrow().peek_map(key, state);
        entries
            .iter()
            .map(|(k, v)| (decode(state, key, k), decode(state, key, v)))
            .collect()
    }

    /// The list state `state` of `key`.
    ///
    /// # Panics
    /// If no such list state is registered or the bytes are not `T`s.
    pub fn list<T: DeserializeOwned>(&self, key: impl AsRef<[u8]>, state: &str) -> Vec<T> {
        let key = key.as_ref();
        let items = self.host.borrow().peek_list(key, state);
        items.iter().map(|b| decode(state, key, b)).collect()
    }

    /// The pending timers of `key`, in time order.
    pub fn timers(&self, key: impl AsRef<[u8]>) -> Vec<Timer> {
        self.host.borrow().timers_of(key.as_ref())
    }

    /// The current watermark.
    pub fn watermark(&self) -> i64 {
        self.host.borrow().watermark
    }

    /// The current wall clock.
    pub fn processing_time(&self) -> i64 {
        self.host.borrow().processing_time
    }

    /// The lines logged so far.
    pub fn logs(&self) -> Vec<LogLine> {
        self.host.borrow().logs.clone()
    }

    /// The counter `name` (0 if never added to).
    pub fn counter(&self, name: &str) -> u64 {
        self.host.borrow().counters.get(name).copied().unwrap_or(0)
    }

    /// The last value of gauge `name`.
    pub fn gauge(&self, name: &str) -> Option<f64> {
        self.host.borrow().gauges.get(name).copied()
    }

    /// The observations of histogram `name`, in order.
    pub fn histogram(&self, name: &str) -> Vec<f64> {
        self.host
            .borrow()
            .histograms
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    /// The operator instance.
    pub fn operator(&self) -> &O {
        &self.op
    }

    /// How many times the operator told the host to switch elements.
    #[cfg(test)]
    pub(crate) fn set_current_calls(&self) -> usize {
        self.host.borrow().set_current_calls
    }

    /// How many times the operator sent output to the host.
    #[cfg(test)]
    pub(crate) fn emit_calls(&self) -> usize {
        self.host.borrow().emit_calls
    }
}

fn decode<T: DeserializeOwned>(state: &str, key: &[u8], bytes: &[u8]) -> T {
    postcard::from_bytes(bytes).unwrap_or_else(|e| {
        panic!(
            "state `{state}` of key {:?} does not decode as {}: {e}",
            String::from_utf8_lossy(key),
            std::any::type_name::<T>()
        )
    })
}
