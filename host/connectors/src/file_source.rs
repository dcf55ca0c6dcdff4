//! A source reading lines of files.

pub(crate) mod decode;
mod listing;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use weir_spec::{DecodeErrorPolicy, FileSourceSpec, LineFormat};
use weir_types::Record;

use crate::{ConnectorError, Result, Source, SourcePoll, SourcePosition};
use decode::LineDecoder;

const READ_BUFFER: usize = 64 * 1024;

/// Reads the lines of a file, or of the files in a folder in name order.
///
/// Subtask `s` of `p` reads the files whose index in the listing is
/// `s` modulo `p`, one after the other, so a single file is read by subtask 0
/// alone. Lines lose their `\n` or `\r\n`; empty lines are skipped.
#[derive(Debug)]
pub struct FileSource {
    id: String,
    subtask: u32,
    files: Vec<PathBuf>,
    step: u64,
    decoder: LineDecoder,
    on_decode_error: DecodeErrorPolicy,
    /// The file being read, when open.
    reader: Option<BufReader<File>>,
    /// Index in `files` of the file being read; past the end when finished.
    file_index: u64,
    /// Bytes of that file consumed.
    byte_offset: u64,
    /// Lines of that file consumed.
    line: u64,
    skipped: u64,
    buf: Vec<u8>,
}

impl FileSource {
    /// Subtask `subtask` of `parallelism` of the file source `id`, reading
    /// `spec.path` (already resolved against the spec's folder).
    pub fn new(
        id: &str,
        spec: &FileSourceSpec,
        on_decode_error: DecodeErrorPolicy,
        subtask: u32,
        parallelism: u32,
    ) -> Result<Self> {
        if spec.format == LineFormat::Raw
            && (spec.key_field.is_some() || spec.timestamp_field.is_some())
        {
            return Err(ConnectorError::Config {
                id: id.to_owned(),
                message: "key_field and timestamp_field need `format: json`".to_owned(),
            });
        }
        Ok(FileSource {
            id: id.to_owned(),
            subtask,
            files: listing::list_files(id, &spec.path)?,
            step: u64::from(parallelism),
            decoder: LineDecoder::new(spec),
            on_decode_error,
            reader: None,
            file_index: u64::from(subtask),
            byte_offset: 0,
            line: 0,
            skipped: 0,
            buf: Vec::new(),
        })
    }

    /// The files of the whole listing (all subtasks), in reading order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    fn current_file(&self) -> Option<&Path> {
        usize::try_from(self.file_index)
            .ok()
            .and_then(|i| self.files.get(i))
            .map(PathBuf::as_path)
    }

    fn io_error(&self, path: &Path, source: io::Error) -> ConnectorError {
        ConnectorError::SourceIo {
            id: self.id.clone(),
            path: path.to_owned(),
            source,
        }
    }

    /// Opens `path` at `offset`, checking the file still reaches that far.
    fn open_at(&self, path: &Path, offset: u64) -> Result<BufReader<File>> {
        let mut file = File::open(path).map_err(|e| self.io_error(path, e))?;
        if offset > 0 {
            let len = file.metadata().map_err(|e| self.io_error(path, e))?.len();
            if len < offset {
                let message = format!("the file has {len} bytes, fewer than the offset {offset}");
                return Err(self.io_error(path, io::Error::other(message)));
            }
            file.seek(SeekFrom::Start(offset))
                .map_err(|e| self.io_error(path, e))?;
        }
        Ok(BufReader::with_capacity(READ_BUFFER, file))
    }

    /// Reads the next line of the current file into `self.buf`, without its
    /// line ending. Returns `false` at the end of the file.
    fn read_line(&mut self, path: &Path) -> Result<bool> {
        let mut reader = match self.reader.take() {
            Some(reader) => reader,
            None => self.open_at(path, self.byte_offset)?,
        };
        self.buf.clear();
        let read = reader.read_until(b'\n', &mut self.buf);
        self.reader = Some(reader);
        let n = read.map_err(|e| self.io_error(path, e))?;
        if n == 0 {
            return Ok(false);
        }
        self.byte_offset += n as u64;
        self.line += 1;
        if self.buf.ends_with(b"\n") {
            self.buf.pop();
            if self.buf.ends_with(b"\r") {
                self.buf.pop();
            }
        }
        Ok(true)
    }

    fn next_file(&mut self) {
        self.reader = None;
        self.file_index += self.step;
        self.byte_offset = 0;
        self.line = 0;
    }

    fn on_decode_error(&mut self, path: &Path, message: String) -> Result<()> {
        match self.on_decode_error {
            DecodeErrorPolicy::Fail => Err(ConnectorError::Decode {
                source_id: self.id.clone(),
                file: path.to_owned(),
                line: self.line,
                message,
            }),
            DecodeErrorPolicy::Skip => {
                self.skipped += 1;
                tracing::warn!(
                    source = %self.id,
                    subtask = self.subtask,
                    file = %path.display(),
                    line = self.line,
                    error = %message,
                    "skipping a line that cannot be decoded",
                );
                Ok(())
            }
        }
    }

    fn seek_error(&self, pos: &SourcePosition, message: String) -> ConnectorError {
        ConnectorError::Seek {
            id: self.id.clone(),
            position: pos.to_string(),
            message,
        }
    }
}

impl Source for FileSource {
    /// Reads up to `max` records. On an error, `out` may hold the records
    /// read before it.
    fn poll(&mut self, max: usize, out: &mut Vec<Record>) -> Result<SourcePoll> {
        let max = max.max(1);
        let mut added = 0;
        while added < max {
            let Some(path) = self.current_file().map(Path::to_owned) else {
                break;
            };
            if !self.read_line(&path)? {
                self.next_file();
                continue;
            }
            if self.decoder.is_blank(&self.buf) {
                continue;
            }
            match self.decoder.decode(&self.buf) {
                Ok(record) => {
                    out.push(record);
                    added += 1;
                }
                Err(message) => self.on_decode_error(&path, message)?,
            }
        }
        Ok(if added > 0 {
            SourcePoll::Records
        } else {
            SourcePoll::Finished
        })
    }

    fn position(&self) -> SourcePosition {
        SourcePosition::File {
            file_index: self.file_index,
            byte_offset: self.byte_offset,
            line: self.line,
        }
    }

    fn seek(&mut self, pos: &SourcePosition) -> Result<()> {
        let SourcePosition::File {
            file_index,
            byte_offset,
            line,
        } = *pos
        else {
            return Err(self.seek_error(pos, "not a file position".to_owned()));
        };
        if file_index % self.step != u64::from(self.subtask) {
            return Err(self.seek_error(
                pos,
                format!(
                    "file #{file_index} belongs to subtask {} of {}, not {}",
                    file_index % self.step,
                    self.step,
                    self.subtask
                ),
            ));
        }
        let path = usize::try_from(file_index)
            .ok()
            .and_then(|i| self.files.get(i));
        self.reader = match path {
            Some(path) => Some(self.open_at(path, byte_offset)?),
            None if byte_offset == 0 => None,
            None => {
                let message = format!("there are only {} files", self.files.len());
                return Err(self.seek_error(pos, message));
            }
        };
        self.file_index = file_index;
        self.byte_offset = byte_offset;
        self.line = line;
        Ok(())
    }

    fn skipped(&self) -> u64 {
        self.skipped
    }
}

#[cfg(test)]
mod tests;
