//! Watermarks generated at a source subtask.
//!
//! The contract between a source task and [`WatermarkGenerator`]:
//!
//! 1. After each polled batch, the task calls [`on_batch`] and, when it
//!    returns a watermark, sends the batch and then `Element::Watermark`.
//! 2. When a poll brings nothing, the task calls [`on_idle`] with the current
//!    processing time and sends the `Element::Idle` it may return. Any later
//!    record or watermark from the subtask makes it active again downstream.
//! 3. When the source is finished, the task sends the records it has, then
//!    `Element::Watermark(MAX_WATERMARK)` (see [`on_end`]), then
//!    `Element::End`: a finished input never holds back event time.
//!
//! [`on_batch`]: WatermarkGenerator::on_batch
//! [`on_idle`]: WatermarkGenerator::on_idle
//! [`on_end`]: WatermarkGenerator::on_end

use weir_spec::WatermarkSpec;
use weir_types::{Element, MAX_WATERMARK, MIN_WATERMARK, Millis, Record};

/// Bounded out-of-orderness watermarks with idle detection, for one source
/// subtask.
///
/// After records whose highest event time is `t`, the watermark is
/// `t - out_of_orderness_ms - 1`, as in Flink: a record at exactly
/// `t - out_of_orderness_ms` is still on time. The watermark never goes
/// backwards. Records without a timestamp do not move it.
///
/// ```
/// use weir_connectors::WatermarkGenerator;
/// use weir_spec::WatermarkSpec;
/// use weir_types::{Element, Record};
///
/// let spec = WatermarkSpec { out_of_orderness_ms: 100, idle_timeout_ms: Some(1_000) };
/// let mut wm = WatermarkGenerator::new(&spec);
/// let batch = [Record::new("a").with_timestamp(5_000)];
/// assert_eq!(wm.on_batch(&batch), Some(4_899));
/// assert_eq!(wm.on_batch(&batch), None); // no progress, nothing to send
///
/// assert_eq!(wm.on_idle(10_000), None); // the idle clock starts
/// assert_eq!(wm.on_idle(11_000), Some(Element::Idle));
/// assert_eq!(wm.on_idle(12_000), None); // announced once
/// ```
#[derive(Clone, Debug)]
pub struct WatermarkGenerator {
    out_of_orderness: Millis,
    idle_timeout: Option<Millis>,
    /// The last watermark handed out.
    current: Millis,
    /// Records arrived since the last `on_idle` call.
    active_since_check: bool,
    /// Processing time from which the quiet period is measured.
    quiet_since: Option<Millis>,
    /// `Element::Idle` was handed out and no record came since.
    idle: bool,
}

impl WatermarkGenerator {
    /// A generator for one source subtask, starting at `MIN_WATERMARK`.
    pub fn new(spec: &WatermarkSpec) -> Self {
        WatermarkGenerator {
            out_of_orderness: to_millis(spec.out_of_orderness_ms),
            idle_timeout: spec.idle_timeout_ms.map(to_millis),
            current: MIN_WATERMARK,
            active_since_check: false,
            quiet_since: None,
            idle: false,
        }
    }

    /// The last watermark returned (`MIN_WATERMARK` before any).
    pub fn current(&self) -> Millis {
        self.current
    }

    /// Whether `Element::Idle` was returned and no record has come since.
    pub fn is_idle(&self) -> bool {
        self.idle
    }

    /// Takes a batch the source produced; returns the new watermark when it
    /// advanced. A non-empty batch also makes an idle subtask active again.
    pub fn on_batch(&mut self, records: &[Record]) -> Option<Millis> {
        let max_ts = records.iter().filter_map(|r| r.timestamp).max();
        self.on_summary(records.len(), max_ts)
    }

    /// [`on_batch`](Self::on_batch) of a batch known by its length and its
    /// largest timestamp (a packed batch, say).
    pub fn on_summary(&mut self, len: usize, max_timestamp: Option<Millis>) -> Option<Millis> {
        if len == 0 {
            return None;
        }
        self.active_since_check = true;
        self.idle = false;
        let max_ts = max_timestamp?;
        let candidate = max_ts
            .saturating_sub(self.out_of_orderness)
            .saturating_sub(1);
        (candidate > self.current).then(|| {
            self.current = candidate;
            candidate
        })
    }

    /// Called when a poll brought no records, with the processing time
    /// `now_ms`. Returns `Element::Idle` once when no records have arrived for
    /// `idle_timeout_ms`, measured from the first call after the last records
    /// (or the first call ever). Never returns anything without an idle
    /// timeout.
    pub fn on_idle(&mut self, now_ms: Millis) -> Option<Element> {
        let timeout = self.idle_timeout?;
        if self.active_since_check || self.quiet_since.is_none() {
            self.active_since_check = false;
            self.quiet_since = Some(now_ms);
        }
        let quiet_since = self.quiet_since?;
        if self.idle || now_ms.saturating_sub(quiet_since) < timeout {
            return None;
        }
        self.idle = true;
        Some(Element::Idle)
    }

