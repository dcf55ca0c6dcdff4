//! The Kafka source against a real Kafka-protocol broker (librdkafka's mock
//! cluster on loopback): partitions spread over subtasks, bounded reads,
//! positions and seeks, start offsets (by time through the transaction
//! proxy, which answers what the mock does not), decoding, watermarks per partition,
//! new topics picked up while running, and clear errors.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use weir_connectors::{ConnectorError, KafkaSource, Source, SourcePoll, SourcePosition};
use weir_spec::{
    DecodeErrorPolicy, KafkaSourceSpec, LineFormat, StartOffsets, StopOffsets, TopicSelection,
    WatermarkSpec,
};
use weir_test_fixtures::{KafkaCluster, Produce};
use weir_types::{Element, Record};

fn spec(cluster: &KafkaCluster, topic: &str) -> KafkaSourceSpec {
    KafkaSourceSpec {
        brokers: cluster.bootstrap(),
        topics: TopicSelection::Names(vec![topic.to_owned()]),
        group_id: None,
        start: StartOffsets::Earliest,
        stop: Some(StopOffsets::Latest),
        format: LineFormat::Raw,
        key_field: None,
        timestamp_field: None,
        discovery_interval_ms: 100,
        rate_per_sec: None,
        properties: BTreeMap::new(),
    }
}

fn source(spec: &KafkaSourceSpec, subtask: u32, parallelism: u32) -> KafkaSource {
    source_with(
        spec,
        &WatermarkSpec::default(),
        DecodeErrorPolicy::Fail,
        subtask,
        parallelism,
    )
}

fn source_with(
    spec: &KafkaSourceSpec,
    watermark: &WatermarkSpec,
    policy: DecodeErrorPolicy,
    subtask: u32,
    parallelism: u32,
) -> KafkaSource {
    KafkaSource::new("job", "in", spec, watermark, policy, subtask, parallelism).unwrap()
}

/// `n` records `v<i>` with keys `k<i % keys>` and timestamps `1000 + i`.
fn produce(cluster: &KafkaCluster, topic: &str, from: usize, n: usize, keys: usize) {
    let keys: Vec<String> = (from..from + n).map(|i| format!("k{}", i % keys)).collect();
    let values: Vec<String> = (from..from + n).map(|i| format!("v{i}")).collect();
    let records: Vec<Produce<'_>> = (0..n)
        .map(|j| {
            (
                Some(keys[j].as_bytes()),
                values[j].as_bytes(),
                Some(1000 + (from + j) as i64),
            )
        })
        .collect();
    cluster.produce(topic, &records);
}

/// Polls until the source finishes (or `limit` records, for unbounded
/// ones); panics after a minute.
fn drain(source: &mut KafkaSource, limit: usize) -> Vec<Record> {
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while out.len() < limit {
        assert!(Instant::now() < deadline, "no end after a minute");
        match source.poll(100, &mut out).unwrap() {
            SourcePoll::Finished => break,
            SourcePoll::Idle => std::thread::sleep(Duration::from_millis(5)),
            SourcePoll::Records => {}
        }
    }
    out
}

fn values(records: &[Record]) -> BTreeSet<String> {
    records
        .iter()
        .map(|r| String::from_utf8(r.value.clone()).unwrap())
        .collect()
}

fn all_values(from: usize, n: usize) -> BTreeSet<String> {
    (from..from + n).map(|i| format!("v{i}")).collect()
}

#[test]
fn subtasks_share_the_partitions_and_a_bounded_read_ends() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("orders", 4);
    produce(&cluster, "orders", 0, 2_000, 20);
    let spec = spec(&cluster, "orders");
    let mut seen = Vec::new();
    for subtask in 0..3 {
        let mut s = source(&spec, subtask, 3);
        let records = drain(&mut s, usize::MAX);
        let SourcePosition::Kafka { partitions } = s.position() else {
            panic!("a kafka position");
        };
        let owned = partitions.len();
        assert!((1..=2).contains(&owned), "subtask {subtask} owns {owned}");
        for p in &partitions {
            assert_eq!(Some(p.next), p.stop, "read to the end: {p:?}");
        }
        seen.extend(records);
    }
    assert_eq!(seen.len(), 2_000, "each record once");
    assert_eq!(values(&seen), all_values(0, 2_000));
    let r = seen.iter().find(|r| r.value == b"v7").unwrap();
    assert_eq!(r.key.as_deref(), Some(&b"k7"[..]));
    assert_eq!(r.timestamp, Some(1007));
}

