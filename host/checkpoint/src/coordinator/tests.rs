use std::time::{Duration, Instant};

use super::*;

const T0: TaskId = TaskId(0);
const T1: TaskId = TaskId(1);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn config() -> CheckpointConfig {
    CheckpointConfig {
        interval: Some(secs(10)),
        timeout: secs(60),
        min_pause: secs(3),
        max_concurrent: 1,
    }
}

fn coordinator(
    config: CheckpointConfig,
    restored: Option<u64>,
) -> (CheckpointCoordinator, Instant) {
    let start = Instant::now();
    let c = CheckpointCoordinator::new(config, [T0, T1], restored, start).unwrap();
    (c, start)
}

fn checkpoint(id: u64) -> Option<Trigger> {
    Some(Trigger {
        id,
        kind: SnapshotKind::Checkpoint,
    })
}

fn savepoint(id: u64) -> Option<Trigger> {
    Some(Trigger {
        id,
        kind: SnapshotKind::Savepoint,
    })
}

fn complete(c: &mut CheckpointCoordinator, id: u64, now: Instant) -> Completion {
    assert_eq!(c.ack(id, T0, now), AckOutcome::Pending { remaining: 1 });
    match c.ack(id, T1, now) {
        AckOutcome::Complete(completion) => completion,
        other => panic!("expected completion, got {other:?}"),
    }
}

#[test]
fn triggers_once_the_interval_has_passed() {
    let (mut c, t) = coordinator(config(), None);
    assert_eq!(c.next_wakeup(), Some(t + secs(10)));
    assert_eq!(c.tick(t + secs(9)).trigger, None);
    assert_eq!(c.tick(t + secs(10)).trigger, checkpoint(1));
}

#[test]
fn at_most_max_concurrent_in_flight() {
    let (mut c, t) = coordinator(config(), None);
    assert_eq!(c.tick(t + secs(10)).trigger, checkpoint(1));
    assert_eq!(c.tick(t + secs(25)).trigger, None, "1 is still in flight");
    let done = complete(&mut c, 1, t + secs(26));
    assert_eq!((done.id, done.duration), (1, secs(16)));
    // Overdue since 20 s; the pause after completion still applies.
    assert_eq!(c.next_wakeup(), Some(t + secs(29)));
    assert_eq!(c.tick(t + secs(29)).trigger, checkpoint(2));

    let mut two = config();
    two.max_concurrent = 2;
    two.min_pause = Duration::ZERO;
    let (mut c, t) = coordinator(two, None);
    assert_eq!(c.tick(t + secs(10)).trigger, checkpoint(1));
    assert_eq!(c.tick(t + secs(20)).trigger, checkpoint(2));
    assert_eq!(c.tick(t + secs(30)).trigger, None);
    assert_eq!(c.in_flight().count(), 2);
}

#[test]
fn waits_min_pause_after_a_completion() {
    let mut config = config();
    config.min_pause = secs(8);
    let (mut c, t) = coordinator(config, None);
    assert_eq!(c.tick(t + secs(10)).trigger, checkpoint(1));
    complete(&mut c, 1, t + secs(15));
    // The interval says 20 s, the pause says 23 s.
    assert_eq!(c.tick(t + secs(20)).trigger, None);
    assert_eq!(c.next_wakeup(), Some(t + secs(23)));
    assert_eq!(c.tick(t + secs(23)).trigger, checkpoint(2));
}

#[test]
fn waits_min_pause_after_an_abort() {
    let (mut c, t) = coordinator(config(), None);
    assert_eq!(c.tick(t + secs(10)).trigger, checkpoint(1));
    let abort = c.decline(1, T1, "disk full", t + secs(19)).unwrap();
    assert_eq!(abort.id, 1);
    assert_eq!(c.tick(t + secs(21)).trigger, None);
    assert_eq!(c.tick(t + secs(22)).trigger, checkpoint(2));
}

