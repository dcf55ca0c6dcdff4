//! [`KeyedStateBackend`] for [`HeapBackend`]: the per-record operations.

use weir_types::KeyGroupRange;

use super::table::{Table, purge_list, purge_map};
use super::{HeapBackend, restore};
use crate::entry::{Stamped, list_size, map_item_size};
use crate::registry::Registration;
use crate::ttl::expired;
use crate::{KeyScope, KeyedStateBackend, Result, StateDescriptor, StateId, StateKind};

impl KeyedStateBackend for HeapBackend {
    fn register(&mut self, descriptor: &StateDescriptor) -> Result<StateId> {
        let registration = self.registry.register(descriptor)?;
        if let Registration::Added(_) = registration {
            for group in &mut self.groups {
                group.tables.push(Table::new(descriptor.kind));
            }
            tracing::debug!(state = %descriptor.name, kind = %descriptor.kind, "registered state");
        }
        Ok(registration.id())
    }

    fn clear(&mut self, id: StateId, scope: KeyScope<'_>) -> Result<()> {
        self.registry.get(id)?;
        let gi = self.group_index(scope.key_group)?;
        let group = &mut self.groups[gi];
        let freed = group.tables[id.0 as usize].remove(scope.key);
        self.usage.apply(&mut group.bytes, freed, 0);
        Ok(())
    }

    #[inline]
    fn value_get(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        now_ms: i64,
    ) -> Result<Option<Vec<u8>>> {
        let ttl = self.registry.expect(id, StateKind::Value)?;
        let gi = self.group_index(scope.key_group)?;
        let group = &mut self.groups[gi];
        let table = group.tables[id.0 as usize].values();
        let Some(item) = table.get(scope.key) else {
            return Ok(None);
        };
        if !expired(ttl, item.written_at, now_ms) {
            return Ok(Some(item.value.clone()));
        }
        let freed = scope.key.len() as u64 + item.size();
        table.remove(scope.key);
        self.usage.apply(&mut group.bytes, freed, 0);
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
        self.registry.expect(id, StateKind::Value)?;
        let gi = self.group_index(scope.key_group)?;
        let group = &mut self.groups[gi];
        let table = group.tables[id.0 as usize].values();
        let item = Stamped::new(value, now_ms);
        let (removed, added) = match table.get_mut(scope.key) {
            Some(old) => {
                let (removed, added) = (old.size(), item.size());
                self.usage.admit(removed, added)?;
                *old = item;
                (removed, added)
            }
            None => {
                let added = scope.key.len() as u64 + item.size();
                self.usage.admit(0, added)?;
                table.insert(scope.key.into(), item);
                (0, added)
            }
        };
        self.usage.apply(&mut group.bytes, removed, added);
        Ok(())
    }

    fn map_get(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        map_key: &[u8],
        now_ms: i64,
    ) -> Result<Option<Vec<u8>>> {
        let ttl = self.registry.expect(id, StateKind::Map)?;
        let gi = self.group_index(scope.key_group)?;
        let group = &mut self.groups[gi];
        let table = group.tables[id.0 as usize].maps();
        let Some(map) = table.get_mut(scope.key) else {
            return Ok(None);
        };
        let Some(item) = map.get(map_key) else {
            return Ok(None);
        };
        if !expired(ttl, item.written_at, now_ms) {
            return Ok(Some(item.value.clone()));
        }
        let freed = map_item_size(scope.key.len(), map_key, item);
        map.remove(map_key);
        if map.is_empty() {
            table.remove(scope.key);
        }
        self.usage.apply(&mut group.bytes, freed, 0);
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
        self.registry.expect(id, StateKind::Map)?;
        let gi = self.group_index(scope.key_group)?;
        let group = &mut self.groups[gi];
        let table = group.tables[id.0 as usize].maps();
        let item = Stamped::new(value, now_ms);
        let key_len = scope.key.len();
        let added = map_item_size(key_len, &map_key, &item);
        let mut removed = 0;
        match table.get_mut(scope.key) {
            Some(map) => {
                removed = map
                    .get(&map_key)
                    .map_or(0, |old| map_item_size(key_len, &map_key, old));
                self.usage.admit(removed, added)?;
                map.insert(map_key, item);
            }
            None => {
                self.usage.admit(0, added)?;
                table.insert(scope.key.into(), [(map_key, item)].into());
            }
        }
        self.usage.apply(&mut group.bytes, removed, added);
        Ok(())
    }

