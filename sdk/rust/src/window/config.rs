//! The configuration of a windowed operator.

use serde::Deserialize;

use crate::{Error, Result};

/// Which windows records fall into.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WindowKind {
    /// Fixed, non-overlapping windows `[n * size, (n + 1) * size)`.
    Tumbling {
        /// Window length.
        size_ms: u64,
    },
    /// Windows of `size_ms` starting every `slide_ms`; a record falls into
    /// about `size_ms / slide_ms` of them.
    Sliding {
        /// Window length.
        size_ms: u64,
        /// Distance between window starts.
        slide_ms: u64,
    },
    /// Per-key sessions that end after `gap_ms` without records.
    Session {
        /// Inactivity that closes a session.
        gap_ms: u64,
    },
}

/// The `config` of a [`Windowed`](super::Windowed) operator:
///
/// ```json
/// { "window": { "kind": "sliding", "size_ms": 60000, "slide_ms": 10000 },
///   "allowed_lateness_ms": 5000,
///   "late_output": "late",
///   "aggregate": { "...": "the aggregate's own config" } }
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowedConfig {
    /// Which windows records fall into.
    pub window: WindowKind,
    /// How long after a window fires it still accepts (and re-fires on) late
    /// records.
    #[serde(default)]
    pub allowed_lateness_ms: u64,
    /// The side output for records too late for every window; `null` drops
    /// them. Default `"late"`.
    #[serde(default = "default_late_output")]
    pub late_output: Option<String>,
    /// The aggregate's config, parsed as its
    /// [`WindowAggregate::Config`](super::WindowAggregate::Config).
    #[serde(default)]
    pub aggregate: serde_json::Value,
}

fn default_late_output() -> Option<String> {
    Some("late".to_owned())
}

impl WindowKind {
    /// Checks lengths are positive and fit event-time arithmetic.
    pub(crate) fn validate(&self) -> Result<()> {
        let lengths: &[(&str, u64)] = match self {
            WindowKind::Tumbling { size_ms } => &[("size_ms", *size_ms)],
            WindowKind::Sliding { size_ms, slide_ms } => {
                &[("size_ms", *size_ms), ("slide_ms", *slide_ms)]
            }
            WindowKind::Session { gap_ms } => &[("gap_ms", *gap_ms)],
        };
        for (name, ms) in lengths {
            if *ms == 0 || i64::try_from(*ms).is_err() {
                return Err(Error::invalid_config(format!(
                    "window {name} must be between 1 and {}, not {ms}",
                    i64::MAX
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind_with_defaults() {
        let c: WindowedConfig =
            serde_json::from_str(r#"{"window": {"kind": "tumbling", "size_ms": 5}}"#).unwrap();
        assert_eq!(c.window, WindowKind::Tumbling { size_ms: 5 });
        assert_eq!(c.allowed_lateness_ms, 0);
        assert_eq!(c.late_output.as_deref(), Some("late"));
        assert!(c.aggregate.is_null());

        let c: WindowedConfig = serde_json::from_str(
            r#"{"window": {"kind": "sliding", "size_ms": 10, "slide_ms": 5},
                "allowed_lateness_ms": 3, "late_output": null, "aggregate": {"x": 1}}"#,
        )
        .unwrap();
        assert_eq!(
            c.window,
            WindowKind::Sliding {
                size_ms: 10,
                slide_ms: 5
            }
        );
        assert_eq!(c.late_output, None);
        assert_eq!(c.aggregate["x"], 1);

        let c: WindowedConfig =
            serde_json::from_str(r#"{"window": {"kind": "session", "gap_ms": 7}}"#).unwrap();
        assert_eq!(c.window, WindowKind::Session { gap_ms: 7 });
    }

    #[test]
    fn rejects_typos_and_bad_lengths() {
        let typo = r#"{"window": {"kind": "tumbling", "size": 5}}"#;
        assert!(serde_json::from_str::<WindowedConfig>(typo).is_err());
        let extra = r#"{"window": {"kind": "session", "gap_ms": 5}, "lateness": 1}"#;
        assert!(serde_json::from_str::<WindowedConfig>(extra).is_err());
        assert!(WindowKind::Tumbling { size_ms: 0 }.validate().is_err());
        assert!(
            WindowKind::Sliding {
                size_ms: 10,
                slide_ms: u64::MAX
            }
            .validate()
            .is_err()
        );
        assert!(WindowKind::Session { gap_ms: 1 }.validate().is_ok());
    }
}
