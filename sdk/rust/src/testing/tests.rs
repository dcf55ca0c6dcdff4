//! The SDK's runtime, state, timers and output, exercised through the native
//! harness.

use std::time::Duration;

use super::{Harness, UdfHarness};
use crate::log::Level;
use crate::prelude::*;
use crate::{HostError, metrics};

/// Counts records per key; emits `key:count` for each.
struct Counter {
    count: ValueState<u64>,
}

impl Operator for Counter {
    type Config = ();

    fn open(ctx: &mut OpenContext, _: ()) -> Result<Self> {
        Ok(Counter {
            count: ctx.value_state("count")?,
        })
    }

    fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
        let n = self.count.update(|n| n.unwrap_or(0) + 1)?;
        let key = record.key_str()?.unwrap_or("-").to_owned();
        ctx.emit(Record::new(format!("{key}:{n}")));
        Ok(())
    }

    fn close(&mut self, ctx: &mut Context) -> Result<()> {
        ctx.emit(Record::new("closed"));
        Ok(())
    }
}

fn rec(key: &str, ts: i64) -> Record {
    Record::keyed(key, "x").with_timestamp(ts)
}

fn values(records: &[Record]) -> Vec<&str> {
    records.iter().map(|r| r.value_str().unwrap()).collect()
}

#[test]
fn state_follows_the_key_of_each_record_in_a_batch() {
    let mut h = Harness::<Counter>::new(()).unwrap();
    h.process_batch(vec![
        rec("a", 1),
        rec("a", 2),
        rec("b", 3),
        rec("a", 4),
        rec("c", 5),
        rec("c", 6),
    ])
    .unwrap();
    assert_eq!(
        values(&h.emitted()),
        ["a:1", "a:2", "b:1", "a:3", "c:1", "c:2"]
    );
    assert_eq!(h.value::<u64>("a", "count"), Some(3));
    assert_eq!(h.value::<u64>("c", "count"), Some(2));
    assert_eq!(h.value::<u64>("zzz", "count"), None);
    // Only key changes after the first element switch the host: a→b, b→a, a→c.
    assert_eq!(h.set_current_calls(), 3);
    // One crossing for the whole batch's output.
    assert_eq!(h.emit_calls(), 1);
}

#[test]
fn emitted_records_take_their_own_or_the_current_timestamp() {
    struct Stamps;
    impl Operator for Stamps {
        type Config = ();
        fn open(_: &mut OpenContext, _: ()) -> Result<Self> {
            Ok(Stamps)
        }
        fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
            ctx.emit(Record::new("inherits"));
            ctx.emit(Record::new("own").with_timestamp(100));
            ctx.emit_side("side", Record::new("side"));
            ctx.timers()
                .register_event_time(record.timestamp.unwrap() + 1)?;
            Ok(())
        }
        fn on_timer(&mut self, ctx: &mut Context, _: Timer) -> Result<()> {
            ctx.emit(Record::new("timer"));
            Ok(())
        }
    }
    let mut h = Harness::<Stamps>::new(()).unwrap();
    h.process_batch(vec![rec("a", 1), rec("b", 2)]).unwrap();
    h.advance_watermark(10).unwrap();
    let ts = |rs: Vec<Record>| {
        rs.iter()
            .map(|r| (r.value_str().unwrap().to_owned(), r.timestamp))
            .collect::<Vec<_>>()
    };
    let s = |v: &str, t: i64| (v.to_owned(), Some(t));
    assert_eq!(
        ts(h.take_emitted()),
        [
            s("inherits", 1),
            s("own", 100),
            s("inherits", 2),
            s("own", 100),
            s("timer", 2),
            s("timer", 3)
        ]
    );
    assert_eq!(ts(h.take_side_output("side")), [s("side", 1), s("side", 2)]);
    assert!(h.side_output("side").is_empty());
}

