//! `state-batch` of `weir:operator@0.2.0`: the keyed state and timer calls
//! of `state`, `timers` and `context.set-current`, many in one host call.

use weir_state::{StateId, TimeDomain};
use weir_types::short_value;
use weir_types::state_ops::{self, StateOp};
use weir_world::operator::weir::operator::types::Error;
use weir_world::packed_operator::weir::operator0_2_0::state_batch::{BatchError, Found, Host};

use crate::host::HostState;

impl Host for HostState {
    fn apply(&mut self, ops: Vec<u8>) -> wasmtime::Result<Result<Found, BatchError>> {
        // What the read found, once there was one: it must be the last op.
        let mut read: Option<Option<Vec<u8>>> = None;
        for (index, op) in state_ops::ops(&ops).enumerate() {
            let stop = |error| {
                Ok(Err(BatchError {
                    index: u32::try_from(index).unwrap_or(u32::MAX),
                    error,
                }))
            };
            let op = match op {
                Ok(op) => op,
                Err(e) => return stop(Error::InvalidArgument(e.to_string())),
            };
            if read.is_some() {
                return stop(Error::InvalidArgument(
                    "a read must be the last operation of a state batch".to_owned(),
                ));
            }
            let done = match op {
                StateOp::Select(index) => self.select(index),
                StateOp::Clear(id) => self.keyed(|b, s, _| b.clear(StateId(id), s))?,
                StateOp::ValueGet(id) => self
                    .keyed(|b, s, now| b.value_get(StateId(id), s, now))?
                    .map(|v| read = Some(v)),
                StateOp::ValueSet(id, value) => {
                    self.keyed(|b, s, now| b.value_set(StateId(id), s, value.to_vec(), now))?
                }
                StateOp::MapGet(id, key) => self
                    .keyed(|b, s, now| b.map_get(StateId(id), s, key, now))?
                    .map(|v| read = Some(v)),
                StateOp::MapPut(id, key, value) => self.keyed(|b, s, now| {
                    b.map_put(StateId(id), s, key.to_vec(), value.to_vec(), now)
                })?,
                StateOp::MapRemove(id, key) => {
                    self.keyed(|b, s, _| b.map_remove(StateId(id), s, key))?
                }
                StateOp::ListAdd(id, value) => {
                    self.keyed(|b, s, now| b.list_add(StateId(id), s, value.to_vec(), now))?
                }
                StateOp::Timer {
                    processing_time,
                    delete,
                    at,
                } => {
                    let domain = if processing_time {
                        TimeDomain::ProcessingTime
                    } else {
                        TimeDomain::EventTime
                    };
                    self.timer(domain, at, !delete)?
                }
            };
            if let Err(error) = done {
                return stop(error);
            }
        }
        Ok(Ok(found(read.flatten())))
    }
}

/// A read's value as `apply` returns it: inline when short.
fn found(value: Option<Vec<u8>>) -> Found {
    match value {
        None => Found::Nothing,
        Some(v) => match short_value::encode(&v) {
            Some(inline) => Found::Short(inline),
            None => Found::Long(v),
        },
    }
}
