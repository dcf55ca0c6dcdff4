//! Checkpoints that fail, end to end with the real `weir` binary: a full
//! disk under the checkpoint storage, an S3 server (moto on loopback) that
//! stops answering, and checkpoint files that are missing or corrupt when a
//! job is restored. A failed checkpoint fails alone: the job runs on, later
//! checkpoints complete once the storage is back, and a restore only ever
//! uses a checkpoint whose every file is whole.

mod support;

use std::path::Path;
use std::time::Duration;

use weir_test_fixtures::{Moto, Tmpfs, files_under};

use support::durable::{CHECKPOINTS, JobShape, LIMIT, Lcg, Running, assert_exactly_once, read};

/// A RocksDB counting job paced to run for about `count / 10_000` seconds.
fn shape(count: u64) -> JobShape<'static> {
    JobShape {
        state: "rocksdb",
        count,
        keys: 2_000,
        rate: Some(10_000),
        count_parallelism: 2,
        sink_parallelism: 1,
        checkpoints: true,
    }
}

/// Writes `shape`'s job with `settings` added to its `checkpoints:`.
fn write_job(dir: &Path, shape: &JobShape<'_>, settings: &str) {
    let checkpoints = CHECKPOINTS.replace(" }", &format!(", {settings} }}"));
    let yaml = shape.yaml().replace(CHECKPOINTS, &checkpoints);
    std::fs::write(dir.join("job.yaml"), yaml).unwrap();
}

/// The id in `checkpoint <id> complete` lines, the highest one seen.
fn last_complete(lines: &[String]) -> Option<u64> {
    lines
        .iter()
        .filter_map(|line| {
            let rest = line.split("checkpoint ").nth(1)?;
            let (id, rest) = rest.split_once(' ')?;
            rest.starts_with("complete").then(|| id.parse().ok())?
        })
        .max()
}

/// Kills `run` at a random point, restores the job from its latest
/// checkpoint, and checks the restore used the last checkpoint reported
/// complete and that the output counts every record exactly once.
fn kill_restore_and_check(dir: &Path, run: Running, count: u64, rng: &mut Lcg) {
    std::thread::sleep(Duration::from_millis(rng.below(300)));
    let log = run.kill_and_collect();
    let lines: Vec<String> = log.lines().map(str::to_owned).collect();
    let last = last_complete(&lines).expect("a checkpoint completed");
    let (ok, log) = Running::start(dir, &["--restore", "latest"]).finish();
    assert!(ok, "restoring fails:\n{log}");
    assert!(
        log.contains(&format!("restored from checkpoint {last}")),
        "not restored from checkpoint {last}, the last one reported complete:\n{log}"
    );
    assert_exactly_once(&dir.join("out"), count);
}

/// Waits for the next `checkpoint <n> failed` warning and returns it.
fn wait_for_failure(run: &mut Running) -> String {
    loop {
        assert!(
            run.wait_for(" failed"),
            "the job ended:\n{}",
            run.seen().join("\n")
        );
        let line = run.seen().last().unwrap().clone();
        if line.contains("checkpoint ") {
            return line;
        }
    }
}

/// Waits until a checkpoint after `after` completes.
fn wait_for_complete_after(run: &mut Running, after: u64) -> u64 {
    loop {
        assert!(
            run.wait_for(" complete in "),
            "the job ended:\n{}",
            run.seen().join("\n")
        );
        let id = last_complete(run.seen()).unwrap();
        if id > after {
            return id;
        }
    }
}

const FULL_DISK: &str = "a_full_disk_fails_checkpoints_and_the_job_goes_on";

#[test]
fn a_full_disk_fails_checkpoints_and_the_job_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount_or_rerun(&dir.path().join("disk"), "16m", FULL_DISK) else {
        return;
    };
    let shape = shape(120_000);
    let storage = disk.path().join("checkpoints");
    write_job(
        dir.path(),
        &shape,
        &format!("storage: \"{}\"", storage.display()),
    );
    let mut run = Running::start(dir.path(), &[]);
    assert!(run.wait_for("checkpoint 2 complete"));

    let filler = disk.fill("filler");
    let first = wait_for_failure(&mut run);
    eprintln!("full disk: {first}");
    assert!(first.contains("No space left on device"), "{first}");
    assert!(first.contains(&storage.display().to_string()), "{first}");
    // The job goes on and tries again; those fail too while the disk is full.
    let second = wait_for_failure(&mut run);
    assert_ne!(first, second);
    let before = last_complete(run.seen()).unwrap();

    // Space again: checkpoints complete again without a restart.
    std::fs::remove_file(&filler).unwrap();
    let after = wait_for_complete_after(&mut run, before);
    assert!(!run.seen().iter().any(|l| l.contains("restarting")));
    // Failed checkpoints left no folder behind, only completed ones.
    for entry in std::fs::read_dir(&storage).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("chk-") && !path.join("_metadata").is_file() {
            // At most the one in flight now.
            let id: u64 = name["chk-".len()..].parse().unwrap();
            assert!(id > after, "{name} has no _metadata");
        }
    }
    kill_restore_and_check(dir.path(), run, shape.count, &mut Lcg(7));
    drop(disk);
}

