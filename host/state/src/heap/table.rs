//! One state's entries within one key group.

use crate::entry::{MapEntry, Stamped, list_size, map_item_size, map_size};
use crate::hash::{KeyMap, key_map};
use crate::snapshot::{self, Entries};
use crate::{StateDescriptor, StateKind};

/// Key bytes to entry, one variant per state kind.
///
/// Invariant: the table at `tables[id]` has the kind `id` is registered with,
/// so the accessors below never see another variant.
#[derive(Debug)]
pub(super) enum Table {
    Value(KeyMap<Box<[u8]>, Stamped>),
    Map(KeyMap<Box<[u8]>, MapEntry>),
    List(KeyMap<Box<[u8]>, Vec<Stamped>>),
}

impl Table {
    pub(super) fn new(kind: StateKind) -> Self {
        match kind {
            StateKind::Value => Table::Value(key_map()),
            StateKind::Map => Table::Map(key_map()),
            StateKind::List => Table::List(key_map()),
        }
    }

    /// A table holding a decoded snapshot's entries.
    pub(super) fn from_entries(entries: Entries) -> Self {
        fn collect<V>(entries: Vec<(Box<[u8]>, V)>) -> KeyMap<Box<[u8]>, V> {
            let mut map = key_map();
            map.reserve(entries.len());
            map.extend(entries);
            map
        }
        match entries {
            Entries::Value(e) => Table::Value(collect(e)),
            Entries::Map(e) => Table::Map(collect(e)),
            Entries::List(e) => Table::List(collect(e)),
        }
    }

    #[inline]
    pub(super) fn values(&mut self) -> &mut KeyMap<Box<[u8]>, Stamped> {
        match self {
            Table::Value(t) => t,
            _ => unreachable!("table kind disagrees with the registry"),
        }
    }

    #[inline]
    pub(super) fn maps(&mut self) -> &mut KeyMap<Box<[u8]>, MapEntry> {
        match self {
            Table::Map(t) => t,
            _ => unreachable!("table kind disagrees with the registry"),
        }
    }

    #[inline]
    pub(super) fn lists(&mut self) -> &mut KeyMap<Box<[u8]>, Vec<Stamped>> {
        match self {
            Table::List(t) => t,
            _ => unreachable!("table kind disagrees with the registry"),
        }
    }

    /// Removes `key`'s entry and returns the bytes it counted.
    pub(super) fn remove(&mut self, key: &[u8]) -> u64 {
        let key_len = key.len() as u64;
        let freed = match self {
            Table::Value(t) => t.remove(key).map(|v| key_len + v.size()),
            Table::Map(t) => t.remove(key).map(|m| map_size(key.len(), &m)),
            Table::List(t) => t.remove(key).map(|l| key_len + list_size(&l)),
        };
        freed.unwrap_or(0)
    }

    /// Drops every element for which `is_expired(written_at)` holds, and
    /// keys left empty; returns the bytes freed.
    pub(super) fn purge(&mut self, is_expired: impl Fn(i64) -> bool) -> u64 {
        let mut freed = 0;
        match self {
            Table::Value(t) => t.retain(|key, v| {
                let keep = !is_expired(v.written_at);
                if !keep {
                    freed += key.len() as u64 + v.size();
                }
                keep
            }),
            Table::Map(t) => t.retain(|key, map| {
                freed += purge_map(key.len(), map, &is_expired);
                !map.is_empty()
            }),
            Table::List(t) => t.retain(|key, list| {
                freed += purge_list(list, &is_expired);
                let keep = !list.is_empty();
                if !keep {
                    freed += key.len() as u64;
                }
                keep
            }),
        }
        freed
    }

    /// Appends this table as one state of a snapshot, keys in byte order.
    pub(super) fn encode(&self, descriptor: &StateDescriptor, out: &mut Vec<u8>) {
        fn sorted<V>(t: &KeyMap<Box<[u8]>, V>) -> Vec<(&[u8], &V)> {
            let mut all: Vec<_> = t.iter().map(|(k, v)| (&**k, v)).collect();
            all.sort_unstable_by(|a, b| a.0.cmp(b.0));
            all
        }
        match self {
            Table::Value(t) => {
                snapshot::put_state(out, descriptor, t.len());
                for (key, v) in sorted(t) {
                    snapshot::put_value(out, key, v);
                }
            }
            Table::Map(t) => {
                snapshot::put_state(out, descriptor, t.len());
                for (key, map) in sorted(t) {
                    snapshot::put_map(out, key, map);
                }
            }
            Table::List(t) => {
                snapshot::put_state(out, descriptor, t.len());
                for (key, list) in sorted(t) {
                    snapshot::put_list(out, key, list);
                }
            }
        }
    }
}

/// Drops expired items of one map; returns the bytes freed.
pub(super) fn purge_map(
    key_len: usize,
    map: &mut MapEntry,
    is_expired: impl Fn(i64) -> bool,
) -> u64 {
    let mut freed = 0;
    map.retain(|map_key, item| {
        let keep = !is_expired(item.written_at);
        if !keep {
            freed += map_item_size(key_len, map_key, item);
        }
        keep
    });
    freed
}

/// Drops expired elements of one list; returns the bytes freed.
pub(super) fn purge_list(list: &mut Vec<Stamped>, is_expired: impl Fn(i64) -> bool) -> u64 {
    let mut freed = 0;
    list.retain(|item| {
        let keep = !is_expired(item.written_at);
        if !keep {
            freed += item.size();
        }
        keep
    });
    freed
}
