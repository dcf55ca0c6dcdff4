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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KeyBy, SinkKind, SourceKind};

    const JOB: &str = "\
name: j
sources:
  - id: src
    type: generator
    count: 10
operators:
  - id: op
    module: op.wasm
    key_by: { field: account }
sinks:
  - id: out
    type: stdout
edges:
  - { from: src, to: op }
  - { from: op, to: out }
";

    /// `JOB` with `from` replaced by `to`, parsed without validation.
    fn parse_edited(from: &str, to: &str) -> Result<JobSpec, SpecError> {
        assert!(JOB.contains(from), "test edit {from:?} does not apply");
        parse(&JOB.replacen(from, to, 1), Path::new("job.yaml"))
    }

    /// (path, line, column, message) of a YAML error.
    fn yaml_error(result: Result<JobSpec, SpecError>) -> (String, usize, usize, String) {
        match result {
            Err(SpecError::Yaml {
                path,
                line: Some(line),
                column: Some(column),
                message,
                ..
            }) => (path, line, column, message),
            other => panic!("expected a located YAML error, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_job_parses_with_defaults() {
        let spec = parse_edited("", "").unwrap();
        assert_eq!(spec.max_parallelism, 128);
        assert_eq!(spec.batch_size, 1024);
        assert_eq!(spec.sources[0].parallelism, 1);
        let SourceKind::Generator(generator) = &spec.sources[0].kind else {
            panic!("not a generator: {:?}", spec.sources[0].kind);
        };
        assert_eq!((generator.count, generator.keys), (Some(10), 10_000));
        assert_eq!(
            spec.operators[0].key_by,
            Some(KeyBy::Field("account".into()))
        );
        assert_eq!(spec.operators[0].limits.memory_mb, 64);
        assert!(matches!(spec.sinks[0].kind, SinkKind::Stdout(_)));
    }

    #[test]
    fn key_by_record_is_a_plain_word() {
        let spec = parse_edited("{ field: account }", "record").unwrap();
        assert_eq!(spec.operators[0].key_by, Some(KeyBy::Record));
    }

    #[test]
    fn key_by_rejects_other_words_and_fields() {
        let (path, line, _, message) = yaml_error(parse_edited("{ field: account }", "recrod"));
        assert_eq!((path.as_str(), line), ("operators[0].key_by", 9));
        assert!(message.contains("unknown key_by `recrod`"), "{message}");
        let (path, ..) = yaml_error(parse_edited("field:", "feild:"));
        assert_eq!(path, "operators[0].key_by.feild");
    }

    #[test]
    fn a_wrong_value_names_its_field_and_position() {
        let (path, line, column, message) = yaml_error(parse_edited("count: 10", "count: ten"));
        assert_eq!((path.as_str(), line, column), ("sources[0].count", 5, 12));
        assert_eq!(message, "invalid type: string \"ten\", expected u64");
    }

    #[test]
    fn an_unknown_top_level_field_is_rejected() {
        let (path, line, _, message) = yaml_error(parse_edited("sources:", "sorces: []\nsources:"));
        assert_eq!((path.as_str(), line), ("sorces", 2));
        assert!(message.starts_with("unknown field `sorces`"), "{message}");
    }

    #[test]
    fn a_field_of_another_source_type_is_rejected_at_its_line() {
        let (path, line, column, message) = yaml_error(parse_edited("count: 10", "path: in.txt"));
        assert_eq!((path.as_str(), line, column), ("sources[0].path", 5, 5));
        assert!(
            message.starts_with("unknown field `path` for a `type: generator` source"),
            "{message}"
        );
    }

    #[test]
    fn a_field_before_type_is_checked_once_type_is_known() {
        let edited = "    count: 10\n    path: in.txt\n    type: generator\n";
        let (path, _, _, message) =
            yaml_error(parse_edited("    type: generator\n    count: 10\n", edited));
        assert_eq!(path, "sources[0]");
        assert!(
            message.starts_with("unknown field `path` for a `type: generator`"),
            "{message}"
        );
    }

    #[test]
    fn a_field_unknown_to_every_type_is_rejected() {
        let (path, _, _, message) = yaml_error(parse_edited("count: 10", "cuont: 10"));
        assert_eq!(path, "sources[0].cuont");
        assert!(message.contains("expected one of"), "{message}");
    }

    #[test]
    fn unknown_fields_inside_sinks_are_rejected() {
        let (path, ..) = yaml_error(parse_edited("type: stdout", "type: stdout\n    path: x"));
        assert_eq!(path, "sinks[0].path");
    }

    #[test]
    fn a_repeated_field_is_rejected() {
        let (path, _, _, message) =
            yaml_error(parse_edited("count: 10", "count: 10\n    count: 2"));
        assert_eq!(path, "sources[0].count");
        assert_eq!(message, "duplicate field `count`");
    }

    #[test]
    fn type_must_be_known_and_present() {
        let (path, line, _, message) = yaml_error(parse_edited("type: generator", "type: pulsar"));
        assert_eq!((path.as_str(), line), ("sources[0].type", 4));
        assert_eq!(
            message,
            "unknown source type `pulsar`, expected one of `file`, `generator`, `kafka`"
        );
        let (path, _, _, message) = yaml_error(parse_edited("    type: stdout\n", ""));
        assert_eq!(
            (path.as_str(), message.as_str()),
            ("sinks[0]", "missing field `type`")
        );
    }

    #[test]
    fn a_file_source_needs_a_path() {
        let (path, _, _, message) =
            yaml_error(parse_edited("type: generator\n    count: 10", "type: file"));
        assert_eq!(
            (path.as_str(), message.as_str()),
            ("sources[0]", "missing field `path`")
        );
    }

    #[test]
    fn bad_syntax_reports_its_line() {
        let (_, line, _, _) = yaml_error(parse_edited("edges:\n", "edges: [\n"));
        assert_eq!(line, 14);
    }

    #[test]
    fn serialized_specs_parse_back_the_same() {
        let yaml = "\
name: round
sources:
  - id: f
    type: file
    path: in.jsonl
    format: json
    key_field: k
    watermark: { out_of_orderness_ms: 5, idle_timeout_ms: 100 }
    on_decode_error: skip
  - id: g
    type: generator
    keys: 3
    start_ms: 7
    value: u64_le
operators:
  - id: op
    module: op.wasm
    key_by: record
    config: { threshold: 3, names: [a, b] }
    limits: { memory_mb: 32 }
  - id: op2
    module: op2.wasm
    key_by: { field: account }
sinks:
  - { id: out, type: file, path: out.txt, format: record }
  - { id: err, type: stdout }
edges:
  - { from: f, to: op }
  - { from: g, to: op, partition: keyed }
  - { from: op, to: op2 }
  - { from: op2, to: out, output: late, partition: rebalance }
  - { from: op2, to: err }
";
        let spec = parse(yaml, Path::new("round.yaml")).unwrap();
        let text = serde_yaml::to_string(&spec).unwrap();
        assert_eq!(
            parse(&text, Path::new("again.yaml")).unwrap(),
            spec,
            "{text}"
        );
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(
            json["operators"][1]["key_by"],
            serde_json::json!({ "field": "account" })
        );
        assert_eq!(json["sources"][0]["type"], "file");
        let from_json: JobSpec = serde_json::from_value(json).unwrap();
        assert_eq!(from_json, spec);
    }

    #[test]
    fn from_yaml_str_validates() {
        let err = JobSpec::from_yaml_str(&JOB.replace("name: j", "name: ''"), Path::new("j.yaml"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "j.yaml: invalid job spec:\n  name: must not be empty"
        );
    }

    #[test]
    fn load_reads_the_file_and_resolves_against_its_folder() {
        let dir = std::env::temp_dir().join(format!("weir-spec-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("job.yaml");
        std::fs::write(&file, JOB).unwrap();
        let loaded = JobSpec::load(&file);
        std::fs::remove_dir_all(&dir).unwrap();
        let loaded = loaded.unwrap();
        assert_eq!(loaded.dir, dir);
        assert_eq!(loaded.resolve(Path::new("in.txt")), dir.join("in.txt"));
        assert_eq!(
            loaded.resolve(Path::new("/abs/in.txt")),
            PathBuf::from("/abs/in.txt")
        );
        assert_eq!(loaded.spec.name, "j");
    }

    #[test]
    fn load_names_a_missing_file() {
        let err = JobSpec::load(Path::new("/nonexistent/weir/job.yaml")).unwrap_err();
        assert!(matches!(err, SpecError::Read { .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("/nonexistent/weir/job.yaml: cannot read"),
            "{err}"
        );
    }
}