#[test]
fn map_and_list_state_keep_typed_values_per_key() {
    #[derive(serde::Deserialize)]
    struct Txn {
        merchant: String,
        amount: u64,
    }
    struct Spend {
        per_merchant: MapState<String, u64>,
        recent: ListState<u64>,
    }
    impl Operator for Spend {
        type Config = ();
        fn open(ctx: &mut OpenContext, _: ()) -> Result<Self> {
            Ok(Spend {
                per_merchant: ctx.map_state("per_merchant")?,
                recent: ctx.list_state("recent")?,
            })
        }
        fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
            let txn: Txn = record.json()?;
            if txn.amount == 0 {
                self.per_merchant.remove(txn.merchant.as_str())?;
                self.recent.clear()?;
                return Ok(());
            }
            let total = self.per_merchant.get(txn.merchant.as_str())?.unwrap_or(0) + txn.amount;
            self.per_merchant.insert(txn.merchant.as_str(), &total)?;
            self.recent.add(&txn.amount)?;
            let mut recent = self.recent.get()?;
            if recent.len() > 2 {
                recent.remove(0);
                self.recent.update(&recent)?;
            }
            let known = self.per_merchant.contains_key("acme")?;
            ctx.emit(Record::new(format!(
                "{total} {known} {}",
                self.per_merchant.keys()?.len()
            )));
            Ok(())
        }
    }
    let txn = |key: &str, merchant: &str, amount: u64| {
        Record::keyed(
            key,
            format!(r#"{{"merchant":"{merchant}","amount":{amount}}}"#),
        )
    };
    let mut h = Harness::<Spend>::new(()).unwrap();
    h.process_batch(vec![
        txn("alice", "bb", 1),
        txn("alice", "acme", 2),
        txn("bob", "c", 5),
        txn("alice", "bb", 3),
        txn("alice", "c", 4),
    ])
    .unwrap();
    assert_eq!(
        values(&h.emitted()),
        ["1 false 1", "2 true 2", "5 false 1", "4 true 2", "4 true 3"]
    );
    // Ordered by encoded key: postcard writes a string's length first.
    assert_eq!(
        h.map::<String, u64>("alice", "per_merchant"),
        [
            ("c".to_owned(), 4),
            ("bb".to_owned(), 4),
            ("acme".to_owned(), 2)
        ]
    );
    assert_eq!(h.list::<u64>("alice", "recent"), [3, 4]);
    assert_eq!(h.list::<u64>("bob", "recent"), [5]);

    h.process(txn("alice", "bb", 0)).unwrap();
    assert_eq!(h.map::<String, u64>("alice", "per_merchant").len(), 2);
    assert!(h.list::<u64>("alice", "recent").is_empty());
    assert_eq!(h.list::<u64>("bob", "recent"), [5]);

    let err = h.process(Record::keyed("alice", "not json")).unwrap_err();
    assert!(matches!(err, Error::BadInput(_)), "{err:?}");
}

#[test]
fn ttl_expires_state_on_the_processing_time_clock() {
    struct Dedup {
        seen: ValueState<bool>,
    }
    impl Operator for Dedup {
        type Config = ();
        fn open(ctx: &mut OpenContext, _: ()) -> Result<Self> {
            Ok(Dedup {
                seen: ctx.state(StateDescriptor::value("seen").ttl(Duration::from_millis(100)))?,
            })
        }
        fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
            if self.seen.get()?.is_none() {
                ctx.emit(record);
            }
            self.seen.set(&true)
        }
    }
    let mut h = Harness::<Dedup>::builder()
        .processing_time(1_000)
        .open(())
        .unwrap();
    h.process(rec("a", 1)).unwrap();
    h.advance_processing_time(1_099).unwrap();
    h.process(rec("a", 2)).unwrap(); // a duplicate; rewrites at 1_099
    h.advance_processing_time(1_198).unwrap();
    assert_eq!(h.value::<bool>("a", "seen"), Some(true));
    h.process(rec("a", 3)).unwrap(); // still a duplicate; rewrites at 1_198
    h.advance_processing_time(1_298).unwrap();
    assert_eq!(h.value::<bool>("a", "seen"), None);
    h.process(rec("a", 4)).unwrap(); // expired: new again
    let ts: Vec<_> = h.emitted().iter().map(|r| r.timestamp.unwrap()).collect();
    assert_eq!(ts, [1, 4]);
}

