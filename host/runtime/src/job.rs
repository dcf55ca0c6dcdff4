//! Running a whole job in this process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use weir_spec::LoadedSpec;
use weir_types::Millis;
use weir_wasm::{OperatorMetrics, WasmEngine};

use crossbeam_channel::{Receiver, Sender, unbounded};

use crate::attempt;
use crate::checkpointer::{CheckpointObserver, CheckpointReport, SavepointRequest};
use crate::durability::{Durability, commit_finished};
use crate::error::{Result, RuntimeError};
use crate::metrics::{JobCounters, NodeCounters};
use crate::node::NodeReport;
use crate::plan::ExecutionPlan;
use crate::restart::{Decision, RestartStrategy};
use crate::task::{self, Ending, JobShared};

/// How to run a job.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Folders searched for a `module:` that is not found relative to the
    /// spec file.
    pub module_path: Vec<PathBuf>,
    /// Print records in/out per second and the watermark to stderr while
    /// running.
    pub progress: bool,
    /// Start from a checkpoint or savepoint: `latest`, a checkpoint id of
    /// the job's checkpoint storage, or a checkpoint or savepoint folder.
    pub restore: Option<String>,
    /// Told about every completed checkpoint and savepoint.
    pub on_checkpoint: Option<CheckpointObserver>,
    /// Told about every restart: the failure and what the job restarts
    /// from.
    pub on_restart: Option<RestartObserver>,
}

/// What a [`RestartObserver`] calls: the failure and what the job
/// restarts from.
pub type RestartCallback = dyn Fn(&RuntimeError, &str) + Send + Sync;

/// A callback told about every restart.
#[derive(Clone)]
pub struct RestartObserver(pub Arc<RestartCallback>);

impl std::fmt::Debug for RestartObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RestartObserver")
    }
}

/// What a finished job did.
#[derive(Clone, Debug)]
pub struct JobSummary {
    /// The job's name.
    pub job: String,
    /// Wall-clock run time (after modules were loaded).
    pub duration: Duration,
    /// Per node, in topological order.
    pub nodes: Vec<NodeSummary>,
    /// Checkpoints and savepoints completed, in order.
    pub checkpoints: Vec<CheckpointReport>,
    /// Restarts after failures.
    pub restarts: u32,
    /// Set when the job was stopped with a savepoint: where it is.
    pub stopped_with_savepoint: Option<String>,
    /// The checkpoint or savepoint the job started from.
    pub restored_from: Option<String>,
    /// The job was restored from the checkpoint of a finished run: it only
    /// finished that run's commits.
    pub already_finished: bool,
}

/// One node's totals.
#[derive(Clone, Debug)]
pub struct NodeSummary {
    /// Node id.
    pub id: String,
    /// Records in (for sources: records read).
    pub records_in: u64,
    /// Records out.
    pub records_out: u64,
    /// Highest watermark reached.
    pub watermark: Millis,
    /// Guest metrics, merged over subtasks.
    pub metrics: OperatorMetrics,
    /// Records sent to side outputs the job does not connect.
    pub dropped_side_records: u64,
    /// Bytes of keyed state held at the end, over all subtasks.
    pub state_bytes: u64,
    /// Records a source skipped because they could not be decoded.
    pub records_skipped: u64,
}

/// A job that is loaded and checked, ready to run.
pub struct Job {
    shared: Arc<JobShared>,
    savepoints: (Sender<SavepointRequest>, Receiver<SavepointRequest>),
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("name", &self.shared.spec.spec.name)
            .finish()
    }
}

impl Job {
    /// Plans the job and loads every module, so a missing or broken module
    /// fails here, before anything runs.
    pub fn prepare(engine: &WasmEngine, spec: LoadedSpec, options: &RunOptions) -> Result<Job> {
        let plan = ExecutionPlan::new(&spec.spec);
        let mut modules = HashMap::new();
        for op in &spec.spec.operators {
            let path = resolve_module(&spec, &op.id, &op.module, &options.module_path)?;
            let module = engine
                .load_file(&path)
                .map_err(|error| RuntimeError::Module {
                    operator: op.id.clone(),
                    error,
                })?;
            tracing::info!(operator = %op.id, module = %path.display(), world = %module.world(), hash = %&module.hash_hex()[..12], "module loaded");
            modules.insert(op.id.clone(), module);
        }
        let counters = JobCounters {
            nodes: spec
                .spec
                .topological_order()
                .into_iter()
                .map(|id| (id.to_owned(), Arc::new(NodeCounters::default())))
                .collect(),
        };
        let shared = Arc::new(JobShared {
            spec,
            plan,
            modules,
            counters,
            cancel: Arc::new(AtomicBool::new(false)),
        });
        // Open one instance of every operator with its config, so a config
        // the guest rejects (or an `open` that traps) fails here, before any
        // source reads or any sink truncates its output.
        for op in &shared.spec.spec.operators {
            task::check_operator(&shared, &op.id, op.parallelism)?;
        }
        Ok(Job {
            shared,
            savepoints: unbounded(),
        })
    }

