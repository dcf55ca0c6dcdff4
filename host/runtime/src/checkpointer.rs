//! The checkpoint coordinator of a running job: the I/O shell around
//! [`weir_checkpoint::CheckpointCoordinator`]'s decisions.
//!
//! One thread per job run. It triggers barriers at the sources, collects
//! every task's acknowledgement, writes the metadata of a complete
//! checkpoint (last, so a half-written checkpoint is never restored), then
//! tells the sinks to commit and deletes checkpoints no longer retained.
//! Savepoints are requested from outside (`weir savepoint`) and go through
//! the same path.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select, unbounded};
use weir_checkpoint::{
    CheckpointConfig, CheckpointCoordinator, CheckpointMetadata, CheckpointStorage, Completion,
    ModuleInfo, NodeSnapshot, PendingCheckpoint, SnapshotKind, SubtaskSnapshot, TaskId,
};
use weir_spec::NodeRef;
use weir_types::Barrier;

use crate::capture::{self, Captured};
use crate::control::{Commands, TaskCommand, TaskEvent, TaskIndex};
use crate::task::{JobShared, now_ms};

/// Longest the coordinator sleeps between looks at the clock.
const TICK: Duration = Duration::from_millis(100);

/// A completed checkpoint or savepoint, for the run's output and summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointReport {
    /// Its id.
    pub id: u64,
    /// A savepoint, not a periodic checkpoint.
    pub savepoint: bool,
    /// From trigger to the last acknowledgement, plus writing metadata.
    pub duration: Duration,
    /// Bytes of every file it references.
    pub size: u64,
    /// Bytes uploaded for it (less than `size` when incremental).
    pub uploaded: u64,
    /// Where it is.
    pub location: String,
}

/// Ask a running job for a savepoint.
#[derive(Debug)]
pub struct SavepointRequest {
    /// Target folder (path or URL); `None` uses the job's default.
    pub target: Option<String>,
    /// Stop the job once the savepoint is complete.
    pub stop: bool,
    /// Gets the savepoint's location, or why there is none.
    pub reply: Sender<Result<String, String>>,
}

/// What the checkpointer of one run needs.
#[derive(Clone)]
pub(crate) struct CheckpointSettings {
    pub(crate) storage: CheckpointStorage,
    pub(crate) config: CheckpointConfig,
    pub(crate) retain: usize,
    /// Folder savepoints go to when a request names none.
    pub(crate) savepoints: String,
    /// Local folder for native snapshots and downloads.
    pub(crate) scratch: PathBuf,
    /// Told about every completed checkpoint and savepoint.
    pub(crate) observer: Option<CheckpointObserver>,
}

/// A callback told about every completed checkpoint and savepoint (for
/// example to print it).
#[derive(Clone)]
pub struct CheckpointObserver(pub Arc<dyn Fn(&CheckpointReport) + Send + Sync>);

impl std::fmt::Debug for CheckpointObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckpointObserver")
    }
}

/// The task side: hands captures over and reports.
#[derive(Clone, Debug)]
pub(crate) struct CheckpointHandle {
    events: Sender<TaskEvent>,
    pending: Arc<Mutex<HashMap<u64, PendingCheckpoint>>>,
    scratch: PathBuf,
}

impl CheckpointHandle {
    /// A local folder for `node`'s native snapshot for `barrier`.
    pub(crate) fn scratch(&self, barrier: Barrier, node: &str, subtask: u32) -> PathBuf {
        self.scratch
            .join(format!("chk-{}", barrier.id))
            .join(format!("{node}-{subtask}"))
    }