#[test]
fn registering_a_name_again_must_match_kind_and_ttl() {
    struct Twice;
    impl Operator for Twice {
        type Config = String;
        fn open(ctx: &mut OpenContext, how: String) -> Result<Self> {
            let _: ValueState<u64> = ctx.value_state("s")?;
            match how.as_str() {
                "same" => drop(ctx.value_state::<u64>("s")?),
                "kind" => drop(ctx.list_state::<u64>("s")?),
                _ => drop(ctx.state::<ValueState<u64>>(
                    StateDescriptor::value("s").ttl(Duration::from_secs(1)),
                )?),
            }
            Ok(Twice)
        }
        fn process(&mut self, _: &mut Context, _: Record) -> Result<()> {
            Ok(())
        }
    }
    Harness::<Twice>::new(r#""same""#).unwrap();
    for how in [r#""kind""#, r#""ttl""#] {
        let err = Harness::<Twice>::new(how).unwrap_err();
        assert!(
            matches!(err, Error::Host(HostError::InvalidArgument(_))),
            "{how}: {err:?}"
        );
    }
}

/// Registers an event-time timer 10 ms after each record and a
/// processing-time timer 5 ms after "now"; a record "cancel" deletes them.
struct Reminder {
    count: ValueState<u64>,
}

impl Operator for Reminder {
    type Config = ();

    fn open(ctx: &mut OpenContext, _: ()) -> Result<Self> {
        Ok(Reminder {
            count: ctx.value_state("count")?,
        })
    }

    fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
        let ts = record.timestamp.unwrap();
        let now = ctx.processing_time();
        if record.value_str()? == "cancel" {
            ctx.timers().delete_event_time(ts + 10)?;
            return ctx.timers().delete_processing_time(now + 5);
        }
        self.count.update(|n| n.unwrap_or(0) + 1)?;
        ctx.timers().register_event_time(ts + 10)?;
        ctx.timers().register_processing_time(now + 5)
    }

    fn on_timer(&mut self, ctx: &mut Context, timer: Timer) -> Result<()> {
        let n = self.count.get()?.unwrap_or(0);
        let key = timer.key_str()?.unwrap_or("-");
        let wm = ctx.watermark();
        ctx.emit(Record::new(format!("{:?} {key} {n} wm={wm}", timer.domain)));
        Ok(())
    }
}

#[test]
fn event_time_timers_fire_in_time_order_with_their_key_current() {
    let mut h = Harness::<Reminder>::new(()).unwrap();
    h.process_batch(vec![rec("a", 1), rec("b", 2), rec("a", 5), rec("b", 2)])
        .unwrap();
    let event = |ts: &[i64]| {
        ts.iter()
            .map(|&t| Timer {
                key: Some(b"a".to_vec()),
                timestamp: t,
                domain: TimeDomain::EventTime,
            })
            .collect::<Vec<_>>()
    };
    let a_timers: Vec<_> = h
        .timers("a")
        .into_iter()
        .filter(|t| t.domain == TimeDomain::EventTime)
        .collect();
    assert_eq!(a_timers, event(&[11, 15]));

    h.advance_watermark(10).unwrap();
    assert!(h.emitted().is_empty());
    h.advance_watermark(12).unwrap();
    assert_eq!(
        values(&h.take_emitted()),
        ["EventTime a 2 wm=12", "EventTime b 2 wm=12"]
    );
    assert_eq!(h.watermark(), 12);
    h.advance_watermark(5).unwrap(); // never goes back
    assert_eq!(h.watermark(), 12);

    h.process(Record::keyed("a", "cancel").with_timestamp(5))
        .unwrap();
    h.advance_watermark(100).unwrap();
    assert!(h.emitted().is_empty());
    assert!(
        h.timers("a")
            .iter()
            .all(|t| t.domain == TimeDomain::ProcessingTime)
    );
}

#[test]
fn processing_time_timers_fire_when_the_clock_advances() {
    let mut h = Harness::<Reminder>::builder()
        .processing_time(100)
        .open(())
        .unwrap();
    h.process(rec("a", 1)).unwrap();
    h.advance_processing_time(104).unwrap();
    assert!(h.emitted().is_empty());
    h.advance_processing_time(105).unwrap();
    assert_eq!(
        values(&h.take_emitted()),
        ["ProcessingTime a 1 wm=-9223372036854775808"]
    );
    assert_eq!(h.processing_time(), 105);
}

