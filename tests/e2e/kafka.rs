//! Kafka end to end with the real `weir` binary against a Kafka-protocol
//! broker started by the test (librdkafka's mock cluster on loopback):
//! offsets in checkpoints give exactly-once results through kills and
//! restores, brokers that go away and come back, and clear errors.
//!
//! The job counts records per key (`running-count` emits `key n` for each)
//! into the exactly-once file sink, so a record read twice or lost after a
//! restore shows as a count repeated or missing.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use support::durable::{Lcg, Running, assert_exactly_once};
use weir_test_fixtures::{BrokerProcess, Consumed, KafkaCluster, Produce, ProduceTo};

const PARTITIONS: i32 = 4;

/// `n` records with keys `k<i % keys>`.
fn produce(cluster: &KafkaCluster, topic: &str, n: usize, keys: usize) {
    let keys: Vec<String> = (0..n).map(|i| format!("k{}", i % keys)).collect();
    let values: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
    let records: Vec<Produce<'_>> = (0..n)
        .map(|i| {
            (
                Some(keys[i].as_bytes()),
                values[i].as_bytes(),
                Some(i as i64),
            )
        })
        .collect();
    cluster.produce(topic, &records);
}

/// Kafka (bounded at the offsets of the first start) into the counter into
/// files, with checkpoints.
fn write_job(dir: &Path, cluster: &KafkaCluster, topic: &str, extra: &str) {
    let yaml = format!(
        "name: kafka-count\nbatch_size: 50\n\
         checkpoints: {{ interval_ms: 150 }}\nrestart: {{ strategy: none }}\n\
         sources:\n  - {{ id: in, type: kafka, parallelism: 2, brokers: \"{brokers}\", \
         topics: [{topic}], stop: latest, properties: {properties}{extra} }}\n\
         operators:\n  - {{ id: count, module: running_count.wasm, parallelism: 2, key_by: record }}\n\
         sinks:\n  - {{ id: out, type: file, path: out, parallelism: 1 }}\n\
         edges:\n  - {{ from: in, to: count }}\n  - {{ from: count, to: out }}\n",
        brokers = cluster.bootstrap(),
        properties = cluster.properties_yaml(),
    );
    std::fs::write(dir.join("job.yaml"), yaml).unwrap();
}

/// Runs the job in `dir` and kills it `kills` times, each at a random point
/// after its next checkpoint, restoring from the latest checkpoint each
/// time; then lets a last restored run finish. On a fast machine the input
/// can be done before the last kills: after at least two kills, a run that
/// finishes by itself ends the killing.
fn kill_and_restore(dir: &Path, kills: u32, seed: u64) {
    let mut rng = Lcg(seed);
    for kill in 0..kills {
        let args: &[&str] = if kill == 0 {
            &[]
        } else {
            &["--restore", "latest"]
        };
        let mut run = Running::start(dir, args);
        if !run.wait_for("complete in") {
            let (ok, log) = run.finish();
            if ok && kill >= 2 {
                eprintln!("the job finished after {kill} kills");
                break;
            }
            panic!("the job ended before kill {kill} (ok: {ok}):\n{log}");
        }
        std::thread::sleep(Duration::from_millis(rng.below(300)));
        run.kill();
    }
    let (ok, log) = Running::start(dir, &["--restore", "latest"]).finish();
    assert!(ok, "the last run fails:\n{log}");
    assert!(log.contains("restored from checkpoint"), "{log}");
}

#[test]
fn killed_kafka_jobs_count_every_record_exactly_once() {
    // The opt-in suite: with WEIR_KAFKA_BROKERS set, against that cluster.
    let cluster = KafkaCluster::from_env_or_start(1);
    let topic = cluster.topic("in");
    cluster.create_topic(&topic, PARTITIONS);
    let count = 30_000;
    produce(&cluster, &topic, count, 30);
    let dir = tempfile::tempdir().unwrap();
    write_job(dir.path(), &cluster, &topic, ", rate_per_sec: 8000");

    kill_and_restore(dir.path(), 5, 0x004b_6166_6b61);
    assert_exactly_once(&dir.path().join("out"), count as u64);

    // The offsets of the last checkpoint went to the consumer group too.
    let committed = cluster.committed("weir-kafka-count-in", &topic, PARTITIONS);
    assert_eq!(committed, cluster.end_offsets(&topic, PARTITIONS));
}

