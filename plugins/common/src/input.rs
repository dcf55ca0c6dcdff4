//! Reading records as JSON.

use serde_json::Value;
use weir_sdk::{Error, RecordRef, Result};

/// How much of a bad value an error message quotes.
const QUOTE_CHARS: usize = 60;

/// The record's value parsed as JSON; [`Error::BadInput`] naming the problem
/// and quoting the start of the value otherwise.
pub fn parse_json<'a>(record: impl Into<RecordRef<'a>>) -> Result<Value> {
    let value = record.into().value;
    serde_json::from_slice(value)
        .map_err(|e| Error::bad_input(format!("value is not JSON: {e}: {}", quote(value))))
}

/// The start of `bytes` as a quoted string, for messages.
fn quote(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(QUOTE_CHARS).collect();
    let more = if chars.next().is_some() { "…" } else { "" };
    format!("{head:?}{more}")
}

/// A JSON value as a record key: a string as its UTF-8 text, anything else as
/// its JSON text (as the job spec's `key_field` does).
pub fn key_bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::String(s) => s.as_bytes().to_vec(),
        other => other.to_string().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use weir_sdk::Record;

    use super::*;

    #[test]
    fn parses_json_or_says_why_not() {
        assert_eq!(parse_json(&Record::new(" [1] ")).unwrap(), json!([1]));
        let err = parse_json(&Record::new("{\"a\": ")).unwrap_err();
        assert_eq!(
            err,
            Error::bad_input(
                r#"value is not JSON: EOF while parsing a value at line 1 column 6: "{\"a\": ""#
            )
        );
        let long = "x".repeat(100);
        let err = parse_json(&Record::new(long)).unwrap_err().to_string();
        assert!(err.ends_with(&format!("\"{}\"…", "x".repeat(60))), "{err}");
    }

    #[test]
    fn keys_are_text_for_strings_and_json_otherwise() {
        assert_eq!(key_bytes(&json!("alice")), b"alice");
        assert_eq!(key_bytes(&json!(42)), b"42");
        assert_eq!(key_bytes(&json!({"a": true})), br#"{"a":true}"#);
    }
}
