//! Window counts: how many views each page had in each 10-second window of
//! event time, with the SDK's window operator.
//!
//! All the windowing — assigning records to windows, keeping one count per
//! page and window in keyed state, firing a window when the watermark passes
//! its end, sending records too late for their window to the `late` side
//! output — is [`weir_sdk::window::Windowed`]. This crate only says what to
//! keep per window (a count) and what to emit when it fires (one JSON line).

use serde::Serialize;
use weir_sdk::prelude::*;
use weir_sdk::window::{Window, WindowAggregate, Windowed};

/// Counts records per key and window.
#[derive(Debug)]
pub struct ViewCount;

/// What a window emits, as one JSON line.
#[derive(Debug, Serialize)]
pub struct PageWindow<'a> {
    /// The page (the record key).
    pub page: &'a str,
    /// First millisecond of the window.
    pub start: i64,
    /// First millisecond after it.
    pub end: i64,
    /// Views of the page in the window.
    pub views: u64,
}

impl WindowAggregate for ViewCount {
    type Config = ();
    type Acc = u64;

    fn new(_: ()) -> Result<Self> {
        Ok(ViewCount)
    }

    fn create(&self) -> u64 {
        0
    }

    fn add(&self, views: &mut u64, _view: &Record) -> Result<()> {
        *views += 1;
        Ok(())
    }

    fn merge(&self, a: u64, b: u64) -> u64 {
        a + b
    }

    fn emit(&self, key: &[u8], window: Window, views: &u64) -> Result<Vec<Record>> {
        let page = std::str::from_utf8(key)
            .map_err(|e| Error::bad_input(format!("page is not UTF-8: {e}")))?;
        let line = PageWindow {
            page,
            start: window.start,
            end: window.end,
            views: *views,
        };
        Ok(vec![Record::from_json(&line)?])
    }
}

/// The exported operator: [`ViewCount`] over the windows its config names.
pub type WindowCounts = Windowed<ViewCount>;

weir_sdk::export_operator!(Windowed<ViewCount>);

#[cfg(test)]
mod tests {
    use weir_sdk::testing::Harness;

    use super::*;

    const CONFIG: &str = r#"{"window": {"kind": "tumbling", "size_ms": 10000}}"#;

    fn view(page: &str, ts: i64) -> Record {
        Record::keyed(page, format!(r#"{{"page":"{page}","ts":{ts}}}"#)).with_timestamp(ts)
    }

    fn values(records: Vec<Record>) -> Vec<String> {
        records
            .iter()
            .map(|r| r.value_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn counts_each_page_per_window_when_the_watermark_passes_it() {
        let mut h = Harness::<WindowCounts>::builder()
            .side_outputs(["late"])
            .open(CONFIG)
            .unwrap();
        for (page, ts) in [("/a", 1_000), ("/b", 2_000), ("/a", 9_999), ("/a", 10_000)] {
            h.process(view(page, ts)).unwrap();
        }
        h.advance_watermark(9_998).unwrap();
        assert!(h.take_emitted().is_empty(), "[0, 10000) is still open");

        h.advance_watermark(9_999).unwrap();
        assert_eq!(
            values(h.take_emitted()),
            [
                r#"{"page":"/a","start":0,"end":10000,"views":2}"#,
                r#"{"page":"/b","start":0,"end":10000,"views":1}"#,
            ]
        );
        h.advance_watermark(i64::MAX).unwrap();
        assert_eq!(
            values(h.take_emitted()),
            [r#"{"page":"/a","start":10000,"end":20000,"views":1}"#]
        );
    }

    #[test]
    fn a_view_for_a_fired_window_goes_to_the_late_output_unchanged() {
        let mut h = Harness::<WindowCounts>::builder()
            .side_outputs(["late"])
            .open(CONFIG)
            .unwrap();
        h.process(view("/a", 1_000)).unwrap();
        h.advance_watermark(12_000).unwrap();
        assert_eq!(h.take_emitted().len(), 1);

        let late = view("/a", 5_000);
        h.process(late.clone()).unwrap();
        h.process(view("/a", 12_001)).unwrap();
        assert_eq!(h.take_side_output("late"), vec![late]);
        h.advance_watermark(i64::MAX).unwrap();
        assert_eq!(
            values(h.take_emitted()),
            [r#"{"page":"/a","start":10000,"end":20000,"views":1}"#]
        );
    }
}
