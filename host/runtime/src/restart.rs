//! Restart strategies: whether, and after how long, a failed job restarts.
//! Pure decisions with time passed in, as Flink's strategies.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use weir_spec::RestartSpec;

/// What to do after a failure.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Restart after this delay.
    Restart(Duration),
    /// Give up: the job fails. The text says which limit was reached.
    GiveUp(String),
}

/// A restart strategy with its bookkeeping.
#[derive(Debug)]
pub struct RestartStrategy {
    spec: RestartSpec,
    restarts: u32,
    /// Exponential backoff: the next delay, and when the last run started.
    next_delay: Duration,
    last_start: Option<Instant>,
    /// Failure rate: times of recent failures.
    failures: VecDeque<Instant>,
}

impl RestartStrategy {
    /// A strategy as the spec describes it.
    pub fn new(spec: RestartSpec) -> Self {
        let next_delay = match &spec {
            RestartSpec::ExponentialBackoff {
                initial_delay_ms, ..
            } => Duration::from_millis(*initial_delay_ms),
            _ => Duration::ZERO,
        };
        RestartStrategy {
            spec,
            restarts: 0,
            next_delay,
            last_start: None,
            failures: VecDeque::new(),
        }
    }

    /// A run of the job started at `now`.
    pub fn started(&mut self, now: Instant) {
        self.last_start = Some(now);
    }

    /// Restarts so far.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// The job failed at `now`: restart or give up.
    pub fn on_failure(&mut self, now: Instant) -> Decision {
        let decision = match &self.spec {
            RestartSpec::None => Decision::GiveUp("the restart strategy is `none`".to_owned()),
            RestartSpec::FixedDelay { attempts, delay_ms } => {
                if self.restarts >= *attempts {
                    Decision::GiveUp(format!(
                        "fixed_delay allows {attempts} restarts and all were used"
                    ))
                } else {
                    Decision::Restart(Duration::from_millis(*delay_ms))
                }
            }
            RestartSpec::ExponentialBackoff {
                initial_delay_ms,
                max_delay_ms,
                multiplier,
                reset_after_ms,
                attempts,
            } => {
                let ran = self.last_start.map(|s| now.saturating_duration_since(s));
                if ran.is_some_and(|r| r >= Duration::from_millis(*reset_after_ms)) {
                    self.next_delay = Duration::from_millis(*initial_delay_ms);
                }
                match attempts {
                    Some(n) if self.restarts >= *n => Decision::GiveUp(format!(
                        "exponential_backoff allows {n} restarts and all were used"
                    )),
                    _ => {
                        let delay = self.next_delay;
                        let next = delay.as_secs_f64() * multiplier;
                        self.next_delay = Duration::from_secs_f64(
                            next.min(Duration::from_millis(*max_delay_ms).as_secs_f64()),
                        );
                        Decision::Restart(delay)
                    }
                }
            }
            RestartSpec::FailureRate {
                max_failures,
                interval_ms,
                delay_ms,
            } => {
                let interval = Duration::from_millis(*interval_ms);
                self.failures.push_back(now);
                while self
                    .failures
                    .front()
                    .is_some_and(|t| now.saturating_duration_since(*t) > interval)
                {
                    self.failures.pop_front();
                }
                if self.failures.len() > *max_failures as usize {
                    Decision::GiveUp(format!(
                        "failure_rate allows {max_failures} failures per {interval_ms} ms and {} happened",
                        self.failures.len()
                    ))
                } else {
                    Decision::Restart(Duration::from_millis(*delay_ms))
                }
            }
        };
        if let Decision::Restart(_) = decision {
            self.restarts += 1;
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn none_gives_up_at_once() {
        let mut s = RestartStrategy::new(RestartSpec::None);
        assert!(matches!(s.on_failure(Instant::now()), Decision::GiveUp(_)));
    }

    #[test]
    fn fixed_delay_counts_attempts() {
        let mut s = RestartStrategy::new(RestartSpec::FixedDelay {
            attempts: 2,
            delay_ms: 10,
        });
        let t = Instant::now();
        assert_eq!(s.on_failure(t), Decision::Restart(10 * MS));
        assert_eq!(s.on_failure(t), Decision::Restart(10 * MS));
        let Decision::GiveUp(why) = s.on_failure(t) else {
            panic!("should give up")
        };
        assert!(why.contains("2 restarts"), "{why}");
        assert_eq!(s.restarts(), 2);
    }

    #[test]
    fn exponential_backoff_grows_caps_and_resets() {
        let mut s = RestartStrategy::new(RestartSpec::ExponentialBackoff {
            initial_delay_ms: 10,
            max_delay_ms: 35,
            multiplier: 2.0,
            reset_after_ms: 1_000,
            attempts: None,
        });
        let t0 = Instant::now();
        s.started(t0);
        let delays: Vec<_> = (0..4).map(|_| s.on_failure(t0)).collect();
        assert_eq!(
            delays,
            [10, 20, 35, 35].map(|ms| Decision::Restart(ms * MS))
        );
        // A long failure-free run resets the delay.
        s.started(t0);
        assert_eq!(s.on_failure(t0 + 2_000 * MS), Decision::Restart(10 * MS));
    }

    #[test]
    fn exponential_backoff_may_limit_attempts() {
        let mut s = RestartStrategy::new(RestartSpec::ExponentialBackoff {
            initial_delay_ms: 1,
            max_delay_ms: 1,
            multiplier: 1.0,
            reset_after_ms: 1_000,
            attempts: Some(1),
        });
        let t = Instant::now();
        assert_eq!(s.on_failure(t), Decision::Restart(MS));
        assert!(matches!(s.on_failure(t), Decision::GiveUp(_)));
    }

    #[test]
    fn failure_rate_looks_at_a_sliding_interval() {
        let mut s = RestartStrategy::new(RestartSpec::FailureRate {
            max_failures: 2,
            interval_ms: 100,
            delay_ms: 5,
        });
        let t0 = Instant::now();
        assert_eq!(s.on_failure(t0), Decision::Restart(5 * MS));
        assert_eq!(s.on_failure(t0 + 10 * MS), Decision::Restart(5 * MS));
        // The third within 100 ms is one too many...
        assert!(matches!(s.on_failure(t0 + 20 * MS), Decision::GiveUp(_)));
        // ...but spread out, failures are tolerated.
        let mut s = RestartStrategy::new(RestartSpec::FailureRate {
            max_failures: 2,
            interval_ms: 100,
            delay_ms: 5,
        });
        for i in 0..10 {
            assert_eq!(s.on_failure(t0 + i * 60 * MS), Decision::Restart(5 * MS));
        }
    }
}
