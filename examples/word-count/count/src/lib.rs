//! The second half of the word-count example: a keyed operator that counts
//! the records of each key and, once the input has ended, emits one line
//! `key count` per key.
//!
//! A UDF cannot count: it has no state. This operator keeps the count in
//! keyed state (one `u64` per word, held by the host) and uses an
//! **event-time timer at the end of time** to know when to report it. A
//! bounded source ends by sending the final watermark, `i64::MAX`; a timer
//! registered for `i64::MAX` fires exactly then, once per key, after every
//! record has been counted. The host fires timers in time order, then by key
//! bytes, so with one subtask the words come out sorted.

use weir_sdk::prelude::*;

/// The time of the final watermark, which a source sends when its input has
/// ended: a timer registered for it fires at the end of the input.
pub const END_OF_INPUT: i64 = i64::MAX;

/// Counts records per key.
pub struct CountUntilEnd {
    count: ValueState<u64>,
}

impl Operator for CountUntilEnd {
    type Config = ();

    fn open(ctx: &mut OpenContext, _: ()) -> Result<Self> {
        Ok(CountUntilEnd {
            count: ctx.value_state("count")?,
        })
    }

    fn process(&mut self, ctx: &mut Context, _record: Record) -> Result<()> {
        let n = self.count.update(|n| n.unwrap_or(0) + 1)?;
        if n == 1 {
            // First time this key is seen: ask to be called back at the end.
            ctx.timers().register_event_time(END_OF_INPUT)?;
        }
        Ok(())
    }

    fn on_timer(&mut self, ctx: &mut Context, timer: Timer) -> Result<()> {
        let key = timer.key_str()?.unwrap_or_default();
        let n = self.count.get()?.unwrap_or(0);
        ctx.emit(Record::keyed(key, format!("{key} {n}")));
        self.count.clear()
    }
}

weir_sdk::export_operator!(CountUntilEnd);

#[cfg(test)]
mod tests {
    use weir_sdk::testing::Harness;

    use super::*;

    #[test]
    fn counts_per_key_and_reports_only_at_the_end_of_input() {
        let mut h = Harness::<CountUntilEnd>::new(()).unwrap();
        h.process_batch(vec![
            Record::keyed("the", "the"),
            Record::keyed("weir", "weir"),
            Record::keyed("the", "the"),
        ])
        .unwrap();
        assert_eq!(h.value::<u64>("the", "count"), Some(2));
        assert_eq!(
            h.timers("the").len(),
            1,
            "one timer per key, not per record"
        );

        // Event time moving on (but not to the end) reports nothing.
        h.advance_watermark(1_000_000).unwrap();
        assert!(h.take_emitted().is_empty());

        h.advance_watermark(END_OF_INPUT).unwrap();
        let lines: Vec<_> = h
            .take_emitted()
            .iter()
            .map(|r| r.value_str().unwrap().to_owned())
            .collect();
        assert_eq!(lines, ["the 2", "weir 1"]);
        assert_eq!(h.value::<u64>("the", "count"), None, "state is cleared");
    }
}
