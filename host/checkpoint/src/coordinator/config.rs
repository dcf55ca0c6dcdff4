//! How often checkpoints are taken and how long they may take.

use std::time::Duration;

use crate::error::{Error, Result};

/// Checkpoint timing, as the coordinator applies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointConfig {
    /// Time between the starts of periodic checkpoints; `None` takes only
    /// savepoints.
    pub interval: Option<Duration>,
    /// A checkpoint not acknowledged by every task this long after it
    /// started is aborted.
    pub timeout: Duration,
    /// The least time between the end (completion or abort) of one
    /// checkpoint and the start of the next periodic one.
    pub min_pause: Duration,
    /// How many checkpoints may be in flight at once (the runtime uses 1).
    pub max_concurrent: usize,
}

impl Default for CheckpointConfig {
    /// No periodic checkpoints, a 10 minute timeout, no pause, one at a
    /// time.
    fn default() -> Self {
        CheckpointConfig {
            interval: None,
            timeout: Duration::from_secs(600),
            min_pause: Duration::ZERO,
            max_concurrent: 1,
        }
    }
}

impl CheckpointConfig {
    /// Checks the values make sense together.
    pub fn validate(&self) -> Result<()> {
        let invalid = |reason: &str| {
            Err(Error::InvalidConfig {
                reason: reason.to_owned(),
            })
        };
        if self.max_concurrent == 0 {
            return invalid("max_concurrent must be at least 1");
        }
        if self.timeout.is_zero() {
            return invalid("the checkpoint timeout must be positive");
        }
        if self.interval.is_some_and(|i| i.is_zero()) {
            return invalid("the checkpoint interval must be positive");
        }
        Ok(())
    }
}
