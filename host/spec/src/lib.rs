#![doc = include_str!("../README.md")]

mod de;
mod durability;
mod error;
mod graph;
mod load;
pub mod model;
pub mod validate;

pub use error::{Problem, SpecError};
pub use graph::NodeRef;
pub use load::LoadedSpec;
pub use model::{
    CheckpointSpec, DecodeErrorPolicy, DiscardSinkSpec, EdgeSpec, FileSinkSpec, FileSourceSpec,
    GeneratedValue, GeneratorSpec, JobSpec, KeyBy, LimitsSpec, LineFormat, OperatorSpec,
    OutputFormat, Partitioning, RestartSpec, SinkKind, SinkSpec, SourceKind, SourceSpec,
    StateBackendKind, StateSpec, StdoutSinkSpec, WatermarkSpec,
};