    /// Stores `captured` on a separate thread, then acknowledges (or
    /// declines) checkpoint `barrier.id` for task `task`.
    pub(crate) fn submit(&self, barrier: Barrier, task: TaskIndex, captured: Vec<Captured>) {
        let pending = self
            .pending
            .lock()
            .expect("pending")
            .get(&barrier.id)
            .cloned();
        let Some(pending) = pending else {
            // Aborted (or expired) before this task got there.
            for c in &captured {
                if let Some(dir) = &c.scratch {
                    capture::remove_scratch(dir);
                }
            }
            return;
        };
        let events = self.events.clone();
        let id = barrier.id;
        let spawned = std::thread::Builder::new()
            .name(format!("weir-upload-{id}-{task}"))
            .spawn(move || {
                let mut snapshots = Vec::with_capacity(captured.len());
                let mut failure = None;
                for c in captured {
                    let (node, subtask, scratch) = (c.node.clone(), c.subtask, c.scratch.clone());
                    if failure.is_some() {
                        if let Some(dir) = &scratch {
                            capture::remove_scratch(dir);
                        }
                        continue;
                    }
                    match capture::store(&pending, c) {
                        Ok(s) => snapshots.push((node, subtask, s)),
                        Err(e) => {
                            if let Some(dir) = &scratch {
                                capture::remove_scratch(dir);
                            }
                            failure = Some(format!("{node} subtask {subtask}: {e}"));
                        }
                    }
                }
                let event = match failure {
                    None => TaskEvent::Ack {
                        id,
                        task,
                        snapshots,
                    },
                    Some(reason) => TaskEvent::Decline { id, task, reason },
                };
                let _ = events.send(event);
            });
        if let Err(e) = spawned {
            self.decline(id, task, format!("cannot start an upload thread: {e}"));
        }
    }

    /// Task `task` cannot take part in checkpoint `id`.
    pub(crate) fn decline(&self, id: u64, task: TaskIndex, reason: String) {
        let _ = self.events.send(TaskEvent::Decline { id, task, reason });
    }

    /// Source task `task` (source `node`, subtask `subtask`) read all its
    /// input and its chain keeps no state: later checkpoints hold
    /// `position` for it and go on without it.
    pub(crate) fn source_finished(
        &self,
        task: TaskIndex,
        node: &str,
        subtask: u32,
        position: serde_json::Value,
        last_barrier: Option<u64>,
    ) {
        let snapshot = Box::new(SubtaskSnapshot {
            source_position: Some(position),
            ..SubtaskSnapshot::default()
        });
        let _ = self.events.send(TaskEvent::SourceFinished {
            task,
            node: node.to_owned(),
            subtask,
            snapshot,
            last_barrier,
        });
    }

    /// Task `task` has ended.
    pub(crate) fn finished(&self, task: TaskIndex) {
        let _ = self.events.send(TaskEvent::Finished { task });
    }
}

/// The coordinator thread of one run.
pub(crate) struct Checkpointer {
    handle: CheckpointHandle,
    shutdown: Sender<()>,
    thread: JoinHandle<Vec<CheckpointReport>>,
}

impl Checkpointer {
    /// Starts coordinating checkpoints of a run whose tasks are `0..tasks`
    /// (sources among them are `sources`); ids continue after
    /// `restored_id`.
    pub(crate) fn start(
        shared: Arc<JobShared>,
        settings: CheckpointSettings,
        commands: Commands,
        tasks: u32,
        sources: Vec<TaskIndex>,
        restored_id: Option<u64>,
        savepoints: Receiver<SavepointRequest>,
    ) -> Result<Checkpointer, weir_checkpoint::Error> {
        let coordinator = CheckpointCoordinator::new(
            settings.config.clone(),
            (0..tasks).map(TaskId),
            restored_id,
            Instant::now(),
        )?;
        let (events_tx, events) = unbounded();
        let (shutdown, shutdown_rx) = unbounded();
        let handle = CheckpointHandle {
            events: events_tx,
            pending: Arc::new(Mutex::new(HashMap::new())),
            scratch: settings.scratch.clone(),
        };
        let mut run = Run {
            shared,
            settings,
            commands,
            sources,
            coordinator,
            pending: Arc::clone(&handle.pending),
            collected: HashMap::new(),
            requests: HashMap::new(),
            waiting_requests: Vec::new(),
            finished_sources: HashMap::new(),
            finishing: false,
            stop_requested: false,
            reports: Vec::new(),
        };
        let thread = std::thread::Builder::new()
            .name("weir-checkpoints".to_owned())
            .spawn(move || {
                run.run(&events, &savepoints, &shutdown_rx);
                run.reports
            })
            .map_err(|e| weir_checkpoint::Error::InvalidConfig {
                reason: format!("cannot start the checkpoint coordinator thread: {e}"),
            })?;
        Ok(Checkpointer {
            handle,
            shutdown,
            thread,
        })
    }

