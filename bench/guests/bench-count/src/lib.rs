#![doc = include_str!("../README.md")]

use weir_sdk::prelude::*;

/// A key's count is emitted when it reaches a multiple of this.
pub const EMIT_EVERY: u64 = 100;

/// The emitted value: `key` then `count`, little-endian.
pub fn encode_output(key: u64, count: u64) -> [u8; 16] {
    let mut out = [0; 16];
    out[..8].copy_from_slice(&key.to_le_bytes());
    out[8..].copy_from_slice(&count.to_le_bytes());
    out
}

/// A key as the generator writes it (decimal text) as a number.
pub fn parse_key(key: &[u8]) -> Result<u64> {
    std::str::from_utf8(key)
        .ok()
        .and_then(|k| k.parse().ok())
        .ok_or_else(|| Error::bad_input("expected a decimal key"))
}

/// Counts records per key.
pub struct Count {
    count: ValueState<u64>,
}

impl Operator for Count {
    type Config = ();

    fn open(ctx: &mut OpenContext, _: ()) -> Result<Self> {
        Ok(Count {
            count: ctx.value_state("count")?,
        })
    }

    fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
        let n = self.count.update(|n| n.unwrap_or(0) + 1)?;
        if n % EMIT_EVERY == 0 {
            let key = record
                .key
                .ok_or_else(|| Error::bad_input("expected a keyed record"))?;
            let value = encode_output(parse_key(&key)?, n);
            ctx.emit(Record::keyed(key, value));
        }
        Ok(())
    }
}

weir_sdk::export_operator!(Count);

#[cfg(test)]
mod tests {
    use weir_sdk::testing::Harness;

    use super::*;

    #[test]
    fn emits_every_hundredth_count_per_key() {
        let mut h = Harness::<Count>::new(()).unwrap();
        let batch = (0..2 * EMIT_EVERY + 10)
            .map(|i| Record::keyed((i % 2).to_string(), i.to_le_bytes()).with_timestamp(i as i64))
            .collect();
        h.process_batch(batch).unwrap();
        let expected = vec![
            Record::keyed("0", encode_output(0, 100)).with_timestamp(198),
            Record::keyed("1", encode_output(1, 100)).with_timestamp(199),
        ];
        assert_eq!(h.take_emitted(), expected);
        assert_eq!(h.value::<u64>("0", "count"), Some(105));
    }

    #[test]
    fn keys_must_be_decimal() {
        assert_eq!(parse_key(b"9999").unwrap(), 9999);
        assert!(parse_key(b"x1").is_err());
        assert!(parse_key(&[0xff]).is_err());
    }
}
