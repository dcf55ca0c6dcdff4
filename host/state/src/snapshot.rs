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
    put_header(out, STATE_SNAPSHOT_MAGIC, STATE_SNAPSHOT_VERSION, key_group);
    put_varint(out, n_states as u64);
}

/// Writes one state's descriptor and its number of keys; the keys follow.
pub(crate) fn put_state(out: &mut Vec<u8>, descriptor: &StateDescriptor, n_keys: usize) {
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

/// Writes a key of a value state.
pub(crate) fn put_value(out: &mut Vec<u8>, key: &[u8], item: &Stamped) {
    put_bytes(out, key);
    put_item(out, item);
}

/// Writes a key of a map state.
pub(crate) fn put_map(out: &mut Vec<u8>, key: &[u8], map: &MapEntry) {
    put_bytes(out, key);
    put_varint(out, map.len() as u64);
    for (map_key, item) in map {
        put_bytes(out, map_key);
        put_item(out, item);
    }
}

/// Writes a key of a list state.
pub(crate) fn put_list(out: &mut Vec<u8>, key: &[u8], list: &[Stamped]) {
    put_bytes(out, key);
    put_varint(out, list.len() as u64);
    for item in list {
        put_item(out, item);
    }
}

fn put_item(out: &mut Vec<u8>, item: &Stamped) {
    put_i64(out, item.written_at);
    put_bytes(out, &item.value);
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
                bytes += key.len() as u64 + map_size(&map);
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
