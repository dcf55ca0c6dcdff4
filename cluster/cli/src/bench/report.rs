//! The bench's results: one row per configuration, whether Wasm and native
//! agree, and the table (or JSON) they print as.

use std::fmt::Write as _;

use serde_json::json;

use super::checksum::Checksum;
use super::scenario::Scenario;
use super::table::{self, Align};

/// Whether the Wasm job's output matched the native loop's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Same number of output records.
    SameCount { records: u64 },
    /// Same records: count and order-independent hash.
    SameRecords { records: u64 },
    /// They disagree; says how.
    Mismatch(String),
}

impl Verdict {
    /// Compares output record counts (a discard sink only counts).
    pub(crate) fn of_counts(wasm_records: u64, native: &Checksum) -> Verdict {
        if wasm_records == native.records {
            Verdict::SameCount {
                records: wasm_records,
            }
        } else {
            Verdict::Mismatch(format!(
                "Wasm emitted {wasm_records} records, native {}",
                native.records
            ))
        }
    }

    /// Compares whole outputs.
    pub(crate) fn of_checksums(wasm: &Checksum, native: &Checksum) -> Verdict {
        if wasm.records != native.records {
            Verdict::Mismatch(format!(
                "Wasm emitted {} records, native {}",
                wasm.records, native.records
            ))
        } else if wasm.hash != native.hash {
            Verdict::Mismatch(format!(
                "same count ({}) but different records (checksum {:016x} vs {:016x})",
                wasm.records, wasm.hash, native.hash
            ))
        } else {
            Verdict::SameRecords {
                records: wasm.records,
            }
        }
    }

    pub(crate) fn is_ok(&self) -> bool {
        !matches!(self, Verdict::Mismatch(_))
    }

    fn describe(&self) -> String {
        match self {
            Verdict::SameCount { records } => format!("ok: {records} out"),
            Verdict::SameRecords { records } => format!("ok: {records} out, same records"),
            Verdict::Mismatch(detail) => format!("MISMATCH: {detail}"),
        }
    }
}

/// One measured configuration.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub(crate) scenario: Scenario,
    pub(crate) parallelism: u32,
    pub(crate) batch_size: usize,
    /// Records generated.
    pub(crate) records: u64,
    /// Wall-clock seconds of the Wasm job (best of the repeats).
    pub(crate) wasm_secs: f64,
    /// Wall-clock seconds of the native loop (best of its repeats).
    pub(crate) native_secs: f64,
    /// Output counts of this run compared.
    pub(crate) count: Verdict,
    /// For the configuration also run into a file sink: how many records it
    /// generated and whether its output equals the native loop's.
    pub(crate) checksum: Option<(u64, Verdict)>,
}

impl Row {
    pub(crate) fn wasm_rate(&self) -> f64 {
        rate(self.records, self.wasm_secs)
    }

    pub(crate) fn native_rate(&self) -> f64 {
        rate(self.records, self.native_secs)
    }

    /// How many times faster the native loop ran.
    pub(crate) fn ratio(&self) -> f64 {
        self.native_rate() / self.wasm_rate()
    }

    pub(crate) fn is_ok(&self) -> bool {
        self.count.is_ok() && self.checksum.as_ref().is_none_or(|(_, v)| v.is_ok())
    }

    fn check(&self) -> String {
        let mut text = self.count.describe();
        if let Some((records, verdict)) = &self.checksum {
            let run = format!("{} M-record file run", fmt_millions(*records as f64));
            match verdict {
                Verdict::Mismatch(_) => write!(text, "; {run}: {}", verdict.describe()),
                _ => write!(text, "; {run}: same records"),
            }
            .expect("writing to a String");
        }
        text
    }
}

fn rate(records: u64, secs: f64) -> f64 {
    records as f64 / secs.max(1e-9)
}

/// `12.3` for 12,345,678.
fn fmt_millions(x: f64) -> String {
    let m = x / 1e6;
    if m >= 100.0 {
        format!("{m:.0}")
    } else if m >= 10.0 {
        format!("{m:.1}")
    } else {
        format!("{m:.2}")
    }
}

/// The rows as an aligned text table; rates in millions of input records
/// per second.
pub(crate) fn table(rows: &[Row]) -> String {
    let header = [
        "scenario",
        "p",
        "batch",
        "records",
        "wasm M rec/s",
        "native M rec/s",
        "native/wasm",
        "check (wasm vs native output)",
    ];
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            [
                format!("{} {}", r.scenario.letter(), r.scenario.title()),
                r.parallelism.to_string(),
                r.batch_size.to_string(),
                r.records.to_string(),
                fmt_millions(r.wasm_rate()),
                fmt_millions(r.native_rate()),
                format!("{:.1}x", r.ratio()),
                r.check(),
            ]
        })
        .collect();
    use Align::{Free, Left, Right};
    let align = [Left, Right, Right, Right, Right, Right, Right, Free];
    table::aligned(header, &cells, align)
}

