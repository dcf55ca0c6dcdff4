//! State calls in batches (`state-batch` of WIT `weir:operator@0.2.0`).
//!
//! A host call costs about a thousand instructions on entry and exit, more
//! than a heap state access, so writes (puts, removes, clears, timer
//! registrations and deletes, and the switch to another element) are kept
//! here and sent with the next read, in one call. Whatever is left is sent
//! when the export returns, also when it fails, so the writes made before a
//! failure are applied as they would be one call at a time.
//!
//! The one difference a guest can see: an error from a write (a state quota,
//! a write without a current key) comes back from the next read, or as the
//! export's error, instead of from the write.

use std::cell::RefCell;

use weir_types::short_value::ShortValue;
use weir_types::state_ops::{self, StateOp};

use super::StateBytes;
use super::wasm::bindings::state_batch::{self, Found};
use crate::HostError;

/// Buffered operations are sent once they pass this many bytes, so a long
/// run of writes does not hold much guest memory.
const SEND_AT: usize = 64 << 10;

#[derive(Default)]
struct Pending {
    ops: Vec<u8>,
    /// An element made current and not yet sent: only sent before an
    /// operation that needs it.
    select: Option<u32>,
}

thread_local! {
    static PENDING: RefCell<Pending> = RefCell::default();
}

impl Pending {
    fn push(&mut self, op: StateOp<'_>) {
        if let Some(index) = self.select.take() {
            state_ops::push(&mut self.ops, StateOp::Select(index));
        }
        state_ops::push(&mut self.ops, op);
    }

    /// Sends the buffered operations and returns what a read at their end
    /// found; the buffer is empty afterwards whatever the outcome.
    fn send(&mut self) -> Result<Option<StateBytes>, HostError> {
        let found = state_batch::apply(&self.ops);
        self.ops.clear();
        match found.map_err(|e| HostError::from(e.error))? {
            Found::Nothing => Ok(None),
            Found::Short((len, low, high)) => ShortValue::decode(len, low, high)
                .map(|v| Some(StateBytes::Short(v)))
                .ok_or_else(|| {
                    HostError::InvalidArgument(format!(
                        "the host returned a short state value of {len} bytes (at most 16)"
                    ))
                }),
            Found::Long(bytes) => Ok(Some(StateBytes::Long(bytes))),
        }
    }
}

/// Makes element `index` of the batch current for the operations after it.
pub(crate) fn select(index: u32) {
    PENDING.with_borrow_mut(|p| p.select = Some(index));
}

/// Buffers a write.
pub(crate) fn write(op: StateOp<'_>) -> Result<(), HostError> {
    PENDING.with_borrow_mut(|p| {
        p.push(op);
        if p.ops.len() >= SEND_AT {
            p.send()?;
        }
        Ok(())
    })
}

/// Sends the buffered writes with one read (the last operation of a batch)
/// and returns what it found.
pub(crate) fn read(op: StateOp<'_>) -> Result<Option<StateBytes>, HostError> {
    debug_assert!(op.is_read());
    PENDING.with_borrow_mut(|p| {
        p.push(op);
        p.send()
    })
}

/// Sends what is buffered, the current element included, before a call
/// that does not go through the batch but reads state or the current key.
pub(crate) fn sync() -> Result<(), HostError> {
    PENDING.with_borrow_mut(|p| {
        if let Some(index) = p.select.take() {
            state_ops::push(&mut p.ops, StateOp::Select(index));
        }
        if !p.ops.is_empty() {
            p.send()?;
        }
        Ok(())
    })
}

/// Sends what is buffered when an export returns.
pub(crate) fn finish() -> Result<(), HostError> {
    PENDING.with_borrow_mut(|p| {
        p.select = None;
        if p.ops.is_empty() {
            return Ok(());
        }
        p.send().map(drop)
    })
}
