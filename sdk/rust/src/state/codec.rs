//! State values as bytes: postcard, with the state's name in errors.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, Result};

pub(super) fn encode<T: Serialize + ?Sized>(state: &str, value: &T) -> Result<Vec<u8>> {
    postcard::to_allocvec(value)
        .map_err(|e| Error::Codec(format!("encoding a value of state `{state}`: {e}")))
}

/// Values that encode to at most this many bytes are encoded on the stack.
const INLINE: usize = 64;

/// Calls `f` with `value` encoded, without allocating when the encoding is
/// short (most state values and map keys are): a state write or lookup then
/// costs the guest no heap allocation of its own.
pub(super) fn with_encoded<T: Serialize + ?Sized, R>(
    state: &str,
    value: &T,
    f: impl FnOnce(&[u8]) -> Result<R>,
) -> Result<R> {
    let mut buf = [0u8; INLINE];
    match postcard::to_slice(value, &mut buf) {
        Ok(bytes) => f(bytes),
        Err(postcard::Error::SerializeBufferFull) => f(&encode(state, value)?),
        Err(e) => Err(Error::Codec(format!(
            "encoding a value of state `{state}`: {e}"
        ))),
    }
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

    #[test]
    fn with_encoded_matches_encode_short_and_long() {
        let short = (7u64, "x");
        let long = "y".repeat(3 * INLINE);
        let got = with_encoded("s", &short, |b| Ok(b.to_vec())).unwrap();
        assert_eq!(got, encode("s", &short).unwrap());
        let got = with_encoded("s", &long, |b| Ok(b.to_vec())).unwrap();
        assert_eq!(got, encode("s", &long).unwrap());
        assert_eq!(decode::<String>("s", &got).unwrap(), long);
    }
}