    /// What tasks use to hand over captures.
    pub(crate) fn handle(&self) -> CheckpointHandle {
        self.handle.clone()
    }

    /// Aborts what is in flight and returns the completed checkpoints.
    pub(crate) fn stop(self) -> Vec<CheckpointReport> {
        let _ = self.shutdown.send(());
        drop(self.handle);
        self.thread.join().unwrap_or_default()
    }
}

struct Run {
    shared: Arc<JobShared>,
    settings: CheckpointSettings,
    commands: Commands,
    sources: Vec<TaskIndex>,
    coordinator: CheckpointCoordinator,
    pending: Arc<Mutex<HashMap<u64, PendingCheckpoint>>>,
    /// Snapshots acknowledged so far, per checkpoint.
    collected: HashMap<u64, Vec<(String, u32, SubtaskSnapshot)>>,
    /// Savepoints in flight: who asked.
    requests: HashMap<u64, SavepointRequest>,
    /// Requests not yet triggered, in order.
    waiting_requests: Vec<SavepointRequest>,
    /// Source tasks that finished with their last snapshot, which stands
    /// for them in every later checkpoint.
    finished_sources: HashMap<TaskIndex, (String, u32, SubtaskSnapshot)>,
    /// A task has ended: no checkpoint can complete any more.
    finishing: bool,
    /// A stop-with-savepoint completed.
    stop_requested: bool,
    reports: Vec<CheckpointReport>,
}

impl Run {
    fn run(
        &mut self,
        events: &Receiver<TaskEvent>,
        savepoints: &Receiver<SavepointRequest>,
        shutdown: &Receiver<()>,
    ) {
        loop {
            let now = Instant::now();
            let wait = self
                .coordinator
                .next_wakeup()
                .map_or(TICK, |t| t.saturating_duration_since(now).min(TICK));
            select! {
                recv(events) -> event => match event {
                    Ok(event) => self.on_event(event),
                    Err(_) => return self.abort_all("the job ended"),
                },
                recv(savepoints) -> request => {
                    if let Ok(request) = request {
                        self.on_request(request);
                    }
                }
                recv(shutdown) -> _ => return self.abort_all("the job ended"),
                default(wait) => {}
            }
            if !self.finishing {
                let tick = self.coordinator.tick(Instant::now());
                for abort in tick.aborted {
                    self.abort(abort.id, &abort.reason.to_string());
                }
                if let Some(trigger) = tick.trigger {
                    self.trigger(trigger.id, trigger.kind);
                }
            }
        }
    }

    fn on_request(&mut self, request: SavepointRequest) {
        if self.finishing || self.stop_requested {
            let _ = request.reply.send(Err(
                "the job is finishing: no more savepoints can be taken".to_owned(),
            ));
            return;
        }
        self.coordinator.request_savepoint();
        self.waiting_requests.push(request);
    }

    fn trigger(&mut self, id: u64, kind: SnapshotKind) {
        let savepoint = kind == SnapshotKind::Savepoint;
        let begun = if savepoint {
            let request = self.waiting_requests.remove(0);
            let target = request.target.clone().unwrap_or_else(|| {
                format!(
                    "{}/savepoint-{id}-{}",
                    self.settings.savepoints.trim_end_matches('/'),
                    now_ms()
                )
            });
            self.requests.insert(id, request);
            self.settings.storage.begin_savepoint(id, &target)
        } else {
            self.settings.storage.begin(id, kind)
        };
        match begun {
            Ok(pending) => {
                self.pending.lock().expect("pending").insert(id, pending);
                tracing::debug!(id, %kind, "triggering");
                let barrier = Barrier { id, savepoint };
                for &task in &self.sources {
                    self.commands.send(task, TaskCommand::Trigger(barrier));
                }
            }
            Err(e) => {
                let reason = format!("cannot start it: {e}");
                if let Some(abort) = self.coordinator.abort(id, reason, Instant::now()) {
                    self.abort(abort.id, &abort.reason.to_string());
                }
            }
        }
    }

