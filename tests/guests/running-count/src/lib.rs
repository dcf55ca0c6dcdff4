//! Test guest for checkpoints: counts records per key in keyed state and
//! emits `key count` for every record. Every output line depends on the
//! state before it, so lost or repeated state or records after a restore
//! change the output.
//!
//! With `trap_after: n` in its config, an instance traps once it has
//! processed `n` records: a fault that recurs in every run but strikes
//! further along the input after each restore from a checkpoint, so a job
//! with a restart strategy gets through it.
//!
//! With `pad_bytes: n` it also keeps `n` bytes of incompressible padding
//! per key in a second state, so a test can make the state large.
//!
//! With `set_in_open: true` it writes its count in `open`, where no key is
//! current: `open` must fail.

use serde::Deserialize;
use weir_sdk::prelude::*;

/// The operator's `config`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Trap after this many records in one instance.
    pub trap_after: Option<u64>,
    /// Bytes of padding state per key.
    pub pad_bytes: usize,
    /// Write state in `open`.
    pub set_in_open: bool,
}

/// Counts records per key and emits each running count.
pub struct RunningCount {
    count: ValueState<u64>,
    pad: ValueState<Vec<u8>>,
    trap_after: Option<u64>,
    pad_bytes: usize,
    seen: u64,
}

impl Operator for RunningCount {
    type Config = Config;

    fn open(ctx: &mut OpenContext, config: Config) -> Result<Self> {
        let count = ctx.value_state("count")?;
        if config.set_in_open {
            count.set(&7)?;
        }
        Ok(RunningCount {
            count,
            pad: ctx.value_state("pad")?,
            trap_after: config.trap_after,
            pad_bytes: config.pad_bytes,
            seen: 0,
        })
    }

    fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
        self.seen += 1;
        if self.trap_after.is_some_and(|n| self.seen > n) {
            panic!("running-count: trapping after {} records", self.seen - 1);
        }
        let n = self.count.update(|n| n.unwrap_or(0) + 1)?;
        let key = record.key.unwrap_or_default();
        if n == 1 && self.pad_bytes > 0 {
            self.pad.set(&padding(&key, self.pad_bytes))?;
        }
        let line = format!("{} {n}", String::from_utf8_lossy(&key));
        ctx.emit(Record::keyed(key, line));
        Ok(())
    }
}

/// `len` pseudo-random bytes seeded by `key` (incompressible, so RocksDB
/// cannot shrink them).
fn padding(key: &[u8], len: usize) -> Vec<u8> {
    let mut x = key.iter().fold(0x9e37_79b9_7f4a_7c15_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

weir_sdk::export_operator!(RunningCount);
