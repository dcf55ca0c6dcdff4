//! What `weir bench --durable` measured: checkpoints, their statistics,
//! and the tables (or JSON) they print as.

use std::time::Duration;

use serde_json::json;
use weir_runtime::{CheckpointReport, human_bytes};

use super::durable::Setup;
use super::table::{self, Align};

/// One completed periodic checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Checkpoint {
    pub(crate) id: u64,
    /// Seconds from the start of the job's tasks to its completion.
    pub(crate) at_secs: f64,
    /// Seconds from its trigger to its metadata being written.
    pub(crate) duration_secs: f64,
    /// Bytes of every file it references.
    pub(crate) size: u64,
    /// Bytes uploaded for it.
    pub(crate) uploaded: u64,
}

impl Checkpoint {
    /// The periodic checkpoints among the reports of a job that ran to its
    /// end, with when each completed (`at`, by id). A finished job's last
    /// report is the final checkpoint it writes after every task has
    /// ended, to record its sinks' last commits (no state): it is left
    /// out, as are savepoints.
    pub(crate) fn periodic(
        reports: &[CheckpointReport],
        at: impl Fn(u64) -> Option<Duration>,
    ) -> Vec<Checkpoint> {
        let periodic = reports.split_last().map_or(&[][..], |(_, rest)| rest);
        periodic
            .iter()
            .filter(|r| !r.savepoint)
            .map(|r| Checkpoint {
                id: r.id,
                at_secs: at(r.id).map_or(f64::NAN, |d| d.as_secs_f64()),
                duration_secs: r.duration.as_secs_f64(),
                size: r.size,
                uploaded: r.uploaded,
            })
            .collect()
    }
}

/// Summary of a run's checkpoints.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Stats {
    pub(crate) count: usize,
    pub(crate) mean_ms: f64,
    pub(crate) max_ms: f64,
    pub(crate) mean_size: u64,
    pub(crate) mean_uploaded: u64,
    pub(crate) total_uploaded: u64,
}

impl Stats {
    /// `None` without checkpoints.
    pub(crate) fn of(checkpoints: &[Checkpoint]) -> Option<Stats> {
        let n = checkpoints.len();
        if n == 0 {
            return None;
        }
        let ms = || checkpoints.iter().map(|c| c.duration_secs * 1e3);
        let size: u64 = checkpoints.iter().map(|c| c.size).sum();
        let uploaded: u64 = checkpoints.iter().map(|c| c.uploaded).sum();
        Some(Stats {
            count: n,
            mean_ms: ms().sum::<f64>() / n as f64,
            max_ms: ms().fold(0.0, f64::max),
            mean_size: size / n as u64,
            mean_uploaded: uploaded / n as u64,
            total_uploaded: uploaded,
        })
    }
}

/// One throughput run of scenario (c).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub(crate) setup: Setup,
    /// Records generated.
    pub(crate) records: u64,
    /// Wall-clock seconds from starting the tasks to the job's end.
    pub(crate) secs: f64,
    pub(crate) checkpoints: Vec<Checkpoint>,
}

impl Row {
    pub(crate) fn rate(&self) -> f64 {
        self.records as f64 / self.secs.max(1e-9)
    }
}

/// This row's rate over that of the RocksDB run without checkpoints.
fn ratio(row: &Row, rows: &[Row]) -> Option<f64> {
    let base = rows.iter().find(|r| r.setup == Setup::RocksDb)?;
    Some(row.rate() / base.rate())
}

/// The throughput runs as a table: rates in thousands of generated
/// records per second, checkpoint columns as means over the run.
pub(crate) fn throughput_table(rows: &[Row]) -> String {
    let header = [
        "state",
        "records",
        "secs",
        "K rec/s",
        "vs rocksdb",
        "checkpoints",
        "ms mean / max",
        "checkpointed",
        "uploaded",
    ];
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            let stats = Stats::of(&r.checkpoints);
            let ckpt = |f: &dyn Fn(&Stats) -> String| stats.as_ref().map_or("-".to_owned(), f);
            let count = match (&r.setup, &stats) {
                (Setup::Checkpoints { .. }, None) => "0".to_owned(),
                _ => ckpt(&|s| s.count.to_string()),
            };
            [
                r.setup.label().to_owned(),
                r.records.to_string(),
                format!("{:.1}", r.secs),
                format!("{:.0}", r.rate() / 1e3),
                ratio(r, rows).map_or("-".to_owned(), |x| format!("{x:.2}x")),
                count,
                ckpt(&|s| format!("{:.0} / {:.0}", s.mean_ms, s.max_ms)),
                ckpt(&|s| human_bytes(s.mean_size)),
                ckpt(&|s| human_bytes(s.mean_uploaded)),
            ]
        })
        .collect();
    use Align::{Free, Left, Right};
    let align = [Left, Right, Right, Right, Right, Right, Right, Right, Free];
    table::aligned(header, &cells, align)
}

