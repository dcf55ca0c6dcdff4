use crate::Millis;

/// One element of a stream: an optional key that decides routing, an opaque
/// value, and an optional event time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Record {
    /// Routing key; records with the same key meet the same keyed state.
    pub key: Option<Vec<u8>>,
    /// The payload; the host never interprets it.
    pub value: Vec<u8>,
    /// Event time in milliseconds.
    pub timestamp: Option<Millis>,
}

impl Record {
    /// A record with a value only.
    pub fn new(value: impl Into<Vec<u8>>) -> Self {
        Record {
            key: None,
            value: value.into(),
            timestamp: None,
        }
    }

    /// Sets the key.
    pub fn with_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the event time.
    pub fn with_timestamp(mut self, ts: Millis) -> Self {
        self.timestamp = Some(ts);
        self
    }

    /// Bytes this record occupies in payload (key plus value).
    pub fn payload_len(&self) -> usize {
        self.value.len() + self.key.as_ref().map_or(0, Vec::len)
    }
}