    fn on_event(&mut self, event: TaskEvent) {
        let now = Instant::now();
        match event {
            TaskEvent::Ack {
                id,
                task,
                snapshots,
            } => {
                self.collected.entry(id).or_default().extend(snapshots);
                match self.coordinator.ack(id, TaskId(task), now) {
                    weir_checkpoint::AckOutcome::Complete(completion) => self.complete(completion),
                    weir_checkpoint::AckOutcome::Pending { .. } => {}
                    weir_checkpoint::AckOutcome::Unknown => {
                        self.collected.remove(&id);
                    }
                }
            }
            TaskEvent::Decline { id, task, reason } => {
                if let Some(abort) = self.coordinator.decline(id, TaskId(task), reason, now) {
                    self.abort(abort.id, &abort.reason.to_string());
                }
            }
            TaskEvent::SourceFinished {
                task,
                node,
                subtask,
                snapshot,
                last_barrier,
            } => {
                if self.finishing {
                    return;
                }
                tracing::debug!(task, %node, subtask, "a source finished; checkpoints go on without it");
                self.sources.retain(|&s| s != task);
                self.finished_sources
                    .insert(task, (node, subtask, *snapshot));
                let done = self
                    .coordinator
                    .task_finished(TaskId(task), last_barrier, now);
                for completion in done {
                    self.complete(completion);
                }
            }
            TaskEvent::Finished { task } => {
                if self.finished_sources.contains_key(&task) {
                    return;
                }
                if !self.finishing {
                    self.finishing = true;
                    tracing::debug!(task, "a task finished: no further checkpoints");
                    for abort in self.coordinator.cancel_all(now) {
                        // The job is reaching its end; its final checkpoint
                        // follows.
                        self.abort_logged(
                            abort.id,
                            "a task finished before acknowledging it",
                            false,
                        );
                    }
                    for request in self.waiting_requests.drain(..) {
                        let _ =
                            request
                                .reply
                                .send(Err("the job finished before the savepoint could be taken"
                                    .to_owned()));
                    }
                }
            }
        }
    }

    fn abort_all(&mut self, why: &str) {
        for abort in self.coordinator.cancel_all(Instant::now()) {
            self.abort(abort.id, why);
        }
        for request in self.waiting_requests.drain(..) {
            let _ = request.reply.send(Err(format!("no savepoint: {why}")));
        }
    }

    fn abort(&mut self, id: u64, reason: &str) {
        self.abort_logged(id, reason, true);
    }

    /// Aborts checkpoint `id`; `failed` says whether that is worth a
    /// warning (not when the job simply reached its end).
    fn abort_logged(&mut self, id: u64, reason: &str, failed: bool) {
        self.collected.remove(&id);
        let pending = self.pending.lock().expect("pending").remove(&id);
        let kind = pending.as_ref().map_or("checkpoint", |p| p.kind().as_str());
        if failed {
            tracing::warn!(id, %reason, "{kind} {id} failed");
        } else {
            tracing::debug!(id, %reason, "{kind} {id} given up");
        }
        if let Some(request) = self.requests.remove(&id) {
            let _ = request
                .reply
                .send(Err(format!("savepoint {id} failed: {reason}")));
        }
        if let Some(pending) = pending
            && let Err(e) = pending.abort()
        {
            tracing::warn!(id, error = %e, "cannot clean up after a failed checkpoint");
        }
    }

