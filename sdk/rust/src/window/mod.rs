//! Event-time windows on keyed state and timers: tumbling, sliding and
//! session (merging) windows with allowed lateness, as in Flink.
//!
//! Implement a [`WindowAggregate`] (how records fold into an accumulator and
//! what a window emits) and export [`Windowed<A>`](Windowed), an
//! [`Operator`](crate::Operator) configured by [`WindowedConfig`]:
//!
//! ```
//! use weir_sdk::prelude::*;
//! use weir_sdk::window::{Window, WindowAggregate, Windowed};
//!
//! /// Counts records per key and window.
//! pub struct Count;
//!
//! impl WindowAggregate for Count {
//!     type Config = ();
//!     type Acc = u64;
//!     fn new(_: ()) -> Result<Self> { Ok(Count) }
//!     fn create(&self) -> u64 { 0 }
//!     fn add(&self, acc: &mut u64, _: &Record) -> Result<()> { *acc += 1; Ok(()) }
//!     fn merge(&self, a: u64, b: u64) -> u64 { a + b }
//!     fn emit(&self, _key: &[u8], w: Window, n: &u64) -> Result<Vec<Record>> {
//!         Ok(vec![Record::new(format!("[{}, {}): {n}", w.start, w.end))])
//!     }
//! }
//!
//! weir_sdk::export_operator!(Windowed<Count>);
//!
//! // In a test:
//! use weir_sdk::testing::Harness;
//! let config = r#"{"window": {"kind": "tumbling", "size_ms": 10}}"#;
//! let mut h = Harness::<Windowed<Count>>::new(config).unwrap();
//! h.process(Record::keyed("k", "a").with_timestamp(3)).unwrap();
//! h.process(Record::keyed("k", "b").with_timestamp(7)).unwrap();
//! h.advance_watermark(9).unwrap();
//! let out = h.take_emitted();
//! assert_eq!(out, vec![Record::keyed("k", "[0, 10): 2").with_timestamp(9)]);
//! ```
//!
//! # Semantics
//! - A window `[start, end)` holds records with `start <= timestamp < end`.
//!   It fires when the watermark reaches `end - 1` (its *max timestamp*),
//!   emitting [`WindowAggregate::emit`]'s records. A record emitted without
//!   a key gets the window's key; without a timestamp, `end - 1`.
//! - With `allowed_lateness_ms = L` a window's state is kept until the
//!   watermark reaches `end - 1 + L`. A record for a window that has fired but
//!   is still kept (*late but allowed*) updates it and **re-fires it at once**:
//!   the window emits its complete updated result again (not a delta), so a
//!   consumer should treat a later result for the same key and window as
//!   replacing the earlier one.
//! - A record none of whose windows is still kept goes to the side output
//!   `late_output` (default `"late"`; `null` drops it) unchanged, and counts
//!   in the metric `weir_window_late_records`.
//! - Session windows start as `[t, t + gap)` per record and merge with every
//!   session they overlap or touch (as Flink's `TimeWindow.intersects`), so
//!   records at most `gap` apart share a session. Merging combines the
//!   accumulators with [`WindowAggregate::merge`].
//! - Input must be keyed and carry timestamps; other records fail the call
//!   with [`Error::BadInput`](crate::Error::BadInput).
//! - The windows of a key are one map state named [`WINDOW_STATE`], from
//!   [`Window`] to the accumulator (inspect it with
//!   [`Harness::map`](crate::testing::Harness::map)).

mod assign;
mod config;
mod operator;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use config::{WindowKind, WindowedConfig};
pub use operator::{WINDOW_STATE, Windowed};

use crate::{Record, Result};

/// A time window `[start, end)` in event-time milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Window {
    /// First millisecond in the window.
    pub start: i64,
    /// First millisecond after the window.
    pub end: i64,
}

impl Window {
    /// The last millisecond in the window, `end - 1`: the window fires when
    /// the watermark reaches it.
    pub fn max_timestamp(&self) -> i64 {
        self.end - 1
    }

    /// Whether `timestamp` falls in the window.
    pub fn contains(&self, timestamp: i64) -> bool {
        self.start <= timestamp && timestamp < self.end
    }
}

/// What a [`Windowed`] operator computes per key and window.
pub trait WindowAggregate: Sized + 'static {
    /// The aggregate's own settings, under `aggregate` in the operator's
    /// config (`()` when it has none).
    type Config: DeserializeOwned;
    /// What is kept per key and window, in keyed state.
    type Acc: Serialize + DeserializeOwned;

    /// Builds the aggregate from its config when the operator opens.
    fn new(config: Self::Config) -> Result<Self>;
    /// An empty accumulator for a new window.
    fn create(&self) -> Self::Acc;
    /// Folds one record into a window's accumulator.
    fn add(&self, acc: &mut Self::Acc, record: &Record) -> Result<()>;
    /// Combines the accumulators of two session windows that merge.
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// The records a window emits when it fires.
    fn emit(&self, key: &[u8], window: Window, acc: &Self::Acc) -> Result<Vec<Record>>;
}
