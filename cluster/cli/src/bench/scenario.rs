//! The three bench scenarios and the job spec each one runs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Distinct keys of the generator: record `i` has key `i % KEYS`.
pub(crate) const KEYS: u64 = 10_000;

/// What a bench run computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub(crate) enum Scenario {
    /// (a) Stateless: map `v → 3v + 1`, then keep `v & 7 != 0`, as two Wasm
    /// UDFs chained with the source.
    #[value(name = "a")]
    MapFilter,
    /// (b) A keyed count in heap state through a Wasm operator.
    #[value(name = "b")]
    KeyedCount,
    /// (c) A 1-second event-time tumbling window sum per key.
    #[value(name = "c")]
    WindowSum,
}

/// The bench guests' component files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Modules {
    pub(crate) map: PathBuf,
    pub(crate) filter: PathBuf,
    pub(crate) count: PathBuf,
    pub(crate) window_sum: PathBuf,
}

impl Modules {
    /// The guest packages, in the order of the fields.
    pub(crate) const PACKAGES: [&str; 4] = [
        "bench-map",
        "bench-filter",
        "bench-count",
        "bench-window-sum",
    ];

    /// The components of [`PACKAGES`](Self::PACKAGES) in `dir`, named as
    /// `weir build` names them.
    pub(crate) fn in_dir(dir: &Path) -> Modules {
        let file = |package: &str| dir.join(format!("{}.wasm", package.replace('-', "_")));
        let [map, filter, count, window_sum] = Modules::PACKAGES.map(file);
        Modules {
            map,
            filter,
            count,
            window_sum,
        }
    }

    pub(crate) fn all(&self) -> [&Path; 4] {
        [&self.map, &self.filter, &self.count, &self.window_sum]
    }
}

/// Where a bench job's output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Output {
    /// A discard sink: counted, not kept (timed runs).
    Discard,
    /// A file sink writing values under this path (verification runs).
    Files(PathBuf),
}

/// One job to run.
#[derive(Clone, Debug)]
pub(crate) struct JobParams<'a> {
    pub(crate) records: u64,
    pub(crate) batch_size: usize,
    pub(crate) parallelism: u32,
    pub(crate) modules: &'a Modules,
    pub(crate) output: Output,
}

impl Scenario {
    #[cfg(test)]
    pub(crate) const ALL: [Scenario; 3] = [
        Scenario::MapFilter,
        Scenario::KeyedCount,
        Scenario::WindowSum,
    ];

