//! Shared helpers of the host-level tests: guests built from source by
//! `weir-test-artifacts`, sandboxes with chosen limits, and assertions on
//! the error a hostile guest gets.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use weir_state::{HeapBackend, HeapOptions, TimerOptions, TimerService};
use weir_types::{Record, key_group_range};
use weir_wasm::{
    CallKind, InstanceSetup, Module, OperatorInstance, SandboxLimits, TaskInfo, TrapCause,
    UdfInstance, WasmEngine, WasmError,
};

/// Key groups of the test jobs.
pub const MAX_PARALLELISM: u32 = 128;

/// A fresh engine (each test its own, as each worker process has one).
pub fn engine() -> WasmEngine {
    WasmEngine::new().expect("the engine starts")
}

/// Loads a guest component built from source.
pub fn load(engine: &WasmEngine, path: &str) -> Arc<Module> {
    engine
        .load_file(path.as_ref())
        .unwrap_or_else(|e| panic!("{path} loads: {e}"))
}

/// Default limits, with the changes `f` makes.
pub fn limits(f: impl FnOnce(&mut SandboxLimits)) -> SandboxLimits {
    let mut limits = SandboxLimits::default();
    f(&mut limits);
    limits
}

/// Subtask 0 of 1 of operator `operator`, keyed over every key group.
pub fn setup(operator: &str, limits: SandboxLimits) -> InstanceSetup {
    let range = key_group_range(MAX_PARALLELISM, 1, 0);
    InstanceSetup {
        task: TaskInfo {
            job: "hostile".into(),
            operator: operator.into(),
            subtask: 0,
            parallelism: 1,
            max_parallelism: MAX_PARALLELISM,
        },
        keyed: true,
        backend: Box::new(HeapBackend::new(range.clone(), HeapOptions::default())),
        timers: TimerService::new(range, TimerOptions::default()),
        limits,
        side_outputs: Vec::new(),
    }
}

/// An operator instance of `module`, opened with `config`.
pub fn operator(
    module: &Module,
    name: &str,
    limits: SandboxLimits,
    config: &str,
) -> OperatorInstance {
    let mut inst = OperatorInstance::new(module, setup(name, limits))
        .unwrap_or_else(|e| panic!("{name} instantiates: {e}"));
    inst.open(config)
        .unwrap_or_else(|e| panic!("{name} opens with {config}: {e}"));
    inst
}

/// A udf instance of `module`, opened with `{}`.
pub fn udf(module: &Module, name: &str, limits: SandboxLimits) -> UdfInstance {
    let mut inst = UdfInstance::new(module, setup(name, limits))
        .unwrap_or_else(|e| panic!("{name} instantiates: {e}"));
    inst.open("{}")
        .unwrap_or_else(|e| panic!("{name} opens: {e}"));
    inst
}

/// `n` records with keys `k0..k9` (cycling), values `v<i>` and timestamps `i`.
pub fn records(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| {
            Record::new(format!("v{i}"))
                .with_key(format!("k{}", i % 10))
                .with_timestamp(i as i64)
        })
        .collect()
}

/// The trap inside `result`, checked to name `operator` and `call`; panics on
/// anything else.
pub fn trap<T>(result: Result<T, WasmError>, operator: &str, call: CallKind) -> TrapCause {
    match result {
        Ok(_) => panic!("{operator}: expected a trap in {call}, the call succeeded"),
        Err(WasmError::Trap {
            operator: op,
            subtask,
            call: c,
            cause,
        }) => {
            assert_eq!((op.as_str(), subtask, c), (operator, 0, call));
            cause
        }
        Err(other) => panic!("{operator}: expected a trap in {call}, got {other:?}"),
    }
}

/// Asserts that `result` is the poisoned-instance error of `operator`.
pub fn assert_poisoned<T>(result: Result<T, WasmError>, operator: &str) {
    match result {
        Err(WasmError::Poisoned { operator: op, .. }) => assert_eq!(op, operator),
        Err(other) => panic!("{operator}: expected Poisoned, got {other:?}"),
        Ok(_) => panic!("{operator}: a poisoned instance ran a call"),
    }
}

/// A CPU deadline short enough for tests and long enough for a loaded
/// machine to finish a healthy call within it.
pub const SHORT_DEADLINE: Duration = Duration::from_millis(300);

/// A component made here from WIT (`wit`, which may use the
/// `weir:operator@0.1.0` package) for `world`: every export executes
/// `unreachable`.
pub fn component(wit: &str, world: &str) -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    // The run-time value: the compile-time one can name another checkout
    // when a target directory is shared.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
        || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        std::path::PathBuf::from,
    );
    let root = manifest_dir.join("../../wit/operator@0.1.0");
    resolve.push_dir(root).expect("the weir WIT parses");
    let package = resolve
        .push_str("test.wit", wit)
        .expect("the test WIT parses");
    let world = resolve.select_world(&[package], Some(world)).unwrap();
    let mut module =
        wit_component::dummy_module(&resolve, world, wit_parser::ManglingAndAbi::Standard32);
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .unwrap()
        .encode()
        .unwrap()
}
