#![doc = include_str!("../README.md")]

use weir_sdk::prelude::*;

/// Window length in milliseconds.
pub const WINDOW_MS: i64 = 1_000;

/// The start of the window holding `timestamp`.
pub fn window_start(timestamp: i64) -> i64 {
    timestamp - timestamp.rem_euclid(WINDOW_MS)
}

/// The emitted value: `key`, `start` and `sum`, little-endian.
pub fn encode_output(key: u64, start: i64, sum: u64) -> [u8; 24] {
    let mut out = [0; 24];
    out[..8].copy_from_slice(&key.to_le_bytes());
    out[8..16].copy_from_slice(&start.to_le_bytes());
    out[16..].copy_from_slice(&sum.to_le_bytes());
    out
}

/// A key as the generator writes it (decimal text) as a number.
pub fn parse_key(key: &[u8]) -> Result<u64> {
    std::str::from_utf8(key)
        .ok()
        .and_then(|k| k.parse().ok())
        .ok_or_else(|| Error::bad_input("expected a decimal key"))
}

/// Sums values per key and tumbling window.
pub struct WindowSum {
    /// The key's windows that have not fired: start to sum.
    sums: MapState<i64, u64>,
}

impl Operator for WindowSum {
    type Config = ();

    fn open(ctx: &mut OpenContext, _: ()) -> Result<Self> {
        Ok(WindowSum {
            sums: ctx.map_state("sums")?,
        })
    }

    fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
        let ts = record
            .timestamp
            .ok_or_else(|| Error::bad_input("expected a timestamp"))?;
        let value: [u8; 8] = record
            .value
            .as_slice()
            .try_into()
            .map_err(|_| Error::bad_input("expected an 8-byte little-endian u64 value"))?;
        let start = window_start(ts);
        let last = start + WINDOW_MS - 1;
        if last <= ctx.watermark() {
            return Ok(()); // late: its window has fired
        }
        let value = u64::from_le_bytes(value);
        match self.sums.get(&start)? {
            Some(sum) => self.sums.insert(&start, &sum.wrapping_add(value)),
            None => {
                ctx.timers().register_event_time(last)?;
                self.sums.insert(&start, &value)
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context, timer: Timer) -> Result<()> {
        let start = timer.timestamp - (WINDOW_MS - 1);
        let Some(sum) = self.sums.get(&start)? else {
            return Ok(());
        };
        self.sums.remove(&start)?;
        let key = timer.key.unwrap_or_default();
        let value = encode_output(parse_key(&key)?, start, sum);
        ctx.emit(Record::keyed(key, value).with_timestamp(timer.timestamp));
        Ok(())
    }
}

weir_sdk::export_operator!(WindowSum);

#[cfg(test)]
mod tests {
    use weir_sdk::testing::Harness;

    use super::*;

    fn record(key: &str, value: u64, ts: i64) -> Record {
        Record::keyed(key, value.to_le_bytes()).with_timestamp(ts)
    }

    #[test]
    fn sums_per_key_and_window_and_fires_at_the_watermark() {
        let mut h = Harness::<WindowSum>::new(()).unwrap();
        h.process_batch(vec![
            record("1", 5, 10),
            record("2", 7, 20),
            record("1", 6, 999),
            record("1", 100, 1_000),
        ])
        .unwrap();
        h.advance_watermark(998).unwrap();
        assert_eq!(h.take_emitted(), vec![]);
        h.advance_watermark(999).unwrap();
        let mut out = h.take_emitted();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        assert_eq!(
            out,
            vec![
                Record::keyed("1", encode_output(1, 0, 11)).with_timestamp(999),
                Record::keyed("2", encode_output(2, 0, 7)).with_timestamp(999),
            ]
        );
        // The second window of key 1 is still open.
        assert_eq!(h.map::<i64, u64>("1", "sums"), vec![(1_000, 100)]);
        assert_eq!(h.map::<i64, u64>("2", "sums"), vec![]);
    }

    #[test]
    fn records_for_a_fired_window_are_dropped() {
        let mut h = Harness::<WindowSum>::new(()).unwrap();
        h.advance_watermark(1_500).unwrap();
        h.process(record("3", 1, 400)).unwrap();
        h.advance_watermark(5_000).unwrap();
        assert_eq!(h.take_emitted(), vec![]);
        assert_eq!(window_start(-1), -1_000);
    }
}
