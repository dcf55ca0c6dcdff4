//! Pacing a source subtask to a rate (`rate_per_sec` of generator and
//! Kafka sources: for tests and demos that need a job to take a while).

/// Lets a subtask emit at most `per_sec` records per second, counted from
/// its first poll.
#[derive(Debug)]
pub(crate) struct Pacer {
    per_sec: f64,
    started: Option<std::time::Instant>,
    emitted: u64,
}

impl Pacer {
    /// A subtask's share of `rate` records per second over `parallelism`
    /// subtasks.
    pub(crate) fn new(rate: u64, parallelism: u64) -> Self {
        Pacer {
            per_sec: rate as f64 / parallelism.max(1) as f64,
            started: None,
            emitted: 0,
        }
    }

    /// How many records may go out now (at most `want`); sleeps a little
    /// when none may.
    pub(crate) fn allow(&mut self, want: u64) -> u64 {
        let started = *self.started.get_or_insert_with(std::time::Instant::now);
        let due = (started.elapsed().as_secs_f64() * self.per_sec) as u64 + 1;
        let n = due.saturating_sub(self.emitted).min(want);
        if n == 0 {
            let wait = (self.emitted + 1) as f64 / self.per_sec - started.elapsed().as_secs_f64();
            std::thread::sleep(std::time::Duration::from_secs_f64(wait.clamp(0.0, 0.02)));
        }
        self.emitted += n;
        n
    }

    /// `n` of the records last allowed did not go out after all (the
    /// source had fewer): they may go out later.
    pub(crate) fn unused(&mut self, n: u64) {
        self.emitted = self.emitted.saturating_sub(n);
    }
}
