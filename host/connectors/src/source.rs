//! The source interface every connector implements.

use std::fmt;

use serde::{Deserialize, Serialize};
use weir_types::{Element, Millis, PackedBatch, Record};

use crate::Result;

/// One subtask of a source: a synchronous reader polled by its task thread.
///
/// The runtime calls [`poll`](Source::poll) in a loop, forwards the records,
/// and stores [`position`](Source::position) in checkpoints; on restore it
/// calls [`seek`](Source::seek) with a stored position before the first poll.
pub trait Source: Send {
    /// Appends up to `max` records to `out` (a `max` of 0 is taken as 1).
    fn poll(&mut self, max: usize, out: &mut Vec<Record>) -> Result<SourcePoll>;

    /// Whether [`poll_packed`](Source::poll_packed) packs records as it
    /// makes them (the generator), so a chain that takes packed batches
    /// (packed UDFs first) is better fed by it than by `poll`.
    fn packs(&self) -> bool {
        false
    }

    /// [`poll`](Source::poll), appending to a packed batch instead. By
    /// default polls owned records and packs them.
    fn poll_packed(&mut self, max: usize, out: &mut PackedBatch) -> Result<SourcePoll> {
        let mut records = Vec::new();
        let polled = self.poll(max, &mut records)?;
        for r in &records {
            out.push(r.key.as_deref(), &r.value, r.timestamp);
        }
        Ok(polled)
    }

    /// Where the next poll continues: everything before it has been returned.
    fn position(&self) -> SourcePosition;

    /// Continues from `pos`, a value [`position`](Source::position) returned
    /// earlier for the same subtask of the same source.
    fn seek(&mut self, pos: &SourcePosition) -> Result<()>;

    /// Records dropped so far because they could not be decoded (with
    /// [`DecodeErrorPolicy::Skip`](weir_spec::DecodeErrorPolicy::Skip)).
    fn skipped(&self) -> u64 {
        0
    }

    /// Whether the source makes its own watermarks (per partition, say)
    /// through [`watermark`](Source::watermark). Otherwise the task derives
    /// them from the polled records over the whole subtask.
    fn tracks_watermarks(&self) -> bool {
        false
    }

    /// For a source that [tracks its watermarks](Source::tracks_watermarks),
    /// called after every poll with the processing time: a new
    /// `Element::Watermark`, or `Element::Idle`, to send downstream.
    fn watermark(&mut self, now: Millis) -> Option<Element> {
        let _ = now;
        None
    }

    /// The checkpoint that stored `position` (taken at its barrier) has
    /// completed; also called with the last position when a bounded source
    /// finishes (the job's final checkpoint will hold it). A source may tell
    /// its system (a Kafka consumer group commits the offsets, for
    /// monitoring only); failing to is only logged.
    fn checkpoint_complete(&mut self, position: &SourcePosition) -> Result<()> {
        let _ = position;
        Ok(())
    }
}

/// What one [`Source::poll`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourcePoll {
    /// At least one record was appended.
    Records,
    /// Nothing now; more may come later, so poll again after a pause.
    Idle,
    /// Nothing was appended and nothing ever will be.
    Finished,
}

/// Where a source subtask is, small enough to store in every checkpoint.
///
/// ```
/// use weir_connectors::SourcePosition;
///
/// let pos = SourcePosition::File { file_index: 2, byte_offset: 4096, line: 87 };
/// assert_eq!(pos.to_string(), "file #2, byte 4096 (after line 87)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourcePosition {
    /// A file source: the next byte to read. `file_index` is the file's index
    /// in the name-ordered listing of the source's path (not only this
    /// subtask's files); an index past the last file means finished.
    File {
        /// Index of the file being read, in the whole listing.
        file_index: u64,
        /// Bytes of that file already consumed.
        byte_offset: u64,
        /// Lines of that file already consumed.
        line: u64,
    },
    /// A generator: the index of the next record this subtask generates.
    Generator {
        /// Next record index.
        next: u64,
    },
    /// A Kafka source subtask: each of its partitions' next offset.
    Kafka {
        /// The partitions this subtask reads, in topic and partition order.
        partitions: Vec<KafkaPartitionOffset>,
    },
}

/// Where one Kafka partition continues.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KafkaPartitionOffset {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset of the next record to read.
    pub next: i64,
    /// For a bounded source: the offset it ends at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<i64>,
}

impl fmt::Display for SourcePosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourcePosition::File {
                file_index,
                byte_offset,
                line,
            } => write!(
                f,
                "file #{file_index}, byte {byte_offset} (after line {line})"
            ),
            SourcePosition::Generator { next } => write!(f, "generator record {next}"),
            SourcePosition::Kafka { partitions } => {
                f.write_str("kafka")?;
                for (i, p) in partitions.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(f, "{sep}{}/{}@{}", p.topic, p.partition, p.next)?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_serialize_with_a_kind_tag() {
        let pos = SourcePosition::File {
            file_index: 1,
            byte_offset: 10,
            line: 2,
        };
        let json = serde_json::to_string(&pos).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"file","file_index":1,"byte_offset":10,"line":2}"#
        );
        assert_eq!(serde_json::from_str::<SourcePosition>(&json).unwrap(), pos);

        let pos = SourcePosition::Generator { next: 7 };
        let json = serde_json::to_string(&pos).unwrap();
        assert_eq!(json, r#"{"kind":"generator","next":7}"#);
        assert_eq!(serde_json::from_str::<SourcePosition>(&json).unwrap(), pos);
    }
}
