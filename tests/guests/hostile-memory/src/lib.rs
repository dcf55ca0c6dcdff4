#![doc = include_str!("../README.md")]

use serde::Deserialize;
use weir_sdk::prelude::*;

/// The operator's `config`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Size of each allocation in KiB.
    pub chunk_kb: usize,
    /// Stop after this many allocations in all; absent: never.
    pub max_chunks: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            chunk_kb: 1024,
            max_chunks: None,
        }
    }
}

/// Keeps every chunk it allocates.
pub struct HostileMemory {
    config: Config,
    hoard: Vec<Vec<u8>>,
}

impl Operator for HostileMemory {
    type Config = Config;

    fn open(_ctx: &mut OpenContext, config: Config) -> Result<Self> {
        if config.chunk_kb == 0 {
            bail!(Error::invalid_config("chunk_kb must be at least 1"));
        }
        Ok(HostileMemory {
            config,
            hoard: Vec::new(),
        })
    }

    fn process(&mut self, ctx: &mut Context, _record: Record) -> Result<()> {
        let limit = self.config.max_chunks.unwrap_or(usize::MAX);
        while self.hoard.len() < limit {
            let chunk = vec![self.hoard.len() as u8 | 1; self.config.chunk_kb << 10];
            self.hoard.push(std::hint::black_box(chunk));
        }
        ctx.emit(Record::new(format!("hoarded {} chunks", self.hoard.len())));
        Ok(())
    }
}

weir_sdk::export_operator!(HostileMemory);

#[cfg(test)]
mod tests {
    use weir_sdk::testing::Harness;

    use super::*;

    #[test]
    fn a_bounded_hoard_stops_at_its_bound_and_keeps_its_chunks() {
        let mut h = Harness::<HostileMemory>::new(r#"{"chunk_kb": 4, "max_chunks": 3}"#).unwrap();
        h.process_batch(vec![Record::new("a"), Record::new("b")])
            .unwrap();
        assert_eq!(
            h.take_emitted(),
            vec![
                Record::new("hoarded 3 chunks"),
                Record::new("hoarded 3 chunks")
            ]
        );
        let hoard = &h.operator().hoard;
        assert!(hoard.iter().all(|c| c.len() == 4096 && c[0] % 2 == 1));
    }

    #[test]
    fn a_zero_chunk_is_an_invalid_config() {
        let Err(err) = Harness::<HostileMemory>::new(r#"{"chunk_kb": 0}"#) else {
            panic!("chunk_kb 0 must be refused");
        };
        assert!(matches!(err, Error::InvalidConfig(_)), "{err:?}");
    }
}
