//! State values as bytes: postcard, with the state's name in errors.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, Result};

pub(super) fn encode<T: Serialize + ?Sized>(state: &str, value: &T) -> Result<Vec<u8>> {
    postcard::to_allocvec(value)
        .map_err(|e| Error::Codec(format!("encoding a value of state `{state}`: {e}")))
}

pub(super) fn decode<T: DeserializeOwned>(state: &str, bytes: &[u8]) -> Result<T> {
    postcard::from_bytes(bytes)
        .map_err(|e| Error::Codec(format!("decoding a value of state `{state}`: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_the_state_on_error() {
        let bytes = encode("s", &(7u64, "x")).unwrap();
        assert_eq!(
            decode::<(u64, String)>("s", &bytes).unwrap(),
            (7, "x".into())
        );
        let err = decode::<u64>("count", &[]).unwrap_err();
        assert!(matches!(err, Error::Codec(m) if m.contains("`count`")));
    }
}
