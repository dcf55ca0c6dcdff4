//! [`KeyedStateBackend`] for [`RocksDbBackend`]: the per-record operations.
//!
//! Each call reads what it needs to count bytes exactly as the heap backend
//! does (the old element's size, whether a map or list exists), checks the
//! quota, and only then writes, so a failing call changes nothing. Reads and
//! writes go through the backend's write-back cache ([`crate::cache`]).

use std::path::Path;

use weir_state::quota::{element_bytes, map_entry_bytes};
use weir_state::ttl::expired;
use weir_state::{
    BackendSnapshot, KeyScope, KeyedStateBackend, Result, SnapshotKind, StateDescriptor, StateId,
    StateKind,
};
use weir_types::KeyGroupRange;

use crate::backend::{item, list, scan_done};
use crate::layout;
use crate::{RocksDbBackend, canonical, native};

impl RocksDbBackend {
    /// Checks `id` is a `kind` state and the scope's key group is owned (in
    /// the heap backend's order): the TTL, the key group's index and the
    /// record key of a value or list.
    #[inline]
    fn locate(
        &self,
        id: StateId,
        kind: StateKind,
        scope: KeyScope<'_>,
    ) -> Result<(Option<u64>, usize, Vec<u8>)> {
        let ttl = self.registry.expect(id, kind)?;
        let gi = self.group_index(scope.key_group)?;
        Ok((ttl, gi, layout::plain_key(scope.key_group, id, scope.key)))
    }

    /// [`locate`](Self::locate) for a map: the prefix of the key's entries.
    fn locate_map(
        &self,
        id: StateId,
        scope: KeyScope<'_>,
    ) -> Result<(Option<u64>, usize, Vec<u8>)> {
        let ttl = self.registry.expect(id, StateKind::Map)?;
        let gi = self.group_index(scope.key_group)?;
        Ok((ttl, gi, layout::map_prefix(scope.key_group, id, scope.key)))
    }

    /// Deletes one record and books `freed` bytes.
    fn delete(&mut self, gi: usize, key: Vec<u8>, freed: u64) -> Result<()> {
        self.stage(key, None)?;
        self.apply(gi, freed, 0);
        Ok(())
    }
}

impl KeyedStateBackend for RocksDbBackend {
    fn register(&mut self, descriptor: &StateDescriptor) -> Result<StateId> {
        let mut registry = self.registry.clone();
        let registration = registry.register(descriptor)?;
        let id = registration.id();
        if registration.changed() {
            let mut batch = rocksdb::WriteBatch::default();
            self.put_descriptors(&mut batch, &registry, [id]);
            self.write(batch)?;
            tracing::debug!(state = %descriptor.name, kind = %descriptor.kind, "registered state");
        }
        self.registry = registry;
        Ok(id)
    }

    fn clear(&mut self, id: StateId, scope: KeyScope<'_>) -> Result<()> {
        let kind = self.registry.get(id)?.kind;
        let gi = self.group_index(scope.key_group)?;
        let mut deleted = Vec::new();
        let mut freed = 0;
        match kind {
            StateKind::Value | StateKind::List => {
                let key = layout::plain_key(scope.key_group, id, scope.key);
                let Some(record) = self.get(&key)? else {
                    return Ok(());
                };
                freed = scope.key.len() as u64
                    + match kind {
                        StateKind::Value => element_bytes(item(&record)?.1.len()),
                        _ => list(&record)?
                            .iter()
                            .map(|(_, v)| element_bytes(v.len()))
                            .sum(),
                    };
                deleted.push(key);
            }
            StateKind::Map => {
                let prefix = layout::map_prefix(scope.key_group, id, scope.key);
                let mut it = self.scan(&prefix)?;
                while let Some((key, record)) = it.item() {
                    let map_key_len = key.len() - prefix.len();
                    freed += map_entry_bytes(scope.key.len(), map_key_len, item(record)?.1.len());
                    deleted.push(key.to_vec());
                    it.next();
                }
                scan_done(&it)?;
                if freed == 0 {
                    return Ok(());
                }
            }
        }
        for key in deleted {
            self.stage(key, None)?;
        }
        self.apply(gi, freed, 0);
        Ok(())
    }