/// The rows as JSON objects.
pub(crate) fn to_json(rows: &[Row]) -> serde_json::Value {
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "scenario": r.scenario.letter(),
                "title": r.scenario.title(),
                "parallelism": r.parallelism,
                "batch_size": r.batch_size,
                "records": r.records,
                "wasm_secs": r.wasm_secs,
                "native_secs": r.native_secs,
                "wasm_records_per_sec": r.wasm_rate(),
                "native_records_per_sec": r.native_rate(),
                "native_over_wasm": r.ratio(),
                "ok": r.is_ok(),
                "check": r.check(),
            })
        })
        .collect();
    serde_json::Value::Array(rows)
}

/// Every disagreement, one line each: empty when Wasm and native agree
/// everywhere.
pub(crate) fn failures(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .filter(|r| !r.is_ok())
        .map(|r| {
            format!(
                "scenario {} p={} batch={}: {}",
                r.scenario.letter(),
                r.parallelism,
                r.batch_size,
                r.check()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checksum(records: &[&[u64]]) -> Checksum {
        let mut c = Checksum::default();
        for r in records {
            c.add(r);
        }
        c
    }

    fn row(count: Verdict, checksum: Option<(u64, Verdict)>) -> Row {
        Row {
            scenario: Scenario::KeyedCount,
            parallelism: 2,
            batch_size: 512,
            records: 10_000_000,
            wasm_secs: 2.0,
            native_secs: 0.1,
            count,
            checksum,
        }
    }

    #[test]
    fn counts_and_checksums_are_compared() {
        let native = checksum(&[&[1, 100], &[2, 100]]);
        assert_eq!(
            Verdict::of_counts(2, &native),
            Verdict::SameCount { records: 2 }
        );
        assert!(!Verdict::of_counts(3, &native).is_ok());

        let same = checksum(&[&[2, 100], &[1, 100]]);
        assert_eq!(
            Verdict::of_checksums(&same, &native),
            Verdict::SameRecords { records: 2 }
        );
        let other = checksum(&[&[1, 100], &[2, 200]]);
        let Verdict::Mismatch(detail) = Verdict::of_checksums(&other, &native) else {
            panic!("different records must not match");
        };
        assert!(
            detail.starts_with("same count (2) but different records"),
            "{detail}"
        );
        let fewer = checksum(&[&[1, 100]]);
        assert_eq!(
            Verdict::of_checksums(&fewer, &native),
            Verdict::Mismatch("Wasm emitted 1 records, native 2".into())
        );
    }

    #[test]
    fn a_row_fails_when_either_check_fails() {
        let ok = row(Verdict::SameCount { records: 5 }, None);
        assert!(ok.is_ok());
        let bad_sum = row(
            Verdict::SameCount { records: 5 },
            Some((1_000_000, Verdict::Mismatch("x".into()))),
        );
        assert!(!bad_sum.is_ok());
        let bad_count = row(Verdict::Mismatch("y".into()), None);
        assert_eq!(
            failures(&[ok, bad_sum, bad_count]),
            [
                "scenario b p=2 batch=512: ok: 5 out; 1.00 M-record file run: MISMATCH: x",
                "scenario b p=2 batch=512: MISMATCH: y",
            ]
        );
    }

    #[test]
    fn the_table_shows_rates_ratio_and_check() {
        let rows = [row(
            Verdict::SameCount { records: 100_000 },
            Some((1_000_000, Verdict::SameRecords { records: 10_000 })),
        )];
        let text = table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with("scenario       p  batch"), "{text}");
        // 10 M records in 2 s and 0.1 s: 5 and 100 M rec/s, 20 times apart.
        let cells: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            cells[..8],
            ["b", "keyed", "count", "2", "512", "10000000", "5.00", "100"],
            "{text}"
        );
        assert_eq!(cells[8], "20.0x");
        assert!(
            lines[1].ends_with("ok: 100000 out; 1.00 M-record file run: same records"),
            "{text}"
        );
        let json = to_json(&rows);
        assert_eq!(json[0]["native_over_wasm"], 20.0);
        assert_eq!(json[0]["ok"], true);
        assert_eq!(json[0]["scenario"], "b");
    }

    #[test]
    fn millions_keep_three_significant_digits() {
        assert_eq!(fmt_millions(1_234_567.0), "1.23");
        assert_eq!(fmt_millions(12_345_678.0), "12.3");
        assert_eq!(fmt_millions(123_456_789.0), "123");
    }
}
