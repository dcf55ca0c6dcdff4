//! One `cargo build` of one guest package, returning its core module.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::Deserialize;

use crate::{BuildError, GuestPackage, Toolchain};

/// How many lines of cargo's stderr an error shows.
const STDERR_TAIL_LINES: usize = 40;

/// A `compiler-artifact` message of `--message-format=json`.
#[derive(Debug, Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    package_id: String,
    #[serde(default)]
    target: Option<Target>,
    #[serde(default)]
    filenames: Vec<PathBuf>,
}

#[derive(Debug, Deserialize)]
struct Target {
    kind: Vec<String>,
}

/// Builds `guest`'s library for wasm into `target_dir` and returns the path
/// of its core module. With `echo`, cargo's progress goes to our stderr.
pub(crate) fn build_core_module(
    toolchain: &Toolchain,
    guest: &GuestPackage,
    target_dir: &Path,
    echo: bool,
) -> Result<PathBuf, BuildError> {
    let mut command = toolchain.build_command();
    command
        .arg("--manifest-path")
        .arg(&guest.manifest_path)
        .args([
            "-p",
            &guest.name,
            "--lib",
            "--message-format=json-render-diagnostics",
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tracing::debug!(package = %guest.name, ?command, "building guest");
    let mut child = command
        .spawn()
        .map_err(|e| BuildError::spawn(toolchain.cargo().display(), e))?;

    let stderr = child.stderr.take().expect("stderr is piped");
    let stderr_reader = std::thread::spawn(move || tail_of(stderr, echo));

    let stdout = child.stdout.take().expect("stdout is piped");
    let mut module = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| BuildError::io("<cargo stdout>", e))?;
        if let Some(path) = wasm_artifact(&line, &guest.id) {
            module = Some(path);
        }
    }
    let status = child
        .wait()
        .map_err(|e| BuildError::spawn(toolchain.cargo().display(), e))?;
    let stderr_tail = stderr_reader.join().unwrap_or_default();
    if !status.success() {
        return Err(BuildError::Cargo {
            package: guest.name.clone(),
            status: status.to_string(),
            stderr_tail,
        });
    }
    module.ok_or_else(|| BuildError::NoArtifact {
        package: guest.name.clone(),
    })
}

/// The `.wasm` file of a cdylib artifact message for `package_id`, if `line` is one.
fn wasm_artifact(line: &str, package_id: &str) -> Option<PathBuf> {
    let message: Message = serde_json::from_str(line).ok()?;
    if message.reason != "compiler-artifact" || message.package_id != package_id {
        return None;
    }
    let is_cdylib = message
        .target
        .is_some_and(|target| target.kind.iter().any(|kind| kind == "cdylib"));
    if !is_cdylib {
        return None;
    }
    message
        .filenames
        .into_iter()
        .find(|file| file.extension().is_some_and(|ext| ext == "wasm"))
}

/// Reads `stream` to the end, echoing it if asked, and keeps its last lines.
fn tail_of(stream: impl std::io::Read, echo: bool) -> String {
    let mut tail = VecDeque::with_capacity(STDERR_TAIL_LINES);
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { break };
        if echo {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
        if tail.len() == STDERR_TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    Vec::from(tail).join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "path+file:///w/tests/guests/minimal-udf#0.1.0";

    #[test]
    fn the_wasm_file_of_the_guest_cdylib_is_found() {
        let line = format!(
            r#"{{"reason":"compiler-artifact","package_id":"{ID}","target":{{"kind":["cdylib","rlib"],"name":"minimal_udf"}},"filenames":["/t/release/libminimal_udf.rlib","/t/release/minimal_udf.wasm"],"fresh":true}}"#
        );
        assert_eq!(
            wasm_artifact(&line, ID),
            Some(PathBuf::from("/t/release/minimal_udf.wasm"))
        );
    }

    #[test]
    fn other_packages_messages_and_garbage_are_ignored() {
        let other = r#"{"reason":"compiler-artifact","package_id":"registry+x#std@0.0.0","target":{"kind":["lib"]},"filenames":["/t/libstd.rlib"]}"#;
        let finished = r#"{"reason":"build-finished","success":true}"#;
        let rlib_only = format!(
            r#"{{"reason":"compiler-artifact","package_id":"{ID}","target":{{"kind":["rlib"]}},"filenames":["/t/x.rlib"]}}"#
        );
        for line in [other, finished, rlib_only.as_str(), "not json", ""] {
            assert_eq!(wasm_artifact(line, ID), None, "{line}");
        }
    }

    #[test]
    fn the_tail_keeps_the_last_lines() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let tail = tail_of(text.as_bytes(), false);
        let lines: Vec<_> = tail.lines().collect();
        assert_eq!(lines.len(), STDERR_TAIL_LINES);
        assert_eq!(lines.last(), Some(&"line 99"));
        assert_eq!(lines[0], format!("line {}", 100 - STDERR_TAIL_LINES));
    }
}
