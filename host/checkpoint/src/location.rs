//! Storage locations (`file:///…`, a local path, `s3://bucket/prefix`),
//! their options, and the object store each one opens.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;

use crate::error::{Error, Result};

/// Key/value settings for a location's object store.
///
/// For `s3://` every key of `object_store`'s `AmazonS3ConfigKey` is
/// accepted (`endpoint`, `region`, `allow_http`, `access_key_id`,
/// `secret_access_key`, `session_token`, `timeout`, ...), applied over what
/// the usual `AWS_*` environment variables set. Two keys are Weir's own and
/// apply to S3: `max_retries` (a count, default 10) and `retry_timeout`
/// (`500ms`, `30s`, `3m` or plain seconds; default 3 minutes). A local
/// location accepts no keys but these two (ignored).
///
/// `Debug` prints the keys only, never the values (they hold secrets).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StorageOptions {
    entries: BTreeMap<String, String>,
}

impl StorageOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// These options plus `key = value` (replacing an earlier value).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.set(key, value);
        self
    }

    /// Sets `key = value`, replacing an earlier value.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.entries.insert(key.into(), value.into());
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// Every option, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for StorageOptions {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        StorageOptions {
            entries: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

impl std::fmt::Debug for StorageOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.entries.keys()).finish()
    }
}

const MAX_RETRIES: &str = "max_retries";
const RETRY_TIMEOUT: &str = "retry_timeout";

/// A parsed storage location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// An absolute local folder.
    Local(PathBuf),
    /// A bucket and a `/`-separated prefix without leading or trailing `/`.
    S3 { bucket: String, prefix: String },
}

impl Location {
    /// Parses `file:///abs/path`, `s3://bucket/prefix`, or a local path
    /// (made absolute against the current folder).
    pub(crate) fn parse(location: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidLocation {
            location: location.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(path) = location.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(invalid(
                    "a file URL needs an absolute path: file:///abs/path",
                ));
            }
            return Ok(Location::Local(PathBuf::from(path)));
        }
        if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(invalid("no bucket: s3://bucket/prefix"));
            }
            let prefix = prefix.trim_matches('/');
            if prefix.split('/').any(|s| s == "." || s == "..")
                || (!prefix.is_empty() && prefix.split('/').any(str::is_empty))
            {
                return Err(invalid("the prefix has an empty, `.` or `..` segment"));
            }
            return Ok(Location::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.to_owned(),
            });
        }
        if let Some((scheme, _)) = location.split_once("://") {
            return Err(invalid(&format!(
                "unsupported scheme `{scheme}` (use file://, s3:// or a local path)"
            )));
        }
        if location.is_empty() {
            return Err(invalid("empty"));
        }
        let path = std::path::absolute(location).map_err(|e| invalid(&e.to_string()))?;
        Ok(Location::Local(path))
    }

    /// The location as a URL: `file:///abs/path` or `s3://bucket/prefix`.
    pub(crate) fn url(&self) -> String {
        match self {
            Location::Local(path) => format!("file://{}", path.display()),
            Location::S3 { bucket, prefix } if prefix.is_empty() => format!("s3://{bucket}"),
            Location::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
        }
    }

    /// The enclosing location and this one's last path segment; `None` at
    /// a file-system root or a bucket's top.
    pub(crate) fn parent(&self) -> Option<(Location, String)> {
        match self {
            Location::Local(path) => {
                let name = path.file_name()?.to_str()?.to_owned();
                Some((Location::Local(path.parent()?.to_path_buf()), name))
            }
            Location::S3 { bucket, prefix } => {
                if prefix.is_empty() {
                    return None;
                }
                let (parent, name) = prefix.rsplit_once('/').unwrap_or(("", prefix));
                Some((
                    Location::S3 {
                        bucket: bucket.clone(),
                        prefix: parent.to_owned(),
                    },
                    name.to_owned(),
                ))
            }
        }
    }

    /// The local folder, for a local location.
    pub(crate) fn local_path(&self) -> Option<&Path> {
        match self {
            Location::Local(path) => Some(path),
            Location::S3 { .. } => None,
        }
    }

    /// Opens the object store rooted at this location. A missing local
    /// folder is created if `create`, else reported as a missing
    /// `_metadata` (the reader was looking for one there).
    pub(crate) fn open(
        &self,
        options: &StorageOptions,
        create: bool,
    ) -> Result<Arc<dyn ObjectStore>> {
        let url = self.url();
        let open_err = |source: Box<dyn std::error::Error + Send + Sync>| Error::Open {
            location: url.clone(),
            source,
        };
        let option_err = |key: &str, reason: String| Error::InvalidOption {
            location: url.clone(),
            key: key.to_owned(),
            reason,
        };
        match self {
            Location::Local(path) => {
                if let Some((key, _)) = options
                    .iter()
                    .find(|(k, _)| *k != MAX_RETRIES && *k != RETRY_TIMEOUT)
                {
                    return Err(option_err(key, "not an option of a local folder".into()));
                }
                if create {
                    std::fs::create_dir_all(path).map_err(|e| open_err(e.into()))?;
                } else if !path.is_dir() {
                    return Err(Error::MetadataMissing {
                        url: format!("{url}/{}", crate::layout::METADATA),
                    });
                }
                let store = LocalFileSystem::new_with_prefix(path)
                    .map_err(|e| open_err(e.into()))?
                    .with_automatic_cleanup(true)
                    .with_fsync(true);
                Ok(Arc::new(store))
            }
            Location::S3 { bucket, prefix } => {
                let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
                let mut retry = object_store::RetryConfig::default();
                for (key, value) in options.iter() {
                    match key {
                        MAX_RETRIES => {
                            retry.max_retries = value
                                .parse()
                                .map_err(|e| option_err(key, format!("`{value}`: {e}")))?;
                        }
                        RETRY_TIMEOUT => {
                            retry.retry_timeout = parse_duration(value).ok_or_else(|| {
                                option_err(
                                    key,
                                    format!("`{value}` is not a duration like 30s or 500ms"),
                                )
                            })?;
                        }
                        _ => {
                            let config_key: AmazonS3ConfigKey = key
                                .parse()
                                .map_err(|e: object_store::Error| option_err(key, e.to_string()))?;
                            builder = builder.with_config(config_key, value);
                        }
                    }
                }
                let store = builder
                    .with_retry(retry)
                    .build()
                    .map_err(|e| open_err(e.into()))?;
                if prefix.is_empty() {
                    Ok(Arc::new(store))
                } else {
                    Ok(Arc::new(PrefixStore::new(store, prefix.as_str())))
                }
            }
        }
    }
}

