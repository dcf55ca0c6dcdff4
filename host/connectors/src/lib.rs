#![doc = include_str!("../README.md")]

mod error;
mod factory;
mod file_source;
mod generator;
mod sink;
mod source;
mod watermark;

pub use error::{ConnectorError, Result};
pub use factory::{open_sink, open_source};
pub use file_source::FileSource;
pub use generator::GeneratorSource;
pub use sink::{DiscardSink, FileSink, Sink, StdoutSink};
pub use source::{Source, SourcePoll, SourcePosition};
pub use watermark::WatermarkGenerator;
