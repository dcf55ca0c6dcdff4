//! `weir bench`: records per second of the three bench scenarios through
//! Wasm operators, beside the same logic as a plain native loop, with a
//! check that both produce the same output; with `--durable`, what RocksDB
//! state and checkpoints cost (see [`durable`]).

mod checksum;
mod durable;
mod durable_report;
mod kafka;
mod machine;
mod native;
mod report;
mod scenario;
mod table;
mod wasm;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use weir_wasm::WasmEngine;

use self::machine::{Machine, describe_load, load_average};
use self::native::NativeRun;
use self::report::{Row, Verdict};
use self::scenario::{JobParams, Modules, Output, Scenario};

/// Most records a checksum run (output into files) generates.
const CHECKSUM_RECORDS: u64 = 1_000_000;

/// The native loop is repeated until it has run this long, keeping the
/// best time, so a run of a few milliseconds is not all noise.
const NATIVE_MIN_TOTAL: Duration = Duration::from_millis(300);

/// Arguments of `weir bench`.
#[derive(clap::Args, Debug)]
pub(crate) struct BenchArgs {
    /// Records generated per run (default: per scenario, about 1–3 s of
    /// Wasm work on a 2-core machine: a 4 M, b 3 M, c 1 M).
    #[arg(long)]
    records: Option<u64>,
    /// Batch sizes to measure (the job's `batch_size`) [default: 64,512,4096;
    /// with --durable: 512].
    #[arg(long, value_delimiter = ',')]
    batch_sizes: Vec<usize>,
    /// Parallelisms to measure (every node of the job gets it) [default:
    /// 1,2; with --durable: 2].
    #[arg(long, value_delimiter = ',')]
    parallelism: Vec<u32>,
    /// Scenarios: a (map + filter UDFs), b (keyed count), c (window sum).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "a,b,c")]
    scenario: Vec<Scenario>,
    /// Runs per configuration; the best is reported.
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    /// A folder holding the bench components (bench_map.wasm, …) instead of
    /// building them.
    #[arg(long = "module-path")]
    module_path: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    durable: durable::DurableArgs,
    #[command(flatten)]
    kafka: kafka::KafkaArgs,
}

pub(crate) fn bench(mut args: BenchArgs) -> anyhow::Result<()> {
    if args.durable.durable {
        return durable::bench(&args);
    }
    if args.kafka.kafka {
        return kafka::bench(&args);
    }
    if args.batch_sizes.is_empty() {
        args.batch_sizes = vec![64, 512, 4096];
    }
    if args.parallelism.is_empty() {
        args.parallelism = vec![1, 2];
    }
    if args.batch_sizes.contains(&0) || args.parallelism.contains(&0) || args.repeat == 0 {
        bail!("batch sizes, parallelisms and --repeat must be at least 1");
    }
    let Start {
        machine,
        load_before,
        modules,
        engine,
    } = start(&args)?;
    let mut scenarios = args.scenario.clone();
    scenarios.dedup();
    let smallest_batch = *args.batch_sizes.iter().min().expect("clap requires one");

    let mut rows = Vec::new();
    for &scenario in &scenarios {
        let records = args.records.unwrap_or(scenario.default_records());
        for &parallelism in &args.parallelism {
            let checksum_records = records.min(CHECKSUM_RECORDS);
            let params = JobParams {
                records: checksum_records,
                batch_size: smallest_batch,
                parallelism,
                modules: &modules,
                output: Output::Discard,
            };
            let wasm = wasm::output_checksum(&engine, scenario, &params)?;
            let native = native::run(scenario, checksum_records, parallelism).output;
            let checksum = Verdict::of_checksums(&wasm, &native);
            for &batch_size in &args.batch_sizes {
                let params = JobParams {
                    records,
                    batch_size,
                    ..params.clone()
                };
                let row = measure(&engine, scenario, &params, args.repeat)?;
                let row = Row {
                    checksum: (batch_size == smallest_batch)
                        .then(|| (checksum_records, checksum.clone())),
                    ..row
                };
                if !args.json {
                    eprintln!(
                        "  {} p={parallelism} batch={batch_size}: {:.2} M rec/s Wasm, {:.1} M rec/s native",
                        scenario.letter(),
                        row.wasm_rate() / 1e6,
                        row.native_rate() / 1e6
                    );
                }
                rows.push(row);
            }
        }
    }

    let load_after = load_average();
    if args.json {
        let json = serde_json::json!({
            "machine": machine.to_json(),
            "load_before": load_before,
            "load_after": load_after,
            "rows": report::to_json(&rows),
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("after:   {}", describe_load(load_after));
        println!();
        print!("{}", report::table(&rows));
        println!(
            "\nrates are generated records per second; native/wasm is how many times \
             faster the native loop ran.\ncheck: the discard sink's record count equals \
             the native loop's output count; at the smallest batch size each scenario \
             also ran\n≤ {} M records into a file sink whose output must equal the native \
             loop's record for record (count and checksum).",
            CHECKSUM_RECORDS / 1_000_000
        );
    }
    let failures = report::failures(&rows);
    if !failures.is_empty() {
        bail!(
            "Wasm and native outputs disagree:\n  {}",
            failures.join("\n  ")
        );
    }
    Ok(())
}

/// What every bench begins with: the machine and its load (printed unless
/// `--json`), the bench guests and a Wasm engine.
struct Start {
    machine: Machine,
    load_before: Option<[f64; 3]>,
    modules: Modules,
    engine: WasmEngine,
}

fn start(args: &BenchArgs) -> anyhow::Result<Start> {
    let machine = Machine::detect();
    let load_before = load_average();
    if !args.json {
        println!("machine: {}", machine.describe());
        println!("before:  {}", describe_load(load_before));
    }
    let modules = wasm::modules(args.module_path.as_deref())?;
    let engine = WasmEngine::new().context("starting the Wasm engine")?;
    Ok(Start {
        machine,
        load_before,
        modules,
        engine,
    })
}

/// Times the Wasm job and the native loop of one configuration.
fn measure(
    engine: &WasmEngine,
    scenario: Scenario,
    params: &JobParams<'_>,
    repeat: u32,
) -> anyhow::Result<Row> {
    let mut wasm_best = Duration::MAX;
    let mut records_out = 0;
    for _ in 0..repeat {
        let run = wasm::run(engine, scenario, params)?;
        wasm_best = wasm_best.min(run.elapsed);
        records_out = run.records_out;
    }
    let native = native_best(scenario, params.records, params.parallelism, repeat);
    Ok(Row {
        scenario,
        parallelism: params.parallelism,
        batch_size: params.batch_size,
        records: params.records,
        wasm_secs: wasm_best.as_secs_f64(),
        native_secs: native.elapsed.as_secs_f64(),
        count: Verdict::of_counts(records_out, &native.output),
        checksum: None,
    })
}

/// The fastest of at least `repeat` native runs, repeated until they took
/// [`NATIVE_MIN_TOTAL`] together.
fn native_best(scenario: Scenario, records: u64, parallelism: u32, repeat: u32) -> NativeRun {
    let mut best = native::run(scenario, records, parallelism);
    let mut total = best.elapsed;
    let mut runs = 1;
    while runs < repeat || (total < NATIVE_MIN_TOTAL && runs < 50) {
        let run = native::run(scenario, records, parallelism);
        total += run.elapsed;
        runs += 1;
        if run.elapsed < best.elapsed {
            best = run;
        }
    }
    best
}
