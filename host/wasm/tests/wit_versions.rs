//! Both WIT versions run side by side: components of `weir:operator@0.1.0`
//! (records and timers as WIT lists) and of `@0.2.0` (packed). A guest that
//! returns a broken packed batch or too much of one is stopped with a
//! message naming what is wrong.

mod support;

use support::*;
use weir_types::Record;
use weir_wasm::{CallKind, OperatorInstance, TrapCause, UdfInstance};

/// A `hostile-packed` instance opened in `mode`.
fn hostile(mode: &str, max_output_bytes: u64) -> UdfInstance {
    let engine = engine();
    let module = load(&engine, weir_test_artifacts::HOSTILE_PACKED);
    assert_eq!(module.wit_package(), "weir:operator@0.2.0");
    let limits = limits(|l| l.max_output_bytes = max_output_bytes);
    let mut inst = UdfInstance::new(&module, setup("packed", limits)).unwrap();
    inst.open(&format!("\"{mode}\"")).unwrap();
    inst
}

#[test]
fn records_cross_packed_unchanged() {
    let mut inst = hostile("echo", 1 << 20);
    let batch = vec![
        Record::new("plain"),
        Record::new("").with_key("").with_timestamp(i64::MIN),
        Record::new(vec![0u8, 255, 7]).with_key(vec![1u8, 2]),
        Record::new("late").with_timestamp(i64::MAX),
    ];
    assert_eq!(inst.transform(batch.clone()).unwrap(), batch);
    let many = records(3_000);
    assert_eq!(inst.transform(many.clone()).unwrap(), many);
    assert_eq!(inst.transform(Vec::new()).unwrap(), Vec::<Record>::new());
}

#[test]
fn a_malformed_packed_batch_fails_the_call_and_poisons_the_instance() {
    for (mode, reason) in [
        (
            "truncated",
            "malformed packed batch at byte 6: the value runs past the end",
        ),
        (
            "bad-flags",
            "malformed packed batch at byte 0: unknown flag bits",
        ),
    ] {
        let mut inst = hostile(mode, 1 << 20);
        // Two records of 6 bytes each: flags, value length, one byte.
        let batch = vec![Record::new("v"), Record::new("w")];
        let cause = trap(inst.transform(batch), "packed", CallKind::Process);
        let TrapCause::Guest(message) = cause else {
            panic!("{mode}: expected a guest trap, got {cause:?}");
        };
        assert!(
            message.contains("transform returned a "),
            "{mode}: {message}"
        );
        assert!(message.contains(reason), "{mode}: {message}");
        assert_poisoned(inst.transform(records(1)), "packed");
    }
}

#[test]
fn packed_output_over_the_cap_is_refused() {
    let mut inst = hostile("big", 64 << 10);
    let cause = trap(inst.transform(records(1)), "packed", CallKind::Process);
    assert!(
        matches!(cause, TrapCause::OutputLimit { limit } if limit == 64 << 10),
        "{cause:?}"
    );
    // Under a larger cap the same output passes.
    let mut roomy = hostile("big", 2 << 20);
    let out = roomy.transform(records(1)).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].value.len(), 1 << 20);
}

#[test]
fn modules_name_the_package_of_their_world() {
    let engine = engine();
    for (path, package) in [
        (weir_test_artifacts::MINIMAL_UDF, "weir:operator@0.1.0"),
        (weir_test_artifacts::MINIMAL_OPERATOR, "weir:operator@0.1.0"),
        (weir_test_artifacts::HOSTILE_PACKED, "weir:operator@0.2.0"),
        // Built with the SDK, which exports 0.2.0 worlds.
        (weir_test_artifacts::RUNNING_COUNT, "weir:operator@0.2.0"),
    ] {
        assert_eq!(load(&engine, path).wit_package(), package, "{path}");
    }
}

#[test]
fn an_operator_of_0_1_0_keeps_state_fires_timers_and_emits() {
    let engine = engine();
    let module = load(&engine, weir_test_artifacts::MINIMAL_OPERATOR);
    let mut inst = OperatorInstance::new(&module, setup("minimal", limits(|_| ()))).unwrap();
    inst.open("{}").unwrap();
    let batch = ["a", "a", "b"]
        .iter()
        .zip(1..)
        .map(|(k, ts)| Record::new("x").with_key(*k).with_timestamp(ts))
        .collect();
    let out = inst.process(batch).unwrap();
    let values: Vec<&[u8]> = out.main.iter().map(|r| r.value.as_slice()).collect();
    assert_eq!(values, [&b"a=1"[..], b"a=2", b"b=1"]);
    assert_eq!(out.main[2].key.as_deref(), Some(&b"b"[..]));
    // State carries over to the next batch.
    let out = inst
        .process(vec![Record::new("x").with_key("a").with_timestamp(4)])
        .unwrap();
    assert_eq!(out.main[0].value, b"a=3");
    // Timers at each record's timestamp + 10 fire in time order.
    let fired = inst.advance_watermark(13).unwrap();
    let values: Vec<&[u8]> = fired.main.iter().map(|r| r.value.as_slice()).collect();
    assert_eq!(values, [&b"a@11"[..], b"a@12", b"b@13"]);
    assert_eq!(fired.main[0].timestamp, Some(11));
    assert_eq!(inst.pending_timers(), 1);
}

