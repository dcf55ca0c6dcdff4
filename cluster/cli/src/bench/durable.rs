//! `weir bench --durable`: what durable state costs.
//!
//! Throughput: scenario (c), the 1 s window sum over 10,000 keys, with heap
//! state, with RocksDB, and with RocksDB and checkpoints (incremental, then
//! full), each run's rate beside the RocksDB run without checkpoints.
//!
//! State that grows: the keyed count with record `i` keyed `i` (every
//! record adds a key), its generator paced so both runs hold the same state
//! at the same time, checkpointed at a short interval once incrementally
//! and once in full; one line per checkpoint with its size, the bytes it
//! uploaded and its duration.
//!
//! RocksDB's files and the checkpoints go to a temporary folder per run,
//! removed after it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, bail};
use weir_runtime::{CheckpointObserver, CheckpointReport, RunOptions};
use weir_spec::{JobSpec, SourceKind};
use weir_wasm::WasmEngine;

use super::durable_report::{self, Checkpoint, GrowthRun, Row};
use super::machine::{describe_load, load_average};
use super::scenario::{JobParams, Modules, Output, Scenario, quoted};
use super::wasm;
use super::{BenchArgs, Start};

/// Records of each scenario (c) run by default: about 30–40 s with
/// RocksDB on a 2-core machine, so a run takes a few checkpoints at 10 s.
const DEFAULT_RECORDS: u64 = 4_000_000;
const DEFAULT_PARALLELISM: u32 = 2;
const DEFAULT_BATCH_SIZE: usize = 512;

/// The flags of `weir bench --durable`.
#[derive(clap::Args, Debug)]
pub(crate) struct DurableArgs {
    /// Measure durable state instead of the scenarios: (c) with heap state,
    /// RocksDB, RocksDB with incremental and with full checkpoints, then
    /// checkpoints of a keyed count whose state grows. Takes one
    /// --parallelism (default 2) and one --batch-sizes (default 512);
    /// --records defaults to 4 M; --scenario and --repeat do not apply.
    #[arg(long)]
    pub(crate) durable: bool,
    /// With --durable: checkpoint interval of the scenario (c) runs.
    #[arg(long, default_value_t = 10_000, requires = "durable",
          value_parser = clap::value_parser!(u64).range(1..))]
    interval_ms: u64,
    /// With --durable: records of each growing-state run (record i has key
    /// i, so each adds a key).
    #[arg(long, default_value_t = 1_200_000, requires = "durable",
          value_parser = clap::value_parser!(u64).range(1..))]
    grow_records: u64,
    /// With --durable: records per second of the growing-state runs, both
    /// generator subtasks together.
    #[arg(long, default_value_t = 60_000, requires = "durable",
          value_parser = clap::value_parser!(u64).range(1..))]
    grow_rate: u64,
    /// With --durable: checkpoint interval of the growing-state runs.
    #[arg(long, default_value_t = 2_000, requires = "durable",
          value_parser = clap::value_parser!(u64).range(1..))]
    grow_interval_ms: u64,
}

/// Where keyed state lives and whether checkpoints are taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Setup {
    Heap,
    RocksDb,
    /// RocksDB with periodic checkpoints.
    Checkpoints {
        incremental: bool,
    },
}

impl Setup {
    /// The throughput runs, in order.
    const ALL: [Setup; 4] = [
        Setup::Heap,
        Setup::RocksDb,
        Setup::Checkpoints { incremental: true },
        Setup::Checkpoints { incremental: false },
    ];

    pub(crate) fn label(self) -> &'static str {
        match self {
            Setup::Heap => "heap",
            Setup::RocksDb => "rocksdb",
            Setup::Checkpoints { incremental: true } => "rocksdb + incremental checkpoints",
            Setup::Checkpoints { incremental: false } => "rocksdb + full checkpoints",
        }
    }

    /// Top-level YAML sections that give a bench job this setup, with
    /// RocksDB's files and the checkpoints under `dir`. A failure fails the
    /// run rather than restarting it.
    fn yaml(self, dir: &Path, interval_ms: u64) -> String {
        let path = |name: &str| quoted(&dir.join(name).display().to_string());
        let rocksdb = format!("state: {{ backend: rocksdb, dir: {} }}\n", path("rocksdb"));
        match self {
            Setup::Heap => String::new(),
            Setup::RocksDb => rocksdb,
            Setup::Checkpoints { incremental } => format!(
                "{rocksdb}checkpoints: {{ interval_ms: {interval_ms}, incremental: {incremental}, \
                 storage: {} }}\nrestart: {{ strategy: none }}\n",
                path("checkpoints")
            ),
        }
    }
}

/// The only value of a list flag, or `default` when it was not given.
pub(super) fn single<T: Copy>(values: &[T], default: T, flag: &str) -> anyhow::Result<T> {
    match values {
        [] => Ok(default),
        [value] => Ok(*value),
        _ => bail!("this bench measures one {flag} value, not {}", values.len()),
    }
}

