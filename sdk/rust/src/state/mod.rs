//! Keyed state: typed handles over the bytes the host keeps per key.
//!
//! State lives in the host, never in guest memory, so it is checkpointed,
//! rescaled and kept across upgrades. Every handle reads and writes the entry
//! of the *current key* (the key of the record or timer being handled), so it
//! is used from `process` and `on_timer`; with no current key the host answers
//! [`HostError::NoCurrentKey`](crate::HostError::NoCurrentKey).
//!
//! Values (and map keys) are encoded with [`postcard`]: compact, and the same
//! on every target. A [`MapState`] lists its entries ordered by the *encoded*
//! key bytes, which for integers is not numeric order (postcard writes
//! varints; zig-zag for signed ones): sort the entries if order matters.
//!
//! Register handles in [`Operator::open`](crate::Operator::open) with
//! [`OpenContext::value_state`](crate::OpenContext::value_state) and friends,
//! or with a [`StateDescriptor`] to set a TTL. The same name registered twice
//! returns the same state; registering it as another kind or TTL is an error.

mod codec;
mod list;
mod map;
mod value;

use std::marker::PhantomData;
use std::time::Duration;

pub use list::ListState;
pub use map::MapState;
pub use value::ValueState;

use crate::Result;
use crate::host::{StateKind, sys};

/// Describes a state before it is registered: its name, shape and TTL.
///
/// ```
/// # use weir_sdk::prelude::*;
/// # use std::time::Duration;
/// let seen: StateDescriptor<MapState<String, u64>> =
///     StateDescriptor::map("seen").ttl(Duration::from_secs(60));
/// assert_eq!(seen.name(), "seen");
/// ```
pub struct StateDescriptor<S> {
    name: String,
    ttl: Option<Duration>,
    _handle: PhantomData<fn() -> S>,
}

impl<S> std::fmt::Debug for StateDescriptor<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateDescriptor")
            .field("name", &self.name)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl<T> StateDescriptor<ValueState<T>> {
    /// One value per key.
    pub fn value(name: impl Into<String>) -> Self {
        StateDescriptor::new(name.into())
    }
}

impl<K, V> StateDescriptor<MapState<K, V>> {
    /// A map from user key to value per key.
    pub fn map(name: impl Into<String>) -> Self {
        StateDescriptor::new(name.into())
    }
}

impl<T> StateDescriptor<ListState<T>> {
    /// A list of values per key.
    pub fn list(name: impl Into<String>) -> Self {
        StateDescriptor::new(name.into())
    }
}

impl<S> StateDescriptor<S> {
    fn new(name: String) -> Self {
        StateDescriptor {
            name,
            ttl: None,
            _handle: PhantomData,
        }
    }

    /// Entries expire this long (of processing time) after their last write;
    /// an expired entry reads as absent. Whole milliseconds count.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// The state's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<S: StateHandle> StateDescriptor<S> {
    pub(crate) fn register(self) -> Result<S> {
        let ttl_ms = self
            .ttl
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let id = sys::state_register(&self.name, S::KIND, ttl_ms)?;
        Ok(S::from_parts(id, self.name))
    }
}

/// A typed state handle: [`ValueState`], [`MapState`] or [`ListState`].
pub trait StateHandle: sealed::Sealed {}

impl<T> StateHandle for ValueState<T> {}
impl<K, V> StateHandle for MapState<K, V> {}
impl<T> StateHandle for ListState<T> {}

pub(crate) mod sealed {
    /// Keeps [`super::StateHandle`] closed to the three handles.
    pub trait Sealed: Sized {
        #[doc(hidden)]
        const KIND: crate::host::StateKind;
        #[doc(hidden)]
        fn from_parts(id: u32, name: String) -> Self;
    }
}

/// What every handle holds: the host's id and the name for error messages.
#[derive(Clone, Debug)]
struct Handle {
    id: u32,
    name: String,
}

impl<T> sealed::Sealed for ValueState<T> {
    const KIND: StateKind = StateKind::Value;
    fn from_parts(id: u32, name: String) -> Self {
        ValueState::new(Handle { id, name })
    }
}

impl<K, V> sealed::Sealed for MapState<K, V> {
    const KIND: StateKind = StateKind::Map;
    fn from_parts(id: u32, name: String) -> Self {
        MapState::new(Handle { id, name })
    }
}

impl<T> sealed::Sealed for ListState<T> {
    const KIND: StateKind = StateKind::List;
    fn from_parts(id: u32, name: String) -> Self {
        ListState::new(Handle { id, name })
    }
}
