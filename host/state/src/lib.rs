#![doc = include_str!("../README.md")]

mod backend;
mod checkpoint;
mod codec;
mod descriptor;
mod entry;
mod error;
pub mod hash;
mod heap;
pub mod quota;
mod registry;
pub mod snapshot;
mod timers;
pub mod ttl;

pub use backend::KeyedStateBackend;
pub use checkpoint::{BackendSnapshot, KeyGroupBlob, NativeFile, NativeSnapshot, SnapshotKind};
pub use descriptor::{KeyScope, StateDescriptor, StateId, StateKind};
pub use entry::ENTRY_OVERHEAD;
pub use error::{Result, StateError};
pub use heap::{HeapBackend, HeapOptions, group_index};
pub use registry::{Registration, Registry};
pub use timers::{FiredTimer, TimeDomain, TimerOptions, TimerService};
pub use weir_types::KeyGroupRange;
