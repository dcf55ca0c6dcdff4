//! Helpers shared by the end-to-end tests: run the real `weir` binary on a
//! job, with every guest component built from source by
//! `weir-test-artifacts`.
#![allow(dead_code)]

pub mod durable;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `weir` binary Cargo built for these tests.
pub fn weir() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weir"));
    cmd.env_remove("WEIR_MODULE_PATH")
        .env("WEIR_LOG", "warn")
        .arg("--verbose")
        .env("NO_COLOR", "1");
    cmd
}

/// The folder holding every guest component.
pub fn module_dir() -> PathBuf {
    let (_, any) = weir_test_artifacts::ALL
        .first()
        .expect("at least one guest is built");
    Path::new(any)
        .parent()
        .expect("components live in a folder")
        .to_owned()
}

/// The path of the component of guest package `name` (dashes or
/// underscores).
pub fn component(name: &str) -> PathBuf {
    let file = format!("{}.wasm", name.replace('-', "_"));
    let path = module_dir().join(file);
    assert!(
        path.is_file(),
        "no component for guest {name} at {}",
        path.display()
    );
    path
}

/// The workspace root. From `CARGO_MANIFEST_DIR` as `cargo test` sets it
/// when running the test (the compile-time value can name another checkout
/// when a target directory is shared).
pub fn workspace() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .ancestors()
        .nth(2)
        .expect("cluster/cli is two levels down")
        .to_owned()
}

/// Runs `weir run JOB` with the guest components on the module path.
pub fn run_job(job: &Path) -> Output {
    weir()
        .arg("run")
        .arg(job)
        .arg("--module-path")
        .arg(module_dir())
        .arg("--progress")
        .arg("never")
        .output()
        .expect("weir runs")
}

/// Stdout and stderr as text, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The lines of a file, sorted (for outputs of parallel jobs).
pub fn sorted_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

/// The folder of scenario case `name` (`tests/e2e/cases/<name>`).
pub fn case_dir(name: &str) -> PathBuf {
    workspace().join("tests/e2e/cases").join(name)
}

/// A scratch copy of the files of case `name` (not its folders, such as
/// `expected/`), so its job writes its output there.
pub fn scratch_case(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for entry in std::fs::read_dir(case_dir(name)).expect("the case exists") {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Loads the job in `dir` (its spec must be valid) and prepares it on
/// `engine`, with every guest on the module path.
pub fn prepare(
    engine: &weir_wasm::WasmEngine,
    dir: &Path,
) -> Result<weir_runtime::Job, weir_runtime::RuntimeError> {
    let spec = weir_spec::JobSpec::load(&dir.join("job.yaml")).expect("the job's spec is valid");
    let options = weir_runtime::RunOptions {
        module_path: vec![module_dir()],
        ..Default::default()
    };
    weir_runtime::Job::prepare(engine, spec, &options)
}

/// `weir run job.yaml` inside `dir` with every guest on the module path and
/// `extra` arguments. Both pipes are read while it runs (so a chatty job
/// cannot block on a full pipe); a run still going after `limit` is killed
/// and reported as hung — a guard, not a timing assertion.
pub fn run_weir(dir: &Path, extra: &[&str], limit: Duration) -> Result<Output, String> {
    let mut child = weir()
        .current_dir(dir)
        .args(["run", "job.yaml", "--progress", "never", "--module-path"])
        .arg(module_dir())
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start weir: {e}"))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child
            .try_wait()
            .map_err(|e| format!("waiting for weir: {e}"))?
        {
            Some(status) => break status,
            None if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                let stderr =
                    String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
                return Err(format!(
                    "weir was still running after {limit:?} and was killed\n--- stderr\n{stderr}"
                ));
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Reads a pipe to its end on another thread.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// The one `error:` line `weir` printed for a failed run, after checking that
/// the run failed and printed exactly one such line (`what` names the run in
/// failure messages).
pub fn error_line(what: &str, out: &Output) -> String {
    assert!(!out.status.success(), "{what} must fail\n{}", describe(out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{what}\n{}", describe(out));
    errors[0].to_owned()
}
