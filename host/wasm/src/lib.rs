#![doc = include_str!("../README.md")]

mod engine;
mod error;
mod host;
mod imports;
mod limits;
mod metrics;
mod module;
mod operator;
mod sandbox;
mod udf;

pub use engine::WasmEngine;
pub use error::{CallKind, Result, TrapCause, WasmError};
pub use host::TaskInfo;
pub use limits::SandboxLimits;
pub use metrics::{Histogram, OperatorMetrics};
pub use module::{Module, WorldKind};
pub use operator::{OperatorInstance, OperatorOutput, StateSnapshot};
pub use sandbox::InstanceSetup;
pub use udf::UdfInstance;
