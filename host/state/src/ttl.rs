//! Time to live.
//!
//! TTL runs on processing time: an entry (a value, one map entry, one list
//! element) expires `ttl_ms` after its last write, that is once
//! `now_ms >= written_at + ttl_ms`. Backends store the write time rather
//! than the deadline, so a new module version that registers the state with
//! another TTL applies it to entries already stored.
//!
//! Expiry is lazy: a read that meets an expired entry returns it as absent
//! and drops it. Entries never read again stay until overwritten, cleared or
//! swept (see `HeapBackend::purge_expired`); snapshots carry write times so
//! restored entries keep expiring on schedule.

/// Whether an entry written at `written_at` has expired at `now_ms`.
#[inline]
pub fn expired(ttl_ms: Option<u64>, written_at: i64, now_ms: i64) -> bool {
    match ttl_ms {
        None => false,
        Some(ttl) => {
            let ttl = i64::try_from(ttl).unwrap_or(i64::MAX);
            now_ms >= written_at.saturating_add(ttl)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::expired;

    #[test]
    fn expires_ttl_after_write() {
        assert!(!expired(None, 0, i64::MAX));
        assert!(!expired(Some(10), 100, 109));
        assert!(expired(Some(10), 100, 110));
        assert!(expired(Some(0), 100, 100));
        assert!(!expired(Some(u64::MAX), 0, i64::MAX - 1));
        assert!(expired(Some(u64::MAX), i64::MIN, i64::MAX - 1));
        assert!(!expired(Some(5), i64::MAX - 2, i64::MAX - 1));
    }
}
