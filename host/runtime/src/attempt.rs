//! One run of every task of a job, from start (or restore) to the end of
//! its input, a stop, or its first failure.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use crossbeam_channel::Receiver;

use crate::channel::{ElementSender, Inbox};
use crate::checkpointer::{CheckpointReport, CheckpointSettings, Checkpointer, SavepointRequest};
use crate::control::{Commands, TaskIndex};
use crate::error::{Result, RuntimeError};
use crate::node::NodeReport;
use crate::partition::OutputEdge;
use crate::progress::Progress;
use crate::restore::Restore;
use crate::task::{self, Ending, JobShared, TaskSetup};

/// Every task's node reports.
pub(crate) type Reports = Vec<Vec<(String, NodeReport)>>;

/// How a run ended.
pub(crate) struct Attempt {
    /// `Ok` with every task's reports and whether it was stopped, or the
    /// first failure.
    pub(crate) result: Result<(Ending, Reports)>,
    /// Checkpoints completed during the run.
    pub(crate) checkpoints: Vec<CheckpointReport>,
}

/// Runs every subtask of the job on its own thread.
pub(crate) fn run(
    shared: &Arc<JobShared>,
    settings: Option<&CheckpointSettings>,
    restore: Option<Arc<Restore>>,
    savepoints: Receiver<SavepointRequest>,
    progress: bool,
) -> Attempt {
    let plan = &shared.plan;
    let max_par = shared.spec.spec.max_parallelism;
    // One inbox per subtask of every task with inputs.
    let mut inboxes: Vec<Vec<Inbox>> = plan
        .tasks
        .iter()
        .enumerate()
        .map(|(ti, t)| {
            if t.inputs.is_empty() {
                Vec::new()
            } else {
                let channels = plan.inbox_channels(ti);
                (0..t.parallelism).map(|_| Inbox::new(channels)).collect()
            }
        })
        .collect();
    let mut setups = Vec::new();
    let mut sources: Vec<TaskIndex> = Vec::new();
    for (ti, t) in plan.tasks.iter().enumerate() {
        for s in 0..t.parallelism {
            let outputs = t
                .outputs
                .iter()
                .map(|o| {
                    let input = &plan.tasks[o.to_task].inputs[o.input_index];
                    let senders: Vec<Box<dyn ElementSender>> = inboxes[o.to_task]
                        .iter()
                        .map(|inbox| {
                            Box::new(inbox.sender(input.first_channel + s))
                                as Box<dyn ElementSender>
                        })
                        .collect();
                    let name = format!(
                        "{} → {}",
                        t.chain.last().expect("chains are not empty"),
                        plan.tasks[o.to_task].chain[0]
                    );
                    OutputEdge::new(
                        name,
                        o.side_output.clone(),
                        o.partitioning,
                        o.key_by.clone(),
                        max_par,
                        s,
                        senders,
                    )
                })
                .collect();
            if t.inputs.is_empty() {
                sources.push(setups.len() as TaskIndex);
            }
            setups.push((ti, s, outputs));
        }
    }
    let (commands, mut controls) = Commands::new(setups.len());
    // Ids continue after the restored snapshot and after every checkpoint
    // already in the storage, so a restore from an older checkpoint never
    // reuses (or sorts below) the ids of newer ones.
    let restored_id = restore
        .as_ref()
        .map(|r| r.metadata().id)
        .into_iter()
        .chain(settings.and_then(|s| highest_id(&s.storage)))
        .max();
    let checkpointer = match settings {
        Some(settings) => match Checkpointer::start(
            Arc::clone(shared),
            settings.clone(),
            commands.clone(),
            setups.len() as u32,
            sources,
            restored_id,
            savepoints,
        ) {
            Ok(c) => Some(c),
            Err(e) => {
                return Attempt {
                    result: Err(e.into()),
                    checkpoints: Vec::new(),
                };
            }
        },
        None => None,
    };
    let mut receivers: Vec<Vec<Option<_>>> = inboxes
        .iter_mut()
        .map(|v| v.drain(..).map(|i| Some(i.into_reader())).collect())
        .collect();
    let first_error: Arc<Mutex<Option<RuntimeError>>> = Arc::new(Mutex::new(None));
    let reports = Arc::new(Mutex::new(Vec::new()));
    let stopped = Arc::new(Mutex::new(false));
    let mut handles = Vec::new();
    for (index, ((ti, s, outputs), control)) in
        setups.into_iter().zip(controls.drain(..)).enumerate()
    {
        let inbox = receivers[ti].get_mut(s as usize).and_then(Option::take);
        let setup = TaskSetup {
            shared: Arc::clone(shared),
            task: ti,
            subtask: s,
            index: index as TaskIndex,
            inbox,
            outputs,
            control,
            checkpoints: checkpointer.as_ref().map(Checkpointer::handle),
            restore: restore.clone(),
        };
        let name = setup.name();
        let error_slot = Arc::clone(&first_error);
        let reports = Arc::clone(&reports);
        let stopped = Arc::clone(&stopped);
        let cancel = Arc::clone(&shared.cancel);
        let spawned = std::thread::Builder::new()
            .name(format!("weir-{name}"))
            .spawn(move || {
                let task_name = setup.name();
                match task::run(setup) {
                    Ok((ending, r)) => {
                        if ending == Ending::Stopped {
                            *stopped.lock().expect("stopped") = true;
                        }
                        reports.lock().expect("reports").push(r);
                    }
                    Err(e) => {
                        if !e.is_secondary() {
                            tracing::error!(task = %task_name, error = %e, "task failed");
                        }
                        cancel.store(true, Ordering::Relaxed);
                        record_error(&error_slot, e);
                    }
                }
            });
        match spawned {
            Ok(handle) => handles.push((name, handle)),
            Err(error) => {
                shared.cancel.store(true, Ordering::Relaxed);
                record_error(&first_error, RuntimeError::Spawn { task: name, error });
                break;
            }
        }
    }
    drop(commands);
    let progress = progress.then(|| Progress::start(shared.counters.clone()));
    for (name, handle) in handles {
        if let Err(panic) = handle.join() {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            shared.cancel.store(true, Ordering::Relaxed);
            record_error(
                &first_error,
                RuntimeError::Panicked {
                    task: name,
                    message,
                },
            );
        }
    }
    if let Some(p) = progress {
        p.stop();
    }
    let checkpoints = checkpointer.map(Checkpointer::stop).unwrap_or_default();
    let error = first_error.lock().expect("error slot").take();
    let was_stopped = *stopped.lock().expect("stopped");
    let result = match error {
        // A task that stops drops its inbox: its producers then fail to
        // send, which is part of stopping, not a failure.
        Some(e) if !(was_stopped && e.is_secondary()) => Err(e),
        _ => {
            let ending = if was_stopped {
                Ending::Stopped
            } else {
                Ending::Finished
            };
            let reports = std::mem::take(&mut *reports.lock().expect("reports"));
            Ok((ending, reports))
        }
    };
    Attempt {
        result,
        checkpoints,
    }
}

/// The highest checkpoint id in `storage`, complete or not.
fn highest_id(storage: &weir_checkpoint::CheckpointStorage) -> Option<u64> {
    match storage.checkpoints() {
        Ok(found) => found.iter().map(|c| c.id()).max(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list existing checkpoints");
            None
        }
    }
}

fn record_error(slot: &Mutex<Option<RuntimeError>>, e: RuntimeError) {
    let mut slot = slot.lock().expect("error slot");
    match &*slot {
        None => *slot = Some(e),
        Some(prev) if prev.is_secondary() && !e.is_secondary() => *slot = Some(e),
        Some(_) => {}
    }
}
