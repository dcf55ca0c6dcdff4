//! Kafka connectors over librdkafka (the `rdkafka` crate, synchronous
//! clients: sources and sinks are driven by task threads).
//!
//! The source reads the partitions its subtask owns with a consumer
//! assigned to them by hand; their offsets are the source's position in
//! every checkpoint, so a restored job continues exactly where the
//! checkpoint says, and the offsets are committed to the consumer group when
//! a checkpoint completes (for monitoring only). Watermarks are kept per
//! partition. The sink sends records as they come and waits for the
//! brokers' acknowledgements at every checkpoint barrier: at least once.
//! With `delivery: exactly_once` it writes records ahead into checkpoints
//! and sends each completed checkpoint's records in one Kafka transaction
//! ([`TransactionalKafkaSink`]).

mod assign;
mod auth;
mod committer;
mod producer;
mod sink;
mod source;
mod transactional;
mod transactions;
mod write_ahead;

pub use sink::KafkaSink;
pub use source::KafkaSource;
pub use transactional::TransactionalKafkaSink;
pub(crate) use transactional::recover_transactions;
