//! Opening the connector a spec names.

use std::path::Path;

use weir_spec::{
    Delivery, FileSinkSpec, FileSourceSpec, SinkKind, SinkSpec, SourceKind, SourceSpec,
};

use crate::{
    CommittingFileSink, ConnectorError, DiscardSink, FileSink, FileSinkState, FileSource,
    GeneratorSource, KafkaSink, KafkaSource, Result, Sink, SinkPrecommit, Source, StdoutSink,
    TransactionalKafkaSink,
};

/// Opens subtask `subtask` of `parallelism` of the source `spec` of job
/// `job`; relative paths are resolved against `base_dir` (the spec file's
/// folder).
pub fn open_source(
    job: &str,
    spec: &SourceSpec,
    base_dir: &Path,
    subtask: u32,
    parallelism: u32,
) -> Result<Box<dyn Source>> {
    check_subtask(&spec.id, subtask, parallelism)?;
    tracing::debug!(source = %spec.id, subtask, parallelism, "opening source");
    Ok(match &spec.kind {
        SourceKind::File(file) => {
            let file = FileSourceSpec {
                path: base_dir.join(&file.path),
                ..file.clone()
            };
            let policy = spec.on_decode_error;
            Box::new(FileSource::new(
                &spec.id,
                &file,
                policy,
                subtask,
                parallelism,
            )?)
        }
        SourceKind::Generator(generator) => Box::new(GeneratorSource::new(
            &spec.id,
            generator,
            subtask,
            parallelism,
        )?),
        SourceKind::Kafka(kafka) => Box::new(KafkaSource::new(
            job,
            &spec.id,
            kafka,
            &spec.watermark,
            spec.on_decode_error,
            subtask,
            parallelism,
        )?),
    })
}

/// Opens subtask `subtask` of `parallelism` of the sink `spec` of job
/// `job`; relative paths are resolved against `base_dir` (the spec file's
/// folder).
pub fn open_sink(
    job: &str,
    spec: &SinkSpec,
    base_dir: &Path,
    subtask: u32,
    parallelism: u32,
) -> Result<Box<dyn Sink>> {
    check_subtask(&spec.id, subtask, parallelism)?;
    tracing::debug!(sink = %spec.id, subtask, parallelism, "opening sink");
    Ok(match &spec.kind {
        SinkKind::File(file) => {
            let file = FileSinkSpec {
                path: base_dir.join(&file.path),
                ..file.clone()
            };
            Box::new(FileSink::new(&spec.id, &file, subtask, parallelism)?)
        }
        SinkKind::Stdout(stdout) => Box::new(StdoutSink::new(&spec.id, stdout)),
        SinkKind::Discard(_) => Box::new(DiscardSink::new(&spec.id)),
        SinkKind::Kafka(kafka) => Box::new(KafkaSink::new(job, &spec.id, kafka, subtask)?),
    })
}

/// Opens a sink subtask of a job that takes checkpoints. File sinks commit
/// exactly once ([`CommittingFileSink`]), and so do Kafka sinks with
/// `delivery: exactly_once` ([`TransactionalKafkaSink`]): with `restored`
/// (what the subtask pre-committed in the checkpoint a job restarts from)
/// they first finish that checkpoint's commits. Other sinks are
/// at-least-once and opened as by [`open_sink`].
pub fn open_checkpointed_sink(
    job: &str,
    spec: &SinkSpec,
    base_dir: &Path,
    subtask: u32,
    parallelism: u32,
    restored: Option<&SinkPrecommit>,
) -> Result<Box<dyn Sink>> {
    match &spec.kind {
        SinkKind::Kafka(kafka) if kafka.delivery == Delivery::ExactlyOnce => {
            check_subtask(&spec.id, subtask, parallelism)?;
            Ok(Box::new(TransactionalKafkaSink::open(
                job, &spec.id, kafka, subtask, restored,
            )?))
        }
        SinkKind::File(file) => {
            check_subtask(&spec.id, subtask, parallelism)?;
            let file = FileSinkSpec {
                path: base_dir.join(&file.path),
                ..file.clone()
            };
            Ok(Box::new(CommittingFileSink::open(
                &spec.id,
                &file,
                subtask,
                parallelism,
                restored.map(|r| &r.state),
            )?))
        }
        _ => open_sink(job, spec, base_dir, subtask, parallelism),
    }
}

