//! What the bench ran on: core count and load, printed above the table.

use serde_json::json;

/// The machine and how busy it was.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Machine {
    /// Cores available to this process.
    pub(crate) cores: usize,
    /// The CPU's model name, when `/proc/cpuinfo` tells.
    pub(crate) cpu: Option<String>,
}

impl Machine {
    pub(crate) fn detect() -> Machine {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, name)| name.trim().to_owned())
            });
        Machine { cores, cpu }
    }

    pub(crate) fn describe(&self) -> String {
        let cpu = self.cpu.as_deref().unwrap_or("unknown CPU");
        format!("nproc {}, {cpu}", self.cores)
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        json!({ "nproc": self.cores, "cpu": self.cpu })
    }
}

/// The 1, 5 and 15 minute load averages from `/proc/loadavg`.
pub(crate) fn load_average() -> Option<[f64; 3]> {
    parse_loadavg(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    Some([
        fields.next()?.ok()?,
        fields.next()?.ok()?,
        fields.next()?.ok()?,
    ])
}

/// `load average 1.02 0.87 0.55` (1, 5, 15 minutes).
pub(crate) fn describe_load(load: Option<[f64; 3]>) -> String {
    match load {
        Some([a, b, c]) => format!("load average {a:.2} {b:.2} {c:.2} (1, 5, 15 min)"),
        None => "load average unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loadavg_is_the_first_three_fields() {
        assert_eq!(
            parse_loadavg("0.52 2.29 3.95 3/412 12345\n"),
            Some([0.52, 2.29, 3.95])
        );
        assert_eq!(parse_loadavg("garbage"), None);
        assert_eq!(
            describe_load(Some([0.5, 1.0, 2.25])),
            "load average 0.50 1.00 2.25 (1, 5, 15 min)"
        );
    }
}
