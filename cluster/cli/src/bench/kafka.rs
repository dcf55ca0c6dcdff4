//! `weir bench --kafka`: records per second from Kafka through a stateless
//! Wasm UDF (`bench-map`, v → 3v + 1) back to Kafka, against a local
//! Kafka-protocol broker: librdkafka's mock cluster, started in this
//! process on loopback (the broker the tests use; no Apache Kafka build can
//! be installed here). The input is written first; each run reads it from
//! the beginning to the end (`stop: latest`) and writes every record to an
//! output topic, which is checked to have received them all.
//!
//! Runs: at least once without checkpoints; at least once with a
//! checkpoint every second (each barrier waits for the brokers'
//! acknowledgements); exactly once with a checkpoint every second (records
//! written ahead into each checkpoint and sent in one transaction per
//! subtask when it completes).

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use weir_runtime::RunOptions;
use weir_spec::JobSpec;

use super::durable::job_shape;
use super::machine::{describe_load, load_average};
use super::scenario::{KEYS, quoted};
use super::table::{Align, aligned};
use super::{BenchArgs, Start, wasm};

/// Partitions of the input and output topics.
const PARTITIONS: i32 = 8;
const DEFAULT_RECORDS: u64 = 1_000_000;
const DEFAULT_PARALLELISM: u32 = 2;
const DEFAULT_BATCH_SIZE: usize = 512;

/// The flag of `weir bench --kafka`.
#[derive(clap::Args, Debug)]
pub(crate) struct KafkaArgs {
    /// Measure Kafka → a Wasm map UDF → Kafka against librdkafka's mock
    /// cluster started in this process, at least once without and with
    /// checkpoints, and exactly once. Takes one --parallelism (default 2) and one
    /// --batch-sizes (default 512); --records defaults to 1 M.
    #[arg(long, conflicts_with = "durable")]
    pub(crate) kafka: bool,
}

/// One measured run.
struct Run {
    what: &'static str,
    secs: f64,
    records: u64,
}

pub(crate) fn bench(args: &BenchArgs) -> anyhow::Result<()> {
    let records = args.records.unwrap_or(DEFAULT_RECORDS);
    let (parallelism, batch_size) = job_shape(args, DEFAULT_PARALLELISM, DEFAULT_BATCH_SIZE)?;
    let Start {
        machine,
        load_before,
        modules,
        engine,
    } = super::start(args)?;

    let cluster = MockCluster::new(1).context("starting librdkafka's mock cluster")?;
    let brokers = cluster.bootstrap_servers();
    let started = Instant::now();
    cluster.create_topic("in", PARTITIONS, 1)?;
    produce(&brokers, "in", records)?;
    let produce_secs = started.elapsed().as_secs_f64();
    eprintln!(
        "  wrote {records} records to `in` at {:.0} K rec/s",
        records as f64 / produce_secs / 1e3
    );

    let mut runs = Vec::new();
    for (i, (what, checkpoints, delivery)) in [
        ("at least once", false, "at_least_once"),
        (
            "at least once, checkpoints every 1 s",
            true,
            "at_least_once",
        ),
        ("exactly once, checkpoints every 1 s", true, "exactly_once"),
    ]
    .into_iter()
    .enumerate()
    {
        let out = format!("out-{i}");
        cluster.create_topic(&out, PARTITIONS, 1)?;
        let dir = tempfile::tempdir().context("creating a temporary folder")?;
        let checkpoints = if checkpoints {
            format!(
                "checkpoints: {{ interval_ms: 1000, storage: {} }}\n",
                quoted(&dir.path().display().to_string())
            )
        } else {
            String::new()
        };
        let yaml = format!(
            "name: bench-kafka\nbatch_size: {batch_size}\n{checkpoints}\
             sources:\n  - {{ id: in, type: kafka, brokers: \"{brokers}\", topics: [in], \
             stop: latest, parallelism: {parallelism} }}\n\
             operators:\n  - {{ id: map, module: {map}, parallelism: {parallelism} }}\n\
             sinks:\n  - {{ id: out, type: kafka, brokers: \"{brokers}\", topic: {out}, \
             delivery: {delivery}, parallelism: {parallelism} }}\n\
             edges:\n  - {{ from: in, to: map }}\n  - {{ from: map, to: out }}\n",
            map = quoted(&modules.map.display().to_string()),
        );
        let spec = JobSpec::from_yaml_str(&yaml, std::path::Path::new("<bench kafka>"))?;
        let run = wasm::run_spec(&engine, spec, records, &RunOptions::default())?;
        let written = end_offsets(&brokers, &out)?;
        ensure!(
            written >= records,
            "{what}: `{out}` received {written} records, not {records}"
        );
        let secs = run.run.elapsed.as_secs_f64();
        eprintln!("  {what}: {:.0} K rec/s", records as f64 / secs / 1e3);
        runs.push(Run {
            what,
            secs,
            records,
        });
    }

    println!("after:   {}", describe_load(load_average()));
    println!();
    println!(
        "Kafka → map UDF (v → 3v + 1) → Kafka, mock cluster, p={parallelism}, \
         batch={batch_size}, {PARTITIONS} partitions:"
    );
    let rows: Vec<[String; 4]> = runs
        .iter()
        .map(|run| {
            [
                run.what.to_owned(),
                run.records.to_string(),
                format!("{:.1}", run.secs),
                format!("{:.0}", run.records as f64 / run.secs / 1e3),
            ]
        })
        .collect();
    print!(
        "{}",
        aligned(
            ["delivery", "records", "secs", "K rec/s"],
            &rows,
            [Align::Left, Align::Right, Align::Right, Align::Right],
        )
    );
    println!(
        "machine: {}; before: {}",
        machine.describe(),
        describe_load(load_before)
    );
    Ok(())
}

/// Writes `records` records to `topic`: key `i % 10000`, value `i` (u64
/// little-endian, what `bench-map` reads), event time `i` ms.
fn produce(brokers: &str, topic: &str, records: u64) -> anyhow::Result<()> {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .create()
        .context("creating a producer")?;
    for i in 0..records {
        let key = (i % KEYS).to_string();
        let value = i.to_le_bytes();
        let mut record = BaseRecord::<str, [u8]>::to(topic)
            .key(&key)
            .payload(&value)
            .timestamp(i as i64);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((e, back)) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::QueueFull) => {
                    record = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((e, _)) => bail!("writing to `{topic}`: {e}"),
            }
        }
    }
    producer
        .flush(Duration::from_secs(120))
        .with_context(|| format!("flushing to `{topic}`"))
}

/// Records in `topic`: the sum of its partitions' end offsets.
fn end_offsets(brokers: &str, topic: &str) -> anyhow::Result<u64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .context("creating a consumer")?;
    let mut total = 0;
    for p in 0..PARTITIONS {
        let (low, high) = consumer
            .fetch_watermarks(topic, p, Duration::from_secs(10))
            .with_context(|| format!("reading the offsets of `{topic}`"))?;
        total += (high - low) as u64;
    }
    Ok(total)
}