#[test]
fn a_seek_continues_exactly_where_the_position_says() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("t", 3);
    produce(&cluster, "t", 0, 900, 9);
    let spec = spec(&cluster, "t");
    let mut first = source(&spec, 0, 1);
    let head = drain(&mut first, 250);
    let position = first.position();
    drop(first);
    // More records arrive after the checkpoint; the bounded source still
    // ends where it first meant to.
    produce(&cluster, "t", 900, 100, 9);
    let mut second = source(&spec, 0, 1);
    second.seek(&position).unwrap();
    let tail = drain(&mut second, usize::MAX);
    let mut all = head.clone();
    all.extend(tail);
    assert_eq!(all.len(), 900, "{} + rest", head.len());
    assert_eq!(values(&all), all_values(0, 900));

    // A position of another subtask is refused.
    let mut other = source(&spec, 0, 2);
    let err = other.seek(&position).unwrap_err();
    assert!(matches!(err, ConnectorError::Seek { .. }), "{err}");
}

#[test]
fn start_latest_and_committed() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("s", 2);
    produce(&cluster, "s", 0, 100, 4);
    let unbounded = KafkaSourceSpec {
        stop: None,
        ..spec(&cluster, "s")
    };

    // latest: only what comes after the start.
    let mut latest = source(
        &KafkaSourceSpec {
            start: StartOffsets::Latest,
            ..unbounded.clone()
        },
        0,
        1,
    );
    assert!(drain_for(&mut latest, Duration::from_millis(300)).is_empty());
    produce(&cluster, "s", 100, 10, 4);
    let got = drain(&mut latest, 10);
    assert_eq!(values(&got), all_values(100, 10));

    // committed: a completed checkpoint commits to the group, and a new
    // source starting from `committed` continues there.
    let mut reader = source(&unbounded, 0, 1);
    let got = drain(&mut reader, 60);
    reader.checkpoint_complete(&reader.position()).unwrap();
    let committed_at = got.len();
    std::thread::sleep(Duration::from_millis(300));
    drop(reader);
    let mut resumed = source(
        &KafkaSourceSpec {
            start: StartOffsets::Committed,
            ..unbounded.clone()
        },
        0,
        1,
    );
    let rest = drain(&mut resumed, 110 - committed_at);
    let mut all = got;
    all.extend(rest);
    assert_eq!(values(&all), all_values(0, 110));
}

#[test]
fn a_timestamp_start_begins_at_the_first_record_that_late() {
    // The mock answers no ListOffsets by time; the proxy in front of it
    // answers from the log, as a broker does.
    let cluster = KafkaCluster::start_transactional(1);
    cluster.create_topic("t", 3);
    produce(&cluster, "t", 0, 300, 7);
    let at = |timestamp_ms| KafkaSourceSpec {
        start: StartOffsets::Timestamp { timestamp_ms },
        ..spec(&cluster, "t")
    };
    // Timestamps are 1000 + i: from 1250 on, each partition starts at its
    // first record of i >= 250.
    let got = drain(&mut source(&at(1_250), 0, 1), usize::MAX);
    assert_eq!(values(&got), all_values(250, 50));
    // Before every record: all of them; after every record: none (from the
    // end).
    let got = drain(&mut source(&at(0), 0, 1), usize::MAX);
    assert_eq!(values(&got), all_values(0, 300));
    let got = drain(&mut source(&at(5_000), 0, 1), usize::MAX);
    assert!(got.is_empty(), "{} records", got.len());
}

