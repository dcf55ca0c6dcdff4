//! Runs operators natively, with no Wasm: on targets other than `wasm32` the
//! SDK's host calls go to an in-process host that keeps state, timers, output,
//! logs and metrics in memory.
//!
//! A [`Harness`] drives an [`Operator`](crate::Operator) as the real host
//! would: records in batches, timers fired when the watermark or the wall
//! clock advances, output flushed per call; then lets a test read state by
//! key. A [`UdfHarness`] does the same for a [`Udf`](crate::Udf). Each harness
//! has its own host, so several can run in one test thread.
//!
//! Only available on targets other than `wasm32`.

mod config;
mod harness;
pub(crate) mod host;
mod udf;

pub use config::ConfigSource;
pub use harness::{Harness, HarnessBuilder};
pub use host::LogLine;
pub use udf::UdfHarness;

#[cfg(test)]
mod tests;