#[test]
fn kafka_to_kafka_at_least_once_loses_nothing_through_kills() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("in", PARTITIONS);
    cluster.create_topic("counts", PARTITIONS);
    let (count, keys) = (20_000, 20);
    produce(&cluster, "in", count, keys);
    let dir = tempfile::tempdir().unwrap();
    write_job(dir.path(), &cluster, "in", ", rate_per_sec: 8000");
    let yaml = std::fs::read_to_string(dir.path().join("job.yaml"))
        .unwrap()
        .replace(
            "{ id: out, type: file, path: out, parallelism: 1 }",
            &format!(
                "{{ id: out, type: kafka, brokers: \"{}\", topic: counts, delivery: at_least_once, parallelism: 2 }}",
                cluster.bootstrap()
            ),
        );
    std::fs::write(dir.path().join("job.yaml"), yaml).unwrap();
    kill_and_restore(dir.path(), 3, 0x5eed_cafe);

    // Every count of every key arrived; some maybe twice.
    let got = cluster.read_all("counts");
    let distinct: BTreeSet<Vec<u8>> = got.iter().map(|c| c.value.clone()).collect();
    let want: BTreeSet<Vec<u8>> = (0..keys)
        .flat_map(|k| (1..=count / keys).map(move |n| format!("k{k} {n}").into_bytes()))
        .collect();
    assert_eq!(distinct.len(), want.len());
    assert!(distinct == want, "lost or foreign records");
    assert!(got.len() >= count);
    // The counter's records keep their key.
    assert!(
        got.iter()
            .all(|c| c.value.starts_with(c.key.as_deref().unwrap()))
    );
}

/// The counting job of [`write_job`] writing to Kafka topic `out`
/// exactly once.
fn write_exactly_once_job(dir: &Path, cluster: &KafkaCluster, input: &str, out: &str) {
    write_job(dir, cluster, input, ", rate_per_sec: 8000");
    let yaml = std::fs::read_to_string(dir.join("job.yaml"))
        .unwrap()
        .replace(
            "{ id: out, type: file, path: out, parallelism: 1 }",
            &format!(
                "{{ id: out, type: kafka, brokers: \"{}\", topic: {out}, delivery: exactly_once, \
                 transactional_id_prefix: {out}, parallelism: 2, properties: {} }}",
                cluster.bootstrap(),
                cluster.properties_yaml(),
            ),
        );
    std::fs::write(dir.join("job.yaml"), yaml).unwrap();
}

#[test]
fn killed_kafka_jobs_write_kafka_exactly_once() {
    // The opt-in suite: with WEIR_KAFKA_BROKERS set, against that cluster;
    // else the mock behind the proxy that writes transaction markers.
    let cluster = KafkaCluster::from_env_or_start_transactional(1);
    let (input, killed, reference) = (
        cluster.topic("in"),
        cluster.topic("counts"),
        cluster.topic("counts-ref"),
    );
    for topic in [&input, &killed, &reference] {
        cluster.create_topic(topic, PARTITIONS);
    }
    let (count, keys) = (24_000, 24);
    produce(&cluster, &input, count, keys);

    // The failure-free run.
    let dir = tempfile::tempdir().unwrap();
    write_exactly_once_job(dir.path(), &cluster, &input, &reference);
    let (ok, log) = Running::start(dir.path(), &[]).finish();
    assert!(ok, "{log}");
    let reference = cluster.read_committed(&reference);
    assert!(reference.aborted.is_empty() && reference.open.is_empty());

    // Killed at random points 5 times, restored each time.
    let dir = tempfile::tempdir().unwrap();
    write_exactly_once_job(dir.path(), &cluster, &input, &killed);
    kill_and_restore(dir.path(), 5, 0x0e05_4b61);
    let log = cluster.read_committed(&killed);
    assert!(log.open.is_empty(), "open transactions: {}", log.open.len());
    let got = Consumed::sorted_values(&log.committed);
    assert_eq!(got.len(), count, "every count once, none twice");
    assert!(
        got == Consumed::sorted_values(&reference.committed),
        "the committed output differs from the failure-free run's"
    );
    let want: BTreeSet<String> = (0..keys)
        .flat_map(|k| (1..=count / keys).map(move |n| format!("k{k} {n}")))
        .collect();
    assert!(
        got.iter().cloned().collect::<BTreeSet<_>>() == want,
        "lost or foreign records"
    );
    // Each record keeps its key (the counter's key) in the output.
    assert!(
        log.committed
            .iter()
            .all(|c| c.value.starts_with(c.key.as_deref().unwrap()))
    );
    eprintln!(
        "{} records committed, {} aborted by fencing or failures, {} markers",
        log.committed.len(),
        log.aborted.len(),
        log.markers.len()
    );
}

