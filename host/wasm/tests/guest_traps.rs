//! A guest that traps fails its call with the export and the trap named,
//! is poisoned for good, and leaves the engine, the module and every other
//! instance working.

mod support;

use std::sync::{Arc, Barrier};

use support::*;
use weir_test_artifacts::{HOSTILE_LOOP, HOSTILE_TRAP, WEIR_TEMPLATE};
use weir_types::Record;
use weir_wasm::{CallKind, TrapCause, WasmError};

/// What a guest without the SDK's panic hook traps with.
const UNREACHABLE: &str = "wasm `unreachable` instruction executed (the guest panicked or aborted)";

/// What the SDK reports for hostile-trap's panic in `stage`: the panic
/// message with its location.
fn panicked(message: &str, stage: &str) -> bool {
    message.starts_with("panicked at ")
        && message.ends_with(&format!("hostile-trap: deliberate panic in {stage}"))
}

/// The guest-trap message of `cause`, or a panic.
fn guest_trap(cause: TrapCause) -> String {
    match cause {
        TrapCause::Guest(message) => message,
        other => panic!("expected a guest trap, got {other:?}"),
    }
}

#[test]
fn a_panic_in_open_traps_open() {
    let engine = engine();
    let module = load(&engine, HOSTILE_TRAP);
    let mut inst =
        weir_wasm::OperatorInstance::new(&module, setup("boom", limits(|_| ()))).unwrap();
    let cause = trap(inst.open(r#"{"trap_in": "open"}"#), "boom", CallKind::Open);
    let message = guest_trap(cause);
    assert!(panicked(&message, "open"), "{message}");
    assert_poisoned(inst.process(records(1)), "boom");
}

#[test]
fn a_panic_in_process_traps_process_and_poisons_the_instance() {
    let engine = engine();
    let module = load(&engine, HOSTILE_TRAP);
    let mut inst = operator(&module, "boom", limits(|_| ()), r#"{"trap_in": "process"}"#);
    let err = inst.process(records(3)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("operator boom subtask 0: process trapped: panicked at "),
        "{text}"
    );
    let cause = trap::<()>(Err(err), "boom", CallKind::Process);
    let message = guest_trap(cause);
    assert!(panicked(&message, "process"), "{message}");
    assert!(!message.contains('\n'), "one line: {message}");

    assert_poisoned(inst.process(records(1)), "boom");
    assert_poisoned(inst.close(), "boom");
}

#[test]
fn a_panic_in_on_timer_traps_on_timer_when_the_watermark_fires_it() {
    let engine = engine();
    let module = load(&engine, HOSTILE_TRAP);
    let mut inst = operator(
        &module,
        "boom",
        limits(|_| ()),
        r#"{"trap_in": "on_timer"}"#,
    );
    // process registers a timer per record and forwards it.
    let out = inst.process(records(3)).unwrap();
    assert_eq!(out.main, records(3));
    assert_eq!(inst.pending_timers(), 3);
    // Below every timer: nothing fires, nothing traps.
    assert!(inst.advance_watermark(-1).unwrap().is_empty());

    let cause = trap(inst.advance_watermark(10), "boom", CallKind::OnTimer);
    let message = guest_trap(cause);
    assert!(panicked(&message, "on_timer"), "{message}");
    assert_poisoned(inst.process(records(1)), "boom");
}

#[test]
fn a_panic_in_close_traps_close() {
    let engine = engine();
    let module = load(&engine, HOSTILE_TRAP);
    let mut inst = operator(&module, "boom", limits(|_| ()), r#"{"trap_in": "close"}"#);
    assert_eq!(inst.process(records(2)).unwrap().main, records(2));
    let cause = trap(inst.close(), "boom", CallKind::Close);
    let message = guest_trap(cause);
    assert!(panicked(&message, "close"), "{message}");
}

#[test]
fn an_out_of_bounds_load_is_reported_as_such() {
    let engine = engine();
    let module = load(&engine, HOSTILE_TRAP);
    let mut inst = operator(
        &module,
        "oob",
        limits(|_| ()),
        r#"{"trap_in": "process", "how": "out_of_bounds"}"#,
    );
    let cause = trap(inst.process(records(1)), "oob", CallKind::Process);
    assert_eq!(guest_trap(cause), "out of bounds memory access");
}

#[test]
fn a_returned_error_is_not_a_trap_and_does_not_poison() {
    let engine = engine();
    let module = load(&engine, HOSTILE_TRAP);
    let mut inst =
        weir_wasm::OperatorInstance::new(&module, setup("picky", limits(|_| ()))).unwrap();
    match inst.open(r#"{"trap_in": "sometimes"}"#) {
        Err(WasmError::Guest {
            operator,
            call: CallKind::Open,
            message,
            ..
        }) => {
            assert_eq!(operator, "picky");
            assert!(message.starts_with("invalid config:"), "{message}");
        }
        other => panic!("expected the guest's invalid-config error, got {other:?}"),
    }
    // Not poisoned: the instance can be entered again, and opened with a
    // config it accepts it works.
    inst.open("{}").unwrap();
    assert_eq!(inst.process(records(2)).unwrap().main, records(2));
}

#[test]
fn a_fresh_instance_of_a_module_works_after_another_instance_of_it_trapped() {
    let engine = engine();
    let module = load(&engine, HOSTILE_TRAP);
    let mut first = operator(&module, "boom", limits(|_| ()), r#"{"trap_in": "process"}"#);
    trap(first.process(records(1)), "boom", CallKind::Process);

    // Same engine, same compiled module (from the cache, too).
    let again = load(&engine, HOSTILE_TRAP);
    assert!(Arc::ptr_eq(&module, &again));
    let mut second = operator(&again, "boom", limits(|_| ()), "{}");
    assert_eq!(second.process(records(5)).unwrap().main, records(5));
    second.close().unwrap();
    assert_poisoned(first.process(records(1)), "boom");
}

/// The template's expected output: each of 10 keys reported once at its
/// `threshold`th record.
fn threshold_reports(threshold: u64) -> Vec<Vec<u8>> {
    let mut expected: Vec<Vec<u8>> = (0..10)
        .map(|k| format!("k{k} seen {threshold} times").into_bytes())
        .collect();
    expected.sort();
    expected
}

#[test]
fn instances_on_other_threads_keep_working_while_one_loops_and_one_traps() {
    let engine = engine();
    let spin_module = load(&engine, HOSTILE_LOOP);
    let trap_module = load(&engine, HOSTILE_TRAP);
    let healthy_module = load(&engine, WEIR_TEMPLATE);
    let start = Arc::new(Barrier::new(3));

    let spin = {
        let (start, module) = (Arc::clone(&start), Arc::clone(&spin_module));
        std::thread::spawn(move || {
            let mut spin = operator(
                &module,
                "spin",
                limits(|l| l.call_timeout = SHORT_DEADLINE),
                "{}",
            );
            start.wait();
            trap(spin.process(records(1)), "spin", CallKind::Process)
        })
    };
    let boom = {
        let (start, module) = (Arc::clone(&start), Arc::clone(&trap_module));
        std::thread::spawn(move || {
            let mut boom = operator(&module, "boom", limits(|_| ()), r#"{"trap_in": "process"}"#);
            start.wait();
            trap(boom.process(records(1)), "boom", CallKind::Process)
        })
    };
    let healthy = {
        let (start, module) = (Arc::clone(&start), Arc::clone(&healthy_module));
        std::thread::spawn(move || {
            let config = r#"{"threshold": 200, "window_ms": 1000000000}"#;
            let mut count = operator(
                &module,
                "count",
                limits(|l| l.call_timeout = SHORT_DEADLINE),
                config,
            );
            start.wait();
            let mut reports = Vec::new();
            // 2,000 records in batches of 10: 200 per key.
            for batch in 0..200 {
                let recs: Vec<Record> = (0..10)
                    .map(|i| {
                        Record::new("x")
                            .with_key(format!("k{i}"))
                            .with_timestamp(batch)
                    })
                    .collect();
                let out = count.process(recs).unwrap();
                reports.extend(out.main.into_iter().map(|r| r.value));
            }
            reports.extend(count.close().unwrap().main.into_iter().map(|r| r.value));
            reports.sort();
            reports
        })
    };

    assert_eq!(spin.join().unwrap(), TrapCause::Timeout { limit_ms: 300 });
    let message = guest_trap(boom.join().unwrap());
    assert!(panicked(&message, "process"), "{message}");
    assert_eq!(healthy.join().unwrap(), threshold_reports(200));

    // And after both traps, new instances of the same modules still run.
    let mut after = operator(&trap_module, "boom", limits(|_| ()), "{}");
    assert_eq!(after.process(records(2)).unwrap().main, records(2));
    let mut spin = operator(
        &spin_module,
        "spin",
        limits(|l| l.call_timeout = SHORT_DEADLINE),
        r#"{"iterations": 10}"#,
    );
    assert_eq!(spin.process(records(1)).unwrap().main[0].value, b"spun 10");
}

#[test]
fn a_udf_that_traps_in_open_is_poisoned_and_other_udfs_run() {
    // A component of exactly the udf world whose exports all execute
    // `unreachable`.
    let engine = engine();
    let bytes = component(
        "package test:plain;
         world plain { include weir:operator/udf@0.1.0; }",
        "plain",
    );
    let module = engine.load_bytes("plain.wasm", &bytes).unwrap();
    let mut inst = weir_wasm::UdfInstance::new(&module, setup("plain", limits(|_| ()))).unwrap();
    let cause = trap(inst.open("{}"), "plain", CallKind::Open);
    assert_eq!(guest_trap(cause), UNREACHABLE);
    assert_poisoned(inst.transform(records(1)), "plain");

    let upper_module = load(&engine, weir_test_artifacts::MINIMAL_UDF);
    let mut upper = udf(&upper_module, "upper", limits(|_| ()));
    let out = upper.transform(vec![Record::new("abc")]).unwrap();
    assert_eq!(out, vec![Record::new("ABC")]);
}
