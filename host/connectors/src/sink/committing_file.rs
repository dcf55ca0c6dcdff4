//! A file sink that publishes exactly once, by two-phase commit over
//! checkpoints.
//!
//! Records go to a hidden *work file* beside the output. At a checkpoint
//! barrier the work file is synced and becomes a *pending segment* of that
//! checkpoint (pre-commit); when the checkpoint completes, pending segments
//! are appended to the output in order and deleted (commit). The output
//! therefore only ever holds data of completed checkpoints, and has the same
//! name and contents as a run without checkpoints.
//!
//! Commits are idempotent, so a restore can redo them: each segment records
//! the output's length before it (`base`). Committing finds the output at
//! `base` (append), at `base + len` (already done), or longer (a later
//! segment was committed before a failure and is cut off first); shorter
//! means the output was changed outside Weir and fails. After a restore the
//! output is cut back to the end of the checkpoint's segments, so data of
//! later (uncommitted from this checkpoint's view) attempts never remains.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use weir_spec::FileSinkSpec;
use weir_types::Record;

use super::lines::LineSink;
use super::{Sink, SinkPrecommit};
use crate::{ConnectorError, Result};

/// Checkpoint id of the segment pre-committed when the input ends.
pub const FINAL_CHECKPOINT: u64 = u64::MAX;

/// What a checkpoint stores for one subtask: enough to commit its pending
/// segments again and to cut the output back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSinkState {
    /// The output file.
    pub path: PathBuf,
    /// Bytes of the output committed when the first pending segment was
    /// started.
    pub committed_len: u64,
    /// Segments pre-committed and not yet known to be committed, in order.
    pub pending: Vec<Segment>,
}

/// One pre-committed work file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// The checkpoint it belongs to.
    pub checkpoint: u64,
    /// The work file.
    pub file: PathBuf,
    /// Output length before it.
    pub base: u64,
    /// Its length.
    pub len: u64,
}

impl FileSinkState {
    /// Output length once every pending segment is committed.
    fn end(&self) -> u64 {
        self.pending
            .last()
            .map_or(self.committed_len, |s| s.base + s.len)
    }
}

/// The work file being written.
#[derive(Debug)]
struct Current {
    path: PathBuf,
    lines: LineSink<File>,
}

/// Subtask of a file sink under exactly-once checkpoints.
#[derive(Debug)]
pub struct CommittingFileSink {
    id: String,
    spec: FileSinkSpec,
    state: FileSinkState,
    current: Option<Current>,
    /// Counts work files, for unique names.
    next_work: u64,
}

impl CommittingFileSink {
    /// Subtask `subtask` of `parallelism` of the sink `id`. With
    /// `restored`, first finishes what that checkpoint pre-committed and
    /// cuts the output back to it; without, starts an empty output.
    pub fn open(
        id: &str,
        spec: &FileSinkSpec,
        subtask: u32,
        parallelism: u32,
        restored: Option<&serde_json::Value>,
    ) -> Result<Self> {
        let path = super::file::output_path(spec, subtask, parallelism);
        let io_err = |target: &Path, source| ConnectorError::SinkIo {
            id: id.to_owned(),
            target: target.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
        }
        let state = match restored {
            Some(value) => {
                let state: FileSinkState =
                    serde_json::from_value(value.clone()).map_err(|e| ConnectorError::Config {
                        id: id.to_owned(),
                        message: format!("checkpointed file sink state is invalid: {e}"),
                    })?;
                if state.path != path {
                    return Err(ConnectorError::Config {
                        id: id.to_owned(),
                        message: format!(
                            "the checkpoint wrote {}, this job writes {}: restore with the same sink path and parallelism",
                            state.path.display(),
                            path.display()
                        ),
                    });
                }
                recover(id, &state)?;
                FileSinkState {
                    path: path.clone(),
                    committed_len: state.end(),
                    pending: Vec::new(),
                }
            }
            None => {
                File::create(&path).map_err(|e| io_err(&path, e))?;
                FileSinkState {
                    path: path.clone(),
                    committed_len: 0,
                    pending: Vec::new(),
                }
            }
        };
        remove_stray_work_files(&path);
        Ok(CommittingFileSink {
            id: id.to_owned(),
            spec: spec.clone(),
            state,
            current: None,
            next_work: 0,
        })
    }

    /// The output file.
    pub fn path(&self) -> &Path {
        &self.state.path
    }

    fn io_err(&self, target: &Path, source: io::Error) -> ConnectorError {
        ConnectorError::SinkIo {
            id: self.id.clone(),
            target: target.display().to_string(),
            source,
        }
    }

    fn current(&mut self) -> Result<&mut Current> {
        if self.current.is_none() {
            let path = work_file(&self.state.path, std::process::id(), self.next_work);
            self.next_work += 1;
            let file = File::create(&path).map_err(|e| self.io_err(&path, e))?;
            let lines = LineSink::new(&self.id, path.display().to_string(), self.spec.format, file);
            self.current = Some(Current { path, lines });
        }
        Ok(self.current.as_mut().expect("just set"))
    }
}

