#![doc = include_str!("../README.md")]

mod attempt;
mod backend;
mod barrier;
mod capture;
mod chain;
mod channel;
mod checkpointer;
mod control;
mod durability;
mod error;
mod gate;
mod job;
mod metrics;
mod node;
mod partition;
pub mod plan;
mod progress;
mod restart;
mod restore;
mod rocksdb;
mod task;

pub use channel::{
    Disconnected, ElementSender, Inbox, InboxReader, LocalSender, Received, Tagged, UpstreamGone,
};
pub use checkpointer::{CheckpointObserver, CheckpointReport, SavepointRequest, human_bytes};
pub use error::{Result, RuntimeError};
pub use gate::{GateEvent, InputGate};
pub use job::{Job, JobSummary, NodeSummary, RestartObserver, RunOptions, resolve_module, run_job};
pub use metrics::{JobCounters, NodeCounters};
pub use plan::ExecutionPlan;
pub use restart::{Decision, RestartStrategy};
pub use restore::Restore;