#[test]
fn timers_registered_while_firing_fire_in_the_same_advance() {
    struct Chain;
    impl Operator for Chain {
        type Config = ();
        fn open(_: &mut OpenContext, _: ()) -> Result<Self> {
            Ok(Chain)
        }
        fn process(&mut self, ctx: &mut Context, r: Record) -> Result<()> {
            ctx.timers().register_event_time(r.timestamp.unwrap())
        }
        fn on_timer(&mut self, ctx: &mut Context, t: Timer) -> Result<()> {
            ctx.emit(Record::new(t.timestamp.to_string()));
            if t.timestamp < 3 {
                ctx.timers().register_event_time(t.timestamp + 1)?;
            }
            Ok(())
        }
    }
    let mut h = Harness::<Chain>::new(()).unwrap();
    h.process(rec("k", 1)).unwrap();
    h.advance_watermark(10).unwrap();
    assert_eq!(values(&h.emitted()), ["1", "2", "3"]);
}

#[test]
fn state_and_timers_need_a_key() {
    let mut h = Harness::<Counter>::new(()).unwrap();
    let err = h.process(Record::new("no key")).unwrap_err();
    assert_eq!(err, Error::Host(HostError::NoCurrentKey));
    let mut h = Harness::<Reminder>::new(()).unwrap();
    let err = h.process(Record::new("x").with_timestamp(1)).unwrap_err();
    assert_eq!(err, Error::Host(HostError::NoCurrentKey));
}

#[test]
fn undeclared_side_outputs_are_refused() {
    struct Side;
    impl Operator for Side {
        type Config = ();
        fn open(_: &mut OpenContext, _: ()) -> Result<Self> {
            Ok(Side)
        }
        fn process(&mut self, ctx: &mut Context, r: Record) -> Result<()> {
            let output = r.value_str()?.to_owned();
            ctx.emit_side(&output, r);
            Ok(())
        }
    }
    let mut h = Harness::<Side>::builder()
        .side_outputs(["alerts"])
        .open(())
        .unwrap();
    h.process(Record::new("alerts")).unwrap();
    assert_eq!(h.side_output("alerts").len(), 1);
    let err = h.process(Record::new("other")).unwrap_err();
    assert_eq!(err, Error::Host(HostError::UnknownOutput("other".into())));
}

#[test]
fn harnesses_in_one_thread_do_not_share_state() {
    let mut one = Harness::<Counter>::new(()).unwrap();
    let mut two = Harness::<Counter>::new(()).unwrap();
    one.process(rec("k", 1)).unwrap();
    two.process(rec("k", 1)).unwrap();
    one.process(rec("k", 2)).unwrap();
    assert_eq!(one.value::<u64>("k", "count"), Some(2));
    assert_eq!(two.value::<u64>("k", "count"), Some(1));
    assert_eq!(values(&two.emitted()), ["k:1"]);
}

#[test]
fn close_flushes_its_output() {
    let mut h = Harness::<Counter>::new(()).unwrap();
    h.close().unwrap();
    assert_eq!(h.emitted(), [Record::new("closed")]);
}

#[test]
fn config_is_parsed_and_checked_before_open() {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Cfg {
        threshold: u64,
    }
    struct Threshold(u64);
    impl Operator for Threshold {
        type Config = Cfg;
        fn open(ctx: &mut OpenContext, c: Cfg) -> Result<Self> {
            if c.threshold == 0 {
                crate::bail!(Error::invalid_config("threshold must be positive"));
            }
            let info = ctx.task_info();
            crate::log::info!("{} opened with {}", info.operator_id, c.threshold);
            Ok(Threshold(c.threshold))
        }
        fn process(&mut self, _: &mut Context, _: Record) -> Result<()> {
            metrics::counter_add("seen", 2);
            metrics::gauge_set("threshold", self.0 as f64);
            metrics::histogram_record("h", 1.5);
            crate::log::warn!("record");
            Ok(())
        }
    }
    let mut h = Harness::<Threshold>::new(serde_json::json!({"threshold": 7})).unwrap();
    assert_eq!(h.operator().0, 7);
    h.process(Record::new("x")).unwrap();
    h.process(Record::new("y")).unwrap();
    assert_eq!(h.counter("seen"), 4);
    assert_eq!(h.gauge("threshold"), Some(7.0));
    assert_eq!(h.histogram("h"), [1.5, 1.5]);
    let logs = h.logs();
    assert_eq!(
        (logs[0].level, logs[0].message.as_str()),
        (Level::Info, "test opened with 7")
    );
    assert_eq!(logs[1].level, Level::Warn);

    for bad in [
        r#"{"threshold": 0}"#,
        r#"{"threshold": "x"}"#,
        "{}",
        r#"{"threshold": 1, "x": 2}"#,
        "{",
    ] {
        let err = Harness::<Threshold>::new(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidConfig(_)), "{bad}: {err:?}");
    }
}

