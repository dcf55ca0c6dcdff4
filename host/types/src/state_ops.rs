//! State batches: keyed state and timer operations back to back in one
//! buffer — what crosses the Wasm boundary in `state-batch.apply` of WIT
//! `weir:operator@0.2.0`.
//!
//! Each host call costs a Wasm guest about a thousand instructions on entry
//! and exit, several times what a heap state access does, so the Rust SDK
//! buffers writes and sends them with the next read in one call (a read is
//! always the last operation of a batch). The layout
//! (integers little-endian, `bytes` a `u32` length and the bytes) is
//! specified in the WIT:
//!
//! ```text
//! 0 select      index: u32
//! 1 clear       state: u32
//! 2 value-get   state: u32                          (a read)
//! 3 value-set   state: u32, value: bytes
//! 4 map-get     state: u32, map-key: bytes          (a read)
//! 5 map-put     state: u32, map-key: bytes, value: bytes
//! 6 map-remove  state: u32, map-key: bytes
//! 7 list-add    state: u32, value: bytes
//! 8 timer       flags: u8 (bit 0 processing time, bit 1 delete), at: s64
//! ```
//!
//! ```
//! use weir_types::state_ops::{self, StateOp};
//!
//! let mut ops = Vec::new();
//! state_ops::push(&mut ops, StateOp::Select(3));
//! state_ops::push(&mut ops, StateOp::MapPut(1, b"k", b"v"));
//! state_ops::push(&mut ops, StateOp::MapGet(1, b"k"));
//! let decoded: Vec<StateOp<'_>> = state_ops::ops(&ops).collect::<Result<_, _>>()?;
//! assert_eq!(decoded[1], StateOp::MapPut(1, b"k", b"v"));
//! assert!(decoded[2].is_read());
//! # Ok::<(), weir_types::state_ops::OpsError>(())
//! ```

use crate::wire::{Reader, put_bytes};

const SELECT: u8 = 0;
const CLEAR: u8 = 1;
const VALUE_GET: u8 = 2;
const VALUE_SET: u8 = 3;
const MAP_GET: u8 = 4;
const MAP_PUT: u8 = 5;
const MAP_REMOVE: u8 = 6;
const LIST_ADD: u8 = 7;
const TIMER: u8 = 8;

const PROCESSING_TIME: u8 = 1;
const DELETE: u8 = 2;

/// One operation of a state batch, borrowed from the buffer. State ids are
/// those `state.register` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateOp<'a> {
    /// Makes element `index` of the batch being handled current.
    Select(u32),
    /// Clears a state of the current key.
    Clear(u32),
    /// Reads a value state.
    ValueGet(u32),
    /// Writes a value state.
    ValueSet(u32, &'a [u8]),
    /// Reads one entry of a map state.
    MapGet(u32, &'a [u8]),
    /// Writes one entry of a map state: map key, value.
    MapPut(u32, &'a [u8], &'a [u8]),
    /// Removes one entry of a map state.
    MapRemove(u32, &'a [u8]),
    /// Appends to a list state.
    ListAdd(u32, &'a [u8]),
    /// Registers or deletes a timer of the current key.
    Timer {
        /// Processing time (else event time).
        processing_time: bool,
        /// Delete (else register).
        delete: bool,
        /// When it fires, in milliseconds.
        at: i64,
    },
}

impl StateOp<'_> {
    /// Whether the operation produces a read result.
    pub fn is_read(&self) -> bool {
        matches!(self, StateOp::ValueGet(_) | StateOp::MapGet(..))
    }
}

/// Why a state batch does not parse: the byte offset of the
/// entry that fails and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpsError {
    /// Offset of the failing entry's first byte.
    pub offset: usize,
    /// What is wrong.
    pub reason: &'static str,
}

impl std::fmt::Display for OpsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "malformed state batch at byte {}: {}",
            self.offset, self.reason
        )
    }
}

impl std::error::Error for OpsError {}

/// Appends one operation to `buf`.
///
/// # Panics
/// If a key or value is longer than `u32::MAX` bytes.
pub fn push(buf: &mut Vec<u8>, op: StateOp<'_>) {
    let id = |buf: &mut Vec<u8>, tag: u8, id: u32| {
        buf.push(tag);
        buf.extend_from_slice(&id.to_le_bytes());
    };
    match op {
        StateOp::Select(index) => id(buf, SELECT, index),
        StateOp::Clear(state) => id(buf, CLEAR, state),
        StateOp::ValueGet(state) => id(buf, VALUE_GET, state),
        StateOp::ValueSet(state, value) => {
            id(buf, VALUE_SET, state);
            put_bytes(buf, value);
        }
        StateOp::MapGet(state, key) => {
            id(buf, MAP_GET, state);
            put_bytes(buf, key);
        }
        StateOp::MapPut(state, key, value) => {
            buf.reserve(13 + key.len() + value.len());
            id(buf, MAP_PUT, state);
            put_bytes(buf, key);
            put_bytes(buf, value);
        }
        StateOp::MapRemove(state, key) => {
            id(buf, MAP_REMOVE, state);
            put_bytes(buf, key);
        }
        StateOp::ListAdd(state, value) => {
            id(buf, LIST_ADD, state);
            put_bytes(buf, value);
        }
        StateOp::Timer {
            processing_time,
            delete,
            at,
        } => {
            buf.push(TIMER);
            buf.push(
                if processing_time { PROCESSING_TIME } else { 0 } | if delete { DELETE } else { 0 },
            );
            buf.extend_from_slice(&at.to_le_bytes());
        }
    }
}