#[test]
fn a_finished_task_is_no_longer_waited_for() {
    let (mut c, t) = coordinator(config(), None);
    assert_eq!(c.tick(t + secs(10)).trigger, checkpoint(1));
    assert_eq!(
        c.ack(1, T0, t + secs(11)),
        AckOutcome::Pending { remaining: 1 }
    );
    // T1 ends before it got checkpoint 1's barrier: 1 completes without it.
    let done = c.task_finished(T1, None, t + secs(12));
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].id, 1);
    assert_eq!(done[0].duration, secs(2));
    assert!(c.task_finished(T1, None, t + secs(12)).is_empty(), "once");
    // Later checkpoints wait for T0 alone; T1's acks are unknown.
    assert_eq!(c.tick(t + secs(20)).trigger, checkpoint(2));
    assert_eq!(c.ack(2, T1, t + secs(21)), AckOutcome::Unknown);
    assert!(matches!(
        c.ack(2, T0, t + secs(21)),
        AckOutcome::Complete(_)
    ));
    // With no task left nothing starts.
    assert!(c.task_finished(T0, None, t + secs(22)).is_empty());
    assert_eq!(c.tick(t + secs(100)).trigger, None);
}

#[test]
fn a_finished_task_still_acknowledges_what_it_took_part_in() {
    let (mut c, t) = coordinator(config(), None);
    assert_eq!(c.tick(t + secs(10)).trigger, checkpoint(1));
    c.ack(1, T0, t + secs(11));
    // T1 injected barrier 1, then finished; its upload is still going.
    assert!(c.task_finished(T1, Some(1), t + secs(11)).is_empty());
    assert!(matches!(
        c.ack(1, T1, t + secs(12)),
        AckOutcome::Complete(_)
    ));
    assert_eq!(c.ack(1, T1, t + secs(12)), AckOutcome::Unknown);
}

#[test]
fn the_caller_aborts_a_checkpoint_it_cannot_start() {
    let (mut c, t) = coordinator(config(), None);
    assert_eq!(c.tick(t + secs(10)).trigger, checkpoint(1));
    let abort = c
        .abort(1, "cannot start it: store down", t + secs(10))
        .unwrap();
    assert_eq!(
        abort.reason,
        AbortReason::Failed("cannot start it: store down".into())
    );
    assert_eq!(abort.reason.to_string(), "cannot start it: store down");
    assert_eq!(c.abort(1, "again", t + secs(10)), None);
    assert_eq!(c.ack(1, T0, t + secs(11)), AckOutcome::Unknown);
    // The minimum pause counts from the abort.
    assert_eq!(c.tick(t + secs(12)).trigger, None);
    assert_eq!(c.tick(t + secs(20)).trigger, checkpoint(2));
}

#[test]
fn expires_checkpoints_past_the_timeout() {
    let (mut c, t) = coordinator(config(), None);
    assert_eq!(c.tick(t + secs(10)).trigger, checkpoint(1));
    c.ack(1, T0, t + secs(11));
    assert_eq!(c.next_wakeup(), Some(t + secs(70)));
    assert!(c.tick(t + secs(69)).aborted.is_empty());
    let tick = c.tick(t + secs(70));
    assert_eq!(
        tick.aborted,
        vec![Abort {
            id: 1,
            kind: SnapshotKind::Checkpoint,
            reason: AbortReason::Expired {
                timeout: secs(60),
                missing: 1
            },
        }]
    );
    assert_eq!(tick.trigger, None, "min pause after the abort");
    assert_eq!(c.tick(t + secs(73)).trigger, checkpoint(2));
}

#[test]
fn late_acks_after_an_abort_are_unknown() {
    let (mut c, t) = coordinator(config(), None);
    c.tick(t + secs(10));
    assert!(c.decline(1, T0, "no", t + secs(11)).is_some());
    assert_eq!(c.ack(1, T1, t + secs(12)), AckOutcome::Unknown);
    assert_eq!(c.decline(1, T1, "again", t + secs(12)), None);
    assert_eq!(
        c.ack(99, T1, t + secs(12)),
        AckOutcome::Unknown,
        "never triggered"
    );

    c.tick(t + secs(20));
    let abort = c.tick(t + secs(80)).aborted;
    assert_eq!(abort.len(), 1);
    assert_eq!(c.ack(2, T0, t + secs(81)), AckOutcome::Unknown, "expired");
}

