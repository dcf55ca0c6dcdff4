//! Rules for `state:`, `checkpoints:` and `restart:`.

use super::Problems;
use crate::model::{CheckpointSpec, JobSpec, RestartSpec, StateBackendKind};

/// Checks the durability settings of `spec`.
pub(super) fn durability(spec: &JobSpec, out: &mut Problems) {
    if spec.state.backend == StateBackendKind::Heap {
        for (field, set) in [
            ("block_cache_mb", spec.state.block_cache_mb.is_some()),
            ("write_buffer_mb", spec.state.write_buffer_mb.is_some()),
            ("write_cache_mb", spec.state.write_cache_mb.is_some()),
            ("dir", spec.state.dir.is_some()),
        ] {
            if set {
                out.add(
                    format!("state.{field}"),
                    "only applies to `backend: rocksdb`",
                );
            }
        }
    }
    for (field, value) in [
        ("block_cache_mb", spec.state.block_cache_mb),
        ("write_buffer_mb", spec.state.write_buffer_mb),
    ] {
        if value == Some(0) {
            out.add(format!("state.{field}"), "must be at least 1");
        }
    }
    if let Some(c) = &spec.checkpoints {
        checkpoints(c, out);
    }
    if let Some(r) = &spec.restart {
        restart(r, out);
    }
}

fn checkpoints(c: &CheckpointSpec, out: &mut Problems) {
    if c.interval_ms == 0 {
        out.add("checkpoints.interval_ms", "must be at least 1");
    }
    if c.timeout_ms == 0 {
        out.add("checkpoints.timeout_ms", "must be at least 1");
    }
    if c.retain == 0 {
        out.add(
            "checkpoints.retain",
            "must be at least 1 (the latest checkpoint is what a restore uses)",
        );
    }
    for (field, location) in [("storage", &c.storage), ("savepoints", &c.savepoints)] {
        if let Some(location) = location
            && let Err(message) = check_location(location)
        {
            out.add(format!("checkpoints.{field}"), message);
        }
    }
}

/// A location is a path, `file://` URL with an absolute path, or `s3://`
/// URL with a bucket.
pub fn check_location(location: &str) -> Result<(), String> {
    if location.trim().is_empty() {
        return Err("must not be empty".to_owned());
    }
    match location.split_once("://") {
        None => Ok(()),
        Some(("file", rest)) if rest.starts_with('/') => Ok(()),
        Some(("file", _)) => Err(format!(
            "`{location}`: a file URL needs an absolute path (file:///...)"
        )),
        Some(("s3", rest)) if !rest.is_empty() && !rest.starts_with('/') => Ok(()),
        Some(("s3", _)) => Err(format!(
            "`{location}`: an s3 URL needs a bucket (s3://bucket/prefix)"
        )),
        Some((scheme, _)) => Err(format!(
            "`{location}`: unsupported scheme `{scheme}`, expected a path, `file://` or `s3://`"
        )),
    }
}

fn restart(r: &RestartSpec, out: &mut Problems) {
    match r {
        RestartSpec::None | RestartSpec::FixedDelay { .. } => {}
        RestartSpec::ExponentialBackoff {
            initial_delay_ms,
            max_delay_ms,
            multiplier,
            ..
        } => {
            if !(multiplier.is_finite() && *multiplier >= 1.0) {
                out.add(
                    "restart.multiplier",
                    format!("is {multiplier}, must be at least 1"),
                );
            }
            if max_delay_ms < initial_delay_ms {
                out.add(
                    "restart.max_delay_ms",
                    format!("is {max_delay_ms}, less than initial_delay_ms ({initial_delay_ms})"),
                );
            }
        }
        RestartSpec::FailureRate {
            max_failures,
            interval_ms,
            ..
        } => {
            if *interval_ms == 0 {
                out.add("restart.interval_ms", "must be at least 1");
            }
            if *max_failures == 0 {
                out.add(
                    "restart.max_failures",
                    "must be at least 1 (use `strategy: none` to never restart)",
                );
            }
        }
    }
}