#[test]
fn an_s3_store_that_stops_answering_fails_checkpoints_not_the_job() {
    let moto = Moto::start();
    moto.create_bucket("weir");
    let dir = tempfile::tempdir().unwrap();
    let shape = shape(150_000);
    let options = moto.options_yaml().replace(" }", ", timeout: \"1s\" }");
    write_job(
        dir.path(),
        &shape,
        &format!("timeout_ms: 4000, storage: \"s3://weir/jobs/count\", storage_options: {options}"),
    );
    let mut run = Running::start(dir.path(), &[]);
    assert!(run.wait_for("checkpoint 2 complete"));
    assert!(
        run.seen()
            .last()
            .unwrap()
            .contains("s3://weir/jobs/count/chk-2"),
        "{}",
        run.seen().join("\n")
    );

    moto.pause();
    let failure = wait_for_failure(&mut run);
    eprintln!("paused S3: {failure}");
    assert!(failure.contains("s3://weir/jobs/count"), "{failure}");
    let before = last_complete(run.seen()).unwrap();
    moto.resume();
    wait_for_complete_after(&mut run, before);
    assert!(!run.seen().iter().any(|l| l.contains("restarting")));

    // Recovery reads the checkpoint back from S3.
    kill_restore_and_check(dir.path(), run, shape.count, &mut Lcg(11));
}

/// Restoring `latest` (checkpoint `id`) fails before anything runs, with
/// a message holding each of `want`.
fn restore_fails(dir: &Path, id: u64, want: &[&str]) {
    let output = read(&dir.join("out"));
    let out = support::run_weir(dir, &["--restore", "latest"], LIMIT).unwrap();
    let line = support::error_line("a restore from a damaged checkpoint", &out);
    eprintln!("damaged checkpoint: {line}");
    for want in [&format!("cannot restore from checkpoint {id}:")[..]]
        .iter()
        .chain(want)
    {
        assert!(line.contains(want), "`{want}` not in: {line}");
    }
    assert_eq!(read(&dir.join("out")), output, "the output changed");
}

#[test]
fn damaged_checkpoint_files_are_never_restored() {
    let dir = tempfile::tempdir().unwrap();
    let shape = shape(40_000);
    write_job(dir.path(), &shape, "retain: 2");
    let mut run = Running::start(dir.path(), &[]);
    assert!(run.wait_for("checkpoint 3 complete"));
    run.kill();
    let root = dir.path().join(".weir/checkpoints/durable-count");
    let mut completed: Vec<u64> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name()?.to_str()?.to_owned();
            let id: u64 = name.strip_prefix("chk-")?.parse().ok()?;
            path.join("_metadata").is_file().then_some(id)
        })
        .collect();
    completed.sort_unstable();
    let [.., previous, latest] = completed[..] else {
        panic!("two checkpoints are retained: {completed:?}");
    };
    let chk = root.join(format!("chk-{latest}"));
    let metadata = std::fs::read_to_string(chk.join("_metadata")).unwrap();

    // A shared RocksDB file the latest checkpoint needs is gone.
    let shared = files_under(&root.join("shared"))
        .into_iter()
        .find(|p| metadata.contains(&*p.file_name().unwrap().to_string_lossy()))
        .expect("the latest checkpoint references a shared file");
    let kept = std::fs::read(&shared).unwrap();
    std::fs::remove_file(&shared).unwrap();
    let name = shared.file_name().unwrap().to_string_lossy().into_owned();
    restore_fails(dir.path(), latest, &[&name, "is missing"]);
    std::fs::write(&shared, &kept).unwrap();

    // An exclusive file of it lost its tail.
    let timers = files_under(&chk)
        .into_iter()
        .find(|p| p.ends_with("timers"))
        .expect("a timers file");
    let kept = std::fs::read(&timers).unwrap();
    std::fs::write(&timers, &kept[..kept.len() / 2]).unwrap();
    restore_fails(dir.path(), latest, &["timers` is damaged"]);
    // One byte of it flipped, its size unchanged: a key group's checksum
    // catches it when the state is read.
    let mut flipped = kept.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    std::fs::write(&timers, &flipped).unwrap();
    let out = support::run_weir(dir.path(), &["--restore", "latest"], LIMIT).unwrap();
    let line = support::error_line("a restore from a flipped byte", &out);
    eprintln!("damaged checkpoint: {line}");
    assert!(
        line.contains("do not match their checksum: the file is damaged"),
        "{line}"
    );
    std::fs::write(&timers, &kept).unwrap();

    // Its metadata is garbage: `latest` is the one before, with a warning.
    std::fs::write(chk.join("_metadata"), b"{ not json").unwrap();
    let (ok, log) = Running::start(dir.path(), &["--restore", "latest"]).finish();
    assert!(ok, "{log}");
    assert!(
        log.contains(&format!("restored from checkpoint {previous}")),
        "{log}"
    );
    assert!(
        log.contains("corrupt checkpoint metadata") && log.contains(&format!("chk-{latest}")),
        "no warning about checkpoint {latest}:\n{log}"
    );
    assert_exactly_once(&dir.path().join("out"), shape.count);
}
