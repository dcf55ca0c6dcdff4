//! Sessionization: groups each user's clicks into sessions — runs of clicks
//! at most `gap_ms` apart — and emits one record per session when it is over.
//!
//! The session logic (a window per click, merging windows that touch,
//! firing when the watermark passes a session's end) is
//! [`weir_sdk::window::Windowed`] with `kind: session`; this crate counts the
//! clicks of a session and says what a finished session looks like.

use serde::Serialize;
use weir_sdk::prelude::*;
use weir_sdk::window::{Window, WindowAggregate, Windowed};

/// Counts the clicks of a session.
#[derive(Debug)]
pub struct Clicks;

/// A finished session, as one JSON line.
#[derive(Debug, Serialize)]
pub struct Session<'a> {
    /// The user (the record key).
    pub user: &'a str,
    /// Event time of the session's first click.
    pub start: i64,
    /// When the session ended: its last click plus the gap.
    pub end: i64,
    /// How many clicks it had.
    pub clicks: u64,
}

impl WindowAggregate for Clicks {
    type Config = ();
    type Acc = u64;

    fn new(_: ()) -> Result<Self> {
        Ok(Clicks)
    }

    fn create(&self) -> u64 {
        0
    }

    fn add(&self, clicks: &mut u64, _click: &Record) -> Result<()> {
        *clicks += 1;
        Ok(())
    }

    /// Two sessions joined by a click between them: their clicks add up.
    fn merge(&self, a: u64, b: u64) -> u64 {
        a + b
    }

    fn emit(&self, key: &[u8], window: Window, clicks: &u64) -> Result<Vec<Record>> {
        let user = std::str::from_utf8(key)
            .map_err(|e| Error::bad_input(format!("user is not UTF-8: {e}")))?;
        let session = Session {
            user,
            start: window.start,
            end: window.end,
            clicks: *clicks,
        };
        Ok(vec![Record::from_json(&session)?])
    }
}

/// The exported operator: [`Clicks`] over session windows.
pub type Sessionization = Windowed<Clicks>;

weir_sdk::export_operator!(Windowed<Clicks>);

#[cfg(test)]
mod tests {
    use weir_sdk::testing::Harness;

    use super::*;

    const CONFIG: &str = r#"{"window": {"kind": "session", "gap_ms": 30000}, "late_output": null}"#;

    fn click(user: &str, ts: i64) -> Record {
        Record::keyed(user, format!(r#"{{"user":"{user}","ts":{ts}}}"#)).with_timestamp(ts)
    }

    fn values(records: Vec<Record>) -> Vec<String> {
        records
            .iter()
            .map(|r| r.value_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn clicks_within_the_gap_form_one_session_emitted_when_it_is_over() {
        let mut h = Harness::<Sessionization>::new(CONFIG).unwrap();
        for ts in [0, 10_000, 40_000] {
            h.process(click("ann", ts)).unwrap();
        }
        h.process(click("bob", 5_000)).unwrap();
        h.process(click("ann", 100_000)).unwrap();
        h.advance_watermark(69_998).unwrap();
        assert_eq!(
            values(h.take_emitted()),
            [r#"{"user":"bob","start":5000,"end":35000,"clicks":1}"#]
        );
        h.advance_watermark(69_999).unwrap();
        assert_eq!(
            values(h.take_emitted()),
            [r#"{"user":"ann","start":0,"end":70000,"clicks":3}"#]
        );
        h.advance_watermark(i64::MAX).unwrap();
        assert_eq!(
            values(h.take_emitted()),
            [r#"{"user":"ann","start":100000,"end":130000,"clicks":1}"#]
        );
        assert!(
            h.map::<Window, u64>("ann", weir_sdk::window::WINDOW_STATE)
                .is_empty()
        );
    }

    #[test]
    fn an_out_of_order_click_joins_two_sessions() {
        let mut h = Harness::<Sessionization>::new(CONFIG).unwrap();
        h.process(click("ann", 0)).unwrap();
        h.process(click("ann", 35_000)).unwrap();
        assert_eq!(
            h.map::<Window, u64>("ann", weir_sdk::window::WINDOW_STATE)
                .len(),
            2
        );
        // Arrives after 35000 but happened between: both sessions merge.
        h.process(click("ann", 28_000)).unwrap();
        h.advance_watermark(i64::MAX).unwrap();
        assert_eq!(
            values(h.take_emitted()),
            [r#"{"user":"ann","start":0,"end":65000,"clicks":3}"#]
        );
    }
}
