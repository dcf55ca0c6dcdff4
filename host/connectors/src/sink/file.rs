//! A sink writing lines to files.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use weir_spec::FileSinkSpec;
use weir_types::Record;

use super::Sink;
use super::lines::LineSink;
use crate::{ConnectorError, Result};

/// Writes one line per record to a file, truncating it when opened.
///
/// With parallelism 1 the file is `spec.path`; otherwise `spec.path` is a
/// folder holding one `part-<subtask>` file per subtask. Missing parent
/// folders are created.
#[derive(Debug)]
pub struct FileSink {
    path: PathBuf,
    lines: LineSink<File>,
}

impl FileSink {
    /// Subtask `subtask` of `parallelism` of the file sink `id`, writing
    /// under `spec.path` (already resolved against the spec's folder).
    pub fn new(id: &str, spec: &FileSinkSpec, subtask: u32, parallelism: u32) -> Result<Self> {
        let path = output_path(spec, subtask, parallelism);
        let file = create(&path).map_err(|source| ConnectorError::SinkIo {
            id: id.to_owned(),
            target: path.display().to_string(),
            source,
        })?;
        let lines = LineSink::new(id, path.display().to_string(), spec.format, file);
        Ok(FileSink { path, lines })
    }

    /// The file this subtask writes.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The file subtask `subtask` of `parallelism` writes: `spec.path` itself,
/// or `part-<subtask>` in that folder when there are several subtasks.
pub(crate) fn output_path(spec: &FileSinkSpec, subtask: u32, parallelism: u32) -> PathBuf {
    if parallelism == 1 {
        spec.path.clone()
    } else {
        spec.path.join(format!("part-{subtask}"))
    }
}

fn create(path: &Path) -> io::Result<File> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    File::create(path)
}

impl Sink for FileSink {
    fn write(&mut self, records: &[Record]) -> Result<()> {
        self.lines.write(records)
    }

    fn flush(&mut self) -> Result<()> {
        self.lines.flush()
    }

    fn close(&mut self) -> Result<()> {
        match self.lines.close()? {
            Some(file) => file.sync_all().map_err(|e| self.lines.error(e)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use weir_spec::OutputFormat;

    use super::*;

    fn spec(path: PathBuf, format: OutputFormat) -> FileSinkSpec {
        FileSinkSpec { path, format }
    }

    fn records() -> Vec<Record> {
        vec![
            Record::new("one").with_key("k1").with_timestamp(10),
            Record::new("two"),
        ]
    }

    #[test]
    fn parallelism_one_writes_exactly_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/out.txt");
        let mut sink =
            FileSink::new("out", &spec(path.clone(), OutputFormat::Value), 0, 1).unwrap();
        sink.write(&records()).unwrap();
        sink.close().unwrap();
        assert_eq!(sink.path(), path);
        assert_eq!(fs::read_to_string(&path).unwrap(), "one\ntwo\n");
    }

    #[test]
    fn record_format_writes_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mut sink =
            FileSink::new("out", &spec(path.clone(), OutputFormat::Record), 0, 1).unwrap();
        sink.write(&records()).unwrap();
        sink.close().unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "{\"key\":\"k1\",\"value\":\"one\",\"timestamp\":10}\n\
             {\"key\":null,\"value\":\"two\",\"timestamp\":null}\n"
        );
    }

    #[test]
    fn parallel_subtasks_write_part_files_in_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("out");
        let spec = spec(folder.clone(), OutputFormat::Value);
        let mut sinks: Vec<_> = (0..3)
            .map(|s| FileSink::new("out", &spec, s, 3).unwrap())
            .collect();
        for (s, sink) in sinks.iter_mut().enumerate() {
            sink.write(&[Record::new(format!("from {s}"))]).unwrap();
            sink.close().unwrap();
        }
        for s in 0..3 {
            let text = fs::read_to_string(folder.join(format!("part-{s}"))).unwrap();
            assert_eq!(text, format!("from {s}\n"));
        }
    }

    #[test]
    fn opening_truncates_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        fs::write(&path, "old contents that are longer\n").unwrap();
        let mut sink =
            FileSink::new("out", &spec(path.clone(), OutputFormat::Value), 0, 1).unwrap();
        sink.write(&[Record::new("new")]).unwrap();
        sink.close().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\n");
    }

    #[test]
    fn open_errors_name_the_sink_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, "").unwrap();
        // A parent that is a file cannot become a folder.
        let path = blocker.join("out.txt");
        let err = FileSink::new("results", &spec(path, OutputFormat::Value), 0, 1).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("sink results: cannot write "), "{text}");
        assert!(text.contains("file/out.txt"), "{text}");
    }

    #[test]
    fn full_disk_errors_name_the_sink_and_path() {
        // /dev/full accepts the open and fails every write with ENOSPC.
        if !Path::new("/dev/full").exists() {
            return;
        }
        let spec = spec(PathBuf::from("/dev/full"), OutputFormat::Value);
        let mut sink = FileSink::new("results", &spec, 0, 1).unwrap();
        sink.write(&[Record::new("x")]).unwrap();
        let err = sink.flush().unwrap_err();
        let ConnectorError::SinkIo { id, target, source } = &err else {
            panic!("{err:?}");
        };
        assert_eq!((id.as_str(), target.as_str()), ("results", "/dev/full"));
        assert_eq!(source.kind(), io::ErrorKind::StorageFull);
    }
}