#[test]
fn an_operator_emitting_a_malformed_packed_batch_is_stopped() {
    let engine = engine();
    let module = load(&engine, weir_test_artifacts::HOSTILE_PACKED_OPERATOR);
    assert_eq!(module.wit_package(), "weir:operator@0.2.0");
    let mut inst = operator(&module, "broken", limits(|_| ()), "{}");
    let cause = trap(inst.process(records(2)), "broken", CallKind::Process);
    let TrapCause::Guest(message) = cause else {
        panic!("expected a guest trap, got {cause:?}");
    };
    assert!(
        message.contains("emitted a malformed packed batch at byte 0: the value runs past the end"),
        "{message}"
    );
    assert_poisoned(inst.process(records(1)), "broken");
}

#[test]
fn state_batches_apply_in_order_and_stop_at_the_first_bad_operation() {
    let engine = engine();
    let module = load(&engine, weir_test_artifacts::HOSTILE_PACKED_OPERATOR);
    let mut inst = operator(
        &module,
        "batches",
        limits(|_| ()),
        r#"{"mode": "state-batch"}"#,
    );
    let out = inst.process(records(2)).unwrap();
    let results: Vec<String> = out
        .main
        .iter()
        .map(|r| String::from_utf8(r.value.clone()).unwrap())
        .collect();
    assert_eq!(
        results[..5],
        [
            "Ok(Short(Ok(\"one\"), zero-padded: true))",
            "Ok(Nothing)",
            "Ok(Short(Ok(\"one\"), zero-padded: true))",
            "Err(1, Error::InvalidArgument(\"malformed state batch at byte 12: the state id runs past the end\"))",
            // The write before the broken operation was applied.
            "Ok(Short(Ok(\"two\"), zero-padded: true))",
        ]
    );
    assert!(
        results[5].starts_with("Err(0, Error::UnknownState("),
        "{}",
        results[5]
    );
    assert_eq!(
        results[6..],
        [
            "Err(0, Error::InvalidArgument(\"set-current(77): no such element in the batch being handled\"))",
            "Err(0, Error::InvalidArgument(\"malformed state batch at byte 0: unknown operation\"))",
            "Ok(Nothing)",
            "Ok(Long(Ok(\"seventeen bytes!!\")))",
            "Err(1, Error::InvalidArgument(\"a read must be the last operation of a state batch\"))",
        ]
    );
    assert_eq!(inst.pending_timers(), 1);
}

#[test]
fn packed_batches_pass_through_checked_but_not_decoded() {
    let batch = weir_types::PackedBatch::from_records(&records(100));

    let mut echo = hostile("echo", 1 << 20);
    assert!(echo.is_packed());
    let out = echo.transform_packed(&batch).unwrap();
    assert_eq!(out, batch);
    assert_eq!(out.len(), 100);
    let empty = weir_types::PackedBatch::default();
    assert_eq!(echo.transform_packed(&empty).unwrap(), empty);

    // The same checks as `transform`: a malformed output and one over the
    // cap fail the call and poison the instance.
    let mut truncated = hostile("truncated", 1 << 20);
    let cause = trap(
        truncated.transform_packed(&batch),
        "packed",
        CallKind::Process,
    );
    assert!(
        matches!(&cause, TrapCause::Guest(m) if m.contains("transform returned a malformed packed batch at byte")),
        "{cause:?}"
    );
    assert_poisoned(truncated.transform(records(1)), "packed");
    let mut big = hostile("big", 64 << 10);
    let cause = trap(big.transform_packed(&batch), "packed", CallKind::Process);
    assert!(
        matches!(cause, TrapCause::OutputLimit { limit } if limit == 64 << 10),
        "{cause:?}"
    );
}

#[test]
fn a_state_write_in_open_fails_open_and_reaches_no_key() {
    // The SDK buffers state writes; one made in `open` (no key is current)
    // must fail `open`, not wait for the first record's key.
    let engine = engine();
    let module = load(&engine, weir_test_artifacts::RUNNING_COUNT);
    let mut inst = OperatorInstance::new(&module, setup("counts", limits(|_| ()))).unwrap();
    let err = inst
        .open(r#"{"set_in_open": true}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("open failed: host: no current key"), "{err}");

    let mut inst = operator(&module, "counts", limits(|_| ()), "{}");
    let out = inst.process(records(1)).unwrap();
    assert_eq!(out.main[0].value, b"k0 1");
}
