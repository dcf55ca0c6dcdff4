//! The Wasm side: finding or building the bench guests, and running a
//! scenario's job with `weir_runtime::Job`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use weir_guest_build::{GuestBuilder, Toolchain};
use weir_runtime::{Job, JobSummary, RunOptions};
use weir_spec::{JobSpec, LoadedSpec};
use weir_wasm::WasmEngine;

use super::checksum::Checksum;
use super::scenario::{JobParams, Modules, Output, Scenario};

/// The bench guests' components: those in `module_dir` when given, else
/// built from the workspace's `bench/guests` (into `$WEIR_GUEST_TARGET_DIR`
/// when set).
pub(crate) fn modules(module_dir: Option<&Path>) -> anyhow::Result<Modules> {
    if let Some(dir) = module_dir {
        let modules = Modules::in_dir(dir);
        for path in modules.all() {
            ensure!(
                path.is_file(),
                "{} is missing: build the bench guests with `weir build -p {}`",
                path.display(),
                Modules::PACKAGES.join(" -p ")
            );
        }
        return Ok(modules);
    }
    let root = workspace_root()?;
    let mut builder = GuestBuilder::new(&root, Toolchain::detect()?);
    if let Some(dir) = std::env::var_os("WEIR_GUEST_TARGET_DIR") {
        builder = builder.target_dir(PathBuf::from(dir));
    }
    eprintln!("building the bench guests in {}", root.display());
    for package in Modules::PACKAGES {
        builder
            .build_package(package)
            .with_context(|| format!("building {package}"))?;
    }
    Ok(Modules::in_dir(builder.component_dir()))
}

/// The Weir workspace: the current folder if it holds the bench guests, else
/// the checkout this binary was built from.
fn workspace_root() -> anyhow::Result<PathBuf> {
    let has_guests = |dir: &Path| dir.join("bench/guests/bench-map/Cargo.toml").is_file();
    let cwd = std::env::current_dir().context("reading the current folder")?;
    if has_guests(&cwd) {
        return Ok(cwd);
    }
    let built_from = crate::checkout::root();
    if has_guests(&built_from) {
        return Ok(built_from.canonicalize().unwrap_or(built_from));
    }
    bail!(
        "no bench guests here or in {}: run from the Weir checkout or pass --module-path",
        built_from.display()
    )
}

/// What one Wasm job did.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WasmRun {
    /// From starting the job's tasks to their end (modules already loaded).
    pub(crate) elapsed: Duration,
    /// Records that reached the sink.
    pub(crate) records_out: u64,
}

/// Runs `scenario`'s job once.
pub(crate) fn run(
    engine: &WasmEngine,
    scenario: Scenario,
    params: &JobParams<'_>,
) -> anyhow::Result<WasmRun> {
    let yaml = scenario.job_yaml(params);
    let origin = format!("<bench scenario {}>", scenario.letter());
    let spec = JobSpec::from_yaml_str(&yaml, Path::new(&origin))?;
    let run = run_spec(engine, spec, params.records, &RunOptions::default())?;
    Ok(run.run)
}

/// A bench job's run: when its tasks started, and what it did.
pub(crate) struct SpecRun {
    pub(crate) started: Instant,
    pub(crate) run: WasmRun,
    pub(crate) summary: JobSummary,
}

/// Runs a bench job once with `options`, checking that its sources read
/// `records` records.
pub(crate) fn run_spec(
    engine: &WasmEngine,
    spec: JobSpec,
    records: u64,
    options: &RunOptions,
) -> anyhow::Result<SpecRun> {
    let name = spec.name.clone();
    let sources: Vec<String> = spec.sources.iter().map(|s| s.id.clone()).collect();
    let loaded = LoadedSpec {
        spec,
        dir: std::env::current_dir().context("reading the current folder")?,
    };
    let job = Job::prepare(engine, loaded, options)
        .with_context(|| format!("bench job {name} cannot start"))?;
    let started = Instant::now();
    let summary = job
        .run(options)
        .with_context(|| format!("bench job {name} failed"))?;
    let elapsed = started.elapsed();
    let node = |id: &str| summary.nodes.iter().find(|n| n.id == id);
    let read: u64 = sources
        .iter()
        .map(|id| node(id).map_or(0, |n| n.records_in))
        .sum();
    ensure!(
        read == records,
        "the sources read {read} records, not {records}"
    );
    let records_out = node("out").map_or(0, |n| n.records_in);
    Ok(SpecRun {
        started,
        run: WasmRun {
            elapsed,
            records_out,
        },
        summary,
    })
}

/// Runs `scenario`'s job into a file sink in a temporary folder and returns
/// the checksum of everything it wrote.
pub(crate) fn output_checksum(
    engine: &WasmEngine,
    scenario: Scenario,
    params: &JobParams<'_>,
) -> anyhow::Result<Checksum> {
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let out = dir.path().join("out");
    let params = JobParams {
        output: Output::Files(out.clone()),
        ..params.clone()
    };
    run(engine, scenario, &params)?;
    let files = if out.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&out)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        files.sort();
        files
    } else {
        vec![out]
    };
    let mut checksum = Checksum::default();
    for file in files {
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        checksum
            .add_value_lines(&bytes, scenario.words())
            .with_context(|| format!("in {}", file.display()))?;
    }
    Ok(checksum)
}