#[test]
fn checkpoints_go_on_after_a_source_subtask_finished() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("in", PARTITIONS);
    // Partition 0 (and so the subtask that owns it) gets nearly everything;
    // the other subtask's partitions one record each: it finishes at once.
    let values: Vec<String> = (0..8_000).map(|i| format!("v{i}")).collect();
    let mut records: Vec<ProduceTo<'_>> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (Some(0), Some(KEYS[i % KEYS.len()]), v.as_bytes(), None))
        .collect();
    for p in 1..PARTITIONS {
        records.push((Some(p), Some(KEYS[0]), b"late", None));
    }
    cluster.produce_to("in", &records);
    let dir = tempfile::tempdir().unwrap();
    write_job(dir.path(), &cluster, "in", ", rate_per_sec: 4000");
    let mut run = Running::start(dir.path(), &[]);
    // Without checkpoints after a finished task this never comes: the
    // small subtask ends within the first checkpoint interval.
    assert!(
        run.wait_for("checkpoint 8 complete"),
        "{}",
        run.seen().join("\n")
    );
    std::thread::sleep(Duration::from_millis(Lcg(3).below(300)));
    run.kill();
    let (ok, log) = Running::start(dir.path(), &["--restore", "latest"]).finish();
    assert!(ok, "{log}");
    assert_exactly_once(&dir.path().join("out"), 8_000 + (PARTITIONS as u64 - 1));
}

const KEYS: [&[u8]; 4] = [b"a", b"b", b"c", b"d"];

#[test]
fn a_broker_that_goes_away_and_comes_back_loses_nothing() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("in", PARTITIONS);
    let count = 20_000;
    produce(&cluster, "in", count, 20);
    let dir = tempfile::tempdir().unwrap();
    write_job(dir.path(), &cluster, "in", ", rate_per_sec: 10000");
    let mut run = Running::start(dir.path(), &[]);
    assert!(run.wait_for("checkpoint 2 complete"));
    cluster.set_broker_up(1, false);
    std::thread::sleep(Duration::from_secs(2));
    cluster.set_broker_up(1, true);
    let (ok, log) = run.finish();
    assert!(ok, "{log}");
    assert_exactly_once(&dir.path().join("out"), count as u64);
}

#[test]
fn a_broker_process_restarted_under_a_running_job_loses_nothing() {
    // The brokers' ports are served by a process of their own (this test
    // binary run again); the records stay in the mock cluster here.
    BrokerProcess::serve_if_child();
    let mock = KafkaCluster::start(1);
    let mut broker = BrokerProcess::start(
        &mock,
        "a_broker_process_restarted_under_a_running_job_loses_nothing",
    );
    mock.create_topic("in", PARTITIONS);
    mock.create_topic("counts", PARTITIONS);
    let (count, keys) = (12_000, 12);
    produce(&mock, "in", count, keys);
    let cluster = KafkaCluster::external(&broker.bootstrap(), Vec::new());
    let dir = tempfile::tempdir().unwrap();
    write_job(dir.path(), &cluster, "in", ", rate_per_sec: 3000");
    // The counts also go to Kafka, through the same broker process.
    let yaml = std::fs::read_to_string(dir.path().join("job.yaml"))
        .unwrap()
        .replace(
            "sinks:\n",
            &format!(
                "sinks:\n  - {{ id: kafka-out, type: kafka, brokers: \"{}\", topic: counts }}\n",
                broker.bootstrap()
            ),
        )
        .replace(
            "  - { from: count, to: out }\n",
            "  - { from: count, to: out }\n  - { from: count, to: kafka-out }\n",
        );
    std::fs::write(dir.path().join("job.yaml"), yaml).unwrap();

    let mut run = Running::start(dir.path(), &[]);
    assert!(
        run.wait_for("checkpoint 5 complete"),
        "{}",
        run.seen().join("\n")
    );
    broker.kill();
    std::thread::sleep(Duration::from_secs(2));
    broker.restart();
    let (ok, log) = run.finish();
    // `restart: none`: the job itself waited and reconnected.
    assert!(ok, "{log}");
    assert!(
        log.contains("AllBrokersDown") || log.contains("Connection refused"),
        "the broker was gone for a while:\n{log}"
    );
    assert_exactly_once(&dir.path().join("out"), count as u64);
    let distinct: BTreeSet<Vec<u8>> = mock
        .read_all("counts")
        .into_iter()
        .map(|c| c.value)
        .collect();
    assert_eq!(distinct.len(), count, "every count reached Kafka");
}

