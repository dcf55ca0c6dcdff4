#![doc = include_str!("../README.md")]

// Lets generated bindings and macros name this crate `weir_sdk` from inside it.
extern crate self as weir_sdk;

// `__weir_generate!`, written by build.rs.
include!(concat!(env!("OUT_DIR"), "/generate.rs"));

mod context;
mod error;
mod export;
mod host;
pub mod log;
pub mod metrics;
mod operator;
mod record;
mod record_ref;
mod runtime;
pub mod state;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
pub mod window;

/// The guest's allocator: Talc instead of the standard library's dlmalloc.
/// Guests allocate for every record they decode and emit, and dlmalloc's
/// chunk bookkeeping was about half of the instructions the bench UDFs ran
/// per record. The `allocator` feature (on by default) turns it on.
#[cfg(all(
    feature = "allocator",
    target_family = "wasm",
    not(target_feature = "atomics")
))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub use context::{Context, OpenContext, TaskInfo, Timers};
pub use error::{Error, HostError, Result};
pub use operator::{Operator, Udf};
pub use record::{Record, TimeDomain, Timer};
pub use record_ref::{RecordRef, UdfOutput};

/// The names most operators need: `use weir_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::state::{ListState, MapState, StateDescriptor, ValueState};
    pub use crate::{
        Context, Error, OpenContext, Operator, Record, RecordRef, Result, TimeDomain, Timer, Udf,
        UdfOutput, bail,
    };
}

/// What the export macros expand to. Not a public API.
#[doc(hidden)]
pub mod __private {
    #[cfg(target_arch = "wasm32")]
    pub use crate::host::wasm::{bindings as wit, export};
    #[cfg(target_arch = "wasm32")]
    pub use wit_bindgen;
}
