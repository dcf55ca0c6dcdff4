//! What a plugin does with a record it cannot handle.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use weir_sdk::{Error, Result};

/// The `on_error` config field of a plugin: `fail` or `skip`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnError {
    /// Fail the call, and so the job, with the record's error.
    #[default]
    Fail,
    /// Drop the record and go on; skips are logged (see [`Skipped`]).
    Skip,
}

impl<'de> Deserialize<'de> for OnError {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        match value.as_str() {
            Some("fail") => Ok(OnError::Fail),
            Some("skip") => Ok(OnError::Skip),
            _ => Err(D::Error::custom(format!(
                "on_error: expected `fail` or `skip`, found {value}"
            ))),
        }
    }
}

/// Counts the records a plugin skipped and logs a warning at the 1st, 10th,
/// 100th, … skip with the latest reason, so a flood of bad input does not
/// flood the log.
#[derive(Debug, Default)]
pub struct Skipped {
    count: u64,
}

impl Skipped {
    /// Applies `policy` to `result`: with [`OnError::Skip`] a
    /// [`Error::BadInput`] becomes `Ok(None)` and is counted; every other
    /// error, and every error under [`OnError::Fail`], is returned.
    pub fn handle<T>(&mut self, policy: OnError, result: Result<T>) -> Result<Option<T>> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(Error::BadInput(why)) if policy == OnError::Skip => {
                self.count += 1;
                if is_power_of_ten(self.count) {
                    weir_sdk::log::warn!("skipped {} bad records; latest: {why}", self.count);
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// How many records were skipped.
    pub fn count(&self) -> u64 {
        self.count
    }
}

fn is_power_of_ten(mut n: u64) -> bool {
    while n >= 10 && n.is_multiple_of(10) {
        n /= 10;
    }
    n == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_counts_bad_input_and_passes_other_errors() {
        let mut s = Skipped::default();
        assert_eq!(s.handle(OnError::Skip, Ok(1)), Ok(Some(1)));
        assert_eq!(
            s.handle::<()>(OnError::Skip, Err(Error::bad_input("x"))),
            Ok(None)
        );
        assert_eq!(
            s.handle::<()>(OnError::Skip, Err(Error::failed("boom"))),
            Err(Error::failed("boom"))
        );
        assert_eq!(
            s.handle::<()>(OnError::Fail, Err(Error::bad_input("y"))),
            Err(Error::bad_input("y"))
        );
        assert_eq!(s.count(), 1);
    }

    #[test]
    fn logs_at_powers_of_ten() {
        let logged: Vec<u64> = (1..=1000).filter(|n| is_power_of_ten(*n)).collect();
        assert_eq!(logged, [1, 10, 100, 1000]);
    }

    #[test]
    fn parses_from_config() {
        let p: OnError = serde_json::from_str("\"skip\"").unwrap();
        assert_eq!(p, OnError::Skip);
        let err = serde_json::from_str::<OnError>("\"ignore\"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "on_error: expected `fail` or `skip`, found \"ignore\""
        );
    }
}
