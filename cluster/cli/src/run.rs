//! `weir run` and `weir check`.

use std::path::PathBuf;

use anyhow::Context;
use weir_runtime::{Job, JobSummary, RunOptions};
use weir_spec::JobSpec;
use weir_types::{MAX_WATERMARK, MIN_WATERMARK};
use weir_wasm::WasmEngine;

use crate::RunArgs;

pub(crate) fn run(args: RunArgs, check_only: bool) -> anyhow::Result<()> {
    let spec = JobSpec::load(&args.job)?;
    let options = RunOptions {
        module_path: module_path(args.module_path),
        progress: args.progress.enabled(),
    };
    let engine = WasmEngine::new().context("starting the Wasm engine")?;
    let name = spec.spec.name.clone();
    let job = Job::prepare(&engine, spec, &options)
        .with_context(|| format!("job {name} cannot start"))?;
    if check_only {
        println!("job {name}: spec and modules are valid");
        return Ok(());
    }
    let summary = job
        .run(options.progress)
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
    eprintln!("job {} finished in {secs:.2} s", s.job);
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
