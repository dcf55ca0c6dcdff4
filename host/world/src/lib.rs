#![doc = include_str!("../README.md")]

/// Bindings of the `operator` world: keyed state, timers, side outputs.
pub mod operator {
    wasmtime::component::bindgen!({
        path: "../../wit/operator@0.1.0",
        world: "operator",
        // Every import may trap: that is how the host stops a guest that goes
        // over a limit (output size) or hits a host fault.
        imports: { default: trappable },
    });
}

/// Bindings of the `udf` world: a batch of records in, records out.
pub mod udf {
    wasmtime::component::bindgen!({
        path: "../../wit/operator@0.1.0",
        world: "udf",
        imports: { default: trappable },
        with: {
            "weir:operator/types": crate::operator::weir::operator::types,
            "weir:operator/log": crate::operator::weir::operator::log,
        },
    });
}

pub use operator::weir::operator::types::{
    Error as GuestError, OperatorError, Record, TimeDomain, Timer,
};

/// The version of the WIT package these bindings were generated from.
pub const WIT_VERSION: &str = "0.1.0";
