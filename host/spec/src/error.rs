//! What can go wrong reading a job spec.

use std::fmt;
use std::path::PathBuf;

/// Why a job spec could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error("{}: cannot read the job spec: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },

    /// The text is not YAML, or does not have the shape of a job spec (a
    /// missing or unknown field, a value of the wrong type).
    #[error("{}: {}", Location { origin, line: *line, column: *column }, Message { path, message })]
    Yaml {
        /// The file (or the name given for the text).
        origin: PathBuf,
        /// The field, like `operators[1].parallelism`; `.` for the document.
        path: String,
        /// 1-based line of the offending text, when known.
        line: Option<usize>,
        /// 1-based column of the offending text, when known.
        column: Option<usize>,
        /// What is wrong.
        message: String,
    },

    /// The spec parsed but breaks rules that span fields (ids, edges,
    /// parallelism, …). All problems are listed, not only the first.
    #[error("{}: invalid job spec:{}", origin.display(), Problems(problems))]
    Invalid {
        /// The file (or the name given for the text).
        origin: PathBuf,
        /// Each broken rule, in the order of the spec.
        problems: Vec<Problem>,
    },
}

/// One broken rule: which field, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The field, like `edges[2].to`.
    pub path: String,
    /// Why it is wrong.
    pub message: String,
}

impl Problem {
    /// A problem with the field at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// `file:line:column`, leaving out what is unknown.
struct Location<'a> {
    origin: &'a PathBuf,
    line: Option<usize>,
    column: Option<usize>,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// `path: message`, or only the message for the whole document.
struct Message<'a> {
    path: &'a str,
    message: &'a str,
}

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path {
            "" | "." => f.write_str(self.message),
            path => write!(f, "{path}: {}", self.message),
        }
    }
}

/// One problem per line, indented under the heading.
struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_error_shows_file_line_column_and_field() {
        let err = SpecError::Yaml {
            origin: PathBuf::from("jobs/a.yaml"),
            path: "operators[1].parallelism".into(),
            line: Some(12),
            column: Some(18),
            message: "invalid type: string \"x\", expected u32".into(),
        };
        assert_eq!(
            err.to_string(),
            "jobs/a.yaml:12:18: operators[1].parallelism: invalid type: string \"x\", expected u32"
        );
    }

    #[test]
    fn yaml_error_for_the_whole_document_has_no_path() {
        let err = SpecError::Yaml {
            origin: PathBuf::from("a.yaml"),
            path: ".".into(),
            line: None,
            column: None,
            message: "missing field `name`".into(),
        };
        assert_eq!(err.to_string(), "a.yaml: missing field `name`");
    }

    #[test]
    fn invalid_lists_one_problem_per_line() {
        let err = SpecError::Invalid {
            origin: PathBuf::from("a.yaml"),
            problems: vec![
                Problem::new("name", "must not be empty"),
                Problem::new("edges[2].to", "unknown node `x`"),
            ],
        };
        assert_eq!(
            err.to_string(),
            "a.yaml: invalid job spec:\n  name: must not be empty\n  edges[2].to: unknown node `x`"
        );
    }
}