#[test]
fn acks_from_unknown_tasks_and_duplicates_do_not_complete() {
    let (mut c, t) = coordinator(config(), None);
    c.tick(t + secs(10));
    assert_eq!(c.ack(1, TaskId(7), t + secs(11)), AckOutcome::Unknown);
    assert_eq!(
        c.ack(1, T0, t + secs(11)),
        AckOutcome::Pending { remaining: 1 }
    );
    assert_eq!(
        c.ack(1, T0, t + secs(12)),
        AckOutcome::Pending { remaining: 1 }
    );
    assert!(matches!(
        c.ack(1, T1, t + secs(12)),
        AckOutcome::Complete(_)
    ));
    assert_eq!(c.decline(2, TaskId(7), "?", t + secs(13)), None);
}

#[test]
fn savepoints_go_first_and_ignore_interval_and_pause() {
    let (mut c, t) = coordinator(config(), None);
    c.request_savepoint();
    assert_eq!(c.next_wakeup(), Some(t));
    assert_eq!(c.tick(t + secs(1)).trigger, savepoint(1));
    complete(&mut c, 1, t + secs(2));
    // A second request right after: no pause, and ahead of the periodic
    // checkpoint that is due at 10 s.
    c.request_savepoint();
    assert_eq!(c.tick(t + secs(2)).trigger, savepoint(2));
    complete(&mut c, 2, t + secs(3));
    assert_eq!(
        c.tick(t + secs(10)).trigger,
        checkpoint(3),
        "savepoints do not reset the interval"
    );
}

#[test]
fn a_savepoint_waits_for_the_checkpoint_in_flight_and_blocks_the_next() {
    let mut config = config();
    config.max_concurrent = 2;
    let (mut c, t) = coordinator(config, None);
    assert_eq!(c.tick(t + secs(10)).trigger, checkpoint(1));
    c.request_savepoint();
    assert_eq!(c.tick(t + secs(11)).trigger, None, "1 in flight");
    assert_eq!(
        c.tick(t + secs(20)).trigger,
        None,
        "no periodic checkpoint jumps ahead"
    );
    complete(&mut c, 1, t + secs(21));
    assert_eq!(c.tick(t + secs(21)).trigger, savepoint(2));
}

#[test]
fn savepoints_only_without_an_interval() {
    let mut config = config();
    config.interval = None;
    let (mut c, t) = coordinator(config, None);
    assert_eq!(c.next_wakeup(), None);
    assert_eq!(c.tick(t + secs(3600)).trigger, None);
    c.request_savepoint();
    assert_eq!(c.tick(t + secs(3601)).trigger, savepoint(1));
}

#[test]
fn ids_continue_after_the_restored_checkpoint() {
    let (mut c, t) = coordinator(config(), Some(41));
    assert_eq!(c.next_id(), 42);
    assert_eq!(c.tick(t + secs(10)).trigger, checkpoint(42));
    c.decline(42, T0, "no", t + secs(11));
    assert_eq!(
        c.tick(t + secs(20)).trigger,
        checkpoint(43),
        "aborted ids are not reused"
    );
}

#[test]
fn cancel_all_aborts_what_is_in_flight() {
    let (mut c, t) = coordinator(config(), None);
    c.tick(t + secs(10));
    let aborted = c.cancel_all(t + secs(11));
    assert_eq!(aborted.len(), 1);
    assert_eq!(aborted[0].reason, AbortReason::Cancelled);
    assert_eq!(c.in_flight().count(), 0);
}

#[test]
fn rejects_nonsense_configurations() {
    let now = Instant::now();
    let mut zero = config();
    zero.max_concurrent = 0;
    assert!(CheckpointCoordinator::new(zero, [T0], None, now).is_err());
    assert!(CheckpointCoordinator::new(config(), [], None, now).is_err());
    let mut no_timeout = config();
    no_timeout.timeout = Duration::ZERO;
    let err = CheckpointCoordinator::new(no_timeout, [T0], None, now).unwrap_err();
    assert!(err.to_string().contains("timeout"), "{err}");
}
