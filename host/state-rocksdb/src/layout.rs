//! How state is laid out in RocksDB: column families, keys and values.
//!
//! Two column families:
//!
//! - `state` holds every element. Keys start with the key group (u32 big
//!   endian) and the state's id in this database (u32 big endian), so a key
//!   group, or one state of it, is one contiguous key range:
//!   - value and list states: `key group | state | key`;
//!   - map states: `key group | state | escaped key | map key`, where the
//!     escaped key doubles every `0x00` as `0x00 0xff` and ends with
//!     `0x00 0x01`: keys stay ordered by their bytes and the map key can
//!     follow (entries of one key are ordered by map key bytes).
//!
//!   Values and map entries are stored as `written_at i64 LE | value`; a
//!   list is one record, `(written_at i64 LE | varint len | value)*` in
//!   insertion order.
//! - `meta` describes the database: its format (`format` → `rocksdb-1`),
//!   each state's descriptor (`state | id u32 BE` → kind, TTL and name) and,
//!   as of the last checkpoint, each key group's quota bytes
//!   (`bytes | key group u32 BE` → u64 LE).

use weir_state::{StateDescriptor, StateId, StateKind};

/// The column family holding state elements.
pub(crate) const STATE_CF: &str = "state";
/// The column family describing the database.
pub(crate) const META_CF: &str = "meta";
/// The native snapshot format this build writes and reads.
pub const NATIVE_FORMAT: &str = "rocksdb-1";

/// Meta key of the format marker.
pub(crate) const FORMAT_KEY: &[u8] = b"format";
/// Meta key prefix of state descriptors.
pub(crate) const STATE_KEY: &[u8] = b"state";
/// Meta key prefix of key groups' quota bytes.
pub(crate) const BYTES_KEY: &[u8] = b"bytes";

/// Bytes every element carries for its write time.
const STAMP: usize = 8;
/// Length of `key group | state`.
pub(crate) const PREFIX: usize = 8;

/// The first key of key group `key_group`; also the bound after every key
/// of the key groups before it (owned key groups are below `u32::MAX`).
pub(crate) fn group_start(key_group: u32) -> Vec<u8> {
    key_group.to_be_bytes().to_vec()
}

/// `key group | state`.
pub(crate) fn state_prefix(key_group: u32, id: StateId) -> [u8; PREFIX] {
    let mut p = [0; PREFIX];
    p[..4].copy_from_slice(&key_group.to_be_bytes());
    p[4..].copy_from_slice(&id.0.to_be_bytes());
    p
}

/// The record key of a value or list state's key.
pub(crate) fn plain_key(key_group: u32, id: StateId, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(PREFIX + key.len());
    k.extend_from_slice(&state_prefix(key_group, id));
    k.extend_from_slice(key);
    k
}

/// The prefix of every entry of a map state's key.
pub(crate) fn map_prefix(key_group: u32, id: StateId, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(PREFIX + key.len() + 2);
    k.extend_from_slice(&state_prefix(key_group, id));
    for &b in key {
        k.push(b);
        if b == 0 {
            k.push(0xff);
        }
    }
    k.extend_from_slice(&[0, 1]);
    k
}

/// Splits what follows `key group | state` in a map entry's key into the
/// (unescaped) key and the map key.
pub(crate) fn split_map_key(rest: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let mut key = Vec::with_capacity(rest.len());
    let mut i = 0;
    while i < rest.len() {
        let b = rest[i];
        if b != 0 {
            key.push(b);
            i += 1;
            continue;
        }
        match rest.get(i + 1)? {
            0xff => key.push(0),
            1 => return Some((key, &rest[i + 2..])),
            _ => return None,
        }
        i += 2;
    }
    None
}

/// The smallest key greater than every key starting with `prefix`, if any.
pub(crate) fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut s = prefix.to_vec();
    while let Some(last) = s.pop() {
        if last < 0xff {
            s.push(last + 1);
            return Some(s);
        }
    }
    None
}

/// A value or map entry record: `written_at | value`.
pub(crate) fn encode_item(written_at: i64, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(STAMP + value.len());
    v.extend_from_slice(&written_at.to_le_bytes());
    v.extend_from_slice(value);
    v
}

/// Splits a value or map entry record; `None` if it is too short.
pub(crate) fn decode_item(record: &[u8]) -> Option<(i64, &[u8])> {
    if record.len() < STAMP {
        return None;
    }
    let (at, value) = record.split_at(STAMP);
    Some((i64::from_le_bytes(at.try_into().ok()?), value))
}