impl Sink for CommittingFileSink {
    fn write(&mut self, records: &[Record]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        self.current()?.lines.write(records)
    }

    fn flush(&mut self) -> Result<()> {
        match &mut self.current {
            Some(c) => c.lines.flush(),
            None => Ok(()),
        }
    }

    fn close(&mut self) -> Result<()> {
        self.flush()
    }

    fn precommit(&mut self, checkpoint: u64) -> Result<Option<SinkPrecommit>> {
        if let Some(mut current) = self.current.take() {
            let file = current.lines.close()?.expect("a work file is closed once");
            file.sync_all().map_err(|e| self.io_err(&current.path, e))?;
            let len = file
                .metadata()
                .map_err(|e| self.io_err(&current.path, e))?
                .len();
            let base = self.state.end();
            self.state.pending.push(Segment {
                checkpoint,
                file: current.path,
                base,
                len,
            });
        }
        let value = serde_json::to_value(&self.state).expect("sink state serializes");
        Ok(Some(SinkPrecommit::state(value)))
    }

    fn commit(&mut self, checkpoint: u64) -> Result<()> {
        let due = self
            .state
            .pending
            .iter()
            .take_while(|s| s.checkpoint <= checkpoint)
            .count();
        for segment in self.state.pending.drain(..due) {
            commit_segment(&self.id, &self.state.path, &segment)?;
            self.state.committed_len = segment.base + segment.len;
        }
        Ok(())
    }
}

/// Redoes the commits a checkpoint's sink state records and cuts the
/// output back to their end. Idempotent.
pub fn recover(id: &str, state: &FileSinkState) -> Result<()> {
    let err = |target: &Path, source| ConnectorError::SinkIo {
        id: id.to_owned(),
        target: target.display().to_string(),
        source,
    };
    let out = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&state.path)
        .map_err(|e| err(&state.path, e))?;
    let len = out.metadata().map_err(|e| err(&state.path, e))?.len();
    if len < state.committed_len {
        return Err(ConnectorError::Config {
            id: id.to_owned(),
            message: format!(
                "{} holds {len} bytes but {} were committed: it was changed outside Weir",
                state.path.display(),
                state.committed_len
            ),
        });
    }
    drop(out);
    for segment in &state.pending {
        commit_segment(id, &state.path, segment)?;
    }
    let out = OpenOptions::new()
        .write(true)
        .open(&state.path)
        .map_err(|e| err(&state.path, e))?;
    out.set_len(state.end()).map_err(|e| err(&state.path, e))?;
    out.sync_all().map_err(|e| err(&state.path, e))?;
    Ok(())
}

/// Appends one pre-committed segment to the output unless it is there
/// already, then deletes its work file.
fn commit_segment(id: &str, output: &Path, segment: &Segment) -> Result<()> {
    let err = |target: &Path, source| ConnectorError::SinkIo {
        id: id.to_owned(),
        target: target.display().to_string(),
        source,
    };
    let mut out = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(output)
        .map_err(|e| err(output, e))?;
    let len = out.metadata().map_err(|e| err(output, e))?.len();
    let end = segment.base + segment.len;
    let work_exists = segment.file.exists();
    if len < segment.base {
        return Err(ConnectorError::Config {
            id: id.to_owned(),
            message: format!(
                "{} holds {len} bytes, fewer than the {} committed before checkpoint {}: it was changed outside Weir",
                output.display(),
                segment.base,
                segment.checkpoint
            ),
        });
    }
    if len >= end && !work_exists {
        // Committed before (and its work file deleted).
        return Ok(());
    }
    if !work_exists {
        return Err(ConnectorError::Config {
            id: id.to_owned(),
            message: format!(
                "work file {} of checkpoint {} is missing and {} does not hold its data",
                segment.file.display(),
                segment.checkpoint,
                output.display()
            ),
        });
    }
    // Cut anything past the segment's base (a partial or a later append),
    // then append the whole segment.
    out.set_len(segment.base).map_err(|e| err(output, e))?;
    let mut work = File::open(&segment.file).map_err(|e| err(&segment.file, e))?;
    let work_len = work.metadata().map_err(|e| err(&segment.file, e))?.len();
    if work_len != segment.len {
        return Err(ConnectorError::Config {
            id: id.to_owned(),
            message: format!(
                "work file {} holds {work_len} bytes, the checkpoint recorded {}",
                segment.file.display(),
                segment.len
            ),
        });
    }
    use std::io::Seek;
    out.seek(io::SeekFrom::Start(segment.base))
        .map_err(|e| err(output, e))?;
    io::copy(&mut work, &mut out).map_err(|e| err(output, e))?;
    out.sync_all().map_err(|e| err(output, e))?;
    fs::remove_file(&segment.file).map_err(|e| err(&segment.file, e))?;
    Ok(())
}

/// `.<name>.work-<pid>-<n>` beside the output.
fn work_file(output: &Path, pid: u32, n: u64) -> PathBuf {
    let name = output
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy());
    output.with_file_name(format!(".{name}.work-{pid}-{n}"))
}

