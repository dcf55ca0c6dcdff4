use weir_sdk::testing::Harness;

use super::*;

const MINUTE: i64 = 60_000;

fn txn(account: &str, ts: i64, amount: u64) -> Record {
    Record::keyed(
        account,
        format!(r#"{{"account":"{account}","amount":{amount},"ts":{ts}}}"#),
    )
    .with_timestamp(ts)
}

fn detector() -> Harness<FraudDetector> {
    Harness::new(r#"{"max_transactions": 3, "window_ms": 60000}"#).unwrap()
}

fn alerts(h: &mut Harness<FraudDetector>) -> Vec<String> {
    h.take_emitted()
        .iter()
        .map(|r| r.value_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_burst_above_the_limit_raises_one_alert_when_its_window_has_passed() {
    let mut h = detector();
    for (i, ts) in [0, 10_000, 20_000, 30_000, 40_000].into_iter().enumerate() {
        h.process(txn("a", ts, 10 + i as u64)).unwrap();
    }
    // The watermark has not reached the transactions: nothing is decided.
    assert_eq!(h.map::<i64, Vec<u64>>("a", "pending").len(), 5);
    h.advance_watermark(MINUTE - 2).unwrap();
    assert!(alerts(&mut h).is_empty(), "the window is still open");
    assert_eq!(h.value::<Burst>("a", "burst").unwrap().count, 5);

    h.advance_watermark(MINUTE - 1).unwrap();
    let out = h.take_emitted();
    assert_eq!(
        out,
        vec![
            Record::keyed(
                "a",
                r#"{"account":"a","count":5,"first_ts":0,"last_ts":40000,"total":60}"#
            )
            .with_timestamp(MINUTE - 1)
        ]
    );
    // Nothing is left behind: no state, no timers.
    assert_eq!(h.value::<Burst>("a", "burst"), None);
    assert!(h.map::<i64, Vec<u64>>("a", "pending").is_empty());
    assert!(h.timers("a").is_empty());
}

#[test]
fn out_of_order_arrival_gives_the_same_alert() {
    let mut h = detector();
    // In event time: 1000, 2000, 3000, 3000, 61000.
    for ts in [3_000, 1_000, 61_000, 3_000, 2_000] {
        h.process(txn("a", ts, 1)).unwrap();
    }
    h.advance_watermark(i64::MAX).unwrap();
    assert_eq!(
        alerts(&mut h),
        [r#"{"account":"a","count":4,"first_ts":1000,"last_ts":3000,"total":4}"#]
    );
}

#[test]
fn the_window_ends_just_before_first_plus_window_ms() {
    let mut h = detector();
    // Four transactions in [0, 60000), then three starting a new burst at
    // exactly 60000: one alert, for the first burst only.
    for ts in [0, 1, 2, MINUTE - 1, MINUTE, MINUTE + 1, MINUTE + 2] {
        h.process(txn("a", ts, 5)).unwrap();
    }
    h.advance_watermark(i64::MAX).unwrap();
    assert_eq!(
        alerts(&mut h),
        [r#"{"account":"a","count":4,"first_ts":0,"last_ts":59999,"total":20}"#]
    );
}

#[test]
fn at_the_limit_nothing_is_raised_and_state_is_cleared() {
    let mut h = detector();
    for ts in [0, 1_000, 2_000] {
        h.process(txn("a", ts, 5)).unwrap();
    }
    h.process(txn("b", 500, 5)).unwrap();
    h.advance_watermark(MINUTE - 1).unwrap();
    assert!(alerts(&mut h).is_empty());
    assert_eq!(h.value::<Burst>("a", "burst"), None);
    // b's burst started later and is still open.
    assert_eq!(h.value::<Burst>("b", "burst").unwrap().count, 1);
    h.advance_watermark(MINUTE + 499).unwrap();
    assert_eq!(h.value::<Burst>("b", "burst"), None);
}

#[test]
fn accounts_are_counted_apart() {
    let mut h = detector();
    for ts in [0, 1_000, 2_000, 3_000] {
        h.process(txn("a", ts, 1)).unwrap();
        h.process(txn("b", ts + 100_000, 1)).unwrap();
    }
    h.process(txn("c", 5, 1)).unwrap();
    h.advance_watermark(i64::MAX).unwrap();
    assert_eq!(
        alerts(&mut h),
        [
            r#"{"account":"a","count":4,"first_ts":0,"last_ts":3000,"total":4}"#,
            r#"{"account":"b","count":4,"first_ts":100000,"last_ts":103000,"total":4}"#,
        ]
    );
}

#[test]
fn late_transactions_are_dropped_and_counted() {
    let mut h = detector();
    for ts in [0, 1_000, 2_000] {
        h.process(txn("a", ts, 1)).unwrap();
    }
    h.advance_watermark(2_500).unwrap();
    // At or before the watermark: too late to place in event-time order.
    h.process(txn("a", 2_500, 1)).unwrap();
    h.process(txn("a", 1_500, 1)).unwrap();
    h.advance_watermark(i64::MAX).unwrap();
    assert!(alerts(&mut h).is_empty(), "only three transactions counted");
    assert_eq!(h.counter(LATE_METRIC), 2);
    assert_eq!(h.logs().len(), 2);
}

#[test]
fn bad_config_and_input_are_refused() {
    assert!(Harness::<FraudDetector>::new(r#"{"window_ms": 0}"#).is_err());
    assert!(Harness::<FraudDetector>::new(r#"{"max": 3}"#).is_err());
    let defaults = Harness::<FraudDetector>::new(()).unwrap();
    assert_eq!(defaults.operator().config.max_transactions, 3);

    let mut h = detector();
    assert!(matches!(
        h.process(Record::keyed("a", "{}").with_timestamp(1)),
        Err(Error::BadInput(_))
    ));
    assert!(matches!(
        h.process(Record::keyed("a", r#"{"amount": 1}"#)),
        Err(Error::BadInput(_))
    ));
}
