//! The job spec: YAML parsing and validation with errors that name the field.

pub mod model;

pub use model::{
    DecodeErrorPolicy, EdgeSpec, FileSinkSpec, FileSourceSpec, GeneratedValue, GeneratorSpec,
    JobSpec, KeyBy, LimitsSpec, LineFormat, OperatorSpec, OutputFormat, Partitioning, SinkKind,
    SinkSpec, SourceKind, SourceSpec, StdoutSinkSpec, WatermarkSpec,
};
