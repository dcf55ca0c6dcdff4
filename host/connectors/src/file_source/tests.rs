use std::collections::BTreeMap;
use std::fs;

use tempfile::TempDir;

use super::*;

fn spec(path: &Path, format: LineFormat) -> FileSourceSpec {
    FileSourceSpec {
        path: path.to_owned(),
        format,
        key_field: None,
        timestamp_field: None,
    }
}

fn json_spec(path: &Path) -> FileSourceSpec {
    FileSourceSpec {
        key_field: Some("user".to_owned()),
        timestamp_field: Some("ts".to_owned()),
        ..spec(path, LineFormat::Json)
    }
}

fn open(spec: &FileSourceSpec, policy: DecodeErrorPolicy, s: u32, p: u32) -> FileSource {
    FileSource::new("lines", spec, policy, s, p).unwrap()
}

fn drain(source: &mut FileSource, max: usize) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    loop {
        let before = out.len();
        match source.poll(max, &mut out)? {
            SourcePoll::Records => assert!(out.len() > before && out.len() - before <= max),
            SourcePoll::Idle => panic!("file sources do not idle"),
            SourcePoll::Finished => {
                assert_eq!(out.len(), before);
                return Ok(out);
            }
        }
    }
}

fn values(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| String::from_utf8_lossy(&r.value).into_owned())
        .collect()
}

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn raw_lines_lose_line_endings_and_blank_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "in.txt", "a\r\n\nb b\n\r\n  \nlast");
    let mut source = open(&spec(&path, LineFormat::Raw), DecodeErrorPolicy::Fail, 0, 1);
    let records = drain(&mut source, 100).unwrap();
    assert_eq!(values(&records), ["a", "b b", "  ", "last"]);
    assert!(
        records
            .iter()
            .all(|r| r.key.is_none() && r.timestamp.is_none())
    );
}

#[test]
fn raw_lines_keep_arbitrary_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bin");
    fs::write(&path, b"\xff\x00x\n").unwrap();
    let mut source = open(&spec(&path, LineFormat::Raw), DecodeErrorPolicy::Fail, 0, 1);
    assert_eq!(
        drain(&mut source, 10).unwrap(),
        [Record::new(&b"\xff\x00x"[..])]
    );
}

#[test]
fn json_lines_give_key_and_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\"user\":\"ann\",\"ts\":1000,\"n\":1}\n   \n{\"user\":7,\"ts\":999}\r\n";
    let path = write(&dir, "events.jsonl", text);
    let mut source = open(&json_spec(&path), DecodeErrorPolicy::Fail, 0, 1);
    let records = drain(&mut source, 100).unwrap();
    assert_eq!(
        records,
        [
            Record::new(r#"{"user":"ann","ts":1000,"n":1}"#)
                .with_key("ann")
                .with_timestamp(1000),
            Record::new(r#"{"user":7,"ts":999}"#)
                .with_key("7")
                .with_timestamp(999),
        ]
    );
}

#[test]
fn decode_errors_fail_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\"user\":\"a\",\"ts\":1}\n\n{\"user\":\"b\",\"ts\":\"soon\"}\n";
    let path = write(&dir, "events.jsonl", text);
    let mut source = open(&json_spec(&path), DecodeErrorPolicy::Fail, 0, 1);
    let err = drain(&mut source, 100).unwrap_err();
    let ConnectorError::Decode {
        source_id,
        file,
        line,
        message,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!((source_id.as_str(), file, *line), ("lines", &path, 3));
    assert!(message.contains("`ts`"), "{message}");
    let text = err.to_string();
    assert!(
        text.contains("source lines") && text.contains("events.jsonl:3"),
        "{text}"
    );
}

#[test]
fn invalid_json_is_a_decode_error_without_fields_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "events.jsonl", "{}\n[1,\n");
    let mut source = open(
        &spec(&path, LineFormat::Json),
        DecodeErrorPolicy::Fail,
        0,
        1,
    );
    let err = drain(&mut source, 100).unwrap_err();
    assert!(
        matches!(err, ConnectorError::Decode { line: 2, .. }),
        "{err:?}"
    );
}

#[test]
fn skip_policy_drops_and_counts_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = "not json\n{\"user\":\"a\",\"ts\":1}\n{\"ts\":2}\n{\"user\":\"c\",\"ts\":3}\n[]\n";
    let path = write(&dir, "events.jsonl", text);
    let mut source = open(&json_spec(&path), DecodeErrorPolicy::Skip, 0, 1);
    let records = drain(&mut source, 1).unwrap();
    let keys: Vec<_> = records.iter().map(|r| r.key.clone().unwrap()).collect();
    assert_eq!(keys, [b"a".to_vec(), b"c".to_vec()]);
    assert_eq!(source.skipped(), 3);
}

#[test]
fn raw_format_rejects_json_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "in.txt", "x\n");
    let bad = FileSourceSpec {
        key_field: Some("k".to_owned()),
        ..spec(&path, LineFormat::Raw)
    };
    let err = FileSource::new("lines", &bad, DecodeErrorPolicy::Fail, 0, 1).unwrap_err();
    assert!(matches!(err, ConnectorError::Config { .. }), "{err:?}");
}

/// A folder of `files` files with different line counts; each line names its
/// file and line.
fn folder(files: usize) -> (TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut all = Vec::new();
    for f in 0..files {
        let lines: Vec<String> = (0..(f * 7 % 11 + 1))
            .map(|l| format!("f{f}-l{l}"))
            .collect();
        all.extend(lines.iter().cloned());
        write(
            &dir,
            &format!("part-{f:02}.txt"),
            &(lines.join("\n") + "\n"),
        );
    }
    (dir, all)
}