/// Finishes the commits a sink subtask pre-committed (for a job restored
/// from a checkpoint taken when it had finished). Sinks without such state
/// have nothing to do.
pub fn recover_sink(spec: &SinkSpec, precommit: &SinkPrecommit) -> Result<()> {
    match &spec.kind {
        SinkKind::File(_) => {
            let state: FileSinkState =
                serde_json::from_value(precommit.state.clone()).map_err(|e| {
                    ConnectorError::Config {
                        id: spec.id.clone(),
                        message: format!("checkpointed file sink state is invalid: {e}"),
                    }
                })?;
            crate::recover_file_sink(&spec.id, &state)
        }
        SinkKind::Kafka(kafka) if kafka.delivery == Delivery::ExactlyOnce => {
            crate::kafka::recover_transactions(&spec.id, kafka, precommit)
        }
        _ => Ok(()),
    }
}

fn check_subtask(id: &str, subtask: u32, parallelism: u32) -> Result<()> {
    if subtask < parallelism {
        return Ok(());
    }
    Err(ConnectorError::Config {
        id: id.to_owned(),
        message: format!("subtask {subtask} does not exist with parallelism {parallelism}"),
    })
}

#[cfg(test)]
mod tests {
    use std::fs;

    use weir_spec::{
        DecodeErrorPolicy, GeneratedValue, GeneratorSpec, LineFormat, OutputFormat, WatermarkSpec,
    };
    use weir_types::Record;

    use super::*;
    use crate::SourcePoll;

    fn source(kind: SourceKind) -> SourceSpec {
        SourceSpec {
            id: "in".to_owned(),
            parallelism: 1,
            kind,
            watermark: WatermarkSpec::default(),
            on_decode_error: DecodeErrorPolicy::Fail,
        }
    }

    #[test]
    fn relative_paths_resolve_against_the_base_dir() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("data")).unwrap();
        fs::write(dir.path().join("data/in.txt"), "a\nb\n").unwrap();
        let spec = source(SourceKind::File(FileSourceSpec {
            path: "data/in.txt".into(),
            format: LineFormat::Raw,
            key_field: None,
            timestamp_field: None,
        }));
        let mut source = open_source("job", &spec, dir.path(), 0, 1).unwrap();
        let mut records = Vec::new();
        while source.poll(10, &mut records).unwrap() == SourcePoll::Records {}

        let sink_spec = SinkSpec {
            id: "out".to_owned(),
            parallelism: 1,
            kind: SinkKind::File(FileSinkSpec {
                path: "results/out.txt".into(),
                format: OutputFormat::Value,
            }),
        };
        let mut sink = open_sink("job", &sink_spec, dir.path(), 0, 1).unwrap();
        sink.write(&records).unwrap();
        sink.close().unwrap();
        let text = fs::read_to_string(dir.path().join("results/out.txt")).unwrap();
        assert_eq!(text, "a\nb\n");
    }

    #[test]
    fn generators_open_through_the_factory() {
        let spec = source(SourceKind::Generator(GeneratorSpec {
            count: Some(4),
            keys: 2,
            start_ms: 0,
            value: GeneratedValue::Text,
            rate_per_sec: None,
        }));
        let mut source = open_source("job", &spec, Path::new("/unused"), 1, 2).unwrap();
        let mut out = Vec::new();
        assert_eq!(source.poll(10, &mut out).unwrap(), SourcePoll::Records);
        let expected = [
            Record::new("1").with_key("1").with_timestamp(1),
            Record::new("3").with_key("1").with_timestamp(3),
        ];
        assert_eq!(out, expected);
        assert_eq!(source.skipped(), 0);
    }

    #[test]
    fn subtasks_out_of_range_are_config_errors() {
        let spec = source(SourceKind::Generator(GeneratorSpec {
            count: None,
            keys: 1,
            start_ms: 0,
            value: GeneratedValue::Text,
            rate_per_sec: None,
        }));
        let err = open_source("job", &spec, Path::new("."), 2, 2)
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "in: subtask 2 does not exist with parallelism 2"
        );
        let sink = SinkSpec {
            id: "out".to_owned(),
            parallelism: 1,
            kind: SinkKind::Stdout(Default::default()),
        };
        assert!(open_sink("job", &sink, Path::new("."), 0, 0).is_err());
    }
}
