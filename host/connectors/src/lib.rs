#![doc = include_str!("../README.md")]

mod error;
mod factory;
mod file_source;
mod generator;
mod kafka;
mod pacer;
mod partition_watermarks;
mod sink;
mod source;
mod watermark;

pub use error::{ConnectorError, Result};
pub use factory::{open_checkpointed_sink, open_sink, open_source, recover_sink};
pub use file_source::FileSource;
pub use generator::GeneratorSource;
pub use kafka::{KafkaSink, KafkaSource, TransactionalKafkaSink};
pub use partition_watermarks::PartitionWatermarks;
pub use sink::{
    CommittingFileSink, DiscardSink, FINAL_CHECKPOINT, FileSink, FileSinkState, Segment, Sink,
    SinkPrecommit, StdoutSink, recover_file_sink,
};
pub use source::{KafkaPartitionOffset, Source, SourcePoll, SourcePosition};
pub use watermark::WatermarkGenerator;
