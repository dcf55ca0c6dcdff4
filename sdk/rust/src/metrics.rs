//! Metrics, reported by the host per operator subtask.
//!
//! ```
//! weir_sdk::metrics::counter_add("alerts", 1);
//! weir_sdk::metrics::gauge_set("open_sessions", 3.0);
//! weir_sdk::metrics::histogram_record("amount", 12.5);
//! ```

use crate::host::sys;

/// Adds `delta` to the counter `name`.
pub fn counter_add(name: &str, delta: u64) {
    sys::counter_add(name, delta);
}

/// Sets the gauge `name` to `value`.
pub fn gauge_set(name: &str, value: f64) {
    sys::gauge_set(name, value);
}

/// Records one observation of `value` in the histogram `name`.
pub fn histogram_record(name: &str, value: f64) {
    sys::histogram_record(name, value);
}
