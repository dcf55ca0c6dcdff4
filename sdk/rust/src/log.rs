//! Logging to the host's structured log, which adds the job, operator and
//! subtask to every line.
//!
//! ```
//! weir_sdk::log::info!("opened with threshold {}", 10);
//! weir_sdk::log::log(weir_sdk::log::Level::Warn, "plain text");
//! ```
//!
//! In the native test harness the lines are kept for inspection
//! ([`Harness::logs`](crate::testing::Harness::logs)); outside any harness they
//! go to standard error.

use crate::host::sys;

/// How severe a log line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that the operator handled.
    Warn,
    /// A failure.
    Error,
}

/// Writes one line at `level`.
pub fn log(level: Level, message: &str) {
    sys::log(level, message);
}

#[doc(hidden)]
#[macro_export]
macro_rules! __weir_log {
    ($level:ident, $($arg:tt)+) => {
        $crate::log::log($crate::log::Level::$level, &::std::format!($($arg)+))
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __weir_log_trace {
    ($($arg:tt)+) => { $crate::__weir_log!(Trace, $($arg)+) };
}
#[doc(hidden)]
#[macro_export]
macro_rules! __weir_log_debug {
    ($($arg:tt)+) => { $crate::__weir_log!(Debug, $($arg)+) };
}
#[doc(hidden)]
#[macro_export]
macro_rules! __weir_log_info {
    ($($arg:tt)+) => { $crate::__weir_log!(Info, $($arg)+) };
}
#[doc(hidden)]
#[macro_export]
macro_rules! __weir_log_warn {
    ($($arg:tt)+) => { $crate::__weir_log!(Warn, $($arg)+) };
}
#[doc(hidden)]
#[macro_export]
macro_rules! __weir_log_error {
    ($($arg:tt)+) => { $crate::__weir_log!(Error, $($arg)+) };
}

/// Logs a formatted line at [`Level::Debug`].
pub use crate::__weir_log_debug as debug;
/// Logs a formatted line at [`Level::Error`].
pub use crate::__weir_log_error as error;
/// Logs a formatted line at [`Level::Info`].
pub use crate::__weir_log_info as info;
/// Logs a formatted line at [`Level::Trace`].
pub use crate::__weir_log_trace as trace;
/// Logs a formatted line at [`Level::Warn`].
pub use crate::__weir_log_warn as warn;
