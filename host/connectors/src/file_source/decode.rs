//! Turning one line of a file into a record.

use serde::de::IgnoredAny;
use serde_json::Value;
use weir_spec::{FileSourceSpec, LineFormat};
use weir_types::Record;

/// Decodes lines as a [`FileSourceSpec`] says.
#[derive(Clone, Debug)]
pub(crate) struct LineDecoder {
    format: LineFormat,
    key_field: Option<String>,
    timestamp_field: Option<String>,
}

impl LineDecoder {
    /// A decoder for `spec`; the key and timestamp fields apply to JSON only
    /// (the caller rejects them for raw lines).
    pub(crate) fn new(spec: &FileSourceSpec) -> Self {
        Self::with_fields(spec.format, &spec.key_field, &spec.timestamp_field)
    }

    /// A decoder of `format` taking the key and the event time from these
    /// JSON fields.
    pub(crate) fn with_fields(
        format: LineFormat,
        key_field: &Option<String>,
        timestamp_field: &Option<String>,
    ) -> Self {
        LineDecoder {
            format,
            key_field: key_field.clone(),
            timestamp_field: timestamp_field.clone(),
        }
    }

    /// Whether the line (without its line ending) carries no record: empty,
    /// or for JSON only whitespace.
    pub(crate) fn is_blank(&self, line: &[u8]) -> bool {
        match self.format {
            LineFormat::Raw => line.is_empty(),
            LineFormat::Json => line.iter().all(u8::is_ascii_whitespace),
        }
    }

    /// The record for `line` (without its line ending), or why there is none.
    pub(crate) fn decode(&self, line: &[u8]) -> Result<Record, String> {
        let mut record = Record::new(line);
        if self.format == LineFormat::Raw {
            return Ok(record);
        }
        if self.key_field.is_none() && self.timestamp_field.is_none() {
            serde_json::from_slice::<IgnoredAny>(line).map_err(|e| format!("invalid JSON: {e}"))?;
            return Ok(record);
        }
        let value: Value =
            serde_json::from_slice(line).map_err(|e| format!("invalid JSON: {e}"))?;
        let Value::Object(object) = value else {
            return Err("expected a JSON object".to_owned());
        };
        if let Some(field) = &self.key_field {
            record.key = Some(match object.get(field) {
                Some(Value::String(s)) => s.as_bytes().to_vec(),
                Some(other) => other.to_string().into_bytes(),
                None => return Err(format!("no key field `{field}`")),
            });
        }
        if let Some(field) = &self.timestamp_field {
            record.timestamp = Some(match object.get(field) {
                Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or_default(),
                Some(other) => {
                    return Err(format!(
                        "timestamp field `{field}` must be integer milliseconds, found {other}"
                    ));
                }
                None => return Err(format!("no timestamp field `{field}`")),
            });
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn decoder(format: LineFormat, key: Option<&str>, ts: Option<&str>) -> LineDecoder {
        LineDecoder::new(&FileSourceSpec {
            path: PathBuf::from("in"),
            format,
            key_field: key.map(str::to_owned),
            timestamp_field: ts.map(str::to_owned),
        })
    }

    #[test]
    fn raw_lines_are_values_as_is() {
        let d = decoder(LineFormat::Raw, None, None);
        let bytes = b"not json \xff {";
        assert_eq!(d.decode(bytes).unwrap(), Record::new(&bytes[..]));
        assert!(d.is_blank(b""));
        assert!(!d.is_blank(b"  "));
    }

    #[test]
    fn json_lines_are_checked_and_kept_verbatim() {
        let d = decoder(LineFormat::Json, None, None);
        let line = br#"{ "a" : [1, 2] }"#;
        assert_eq!(d.decode(line).unwrap(), Record::new(&line[..]));
        assert_eq!(d.decode(b"42").unwrap(), Record::new("42"));
        let err = d.decode(b"{\"a\":").unwrap_err();
        assert!(err.starts_with("invalid JSON"), "{err}");
        assert!(d.is_blank(b" \t "));
    }

    #[test]
    fn keys_take_strings_as_bytes_and_other_values_as_json() {
        let d = decoder(LineFormat::Json, Some("k"), None);
        let key = |line: &str| d.decode(line.as_bytes()).unwrap().key.unwrap();
        assert_eq!(key(r#"{"k":"alice"}"#), b"alice");
        assert_eq!(key(r#"{"k":17}"#), b"17");
        assert_eq!(key(r#"{"k":true}"#), b"true");
        assert_eq!(key(r#"{"k":[1, "x"]}"#), br#"[1,"x"]"#);
        assert_eq!(key(r#"{"k":null}"#), b"null");
        assert_eq!(d.decode(br#"{"j":1}"#).unwrap_err(), "no key field `k`");
        assert_eq!(d.decode(b"[1]").unwrap_err(), "expected a JSON object");
    }

    #[test]
    fn timestamps_must_be_integers() {
        let d = decoder(LineFormat::Json, Some("k"), Some("ts"));
        let r = d.decode(br#"{"k":"a","ts":1700000000123}"#).unwrap();
        assert_eq!(r.timestamp, Some(1_700_000_000_123));
        assert_eq!(r.key.as_deref(), Some(&b"a"[..]));
        assert_eq!(
            d.decode(br#"{"k":"a","ts":-5}"#).unwrap().timestamp,
            Some(-5)
        );
        for bad in [r#""12""#, "1.5", "null", "18446744073709551615"] {
            let line = format!(r#"{{"k":"a","ts":{bad}}}"#);
            let err = d.decode(line.as_bytes()).unwrap_err();
            assert!(err.contains("integer milliseconds"), "{bad}: {err}");
        }
        assert_eq!(
            d.decode(br#"{"k":"a"}"#).unwrap_err(),
            "no timestamp field `ts`"
        );
    }
}
