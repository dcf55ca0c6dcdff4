//! A keyed operator that reports each key once it has been seen `threshold`
//! times within `window_ms` of event time.

use weir_sdk::prelude::*;

/// The operator's `config` in the job spec.
#[derive(serde::Deserialize)]
#[serde(default)]
pub struct Config {
    /// How many records of one key make a report.
    pub threshold: u64,
    /// How long after a key's first record its count starts again.
    pub window_ms: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            threshold: 3,
            window_ms: 60_000,
        }
    }
}

/// Counts records per key.
pub struct Threshold {
    count: ValueState<u64>,
    config: Config,
}

impl Operator for Threshold {
    type Config = Config;

    fn open(ctx: &mut OpenContext, config: Config) -> Result<Self> {
        Ok(Threshold {
            count: ctx.value_state("count")?,
            config,
        })
    }

    fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
        let n = self.count.update(|n| n.unwrap_or(0) + 1)?;
        if n == 1 {
            // Forget this key's count `window_ms` after its first record.
            let ts = record.timestamp.unwrap_or_else(|| ctx.watermark());
            ctx.timers()
                .register_event_time(ts + self.config.window_ms)?;
        }
        if n == self.config.threshold {
            let key = record.key_str()?.unwrap_or("");
            ctx.emit(Record::new(format!("{key} seen {n} times")));
        }
        Ok(())
    }

    fn on_timer(&mut self, _ctx: &mut Context, _timer: Timer) -> Result<()> {
        self.count.clear()
    }
}

weir_sdk::export_operator!(Threshold);

#[cfg(test)]
mod tests {
    use weir_sdk::testing::Harness;

    use super::*;

    #[test]
    fn reports_a_key_at_the_threshold_and_forgets_it_after_the_window() {
        let mut h = Harness::<Threshold>::new(r#"{"threshold": 2, "window_ms": 100}"#).unwrap();
        h.process_batch(vec![
            Record::keyed("a", "x").with_timestamp(1),
            Record::keyed("b", "x").with_timestamp(2),
            Record::keyed("a", "x").with_timestamp(3),
        ])
        .unwrap();
        assert_eq!(
            h.take_emitted(),
            vec![Record::new("a seen 2 times").with_timestamp(3)]
        );
        assert_eq!(h.value::<u64>("b", "count"), Some(1));

        h.advance_watermark(101).unwrap();
        assert_eq!(h.value::<u64>("a", "count"), None);
        assert_eq!(h.value::<u64>("b", "count"), Some(1));
        h.advance_watermark(102).unwrap();
        assert_eq!(h.value::<u64>("b", "count"), None);
    }
}
