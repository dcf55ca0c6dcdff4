//! An `operator` guest: counts records per key in event-time windows (any
//! kind, from the config) and emits `{"start":…,"end":…,"count":…}`.

use weir_sdk::prelude::*;
use weir_sdk::window::{Window, WindowAggregate, Windowed};

/// Counts records.
pub struct Count;

impl WindowAggregate for Count {
    type Config = ();
    type Acc = u64;

    fn new(_: ()) -> Result<Self> {
        Ok(Count)
    }

    fn create(&self) -> u64 {
        0
    }

    fn add(&self, acc: &mut u64, _: &Record) -> Result<()> {
        *acc += 1;
        Ok(())
    }

    fn merge(&self, a: u64, b: u64) -> u64 {
        a + b
    }

    fn emit(&self, _key: &[u8], w: Window, count: &u64) -> Result<Vec<Record>> {
        let text = format!(r#"{{"start":{},"end":{},"count":{count}}}"#, w.start, w.end);
        Ok(vec![Record::new(text)])
    }
}

weir_sdk::export_operator!(Windowed<Count>);
