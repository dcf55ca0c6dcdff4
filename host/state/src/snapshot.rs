//! The snapshot formats: keyed state and timers, version 1 each.
//!
//! A snapshot holds one key group. Integers are little-endian; `varint` is
//! unsigned LEB128; `bytes` is a varint length followed by that many bytes.
//! Both formats are canonical: equal contents give equal bytes. Nothing may
//! follow the last item. A restore decodes and checks a whole snapshot
//! before it changes anything.
//!
//! # Keyed state (`WKGS`)
//!
//! ```text
//! snapshot := magic "WKGS" | version u8 (= 1) | key_group u32
//!             | varint n_states | state*            (ordered by name)
//! state    := name bytes (UTF-8) | kind u8 (0 value, 1 map, 2 list)
//!             | ttl_flag u8 (0 none, 1 some) [| ttl_ms u64]
//!             | varint n_keys | keyed*              (strictly ascending key bytes)
//! keyed    := key bytes | body
//! body     := value: item
//!           | map:   varint n | (map_key bytes | item)*   (strictly ascending map keys, n >= 1)
//!           | list:  varint n | item*                     (insertion order, n >= 1)
//! item     := written_at i64 (processing time of the last write, ms) | value bytes
//! ```
//!
//! Every registered state is listed, with or without entries in the key
//! group, so a restore learns all names, kinds and TTLs and maps them to its
//! own ids by name.
//!
//! Other backends write this format with [`write_header`], [`write_state`],
//! [`write_value`], [`write_collection`], [`write_map_item`] and
//! [`write_list_item`] (the heap backend writes through them too) and read it
//! with [`decode_key_group`].
//!
//! # Timers (`WTMR`)
//!
//! ```text
//! snapshot := magic "WTMR" | version u8 (= 1) | key_group u32
//!             | event: domain | processing: domain
//! domain   := varint n_keys | (key bytes | varint n | timestamp i64 × n)*
//! ```
//!
//! Keys are strictly ascending by bytes and each key's `n >= 1` timestamps
//! strictly ascending.

use std::collections::{BTreeMap, HashSet};

use crate::codec::{Reader, invalid, put_bytes, put_header, put_i64, put_varint};
use crate::entry::{MapEntry, Stamped, list_size, map_size};
use crate::{Result, StateDescriptor, StateKind};

pub use crate::timers::{TIMER_SNAPSHOT_MAGIC, TIMER_SNAPSHOT_VERSION};

/// First bytes of a keyed-state snapshot.
pub const STATE_SNAPSHOT_MAGIC: &[u8; 4] = b"WKGS";
/// The keyed-state snapshot version this build writes and reads.
pub const STATE_SNAPSHOT_VERSION: u8 = 1;

/// Smallest encoding of an item: an 8-byte time and an empty value.
const MIN_ITEM: usize = 9;

/// Writes the header and the number of states.
pub(crate) fn put_start(out: &mut Vec<u8>, key_group: u32, n_states: usize) {
    write_header(out, key_group, n_states);
}

/// Writes one state's descriptor and its number of keys; the keys follow.
pub(crate) fn put_state(out: &mut Vec<u8>, descriptor: &StateDescriptor, n_keys: usize) {
    write_state(out, descriptor, n_keys);
}

/// Writes a key of a value state.
pub(crate) fn put_value(out: &mut Vec<u8>, key: &[u8], item: &Stamped) {
    write_value(out, key, item.written_at, &item.value);
}

/// Writes a key of a map state.
pub(crate) fn put_map(out: &mut Vec<u8>, key: &[u8], map: &MapEntry) {
    write_collection(out, key, map.len());
    for (map_key, item) in map {
        write_map_item(out, map_key, item.written_at, &item.value);
    }
}

/// Writes a key of a list state.
pub(crate) fn put_list(out: &mut Vec<u8>, key: &[u8], list: &[Stamped]) {
    write_collection(out, key, list.len());
    for item in list {
        write_list_item(out, item.written_at, &item.value);
    }
}