    /// Live counters, for progress displays.
    pub fn counters(&self) -> &JobCounters {
        &self.shared.counters
    }

    /// A flag that cancels the job when set.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.shared.cancel)
    }

    /// A sender for savepoint requests to this job while it runs (what
    /// `weir savepoint` talks to).
    pub fn savepoint_requests(&self) -> Sender<SavepointRequest> {
        self.savepoints.0.clone()
    }

    /// Runs the job to the end of its bounded sources, a stop-with-savepoint,
    /// or a failure its restart strategy gives up on. With checkpoints, a
    /// failed run restarts from the latest completed checkpoint.
    pub fn run(self, options: &RunOptions) -> Result<JobSummary> {
        let shared = Arc::clone(&self.shared);
        let mut durability = Durability::open(&shared.spec, options.restore.is_some())?;
        if let Some(settings) = &mut durability.settings {
            settings.observer = options.on_checkpoint.clone();
        }
        let result = self.run_with(&shared, &durability, options);
        durability.cleanup();
        result
    }

    fn run_with(
        &self,
        shared: &Arc<JobShared>,
        durability: &Durability,
        options: &RunOptions,
    ) -> Result<JobSummary> {
        let start = Instant::now();
        let mut restore = match &options.restore {
            Some(pointer) => Some(Arc::new(durability.load(shared, pointer)?)),
            None => None,
        };
        let restored_from = restore
            .as_ref()
            .map(|r| format!("{} {}", r.metadata().kind.as_str(), r.metadata().id));
        if let Some(r) = &restore
            && r.metadata().finished
        {
            // The job had finished: only its last commits may be missing.
            commit_finished(shared, r.metadata(), r.storage())?;
            tracing::info!(
                "the checkpoint is of a finished job: its output is committed, nothing runs"
            );
            return Ok(self.summary(start, Vec::new(), Vec::new(), 0, None, restored_from, true));
        }
        if durability.settings.is_none() {
            // Nobody takes savepoints without checkpoint storage: answer
            // every request (once for all runs of the job).
            let requests = self.savepoints.1.clone();
            std::thread::spawn(move || {
                for request in requests {
                    let _ = request.reply.send(Err(
                        "the job has no `checkpoints:` section, so it has nowhere to write savepoints".to_owned(),
                    ));
                }
            });
        }
        let initial = restore.clone();
        let mut strategy = RestartStrategy::new(shared.spec.spec.restart_strategy());
        let mut checkpoints = Vec::new();
        loop {
            shared.cancel.store(false, Ordering::Relaxed);
            shared.counters.reset();
            strategy.started(Instant::now());
            let attempt = attempt::run(
                shared,
                durability.settings.as_ref(),
                restore.clone(),
                self.savepoints.1.clone(),
                options.progress,
            );
            checkpoints.extend(attempt.checkpoints);
            let error = match attempt.result {
                Ok((Ending::Stopped, reports)) => {
                    let savepoint = checkpoints
                        .iter()
                        .rev()
                        .find(|c| c.savepoint)
                        .map(|c| c.location.clone());
                    return Ok(self.summary(
                        start,
                        reports,
                        checkpoints,
                        strategy.restarts(),
                        savepoint,
                        restored_from,
                        false,
                    ));
                }
                Ok((Ending::Finished, reports)) => {
                    let finals = reports
                        .iter()
                        .flatten()
                        .filter_map(|(id, r)| {
                            r.sink_final.clone().map(|v| (id.clone(), r.subtask, v))
                        })
                        .collect();
                    let last = checkpoints
                        .iter()
                        .map(|c| c.id)
                        .chain(restore.as_ref().map(|r| r.metadata().id))
                        .max()
                        .unwrap_or(0);
                    if let Some(report) = durability.finish(shared, last + 1, finals)? {
                        if let Some(observer) = &options.on_checkpoint {
                            (observer.0)(&report);
                        }
                        checkpoints.push(report);
                    }
                    return Ok(self.summary(
                        start,
                        reports,
                        checkpoints,
                        strategy.restarts(),
                        None,
                        restored_from,
                        false,
                    ));
                }
                Err(e) => e,
            };
            match strategy.on_failure(Instant::now()) {
                Decision::Restart(delay) => {
                    let latest = durability.latest(shared)?.map(Arc::new);
                    let from = match (&latest, &initial) {
                        (Some(r), _) | (None, Some(r)) => {
                            format!("{} {}", r.metadata().kind.as_str(), r.metadata().id)
                        }
                        (None, None) => "the start".to_owned(),
                    };
                    tracing::warn!(error = %error, "job failed; restarting from {from} in {} ms (restart {})", delay.as_millis(), strategy.restarts());
                    if let Some(observer) = &options.on_restart {
                        (observer.0)(&error, &from);
                    }
                    std::thread::sleep(delay);
                    restore = latest.or_else(|| initial.clone());
                }
                Decision::GiveUp(why) => {
                    if strategy.restarts() == 0
                        && matches!(
                            shared.spec.spec.restart_strategy(),
                            weir_spec::RestartSpec::None
                        )
                    {
                        return Err(error);
                    }
                    return Err(RuntimeError::GaveUp {
                        cause: Box::new(error),
                        restarts: strategy.restarts(),
                        why,
                    });
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn summary(
        &self,
        start: Instant,
        reports: Vec<Vec<(String, NodeReport)>>,
        checkpoints: Vec<CheckpointReport>,
        restarts: u32,
        stopped_with_savepoint: Option<String>,
        restored_from: Option<String>,
        already_finished: bool,
    ) -> JobSummary {
        let shared = &self.shared;
        let duration = start.elapsed();
        let mut merged: HashMap<String, (OperatorMetrics, u64, u64)> = HashMap::new();
        for task_reports in &reports {
            for (id, r) in task_reports {
                let m = merged.entry(id.clone()).or_default();
                m.0.merge(&r.metrics);
                m.1 += r.dropped_side_records;
                m.2 += r.state_bytes;
            }
        }
        let nodes = shared
            .counters
            .nodes
            .iter()
            .map(|(id, c)| {
                let (metrics, dropped, state_bytes) = merged.remove(id).unwrap_or_default();
                NodeSummary {
                    id: id.clone(),
                    records_in: c.records_in.load(Ordering::Relaxed),
                    records_out: c.records_out.load(Ordering::Relaxed),
                    watermark: c.watermark.load(Ordering::Relaxed),
                    metrics,
                    dropped_side_records: dropped,
                    state_bytes,
                    records_skipped: c.records_skipped.load(Ordering::Relaxed),
                }
            })
            .collect();
        JobSummary {
            job: shared.spec.spec.name.clone(),
            duration,
            nodes,
            checkpoints,
            restarts,
            stopped_with_savepoint,
            restored_from,
            already_finished,
        }
    }
}

/// Finds an operator's module: relative to the spec's folder first, then
/// by file name on the module path.
pub fn resolve_module(
    spec: &LoadedSpec,
    operator: &str,
    module: &str,
    module_path: &[PathBuf],
) -> Result<PathBuf> {
    let direct = spec.dir.join(module);
    if direct.is_file() {
        return Ok(direct);
    }
    let mut searched = vec![direct];
    let name = Path::new(module).file_name().map(PathBuf::from);
    if let Some(name) = name {
        for dir in module_path {
            let candidate = dir.join(&name);
            if candidate.is_file() {
                return Ok(candidate);
            }
            searched.push(candidate);
        }
    }
    Err(RuntimeError::ModuleNotFound {
        operator: operator.to_owned(),
        module: module.to_owned(),
        searched: searched
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Loads, checks and runs a job in one call.
pub fn run_job(engine: &WasmEngine, spec: LoadedSpec, options: &RunOptions) -> Result<JobSummary> {
    Job::prepare(engine, spec, options)?.run(options)
}
