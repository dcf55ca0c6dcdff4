//! Packed batches: records (or timers) back to back in one buffer, the form
//! in which batches cross the Wasm boundary from WIT `weir:operator@0.2.0` on.
//!
//! A `list<record>` costs the canonical ABI a call into the guest's
//! allocator for every key and value passed in, and a lift of each passed
//! out; a packed batch is one `list<u8>`, copied in one piece. The layout
//! (integers little-endian) is specified in `wit/operator@0.2.0`:
//!
//! ```text
//! flags: u8          bit 0: has a key, bit 1: has a timestamp; other bits 0
//! key-len: u32, key  only with a key
//! value-len: u32, value
//! timestamp: s64     only with a timestamp
//! ```
//!
//! and a timer that fired:
//!
//! ```text
//! flags: u8          bit 0: has a key, bit 1: processing time; other bits 0
//! key-len: u32, key  only with a key
//! timestamp: s64
//! ```
//!
//! Both the host and the Rust SDK use this module, so both sides agree by
//! construction; other SDKs implement the same few lines.
//!
//! ```
//! use weir_types::packed::{self, PackedRecord};
//!
//! let mut buf = Vec::new();
//! packed::push(&mut buf, Some(b"k"), b"v", Some(7));
//! packed::push(&mut buf, None, b"w", None);
//! let records: Vec<PackedRecord<'_>> = packed::records(&buf).collect::<Result<_, _>>()?;
//! assert_eq!(records[0], PackedRecord { key: Some(b"k"), value: b"v", timestamp: Some(7) });
//! assert_eq!(records[1].key, None);
//! # Ok::<(), weir_types::packed::PackedError>(())
//! ```

use crate::Record;
use crate::wire::{Reader, put_bytes};

const HAS_KEY: u8 = 1;
const HAS_TIMESTAMP: u8 = 2;
const PROCESSING_TIME: u8 = 2;

/// One record of a packed batch, borrowed from the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackedRecord<'a> {
    /// Routing key.
    pub key: Option<&'a [u8]>,
    /// The payload.
    pub value: &'a [u8],
    /// Event time in milliseconds.
    pub timestamp: Option<i64>,
}

/// One timer of a packed batch, borrowed from the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackedTimer<'a> {
    /// The key it was registered for.
    pub key: Option<&'a [u8]>,
    /// When it fired, in milliseconds.
    pub timestamp: i64,
    /// A processing-time timer (else event time).
    pub processing_time: bool,
}

/// Why a packed batch does not parse: the byte offset of the record that
/// fails and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedError {
    /// Offset of the failing record's flags byte in the buffer.
    pub offset: usize,
    /// What is wrong.
    pub reason: &'static str,
}

impl std::fmt::Display for PackedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "malformed packed batch at byte {}: {}",
            self.offset, self.reason
        )
    }
}

impl std::error::Error for PackedError {}

/// Bytes `push` appends for a record with a key of `key_len` bytes (if
/// any) and a value of `value_len` bytes.
pub fn encoded_len(key_len: Option<usize>, value_len: usize, has_timestamp: bool) -> usize {
    1 + key_len.map_or(0, |k| 4 + k) + 4 + value_len + if has_timestamp { 8 } else { 0 }
}

/// Appends one record to `buf`.
///
/// # Panics
/// If the key or value is longer than `u32::MAX` bytes.
pub fn push(buf: &mut Vec<u8>, key: Option<&[u8]>, value: &[u8], timestamp: Option<i64>) {
    let flags = if key.is_some() { HAS_KEY } else { 0 }
        | if timestamp.is_some() {
            HAS_TIMESTAMP
        } else {
            0
        };
    buf.reserve(encoded_len(
        key.map(<[u8]>::len),
        value.len(),
        timestamp.is_some(),
    ));
    buf.push(flags);
    if let Some(key) = key {
        put_bytes(buf, key);
    }
    put_bytes(buf, value);
    if let Some(ts) = timestamp {
        buf.extend_from_slice(&ts.to_le_bytes());
    }
}

/// Appends `records` to `buf`.
pub fn push_records(buf: &mut Vec<u8>, records: &[Record]) {
    for r in records {
        push(buf, r.key.as_deref(), &r.value, r.timestamp);
    }
}

