//! Packed batches: records back to back in one buffer, the form in which
//! batches cross the Wasm boundary from WIT `weir:operator@0.2.0` on.
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

const HAS_KEY: u8 = 1;
const HAS_TIMESTAMP: u8 = 2;

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

fn put_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("a key or value longer than 4 GiB");
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(bytes);
}

/// The records of a packed batch, in order. After the first error the
/// iterator ends.
pub fn records(buf: &[u8]) -> Records<'_> {
    Records {
        buf,
        at: 0,
        failed: false,
    }
}

/// Iterator over a packed batch; see [`records`].
#[derive(Clone, Debug)]
pub struct Records<'a> {
    buf: &'a [u8],
    at: usize,
    failed: bool,
}

impl<'a> Records<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let bytes = self.buf.get(self.at..end)?;
        self.at = end;
        Some(bytes)
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes"));
        self.take(len as usize)
    }

    fn record(&mut self, start: usize) -> Result<PackedRecord<'a>, PackedError> {
        let fail = |reason| PackedError {
            offset: start,
            reason,
        };
        let flags = self.take(1).expect("not at the end")[0];
        if flags & !(HAS_KEY | HAS_TIMESTAMP) != 0 {
            return Err(fail("unknown flag bits"));
        }
        let key = if flags & HAS_KEY != 0 {
            Some(
                self.bytes()
                    .ok_or_else(|| fail("the key runs past the end"))?,
            )
        } else {
            None
        };
        let value = self
            .bytes()
            .ok_or_else(|| fail("the value runs past the end"))?;
        let timestamp = if flags & HAS_TIMESTAMP != 0 {
            let bytes = self
                .take(8)
                .ok_or_else(|| fail("the timestamp runs past the end"))?;
            Some(i64::from_le_bytes(bytes.try_into().expect("8 bytes")))
        } else {
            None
        };
        Ok(PackedRecord {
            key,
            value,
            timestamp,
        })
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<PackedRecord<'a>, PackedError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.at >= self.buf.len() {
            return None;
        }
        let start = self.at;
        let record = self.record(start);
        self.failed = record.is_err();
        Some(record)
    }
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