/// Deletes work files of this output that no checkpoint being restored
/// refers to (left by an earlier run). Called after recovery, which has
/// consumed the ones that mattered.
fn remove_stray_work_files(output: &Path) {
    let (Some(dir), Some(name)) = (output.parent(), output.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.work-", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use weir_spec::OutputFormat;

    use super::*;

    fn spec(dir: &Path) -> FileSinkSpec {
        FileSinkSpec {
            path: dir.join("out.txt"),
            format: OutputFormat::Value,
        }
    }

    fn lines(values: &[&str]) -> Vec<Record> {
        values.iter().map(|v| Record::new(*v)).collect()
    }

    fn read(dir: &Path) -> String {
        fs::read_to_string(dir.join("out.txt")).unwrap()
    }

    fn work_files(dir: &Path) -> usize {
        fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().starts_with(".out.txt.work-")
            })
            .count()
    }

    #[test]
    fn output_holds_only_committed_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = CommittingFileSink::open("out", &spec(dir.path()), 0, 1, None).unwrap();
        sink.write(&lines(&["a", "b"])).unwrap();
        sink.precommit(1).unwrap();
        assert_eq!(read(dir.path()), "", "pre-committed is not published");
        sink.write(&lines(&["c"])).unwrap();
        sink.commit(1).unwrap();
        assert_eq!(read(dir.path()), "a\nb\n");
        sink.precommit(2).unwrap();
        sink.commit(2).unwrap();
        assert_eq!(read(dir.path()), "a\nb\nc\n");
        assert_eq!(work_files(dir.path()), 0);
    }

    #[test]
    fn a_restore_redoes_pending_commits_and_drops_uncommitted_data() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = CommittingFileSink::open("out", &spec(dir.path()), 0, 1, None).unwrap();
        sink.write(&lines(&["a"])).unwrap();
        let at_1 = sink.precommit(1).unwrap().unwrap().state;
        sink.commit(1).unwrap();
        sink.write(&lines(&["b"])).unwrap();
        let at_2 = sink.precommit(2).unwrap().unwrap().state;
        // Checkpoint 2 completes, but the process dies before the commit
        // reaches the sink; more data was written after the barrier.
        sink.write(&lines(&["lost"])).unwrap();
        sink.flush().unwrap();
        drop(sink);
        assert_eq!(read(dir.path()), "a\n");

        let sink = CommittingFileSink::open("out", &spec(dir.path()), 0, 1, Some(&at_2)).unwrap();
        assert_eq!(read(dir.path()), "a\nb\n");
        assert_eq!(work_files(dir.path()), 0, "stray work files are removed");
        drop(sink);
        // Restoring the same checkpoint again changes nothing.
        CommittingFileSink::open("out", &spec(dir.path()), 0, 1, Some(&at_2)).unwrap();
        assert_eq!(read(dir.path()), "a\nb\n");
        // Restoring an older checkpoint cuts the output back to it.
        CommittingFileSink::open("out", &spec(dir.path()), 0, 1, Some(&at_1)).unwrap();
        assert_eq!(read(dir.path()), "a\n");
    }

    #[test]
    fn a_half_done_append_is_redone() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = CommittingFileSink::open("out", &spec(dir.path()), 0, 1, None).unwrap();
        sink.write(&lines(&["first"])).unwrap();
        sink.precommit(1).unwrap();
        sink.commit(1).unwrap();
        sink.write(&lines(&["second"])).unwrap();
        let at_2 = sink.precommit(2).unwrap().unwrap().state;
        drop(sink);
        // A crash in the middle of appending segment 2.
        let mut out = OpenOptions::new()
            .append(true)
            .open(dir.path().join("out.txt"))
            .unwrap();
        io::Write::write_all(&mut out, b"sec").unwrap();
        CommittingFileSink::open("out", &spec(dir.path()), 0, 1, Some(&at_2)).unwrap();
        assert_eq!(read(dir.path()), "first\nsecond\n");
    }

    #[test]
    fn an_output_changed_outside_fails_the_restore() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = CommittingFileSink::open("out", &spec(dir.path()), 0, 1, None).unwrap();
        sink.write(&lines(&["data"])).unwrap();
        sink.precommit(1).unwrap();
        sink.commit(1).unwrap();
        let at_2 = sink.precommit(2).unwrap().unwrap().state;
        drop(sink);
        fs::write(dir.path().join("out.txt"), "").unwrap();
        let err =
            CommittingFileSink::open("out", &spec(dir.path()), 0, 1, Some(&at_2)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("changed outside Weir"), "{text}");
    }

    #[test]
    fn a_restore_with_another_path_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = CommittingFileSink::open("out", &spec(dir.path()), 0, 1, None).unwrap();
        let state = sink.precommit(1).unwrap().unwrap().state;
        drop(sink);
        let other = FileSinkSpec {
            path: dir.path().join("elsewhere.txt"),
            format: OutputFormat::Value,
        };
        let err = CommittingFileSink::open("out", &other, 0, 1, Some(&state)).unwrap_err();
        assert!(
            err.to_string().contains("restore with the same sink path"),
            "{err}"
        );
    }
}