/// Appends one element to a list record.
pub(crate) fn push_list_item(record: &mut Vec<u8>, written_at: i64, value: &[u8]) {
    record.extend_from_slice(&written_at.to_le_bytes());
    let mut len = value.len() as u64;
    while len >= 0x80 {
        record.push((len as u8) | 0x80);
        len >>= 7;
    }
    record.push(len as u8);
    record.extend_from_slice(value);
}

/// The elements of a list record; `None` if it is malformed.
pub(crate) fn decode_list(mut record: &[u8]) -> Option<Vec<(i64, &[u8])>> {
    let mut items = Vec::new();
    while !record.is_empty() {
        let (at, rest) = record.split_at_checked(STAMP)?;
        let mut len: u64 = 0;
        let mut i = 0;
        loop {
            let b = *rest.get(i)?;
            len |= u64::from(b & 0x7f) << (7 * i).min(63);
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
            if i >= 10 {
                return None;
            }
        }
        let len = usize::try_from(len).ok()?;
        let value = rest.get(i..i.checked_add(len)?)?;
        items.push((i64::from_le_bytes(at.try_into().ok()?), value));
        record = &rest[i + len..];
    }
    Some(items)
}

/// Meta key of state `id`'s descriptor.
pub(crate) fn state_meta_key(id: StateId) -> Vec<u8> {
    [STATE_KEY, &id.0.to_be_bytes()].concat()
}

/// Meta key of key group `key_group`'s quota bytes.
pub(crate) fn bytes_meta_key(key_group: u32) -> Vec<u8> {
    [BYTES_KEY, &key_group.to_be_bytes()].concat()
}

/// A descriptor as stored in `meta`: kind, TTL flag [| TTL], name.
pub(crate) fn encode_descriptor(d: &StateDescriptor) -> Vec<u8> {
    let mut v = vec![kind_code(d.kind)];
    match d.ttl_ms {
        None => v.push(0),
        Some(ttl) => {
            v.push(1);
            v.extend_from_slice(&ttl.to_le_bytes());
        }
    }
    v.extend_from_slice(d.name.as_bytes());
    v
}

/// Reads a descriptor stored by [`encode_descriptor`].
pub(crate) fn decode_descriptor(v: &[u8]) -> Option<StateDescriptor> {
    let kind = match *v.first()? {
        0 => StateKind::Value,
        1 => StateKind::Map,
        2 => StateKind::List,
        _ => return None,
    };
    let (ttl_ms, name) = match *v.get(1)? {
        0 => (None, &v[2..]),
        1 => (
            Some(u64::from_le_bytes(v.get(2..10)?.try_into().ok()?)),
            &v[10..],
        ),
        _ => return None,
    };
    Some(StateDescriptor {
        name: String::from_utf8(name.to_vec()).ok()?,
        kind,
        ttl_ms,
    })
}

fn kind_code(kind: StateKind) -> u8 {
    match kind {
        StateKind::Value => 0,
        StateKind::Map => 1,
        StateKind::List => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_keys_keep_byte_order_and_split_back() {
        let keys: [&[u8]; 6] = [b"", b"\0", b"\0\0", b"\0\x01", b"a", b"a\0b"];
        let encoded: Vec<_> = keys.iter().map(|k| map_prefix(1, StateId(2), k)).collect();
        for pair in encoded.windows(2) {
            assert!(pair[0] < pair[1]);
        }
        for (key, enc) in keys.iter().zip(&encoded) {
            let entry = [enc.as_slice(), b"mk\0"].concat();
            let (k, mk) = split_map_key(&entry[PREFIX..]).unwrap();
            assert_eq!((k.as_slice(), mk), (*key, &b"mk\0"[..]));
        }
        assert_eq!(split_map_key(b"ab"), None);
    }

    #[test]
    fn records_round_trip() {
        assert_eq!(decode_item(&encode_item(-5, b"v")), Some((-5, &b"v"[..])));
        assert_eq!(decode_item(b"short"), None);
        let mut list = Vec::new();
        push_list_item(&mut list, 1, b"");
        push_list_item(&mut list, 2, &[7; 300]);
        let items = decode_list(&list).unwrap();
        assert_eq!(items, [(1, &b""[..]), (2, &[7; 300][..])]);
        assert_eq!(decode_list(&list[..list.len() - 1]), None);
        let d = StateDescriptor::new("n", StateKind::Map).with_ttl_ms(3);
        assert_eq!(decode_descriptor(&encode_descriptor(&d)), Some(d));
        assert_eq!(successor(&[1, 0xff]), Some(vec![2]));
        assert_eq!(successor(&[0xff]), None);
        assert!(group_start(8) > plain_key(7, StateId(u32::MAX), b"\xff\xff"));
    }
}