/// Polls for `how_long`, returning what came.
fn drain_for(source: &mut KafkaSource, how_long: Duration) -> Vec<Record> {
    let mut out = Vec::new();
    let until = Instant::now() + how_long;
    while Instant::now() < until {
        if source.poll(100, &mut out).unwrap() == SourcePoll::Idle {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    out
}

#[test]
fn json_fields_and_records_that_do_not_decode() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("j", 1);
    cluster.produce(
        "j",
        &[
            (None, br#"{"user": "ann", "ts": 5}"#, Some(1)),
            (None, b"not json", Some(2)),
            (None, br#"{"user": "bob", "ts": 7}"#, Some(3)),
        ],
    );
    let json = KafkaSourceSpec {
        format: LineFormat::Json,
        key_field: Some("user".into()),
        timestamp_field: Some("ts".into()),
        ..spec(&cluster, "j")
    };
    let mut skipping = source_with(
        &json,
        &WatermarkSpec::default(),
        DecodeErrorPolicy::Skip,
        0,
        1,
    );
    let got = drain(&mut skipping, usize::MAX);
    let fields: Vec<_> = got
        .iter()
        .map(|r| (r.key.clone().unwrap(), r.timestamp))
        .collect();
    assert_eq!(
        fields,
        [(b"ann".to_vec(), Some(5)), (b"bob".to_vec(), Some(7))]
    );
    assert_eq!(skipping.skipped(), 1);

    let mut failing = source(&json, 0, 1);
    let mut out = Vec::new();
    let err = loop {
        match failing.poll(100, &mut out) {
            Err(e) => break e,
            Ok(SourcePoll::Finished) => panic!("the bad record must fail the source"),
            Ok(_) => {}
        }
    };
    assert_eq!(
        err.to_string(),
        "source in: cannot decode j/0 offset 1: invalid JSON: expected ident at line 1 column 2"
    );
}

#[test]
fn watermarks_are_kept_per_partition() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("w", 2);
    cluster.produce_to(
        "w",
        &[
            (Some(0), None, b"1", Some(10_000)),
            (Some(0), None, b"2", Some(20_000)),
            (Some(1), None, b"3", Some(5_000)),
        ],
    );
    let marks = WatermarkSpec {
        out_of_orderness_ms: 100,
        idle_timeout_ms: Some(60_000),
    };
    let unbounded = KafkaSourceSpec {
        stop: None,
        ..spec(&cluster, "w")
    };
    let mut s = source_with(&unbounded, &marks, DecodeErrorPolicy::Fail, 0, 1);
    assert_eq!(drain(&mut s, 3).len(), 3);
    // Partition 1 (5 000) holds back partition 0 (20 000).
    let now = now_ms();
    assert_eq!(s.watermark(now), Some(Element::Watermark(4_899)));
    // Partition 1 goes quiet past the idle timeout: partition 0 alone counts;
    // then both are quiet and the subtask is idle.
    cluster.produce_to("w", &[(Some(0), None, b"4", Some(30_000))]);
    assert_eq!(drain(&mut s, 1).len(), 1);
    assert_eq!(s.watermark(now + 60_000), Some(Element::Watermark(29_899)));
    assert_eq!(s.watermark(now + 200_000), Some(Element::Idle));
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn a_topic_pattern_picks_up_new_topics_while_running() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("evt-a", 1);
    produce(&cluster, "evt-a", 0, 10, 2);
    let spec = KafkaSourceSpec {
        topics: TopicSelection::Pattern("evt-.*".into()),
        stop: None,
        ..spec(&cluster, "unused")
    };
    let mut s = source(&spec, 0, 1);
    assert_eq!(values(&drain(&mut s, 10)), all_values(0, 10));
    cluster.create_topic("evt-b", 2);
    cluster.create_topic("other", 1);
    produce(&cluster, "evt-b", 10, 20, 4);
    produce(&cluster, "other", 30, 5, 1);
    assert_eq!(values(&drain(&mut s, 20)), all_values(10, 20));
    let SourcePosition::Kafka { partitions } = s.position() else {
        unreachable!()
    };
    let topics: BTreeSet<&str> = partitions.iter().map(|p| p.topic.as_str()).collect();
    assert_eq!(topics, BTreeSet::from(["evt-a", "evt-b"]));
}

#[test]
fn a_missing_topic_and_unreachable_brokers_are_named() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("here", 1);
    let mut s = source(&spec(&cluster, "nope"), 0, 1);
    let err = s.poll(10, &mut Vec::new()).unwrap_err().to_string();
    assert!(err.contains("topic `nope` does not exist"), "{err}");
    assert!(err.contains(&cluster.bootstrap()), "{err}");

    let nowhere = KafkaSourceSpec {
        brokers: "127.0.0.1:1".into(),
        ..spec(&cluster, "here")
    };
    let mut s = source(&nowhere, 0, 1);
    let err = s.poll(10, &mut Vec::new()).unwrap_err().to_string();
    assert!(
        err.starts_with("in: kafka at 127.0.0.1:1: cannot read metadata of `here`"),
        "{err}"
    );
}
