//! The operator through the native harness: each aggregate and window kind,
//! late records, bad input and bad configs.

use serde_json::{Value, json};
use weir_sdk::prelude::*;
use weir_sdk::testing::Harness;

use crate::{SKIPPED_METRIC, WindowAggregate};

fn harness(config: Value) -> Harness<WindowAggregate> {
    Harness::<WindowAggregate>::builder()
        .side_outputs(["late"])
        .open(config)
        .unwrap()
}

fn rec(key: &str, value: Value, ts: i64) -> Record {
    Record::keyed(key, value.to_string()).with_timestamp(ts)
}

/// Emitted values as JSON, with their timestamps.
fn results(h: &mut Harness<WindowAggregate>) -> Vec<(Value, i64)> {
    h.take_emitted()
        .into_iter()
        .map(|r| {
            let v: Value = serde_json::from_slice(&r.value).unwrap();
            assert_eq!(r.key.as_deref(), v["key"].as_str().map(str::as_bytes));
            (v, r.timestamp.unwrap())
        })
        .collect()
}

fn tumbling(aggregate: &str) -> Value {
    json!({"window": {"kind": "tumbling", "size_ms": 10}, "aggregate": aggregate, "field": "n"})
}

fn one_window(aggregate: &str, values: &[Value]) -> Value {
    let mut h = harness(tumbling(aggregate));
    let batch = values
        .iter()
        .map(|n| rec("k", json!({ "n": n }), 3))
        .collect();
    h.process_batch(batch).unwrap();
    h.advance_watermark(9).unwrap();
    let out = results(&mut h);
    assert_eq!(out.len(), 1);
    out[0].0["value"].clone()
}

#[test]
fn each_aggregate_over_one_window() {
    let ints = [json!(4), json!(-2), json!(10)];
    assert_eq!(one_window("count", &ints), json!(3));
    assert_eq!(one_window("sum", &ints), json!(12));
    assert_eq!(one_window("min", &ints), json!(-2));
    assert_eq!(one_window("max", &ints), json!(10));
    assert_eq!(one_window("avg", &ints), json!(4.0));
    let mixed = [json!(1), json!(0.5)];
    assert_eq!(one_window("sum", &mixed), json!(1.5));
    assert_eq!(one_window("min", &mixed), json!(0.5));
    assert_eq!(one_window("max", &mixed), json!(1));
}

#[test]
fn tumbling_windows_emit_one_object_per_key_and_window() {
    let mut h = harness(tumbling("sum"));
    h.process_batch(vec![
        rec("a", json!({"n": 1}), 1),
        rec("b", json!({"n": 2}), 2),
        rec("a", json!({"n": 3}), 9),
        rec("a", json!({"n": 4}), 10),
    ])
    .unwrap();
    h.advance_watermark(100).unwrap();
    let out = results(&mut h);
    assert_eq!(
        out,
        [
            (
                json!({"key": "a", "window_start": 0, "window_end": 10, "value": 4}),
                9
            ),
            (
                json!({"key": "b", "window_start": 0, "window_end": 10, "value": 2}),
                9
            ),
            (
                json!({"key": "a", "window_start": 10, "window_end": 20, "value": 4}),
                19
            ),
        ]
    );
}

#[test]
fn the_output_is_compact_json_in_a_fixed_field_order() {
    let mut h = harness(tumbling("count"));
    h.process(rec("ann", json!({"n": 1}), 12)).unwrap();
    h.advance_watermark(19).unwrap();
    let out = h.take_emitted();
    assert_eq!(
        out,
        vec![
            Record::keyed(
                "ann",
                r#"{"key":"ann","window_start":10,"window_end":20,"value":1}"#
            )
            .with_timestamp(19)
        ]
    );
}

#[test]
fn sliding_windows_count_a_record_in_each_window_it_falls_in() {
    let config =
        json!({"window": {"kind": "sliding", "size_ms": 10, "slide_ms": 5}, "aggregate": "count"});
    let mut h = harness(config);
    h.process_batch(vec![rec("k", json!("any"), 7), rec("k", json!(null), 12)])
        .unwrap();
    h.advance_watermark(100).unwrap();
    let windows: Vec<_> = results(&mut h)
        .into_iter()
        .map(|(v, _)| (v["window_start"].clone(), v["value"].clone()))
        .collect();
    assert_eq!(
        windows,
        [
            (json!(0), json!(1)),
            (json!(5), json!(2)),
            (json!(10), json!(1))
        ]
    );
}

