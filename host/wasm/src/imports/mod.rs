//! The host side of every WIT import, one file per interface.

mod collector;
mod context;
mod log;
mod metrics;
mod packed;
mod state;
mod timers;
mod types;
