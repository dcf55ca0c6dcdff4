//! The calls the SDK makes into its host, as one `sys` module of plain
//! functions with the same signatures on every target.
//!
//! On `wasm32` they are the WIT imports (bindings generated in `wasm.rs`);
//! elsewhere they go to the in-process host of [`crate::testing`], so the same
//! operator code runs natively in tests.

/// The shape of a registered state (public only as part of the sealed
/// `StateHandle` trait).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateKind {
    Value,
    Map,
    List,
}

/// The entries of one map state: encoded map keys and values.
pub(crate) type MapEntries = Vec<(Vec<u8>, Vec<u8>)>;

/// A state value read from the host: a short one inline, without an
/// allocation (as WIT 0.2.0's `state-batch` returns it). Derefs to its
/// bytes.
pub(crate) enum StateBytes {
    Short(weir_types::short_value::ShortValue),
    Long(Vec<u8>),
}

impl std::ops::Deref for StateBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            StateBytes::Short(v) => v,
            StateBytes::Long(v) => v,
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod batch;

#[cfg(target_arch = "wasm32")]
pub(crate) mod wasm;

#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::sys;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use crate::testing::host::sys;