#[test]
fn session_windows_merge_and_keep_their_sum() {
    let config =
        json!({"window": {"kind": "session", "gap_ms": 5}, "aggregate": "sum", "field": "x.v"});
    let mut h = harness(config);
    h.process_batch(vec![
        rec("k", json!({"x": {"v": 1}}), 0),
        rec("k", json!({"x": {"v": 2}}), 12),
        rec("k", json!({"x": {"v": 3}}), 4),
    ])
    .unwrap();
    h.advance_watermark(100).unwrap();
    let out: Vec<_> = results(&mut h).into_iter().map(|(v, _)| v).collect();
    assert_eq!(
        out,
        [
            json!({"key": "k", "window_start": 0, "window_end": 9, "value": 4}),
            json!({"key": "k", "window_start": 12, "window_end": 17, "value": 2}),
        ]
    );
}

#[test]
fn late_records_go_to_the_late_side_output_unchanged() {
    let mut h = harness(tumbling("max"));
    h.process(rec("k", json!({"n": 1}), 5)).unwrap();
    h.advance_watermark(20).unwrap();
    let late = rec("k", json!({"n": 9}), 3);
    h.process(late.clone()).unwrap();
    assert_eq!(h.take_side_output("late"), vec![late]);
    assert_eq!(results(&mut h).len(), 1);
}

#[test]
fn bad_records_fail_by_default_and_are_skipped_and_counted_on_request() {
    let mut h = harness(tumbling("sum"));
    let err = h.process(rec("k", json!({"n": "12"}), 1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"bad input: field `n` is not a number: "12""#
    );
    let err = h.process(rec("k", json!({"m": 1}), 1)).unwrap_err();
    assert_eq!(err.to_string(), "bad input: field `n` is missing");
    let err = h
        .process(Record::new(r#"{"n": 1}"#).with_timestamp(1))
        .unwrap_err();
    assert!(err.to_string().contains("needs keyed input"), "{err}");

    let mut config = tumbling("sum");
    config["on_error"] = json!("skip");
    let mut h = harness(config);
    h.process_batch(vec![
        rec("k", json!({"n": 2}), 1),
        Record::keyed("k", "n=3").with_timestamp(1),
        rec("k", json!({"n": [3]}), 1),
        Record::keyed("k", r#"{"n": 3}"#),
        rec("k", json!({"n": 5}), 2),
    ])
    .unwrap();
    assert_eq!(h.counter(SKIPPED_METRIC), 3);
    h.advance_watermark(9).unwrap();
    assert_eq!(results(&mut h)[0].0["value"], json!(7));
}

#[test]
fn bad_configs_say_what_is_wrong() {
    let err = |config: Value| match Harness::<WindowAggregate>::new(config) {
        Err(Error::InvalidConfig(m)) => m,
        Err(e) => panic!("not an invalid config: {e}"),
        Ok(_) => panic!("accepted"),
    };
    let window = json!({"kind": "tumbling", "size_ms": 10});
    assert_eq!(
        err(json!({"window": window, "aggregate": "sum"})),
        "field: missing (`sum` needs the path of a number)"
    );
    assert_eq!(
        err(json!({"window": window, "aggregate": "median", "field": "n"})),
        r#"aggregate: unknown aggregate "median"; expected one of count, sum, min, max, avg"#
    );
    assert!(
        err(json!({"window": {"kind": "tumblin", "size_ms": 1}, "aggregate": "count"}))
            .starts_with("window: unknown variant `tumblin`, expected one of"),
    );
    assert_eq!(
        err(json!({"window": {"kind": "tumbling", "size_ms": 0}, "aggregate": "count"})),
        format!("window size_ms must be between 1 and {}, not 0", i64::MAX)
    );
    assert!(
        err(json!({"window": window, "aggregate": "count", "lateness": 1}))
            .starts_with("unknown field `lateness`")
    );
    assert_eq!(
        err(json!({"window": window, "aggregate": "count", "field": "a."})),
        r#"field: field path "a." has an empty segment"#
    );
}
