//! The sandbox limits stop hostile guests with the right cause: the CPU
//! deadline, the memory cap and the output cap.

mod support;

use std::time::{Duration, Instant};

use support::*;
use weir_test_artifacts::{
    HOSTILE_LOOP, HOSTILE_MEMORY, HOSTILE_OUTPUT, HOSTILE_TRAP, MINIMAL_UDF,
};
use weir_types::Record;
use weir_wasm::{CallKind, TrapCause};

#[test]
fn an_endless_process_call_is_stopped_at_its_cpu_deadline_and_poisons_the_instance() {
    let engine = engine();
    let module = load(&engine, HOSTILE_LOOP);
    let mut spin = operator(
        &module,
        "spin",
        limits(|l| l.call_timeout = SHORT_DEADLINE),
        "{}",
    );

    let err = spin.process(records(1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "operator spin subtask 0: process exceeded its CPU deadline of 300 ms per call \
         (limits.call_timeout_ms)"
    );
    let cause = trap::<()>(Err(err), "spin", CallKind::Process);
    assert_eq!(cause, TrapCause::Timeout { limit_ms: 300 });

    assert_poisoned(spin.process(records(1)), "spin");
    assert_poisoned(spin.close(), "spin");
}

#[test]
fn an_endless_open_is_stopped_at_its_cpu_deadline() {
    let engine = engine();
    let module = load(&engine, HOSTILE_LOOP);
    let mut spin = weir_wasm::OperatorInstance::new(
        &module,
        setup("spin", limits(|l| l.call_timeout = SHORT_DEADLINE)),
    )
    .unwrap();
    let cause = trap(spin.open(r#"{"loop_in": "open"}"#), "spin", CallKind::Open);
    assert_eq!(cause, TrapCause::Timeout { limit_ms: 300 });
}

#[test]
fn the_cpu_deadline_counts_per_call_not_per_instance() {
    // Healthy calls whose total time is several deadlines long all succeed:
    // the deadline is re-armed at each call.
    let engine = engine();
    let module = load(&engine, HOSTILE_TRAP);
    let mut fine = operator(
        &module,
        "fine",
        limits(|l| l.call_timeout = SHORT_DEADLINE),
        "{}",
    );
    let start = Instant::now();
    let mut calls = 0;
    while start.elapsed() < SHORT_DEADLINE * 4 {
        let out = fine.process(records(10)).unwrap();
        assert_eq!(out.main, records(10));
        calls += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(calls > 1);
    fine.close().unwrap();
}

#[test]
fn a_guest_that_allocates_without_end_is_stopped_at_its_memory_cap() {
    let engine = engine();
    let module = load(&engine, HOSTILE_MEMORY);
    let cap = 16 << 20;
    let mut hog = operator(&module, "hog", limits(|l| l.memory_bytes = cap), "{}");

    let cause = trap(hog.process(records(1)), "hog", CallKind::Process);
    let TrapCause::MemoryLimit { limit, requested } = cause else {
        panic!("expected a memory limit, got {cause:?}");
    };
    assert_eq!(limit, cap);
    assert!(requested > cap, "asked for {requested}");
    assert!(
        TrapCause::MemoryLimit { limit, requested }
            .to_string()
            .ends_with("over its memory cap of 16777216 bytes (limits.memory_mb)")
    );
    assert_poisoned(hog.process(records(1)), "hog");
}

#[test]
fn a_bounded_allocation_under_the_cap_is_fine() {
    let engine = engine();
    let module = load(&engine, HOSTILE_MEMORY);
    let mut hog = operator(
        &module,
        "hog",
        limits(|l| l.memory_bytes = 16 << 20),
        r#"{"max_chunks": 4}"#,
    );
    let out = hog.process(records(2)).unwrap();
    assert_eq!(out.main.len(), 2);
    assert_eq!(out.main[1].value, b"hoarded 4 chunks");
}

#[test]
fn a_memory_cap_below_the_guests_initial_memory_fails_instantiation() {
    let engine = engine();
    let module = load(&engine, HOSTILE_TRAP);
    let result = weir_wasm::OperatorInstance::new(
        &module,
        setup("tiny", limits(|l| l.memory_bytes = 64 << 10)),
    );
    let cause = trap(result, "tiny", CallKind::Instantiate);
    assert!(
        matches!(cause, TrapCause::MemoryLimit { limit, requested } if limit == 64 << 10 && requested > limit),
        "{cause:?}"
    );
}

#[test]
fn emitting_past_the_output_cap_in_one_call_is_stopped() {
    let engine = engine();
    let module = load(&engine, HOSTILE_OUTPUT);
    let flood_limits = || limits(|l| l.max_output_bytes = 64 << 10);

    // 10 records of 4 KiB each: 40 KiB per call, under the cap, and the
    // cap is per call, so any number of such calls is fine.
    let mut fine = operator(&module, "flood", flood_limits(), r#"{"bytes": 4096}"#);
    for _ in 0..3 {
        let out = fine.process(records(10)).unwrap();
        assert_eq!(out.main.len(), 10);
        assert!(out.main.iter().all(|r| r.value.len() == 4096));
    }

    // 100 records: 400 KiB in one call.
    let mut flood = operator(&module, "flood", flood_limits(), r#"{"bytes": 4096}"#);
    let cause = trap(flood.process(records(100)), "flood", CallKind::Process);
    assert_eq!(cause, TrapCause::OutputLimit { limit: 64 << 10 });
    assert_eq!(
        cause.to_string(),
        "emitted more than its output cap of 65536 bytes in one call (limits.max_output_bytes)"
    );
    assert_poisoned(flood.process(records(1)), "flood");
}

#[test]
fn a_udf_returning_more_than_the_output_cap_is_stopped() {
    let engine = engine();
    let module = load(&engine, MINIMAL_UDF);
    let mut upper = udf(&module, "upper", limits(|l| l.max_output_bytes = 1000));

    let small = vec![Record::new("abc".repeat(100))];
    assert_eq!(
        upper.transform(small).unwrap()[0].value,
        "ABC".repeat(100).as_bytes()
    );

    let big = vec![Record::new("x".repeat(600)), Record::new("y".repeat(600))];
    let cause = trap(upper.transform(big), "upper", CallKind::Process);
    assert_eq!(cause, TrapCause::OutputLimit { limit: 1000 });
    assert_poisoned(upper.transform(vec![Record::new("a")]), "upper");
}