#[test]
fn subtasks_split_a_folder_and_read_every_line_once() {
    let (dir, mut expected) = folder(7);
    expected.sort();
    for p in 1..=8 {
        let spec = spec(dir.path(), LineFormat::Raw);
        let mut seen = BTreeMap::new();
        for s in 0..p {
            let mut source = open(&spec, DecodeErrorPolicy::Fail, s, p);
            for value in values(&drain(&mut source, 3).unwrap()) {
                let file: usize = value[1..value.find('-').unwrap()].parse().unwrap();
                assert_eq!(file % p as usize, s as usize, "p={p} s={s} {value}");
                *seen.entry(value).or_insert(0) += 1;
            }
        }
        assert!(seen.values().all(|&n| n == 1), "p={p}: {seen:?}");
        assert_eq!(seen.into_keys().collect::<Vec<_>>(), expected, "p={p}");
    }
}

#[test]
fn files_are_read_in_name_order() {
    let (dir, expected) = folder(4);
    let mut source = open(
        &spec(dir.path(), LineFormat::Raw),
        DecodeErrorPolicy::Fail,
        0,
        1,
    );
    assert_eq!(values(&drain(&mut source, 5).unwrap()), expected);
}

#[test]
fn a_single_file_is_read_by_subtask_zero_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "in.txt", "a\nb\n");
    let spec = spec(&path, LineFormat::Raw);
    assert_eq!(
        drain(&mut open(&spec, DecodeErrorPolicy::Fail, 0, 2), 10)
            .unwrap()
            .len(),
        2
    );
    assert!(
        drain(&mut open(&spec, DecodeErrorPolicy::Fail, 1, 2), 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn position_and_seek_resume_anywhere() {
    let (dir, _) = folder(6);
    let spec = spec(dir.path(), LineFormat::Raw);
    let expected = values(&drain(&mut open(&spec, DecodeErrorPolicy::Fail, 1, 2), 4).unwrap());
    for cut in 0..=expected.len() {
        let mut first = open(&spec, DecodeErrorPolicy::Fail, 1, 2);
        let mut got = Vec::new();
        while got.len() < cut {
            first.poll(1, &mut got).unwrap();
        }
        let json = serde_json::to_string(&first.position()).unwrap();
        let mut resumed = open(&spec, DecodeErrorPolicy::Fail, 1, 2);
        resumed.seek(&serde_json::from_str(&json).unwrap()).unwrap();
        got.extend(drain(&mut resumed, 4).unwrap());
        assert_eq!(values(&got), expected, "cut after {cut} records at {json}");
    }
}

#[test]
fn position_counts_bytes_and_lines_of_the_current_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "in.txt", "ab\r\n\ncd\nef\n");
    let mut source = open(&spec(&path, LineFormat::Raw), DecodeErrorPolicy::Fail, 0, 1);
    let mut out = Vec::new();
    source.poll(2, &mut out).unwrap();
    let expected = SourcePosition::File {
        file_index: 0,
        byte_offset: 8,
        line: 3,
    };
    assert_eq!(source.position(), expected);
    drain(&mut source, 10).unwrap();
    let finished = SourcePosition::File {
        file_index: 1,
        byte_offset: 0,
        line: 0,
    };
    assert_eq!(source.position(), finished);
}

#[test]
fn seek_rejects_foreign_or_stale_positions() {
    let (dir, _) = folder(3);
    let spec = spec(dir.path(), LineFormat::Raw);
    let mut source = open(&spec, DecodeErrorPolicy::Fail, 0, 2);
    let foreign = SourcePosition::File {
        file_index: 1,
        byte_offset: 0,
        line: 0,
    };
    let err = source.seek(&foreign).unwrap_err();
    assert!(err.to_string().contains("subtask 1 of 2, not 0"), "{err}");
    let past_end = SourcePosition::File {
        file_index: 2,
        byte_offset: 1 << 20,
        line: 9,
    };
    let err = source.seek(&past_end).unwrap_err();
    assert!(err.to_string().contains("fewer than the offset"), "{err}");
    let generator = SourcePosition::Generator { next: 0 };
    assert!(matches!(
        source.seek(&generator),
        Err(ConnectorError::Seek { .. })
    ));
    // A failed seek leaves the source where it was.
    assert!(!drain(&mut source, 10).unwrap().is_empty());
}

#[test]
fn seek_past_the_last_file_finishes() {
    let (dir, _) = folder(2);
    let mut source = open(
        &spec(dir.path(), LineFormat::Raw),
        DecodeErrorPolicy::Fail,
        0,
        1,
    );
    let end = SourcePosition::File {
        file_index: 2,
        byte_offset: 0,
        line: 0,
    };
    source.seek(&end).unwrap();
    assert_eq!(
        source.poll(10, &mut Vec::new()).unwrap(),
        SourcePoll::Finished
    );
}

#[test]
fn a_file_removed_after_listing_names_the_file() {
    let (dir, _) = folder(2);
    let mut source = open(
        &spec(dir.path(), LineFormat::Raw),
        DecodeErrorPolicy::Fail,
        0,
        1,
    );
    fs::remove_file(dir.path().join("part-01.txt")).unwrap();
    let err = drain(&mut source, 100).unwrap_err();
    assert!(matches!(err, ConnectorError::SourceIo { .. }), "{err:?}");
    assert!(err.to_string().contains("part-01.txt"), "{err}");
}
