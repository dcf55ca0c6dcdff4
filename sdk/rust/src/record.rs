//! Records and timers as operator code sees them.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, RecordRef, Result};

/// One element of a stream: an optional routing key, an opaque value and an
/// optional event time in milliseconds since the Unix epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Record {
    /// Routing key; records with the same key meet the same keyed state.
    pub key: Option<Vec<u8>>,
    /// The payload, as bytes.
    pub value: Vec<u8>,
    /// Event time in milliseconds.
    pub timestamp: Option<i64>,
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

    /// A record with a key and a value.
    pub fn keyed(key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Self {
        Record::new(value).with_key(key)
    }

    /// A record whose value is `value` as JSON.
    ///
    /// ```
    /// let r = weir_sdk::Record::from_json(&serde_json::json!({"n": 1})).unwrap();
    /// assert_eq!(r.value_str().unwrap(), r#"{"n":1}"#);
    /// ```
    pub fn from_json<T: Serialize + ?Sized>(value: &T) -> Result<Self> {
        Ok(Record::new(serde_json::to_vec(value)?))
    }

    /// Sets the key.
    pub fn with_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the event time.
    pub fn with_timestamp(mut self, timestamp: i64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// The value as UTF-8 text, or [`Error::BadInput`].
    pub fn value_str(&self) -> Result<&str> {
        RecordRef::from(self).value_str()
    }

    /// The key as UTF-8 text: `None` without a key, [`Error::BadInput`] if it
    /// is not UTF-8.
    pub fn key_str(&self) -> Result<Option<&str>> {
        RecordRef::from(self).key_str()
    }

    /// The value parsed as JSON, or [`Error::BadInput`].
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Txn { amount: u64 }
    /// let r = weir_sdk::Record::new(r#"{"amount": 42}"#);
    /// assert_eq!(r.json::<Txn>().unwrap().amount, 42);
    /// assert!(weir_sdk::Record::new("nope").json::<Txn>().is_err());
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        RecordRef::from(self).json()
    }
}

/// Which clock a timer belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimeDomain {
    /// Fires when the operator's watermark reaches the timer's time.
    EventTime,
    /// Fires when the worker's wall clock reaches the timer's time.
    ProcessingTime,
}

/// A timer that fired. Its key is the current key while it is handled.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Timer {
    /// The key the timer was registered under.
    pub key: Option<Vec<u8>>,
    /// The time it was registered for, in milliseconds.
    pub timestamp: i64,
    /// Its clock.
    pub domain: TimeDomain,
}

impl Timer {
    /// The key as UTF-8 text: `None` without a key, [`Error::BadInput`] if it
    /// is not UTF-8.
    pub fn key_str(&self) -> Result<Option<&str>> {
        key_str(self.key.as_deref())
    }
}

pub(crate) fn key_str(key: Option<&[u8]>) -> Result<Option<&str>> {
    key.map(|k| {
        std::str::from_utf8(k).map_err(|e| Error::bad_input(format!("key is not UTF-8: {e}")))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_helpers_reject_invalid_utf8() {
        let r = Record::keyed(vec![0xff], vec![0xfe]);
        assert!(matches!(r.value_str(), Err(Error::BadInput(_))));
        assert!(matches!(r.key_str(), Err(Error::BadInput(_))));
        let ok = Record::keyed("k", "v").with_timestamp(5);
        assert_eq!(ok.key_str().unwrap(), Some("k"));
        assert_eq!(ok.value_str().unwrap(), "v");
        assert_eq!(ok.timestamp, Some(5));
        assert_eq!(Record::new("v").key_str().unwrap(), None);
    }
}
