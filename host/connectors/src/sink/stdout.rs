//! A sink writing lines to standard output.

use std::io::{self, Stdout};

use weir_spec::StdoutSinkSpec;
use weir_types::Record;

use super::Sink;
use super::lines::LineSink;
use crate::Result;

/// Writes one line per record to standard output.
///
/// Lines are buffered and handed to stdout in large chunks of whole lines,
/// each under stdout's lock, so the subtasks of a parallel stdout sink never
/// mix their lines.
#[derive(Debug)]
pub struct StdoutSink {
    lines: LineSink<Stdout>,
}

impl StdoutSink {
    /// The stdout sink `id`.
    pub fn new(id: &str, spec: &StdoutSinkSpec) -> Self {
        StdoutSink {
            lines: LineSink::new(id, "stdout".to_owned(), spec.format, io::stdout()),
        }
    }
}

impl Sink for StdoutSink {
    fn write(&mut self, records: &[Record]) -> Result<()> {
        self.lines.write(records)
    }

    fn flush(&mut self) -> Result<()> {
        self.lines.flush()
    }

    fn close(&mut self) -> Result<()> {
        self.lines.close().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_then_refuses_after_close() {
        let mut sink = StdoutSink::new("print", &StdoutSinkSpec::default());
        // Nothing is printed, to keep the test output clean; `LineSink` has
        // the tests of what is written.
        sink.write(&[]).unwrap();
        sink.close().unwrap();
        let err = sink.write(&[Record::new("x")]).unwrap_err();
        assert_eq!(err.to_string(), "sink print: write to stdout after close");
    }
}
