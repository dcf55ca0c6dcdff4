//! The buffering shared by the sinks that write one line per record.

use std::io::Write;

use weir_spec::OutputFormat;
use weir_types::Record;

use super::line_format::write_line;
use crate::{ConnectorError, Result};

/// Lines are handed to the output in chunks of about this many bytes.
const CHUNK: usize = 64 * 1024;

/// Encodes records into a buffer and hands whole lines to `W` in large
/// chunks, so that concurrent writers to one output (stdout) never interleave
/// within a line and each chunk costs one system call.
#[derive(Debug)]
pub(crate) struct LineSink<W: Write> {
    id: String,
    target: String,
    format: OutputFormat,
    /// `None` once closed.
    out: Option<W>,
    buf: Vec<u8>,
}

impl<W: Write> LineSink<W> {
    /// A sink `id` writing to `out`, which error messages call `target`.
    pub(crate) fn new(id: &str, target: String, format: OutputFormat, out: W) -> Self {
        LineSink {
            id: id.to_owned(),
            target,
            format,
            out: Some(out),
            buf: Vec::with_capacity(CHUNK),
        }
    }

    pub(crate) fn error(&self, source: std::io::Error) -> ConnectorError {
        ConnectorError::SinkIo {
            id: self.id.clone(),
            target: self.target.clone(),
            source,
        }
    }

    pub(crate) fn write(&mut self, records: &[Record]) -> Result<()> {
        if self.out.is_none() {
            return Err(ConnectorError::SinkClosed {
                id: self.id.clone(),
                target: self.target.clone(),
            });
        }
        for record in records {
            write_line(self.format, record, &mut self.buf).map_err(|e| self.error(e))?;
            if self.buf.len() >= CHUNK {
                self.write_out()?;
            }
        }
        Ok(())
    }

    /// Hands the buffered lines to the output.
    fn write_out(&mut self) -> Result<()> {
        let Some(out) = &mut self.out else {
            return Ok(());
        };
        let written = out.write_all(&self.buf);
        // Lines that failed to go out are not retried: the task fails.
        self.buf.clear();
        written.map_err(|e| self.error(e))
    }

    pub(crate) fn flush(&mut self) -> Result<()> {
        self.write_out()?;
        match &mut self.out {
            Some(out) => out.flush().map_err(|e| self.error(e)),
            None => Ok(()),
        }
    }

    /// Flushes and gives back the output, the first time only.
    pub(crate) fn close(&mut self) -> Result<Option<W>> {
        self.flush()?;
        Ok(self.out.take())
    }
}

impl<W: Write> Drop for LineSink<W> {
    /// Like `std::io::BufWriter`, a sink dropped without `close` still tries
    /// to write what it buffered; errors are ignored.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    /// Records what reached the output, one entry per `write` call.
    #[derive(Default)]
    struct Chunks(Vec<Vec<u8>>);

    impl Write for &mut Chunks {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "no space left"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn buffers_until_flush_and_hands_out_whole_lines() {
        let mut chunks = Chunks::default();
        let mut sink = LineSink::new("out", "mem".to_owned(), OutputFormat::Value, &mut chunks);
        let big = Record::new(vec![b'x'; 1000]);
        sink.write(&vec![big; 100]).unwrap();
        sink.write(&[Record::new("tail")]).unwrap();
        sink.close().unwrap();
        drop(sink);
        assert!(chunks.0.len() >= 2, "written in more than one chunk");
        for chunk in &chunks.0 {
            assert!(chunk.ends_with(b"\n") && chunk.len() <= CHUNK + 1001);
        }
        let all = chunks.0.concat();
        assert_eq!(all.len(), 100 * 1001 + 5);
        assert!(all.ends_with(b"x\ntail\n"));
    }

    #[test]
    fn nothing_is_written_before_flush_and_close_is_idempotent() {
        let mut chunks = Chunks::default();
        {
            let mut sink = LineSink::new("out", "mem".to_owned(), OutputFormat::Value, &mut chunks);
            sink.write(&[Record::new("a")]).unwrap();
            sink.flush().unwrap();
            sink.write(&[Record::new("b")]).unwrap();
            assert!(sink.close().unwrap().is_some());
            assert!(sink.close().unwrap().is_none());
            let err = sink.write(&[Record::new("c")]).unwrap_err();
            assert_eq!(err.to_string(), "sink out: write to mem after close");
        }
        assert_eq!(chunks.0, [b"a\n".to_vec(), b"b\n".to_vec()]);
    }

    #[test]
    fn drop_flushes_what_was_buffered() {
        let mut chunks = Chunks::default();
        let mut sink = LineSink::new("out", "mem".to_owned(), OutputFormat::Value, &mut chunks);
        sink.write(&[Record::new("a")]).unwrap();
        drop(sink);
        assert_eq!(chunks.0, [b"a\n".to_vec()]);
    }

    #[test]
    fn write_errors_name_the_sink_and_target() {
        let mut sink = LineSink::new("out", "/data/o.txt".to_owned(), OutputFormat::Value, Full);
        sink.write(&[Record::new("a")]).unwrap();
        let err = sink.flush().unwrap_err();
        assert_eq!(
            err.to_string(),
            "sink out: cannot write /data/o.txt: no space left"
        );
    }
}
