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

/// Bindings of the `udf` world of `weir:operator@0.2.0`: the same contract
/// as [`udf`] with batches packed into one `list<u8>` each way (see
/// `weir_types::packed`). It imports `log` from 0.1.0.
pub mod packed_udf {
    wasmtime::component::bindgen!({
        path: ["../../wit/operator@0.1.0", "../../wit/operator@0.2.0"],
        world: "weir:operator/udf@0.2.0",
        imports: { default: trappable },
        with: {
            "weir:operator/log@0.1.0": crate::operator::weir::operator::log,
        },
    });
}

/// Bindings of the `operator` world of `weir:operator@0.2.0`: the same
/// contract as [`operator`] with records, timers and output packed. State,
/// timers, context, log and metrics are the 0.1.0 interfaces, shared with
/// [`operator`] (one host implementation each).
pub mod packed_operator {
    wasmtime::component::bindgen!({
        path: ["../../wit/operator@0.1.0", "../../wit/operator@0.2.0"],
        world: "weir:operator/operator@0.2.0",
        imports: { default: trappable },
        with: {
            "weir:operator/types@0.1.0": crate::operator::weir::operator::types,
            "weir:operator/state@0.1.0": crate::operator::weir::operator::state,
            "weir:operator/timers@0.1.0": crate::operator::weir::operator::timers,
            "weir:operator/context@0.1.0": crate::operator::weir::operator::context,
            "weir:operator/log@0.1.0": crate::operator::weir::operator::log,
            "weir:operator/metrics@0.1.0": crate::operator::weir::operator::metrics,
            "weir:operator/packed@0.2.0": crate::packed_udf::weir::operator0_2_0::packed,
        },
    });
}

pub use operator::weir::operator::types::{
    Error as GuestError, OperatorError, Record, TimeDomain, Timer,
};

/// The WIT package of the `operator` world and of [`udf`].
pub const WIT_PACKAGE: &str = "weir:operator@0.1.0";

/// The WIT package of [`packed_udf`] and [`packed_operator`].
pub const PACKED_WIT_PACKAGE: &str = "weir:operator@0.2.0";
