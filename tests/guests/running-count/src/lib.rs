//! Test guest for checkpoints: counts records per key in keyed state and
//! emits `key count` for every record. Every output line depends on the
//! state before it, so lost or repeated state or records after a restore
//! change the output.
//!
//! With `trap_after: n` in its config, an instance traps once it has
//! processed `n` records: a fault that recurs in every run but strikes
//! further along the input after each restore from a checkpoint, so a job
//! with a restart strategy gets through it.

use serde::Deserialize;
use weir_sdk::prelude::*;

/// The operator's `config`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Trap after this many records in one instance.
    pub trap_after: Option<u64>,
}

/// Counts records per key and emits each running count.
pub struct RunningCount {
    count: ValueState<u64>,
    trap_after: Option<u64>,
    seen: u64,
}

impl Operator for RunningCount {
    type Config = Config;

    fn open(ctx: &mut OpenContext, config: Config) -> Result<Self> {
        Ok(RunningCount {
            count: ctx.value_state("count")?,
            trap_after: config.trap_after,
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
        let line = format!("{} {n}", String::from_utf8_lossy(&key));
        ctx.emit(Record::keyed(key, line));
        Ok(())
    }
}

weir_sdk::export_operator!(RunningCount);
