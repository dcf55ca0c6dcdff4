#![doc = include_str!("../README.md")]

mod chain;
mod channel;
mod error;
mod gate;
mod job;
mod metrics;
mod node;
mod partition;
pub mod plan;
mod progress;
mod task;

pub use channel::{Disconnected, ElementSender, Inbox, LocalSender};
pub use error::{Result, RuntimeError};
pub use gate::{GateEvent, InputGate};
pub use job::{Job, JobSummary, NodeSummary, RunOptions, resolve_module, run_job};
pub use metrics::{JobCounters, NodeCounters};
pub use plan::ExecutionPlan;
