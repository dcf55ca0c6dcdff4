//! A list per key.

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Handle, codec};
use crate::Result;
use crate::host::sys;

/// A list of `T` per key, in insertion order.
///
/// ```
/// # use weir_sdk::prelude::*;
/// # fn f(recent: &ListState<u64>) -> Result<()> {
/// recent.add(&42)?;
/// let mut all = recent.get()?;
/// all.retain(|v| *v > 10);
/// recent.update(&all)?;
/// # Ok(()) }
/// ```
pub struct ListState<T> {
    handle: Handle,
    _item: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ListState<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ListState").field(&self.handle.name).finish()
    }
}

impl<T> ListState<T> {
    pub(super) fn new(handle: Handle) -> Self {
        ListState {
            handle,
            _item: PhantomData,
        }
    }

    /// The state's name.
    pub fn name(&self) -> &str {
        &self.handle.name
    }

    /// Empties the current key's list.
    pub fn clear(&self) -> Result<()> {
        Ok(sys::state_clear(self.handle.id)?)
    }
}

impl<T: Serialize + DeserializeOwned> ListState<T> {
    /// The current key's list (empty if none).
    pub fn get(&self) -> Result<Vec<T>> {
        sys::list_get(self.handle.id)?
            .iter()
            .map(|bytes| codec::decode(&self.handle.name, bytes))
            .collect()
    }

    /// Appends one value.
    pub fn add(&self, value: &T) -> Result<()> {
        codec::with_encoded(&self.handle.name, value, |bytes| {
            Ok(sys::list_add(self.handle.id, bytes)?)
        })
    }

    /// Replaces the whole list.
    pub fn update(&self, values: &[T]) -> Result<()> {
        let encoded = values
            .iter()
            .map(|v| codec::encode(&self.handle.name, v))
            .collect::<Result<Vec<_>>>()?;
        Ok(sys::list_update(self.handle.id, &encoded)?)
    }
}