    /// `a`, `b` or `c`, as in the issue.
    pub(crate) fn letter(self) -> &'static str {
        match self {
            Scenario::MapFilter => "a",
            Scenario::KeyedCount => "b",
            Scenario::WindowSum => "c",
        }
    }

    /// A short description for the table.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Scenario::MapFilter => "map+filter (udf)",
            Scenario::KeyedCount => "keyed count",
            Scenario::WindowSum => "1 s window sum",
        }
    }

    /// How many records a run generates by default: about 1–3 s of Wasm
    /// work each on a 2-core machine in release.
    pub(crate) fn default_records(self) -> u64 {
        match self {
            Scenario::MapFilter => 4_000_000,
            Scenario::KeyedCount => 3_000_000,
            Scenario::WindowSum => 1_000_000,
        }
    }

    /// How many little-endian `u64` words each output record's value holds:
    /// `v`; `key | count`; `key | window start | sum`.
    pub(crate) fn words(self) -> usize {
        match self {
            Scenario::MapFilter => 1,
            Scenario::KeyedCount => 2,
            Scenario::WindowSum => 3,
        }
    }

    /// The job spec as YAML: generator → the scenario's operators → sink,
    /// every node with the same parallelism (so (a) is one chain per
    /// subtask, and (b) and (c) have one keyed exchange).
    pub(crate) fn job_yaml(self, params: &JobParams<'_>) -> String {
        let JobParams {
            records,
            batch_size,
            parallelism: p,
            modules,
            ..
        } = params;
        let mut yaml = format!(
            "name: bench-{letter}\n\
             batch_size: {batch_size}\n\
             sources:\n  \
             - {{ id: gen, type: generator, count: {records}, keys: {KEYS}, value: u64_le, parallelism: {p} }}\n\
             operators:\n",
            letter = self.letter(),
        );
        let operators: Vec<(&str, &Path, bool)> = match self {
            Scenario::MapFilter => vec![
                ("map", &modules.map, false),
                ("filter", &modules.filter, false),
            ],
            Scenario::KeyedCount => vec![("count", &modules.count, true)],
            Scenario::WindowSum => vec![("window", &modules.window_sum, true)],
        };
        for (id, module, keyed) in &operators {
            let key_by = if *keyed { ", key_by: record" } else { "" };
            let module = quoted(&module.display().to_string());
            writeln!(
                yaml,
                "  - {{ id: {id}, module: {module}, parallelism: {p}{key_by} }}"
            )
            .expect("writing to a String");
        }
        let sink = match &params.output {
            Output::Discard => "type: discard".to_owned(),
            Output::Files(path) => format!(
                "type: file, path: {}, format: value",
                quoted(&path.display().to_string())
            ),
        };
        writeln!(
            yaml,
            "sinks:\n  - {{ id: out, {sink}, parallelism: {p} }}\nedges:"
        )
        .expect("writing to a String");
        let mut from = "gen";
        for (id, _, _) in &operators {
            writeln!(yaml, "  - {{ from: {from}, to: {id} }}").expect("writing to a String");
            from = id;
        }
        writeln!(yaml, "  - {{ from: {from}, to: out }}").expect("writing to a String");
        yaml
    }
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
pub(crate) fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

#[cfg(test)]
mod tests {
    use weir_spec::{JobSpec, Partitioning, SinkKind};

    use super::*;

    fn params<'a>(modules: &'a Modules, output: Output) -> JobParams<'a> {
        JobParams {
            records: 1_000,
            batch_size: 64,
            parallelism: 2,
            modules,
            output,
        }
    }

    #[test]
    fn every_scenario_is_a_valid_job() {
        let modules = Modules::in_dir(Path::new("/guests dir"));
        for scenario in Scenario::ALL {
            for output in [Output::Discard, Output::Files("/tmp/out \"x\"".into())] {
                let yaml = scenario.job_yaml(&params(&modules, output.clone()));
                let spec = JobSpec::from_yaml_str(&yaml, Path::new("bench.yaml"))
                    .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
                assert_eq!(spec.batch_size, 64);
                assert!(spec.nodes().all(|n| n.parallelism() == 2), "{yaml}");
                let sink = &spec.sinks[0].kind;
                match output {
                    Output::Discard => assert!(matches!(sink, SinkKind::Discard(_))),
                    Output::Files(_) => assert!(matches!(sink, SinkKind::File(_))),
                }
            }
        }
    }

    #[test]
    fn stateless_jobs_chain_and_keyed_jobs_exchange_by_key() {
        let modules = Modules::in_dir(Path::new("/g"));
        let parse = |s: Scenario| {
            let yaml = s.job_yaml(&params(&modules, Output::Discard));
            JobSpec::from_yaml_str(&yaml, Path::new("bench.yaml")).unwrap()
        };
        let a = parse(Scenario::MapFilter);
        assert_eq!(a.topological_order(), ["gen", "map", "filter", "out"]);
        assert!(
            a.edges
                .iter()
                .all(|e| a.partitioning(e) == Partitioning::Forward)
        );
        assert_eq!(a.operators[0].module, "/g/bench_map.wasm");
        let c = parse(Scenario::WindowSum);
        let kinds: Vec<_> = c.edges.iter().map(|e| c.partitioning(e)).collect();
        assert_eq!(kinds, [Partitioning::Keyed, Partitioning::Forward]);
        assert_eq!(c.operators[0].module, "/g/bench_window_sum.wasm");
    }
}
