//! A record borrowed from the batch the host sent, and where a UDF's output
//! goes: what [`Udf::transform`](crate::Udf::transform) reads and writes.

use serde::de::DeserializeOwned;
use weir_types::packed;

use crate::Record;
use crate::record::key_str;
use crate::{Error, Result};

/// A record borrowed from the input batch: the same fields as [`Record`],
/// without a copy. It is `Copy`, so a changed record is one struct update
/// away (`RecordRef { value: &new, ..record }`); [`RecordRef::to_record`]
/// makes an owned one.
///
/// ```
/// use weir_sdk::RecordRef;
///
/// let r = RecordRef::keyed(b"k", b"{\"n\": 1}").with_timestamp(5);
/// assert_eq!(r.key_str().unwrap(), Some("k"));
/// let doubled = r.value.repeat(2);
/// let changed = RecordRef { value: &doubled, ..r };
/// assert_eq!(changed.timestamp, Some(5));
/// assert_eq!(r.to_record(), weir_sdk::Record::keyed("k", "{\"n\": 1}").with_timestamp(5));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RecordRef<'a> {
    /// Routing key.
    pub key: Option<&'a [u8]>,
    /// The payload, as bytes.
    pub value: &'a [u8],
    /// Event time in milliseconds.
    pub timestamp: Option<i64>,
}

impl<'a> RecordRef<'a> {
    /// A record with a value only.
    pub fn new(value: &'a [u8]) -> Self {
        RecordRef {
            key: None,
            value,
            timestamp: None,
        }
    }

    /// A record with a key and a value.
    pub fn keyed(key: &'a [u8], value: &'a [u8]) -> Self {
        RecordRef {
            key: Some(key),
            value,
            timestamp: None,
        }
    }

    /// Sets the event time.
    pub fn with_timestamp(self, timestamp: i64) -> Self {
        RecordRef {
            timestamp: Some(timestamp),
            ..self
        }
    }

    /// An owned copy.
    pub fn to_record(&self) -> Record {
        Record {
            key: self.key.map(<[u8]>::to_vec),
            value: self.value.to_vec(),
            timestamp: self.timestamp,
        }
    }

    /// The value as UTF-8 text, or [`Error::BadInput`].
    pub fn value_str(&self) -> Result<&'a str> {
        std::str::from_utf8(self.value)
            .map_err(|e| Error::bad_input(format!("value is not UTF-8: {e}")))
    }

    /// The key as UTF-8 text: `None` without a key, [`Error::BadInput`] if it
    /// is not UTF-8.
    pub fn key_str(&self) -> Result<Option<&'a str>> {
        key_str(self.key)
    }

    /// The value parsed as JSON, or [`Error::BadInput`].
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(self.value)
            .map_err(|e| Error::bad_input(format!("value is not the expected JSON: {e}")))
    }
}

impl<'a> From<&'a Record> for RecordRef<'a> {
    fn from(r: &'a Record) -> Self {
        RecordRef {
            key: r.key.as_deref(),
            value: &r.value,
            timestamp: r.timestamp,
        }
    }
}

impl<'a> From<packed::PackedRecord<'a>> for RecordRef<'a> {
    fn from(r: packed::PackedRecord<'a>) -> Self {
        RecordRef {
            key: r.key,
            value: r.value,
            timestamp: r.timestamp,
        }
    }
}

/// Where a UDF's output records go: each [`emit`](UdfOutput::emit) packs
/// the record straight into the batch returned to the host, so passing an
/// input record on, changed or not, allocates nothing.
///
/// An output record without a timestamp takes the timestamp of the input
/// record being transformed.
#[derive(Debug, Default)]
pub struct UdfOutput {
    packed: Vec<u8>,
    count: usize,
    input_timestamp: Option<i64>,
}

impl UdfOutput {
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        UdfOutput {
            packed: Vec::with_capacity(bytes),
            ..UdfOutput::default()
        }
    }

    /// Emits a record: a [`RecordRef`] or a `&Record`.
    pub fn emit<'r>(&mut self, record: impl Into<RecordRef<'r>>) {
        let r = record.into();
        packed::push(
            &mut self.packed,
            r.key,
            r.value,
            r.timestamp.or(self.input_timestamp),
        );
        self.count += 1;
    }

    /// Records emitted so far in this call.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether nothing was emitted yet in this call.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub(crate) fn set_input_timestamp(&mut self, timestamp: Option<i64>) {
        self.input_timestamp = timestamp;
    }

    pub(crate) fn into_packed(self) -> Vec<u8> {
        self.packed
    }
}
