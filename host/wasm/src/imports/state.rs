use weir_state::{KeyScope, KeyedStateBackend, StateDescriptor, StateError, StateId, StateKind};
use weir_world::operator::weir::operator::state::{
    Host, StateDescriptor as WitDescriptor, StateKind as WitKind,
};
use weir_world::operator::weir::operator::types::Error;

use crate::host::{HostState, scope_of};

type Call<T> = wasmtime::Result<Result<T, Error>>;

/// Longest state name accepted.
const MAX_STATE_NAME: usize = 256;

impl HostState {
    /// Runs a keyed state operation for the current key, mapping backend
    /// errors the guest caused to WIT errors and host faults to a trap.
    pub(super) fn keyed<T>(
        &mut self,
        op: impl FnOnce(&mut dyn KeyedStateBackend, KeyScope<'_>, i64) -> weir_state::Result<T>,
    ) -> Call<T> {
        let HostState {
            batch,
            current,
            backend,
            keyed,
            call_time,
            ..
        } = self;
        let Some(scope) = scope_of(batch, current, *keyed) else {
            return Ok(Err(Error::NoCurrentKey));
        };
        let result = op(backend.as_mut(), scope, *call_time);
        self.guest_result(result)
    }

    fn guest_result<T>(&mut self, result: weir_state::Result<T>) -> Call<T> {
        match result {
            Ok(v) => Ok(Ok(v)),
            Err(e) => match e {
                StateError::UnknownState { .. } | StateError::KindMismatch { .. } => {
                    Ok(Err(Error::UnknownState(e.to_string())))
                }
                StateError::Conflict { .. } => Ok(Err(Error::InvalidArgument(e.to_string()))),
                StateError::QuotaExceeded { .. } => Ok(Err(Error::QuotaExceeded(e.to_string()))),
                other => {
                    let msg = other.to_string();
                    self.fatal = Some(other);
                    wasmtime::bail!("state backend failed: {msg}")
                }
            },
        }
    }
}

impl Host for HostState {
    fn register(&mut self, d: WitDescriptor) -> Call<u32> {
        if d.name.is_empty() || d.name.len() > MAX_STATE_NAME {
            return Ok(Err(Error::InvalidArgument(format!(
                "state names must be 1..={MAX_STATE_NAME} bytes"
            ))));
        }
        let desc = StateDescriptor {
            name: d.name,
            kind: match d.kind {
                WitKind::Value => StateKind::Value,
                WitKind::Map => StateKind::Map,
                WitKind::List => StateKind::List,
            },
            ttl_ms: d.ttl_ms,
        };
        let result = self.backend.register(&desc).map(|id| id.0);
        self.guest_result(result)
    }

    fn clear(&mut self, id: u32) -> Call<()> {
        self.keyed(|b, s, _| b.clear(StateId(id), s))
    }

    fn value_get(&mut self, id: u32) -> Call<Option<Vec<u8>>> {
        self.keyed(|b, s, now| b.value_get(StateId(id), s, now))
    }

    fn value_set(&mut self, id: u32, value: Vec<u8>) -> Call<()> {
        self.keyed(|b, s, now| b.value_set(StateId(id), s, value, now))
    }

    fn map_get(&mut self, id: u32, map_key: Vec<u8>) -> Call<Option<Vec<u8>>> {
        self.keyed(|b, s, now| b.map_get(StateId(id), s, &map_key, now))
    }

    fn map_put(&mut self, id: u32, map_key: Vec<u8>, value: Vec<u8>) -> Call<()> {
        self.keyed(|b, s, now| b.map_put(StateId(id), s, map_key, value, now))
    }

    fn map_remove(&mut self, id: u32, map_key: Vec<u8>) -> Call<()> {
        self.keyed(|b, s, _| b.map_remove(StateId(id), s, &map_key))
    }

    fn map_entries(&mut self, id: u32) -> Call<Vec<(Vec<u8>, Vec<u8>)>> {
        self.keyed(|b, s, now| b.map_entries(StateId(id), s, now))
    }

    fn list_get(&mut self, id: u32) -> Call<Vec<Vec<u8>>> {
        self.keyed(|b, s, now| b.list_get(StateId(id), s, now))
    }

    fn list_add(&mut self, id: u32, value: Vec<u8>) -> Call<()> {
        self.keyed(|b, s, now| b.list_add(StateId(id), s, value, now))
    }

    fn list_update(&mut self, id: u32, values: Vec<Vec<u8>>) -> Call<()> {
        self.keyed(|b, s, now| b.list_update(StateId(id), s, values, now))
    }
}
