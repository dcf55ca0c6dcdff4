#![doc = include_str!("../README.md")]

use serde::Deserialize;
use weir_sdk::prelude::*;

/// The export that spins.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// `open`.
    Open,
    /// `process`, once per record.
    #[default]
    Process,
}

/// The operator's `config`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where to spin.
    pub loop_in: Stage,
    /// Stop after this many iterations; absent: never.
    pub iterations: Option<u64>,
}

/// Spins where its config says.
pub struct HostileLoop {
    config: Config,
}

impl Operator for HostileLoop {
    type Config = Config;

    fn open(_ctx: &mut OpenContext, config: Config) -> Result<Self> {
        if config.loop_in == Stage::Open {
            spin(config.iterations);
        }
        Ok(HostileLoop { config })
    }

    fn process(&mut self, ctx: &mut Context, _record: Record) -> Result<()> {
        if self.config.loop_in == Stage::Process {
            let n = spin(self.config.iterations);
            ctx.emit(Record::new(format!("spun {n}")));
        }
        Ok(())
    }
}

/// Counts up to `limit` (forever without one); returns the count. `black_box`
/// keeps the compiler from folding the loop away.
fn spin(limit: Option<u64>) -> u64 {
    let limit = std::hint::black_box(limit.unwrap_or(u64::MAX));
    let mut n = 0u64;
    while std::hint::black_box(n) < limit {
        n += 1;
    }
    n
}

weir_sdk::export_operator!(HostileLoop);

#[cfg(test)]
mod tests {
    use weir_sdk::testing::Harness;

    use super::*;

    #[test]
    fn a_bounded_spin_in_process_ends_and_reports_its_count() {
        let mut h = Harness::<HostileLoop>::new(r#"{"iterations": 1000}"#).unwrap();
        h.process_batch(vec![Record::new("a"), Record::new("b")])
            .unwrap();
        assert_eq!(
            h.take_emitted(),
            vec![Record::new("spun 1000"), Record::new("spun 1000")]
        );
    }

    #[test]
    fn a_bounded_spin_in_open_leaves_process_quiet() {
        let mut h =
            Harness::<HostileLoop>::new(r#"{"loop_in": "open", "iterations": 10}"#).unwrap();
        h.process(Record::new("a")).unwrap();
        assert!(h.take_emitted().is_empty());
    }

    #[test]
    fn rejects_an_unknown_field() {
        assert!(Harness::<HostileLoop>::new(r#"{"forever": true}"#).is_err());
    }
}
