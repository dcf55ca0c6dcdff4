//! Checkpoint storage on S3, against a moto server on loopback.

mod support;

use weir_checkpoint::{CheckpointStorage, Error, SnapshotKind};

use support::moto_options;
use weir_test_fixtures::Moto;

#[test]
fn round_trip_incremental_and_savepoints() {
    let moto = Moto::start();
    moto.create_bucket("weir");
    let options = moto_options(&moto);
    let work = tempfile::tempdir().unwrap();

    let storage = CheckpointStorage::open("s3://weir/jobs/one", &options).unwrap();
    assert_eq!(storage.location(), "s3://weir/jobs/one");
    support::round_trip(&storage, &work.path().join("round-trip"));
    support::savepoint(
        &storage,
        &options,
        "s3://weir/savepoints/sp-10",
        &work.path().join("savepoint"),
    );

    support::incremental(
        "s3://weir/jobs/two",
        &options,
        &work.path().join("incremental"),
    );
}

#[test]
fn a_stopped_server_gives_errors_naming_the_url() {
    let mut moto = Moto::start();
    moto.create_bucket("weir");
    let storage = CheckpointStorage::open("s3://weir/job", &moto_options(&moto)).unwrap();
    let pending = storage.begin(1, SnapshotKind::Checkpoint).unwrap();
    moto.stop();

    let err = pending.put("state", b"bytes".to_vec()).unwrap_err();
    assert!(matches!(err, Error::Upload { .. }), "{err}");
    assert!(
        err.to_string().contains("s3://weir/job/chk-1/state"),
        "{err}"
    );
    assert!(err.is_retryable());
    eprintln!("stopped server: {err}");

    let err = storage.latest().unwrap_err();
    eprintln!("listing: {err}");
    assert!(err.to_string().contains("s3://weir/job"), "{err}");

    let err = CheckpointStorage::open("s3://weir/job", &moto_options(&moto)).unwrap_err();
    assert!(err.to_string().contains("s3://weir/job"), "{err}");
}

#[test]
fn a_missing_bucket_is_a_clear_error() {
    let moto = Moto::start();
    let err = CheckpointStorage::open("s3://nowhere/job", &moto_options(&moto)).unwrap_err();
    let message = err.to_string();
    eprintln!("missing bucket: {message}");
    assert!(message.contains("s3://nowhere"), "{message}");
}