    /// The input is finished: returns the final `Element::Watermark`
    /// (`MAX_WATERMARK`) the task sends before `Element::End`.
    pub fn on_end(&mut self) -> Element {
        self.current = MAX_WATERMARK;
        self.idle = false;
        Element::Watermark(MAX_WATERMARK)
    }
}

fn to_millis(ms: u64) -> Millis {
    Millis::try_from(ms).unwrap_or(Millis::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator(ooo: u64, idle: Option<u64>) -> WatermarkGenerator {
        WatermarkGenerator::new(&WatermarkSpec {
            out_of_orderness_ms: ooo,
            idle_timeout_ms: idle,
        })
    }

    fn at(ts: &[i64]) -> Vec<Record> {
        ts.iter()
            .map(|&t| Record::new("v").with_timestamp(t))
            .collect()
    }

    #[test]
    fn starts_at_min_watermark() {
        assert_eq!(generator(0, None).current(), MIN_WATERMARK);
    }

    #[test]
    fn trails_the_highest_timestamp_in_the_batch() {
        let mut wm = generator(10, None);
        assert_eq!(wm.on_batch(&at(&[100, 250, 30])), Some(239));
        assert_eq!(wm.current(), 239);
    }

    #[test]
    fn zero_out_of_orderness_is_one_below_the_timestamp() {
        let mut wm = generator(0, None);
        assert_eq!(wm.on_batch(&at(&[100])), Some(99));
    }

    #[test]
    fn never_goes_backwards_and_reports_only_progress() {
        let mut wm = generator(5, None);
        assert_eq!(wm.on_batch(&at(&[100])), Some(94));
        assert_eq!(wm.on_batch(&at(&[90, 100])), None);
        assert_eq!(wm.current(), 94);
        assert_eq!(wm.on_batch(&at(&[101])), Some(95));
    }

    #[test]
    fn records_without_timestamps_do_not_move_it() {
        let mut wm = generator(0, None);
        assert_eq!(wm.on_batch(&[Record::new("x")]), None);
        let mixed = vec![Record::new("x"), Record::new("y").with_timestamp(7)];
        assert_eq!(wm.on_batch(&mixed), Some(6));
        assert_eq!(wm.on_batch(&[]), None);
    }

    #[test]
    fn extreme_values_saturate() {
        let mut wm = generator(u64::MAX, None);
        assert_eq!(wm.on_batch(&at(&[0])), None, "clamped to MIN_WATERMARK");
        let mut wm = generator(0, None);
        assert_eq!(wm.on_batch(&at(&[i64::MIN + 1])), None);
        assert_eq!(wm.on_batch(&at(&[i64::MAX])), Some(i64::MAX - 1));
    }

    #[test]
    fn no_idleness_without_a_timeout() {
        let mut wm = generator(0, None);
        assert_eq!(wm.on_idle(0), None);
        assert_eq!(wm.on_idle(i64::MAX), None);
        assert!(!wm.is_idle());
    }

    #[test]
    fn goes_idle_once_after_the_timeout() {
        let mut wm = generator(0, Some(100));
        assert_eq!(wm.on_idle(1_000), None);
        assert_eq!(wm.on_idle(1_099), None);
        assert_eq!(wm.on_idle(1_100), Some(Element::Idle));
        assert!(wm.is_idle());
        assert_eq!(wm.on_idle(1_200), None);
        assert_eq!(wm.on_idle(5_000), None);
    }

    #[test]
    fn records_restart_the_quiet_period() {
        let mut wm = generator(0, Some(100));
        assert_eq!(wm.on_idle(1_000), None);
        wm.on_batch(&at(&[5]));
        // The clock restarts at the first check after the records.
        assert_eq!(wm.on_idle(1_150), None);
        assert_eq!(wm.on_idle(1_249), None);
        assert_eq!(wm.on_idle(1_250), Some(Element::Idle));
    }

    #[test]
    fn becomes_active_again_and_can_go_idle_again() {
        let mut wm = generator(0, Some(10));
        wm.on_idle(0);
        assert_eq!(wm.on_idle(10), Some(Element::Idle));
        // Records without timestamps still count as activity.
        assert_eq!(wm.on_batch(&[Record::new("x")]), None);
        assert!(!wm.is_idle());
        assert_eq!(wm.on_idle(20), None);
        assert_eq!(wm.on_idle(30), Some(Element::Idle));
    }

    #[test]
    fn an_empty_batch_is_not_activity() {
        let mut wm = generator(0, Some(10));
        wm.on_idle(0);
        wm.on_batch(&[]);
        assert_eq!(wm.on_idle(10), Some(Element::Idle));
    }

    #[test]
    fn zero_timeout_goes_idle_at_the_first_quiet_check() {
        let mut wm = generator(0, Some(0));
        assert_eq!(wm.on_idle(42), Some(Element::Idle));
    }

    #[test]
    fn end_sends_max_watermark_and_leaves_nothing_to_advance() {
        let mut wm = generator(0, Some(10));
        wm.on_batch(&at(&[50]));
        assert_eq!(wm.on_end(), Element::Watermark(MAX_WATERMARK));
        assert_eq!(wm.current(), MAX_WATERMARK);
        assert_eq!(wm.on_batch(&at(&[i64::MAX])), None);
    }
}
