//! The exactly-once Kafka sink against librdkafka's mock cluster behind the
//! transaction proxy (which writes COMMIT/ABORT markers, fences, and
//! commits a transaction's group offsets), read back from the log with its
//! control records: records become visible only when their checkpoint
//! commits, a restored subtask fences the previous producer and redoes
//! exactly the commits that did not happen, and never one twice.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use weir_connectors::{
    FINAL_CHECKPOINT, Sink, SinkPrecommit, TransactionalKafkaSink, recover_sink,
};
use weir_spec::{Delivery, KafkaSinkSpec, SinkKind, SinkSpec};
use weir_test_fixtures::{Consumed, KafkaCluster};
use weir_types::Record;

const PARTITIONS: i32 = 3;

fn spec(cluster: &KafkaCluster) -> KafkaSinkSpec {
    KafkaSinkSpec {
        brokers: cluster.bootstrap(),
        topic: "out".to_owned(),
        delivery: Delivery::ExactlyOnce,
        transactional_id_prefix: None,
        properties: BTreeMap::new(),
    }
}

fn cluster() -> KafkaCluster {
    let cluster = KafkaCluster::start_transactional(1);
    cluster.create_topic("out", PARTITIONS);
    cluster
}

fn open(cluster: &KafkaCluster, restored: Option<&SinkPrecommit>) -> TransactionalKafkaSink {
    TransactionalKafkaSink::open("job", "out", &spec(cluster), 0, restored).unwrap()
}

fn records(from: usize, n: usize) -> Vec<Record> {
    (from..from + n)
        .map(|i| {
            Record::new(format!("v{i}"))
                .with_key(format!("k{}", i % 7))
                .with_timestamp(1_000 + i as i64)
        })
        .collect()
}

fn values(records: &[Consumed]) -> Vec<String> {
    Consumed::sorted_values(records)
}

fn expected(ranges: &[(usize, usize)]) -> Vec<String> {
    let mut values: Vec<String> = ranges
        .iter()
        .flat_map(|&(from, n)| (from..from + n).map(|i| format!("v{i}")))
        .collect();
    values.sort();
    values
}

/// The checkpoint the marker group says is committed.
fn marker(cluster: &KafkaCluster, sink: &TransactionalKafkaSink) -> Vec<(i32, i64)> {
    cluster.committed(sink.marker_group(), "out", 1)
}

#[test]
fn records_become_visible_when_their_checkpoint_commits() {
    let cluster = cluster();
    let mut sink = open(&cluster, None);
    assert_eq!(sink.transactional_id(), "weir-job-out-0");
    assert_eq!(
        marker(&cluster, &sink),
        [(0, 0)],
        "a fresh start resets the marker"
    );

    sink.write(&records(0, 100)).unwrap();
    sink.flush().unwrap();
    let at_1 = sink.precommit(1).unwrap().unwrap();
    assert!(at_1.data.is_some(), "the records are written ahead");
    assert!(cluster.read_committed("out").committed.is_empty());
    assert!(cluster.read_all("out").is_empty(), "nothing is sent early");

    // The commit runs on the sink's transaction thread; flush waits for it.
    sink.commit(1).unwrap();
    sink.flush().unwrap();
    let log = cluster.read_committed("out");
    assert_eq!(values(&log.committed), expected(&[(0, 100)]));
    assert_eq!(marker(&cluster, &sink), [(0, 1)]);
    let v8 = log.committed.iter().find(|r| r.value == b"v8").unwrap();
    assert_eq!(v8.key.as_deref(), Some(&b"k1"[..]));
    assert_eq!(v8.timestamp, Some(1_008));

    // Two barriers before a completion: both commit, in order.
    sink.write(&records(100, 50)).unwrap();
    sink.precommit(2).unwrap();
    sink.write(&records(150, 30)).unwrap();
    let at_3 = sink.precommit(3).unwrap().unwrap();
    assert_eq!(at_3.state["pending"].as_array().unwrap().len(), 2);
    assert_eq!(sink.held_records(), 80);
    sink.commit(3).unwrap();
    sink.flush().unwrap();
    assert_eq!(sink.held_records(), 0);
    let log = cluster.read_committed("out");
    assert_eq!(values(&log.committed), expected(&[(0, 180)]));
    assert!(log.aborted.is_empty() && log.open.is_empty());
    assert_eq!(marker(&cluster, &sink), [(0, 3)]);

    // A barrier with nothing written stores no data and commits nothing.
    let empty = sink.precommit(4).unwrap().unwrap();
    assert_eq!(empty.data, None);
    sink.commit(4).unwrap();
    sink.flush().unwrap();
    assert_eq!(marker(&cluster, &sink), [(0, 3)]);
    sink.close().unwrap();
    assert!(sink.write(&records(0, 1)).is_err(), "closed");
}

