//! How a sink turns a record into a line.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;
use weir_spec::OutputFormat;
use weir_types::{Millis, Record};

/// The `record` output format: one JSON object per line.
#[derive(Serialize)]
struct JsonLine<'a> {
    key: Option<Cow<'a, str>>,
    value: Cow<'a, str>,
    timestamp: Option<Millis>,
}

/// Writes `record` as one line (with its `\n`) in `format`.
pub(crate) fn write_line(
    format: OutputFormat,
    record: &Record,
    out: &mut impl Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Value => out.write_all(&record.value)?,
        OutputFormat::Record => {
            let line = JsonLine {
                key: record.key.as_deref().map(String::from_utf8_lossy),
                value: String::from_utf8_lossy(&record.value),
                timestamp: record.timestamp,
            };
            serde_json::to_writer(&mut *out, &line)?;
        }
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(format: OutputFormat, record: &Record) -> String {
        let mut out = Vec::new();
        write_line(format, record, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn value_format_writes_the_value_bytes() {
        let r = Record::new("hello world").with_key("k").with_timestamp(3);
        assert_eq!(line(OutputFormat::Value, &r), "hello world\n");
        let mut out = Vec::new();
        write_line(OutputFormat::Value, &Record::new(&b"\xff"[..]), &mut out).unwrap();
        assert_eq!(out, b"\xff\n");
    }

    #[test]
    fn record_format_writes_a_json_object() {
        let r = Record::new("v \"q\"\n").with_key("k").with_timestamp(-3);
        assert_eq!(
            line(OutputFormat::Record, &r),
            "{\"key\":\"k\",\"value\":\"v \\\"q\\\"\\n\",\"timestamp\":-3}\n"
        );
        assert_eq!(
            line(OutputFormat::Record, &Record::new(&b"a\xffb"[..])),
            "{\"key\":null,\"value\":\"a\u{fffd}b\",\"timestamp\":null}\n"
        );
    }
}
