//! Records written ahead of a Kafka transaction: a compact byte encoding
//! the transactional sink keeps in memory between barriers and stores in
//! checkpoints.
//!
//! Each record is a flags byte (bit 0: a key follows, bit 1: a timestamp
//! follows), then the key as a little-endian `u32` length and its bytes,
//! the timestamp as a little-endian `i64`, and the value as a `u32` length
//! and its bytes.

use weir_types::{Millis, Record};

const HAS_KEY: u8 = 1;
const HAS_TIMESTAMP: u8 = 2;

/// Appends `record` to `out`.
pub(crate) fn encode(record: &Record, out: &mut Vec<u8>) {
    let mut flags = 0;
    if record.key.is_some() {
        flags |= HAS_KEY;
    }
    if record.timestamp.is_some() {
        flags |= HAS_TIMESTAMP;
    }
    out.push(flags);
    if let Some(key) = &record.key {
        put_bytes(key, out);
    }
    if let Some(ts) = record.timestamp {
        out.extend_from_slice(&ts.to_le_bytes());
    }
    put_bytes(&record.value, out);
}

fn put_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    let len = u32::try_from(bytes.len()).expect("a Kafka record part is under 4 GiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes);
}

/// One decoded record, borrowing from the encoded bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RecordRef<'a> {
    pub(crate) key: Option<&'a [u8]>,
    pub(crate) value: &'a [u8],
    pub(crate) timestamp: Option<Millis>,
}

/// The records encoded in `bytes`, in order; an item is `Err` (and the last
/// one) where the bytes are cut or malformed, naming the byte offset.
pub(crate) fn decode(bytes: &[u8]) -> impl Iterator<Item = Result<RecordRef<'_>, String>> {
    let mut at = 0;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || at == bytes.len() {
            return None;
        }
        let start = at;
        let record = next(bytes, &mut at)
            .ok_or_else(|| format!("written-ahead records are cut at byte {start}"));
        failed = record.is_err();
        Some(record)
    })
}

fn next<'a>(bytes: &'a [u8], at: &mut usize) -> Option<RecordRef<'a>> {
    let flags = *bytes.get(*at)?;
    *at += 1;
    if flags & !(HAS_KEY | HAS_TIMESTAMP) != 0 {
        return None;
    }
    let key = if flags & HAS_KEY != 0 {
        Some(take_bytes(bytes, at)?)
    } else {
        None
    };
    let timestamp = if flags & HAS_TIMESTAMP != 0 {
        let raw = bytes.get(*at..*at + 8)?;
        *at += 8;
        Some(i64::from_le_bytes(raw.try_into().expect("8 bytes")))
    } else {
        None
    };
    let value = take_bytes(bytes, at)?;
    Some(RecordRef {
        key,
        value,
        timestamp,
    })
}

fn take_bytes<'a>(bytes: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let raw = bytes.get(*at..*at + 4)?;
    let len = u32::from_le_bytes(raw.try_into().expect("4 bytes")) as usize;
    let start = *at + 4;
    let out = bytes.get(start..start.checked_add(len)?)?;
    *at = start + len;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> Vec<Record> {
        vec![
            Record::new("plain"),
            Record::new("keyed").with_key("k"),
            Record::new("timed").with_timestamp(-5),
            Record::new("").with_key("").with_timestamp(i64::MAX),
        ]
    }

    #[test]
    fn records_come_back_as_they_went_in() {
        let mut bytes = Vec::new();
        for record in records() {
            encode(&record, &mut bytes);
        }
        let back: Vec<Record> = decode(&bytes)
            .map(|r| {
                let r = r.unwrap();
                Record {
                    key: r.key.map(<[u8]>::to_vec),
                    value: r.value.to_vec(),
                    timestamp: r.timestamp,
                }
            })
            .collect();
        assert_eq!(back, records());
        assert_eq!(decode(&[]).count(), 0);
    }

    #[test]
    fn cut_or_foreign_bytes_are_an_error_naming_where() {
        let mut bytes = Vec::new();
        for record in records() {
            encode(&record, &mut bytes);
        }
        let first_len = {
            let mut one = Vec::new();
            encode(&records()[0], &mut one);
            one.len()
        };
        for cut in [bytes.len() - 1, first_len + 3] {
            let items: Vec<_> = decode(&bytes[..cut]).collect();
            let last = items.last().unwrap();
            assert!(last.is_err(), "cut at {cut}");
            assert!(items[..items.len() - 1].iter().all(Result::is_ok));
        }
        let err = decode(&[0xff, 0, 0]).next().unwrap().unwrap_err();
        assert_eq!(err, "written-ahead records are cut at byte 0");
    }
}