/// One run of the keyed count whose state grows.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GrowthRun {
    pub(crate) incremental: bool,
    pub(crate) records: u64,
    pub(crate) secs: f64,
    /// Keyed state held at the end, as the backend counts it.
    pub(crate) state_bytes: u64,
    pub(crate) checkpoints: Vec<Checkpoint>,
}

impl GrowthRun {
    pub(crate) fn label(&self) -> &'static str {
        if self.incremental {
            "incremental"
        } else {
            "full"
        }
    }
}

/// One line per checkpoint of a growth run, then its totals.
pub(crate) fn growth_table(run: &GrowthRun) -> String {
    let header = ["id", "at s", "checkpointed", "uploaded", "ms"];
    let cells: Vec<[String; 5]> = run
        .checkpoints
        .iter()
        .map(|c| {
            [
                c.id.to_string(),
                format!("{:.1}", c.at_secs),
                human_bytes(c.size),
                human_bytes(c.uploaded),
                format!("{:.0}", c.duration_secs * 1e3),
            ]
        })
        .collect();
    let mut text = table::aligned(header, &cells, [Align::Right; 5]);
    let totals = match Stats::of(&run.checkpoints) {
        Some(s) => format!(
            "{} checkpoints, {} uploaded in all, {:.0} ms mean",
            s.count,
            human_bytes(s.total_uploaded),
            s.mean_ms
        ),
        None => "no checkpoint completed".to_owned(),
    };
    text.push_str(&format!(
        "{totals}; {} records in {:.1} s; keyed state at the end: {}\n",
        run.records,
        run.secs,
        human_bytes(run.state_bytes)
    ));
    text
}

fn checkpoints_json(checkpoints: &[Checkpoint]) -> serde_json::Value {
    checkpoints
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "at_secs": c.at_secs,
                "duration_ms": c.duration_secs * 1e3,
                "checkpointed_bytes": c.size,
                "uploaded_bytes": c.uploaded,
            })
        })
        .collect()
}

