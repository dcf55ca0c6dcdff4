//! Test guest for checkpoints: counts records per key in keyed state and
//! emits `key count` for every record. Every output line depends on the
//! state before it, so lost or repeated state or records after a restore
//! change the output.

use weir_sdk::prelude::*;

/// Counts records per key and emits each running count.
pub struct RunningCount {
    count: ValueState<u64>,
}

impl Operator for RunningCount {
    type Config = ();

    fn open(ctx: &mut OpenContext, _: ()) -> Result<Self> {
        Ok(RunningCount {
            count: ctx.value_state("count")?,
        })
    }

    fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
        let n = self.count.update(|n| n.unwrap_or(0) + 1)?;
        let key = record.key.unwrap_or_default();
        let line = format!("{} {n}", String::from_utf8_lossy(&key));
        ctx.emit(Record::keyed(key, line));
        Ok(())
    }
}

weir_sdk::export_operator!(RunningCount);
