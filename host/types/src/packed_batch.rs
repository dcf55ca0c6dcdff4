//! A packed batch that is known to be well formed, with what the host asks
//! of it without decoding it again: how many records, how many bytes of keys
//! and values, the largest timestamp.

use crate::Record;
use crate::packed::{self, Entries, PackedError, PackedRecord};

/// Records packed back to back ([`crate::packed`]'s layout), well formed by
/// construction: built with [`PackedBatch::push`] or checked whole by
/// [`PackedBatch::parse`]. This is the form in which a source that can pack
/// (the generator) hands records to a chain, and in which packed UDFs pass
/// them on, so that records become owned [`Record`]s only where a node needs
/// them.
///
/// ```
/// use weir_types::{PackedBatch, Record};
///
/// let mut batch = PackedBatch::default();
/// batch.push(Some(b"k"), b"v", Some(7));
/// batch.push(None, b"w", Some(3));
/// assert_eq!((batch.len(), batch.payload_bytes(), batch.max_timestamp()), (2, 3, Some(7)));
///
/// let copy = PackedBatch::parse(batch.as_bytes().to_vec())?;
/// assert_eq!(copy, batch);
/// assert_eq!(copy.to_records()[1], Record::new("w").with_timestamp(3));
/// assert!(PackedBatch::parse(vec![9]).is_err());
/// # Ok::<(), weir_types::packed::PackedError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackedBatch {
    bytes: Vec<u8>,
    len: usize,
    payload_bytes: u64,
    max_timestamp: Option<i64>,
}

impl PackedBatch {
    /// An empty batch with room for `bytes` bytes.
    pub fn with_capacity(bytes: usize) -> Self {
        PackedBatch {
            bytes: Vec::with_capacity(bytes),
            ..PackedBatch::default()
        }
    }

    /// Checks `bytes` whole: a batch if every record is well formed.
    pub fn parse(bytes: Vec<u8>) -> Result<Self, PackedError> {
        let mut batch = PackedBatch {
            bytes: Vec::new(),
            ..PackedBatch::default()
        };
        for record in packed::records(&bytes) {
            batch.count(&record?);
        }
        batch.bytes = bytes;
        Ok(batch)
    }

    /// Packs owned records.
    pub fn from_records(records: &[Record]) -> Self {
        let mut batch = PackedBatch::default();
        for r in records {
            batch.push(r.key.as_deref(), &r.value, r.timestamp);
        }
        batch
    }

    /// Appends one record.
    ///
    /// # Panics
    /// If the key or value is longer than `u32::MAX` bytes.
    pub fn push(&mut self, key: Option<&[u8]>, value: &[u8], timestamp: Option<i64>) {
        packed::push(&mut self.bytes, key, value, timestamp);
        self.count(&PackedRecord {
            key,
            value,
            timestamp,
        });
    }

    fn count(&mut self, record: &PackedRecord<'_>) {
        self.len += 1;
        self.payload_bytes += (record.key.map_or(0, <[u8]>::len) + record.value.len()) as u64;
        if record.timestamp > self.max_timestamp {
            self.max_timestamp = record.timestamp;
        }
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of keys and values (what output caps count).
    pub fn payload_bytes(&self) -> u64 {
        self.payload_bytes
    }

    /// The largest timestamp of its records, if any has one.
    pub fn max_timestamp(&self) -> Option<i64> {
        self.max_timestamp
    }

    /// The packed bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The packed bytes as a vector, for APIs that take `&Vec<u8>` (the
    /// bindings wasmtime generates for a `list<u8>` parameter).
    pub fn as_vec(&self) -> &Vec<u8> {
        &self.bytes
    }

    /// The packed bytes, taken out.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Its records, borrowed, in order.
    pub fn records(&self) -> impl Iterator<Item = PackedRecord<'_>> {
        let entries: Entries<'_, PackedRecord<'_>> = packed::records(&self.bytes);
        entries.map(|r| r.expect("a PackedBatch is well formed"))
    }

    /// Its records as owned [`Record`]s.
    pub fn to_records(&self) -> Vec<Record> {
        let mut out = Vec::with_capacity(self.len);
        out.extend(self.records().map(Record::from));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushed_and_parsed_batches_agree_and_round_trip_owned_records() {
        let records = vec![
            Record::new("v").with_key("key").with_timestamp(-5),
            Record::new(""),
            Record::new("x").with_timestamp(9),
            Record::new(vec![7; 300]).with_key(""),
        ];
        let pushed = PackedBatch::from_records(&records);
        assert_eq!(pushed.len(), 4);
        assert_eq!(pushed.payload_bytes(), 3 + 1 + 1 + 300);
        assert_eq!(pushed.max_timestamp(), Some(9));
        assert_eq!(pushed.to_records(), records);
        let parsed = PackedBatch::parse(pushed.as_bytes().to_vec()).unwrap();
        assert_eq!(parsed, pushed);
        assert_eq!(
            PackedBatch::parse(Vec::new()).unwrap(),
            PackedBatch::default()
        );
    }

    #[test]
    fn parse_refuses_a_malformed_batch_with_its_offset() {
        let mut bytes = PackedBatch::from_records(&[Record::new("a")]).into_bytes();
        let good = bytes.len();
        bytes.extend_from_slice(&[1, 200, 0, 0, 0]);
        let err = PackedBatch::parse(bytes).unwrap_err();
        assert_eq!(err.offset, good);
        assert_eq!(err.reason, "the key runs past the end");
    }

    #[test]
    fn a_batch_without_timestamps_has_no_max() {
        let mut batch = PackedBatch::default();
        batch.push(None, b"a", None);
        assert_eq!(batch.max_timestamp(), None);
    }
}