// The public encoder: one function per rule of the grammar above, so a
// backend that keeps its state elsewhere (RocksDB) writes the same bytes as
// the heap backend, which goes through these functions too. The caller keeps
// the order and the counts the grammar requires; `decode_key_group` checks
// them.

/// Writes a keyed-state snapshot's header: magic, version, key group and
/// the number of states that follow (every registered state, by name).
pub fn write_header(out: &mut Vec<u8>, key_group: u32, n_states: usize) {
    put_header(out, STATE_SNAPSHOT_MAGIC, STATE_SNAPSHOT_VERSION, key_group);
    put_varint(out, n_states as u64);
}

/// Writes one state's descriptor and its number of keys; that many keys
/// follow, in strictly ascending key bytes.
pub fn write_state(out: &mut Vec<u8>, descriptor: &StateDescriptor, n_keys: usize) {
    put_bytes(out, descriptor.name.as_bytes());
    out.push(descriptor.kind.code());
    match descriptor.ttl_ms {
        None => out.push(0),
        Some(ttl) => {
            out.push(1);
            out.extend_from_slice(&ttl.to_le_bytes());
        }
    }
    put_varint(out, n_keys as u64);
}

/// Writes a key of a value state with its value.
pub fn write_value(out: &mut Vec<u8>, key: &[u8], written_at: i64, value: &[u8]) {
    put_bytes(out, key);
    write_list_item(out, written_at, value);
}

/// Writes a key of a map or list state and its number of items (at least
/// one); that many [`write_map_item`]s or [`write_list_item`]s follow.
pub fn write_collection(out: &mut Vec<u8>, key: &[u8], n_items: usize) {
    put_bytes(out, key);
    put_varint(out, n_items as u64);
}

/// Writes one entry of a map (map keys strictly ascending).
pub fn write_map_item(out: &mut Vec<u8>, map_key: &[u8], written_at: i64, value: &[u8]) {
    put_bytes(out, map_key);
    write_list_item(out, written_at, value);
}

/// Writes one element of a list (in insertion order).
pub fn write_list_item(out: &mut Vec<u8>, written_at: i64, value: &[u8]) {
    put_i64(out, written_at);
    put_bytes(out, value);
}

/// One state of a decoded and validated keyed-state snapshot (see
/// [`decode_key_group`]).
#[derive(Debug)]
pub struct StateSection(Section);

impl StateSection {
    /// The state's name, kind and TTL as recorded in the snapshot.
    pub fn descriptor(&self) -> &StateDescriptor {
        &self.0.descriptor
    }

    /// Bytes the state's entries count against the quota (as
    /// [`state_bytes`](crate::KeyedStateBackend::state_bytes) counts them).
    pub fn bytes(&self) -> u64 {
        self.0.bytes
    }

    /// Every stored element in snapshot order: keys ascending; within a
    /// key, map entries by map key, list elements in insertion order.
    pub fn items(&self) -> Box<dyn Iterator<Item = SnapshotItem<'_>> + '_> {
        fn item<'a>(key: &'a [u8], map_key: Option<&'a [u8]>, s: &'a Stamped) -> SnapshotItem<'a> {
            SnapshotItem {
                key,
                map_key,
                written_at: s.written_at,
                value: &s.value,
            }
        }
        match &self.0.entries {
            Entries::Value(e) => Box::new(e.iter().map(|(k, s)| item(k, None, s))),
            Entries::Map(e) => Box::new(
                e.iter()
                    .flat_map(|(k, map)| map.iter().map(move |(mk, s)| item(k, Some(mk), s))),
            ),
            Entries::List(e) => Box::new(
                e.iter()
                    .flat_map(|(k, list)| list.iter().map(move |s| item(k, None, s))),
            ),
        }
    }
}

/// One element of a [`StateSection`]: a value, a map entry or a list
/// element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotItem<'a> {
    /// The key the element belongs to.
    pub key: &'a [u8],
    /// The entry's map key for a map state; `None` otherwise.
    pub map_key: Option<&'a [u8]>,
    /// Processing time of the element's last write (ms).
    pub written_at: i64,
    /// The element's bytes.
    pub value: &'a [u8],
}