    #[inline]
    fn value_get(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        now_ms: i64,
    ) -> Result<Option<Vec<u8>>> {
        let (ttl, gi, key) = self.locate(id, StateKind::Value, scope)?;
        let Some((written_at, value)) = self.get_item(&key)? else {
            return Ok(None);
        };
        if !expired(ttl, written_at, now_ms) {
            return Ok(Some(value));
        }
        let freed = scope.key.len() as u64 + element_bytes(value.len());
        self.delete(gi, key, freed)?;
        Ok(None)
    }

    #[inline]
    fn value_set(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        value: Vec<u8>,
        now_ms: i64,
    ) -> Result<()> {
        let (_, gi, key) = self.locate(id, StateKind::Value, scope)?;
        let removed = self.item_len(&key)?.map_or(0, element_bytes);
        let added = element_bytes(value.len())
            + if removed == 0 {
                scope.key.len() as u64
            } else {
                0
            };
        self.admit(removed, added)?;
        self.stage(key, Some(layout::encode_item(now_ms, &value)))?;
        self.apply(gi, removed, added);
        Ok(())
    }

    fn map_get(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        map_key: &[u8],
        now_ms: i64,
    ) -> Result<Option<Vec<u8>>> {
        let (ttl, gi, prefix) = self.locate_map(id, scope)?;
        let entry_key = [prefix.as_slice(), map_key].concat();
        let Some((written_at, value)) = self.get_item(&entry_key)? else {
            return Ok(None);
        };
        if !expired(ttl, written_at, now_ms) {
            return Ok(Some(value));
        }
        let entry_size = map_entry_bytes(scope.key.len(), map_key.len(), value.len());
        self.delete(gi, entry_key, entry_size)?;
        Ok(None)
    }

    fn map_put(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        map_key: Vec<u8>,
        value: Vec<u8>,
        now_ms: i64,
    ) -> Result<()> {
        let (_, gi, prefix) = self.locate_map(id, scope)?;
        let entry_key = [prefix.as_slice(), &map_key].concat();
        let added = map_entry_bytes(scope.key.len(), map_key.len(), value.len());
        let removed = self.item_len(&entry_key)?.map_or(0, |len| {
            map_entry_bytes(scope.key.len(), map_key.len(), len)
        });
        self.admit(removed, added)?;
        self.stage(entry_key, Some(layout::encode_item(now_ms, &value)))?;
        self.apply(gi, removed, added);
        Ok(())
    }

    fn map_remove(&mut self, id: StateId, scope: KeyScope<'_>, map_key: &[u8]) -> Result<()> {
        let (_, gi, prefix) = self.locate_map(id, scope)?;
        let entry_key = [prefix.as_slice(), map_key].concat();
        let Some(len) = self.item_len(&entry_key)? else {
            return Ok(());
        };
        let entry_size = map_entry_bytes(scope.key.len(), map_key.len(), len);
        self.delete(gi, entry_key, entry_size)
    }

    fn map_entries(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        now_ms: i64,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let (ttl, gi, prefix) = self.locate_map(id, scope)?;
        let mut entries = Vec::new();
        let mut expired_keys = Vec::new();
        let mut freed = 0;
        let mut it = self.scan(&prefix)?;
        while let Some((key, record)) = it.item() {
            let map_key = &key[prefix.len()..];
            let (written_at, value) = item(record)?;
            if expired(ttl, written_at, now_ms) {
                freed += map_entry_bytes(scope.key.len(), map_key.len(), value.len());
                expired_keys.push(key.to_vec());
            } else {
                entries.push((map_key.to_vec(), value.to_vec()));
            }
            it.next();
        }
        scan_done(&it)?;
        drop(it);
        if freed > 0 {
            for key in expired_keys {
                self.stage(key, None)?;
            }
            self.apply(gi, freed, 0);
        }
        Ok(entries)
    }

