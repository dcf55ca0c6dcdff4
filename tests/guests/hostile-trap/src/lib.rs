#![doc = include_str!("../README.md")]

use serde::Deserialize;
use weir_sdk::prelude::*;

/// The export that traps.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// `open`.
    Open,
    /// `process`.
    Process,
    /// `on-timer`.
    OnTimer,
    /// `close`.
    Close,
    /// Nowhere: the operator forwards records.
    #[default]
    Never,
}

/// How it traps.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// `panic!` (an `unreachable` instruction on wasm).
    #[default]
    Panic,
    /// A load past the end of linear memory.
    OutOfBounds,
}

/// The operator's `config`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where to trap.
    pub trap_in: Stage,
    /// How to trap.
    pub how: How,
}

/// Forwards records, and traps where its config says.
pub struct HostileTrap {
    config: Config,
}

impl Operator for HostileTrap {
    type Config = Config;

    fn open(_ctx: &mut OpenContext, config: Config) -> Result<Self> {
        if config.trap_in == Stage::Open {
            trap(config.how, "open");
        }
        Ok(HostileTrap { config })
    }

    fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
        match self.config.trap_in {
            Stage::Process => trap(self.config.how, "process"),
            Stage::OnTimer => {
                let at = record.timestamp.unwrap_or_else(|| ctx.watermark());
                ctx.timers().register_event_time(at)?;
            }
            _ => {}
        }
        ctx.emit(record);
        Ok(())
    }

    fn on_timer(&mut self, _ctx: &mut Context, _timer: Timer) -> Result<()> {
        if self.config.trap_in == Stage::OnTimer {
            trap(self.config.how, "on_timer");
        }
        Ok(())
    }

    fn close(&mut self, _ctx: &mut Context) -> Result<()> {
        if self.config.trap_in == Stage::Close {
            trap(self.config.how, "close");
        }
        Ok(())
    }
}

/// Stops the guest the way `how` says.
fn trap(how: How, stage: &str) -> ! {
    if how == How::OutOfBounds {
        out_of_bounds_read();
    }
    panic!("hostile-trap: deliberate panic in {stage}")
}

/// Reads the last bytes of the 32-bit address space, far past any linear
/// memory a guest can have: the wasm load traps.
#[cfg(target_arch = "wasm32")]
fn out_of_bounds_read() {
    let address = std::hint::black_box(usize::MAX - 7);
    // SAFETY: none; trapping is the point. On wasm32 an access outside linear
    // memory traps before anything is read.
    let value = unsafe { std::ptr::read_volatile(address as *const u64) };
    std::hint::black_box(value);
}

/// Natively there is no sandbox to trap into: the caller panics instead.
#[cfg(not(target_arch = "wasm32"))]
fn out_of_bounds_read() {}

weir_sdk::export_operator!(HostileTrap);

#[cfg(test)]
mod tests {
    use weir_sdk::testing::Harness;

    use super::*;

    fn keyed(n: i64) -> Record {
        Record::keyed(format!("k{n}"), format!("v{n}")).with_timestamp(n)
    }

    #[test]
    fn without_a_stage_it_forwards_records() {
        let mut h = Harness::<HostileTrap>::new("{}").unwrap();
        h.process_batch(vec![keyed(1), keyed(2)]).unwrap();
        h.advance_watermark(10).unwrap();
        h.close().unwrap();
        assert_eq!(h.take_emitted(), vec![keyed(1), keyed(2)]);
    }

    #[test]
    #[should_panic(expected = "deliberate panic in open")]
    fn traps_in_open() {
        let _ = Harness::<HostileTrap>::new(r#"{"trap_in": "open"}"#);
    }

    #[test]
    #[should_panic(expected = "deliberate panic in process")]
    fn traps_in_process() {
        let mut h = Harness::<HostileTrap>::new(r#"{"trap_in": "process"}"#).unwrap();
        let _ = h.process(keyed(1));
    }

    #[test]
    #[should_panic(expected = "deliberate panic in on_timer")]
    fn traps_in_on_timer_once_the_watermark_passes_a_record() {
        let mut h = Harness::<HostileTrap>::new(r#"{"trap_in": "on_timer"}"#).unwrap();
        h.process(keyed(5)).unwrap();
        assert_eq!(h.timers("k5").len(), 1);
        h.advance_watermark(4).unwrap();
        let _ = h.advance_watermark(5);
    }

    #[test]
    #[should_panic(expected = "deliberate panic in close")]
    fn traps_in_close() {
        let mut h = Harness::<HostileTrap>::new(r#"{"trap_in": "close"}"#).unwrap();
        h.process(keyed(1)).unwrap();
        let _ = h.close();
    }

    #[test]
    fn rejects_an_unknown_stage() {
        let Err(err) = Harness::<HostileTrap>::new(r#"{"trap_in": "sometimes"}"#) else {
            panic!("an unknown stage must be refused");
        };
        assert!(matches!(err, Error::InvalidConfig(_)), "{err:?}");
    }
}
