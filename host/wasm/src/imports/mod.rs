//! The host side of every WIT import, one file per interface.

mod collector;
mod context;
mod log;
mod metrics;
mod packed;
mod state;
mod state_batch;
mod timers;
mod types;
