//! One value per key.

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Handle, codec};
use crate::Result;
use crate::host::sys;

/// One value of type `T` per key.
///
/// ```
/// # use weir_sdk::prelude::*;
/// # fn f(count: &ValueState<u64>) -> Result<()> {
/// let n = count.update(|n| n.unwrap_or(0) + 1)?;
/// if n > 10 {
///     count.clear()?;
/// }
/// # Ok(()) }
/// ```
pub struct ValueState<T> {
    handle: Handle,
    _value: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ValueState<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ValueState")
            .field(&self.handle.name)
            .finish()
    }
}

impl<T> ValueState<T> {
    pub(super) fn new(handle: Handle) -> Self {
        ValueState {
            handle,
            _value: PhantomData,
        }
    }

    /// The state's name.
    pub fn name(&self) -> &str {
        &self.handle.name
    }

    /// Removes the current key's value.
    pub fn clear(&self) -> Result<()> {
        Ok(sys::state_clear(self.handle.id)?)
    }
}

impl<T: Serialize + DeserializeOwned> ValueState<T> {
    /// The current key's value, if set (and not expired).
    pub fn get(&self) -> Result<Option<T>> {
        sys::value_get(self.handle.id)?
            .map(|bytes| codec::decode(&self.handle.name, &bytes))
            .transpose()
    }

    /// Sets the current key's value.
    pub fn set(&self, value: &T) -> Result<()> {
        codec::with_encoded(&self.handle.name, value, |bytes| {
            Ok(sys::value_set(self.handle.id, bytes)?)
        })
    }

    /// Reads the value, computes the new one, stores and returns it.
    pub fn update(&self, f: impl FnOnce(Option<T>) -> T) -> Result<T> {
        let new = f(self.get()?);
        self.set(&new)?;
        Ok(new)
    }
}