/// The one --parallelism and --batch-sizes value of a bench that measures
/// one job shape (the defaults when not given); none of them, nor
/// --records, may be 0.
pub(super) fn job_shape(
    args: &BenchArgs,
    default_parallelism: u32,
    default_batch_size: usize,
) -> anyhow::Result<(u32, usize)> {
    let parallelism = single(&args.parallelism, default_parallelism, "--parallelism")?;
    let batch_size = single(&args.batch_sizes, default_batch_size, "--batch-sizes")?;
    if parallelism == 0 || batch_size == 0 || args.records == Some(0) {
        bail!("--parallelism, --batch-sizes and --records must be at least 1");
    }
    Ok((parallelism, batch_size))
}

/// Runs `weir bench --durable`: prints the machine, each run's rate as it
/// ends, and the tables (or JSON) at the end.
pub(crate) fn bench(args: &BenchArgs) -> anyhow::Result<()> {
    let durable = &args.durable;
    let (parallelism, batch_size) = job_shape(args, DEFAULT_PARALLELISM, DEFAULT_BATCH_SIZE)?;
    let Start {
        machine,
        load_before,
        modules,
        engine,
    } = super::start(args)?;

    let params = JobParams {
        records: args.records.unwrap_or(DEFAULT_RECORDS),
        batch_size,
        parallelism,
        modules: &modules,
        output: Output::Discard,
    };
    let mut rows = Vec::new();
    let mut outputs = Vec::new();
    for setup in Setup::ALL {
        let job = DurableJob {
            scenario: Scenario::WindowSum,
            setup,
            interval_ms: durable.interval_ms,
            grow_rate: None,
        };
        let Measured {
            row, records_out, ..
        } = job.run(&engine, &params)?;
        eprintln!(
            "  {}: {:.0} K rec/s, {} checkpoints",
            setup.label(),
            row.rate() / 1e3,
            row.checkpoints.len()
        );
        rows.push(row);
        outputs.push(records_out);
    }
    if outputs.iter().any(|&n| n != outputs[0]) {
        bail!("the runs of scenario c emitted different numbers of records: {outputs:?}");
    }

    let growth = [true, false]
        .into_iter()
        .map(|incremental| grow(&engine, &modules, &params, durable, incremental))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let load_after = load_average();
    if args.json {
        let mut json = durable_report::to_json(&rows, &growth);
        json["machine"] = machine.to_json();
        json["load_before"] = serde_json::json!(load_before);
        json["load_after"] = serde_json::json!(load_after);
        json["parallelism"] = parallelism.into();
        json["batch_size"] = batch_size.into();
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    println!("after:   {}", describe_load(load_after));
    println!(
        "\nscenario c (1 s event-time window sum, {} keys), p={parallelism}, batch={batch_size}, \
         checkpoints every {} ms:",
        super::scenario::KEYS,
        durable.interval_ms
    );
    print!("{}", durable_report::throughput_table(&rows));
    println!(
        "K rec/s: generated records per second; vs rocksdb: rate over the RocksDB run without \
         checkpoints;\ncheckpoints: periodic ones completed (the final one at the end of input \
         is left out), their mean/max\nduration, mean checkpointed size and mean bytes uploaded."
    );
    for run in &growth {
        println!(
            "\nstate that grows: keyed count, record i keyed i, {} rec/s, rocksdb, {} checkpoints \
             every {} ms:",
            durable.grow_rate,
            run.label(),
            durable.grow_interval_ms
        );
        print!("{}", durable_report::growth_table(run));
    }
    Ok(())
}

/// One growing-state run.
fn grow(
    engine: &WasmEngine,
    modules: &Modules,
    params: &JobParams<'_>,
    durable: &DurableArgs,
    incremental: bool,
) -> anyhow::Result<GrowthRun> {
    let job = DurableJob {
        scenario: Scenario::KeyedCount,
        setup: Setup::Checkpoints { incremental },
        interval_ms: durable.grow_interval_ms,
        grow_rate: Some(durable.grow_rate),
    };
    let params = JobParams {
        records: durable.grow_records,
        modules,
        ..params.clone()
    };
    let Measured {
        row, state_bytes, ..
    } = job.run(engine, &params)?;
    let run = GrowthRun {
        incremental,
        records: row.records,
        secs: row.secs,
        state_bytes,
        checkpoints: row.checkpoints,
    };
    eprintln!(
        "  growing state, {} checkpoints: {} checkpoints in {:.1} s",
        run.label(),
        run.checkpoints.len(),
        run.secs
    );
    Ok(run)
}

/// A bench scenario's job with durable state.
struct DurableJob {
    scenario: Scenario,
    setup: Setup,
    interval_ms: u64,
    /// Key record `i` with `i` and pace the generator to this many records
    /// per second.
    grow_rate: Option<u64>,
}

/// What [`DurableJob::run`] measured.
struct Measured {
    row: Row,
    /// Records that reached the sink.
    records_out: u64,
    /// Keyed state held at the end, over all operators.
    state_bytes: u64,
}

impl DurableJob {
    /// The job spec for `params`.
    fn spec(&self, params: &JobParams<'_>, dir: &Path) -> anyhow::Result<JobSpec> {
        let mut yaml = self.scenario.job_yaml(params);
        yaml.push_str(&self.setup.yaml(dir, self.interval_ms));
        let origin = format!("<bench --durable, scenario {}>", self.scenario.letter());
        let mut spec = JobSpec::from_yaml_str(&yaml, Path::new(&origin))?;
        if let Some(rate) = self.grow_rate {
            for source in &mut spec.sources {
                if let SourceKind::Generator(generator) = &mut source.kind {
                    generator.keys = params.records.max(1);
                    generator.rate_per_sec = Some(rate.max(1));
                }
            }
        }
        Ok(spec)
    }

    /// Runs the job once in a fresh temporary folder.
    fn run(&self, engine: &WasmEngine, params: &JobParams<'_>) -> anyhow::Result<Measured> {
        let dir = tempfile::tempdir().context("creating a temporary folder")?;
        let spec = self.spec(params, dir.path())?;
        let completed = Arc::new(Mutex::new(HashMap::new()));
        let observer = {
            let completed = Arc::clone(&completed);
            CheckpointObserver(Arc::new(move |c: &CheckpointReport| {
                completed
                    .lock()
                    .expect("checkpoint times")
                    .insert(c.id, Instant::now());
            }))
        };
        let options = RunOptions {
            on_checkpoint: Some(observer),
            ..RunOptions::default()
        };
        let run = wasm::run_spec(engine, spec, params.records, &options)?;
        let completed = completed.lock().expect("checkpoint times");
        let at = |id| completed.get(&id).map(|t| t.duration_since(run.started));
        let checkpoints = Checkpoint::periodic(&run.summary.checkpoints, at);
        let state_bytes = run.summary.nodes.iter().map(|n| n.state_bytes).sum();
        let row = Row {
            setup: self.setup,
            records: params.records,
            secs: run.run.elapsed.as_secs_f64(),
            checkpoints,
        };
        Ok(Measured {
            row,
            records_out: run.run.records_out,
            state_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use weir_spec::StateBackendKind;

    use super::*;

    fn params(modules: &Modules) -> JobParams<'_> {
        JobParams {
            records: 1_000,
            batch_size: 512,
            parallelism: 2,
            modules,
            output: Output::Discard,
        }
    }

    #[test]
    fn every_setup_is_a_valid_job() {
        let modules = Modules::in_dir(Path::new("/g"));
        let dir = Path::new("/tmp/bench \"dir\"");
        for setup in Setup::ALL {
            let job = DurableJob {
                scenario: Scenario::WindowSum,
                setup,
                interval_ms: 10_000,
                grow_rate: None,
            };
            let spec = job.spec(&params(&modules), dir).unwrap();
            let checkpoints = spec.checkpoints.as_ref();
            match setup {
                Setup::Heap => assert_eq!(spec.state.backend, StateBackendKind::Heap),
                Setup::RocksDb => {
                    assert_eq!(spec.state.backend, StateBackendKind::Rocksdb);
                    assert_eq!(spec.state.dir, Some(dir.join("rocksdb")));
                    assert!(checkpoints.is_none());
                }
                Setup::Checkpoints { incremental } => {
                    let c = checkpoints.expect("checkpoints");
                    assert_eq!(c.interval_ms, 10_000);
                    assert_eq!(c.incremental, incremental);
                    let storage = dir.join("checkpoints").display().to_string();
                    assert_eq!(c.storage.as_deref(), Some(storage.as_str()));
                    assert_eq!(spec.restart, Some(weir_spec::RestartSpec::None));
                }
            }
        }
    }

    #[test]
    fn a_growing_job_keys_every_record_apart_at_a_pace() {
        let modules = Modules::in_dir(Path::new("/g"));
        let job = DurableJob {
            scenario: Scenario::KeyedCount,
            setup: Setup::Checkpoints { incremental: false },
            interval_ms: 2_000,
            grow_rate: Some(50_000),
        };
        let spec = job.spec(&params(&modules), Path::new("/tmp")).unwrap();
        let SourceKind::Generator(generator) = &spec.sources[0].kind else {
            panic!("a generator");
        };
        assert_eq!(generator.keys, 1_000);
        assert_eq!(generator.count, Some(1_000));
        assert_eq!(generator.rate_per_sec, Some(50_000));
    }

    #[test]
    fn list_flags_take_one_value() {
        assert_eq!(single(&[], 2, "--parallelism").unwrap(), 2);
        assert_eq!(single(&[4], 2, "--parallelism").unwrap(), 4);
        let err = single(&[1, 2], 2, "--parallelism").unwrap_err();
        assert_eq!(
            err.to_string(),
            "this bench measures one --parallelism value, not 2"
        );
    }
}
