//! Reading a spec: YAML text to a validated [`JobSpec`].

use std::path::{Path, PathBuf};

use crate::error::SpecError;
use crate::model::JobSpec;

/// A spec read from a file, with the folder its relative paths start from.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedSpec {
    /// The validated spec.
    pub spec: JobSpec,
    /// The folder of the spec file (absolute when it could be made so).
    pub dir: PathBuf,
}

impl LoadedSpec {
    /// `p` relative to the spec file's folder; an absolute `p` as it is.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        self.dir.join(p)
    }
}

impl JobSpec {
    /// Parses and validates YAML text. `origin` names the text in errors
    /// (usually the file it came from).
    pub fn from_yaml_str(text: &str, origin: &Path) -> Result<JobSpec, SpecError> {
        let spec = parse(text, origin)?;
        spec.validate().map_err(|problems| SpecError::Invalid {
            origin: origin.to_owned(),
            problems,
        })?;
        Ok(spec)
    }

    /// Reads, parses and validates the spec file at `path`.
    pub fn load(path: &Path) -> Result<LoadedSpec, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: path.to_owned(),
            source,
        })?;
        let spec = JobSpec::from_yaml_str(&text, path)?;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        Ok(LoadedSpec { spec, dir })
    }
}

/// Deserializes without the cross-field checks.
pub(crate) fn parse(text: &str, origin: &Path) -> Result<JobSpec, SpecError> {
    let deserializer = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|err| yaml_error(origin, err))
}

fn yaml_error(origin: &Path, err: serde_path_to_error::Error<serde_yaml::Error>) -> SpecError {
    let path = err.path().to_string();
    let err = err.into_inner();
    let location = err.location();
    let mut message = err.to_string();
    // serde_yaml puts its own path before the message and the position after
    // it; both are kept apart in the error.
    if let Some(location) = &location {
        let at = format!(" at line {} column {}", location.line(), location.column());
        message = message.replacen(&at, "", 1);
    }
    if let Some((head, rest)) = message.split_once(": ")
        && !head.contains(char::is_whitespace)
        && path.starts_with(head)
    {
        message = rest.to_owned();
    }
    SpecError::Yaml {
        origin: origin.to_owned(),
        path,
        line: location.as_ref().map(|l| l.line()),
        column: location.as_ref().map(|l| l.column()),
        message,
    }
}
