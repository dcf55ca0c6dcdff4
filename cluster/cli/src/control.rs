//! The control endpoint of a job `weir run` is running: how `weir
//! savepoint` and `weir stop` reach it.
//!
//! `weir run` listens on a loopback port and writes its address to
//! `.weir/run/<job name>.addr` beside the job spec. A client connects,
//! sends one JSON line (`{"savepoint":{"target":null,"stop":false}}`) and
//! reads one JSON line back (`{"ok":"<location>"}` or `{"error":"..."}`).
//! The cluster's REST API will replace this; it is deliberately tiny.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use crossbeam_channel::Sender;
use serde::{Deserialize, Serialize};
use weir_runtime::SavepointRequest;

/// A request on the control endpoint.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Request {
    /// Take a savepoint (and maybe stop).
    Savepoint { target: Option<String>, stop: bool },
}

/// The answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reply {
    Ok(String),
    Error(String),
}

/// Where a running job's address is written.
pub(crate) fn address_file(spec_dir: &Path, job: &str) -> PathBuf {
    spec_dir
        .join(".weir")
        .join("run")
        .join(format!("{job}.addr"))
}

/// Serves the control endpoint of a running job until the process ends.
/// Removes the address file when dropped.
pub(crate) struct ControlServer {
    file: PathBuf,
}

impl ControlServer {
    /// Listens on loopback and writes the address file.
    pub(crate) fn start(file: PathBuf, requests: Sender<SavepointRequest>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").context("opening the control endpoint")?;
        let addr = listener.local_addr()?;
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&file, format!("{addr}\n"))
            .with_context(|| format!("writing {}", file.display()))?;
        std::thread::Builder::new()
            .name("weir-control".to_owned())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let requests = requests.clone();
                    std::thread::spawn(move || {
                        if let Err(e) = serve(stream, &requests) {
                            tracing::warn!(error = %e, "control request failed");
                        }
                    });
                }
            })?;
        tracing::info!(%addr, file = %file.display(), "control endpoint");
        Ok(ControlServer { file })
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
    }
}

fn serve(stream: TcpStream, requests: &Sender<SavepointRequest>) -> anyhow::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let reply = match serde_json::from_str::<Request>(&line) {
        Err(e) => Reply::Error(format!("bad request: {e}")),
        Ok(Request::Savepoint { target, stop }) => {
            let (tx, rx) = crossbeam_channel::bounded(1);
            let request = SavepointRequest {
                target,
                stop,
                reply: tx,
            };
            match requests.send(request) {
                Err(_) => Reply::Error("the job has ended".to_owned()),
                Ok(()) => match rx.recv() {
                    Ok(Ok(location)) => Reply::Ok(location),
                    Ok(Err(e)) => Reply::Error(e),
                    Err(_) => {
                        Reply::Error("the job ended before the savepoint completed".to_owned())
                    }
                },
            }
        }
    };
    let mut stream = stream;
    writeln!(stream, "{}", serde_json::to_string(&reply)?)?;
    Ok(())
}

/// Asks the job whose address is in `file` for a savepoint; returns its
/// location.
pub(crate) fn request_savepoint(
    file: &Path,
    target: Option<String>,
    stop: bool,
) -> anyhow::Result<String> {
    let addr = std::fs::read_to_string(file).with_context(|| {
        format!(
            "no running job found: {} does not exist (is `weir run` running this job?)",
            file.display()
        )
    })?;
    let addr = addr.trim();
    let stream = TcpStream::connect(addr)
        .with_context(|| format!("cannot reach the job at {addr} (from {})", file.display()))?;
    let mut writer = stream.try_clone()?;
    writeln!(
        writer,
        "{}",
        serde_json::to_string(&Request::Savepoint { target, stop })?
    )?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    match serde_json::from_str::<Reply>(&line)
        .with_context(|| format!("unexpected answer from the job: {line:?}"))?
    {
        Reply::Ok(location) => Ok(location),
        Reply::Error(e) => bail!("{e}"),
    }
}