    fn list_get(&mut self, id: StateId, scope: KeyScope<'_>, now_ms: i64) -> Result<Vec<Vec<u8>>> {
        let (ttl, gi, key) = self.locate(id, StateKind::List, scope)?;
        let Some(record) = self.get(&key)? else {
            return Ok(Vec::new());
        };
        let items = list(&record)?;
        let (live, dead): (Vec<_>, Vec<_>) =
            items.iter().partition(|(at, _)| !expired(ttl, *at, now_ms));
        if !dead.is_empty() {
            let mut freed: u64 = dead.iter().map(|(_, v)| element_bytes(v.len())).sum();
            if live.is_empty() {
                freed += scope.key.len() as u64;
                self.stage(key, None)?;
            } else {
                let mut kept = Vec::with_capacity(record.len());
                for (at, v) in &live {
                    layout::push_list_item(&mut kept, *at, v);
                }
                self.stage(key, Some(kept))?;
            }
            self.apply(gi, freed, 0);
        }
        Ok(live.into_iter().map(|(_, v)| v.to_vec()).collect())
    }

    fn list_add(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        value: Vec<u8>,
        now_ms: i64,
    ) -> Result<()> {
        let (_, gi, key) = self.locate(id, StateKind::List, scope)?;
        let mut added = element_bytes(value.len());
        let mut record = match self.get(&key)? {
            Some(old) => old,
            None => {
                added += scope.key.len() as u64;
                Vec::new()
            }
        };
        self.admit(0, added)?;
        layout::push_list_item(&mut record, now_ms, &value);
        self.stage(key, Some(record))?;
        self.apply(gi, 0, added);
        Ok(())
    }

    fn list_update(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        values: Vec<Vec<u8>>,
        now_ms: i64,
    ) -> Result<()> {
        let (_, gi, key) = self.locate(id, StateKind::List, scope)?;
        let key_len = scope.key.len() as u64;
        let removed = match self.get(&key)? {
            Some(old) => {
                key_len
                    + list(&old)?
                        .iter()
                        .map(|(_, v)| element_bytes(v.len()))
                        .sum::<u64>()
            }
            None => 0,
        };
        let added = if values.is_empty() {
            0
        } else {
            key_len + values.iter().map(|v| element_bytes(v.len())).sum::<u64>()
        };
        self.admit(removed, added)?;
        if values.is_empty() {
            if removed == 0 {
                return Ok(());
            }
            self.stage(key, None)?;
        } else {
            let mut record = Vec::new();
            for v in &values {
                layout::push_list_item(&mut record, now_ms, v);
            }
            self.stage(key, Some(record))?;
        }
        self.apply(gi, removed, added);
        Ok(())
    }

    fn key_groups(&self) -> KeyGroupRange {
        self.range.clone()
    }

    fn state_bytes(&self) -> u64 {
        self.total
    }

    fn snapshot_key_group(&self, key_group: u32, out: &mut Vec<u8>) -> Result<()> {
        self.group_index(key_group)?;
        canonical::snapshot(self, key_group, out)
    }

    fn restore_key_group(&mut self, key_group: u32, bytes: &[u8]) -> Result<()> {
        let gi = self.group_index(key_group)?;
        // The restore writes to the database directly: what the cache
        // holds of this key group would be stale.
        self.flush_cache()?;
        self.cache.get_mut().clear();
        canonical::restore(self, gi, key_group, bytes)
    }

    /// A checkpoint is native (a RocksDB checkpoint in `scratch`, see
    /// [`NATIVE_FORMAT`](crate::NATIVE_FORMAT)); a savepoint is canonical.
    fn snapshot(&mut self, kind: SnapshotKind, scratch: &Path) -> Result<BackendSnapshot> {
        match kind {
            SnapshotKind::Checkpoint => {
                Ok(BackendSnapshot::Native(native::checkpoint(self, scratch)?))
            }
            SnapshotKind::Savepoint => {
                let mut blobs = Vec::with_capacity(self.range.len());
                for key_group in self.range.clone() {
                    let mut bytes = Vec::new();
                    self.snapshot_key_group(key_group, &mut bytes)?;
                    blobs.push(weir_state::KeyGroupBlob { key_group, bytes });
                }
                Ok(BackendSnapshot::KeyGroups(blobs))
            }
        }
    }
}
