//! The Kafka sink (at least once) against librdkafka's mock cluster: what
//! is written arrives with its key, value and timestamp once flushed,
//! through a broker that goes away for a moment, and a missing topic is a
//! clear error.

use std::collections::BTreeMap;
use std::time::Duration;

use weir_connectors::{KafkaSink, Sink};
use weir_spec::{Delivery, KafkaSinkSpec};
use weir_test_fixtures::KafkaCluster;
use weir_types::Record;

fn spec(cluster: &KafkaCluster, topic: &str) -> KafkaSinkSpec {
    KafkaSinkSpec {
        brokers: cluster.bootstrap(),
        topic: topic.to_owned(),
        delivery: Delivery::AtLeastOnce,
        transactional_id_prefix: None,
        properties: BTreeMap::new(),
    }
}

fn records(from: usize, n: usize) -> Vec<Record> {
    (from..from + n)
        .map(|i| {
            Record::new(format!("v{i}"))
                .with_key(format!("k{}", i % 5))
                .with_timestamp(i as i64)
        })
        .collect()
}

#[test]
fn flushed_records_arrive_with_key_value_and_timestamp() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("out", 3);
    let mut sink = KafkaSink::new("job", "out", &spec(&cluster, "out"), 0).unwrap();
    sink.write(&records(0, 500)).unwrap();
    sink.flush().unwrap();
    sink.write(&records(500, 500)).unwrap();
    sink.close().unwrap();
    let got = cluster.read_all("out");
    assert_eq!(got.len(), 1_000);
    let by_value: BTreeMap<String, _> = got
        .iter()
        .map(|c| (String::from_utf8(c.value.clone()).unwrap(), c))
        .collect();
    let v7 = by_value["v7"];
    assert_eq!(v7.key.as_deref(), Some(&b"k2"[..]));
    assert_eq!(v7.timestamp, Some(7));
    // One key, one partition: its records keep their order.
    let k2: Vec<i64> = got
        .iter()
        .filter(|c| c.key.as_deref() == Some(&b"k2"[..]))
        .map(|c| c.timestamp.unwrap())
        .collect();
    assert!(k2.windows(2).all(|w| w[0] < w[1]), "{k2:?}");
    assert!(sink.write(&records(0, 1)).is_err(), "closed");
}

#[test]
fn a_flush_waits_for_a_broker_that_comes_back() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("out", 1);
    let mut sink = KafkaSink::new("job", "out", &spec(&cluster, "out"), 0).unwrap();
    cluster.set_broker_up(1, false);
    sink.write(&records(0, 100)).unwrap();
    let flushing = std::thread::spawn(move || {
        sink.flush().unwrap();
        sink
    });
    std::thread::sleep(Duration::from_secs(1));
    assert!(!flushing.is_finished(), "nothing can be acknowledged yet");
    cluster.set_broker_up(1, true);
    flushing.join().unwrap();
    assert_eq!(cluster.read_all("out").len(), 100);
}

#[test]
fn a_missing_topic_is_named() {
    let cluster = KafkaCluster::start(1);
    cluster.create_topic("here", 1);
    let err = KafkaSink::new("job", "out", &spec(&cluster, "nowhere"), 0)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "out: kafka at {}: topic `nowhere` does not exist",
            cluster.bootstrap()
        )
    );
}
