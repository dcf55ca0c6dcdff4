#![doc = include_str!("../README.md")]

use serde::Deserialize;
use weir_sdk::prelude::*;

/// The operator's `config`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Size of each emitted value in bytes.
    pub bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { bytes: 1 << 20 }
    }
}

/// Emits `bytes` bytes per record it is given.
pub struct HostileOutput {
    bytes: usize,
}

impl Operator for HostileOutput {
    type Config = Config;

    fn open(_ctx: &mut OpenContext, config: Config) -> Result<Self> {
        Ok(HostileOutput {
            bytes: config.bytes,
        })
    }

    fn process(&mut self, ctx: &mut Context, _record: Record) -> Result<()> {
        ctx.emit(Record::new(vec![b'x'; self.bytes]));
        Ok(())
    }
}

weir_sdk::export_operator!(HostileOutput);

#[cfg(test)]
mod tests {
    use weir_sdk::testing::Harness;

    use super::*;

    #[test]
    fn emits_one_value_of_the_configured_size_per_record() {
        let mut h = Harness::<HostileOutput>::new(r#"{"bytes": 3000}"#).unwrap();
        h.process_batch(vec![Record::new("a"), Record::new("b")])
            .unwrap();
        let out = h.take_emitted();
        assert_eq!(out.len(), 2);
        assert!(
            out.iter()
                .all(|r| r.value.len() == 3000 && r.value.iter().all(|b| *b == b'x'))
        );
    }

    #[test]
    fn the_default_is_one_mebibyte() {
        let mut h = Harness::<HostileOutput>::new("{}").unwrap();
        h.process(Record::new("a")).unwrap();
        assert_eq!(h.take_emitted()[0].value.len(), 1 << 20);
    }
}