/// The records of a packed batch as owned [`Record`]s; fails on the first
/// malformed one.
pub fn to_records(buf: &[u8]) -> Result<Vec<Record>, PackedError> {
    records(buf).map(|r| r.map(Record::from)).collect()
}

impl From<PackedRecord<'_>> for Record {
    fn from(r: PackedRecord<'_>) -> Self {
        Record {
            key: r.key.map(<[u8]>::to_vec),
            value: r.value.to_vec(),
            timestamp: r.timestamp,
        }
    }
}

/// Appends one timer to `buf`.
///
/// # Panics
/// If the key is longer than `u32::MAX` bytes.
pub fn push_timer(buf: &mut Vec<u8>, key: Option<&[u8]>, timestamp: i64, processing_time: bool) {
    let flags =
        if key.is_some() { HAS_KEY } else { 0 } | if processing_time { PROCESSING_TIME } else { 0 };
    buf.push(flags);
    if let Some(key) = key {
        put_bytes(buf, key);
    }
    buf.extend_from_slice(&timestamp.to_le_bytes());
}

/// The records of a packed batch, in order. After the first error the
/// iterator ends.
pub fn records(buf: &[u8]) -> Entries<'_, PackedRecord<'_>> {
    Entries::new(buf)
}

/// The timers of a packed batch, in order. After the first error the
/// iterator ends.
pub fn timers(buf: &[u8]) -> Entries<'_, PackedTimer<'_>> {
    Entries::new(buf)
}

/// What only this module can name: the entry kinds (the layout has exactly
/// two).
mod sealed {
    use super::PackedError;
    use crate::wire::Reader;

    /// An entry of a packed batch: a record or a timer.
    pub trait Entry<'a>: Sized {
        /// Reads one entry that starts at byte `start`.
        fn read(reader: &mut Reader<'a>, start: usize) -> Result<Self, PackedError>;
    }
}

use sealed::Entry;

impl<'a> Entry<'a> for PackedRecord<'a> {
    fn read(reader: &mut Reader<'a>, start: usize) -> Result<Self, PackedError> {
        reader.record(start)
    }
}

impl<'a> Entry<'a> for PackedTimer<'a> {
    fn read(reader: &mut Reader<'a>, start: usize) -> Result<Self, PackedError> {
        reader.timer(start)
    }
}

/// Iterator over a packed batch; see [`records`] and [`timers`].
#[derive(Clone, Debug)]
pub struct Entries<'a, T> {
    reader: Reader<'a>,
    failed: bool,
    entry: std::marker::PhantomData<T>,
}

impl<'a, T: Entry<'a>> Entries<'a, T> {
    fn new(buf: &'a [u8]) -> Self {
        Entries {
            reader: Reader::new(buf),
            failed: false,
            entry: std::marker::PhantomData,
        }
    }
}

impl<'a, T: Entry<'a>> Iterator for Entries<'a, T> {
    type Item = Result<T, PackedError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.reader.at_end() {
            return None;
        }
        let start = self.reader.at;
        let entry = T::read(&mut self.reader, start);
        self.failed = entry.is_err();
        Some(entry)
    }
}

impl<'a> Reader<'a> {
    /// The flags byte (checked against `known`) and the key it announces.
    fn head(&mut self, start: usize, known: u8) -> Result<(u8, Option<&'a [u8]>), PackedError> {
        let flags = self.u8().expect("not at the end");
        if flags & !known != 0 {
            return Err(fail(start, "unknown flag bits"));
        }
        let key = match flags & HAS_KEY {
            0 => None,
            _ => Some(
                self.bytes()
                    .ok_or(fail(start, "the key runs past the end"))?,
            ),
        };
        Ok((flags, key))
    }

    fn record(&mut self, start: usize) -> Result<PackedRecord<'a>, PackedError> {
        let (flags, key) = self.head(start, HAS_KEY | HAS_TIMESTAMP)?;
        let value = self
            .bytes()
            .ok_or(fail(start, "the value runs past the end"))?;
        let timestamp = match flags & HAS_TIMESTAMP {
            0 => None,
            _ => Some(
                self.i64()
                    .ok_or(fail(start, "the timestamp runs past the end"))?,
            ),
        };
        Ok(PackedRecord {
            key,
            value,
            timestamp,
        })
    }

    fn timer(&mut self, start: usize) -> Result<PackedTimer<'a>, PackedError> {
        let (flags, key) = self.head(start, HAS_KEY | PROCESSING_TIME)?;
        let timestamp = self
            .i64()
            .ok_or(fail(start, "the timestamp runs past the end"))?;
        Ok(PackedTimer {
            key,
            timestamp,
            processing_time: flags & PROCESSING_TIME != 0,
        })
    }
}

