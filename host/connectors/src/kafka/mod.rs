//! Kafka connectors over librdkafka (the `rdkafka` crate, synchronous
//! clients: sources and sinks are driven by task threads).
//!
//! The source reads the partitions its subtask owns with a consumer
//! assigned to them by hand; their offsets are the source's position in
//! every checkpoint, so a restored job continues exactly where the
//! checkpoint says, and the offsets are committed to the consumer group when
//! a checkpoint completes (for monitoring only). Watermarks are kept per
//! partition.

mod assign;
mod source;

pub use source::KafkaSource;
