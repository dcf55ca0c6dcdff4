//! Durable jobs for the end-to-end tests: a paced generator into the
//! `running-count` guest (which emits `key count` for every record, so any
//! record lost or repeated changes the output), `weir run` in the
//! background with its stderr on a channel, and checks of the output.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{describe, module_dir, weir};

/// Longest any single run may take before the test calls it hung.
pub const LIMIT: Duration = Duration::from_secs(120);

/// The `checkpoints:` line of a [`JobShape`]'s spec (tests add settings by
/// replacing it).
pub const CHECKPOINTS: &str = "checkpoints: { interval_ms: 150 }";

/// A job over a paced generator into the running counter.
pub struct JobShape<'a> {
    pub state: &'a str,
    pub count: u64,
    pub keys: u64,
    pub rate: Option<u64>,
    pub count_parallelism: u32,
    pub sink_parallelism: u32,
    pub checkpoints: bool,
}

impl JobShape<'_> {
    pub fn yaml(&self) -> String {
        let rate = self
            .rate
            .map_or(String::new(), |r| format!(", rate_per_sec: {r}"));
        let checkpoints = if self.checkpoints {
            format!("{CHECKPOINTS}\nrestart: {{ strategy: none }}\n")
        } else {
            String::new()
        };
        format!(
            "name: durable-count\nbatch_size: 50\nstate: {state}\n{checkpoints}\
             sources:\n  - {{ id: gen, type: generator, count: {count}, keys: {keys}{rate} }}\n\
             operators:\n  - {{ id: count, module: running_count.wasm, parallelism: {cp}, key_by: record }}\n\
             sinks:\n  - {{ id: out, type: file, path: out, parallelism: {sp} }}\n\
             edges:\n  - {{ from: gen, to: count }}\n  - {{ from: count, to: out }}\n",
            state = self.state,
            count = self.count,
            keys = self.keys,
            cp = self.count_parallelism,
            sp = self.sink_parallelism,
        )
    }

    pub fn write(&self, dir: &Path) {
        std::fs::write(dir.join("job.yaml"), self.yaml()).unwrap();
    }
}

/// A `weir run` in the background whose stderr lines arrive on a channel.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    pub fn start(dir: &Path, extra: &[&str]) -> Running {
        let mut child = weir()
            .current_dir(dir)
            .args(["run", "job.yaml", "--progress", "never", "--module-path"])
            .arg(module_dir())
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("weir starts");
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits until a line containing `needle` appears; false if the
    /// process ended first.
    pub fn wait_for(&mut self, needle: &str) -> bool {
        let started = Instant::now();
        while started.elapsed() < LIMIT {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let hit = line.contains(needle);
                    self.seen.push(line);
                    if hit {
                        return true;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            }
        }
        panic!("no `{needle}` after {LIMIT:?}:\n{}", self.seen.join("\n"));
    }

    /// Kills the process with SIGKILL.
    pub fn kill(self) {
        self.kill_and_collect();
    }

    /// Kills the process with SIGKILL; returns everything it printed.
    pub fn kill_and_collect(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.seen.extend(self.lines.iter());
        self.seen.join("\n")
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The lines printed so far that [`Self::wait_for`] has seen.
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    /// Waits for the end; returns success and everything it printed.
    pub fn finish(mut self) -> (bool, String) {
        let status = self.child.wait().expect("weir ends");
        self.seen.extend(self.lines.iter());
        (status.success(), self.seen.join("\n"))
    }
}

/// Starts the job in `dir` and waits until checkpoint `n` completed.
pub fn run_until_checkpoint(dir: &Path, n: u64) -> Running {
    let mut run = Running::start(dir, &[]);
    let needle = format!("checkpoint {n} complete");
    assert!(run.wait_for(&needle), "{}", run.seen.join("\n"));
    run
}

/// A small deterministic generator of pauses.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

pub fn has_checkpoint(dir: &Path) -> bool {
    let root = dir.join(".weir/checkpoints/durable-count");
    std::fs::read_dir(&root)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.path().join("_metadata").is_file())
        })
        .unwrap_or(false)
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The failure-free output of the job: no checkpoints, no pacing.
pub fn reference(shape: &JobShape<'_>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    JobShape {
        rate: None,
        checkpoints: false,
        ..*shape
    }
    .write(dir.path());
    let out = super::run_weir(dir.path(), &[], LIMIT).unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    dir
}

/// Checks that every key's counts in `out` are exactly `1..=n`, once each,
/// and that the keys' totals add up to `count`.
pub fn assert_exactly_once(out: &Path, count: u64) {
    let mut by_key: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let text = String::from_utf8(read(out)).unwrap();
    for line in text.lines() {
        let (key, n) = line.split_once(' ').expect("`key count` lines");
        by_key
            .entry(key.to_owned())
            .or_default()
            .push(n.parse().unwrap());
    }
    let mut total = 0;
    for (key, mut counts) in by_key {
        counts.sort_unstable();
        let n = counts.len() as u64;
        assert!(
            counts.iter().copied().eq(1..=n),
            "key {key}: counts are not exactly 1..={n}: {:?}",
            &counts[..counts.len().min(20)]
        );
        total += n;
    }
    assert_eq!(total, count, "every record is counted once");
}