fn fail(offset: usize, reason: &'static str) -> PackedError {
    PackedError { offset, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Key, value and timestamp of one record.
    type Case<'a> = (Option<&'a [u8]>, &'a [u8], Option<i64>);

    fn all(buf: &[u8]) -> Result<Vec<PackedRecord<'_>>, PackedError> {
        records(buf).collect()
    }

    #[test]
    fn records_round_trip_in_order() {
        let mut buf = Vec::new();
        let long = vec![9u8; 70_000];
        let cases: [Case<'_>; 5] = [
            (Some(b"key"), b"value", Some(-5)),
            (None, b"", None),
            (Some(b""), &long, Some(i64::MAX)),
            (None, b"x", Some(i64::MIN)),
            (Some(b"k"), b"", None),
        ];
        for (key, value, ts) in cases {
            let before = buf.len();
            push(&mut buf, key, value, ts);
            assert_eq!(
                buf.len() - before,
                encoded_len(key.map(<[u8]>::len), value.len(), ts.is_some())
            );
        }
        let got = all(&buf).unwrap();
        assert_eq!(got.len(), cases.len());
        for (r, (key, value, ts)) in got.iter().zip(cases) {
            assert_eq!((r.key, r.value, r.timestamp), (key, value, ts));
        }
        assert!(all(&[]).unwrap().is_empty());
    }

    #[test]
    fn owned_records_round_trip() {
        let batch = vec![
            Record::new("v").with_key("k").with_timestamp(3),
            Record::new(""),
        ];
        let mut buf = Vec::new();
        push_records(&mut buf, &batch);
        assert_eq!(to_records(&buf), Ok(batch));
        assert_eq!(
            to_records(&buf[..buf.len() - 1]).unwrap_err().reason,
            "the value runs past the end"
        );
    }

    #[test]
    fn timers_round_trip_in_order() {
        let mut buf = Vec::new();
        push_timer(&mut buf, Some(b"user-1"), 999, false);
        push_timer(&mut buf, None, i64::MIN, true);
        push_timer(&mut buf, Some(b""), i64::MAX, true);
        let got: Vec<PackedTimer<'_>> = timers(&buf).collect::<Result<_, _>>().unwrap();
        let timer = |key: Option<&'static [u8]>, timestamp, processing_time| PackedTimer {
            key,
            timestamp,
            processing_time,
        };
        assert_eq!(
            got,
            [
                timer(Some(b"user-1"), 999, false),
                timer(None, i64::MIN, true),
                timer(Some(b""), i64::MAX, true),
            ]
        );
        let err = timers(&buf[..buf.len() - 1]).last().unwrap().unwrap_err();
        assert_eq!(err.reason, "the timestamp runs past the end");
        let mut bad = buf.clone();
        bad[0] = 4;
        let err = timers(&bad).next().unwrap().unwrap_err();
        assert_eq!(err.reason, "unknown flag bits");
    }

    #[test]
    fn malformed_batches_are_refused_with_the_record_offset() {
        let mut buf = Vec::new();
        push(&mut buf, Some(b"ab"), b"cd", Some(1));
        let second = buf.len();
        push(&mut buf, None, b"value", None);

        // Cut anywhere inside the second record.
        for cut in second + 1..buf.len() {
            let err = all(&buf[..cut]).unwrap_err();
            assert_eq!(err.offset, second, "cut at {cut}");
        }
        // A length past the end of the buffer.
        let mut long = buf.clone();
        long[second + 1..second + 5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            all(&long).unwrap_err(),
            PackedError {
                offset: second,
                reason: "the value runs past the end"
            }
        );
        // Unknown flags.
        let mut flags = buf.clone();
        flags[second] = 4;
        let err = all(&flags).unwrap_err();
        assert_eq!(err.reason, "unknown flag bits");
        assert_eq!(
            err.to_string(),
            format!("malformed packed batch at byte {second}: unknown flag bits")
        );
        // The iterator stops after an error.
        let mut it = records(&flags);
        assert!(it.next().unwrap().is_ok());
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
    }
}
