//! Blocking I/O on one storage root: the only place that drives
//! `object_store` futures. Paths are `/`-separated and relative to the root.

use std::io::{Read, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::runtime::Runtime;

use crate::error::{Error, Result};
use crate::location::{Location, StorageOptions};

/// Files up to this size are uploaded with one PUT; larger ones in parts of
/// this size.
pub(crate) const MULTIPART_CHUNK: usize = 8 << 20;

/// How many parts of one multipart upload are in flight at once.
const MULTIPART_CONCURRENCY: usize = 4;

/// How much of a local file is read at a time.
const READ_BUFFER: usize = 1 << 20;

/// Why uploading a local file failed.
pub(crate) enum PutFileError {
    /// Reading the local file.
    Local(std::io::Error),
    /// Writing to the store.
    Store(object_store::Error),
}

/// One storage root with the runtime that drives it.
#[derive(Clone)]
pub(crate) struct Root {
    location: Location,
    url: String,
    store: Arc<dyn ObjectStore>,
    runtime: Arc<Runtime>,
}

impl Root {
    /// Opens `location` on `runtime` (see [`Location::open`] for `create`).
    pub(crate) fn open(
        location: Location,
        options: &StorageOptions,
        runtime: Arc<Runtime>,
        create: bool,
    ) -> Result<Self> {
        let store = location.open(options, create)?;
        Ok(Root {
            url: location.url(),
            location,
            store,
            runtime,
        })
    }

    /// A runtime for blocking callers: one worker for the store's
    /// connections, the caller's thread polls its own request.
    pub(crate) fn new_runtime() -> Result<Arc<Runtime>> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("weir-checkpoint-io")
            .enable_all()
            .build()
            .map(Arc::new)
            .map_err(Error::Runtime)
    }

    pub(crate) fn location(&self) -> &Location {
        &self.location
    }

    pub(crate) fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// The root's URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The URL of `path` under the root.
    pub(crate) fn url_of(&self, path: &str) -> String {
        if path.is_empty() {
            self.url.clone()
        } else {
            format!("{}/{path}", self.url)
        }
    }

    /// A store error while doing `action` on `path`.
    pub(crate) fn error(
        &self,
        action: &'static str,
        path: &str,
    ) -> impl FnOnce(object_store::Error) -> Error {
        let url = self.url_of(path);
        move |source| Error::Store {
            action,
            url,
            source,
        }
    }

    /// Writes `bytes` to `path` atomically (temp file and rename on a local
    /// folder, one PUT on S3).
    pub(crate) fn put(&self, path: &str, bytes: Bytes) -> Result<(), object_store::Error> {
        let location = StorePath::from(path);
        self.runtime
            .block_on(self.store.put(&location, PutPayload::from(bytes)))
            .map(drop)
    }

    /// Uploads the local file at `local`, in parts if it is large; returns
    /// its size.
    pub(crate) fn put_file(&self, path: &str, local: &Path) -> Result<u64, PutFileError> {
        let mut file = std::fs::File::open(local).map_err(PutFileError::Local)?;
        let size = file.metadata().map_err(PutFileError::Local)?.len();
        if size <= MULTIPART_CHUNK as u64 {
            let mut bytes = Vec::with_capacity(size as usize);
            file.read_to_end(&mut bytes).map_err(PutFileError::Local)?;
            let size = bytes.len() as u64;
            self.put(path, Bytes::from(bytes))
                .map_err(PutFileError::Store)?;
            return Ok(size);
        }
        let location = StorePath::from(path);
        self.runtime.block_on(async {
            let upload = self
                .store
                .put_multipart(&location)
                .await
                .map_err(PutFileError::Store)?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, MULTIPART_CHUNK);
            let mut buffer = vec![0; READ_BUFFER];
            let mut written = 0u64;
            loop {
                let n = match file.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = writer.abort().await;
                        return Err(PutFileError::Local(e));
                    }
                };
                if let Err(e) = writer.wait_for_capacity(MULTIPART_CONCURRENCY).await {
                    // The failed part already ended the upload's tasks.
                    return Err(PutFileError::Store(e));
                }
                writer.write(&buffer[..n]);
                written += n as u64;
            }
            writer.finish().await.map_err(PutFileError::Store)?;
            Ok(written)
        })
    }

    /// Reads all of `path`.
    pub(crate) fn get(&self, path: &str) -> Result<Bytes, object_store::Error> {
        let location = StorePath::from(path);
        self.runtime
            .block_on(async { self.store.get(&location).await?.bytes().await })
    }

    /// Reads `range` of `path`.
    pub(crate) fn get_range(
        &self,
        path: &str,
        range: Range<u64>,
    ) -> Result<Bytes, object_store::Error> {
        let location = StorePath::from(path);
        self.runtime
            .block_on(self.store.get_range(&location, range))
    }

    /// Streams `path` into the local file `local` (replacing it); returns
    /// the bytes written.
    pub(crate) fn download(&self, path: &str, local: &Path) -> Result<u64> {
        let local_err = |source| Error::LocalFile {
            action: "write",
            path: local.to_path_buf(),
            source,
        };
        if let Some(parent) = local.parent() {
            std::fs::create_dir_all(parent).map_err(local_err)?;
        }
        let mut file = std::fs::File::create(local).map_err(local_err)?;
        let location = StorePath::from(path);
        let result = self.runtime.block_on(async {
            let mut stream = self
                .store
                .get(&location)
                .await
                .map_err(self.error("read", path))?
                .into_stream();
            let mut written = 0;
            while let Some(chunk) = stream.try_next().await.map_err(self.error("read", path))? {
                file.write_all(&chunk).map_err(local_err)?;
                written += chunk.len() as u64;
            }
            file.sync_all().map_err(local_err)?;
            Ok(written)
        });
        if result.is_err() {
            let _ = std::fs::remove_file(local);
        }
        result
    }

    /// The size of `path`, or `None` if there is no such file.
    pub(crate) fn size(&self, path: &str) -> Result<Option<u64>> {
        let location = StorePath::from(path);
        match self.runtime.block_on(self.store.head(&location)) {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error("check", path)(e)),
        }
    }

    /// Whether `path` exists.
    pub(crate) fn exists(&self, path: &str) -> Result<bool> {
        let location = StorePath::from(path);
        match self.runtime.block_on(self.store.head(&location)) {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.error("check", path)(e)),
        }
    }

    /// The names of the folders directly under `dir` (`""` for the root).
    pub(crate) fn list_dirs(&self, dir: &str) -> Result<Vec<String>> {
        let prefix = (!dir.is_empty()).then(|| StorePath::from(dir));
        let listing = self
            .runtime
            .block_on(self.store.list_with_delimiter(prefix.as_ref()))
            .map_err(self.error("list", dir))?;
        Ok(listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_owned))
            .collect())
    }

    /// Every file under `dir` (`""` for the whole root), with its size.
    pub(crate) fn list_files(&self, dir: &str) -> Result<Vec<(String, u64)>> {
        let prefix = (!dir.is_empty()).then(|| StorePath::from(dir));
        let objects: Vec<_> = self
            .runtime
            .block_on(self.store.list(prefix.as_ref()).try_collect())
            .map_err(self.error("list", dir))?;
        Ok(objects
            .into_iter()
            .map(|meta| (meta.location.to_string(), meta.size))
            .collect())
    }

    /// Deletes `path`; a file that is already gone is no error.
    pub(crate) fn delete(&self, path: &str) -> Result<()> {
        let location = StorePath::from(path);
        match self.runtime.block_on(self.store.delete(&location)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error("delete", path)(e)),
        }
    }

    /// Deletes every file under `dir`, `_metadata` first so a folder
    /// deleted halfway is incomplete rather than broken.
    pub(crate) fn delete_dir(&self, dir: &str) -> Result<()> {
        self.delete(&crate::layout::join(dir, crate::layout::METADATA))?;
        for (path, _) in self.list_files(dir)? {
            self.delete(&path)?;
        }
        Ok(())
    }
}
