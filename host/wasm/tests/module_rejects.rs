//! Files that are not Weir components are refused at load time, before
//! anything runs, with a message saying what they are.

mod support;

use support::*;
use weir_test_artifacts::{HOSTILE_FOREIGN_WORLD, MINIMAL_UDF};
use weir_wasm::{OperatorInstance, WasmError};

/// The error of loading `bytes` as module `name`.
fn load_error(bytes: &[u8]) -> WasmError {
    match engine().load_bytes("suspect.wasm", bytes) {
        Ok(module) => panic!("loaded as {module:?}"),
        Err(e) => e,
    }
}

/// The reason of a [`WasmError::NotAComponent`], or a panic.
fn not_a_component(e: WasmError) -> String {
    match e {
        WasmError::NotAComponent { module, reason } => {
            assert_eq!(module, "suspect.wasm");
            reason
        }
        other => panic!("expected NotAComponent, got {other:?}"),
    }
}

/// The detail of a [`WasmError::WorldMismatch`], or a panic.
fn world_mismatch(e: WasmError) -> String {
    let message = e.to_string();
    match e {
        WasmError::WorldMismatch { detail, .. } => {
            assert!(
                message.contains("does not implement a weir:operator world"),
                "{message}"
            );
            detail
        }
        other => panic!("expected WorldMismatch, got {other:?}"),
    }
}

#[test]
fn random_bytes_and_empty_files_are_not_components() {
    // Deterministic noise: a small linear congruential generator.
    let mut x: u32 = 12345;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect();
    for bytes in [&noise[..], b"", b"\0asm"] {
        let reason = not_a_component(load_error(bytes));
        assert!(reason.contains("Wasm magic bytes"), "{reason}");
    }
}

#[test]
fn a_core_module_is_not_a_component_and_the_message_says_how_to_make_one() {
    let header = b"\0asm\x01\0\0\0".to_vec();
    let module = wat::parse_str(r#"(module (func (export "process") unreachable))"#).unwrap();
    for bytes in [header, module] {
        let reason = not_a_component(load_error(&bytes));
        assert!(reason.contains("core Wasm module"), "{reason}");
        assert!(reason.contains("weir build"), "{reason}");
    }
}

#[test]
fn a_truncated_component_fails_to_compile() {
    let bytes = std::fs::read(MINIMAL_UDF).unwrap();
    let cut = &bytes[..bytes.len() / 2];
    match load_error(cut) {
        WasmError::Compile { module, message } => {
            assert_eq!(module, "suspect.wasm");
            assert!(!message.is_empty());
        }
        other => panic!("expected Compile, got {other:?}"),
    }
}

#[test]
fn a_missing_file_is_a_read_error_naming_it() {
    let path = std::path::Path::new("/nonexistent/weir/op.wasm");
    match engine().load_file(path) {
        Err(e @ WasmError::Read { .. }) => {
            assert!(e.to_string().contains("/nonexistent/weir/op.wasm"), "{e}")
        }
        other => panic!("expected Read, got {other:?}"),
    }
}

#[test]
fn a_guest_of_its_own_world_does_not_implement_the_operator_world() {
    // hostile-foreign-world exports `open` and a `process` over strings, and
    // lacks `on-timer` and `close`.
    let bytes = std::fs::read(HOSTILE_FOREIGN_WORLD).unwrap();
    let detail = world_mismatch(load_error(&bytes));
    assert!(
        detail.starts_with("it exports `process` like world operator, but "),
        "{detail}"
    );
    let named = ["close", "on-timer", "process"].map(|e| format!("`{e}`"));
    assert!(named.iter().any(|e| detail.contains(e)), "{detail}");
}

#[test]
fn a_component_exporting_neither_process_nor_transform_is_refused_with_its_exports() {
    let bytes = component(
        "package test:other;
         world other { export run: func(input: string) -> string; }",
        "other",
    );
    let detail = world_mismatch(load_error(&bytes));
    assert!(detail.contains("neither `process`"), "{detail}");
    assert!(detail.contains("[run]"), "{detail}");
}

#[test]
fn a_component_importing_what_the_host_does_not_provide_is_refused() {
    // The udf world plus a `vault` import no Weir host offers.
    let bytes = component(
        "package test:sneaky;
         interface vault { get: func(name: string) -> string; }
         world sneaky {
             include weir:operator/udf@0.1.0;
             import vault;
         }",
        "sneaky",
    );
    let detail = world_mismatch(load_error(&bytes));
    assert!(detail.contains("test:sneaky/vault"), "{detail}");
}

#[test]
fn the_exact_udf_world_loads_so_the_refusals_above_are_about_the_differences() {
    let bytes = component(
        "package test:plain;
         world plain { include weir:operator/udf@0.1.0; }",
        "plain",
    );
    let module = engine().load_bytes("plain.wasm", &bytes).unwrap();
    assert_eq!(module.world(), weir_wasm::WorldKind::Udf);
}

#[test]
fn a_udf_module_cannot_be_instantiated_as_an_operator() {
    let engine = engine();
    let module = load(&engine, MINIMAL_UDF);
    match OperatorInstance::new(&module, setup("wrong", limits(|_| ()))) {
        Err(WasmError::WorldMismatch { detail, .. }) => {
            assert_eq!(detail, "expected world operator, found udf")
        }
        other => panic!("expected WorldMismatch, got {other:?}"),
    }
}