/// The operations of a state batch, in order. After the first error the
/// iterator ends.
pub fn ops(buf: &[u8]) -> Ops<'_> {
    Ops {
        reader: Reader::new(buf),
        failed: false,
    }
}

/// Iterator over a state batch; see [`ops`].
#[derive(Clone, Debug)]
pub struct Ops<'a> {
    reader: Reader<'a>,
    failed: bool,
}

impl<'a> Iterator for Ops<'a> {
    type Item = Result<StateOp<'a>, OpsError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.reader.at_end() {
            return None;
        }
        let op = self.reader.op();
        self.failed = op.is_err();
        Some(op)
    }
}

impl<'a> Reader<'a> {
    fn op(&mut self) -> Result<StateOp<'a>, OpsError> {
        let start = self.at;
        let fail = |reason| OpsError {
            offset: start,
            reason,
        };
        let tag = self.u8().expect("not at the end");
        if tag == TIMER {
            let flags = self.u8().ok_or(fail("the timer runs past the end"))?;
            if flags & !(PROCESSING_TIME | DELETE) != 0 {
                return Err(fail("unknown timer flag bits"));
            }
            let at = self.i64().ok_or(fail("the timer runs past the end"))?;
            return Ok(StateOp::Timer {
                processing_time: flags & PROCESSING_TIME != 0,
                delete: flags & DELETE != 0,
                at,
            });
        }
        if tag > TIMER {
            return Err(fail("unknown operation"));
        }
        let id = self.u32().ok_or(fail("the state id runs past the end"))?;
        let mut bytes = || self.bytes().ok_or(fail("a key or value runs past the end"));
        Ok(match tag {
            SELECT => StateOp::Select(id),
            CLEAR => StateOp::Clear(id),
            VALUE_GET => StateOp::ValueGet(id),
            VALUE_SET => StateOp::ValueSet(id, bytes()?),
            MAP_GET => StateOp::MapGet(id, bytes()?),
            MAP_PUT => {
                let key = bytes()?;
                StateOp::MapPut(id, key, bytes()?)
            }
            MAP_REMOVE => StateOp::MapRemove(id, bytes()?),
            _ => StateOp::ListAdd(id, bytes()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(buf: &[u8]) -> Result<Vec<StateOp<'_>>, OpsError> {
        ops(buf).collect()
    }

    fn every_op() -> Vec<StateOp<'static>> {
        vec![
            StateOp::Select(7),
            StateOp::Clear(1),
            StateOp::ValueGet(2),
            StateOp::ValueSet(2, b"value"),
            StateOp::MapGet(3, b"k"),
            StateOp::MapPut(3, b"k", b""),
            StateOp::MapRemove(3, b""),
            StateOp::ListAdd(4, b"item"),
            StateOp::Timer {
                processing_time: false,
                delete: false,
                at: -5,
            },
            StateOp::Timer {
                processing_time: true,
                delete: true,
                at: i64::MAX,
            },
        ]
    }

    #[test]
    fn every_operation_round_trips_in_order() {
        let mut buf = Vec::new();
        for op in every_op() {
            push(&mut buf, op);
        }
        assert_eq!(all(&buf).unwrap(), every_op());
        let reads: Vec<bool> = every_op().iter().map(StateOp::is_read).collect();
        assert_eq!(reads.iter().filter(|r| **r).count(), 2);
        assert!(all(&[]).unwrap().is_empty());
    }

    #[test]
    fn malformed_batches_stop_at_the_failing_operation() {
        let mut buf = Vec::new();
        push(&mut buf, StateOp::Select(0));
        let good = buf.len();
        push(&mut buf, StateOp::MapPut(1, b"key", b"value"));

        // Cut anywhere inside the second operation.
        for cut in good + 1..buf.len() {
            let mut it = ops(&buf[..cut]);
            assert_eq!(it.next(), Some(Ok(StateOp::Select(0))));
            let err = it.next().unwrap().unwrap_err();
            assert_eq!(err.offset, good, "cut at {cut}");
            assert_eq!(it.next(), None, "the iterator ends after an error");
        }

        let err = all(&[9, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed state batch at byte 0: unknown operation"
        );
        let err = all(&[TIMER, 4, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(err.reason, "unknown timer flag bits");
        // A length that would overflow the offset.
        let err = all(&[MAP_GET, 0, 0, 0, 0, 255, 255, 255, 255]).unwrap_err();
        assert_eq!(err.reason, "a key or value runs past the end");
    }
}
