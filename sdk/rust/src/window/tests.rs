//! Windowed operators through the native harness: each window kind, lateness,
//! the late side output and session merging.

use serde::Deserialize;

use super::{WINDOW_STATE, Window, WindowAggregate, Windowed};
use crate::prelude::*;
use crate::testing::Harness;

/// Collects record values; emits `label[start,end):values`.
struct Collect {
    label: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CollectConfig {
    label: String,
}

impl WindowAggregate for Collect {
    type Config = CollectConfig;
    type Acc = Vec<String>;

    fn new(config: CollectConfig) -> Result<Self> {
        Ok(Collect {
            label: config.label,
        })
    }

    fn create(&self) -> Vec<String> {
        Vec::new()
    }

    fn add(&self, acc: &mut Vec<String>, record: &Record) -> Result<()> {
        acc.push(record.value_str()?.to_owned());
        Ok(())
    }

    fn merge(&self, mut a: Vec<String>, b: Vec<String>) -> Vec<String> {
        a.extend(b);
        a
    }

    fn emit(&self, _key: &[u8], w: Window, acc: &Vec<String>) -> Result<Vec<Record>> {
        let mut values = acc.clone();
        values.sort();
        let text = format!("{}[{},{}):{}", self.label, w.start, w.end, values.join(","));
        Ok(vec![Record::new(text)])
    }
}

type Op = Windowed<Collect>;

fn harness(config: serde_json::Value) -> Harness<Op> {
    Harness::<Op>::new(config).unwrap()
}

fn rec(key: &str, value: &str, ts: i64) -> Record {
    Record::keyed(key, value).with_timestamp(ts)
}

/// (key, value, timestamp) of each record.
fn out(records: Vec<Record>) -> Vec<(String, String, i64)> {
    records
        .into_iter()
        .map(|r| {
            (
                r.key_str().unwrap().unwrap_or("").to_owned(),
                r.value_str().unwrap().to_owned(),
                r.timestamp.unwrap(),
            )
        })
        .collect()
}

fn o(key: &str, value: &str, ts: i64) -> (String, String, i64) {
    (key.to_owned(), value.to_owned(), ts)
}

fn windows(h: &Harness<Op>, key: &str) -> Vec<(Window, Vec<String>)> {
    let mut ws = h.map::<Window, Vec<String>>(key, WINDOW_STATE);
    ws.sort_by_key(|(w, _)| *w);
    ws
}

fn w(start: i64, end: i64) -> Window {
    Window { start, end }
}

#[test]
fn tumbling_windows_fire_when_the_watermark_reaches_their_last_millisecond() {
    let mut h = harness(serde_json::json!({
        "window": {"kind": "tumbling", "size_ms": 10},
        "aggregate": {"label": "t"}
    }));
    h.process_batch(vec![
        rec("a", "1", 1),
        rec("b", "2", 2),
        rec("a", "9", 9),
        rec("a", "10", 10),
    ])
    .unwrap();
    assert_eq!(
        windows(&h, "a"),
        [
            (w(0, 10), vec!["1".into(), "9".into()]),
            (w(10, 20), vec!["10".into()])
        ]
    );

    h.advance_watermark(8).unwrap();
    assert!(h.emitted().is_empty());
    h.advance_watermark(9).unwrap();
    assert_eq!(
        out(h.take_emitted()),
        [o("a", "t[0,10):1,9", 9), o("b", "t[0,10):2", 9)]
    );
    // Without lateness a fired window is gone at once.
    assert_eq!(windows(&h, "a"), [(w(10, 20), vec!["10".into()])]);
    assert!(windows(&h, "b").is_empty());
    assert!(h.timers("b").is_empty());

    h.advance_watermark(100).unwrap();
    assert_eq!(out(h.take_emitted()), [o("a", "t[10,20):10", 19)]);
    assert!(h.timers("a").is_empty());
}

#[test]
fn sliding_windows_hold_each_record_in_every_window_covering_it() {
    let mut h = harness(serde_json::json!({
        "window": {"kind": "sliding", "size_ms": 10, "slide_ms": 5}
    }));
    h.process_batch(vec![rec("k", "a", 3), rec("k", "b", 7), rec("k", "c", 12)])
        .unwrap();
    h.advance_watermark(30).unwrap();
    assert_eq!(
        out(h.take_emitted()),
        [
            o("k", "[-5,5):a", 4),
            o("k", "[0,10):a,b", 9),
            o("k", "[5,15):b,c", 14),
            o("k", "[10,20):c", 19),
        ]
    );
    assert!(windows(&h, "k").is_empty());
}

#[test]
fn allowed_lateness_keeps_windows_and_refires_them_with_the_full_result() {
    let mut h = harness(serde_json::json!({
        "window": {"kind": "tumbling", "size_ms": 10},
        "allowed_lateness_ms": 5
    }));
    h.process(rec("k", "a", 3)).unwrap();
    h.advance_watermark(9).unwrap();
    assert_eq!(out(h.take_emitted()), [o("k", "[0,10):a", 9)]);
    assert_eq!(windows(&h, "k").len(), 1, "kept for late records");

    // Late but allowed: the window fires again at once, with every record.
    h.process(rec("k", "b", 4)).unwrap();
    assert_eq!(out(h.take_emitted()), [o("k", "[0,10):a,b", 9)]);

    // Past end - 1 + lateness the state is gone and records are too late.
    h.advance_watermark(14).unwrap();
    assert!(h.emitted().is_empty());
    assert!(windows(&h, "k").is_empty());
    assert!(h.timers("k").is_empty());
    h.process(rec("k", "c", 5)).unwrap();
    assert!(h.emitted().is_empty());
    assert_eq!(out(h.take_side_output("late")), [o("k", "c", 5)]);
    assert_eq!(h.counter("weir_window_late_records"), 1);

    // A first record for a window already past its end, within lateness, fires
    // at once and is cleaned up later.
    h.advance_watermark(21).unwrap();
    h.process(rec("k", "d", 12)).unwrap();
    h.process(rec("k", "e", 10)).unwrap();
    assert_eq!(
        out(h.take_emitted()),
        [o("k", "[10,20):d", 19), o("k", "[10,20):d,e", 19)]
    );
    assert_eq!(windows(&h, "k").len(), 1);
    h.advance_watermark(24).unwrap();
    assert!(windows(&h, "k").is_empty());
    assert!(h.emitted().is_empty());
}

#[test]
fn one_timer_can_drop_one_sliding_window_and_fire_another() {
    // Size 10, slide 5, lateness 5: the timer at 14 is both the cleanup of
    // [0,10) and the last millisecond of [5,15).
    let mut h = harness(serde_json::json!({
        "window": {"kind": "sliding", "size_ms": 10, "slide_ms": 5},
        "allowed_lateness_ms": 5
    }));
    h.process(rec("k", "a", 7)).unwrap();
    h.advance_watermark(9).unwrap();
    assert_eq!(out(h.take_emitted()), [o("k", "[0,10):a", 9)]);
    h.advance_watermark(14).unwrap();
    assert_eq!(out(h.take_emitted()), [o("k", "[5,15):a", 14)]);
    assert_eq!(windows(&h, "k"), [(w(5, 15), vec!["a".into()])]);
    // Too late for [0,10), late but allowed for [5,15): it fires again.
    h.process(rec("k", "b", 8)).unwrap();
    assert_eq!(out(h.take_emitted()), [o("k", "[5,15):a,b", 14)]);
    h.advance_watermark(19).unwrap();
    assert!(h.emitted().is_empty());
    assert!(windows(&h, "k").is_empty());
    assert!(h.timers("k").is_empty());
}

#[test]
fn windows_cut_short_at_the_end_of_time_still_fire() {
    // The last tumbling window's end saturates at i64::MAX, so it is shorter
    // than its size: its timer cannot name it and the key's windows are
    // scanned instead.
    let mut h = harness(serde_json::json!({
        "window": {"kind": "tumbling", "size_ms": 10}
    }));
    let ts = i64::MAX - 2;
    h.process(rec("k", "z", ts)).unwrap();
    let [(window, _)] = windows(&h, "k").try_into().unwrap();
    assert_eq!(window.end, i64::MAX);
    assert!(window.end - window.start < 10);
    h.advance_watermark(i64::MAX - 1).unwrap();
    let expected = format!("[{},{}):z", window.start, i64::MAX);
    assert_eq!(out(h.take_emitted()), [o("k", &expected, i64::MAX - 1)]);
    assert!(windows(&h, "k").is_empty());
}

#[test]
fn records_too_late_for_every_window_go_to_the_late_output() {
    let mut h = harness(serde_json::json!({
        "window": {"kind": "sliding", "size_ms": 10, "slide_ms": 5},
        "late_output": "too-late"
    }));
    h.advance_watermark(10).unwrap();
    // ts 6 is in [0,10) (late) and [5,15) (still open): accepted.
    h.process(rec("k", "x", 6)).unwrap();
    // ts 4 is in [-5,5) and [0,10): both late.
    h.process(rec("k", "y", 4)).unwrap();
    assert_eq!(out(h.side_output("too-late")), [o("k", "y", 4)]);
    assert!(h.side_output("late").is_empty());
    h.advance_watermark(14).unwrap();
    assert_eq!(out(h.take_emitted()), [o("k", "[5,15):x", 14)]);

    let mut drop = harness(serde_json::json!({
        "window": {"kind": "tumbling", "size_ms": 10},
        "late_output": null
    }));
    drop.advance_watermark(10).unwrap();
    drop.process(rec("k", "y", 4)).unwrap();
    assert_eq!(drop.counter("weir_window_late_records"), 1);
    assert!(drop.side_output("late").is_empty());
}

#[test]
fn session_windows_merge_when_records_come_within_the_gap() {
    let mut h = harness(serde_json::json!({"window": {"kind": "session", "gap_ms": 10}}));
    h.process_batch(vec![rec("k", "a", 0), rec("k", "b", 25), rec("j", "z", 3)])
        .unwrap();
    assert_eq!(
        windows(&h, "k"),
        [(w(0, 10), vec!["a".into()]), (w(25, 35), vec!["b".into()])]
    );

    // [8,18) overlaps [0,10): one session [0,18).
    h.process(rec("k", "c", 8)).unwrap();
    assert_eq!(
        windows(&h, "k")[0],
        (w(0, 18), vec!["a".into(), "c".into()])
    );
    // [17,27) bridges [0,18) and [25,35): everything merges.
    h.process(rec("k", "d", 17)).unwrap();
    assert_eq!(
        windows(&h, "k"),
        [(
            w(0, 35),
            vec!["a".into(), "c".into(), "b".into(), "d".into()]
        )]
    );
    // The replaced sessions' timers are gone; the merged one's is set.
    let timers: Vec<i64> = h.timers("k").iter().map(|t| t.timestamp).collect();
    assert_eq!(timers, [34]);
    // A record inside the session changes nothing but the accumulator.
    h.process(rec("k", "e", 20)).unwrap();
    assert_eq!(windows(&h, "k")[0].0, w(0, 35));

    h.advance_watermark(33).unwrap();
    assert_eq!(out(h.take_emitted()), [o("j", "[3,13):z", 12)]);
    h.advance_watermark(34).unwrap();
    assert_eq!(out(h.take_emitted()), [o("k", "[0,35):a,b,c,d,e", 34)]);
    assert!(windows(&h, "k").is_empty());
}

#[test]
fn touching_sessions_merge_and_late_ones_extend_a_kept_session() {
    let mut h = harness(serde_json::json!({
        "window": {"kind": "session", "gap_ms": 10},
        "allowed_lateness_ms": 20
    }));
    h.process(rec("k", "a", 0)).unwrap();
    h.process(rec("k", "b", 10)).unwrap(); // [10,20) touches [0,10)
    assert_eq!(windows(&h, "k")[0].0, w(0, 20));
    h.advance_watermark(19).unwrap();
    assert_eq!(out(h.take_emitted()), [o("k", "[0,20):a,b", 19)]);

    // Late, but it extends the fired session past the watermark: the merged
    // session fires on its own timer; the replaced one's cleanup is dropped.
    h.process(rec("k", "c", 15)).unwrap();
    assert!(h.emitted().is_empty());
    let timers = |h: &Harness<Op>| {
        h.timers("k")
            .iter()
            .map(|t| t.timestamp)
            .collect::<Vec<_>>()
    };
    assert_eq!(timers(&h), [24, 44]);
    h.advance_watermark(24).unwrap();
    assert_eq!(out(h.take_emitted()), [o("k", "[0,25):a,b,c", 24)]);

    // Late but allowed, inside the kept session: re-fires it at once.
    h.process(rec("k", "d", 5)).unwrap();
    assert_eq!(out(h.take_emitted()), [o("k", "[0,25):a,b,c,d", 24)]);
    assert_eq!(timers(&h), [44]);

    // A record whose own session would already be cleaned up is late.
    h.process(rec("k", "old", -100)).unwrap();
    assert_eq!(out(h.take_side_output("late")), [o("k", "old", -100)]);

    h.advance_watermark(44).unwrap();
    assert!(windows(&h, "k").is_empty());
    assert!(h.emitted().is_empty());
}

#[test]
fn windowed_input_needs_keys_and_timestamps_and_a_valid_config() {
    let mut h = harness(serde_json::json!({"window": {"kind": "tumbling", "size_ms": 10}}));
    let no_ts = h.process(Record::keyed("k", "v")).unwrap_err();
    assert!(matches!(no_ts, Error::BadInput(_)), "{no_ts:?}");
    let no_key = h.process(Record::new("v").with_timestamp(1)).unwrap_err();
    assert!(matches!(no_key, Error::BadInput(_)), "{no_key:?}");

    for bad in [
        serde_json::json!({"window": {"kind": "tumbling", "size_ms": 0}}),
        serde_json::json!({"window": {"kind": "hopping", "size_ms": 10}}),
        serde_json::json!({"window": {"kind": "session", "gap_ms": 1}, "aggregate": {"label": 5}}),
        serde_json::json!({"window": {"kind": "session", "gap_ms": 1}, "allowed_lateness_ms": u64::MAX}),
    ] {
        let err = Harness::<Op>::new(&bad).unwrap_err();
        assert!(matches!(err, Error::InvalidConfig(_)), "{bad}: {err:?}");
    }
}