#[test]
fn missing_topics_unreachable_brokers_and_bad_records_are_named() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("in", 1);
    let dir = tempfile::tempdir().unwrap();

    write_job(dir.path(), &cluster, "nope", "");
    let out = support::run_weir(dir.path(), &[], support::durable::LIMIT).unwrap();
    let line = support::error_line("a missing topic", &out);
    assert!(
        line.contains("in subtask")
            && line.contains(&format!(
                "in: kafka at {}: topic `nope` does not exist",
                cluster.bootstrap()
            )),
        "{line}"
    );

    let yaml = std::fs::read_to_string(dir.path().join("job.yaml"))
        .unwrap()
        .replace(&cluster.bootstrap(), "127.0.0.1:1")
        .replace("[nope]", "[in]");
    std::fs::write(dir.path().join("job.yaml"), yaml).unwrap();
    let out = support::run_weir(dir.path(), &[], support::durable::LIMIT).unwrap();
    let line = support::error_line("unreachable brokers", &out);
    assert!(
        line.contains("in: kafka at 127.0.0.1:1: cannot read metadata of `in`"),
        "{line}"
    );

    // A record that is not JSON: skipped and counted, or the job fails
    // naming where it is.
    cluster.produce(
        "in",
        &[
            (Some(b"a"), b"{\"n\": 1}", None),
            (Some(b"a"), b"oops", None),
            (Some(b"b"), b"{\"n\": 2}", None),
        ],
    );
    for (policy, ok) in [("skip", true), ("fail", false)] {
        let dir = tempfile::tempdir().unwrap();
        write_job(
            dir.path(),
            &cluster,
            "in",
            &format!(", format: json, on_decode_error: {policy}"),
        );
        let out = support::run_weir(dir.path(), &[], support::durable::LIMIT).unwrap();
        assert_eq!(out.status.success(), ok, "{}", support::describe(&out));
        if ok {
            let text = std::fs::read_to_string(dir.path().join("out")).unwrap();
            assert_eq!(text.lines().count(), 2, "{text}");
        } else {
            let line = support::error_line("a bad record", &out);
            assert!(
                line.contains("source in: cannot decode in/0 offset 1: invalid JSON"),
                "{line}"
            );
        }
    }
}

/// Runs Kafka → counter → Kafka exactly once on `cluster` (with whatever
/// client settings it needs) over 600 records and checks every count is
/// committed once; returns the job's folder.
fn counts_exactly_once(cluster: &KafkaCluster) -> tempfile::TempDir {
    cluster.create_topic("in", 2);
    cluster.create_topic("counts", 2);
    produce(cluster, "in", 600, 6);
    let dir = tempfile::tempdir().unwrap();
    write_exactly_once_job(dir.path(), cluster, "in", "counts");
    let out = support::run_weir(dir.path(), &[], support::durable::LIMIT).unwrap();
    assert!(out.status.success(), "{}", support::describe(&out));
    assert_eq!(cluster.read_committed("counts").committed.len(), 600);
    dir
}

#[test]
fn sasl_credentials_pass_through_and_bad_ones_are_named() {
    let cluster = KafkaCluster::start_with_sasl(1, "weir", "s3cret");
    let dir = counts_exactly_once(&cluster);

    // A wrong password for the source, then for the sink: the job fails
    // naming the one that could not authenticate, and why.
    for (node, line_of) in [
        ("in", "id: in, type: kafka"),
        ("out", "id: out, type: kafka"),
    ] {
        let yaml: Vec<String> = std::fs::read_to_string(dir.path().join("job.yaml"))
            .unwrap()
            .lines()
            .map(|l| {
                let l = l.replace("wrong", "s3cret");
                if l.contains(line_of) {
                    l.replace("s3cret", "wrong")
                } else {
                    l
                }
            })
            .collect();
        std::fs::write(dir.path().join("job.yaml"), yaml.join("\n")).unwrap();
        let out = support::run_weir(dir.path(), &[], support::durable::LIMIT).unwrap();
        let line = support::error_line("bad credentials", &out);
        assert!(
            line.contains(&format!(
                "{node}: kafka at {}: authentication failed: ",
                cluster.bootstrap()
            )) && line.contains(
                "SASL authentication error: Authentication failed: Invalid username or password"
            ),
            "{line}"
        );
    }
}

#[test]
fn tls_settings_pass_through_and_an_untrusted_broker_is_named() {
    let cluster = KafkaCluster::start_with_tls(1);
    let dir = counts_exactly_once(&cluster);

    // A CA that did not sign the brokers' certificate: the job fails
    // saying the TLS handshake failed.
    let untrusted = cluster.untrusted_ca();
    let trusted = untrusted.with_file_name("ca.pem");
    let yaml = std::fs::read_to_string(dir.path().join("job.yaml"))
        .unwrap()
        .replace(
            &trusted.display().to_string(),
            &untrusted.display().to_string(),
        );
    std::fs::write(dir.path().join("job.yaml"), yaml).unwrap();
    let out = support::run_weir(dir.path(), &[], support::durable::LIMIT).unwrap();
    let line = support::error_line("an untrusted broker", &out);
    assert!(
        line.contains("TLS failed: ") && line.contains("certificate verify failed"),
        "{line}"
    );
}