/// Decodes and validates a whole keyed-state snapshot of `key_group`, the
/// same checks the heap backend's restore makes.
pub fn decode_key_group(key_group: u32, bytes: &[u8]) -> Result<Vec<StateSection>> {
    Ok(decode(key_group, bytes)?
        .into_iter()
        .map(StateSection)
        .collect())
}

/// One state of a decoded snapshot.
#[derive(Debug)]
pub(crate) struct Section {
    pub(crate) descriptor: StateDescriptor,
    pub(crate) entries: Entries,
    /// Bytes the entries count against the quota, keys included.
    pub(crate) bytes: u64,
}

/// A decoded state's entries, by kind, in key order.
#[derive(Debug)]
pub(crate) enum Entries {
    Value(Vec<(Box<[u8]>, Stamped)>),
    Map(Vec<(Box<[u8]>, MapEntry)>),
    List(Vec<(Box<[u8]>, Vec<Stamped>)>),
}

/// Decodes and validates a whole snapshot of `key_group`.
pub(crate) fn decode(key_group: u32, bytes: &[u8]) -> Result<Vec<Section>> {
    let mut r = Reader::new(bytes);
    r.header(STATE_SNAPSHOT_MAGIC, STATE_SNAPSHOT_VERSION, key_group)?;
    let n_states = r.count(4)?;
    let mut names = HashSet::with_capacity(n_states);
    let mut sections = Vec::with_capacity(n_states);
    for _ in 0..n_states {
        let section = decode_state(&mut r)?;
        if !names.insert(section.descriptor.name.clone()) {
            return Err(invalid(format!(
                "state `{}` appears twice",
                section.descriptor.name
            )));
        }
        sections.push(section);
    }
    r.finish()?;
    Ok(sections)
}

fn decode_state<'b>(r: &mut Reader<'b>) -> Result<Section> {
    let name = std::str::from_utf8(r.bytes()?)
        .map_err(|_| invalid("state name is not UTF-8".into()))?
        .to_owned();
    let code = r.u8()?;
    let kind = StateKind::from_code(code)
        .ok_or_else(|| invalid(format!("state `{name}` has unknown kind {code}")))?;
    let ttl_ms = match r.u8()? {
        0 => None,
        1 => Some(r.u64()?),
        flag => return Err(invalid(format!("state `{name}` has TTL flag {flag}"))),
    };
    let n_keys = r.count(1 + MIN_ITEM)?;
    let mut keys = KeyOrder::new(&name);
    let mut bytes = 0;
    let entries = match kind {
        StateKind::Value => {
            let mut entries = Vec::with_capacity(n_keys);
            for _ in 0..n_keys {
                let key = keys.next(r.bytes()?)?;
                let item = item(r)?;
                bytes += key.len() as u64 + item.size();
                entries.push((key, item));
            }
            Entries::Value(entries)
        }
        StateKind::Map => {
            let mut entries = Vec::with_capacity(n_keys);
            for _ in 0..n_keys {
                let key = keys.next(r.bytes()?)?;
                let n = non_empty(r.count(1 + MIN_ITEM)?, &name)?;
                let mut map = BTreeMap::new();
                let mut map_keys = KeyOrder::new(&name);
                for _ in 0..n {
                    let map_key = map_keys.next(r.bytes()?)?;
                    map.insert(map_key.into_vec(), item(r)?);
                }
                bytes += map_size(key.len(), &map);
                entries.push((key, map));
            }
            Entries::Map(entries)
        }
        StateKind::List => {
            let mut entries = Vec::with_capacity(n_keys);
            for _ in 0..n_keys {
                let key = keys.next(r.bytes()?)?;
                let n = non_empty(r.count(MIN_ITEM)?, &name)?;
                let list = (0..n).map(|_| item(r)).collect::<Result<Vec<_>>>()?;
                bytes += key.len() as u64 + list_size(&list);
                entries.push((key, list));
            }
            Entries::List(entries)
        }
    };
    Ok(Section {
        descriptor: StateDescriptor { name, kind, ttl_ms },
        entries,
        bytes,
    })
}

