//! A map per key.

use std::borrow::Borrow;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Handle, codec};
use crate::Result;
use crate::host::sys;

/// A map from `K` to `V` per key. Entries are listed ordered by their
/// postcard-encoded key bytes (see the [module docs](super)).
///
/// Lookups take any borrowed form of `K` that encodes the same way, such as
/// `&str` for `String`:
///
/// ```
/// # use weir_sdk::prelude::*;
/// # fn f(per_merchant: &MapState<String, u64>) -> Result<()> {
/// let n = per_merchant.get("acme")?.unwrap_or(0);
/// per_merchant.insert("acme", &(n + 1))?;
/// # Ok(()) }
/// ```
pub struct MapState<K, V> {
    handle: Handle,
    _entry: PhantomData<fn() -> (K, V)>,
}

impl<K, V> std::fmt::Debug for MapState<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("MapState").field(&self.handle.name).finish()
    }
}

impl<K, V> MapState<K, V> {
    pub(super) fn new(handle: Handle) -> Self {
        MapState {
            handle,
            _entry: PhantomData,
        }
    }

    /// The state's name.
    pub fn name(&self) -> &str {
        &self.handle.name
    }

    /// Removes every entry of the current key's map.
    pub fn clear(&self) -> Result<()> {
        Ok(sys::state_clear(self.handle.id)?)
    }
}

impl<K, V> MapState<K, V>
where
    K: Serialize + DeserializeOwned,
    V: Serialize + DeserializeOwned,
{
    /// The value under `key`, if any.
    pub fn get<Q>(&self, key: &Q) -> Result<Option<V>>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        codec::with_encoded(&self.handle.name, key, |k| {
            sys::map_get(self.handle.id, k)?
                .map(|bytes| codec::decode(&self.handle.name, &bytes))
                .transpose()
        })
    }

    /// Whether there is a value under `key`.
    pub fn contains_key<Q>(&self, key: &Q) -> Result<bool>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        codec::with_encoded(&self.handle.name, key, |k| {
            Ok(sys::map_get(self.handle.id, k)?.is_some())
        })
    }

    /// Puts `value` under `key`, replacing any value there.
    pub fn insert<Q>(&self, key: &Q, value: &V) -> Result<()>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let name = &self.handle.name;
        codec::with_encoded(name, key, |k| {
            codec::with_encoded(name, value, |v| Ok(sys::map_put(self.handle.id, k, v)?))
        })
    }

    /// Removes the value under `key`, if any.
    pub fn remove<Q>(&self, key: &Q) -> Result<()>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        codec::with_encoded(&self.handle.name, key, |k| {
            Ok(sys::map_remove(self.handle.id, k)?)
        })
    }

    /// All entries, ordered by encoded key bytes.
    pub fn entries(&self) -> Result<Vec<(K, V)>> {
        sys::map_entries(self.handle.id)?
            .into_iter()
            .map(|(k, v)| {
                Ok((
                    codec::decode(&self.handle.name, &k)?,
                    codec::decode(&self.handle.name, &v)?,
                ))
            })
            .collect()
    }

    /// All keys, ordered by their encoded bytes.
    pub fn keys(&self) -> Result<Vec<K>> {
        sys::map_entries(self.handle.id)?
            .into_iter()
            .map(|(k, _)| codec::decode(&self.handle.name, &k))
            .collect()
    }

    /// Whether the current key's map has no entries.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(sys::map_entries(self.handle.id)?.is_empty())
    }
}
