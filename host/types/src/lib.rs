#![doc = include_str!("../README.md")]

mod element;
mod keygroup;
pub mod packed;
mod packed_batch;
mod record;
pub mod short_value;
pub mod state_ops;
mod wire;

pub use element::{Barrier, Element};
pub use keygroup::{KeyGroupRange, assign_to_subtask, key_group_for, key_group_range};
pub use packed_batch::PackedBatch;
pub use record::Record;

/// Event time or processing time in milliseconds since the Unix epoch.
pub type Millis = i64;

/// The watermark before any watermark has been seen.
pub const MIN_WATERMARK: Millis = i64::MIN;

/// The watermark a finished input reports: everything has been seen.
pub const MAX_WATERMARK: Millis = i64::MAX;

/// Default number of key groups, as in Flink.
pub const DEFAULT_MAX_PARALLELISM: u32 = 128;
