//! Encoding and decoding of timer snapshots; the format is specified in
//! [`crate::snapshot`].

use crate::codec::{Reader, invalid, put_bytes, put_header, put_i64, put_varint};
use crate::{Result, StateError};

use super::queue::GroupTimers;

/// First bytes of a timer snapshot.
pub const TIMER_SNAPSHOT_MAGIC: &[u8; 4] = b"WTMR";
/// The timer snapshot version this build writes and reads.
pub const TIMER_SNAPSHOT_VERSION: u8 = 1;

pub(super) fn encode(
    key_group: u32,
    event: &GroupTimers,
    processing: &GroupTimers,
    out: &mut Vec<u8>,
) {
    put_header(out, TIMER_SNAPSHOT_MAGIC, TIMER_SNAPSHOT_VERSION, key_group);
    for group in [event, processing] {
        let keys = group.by_key();
        put_varint(out, keys.len() as u64);
        for (key, stamps) in keys {
            put_bytes(out, key);
            put_varint(out, stamps.len() as u64);
            for ts in stamps {
                put_i64(out, ts);
            }
        }
    }
}

/// Decodes and validates a snapshot of `key_group` into its event-time and
/// processing-time timers.
pub(super) fn decode(key_group: u32, bytes: &[u8]) -> Result<(GroupTimers, GroupTimers)> {
    let mut r = Reader::new(bytes);
    r.header(TIMER_SNAPSHOT_MAGIC, TIMER_SNAPSHOT_VERSION, key_group)?;
    let event = decode_domain(&mut r)?;
    let processing = decode_domain(&mut r)?;
    r.finish()?;
    Ok((event, processing))
}

fn decode_domain(r: &mut Reader<'_>) -> Result<GroupTimers> {
    let mut group = GroupTimers::new();
    let n_keys = r.count(2)?;
    let mut last_key: Option<&[u8]> = None;
    for _ in 0..n_keys {
        let key = r.bytes()?;
        if last_key.is_some_and(|last| last >= key) {
            return Err(unordered());
        }
        last_key = Some(key);
        let n = r.count(8)?;
        if n == 0 {
            return Err(invalid("a key without timers".into()));
        }
        let mut last_ts = None;
        for _ in 0..n {
            let ts = r.i64()?;
            if last_ts.is_some_and(|last| last >= ts) {
                return Err(unordered());
            }
            last_ts = Some(ts);
            group.insert(key, ts);
        }
    }
    Ok(group)
}

fn unordered() -> StateError {
    invalid("timers are not strictly ascending".into())
}