/// `500ms`, `30s`, `3m`, or plain seconds.
fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Some(ms) = value.strip_suffix("ms") {
        return ms.trim().parse().ok().map(Duration::from_millis);
    }
    if let Some(s) = value.strip_suffix('s') {
        return s.trim().parse().ok().map(Duration::from_secs_f64);
    }
    if let Some(m) = value.strip_suffix('m') {
        return m
            .trim()
            .parse::<f64>()
            .ok()
            .map(|m| Duration::from_secs_f64(m * 60.0));
    }
    value.parse().ok().map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind_of_location() {
        assert_eq!(
            Location::parse("file:///tmp/c").unwrap(),
            Location::Local("/tmp/c".into())
        );
        assert_eq!(
            Location::parse("s3://b/x/y/").unwrap(),
            Location::S3 {
                bucket: "b".into(),
                prefix: "x/y".into()
            }
        );
        assert_eq!(Location::parse("s3://b").unwrap().url(), "s3://b");
        let relative = Location::parse("some/dir").unwrap();
        assert!(relative.local_path().unwrap().is_absolute());
        for bad in ["", "file://relative", "s3:///p", "gs://b/p", "s3://b/../p"] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parents_split_off_the_last_segment() {
        let (parent, name) = Location::parse("s3://b/jobs/chk-3")
            .unwrap()
            .parent()
            .unwrap();
        assert_eq!(
            (parent.url(), name.as_str()),
            ("s3://b/jobs".into(), "chk-3")
        );
        let (parent, name) = Location::parse("s3://b/chk-3").unwrap().parent().unwrap();
        assert_eq!((parent.url(), name.as_str()), ("s3://b".into(), "chk-3"));
        assert!(Location::parse("s3://b").unwrap().parent().is_none());
        let (parent, name) = Location::parse("/a/chk-3").unwrap().parent().unwrap();
        assert_eq!((parent.url(), name.as_str()), ("file:///a".into(), "chk-3"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_duration("soon"), None);
    }

    #[test]
    fn debug_hides_values() {
        let options = StorageOptions::new().with("secret_access_key", "hunter2");
        assert!(!format!("{options:?}").contains("hunter2"));
    }

    #[test]
    fn local_folders_take_no_store_options() {
        let dir = std::env::temp_dir().join("weir-checkpoint-location-test");
        let err = Location::Local(dir)
            .open(&StorageOptions::new().with("region", "x"), true)
            .unwrap_err();
        assert!(err.to_string().contains("`region`"), "{err}");
    }
}