    fn map_remove(&mut self, id: StateId, scope: KeyScope<'_>, map_key: &[u8]) -> Result<()> {
        self.registry.expect(id, StateKind::Map)?;
        let gi = self.group_index(scope.key_group)?;
        let group = &mut self.groups[gi];
        let table = group.tables[id.0 as usize].maps();
        let Some(map) = table.get_mut(scope.key) else {
            return Ok(());
        };
        let Some(old) = map.remove(map_key) else {
            return Ok(());
        };
        let freed = map_item_size(scope.key.len(), map_key, &old);
        if map.is_empty() {
            table.remove(scope.key);
        }
        self.usage.apply(&mut group.bytes, freed, 0);
        Ok(())
    }

    fn map_entries(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        now_ms: i64,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let ttl = self.registry.expect(id, StateKind::Map)?;
        let gi = self.group_index(scope.key_group)?;
        let group = &mut self.groups[gi];
        let table = group.tables[id.0 as usize].maps();
        let Some(map) = table.get_mut(scope.key) else {
            return Ok(Vec::new());
        };
        let mut freed = 0;
        if ttl.is_some() {
            freed = purge_map(scope.key.len(), map, |at| expired(ttl, at, now_ms));
            if map.is_empty() {
                table.remove(scope.key);
                self.usage.apply(&mut group.bytes, freed, 0);
                return Ok(Vec::new());
            }
        }
        let entries = map
            .iter()
            .map(|(k, item)| (k.clone(), item.value.clone()))
            .collect();
        self.usage.apply(&mut group.bytes, freed, 0);
        Ok(entries)
    }

    fn list_get(&mut self, id: StateId, scope: KeyScope<'_>, now_ms: i64) -> Result<Vec<Vec<u8>>> {
        let ttl = self.registry.expect(id, StateKind::List)?;
        let gi = self.group_index(scope.key_group)?;
        let group = &mut self.groups[gi];
        let table = group.tables[id.0 as usize].lists();
        let Some(list) = table.get_mut(scope.key) else {
            return Ok(Vec::new());
        };
        let mut freed = 0;
        if ttl.is_some() {
            freed = purge_list(list, |at| expired(ttl, at, now_ms));
            if list.is_empty() {
                table.remove(scope.key);
                freed += scope.key.len() as u64;
                self.usage.apply(&mut group.bytes, freed, 0);
                return Ok(Vec::new());
            }
        }
        let values = list.iter().map(|item| item.value.clone()).collect();
        self.usage.apply(&mut group.bytes, freed, 0);
        Ok(values)
    }

    fn list_add(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        value: Vec<u8>,
        now_ms: i64,
    ) -> Result<()> {
        self.registry.expect(id, StateKind::List)?;
        let gi = self.group_index(scope.key_group)?;
        let group = &mut self.groups[gi];
        let table = group.tables[id.0 as usize].lists();
        let item = Stamped::new(value, now_ms);
        let mut added = item.size();
        match table.get_mut(scope.key) {
            Some(list) => {
                self.usage.admit(0, added)?;
                list.push(item);
            }
            None => {
                added += scope.key.len() as u64;
                self.usage.admit(0, added)?;
                table.insert(scope.key.into(), vec![item]);
            }
        }
        self.usage.apply(&mut group.bytes, 0, added);
        Ok(())
    }

    fn list_update(
        &mut self,
        id: StateId,
        scope: KeyScope<'_>,
        values: Vec<Vec<u8>>,
        now_ms: i64,
    ) -> Result<()> {
        self.registry.expect(id, StateKind::List)?;
        let gi = self.group_index(scope.key_group)?;
        let group = &mut self.groups[gi];
        let table = group.tables[id.0 as usize].lists();
        let key_len = scope.key.len() as u64;
        let removed = table
            .get(scope.key)
            .map_or(0, |old| key_len + list_size(old));
        let added = if values.is_empty() {
            0
        } else {
            key_len
                + values
                    .iter()
                    .map(|v| crate::quota::element_bytes(v.len()))
                    .sum::<u64>()
        };
        self.usage.admit(removed, added)?;
        if values.is_empty() {
            table.remove(scope.key);
        } else {
            let list = values
                .into_iter()
                .map(|v| Stamped::new(v, now_ms))
                .collect();
            match table.get_mut(scope.key) {
                Some(old) => *old = list,
                None => {
                    table.insert(scope.key.into(), list);
                }
            }
        }
        self.usage.apply(&mut group.bytes, removed, added);
        Ok(())
    }

    fn key_groups(&self) -> KeyGroupRange {
        self.range.clone()
    }

    fn state_bytes(&self) -> u64 {
        self.usage.total
    }

    fn snapshot_key_group(&self, key_group: u32, out: &mut Vec<u8>) -> Result<()> {
        let gi = self.group_index(key_group)?;
        restore::snapshot(&self.registry, &self.groups[gi], key_group, out);
        Ok(())
    }

    fn restore_key_group(&mut self, key_group: u32, bytes: &[u8]) -> Result<()> {
        let gi = self.group_index(key_group)?;
        restore::restore(self, gi, key_group, bytes)
    }
}
