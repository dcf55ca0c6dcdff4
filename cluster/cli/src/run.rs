//! `weir run` and `weir check`.

use std::path::PathBuf;

use std::sync::Arc;

use anyhow::Context;
use weir_runtime::{
    CheckpointObserver, CheckpointReport, Job, JobSummary, RestartObserver, RunOptions,
    RuntimeError, human_bytes,
};
use weir_spec::JobSpec;
use weir_types::{MAX_WATERMARK, MIN_WATERMARK};
use weir_wasm::WasmEngine;

use crate::RunArgs;
use crate::control::{self, ControlServer};

pub(crate) fn run(args: RunArgs, check_only: bool) -> anyhow::Result<()> {
    let spec = JobSpec::load(&args.job)?;
    let options = RunOptions {
        module_path: module_path(args.module_path),
        progress: args.progress.enabled(),
        restore: args.restore,
        on_checkpoint: Some(CheckpointObserver(Arc::new(|c: &CheckpointReport| {
            let what = if c.savepoint {
                "savepoint"
            } else {
                "checkpoint"
            };
            eprintln!(
                "{what} {} complete in {} ms: {} ({} uploaded) at {}",
                c.id,
                c.duration.as_millis(),
                human_bytes(c.size),
                human_bytes(c.uploaded),
                c.location
            );
        }))),
        on_restart: Some(RestartObserver(Arc::new(|e: &RuntimeError, from: &str| {
            eprintln!("job failed: {e}; restarting from {from}");
        }))),
    };
    let spec_dir = spec.dir.clone();
    let durable = spec.spec.checkpoints.is_some();
    let engine = WasmEngine::new().context("starting the Wasm engine")?;
    let name = spec.spec.name.clone();
    let job = Job::prepare(&engine, spec, &options)
        .with_context(|| format!("job {name} cannot start"))?;
    if check_only {
        println!("job {name}: spec and modules are valid");
        return Ok(());
    }
    // Savepoints need somewhere to go: only jobs with checkpoint storage
    // listen for `weir savepoint` and `weir stop`.
    let _control = if durable {
        Some(ControlServer::start(
            control::address_file(&spec_dir, &name),
            job.savepoint_requests(),
        )?)
    } else {
        None
    };
    let summary = job
        .run(&options)
        .with_context(|| format!("job {name} failed"))?;
    print_summary(&summary);
    Ok(())
}

/// `--module-path` folders, then `WEIR_MODULE_PATH`, then the default guest
/// component folder (`$WEIR_GUEST_TARGET_DIR/components`, else
/// `target/weir-guests/components`).
fn module_path(mut dirs: Vec<PathBuf>) -> Vec<PathBuf> {
    if let Some(env) = std::env::var_os("WEIR_MODULE_PATH") {
        dirs.extend(std::env::split_paths(&env));
    }
    match std::env::var_os("WEIR_GUEST_TARGET_DIR") {
        Some(t) => dirs.push(PathBuf::from(t).join("components")),
        None => dirs.push(PathBuf::from("target/weir-guests/components")),
    }
    dirs
}

fn print_summary(s: &JobSummary) {
    let secs = s.duration.as_secs_f64();
    if let Some(from) = &s.restored_from {
        eprintln!("job {} restored from {from}", s.job);
    }
    if s.already_finished {
        eprintln!(
            "job {} had already finished: its last output is committed",
            s.job
        );
        return;
    }
    match &s.stopped_with_savepoint {
        Some(location) => eprintln!(
            "job {} stopped with a savepoint at {location} after {secs:.2} s",
            s.job
        ),
        None => eprintln!("job {} finished in {secs:.2} s", s.job),
    }
    if s.restarts > 0 {
        eprintln!("  restarted {} times after failures", s.restarts);
    }
    if !s.checkpoints.is_empty() {
        let total: u128 = s.checkpoints.iter().map(|c| c.duration.as_millis()).sum();
        let last = s.checkpoints.last().expect("not empty");
        eprintln!(
            "  {} checkpoints/savepoints, mean {} ms; last: {} {} ({}, {} uploaded)",
            s.checkpoints.len(),
            total / s.checkpoints.len() as u128,
            if last.savepoint {
                "savepoint"
            } else {
                "checkpoint"
            },
            last.id,
            human_bytes(last.size),
            human_bytes(last.uploaded)
        );
    }
    eprintln!(
        "  {:<24} {:>12} {:>12} {:>14}  watermark",
        "node", "records in", "records out", "in rec/s"
    );
    for n in &s.nodes {
        let wm = match n.watermark {
            MIN_WATERMARK => "-".to_owned(),
            MAX_WATERMARK => "end".to_owned(),
            w => w.to_string(),
        };
        eprintln!(
            "  {:<24} {:>12} {:>12} {:>14.0}  {wm}",
            n.id,
            n.records_in,
            n.records_out,
            n.records_in as f64 / secs.max(1e-9)
        );
        if n.records_skipped > 0 {
            eprintln!(
                "    {} records skipped: they could not be decoded",
                n.records_skipped
            );
        }
        if n.state_bytes > 0 {
            eprintln!("    keyed state {} bytes", n.state_bytes);
        }
        for (name, v) in &n.metrics.counters {
            eprintln!("    counter {name} = {v}");
        }
        for (name, v) in &n.metrics.gauges {
            eprintln!("    gauge {name} = {v}");
        }
        for (name, h) in &n.metrics.histograms {
            eprintln!(
                "    histogram {name}: count {} mean {:.3} min {} max {}",
                h.count,
                h.sum / h.count.max(1) as f64,
                h.min,
                h.max
            );
        }
        if n.dropped_side_records > 0 {
            eprintln!(
                "    {} records to side outputs the job does not connect were dropped",
                n.dropped_side_records
            );
        }
    }
}

/// `weir savepoint` and `weir stop`.
pub(crate) fn savepoint(args: crate::SavepointArgs, stop: bool) -> anyhow::Result<()> {
    if let Some(location) = args.dispose {
        weir_checkpoint::CheckpointStorage::dispose(&location, &Default::default())
            .with_context(|| format!("cannot dispose of {location}"))?;
        println!("disposed of savepoint {location}");
        return Ok(());
    }
    let Some(job) = args.job else {
        anyhow::bail!("name the job spec of the running job (or --dispose <savepoint>)");
    };
    let spec = JobSpec::load(&job)?;
    let file = control::address_file(&spec.dir, &spec.spec.name);
    let location = control::request_savepoint(&file, args.target, stop)
        .with_context(|| format!("no savepoint of job {}", spec.spec.name))?;
    println!("{location}");
    Ok(())
}