#[test]
fn task_info_comes_from_the_builder() {
    struct Info(crate::TaskInfo);
    impl Operator for Info {
        type Config = ();
        fn open(ctx: &mut OpenContext, _: ()) -> Result<Self> {
            Ok(Info(ctx.task_info()))
        }
        fn process(&mut self, _: &mut Context, _: Record) -> Result<()> {
            Ok(())
        }
    }
    let info = crate::TaskInfo {
        job_name: "j".into(),
        operator_id: "op".into(),
        subtask_index: 2,
        parallelism: 4,
        max_parallelism: 64,
    };
    let h = Harness::<Info>::builder()
        .task_info(info.clone())
        .open(())
        .unwrap();
    assert_eq!(h.operator().0, info);
}

struct Split {
    separator: char,
}

impl Udf for Split {
    type Config = Option<char>;

    fn open(separator: Option<char>) -> Result<Self> {
        Ok(Split {
            separator: separator.unwrap_or(' '),
        })
    }

    fn transform(&mut self, record: RecordRef<'_>, out: &mut UdfOutput) -> Result<()> {
        let text = record.value_str()?;
        if text.is_empty() {
            crate::log::debug!("empty record");
        }
        for word in text.split(self.separator).filter(|w| !w.is_empty()) {
            out.emit(&Record::new(word));
        }
        if let Some(k) = record.key {
            out.emit(RecordRef::new(k).with_timestamp(0));
        }
        Ok(())
    }
}

#[test]
fn udfs_map_each_record_to_any_number_of_records() {
    let mut h = UdfHarness::<Split>::new(()).unwrap();
    let out = h
        .transform_batch(vec![
            Record::new("a b").with_timestamp(5),
            Record::new(""),
            Record::keyed("k", "c").with_timestamp(6),
        ])
        .unwrap();
    assert_eq!(
        out,
        [
            Record::new("a").with_timestamp(5),
            Record::new("b").with_timestamp(5),
            Record::new("c").with_timestamp(6),
            Record::new("k").with_timestamp(0),
        ]
    );
    assert_eq!(h.logs().len(), 1);

    let mut comma = UdfHarness::<Split>::new(r#"",""#).unwrap();
    assert_eq!(comma.transform(Record::new("x,y")).unwrap().len(), 2);
    let err = comma.transform(Record::new(vec![0xff])).unwrap_err();
    assert!(matches!(err, Error::BadInput(_)));
    assert!(UdfHarness::<Split>::new(r#""too long""#).is_err());
}

#[test]
fn udf_outputs_of_every_size_keep_their_bytes_and_order() {
    /// Emits the record, its value doubled under a longer key, and a
    /// keyless empty record: outputs of every size, borrowed and owned.
    struct Fan;
    impl Udf for Fan {
        type Config = ();
        fn open(_: ()) -> Result<Self> {
            Ok(Fan)
        }
        fn transform(&mut self, record: RecordRef<'_>, out: &mut UdfOutput) -> Result<()> {
            let doubled = record.value.repeat(2);
            let key = format!("{}-long-key", record.key_str()?.unwrap_or("-"));
            assert_eq!(out.len() % 3, 0);
            out.emit(record);
            out.emit(RecordRef {
                key: Some(key.as_bytes()),
                value: &doubled,
                ..record
            });
            out.emit(&Record::new(Vec::new()));
            Ok(())
        }
    }

    let mut h = UdfHarness::<Fan>::new(()).unwrap();
    let batch: Vec<Record> = (0..40)
        .map(|i| Record::keyed(format!("k{i}"), "v".repeat(i % 7)).with_timestamp(i as i64))
        .collect();
    let out = h.transform_batch(batch.clone()).unwrap();
    assert_eq!(out.len(), 120);
    for (i, input) in batch.iter().enumerate() {
        let v = "v".repeat(i % 7);
        assert_eq!(out[3 * i], *input);
        assert_eq!(
            out[3 * i + 1],
            Record::keyed(format!("k{i}-long-key"), v.repeat(2)).with_timestamp(i as i64)
        );
        assert_eq!(out[3 * i + 2], Record::new("").with_timestamp(i as i64));
    }
}