/// Both parts as JSON.
pub(crate) fn to_json(rows: &[Row], growth: &[GrowthRun]) -> serde_json::Value {
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "state": r.setup.label(),
                "records": r.records,
                "secs": r.secs,
                "records_per_sec": r.rate(),
                "over_rocksdb": ratio(r, rows),
                "checkpoints": checkpoints_json(&r.checkpoints),
            })
        })
        .collect();
    let growth: Vec<_> = growth
        .iter()
        .map(|g| {
            json!({
                "checkpoints_kind": g.label(),
                "records": g.records,
                "secs": g.secs,
                "state_bytes": g.state_bytes,
                "checkpoints": checkpoints_json(&g.checkpoints),
            })
        })
        .collect();
    json!({ "throughput": rows, "growth": growth })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint(id: u64, ms: u64, size: u64, uploaded: u64) -> Checkpoint {
        Checkpoint {
            id,
            at_secs: id as f64 * 10.0,
            duration_secs: ms as f64 / 1e3,
            size,
            uploaded,
        }
    }

    fn report(id: u64, savepoint: bool) -> CheckpointReport {
        CheckpointReport {
            id,
            savepoint,
            duration: Duration::from_millis(100 * id),
            size: 1000 * id,
            uploaded: 10 * id,
            location: format!("/tmp/chk-{id}"),
        }
    }

    #[test]
    fn the_final_checkpoint_and_savepoints_are_not_periodic() {
        let reports = [
            report(1, false),
            report(2, true),
            report(3, false),
            report(4, false),
        ];
        let at = |id| (id != 3).then(|| Duration::from_millis(1500 * id));
        let periodic = Checkpoint::periodic(&reports, at);
        assert_eq!(periodic.len(), 2);
        assert_eq!(periodic[0], checkpoint(1, 100, 1000, 10).with_at(1.5));
        assert_eq!(periodic[1].id, 3);
        assert!(periodic[1].at_secs.is_nan(), "no completion time known");
        assert!(Checkpoint::periodic(&reports[..1], at).is_empty());
        assert!(Checkpoint::periodic(&[], at).is_empty());
    }

    impl Checkpoint {
        fn with_at(self, at_secs: f64) -> Checkpoint {
            Checkpoint { at_secs, ..self }
        }
    }

    #[test]
    fn stats_are_means_max_and_total() {
        assert_eq!(Stats::of(&[]), None);
        let stats = Stats::of(&[
            checkpoint(1, 100, 1000, 1000),
            checkpoint(2, 400, 2000, 500),
            checkpoint(3, 100, 3000, 0),
        ])
        .unwrap();
        assert_eq!(stats.count, 3);
        assert!((stats.mean_ms - 200.0).abs() < 1e-9, "{stats:?}");
        assert!((stats.max_ms - 400.0).abs() < 1e-9, "{stats:?}");
        assert_eq!(stats.mean_size, 2000);
        assert_eq!(stats.mean_uploaded, 500);
        assert_eq!(stats.total_uploaded, 1500);
    }

    fn row(setup: Setup, secs: f64, checkpoints: Vec<Checkpoint>) -> Row {
        Row {
            setup,
            records: 1_000_000,
            secs,
            checkpoints,
        }
    }

    #[test]
    fn the_throughput_table_compares_with_rocksdb_without_checkpoints() {
        let rows = [
            row(Setup::Heap, 1.0, vec![]),
            row(Setup::RocksDb, 2.0, vec![]),
            row(
                Setup::Checkpoints { incremental: true },
                2.5,
                vec![
                    checkpoint(1, 100, 2048, 2048),
                    checkpoint(2, 300, 2048, 1024),
                ],
            ),
            row(Setup::Checkpoints { incremental: false }, 4.0, vec![]),
        ];
        let text = throughput_table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[0].starts_with("state "), "{text}");
        let cells = |line: &str| {
            line.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            cells(lines[1]),
            [
                "heap", "1000000", "1.0", "1000", "2.00x", "-", "-", "-", "-"
            ]
        );
        assert_eq!(
            cells(lines[2]),
            [
                "rocksdb", "1000000", "2.0", "500", "1.00x", "-", "-", "-", "-"
            ]
        );
        assert_eq!(
            cells(lines[3]),
            [
                "rocksdb + incremental checkpoints",
                "1000000",
                "2.5",
                "400",
                "0.80x",
                "2",
                "200 / 300",
                "2.0 KiB",
                "1.5 KiB"
            ]
        );
        // Checkpoints were asked for but none completed.
        assert_eq!(cells(lines[4])[5], "0");

        let json = to_json(&rows, &[]);
        assert_eq!(json["throughput"][2]["over_rocksdb"], 0.8);
        assert_eq!(
            json["throughput"][2]["checkpoints"][1]["uploaded_bytes"],
            1024
        );
        assert_eq!(json["throughput"][0]["records_per_sec"], 1e6);
    }

    #[test]
    fn a_growth_run_prints_a_line_per_checkpoint_and_totals() {
        let run = GrowthRun {
            incremental: false,
            records: 5_000_000,
            secs: 20.04,
            state_bytes: 3 << 20,
            checkpoints: vec![
                checkpoint(1, 120, 1 << 20, 1 << 20),
                checkpoint(2, 240, 2 << 20, 2 << 20),
            ],
        };
        let text = growth_table(&run);
        assert_eq!(
            text,
            "id  at s  checkpointed  uploaded   ms\n \
             1  10.0       1.0 MiB   1.0 MiB  120\n \
             2  20.0       2.0 MiB   2.0 MiB  240\n\
             2 checkpoints, 3.0 MiB uploaded in all, 180 ms mean; \
             5000000 records in 20.0 s; keyed state at the end: 3.0 MiB\n"
        );
        let json = to_json(&[], &[run]);
        assert_eq!(json["growth"][0]["checkpoints_kind"], "full");
        assert_eq!(json["growth"][0]["checkpoints"][0]["at_secs"], 10.0);
    }
}
