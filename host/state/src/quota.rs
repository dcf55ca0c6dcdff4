//! The state quota rule every backend applies.

use crate::{Result, StateError};

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
