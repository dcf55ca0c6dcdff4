//! A sink that counts records and drops them.

use weir_types::{PackedBatch, Record};

use super::Sink;
use crate::{ConnectorError, Result};

/// Drops every record, counting them: the sink of benchmarks, where writing
/// would measure the output rather than the job.
#[derive(Debug)]
pub struct DiscardSink {
    id: String,
    records: u64,
    closed: bool,
}

impl DiscardSink {
    /// The discard sink `id`.
    pub fn new(id: &str) -> Self {
        DiscardSink {
            id: id.to_owned(),
            records: 0,
            closed: false,
        }
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    fn count(&mut self, records: usize) -> Result<()> {
        if self.closed {
            return Err(ConnectorError::SinkClosed {
                id: self.id.clone(),
                target: "discard".to_owned(),
            });
        }
        self.records += records as u64;
        Ok(())
    }
}

impl Sink for DiscardSink {
    fn write(&mut self, records: &[Record]) -> Result<()> {
        self.count(records.len())
    }

    fn takes_packed(&self) -> bool {
        true
    }

    fn write_packed(&mut self, batch: &PackedBatch) -> Result<()> {
        self.count(batch.len())
    }

    fn flush(&mut self) -> Result<()> {
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        self.closed = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_records_then_refuses_after_close() {
        let mut sink = DiscardSink::new("drop");
        sink.write(&[Record::new("a"), Record::new("b")]).unwrap();
        sink.write(&[]).unwrap();
        assert!(sink.takes_packed());
        sink.write_packed(&PackedBatch::from_records(&[Record::new("d")]))
            .unwrap();
        sink.flush().unwrap();
        assert_eq!(sink.records(), 3);
        sink.close().unwrap();
        sink.close().unwrap();
        let err = sink.write(&[Record::new("c")]).unwrap_err();
        assert_eq!(err.to_string(), "sink drop: write to discard after close");
        assert_eq!(sink.records(), 3);
    }
}