#[test]
fn a_restore_fences_the_old_producer_and_redoes_only_what_was_not_committed() {
    let cluster = cluster();
    let mut first = open(&cluster, None);
    first.write(&records(0, 100)).unwrap();
    let at_1 = first.precommit(1).unwrap().unwrap();
    first.commit(1).unwrap();
    first.flush().unwrap();
    first.write(&records(100, 50)).unwrap();
    let at_2 = first.precommit(2).unwrap().unwrap();
    // Checkpoint 2 completed, but the subtask died before committing it.
    drop(first);

    // A zombie of the old run with a transaction still open.
    let zombie: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", cluster.bootstrap())
        .set("transactional.id", "weir-job-out-0")
        .create()
        .unwrap();
    zombie.init_transactions(Duration::from_secs(30)).unwrap();
    zombie.begin_transaction().unwrap();
    for i in 0..3 {
        let value = format!("zombie-{i}");
        zombie
            .send(BaseRecord::<[u8], [u8]>::to("out").payload(value.as_bytes()))
            .map_err(|(e, _)| e)
            .unwrap();
    }
    zombie.flush(Duration::from_secs(30)).unwrap();

    let mut second = open(&cluster, Some(&at_2));
    let log = cluster.read_committed("out");
    assert_eq!(values(&log.committed), expected(&[(0, 150)]));
    assert_eq!(
        values(&log.aborted),
        ["zombie-0", "zombie-1", "zombie-2"],
        "the zombie's transaction is aborted"
    );
    assert!(log.open.is_empty(), "{:?}", log.open);
    assert!(
        zombie.commit_transaction(Duration::from_secs(10)).is_err(),
        "the zombie is fenced"
    );
    assert_eq!(marker(&cluster, &second), [(0, 2)]);

    // The restored subtask goes on; then dies before its next commit and is
    // restored from checkpoint 2 again: nothing is redone twice.
    second.write(&records(150, 20)).unwrap();
    second.precommit(3).unwrap();
    drop(second);
    let third = open(&cluster, Some(&at_2));
    assert_eq!(
        values(&cluster.read_committed("out").committed),
        expected(&[(0, 150)])
    );
    drop(third);

    // Restoring an older checkpoint (as from a savepoint) redoes nothing
    // already committed, and moves the marker back to it so that its own
    // later commits are not mistaken for done.
    let older = open(&cluster, Some(&at_1));
    assert_eq!(
        values(&cluster.read_committed("out").committed),
        expected(&[(0, 150)])
    );
    assert_eq!(marker(&cluster, &older), [(0, 1)]);
    drop(older);

    // A fresh start resets the marker.
    let fresh = open(&cluster, None);
    assert_eq!(marker(&cluster, &fresh), [(0, 0)]);
}

#[test]
fn the_end_of_input_is_committed_by_recovering_the_final_precommit() {
    let cluster = cluster();
    let mut sink = open(&cluster, None);
    sink.write(&records(0, 40)).unwrap();
    let last = sink.precommit(FINAL_CHECKPOINT).unwrap().unwrap();
    sink.close().unwrap();
    let group = sink.marker_group().to_owned();
    drop(sink);
    let spec = SinkSpec {
        id: "out".to_owned(),
        parallelism: 1,
        kind: SinkKind::Kafka(spec(&cluster)),
    };
    recover_sink(&spec, &last).unwrap();
    // Recovering twice (a failure after the first) commits nothing more.
    recover_sink(&spec, &last).unwrap();
    let log = cluster.read_committed("out");
    assert_eq!(values(&log.committed), expected(&[(0, 40)]));
    assert_eq!(cluster.committed(&group, "out", 1), [(0, i64::MAX)]);
}

#[test]
fn a_changed_prefix_finishes_the_old_commits_with_the_old_id() {
    let cluster = cluster();
    let mut old = open(&cluster, None);
    old.write(&records(0, 10)).unwrap();
    let at_1 = old.precommit(1).unwrap().unwrap();
    drop(old);
    let renamed = KafkaSinkSpec {
        transactional_id_prefix: Some("renamed".to_owned()),
        ..spec(&cluster)
    };
    let new = TransactionalKafkaSink::open("job", "out", &renamed, 0, Some(&at_1)).unwrap();
    assert_eq!(new.transactional_id(), "renamed-0");
    assert_eq!(
        values(&cluster.read_committed("out").committed),
        expected(&[(0, 10)])
    );
    assert_eq!(
        cluster.committed("weir-job-out-0-committed", "out", 1),
        [(0, 1)]
    );
}

#[test]
fn a_missing_topic_is_named() {
    let cluster = KafkaCluster::start_transactional(1);
    let err = TransactionalKafkaSink::open("job", "out", &spec(&cluster), 0, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("topic `out` does not exist"), "{err}");
}

#[test]
fn a_commit_that_fails_on_the_transaction_thread_fails_the_sink() {
    let cluster = cluster();
    let mut sink = open(&cluster, None);
    sink.write(&records(0, 10)).unwrap();
    sink.precommit(1).unwrap();
    // Another subtask instance takes the transactional id: this one is
    // fenced, and its commit fails on its thread.
    let _newer = open(&cluster, None);
    sink.commit(1).unwrap();
    let err = sink.flush().unwrap_err().to_string();
    assert!(
        err.starts_with("out: kafka at ") && err.contains("checkpoint 1"),
        "{err}"
    );
    let err = sink.precommit(2).unwrap_err().to_string();
    assert!(err.contains("an earlier commit failed"), "{err}");
    assert!(cluster.read_committed("out").committed.is_empty());
}

#[test]
fn a_sink_dropped_right_after_handing_over_a_commit_publishes_it() {
    // As after a stop with a savepoint: the commit, then the tasks dropped.
    let cluster = cluster();
    let mut sink = open(&cluster, None);
    sink.write(&records(0, 2_000)).unwrap();
    sink.precommit(1).unwrap();
    sink.commit(1).unwrap();
    drop(sink);
    let log = cluster.read_committed("out");
    assert_eq!(values(&log.committed), expected(&[(0, 2_000)]));
    assert!(log.open.is_empty());
}
