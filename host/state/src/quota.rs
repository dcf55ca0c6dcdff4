//! What state counts against its quota, and the quota rule: the same in
//! every backend, so a job fails (or not) the same way on heap and RocksDB.

use crate::{ENTRY_OVERHEAD, Result, StateError};

/// Bytes one stored element (a value, a list element, a map entry's value)
/// counts, without any key: its bytes plus [`ENTRY_OVERHEAD`].
#[inline]
pub fn element_bytes(value_len: usize) -> u64 {
    value_len as u64 + ENTRY_OVERHEAD
}

/// Bytes one map entry counts: the key, the map key and the element. Every
/// entry counts its key (as RocksDB stores it in every entry's key), so that
/// adding or removing an entry never needs to know whether the map has
/// others. A value or a list counts its key once.
#[inline]
pub fn map_entry_bytes(key_len: usize, map_key_len: usize, value_len: usize) -> u64 {
    (key_len + map_key_len) as u64 + element_bytes(value_len)
}

/// Fails if replacing `removed` bytes by `added` takes `total` over `limit`
/// (`None`: no limit). Writes that do not grow the total always pass.
#[inline]
pub fn admit(limit: Option<u64>, total: u64, removed: u64, added: u64) -> Result<()> {
    match limit {
        Some(limit) if added > removed => {
            let would_be = total - removed + added;
            if would_be > limit {
                return Err(StateError::QuotaExceeded { limit, would_be });
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