    fn complete(&mut self, completion: Completion) {
        let id = completion.id;
        let started = Instant::now();
        let Some(pending) = self.pending.lock().expect("pending").remove(&id) else {
            return;
        };
        let mut snapshots = self.collected.remove(&id).unwrap_or_default();
        // Finished sources that did not take part: their last position.
        for (node, subtask, snapshot) in self.finished_sources.values() {
            if !snapshots.iter().any(|(n, s, _)| n == node && s == subtask) {
                snapshots.push((node.clone(), *subtask, snapshot.clone()));
            }
        }
        let metadata = metadata(&self.shared, completion.kind, id, snapshots);
        let committed = match pending.commit(metadata) {
            Ok(c) => c,
            Err(e) => {
                self.pending.lock().expect("pending").insert(id, pending);
                self.abort(id, &format!("cannot write its metadata: {e}"));
                return;
            }
        };
        let report = CheckpointReport {
            id,
            savepoint: completion.kind == SnapshotKind::Savepoint,
            duration: completion.duration + started.elapsed(),
            size: committed.checkpointed_bytes(),
            uploaded: committed.uploaded_bytes,
            location: committed.location.clone(),
        };
        tracing::info!(
            target: "weir::checkpoint",
            "{} {id} complete in {} ms: {} ({} uploaded)",
            completion.kind,
            report.duration.as_millis(),
            human_bytes(report.size),
            human_bytes(report.uploaded),
        );
        if let Some(observer) = &self.settings.observer {
            (observer.0)(&report);
        }
        self.reports.push(report.clone());
        match completion.kind {
            SnapshotKind::Checkpoint => {
                self.commands.broadcast(&TaskCommand::Commit(id));
                if let Err(e) = self.settings.storage.subsume(self.settings.retain) {
                    tracing::warn!(error = %e, "cannot delete old checkpoints");
                }
            }
            SnapshotKind::Savepoint => {
                if let Some(request) = self.requests.remove(&id) {
                    if request.stop {
                        // Publish what the savepoint covers, then stop every
                        // task where it is: nothing after the barrier counts.
                        self.stop_requested = true;
                        self.commands.broadcast(&TaskCommand::Commit(id));
                        self.commands.broadcast(&TaskCommand::Stop);
                    }
                    let _ = request.reply.send(Ok(report.location.clone()));
                }
            }
        }
    }
}

/// The metadata of checkpoint `id` from every task's snapshots.
pub(crate) fn metadata(
    shared: &JobShared,
    kind: SnapshotKind,
    id: u64,
    snapshots: Vec<(String, u32, SubtaskSnapshot)>,
) -> CheckpointMetadata {
    let spec = &shared.spec.spec;
    let mut metadata =
        CheckpointMetadata::new(kind, id, &spec.name, now_ms(), spec.max_parallelism);
    for id in spec.topological_order() {
        let (parallelism, module, backend) = match spec.node(id) {
            Some(NodeRef::Source(s)) => (s.parallelism, None, None),
            Some(NodeRef::Sink(s)) => (s.parallelism, None, None),
            Some(NodeRef::Operator(op)) => {
                let m = &shared.modules[id];
                let info = ModuleInfo {
                    sha256: m.hash_hex(),
                    world: m.world().to_string(),
                    wit: m.wit_package().to_owned(),
                };
                let backend = op
                    .key_by
                    .is_some()
                    .then(|| spec.state.backend.name().to_owned());
                (op.parallelism, Some(info), backend)
            }
            None => continue,
        };
        metadata.nodes.insert(
            id.to_owned(),
            NodeSnapshot {
                parallelism,
                module,
                state_backend: backend,
                subtasks: vec![SubtaskSnapshot::default(); parallelism as usize],
            },
        );
    }
    for (node, subtask, snapshot) in snapshots {
        if let Some(n) = metadata.nodes.get_mut(&node)
            && let Some(slot) = n.subtasks.get_mut(subtask as usize)
        {
            *slot = snapshot;
        }
    }
    metadata
}

/// `1.5 MiB`, `812 B`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