fn item(r: &mut Reader<'_>) -> Result<Stamped> {
    let written_at = r.i64()?;
    Ok(Stamped::new(r.bytes()?.to_vec(), written_at))
}

fn non_empty(n: usize, state: &str) -> Result<usize> {
    if n == 0 {
        return Err(invalid(format!(
            "state `{state}` holds an empty collection"
        )));
    }
    Ok(n)
}

/// Checks that keys come in strictly ascending order (which also rules out
/// duplicates) and copies them out.
struct KeyOrder<'s, 'b> {
    state: &'s str,
    last: Option<&'b [u8]>,
}

impl<'s, 'b> KeyOrder<'s, 'b> {
    fn new(state: &'s str) -> Self {
        KeyOrder { state, last: None }
    }

    fn next(&mut self, key: &'b [u8]) -> Result<Box<[u8]>> {
        if self.last.is_some_and(|last| last >= key) {
            return Err(invalid(format!(
                "keys of state `{}` are not strictly ascending",
                self.state
            )));
        }
        self.last = Some(key);
        Ok(key.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HeapBackend, HeapOptions, KeyScope, KeyedStateBackend};

    #[test]
    fn public_encoder_writes_what_the_heap_writes_and_decodes_back() {
        let mut heap = HeapBackend::new(3..4, HeapOptions::default());
        let list = heap
            .register(&StateDescriptor::new("l", StateKind::List).with_ttl_ms(9))
            .unwrap();
        let map = heap
            .register(&StateDescriptor::new("m", StateKind::Map))
            .unwrap();
        heap.register(&StateDescriptor::new("v", StateKind::Value))
            .unwrap();
        let scope = KeyScope::new(3, b"k");
        heap.list_add(list, scope, b"a".to_vec(), 5).unwrap();
        heap.list_add(list, scope, b"b".to_vec(), 6).unwrap();
        heap.map_put(map, scope, b"y".to_vec(), b"2".to_vec(), 7)
            .unwrap();
        heap.map_put(map, scope, b"x".to_vec(), b"1".to_vec(), 8)
            .unwrap();
        let mut from_heap = Vec::new();
        heap.snapshot_key_group(3, &mut from_heap).unwrap();

        let mut out = Vec::new();
        write_header(&mut out, 3, 3);
        write_state(
            &mut out,
            &StateDescriptor::new("l", StateKind::List).with_ttl_ms(9),
            1,
        );
        write_collection(&mut out, b"k", 2);
        write_list_item(&mut out, 5, b"a");
        write_list_item(&mut out, 6, b"b");
        write_state(&mut out, &StateDescriptor::new("m", StateKind::Map), 1);
        write_collection(&mut out, b"k", 2);
        write_map_item(&mut out, b"x", 8, b"1");
        write_map_item(&mut out, b"y", 7, b"2");
        write_state(&mut out, &StateDescriptor::new("v", StateKind::Value), 0);
        assert_eq!(out, from_heap);

        let sections = decode_key_group(3, &out).unwrap();
        let names: Vec<_> = sections
            .iter()
            .map(|s| s.descriptor().name.as_str())
            .collect();
        assert_eq!(names, ["l", "m", "v"]);
        assert_eq!(sections[0].bytes(), 1 + (1 + 8) + (1 + 8));
        let items: Vec<_> = sections[1].items().collect();
        assert_eq!(
            items,
            [
                SnapshotItem {
                    key: b"k",
                    map_key: Some(b"x"),
                    written_at: 8,
                    value: b"1"
                },
                SnapshotItem {
                    key: b"k",
                    map_key: Some(b"y"),
                    written_at: 7,
                    value: b"2"
                },
            ]
        );
        assert_eq!(sections[0].items().count(), 2);
        assert_eq!(sections[2].items().count(), 0);
        assert!(decode_key_group(4, &out).is_err());
    }
}
