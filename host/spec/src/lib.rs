#![doc = include_str!("../README.md")]

mod de;
mod durability;
mod error;
mod graph;
mod kafka;
mod load;
pub mod model;
pub mod validate;

pub use error::{Problem, SpecError};
pub use graph::NodeRef;
pub use load::LoadedSpec;
pub use model::{
    CheckpointSpec, DecodeErrorPolicy, Delivery, DiscardSinkSpec, EdgeSpec, FileSinkSpec,
    FileSourceSpec, GeneratedValue, GeneratorSpec, JobSpec, KafkaSinkSpec, KafkaSourceSpec, KeyBy,
    LimitsSpec, LineFormat, OperatorSpec, OutputFormat, Partitioning, RestartSpec, SinkKind,
    SinkSpec, SourceKind, SourceSpec, StartOffsets, StateBackendKind, StateSpec, StdoutSinkSpec,
    StopOffsets, TopicSelection, WatermarkSpec,
};
