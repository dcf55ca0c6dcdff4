//! Event-time and processing-time timers per key.

mod queue;
mod snapshot;
#[cfg(test)]
mod tests;

use weir_types::KeyGroupRange;

use crate::{KeyScope, Result, StateError};

use queue::DomainTimers;
pub use snapshot::{TIMER_SNAPSHOT_MAGIC, TIMER_SNAPSHOT_VERSION};

/// Which clock a timer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeDomain {
    /// Fires when the operator's watermark reaches the timer's time.
    EventTime,
    /// Fires when the worker's wall clock reaches the timer's time.
    ProcessingTime,
}

/// A timer that is due, removed from the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredTimer {
    /// Key group of `key`.
    pub key_group: u32,
    /// The key the timer was registered for.
    pub key: Vec<u8>,
    /// The time it was registered for, in milliseconds.
    pub timestamp: i64,
    /// Its clock.
    pub domain: TimeDomain,
}

/// Limits of a [`TimerService`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimerOptions {
    /// Most timers (both domains together) the service may hold; one more
    /// fails with [`StateError::QuotaExceeded`].
    pub max_timers: Option<u64>,
}

/// The timers of one operator subtask, per key group, key and timestamp.
///
/// Registering a timer that exists keeps one. Due timers are drained in
/// firing order: timestamp, then key bytes. Snapshots are per key group, like
/// [`KeyedStateBackend`](crate::KeyedStateBackend)'s, so timers move with the
/// state when key groups are redistributed.
///
/// ```
/// use weir_state::{KeyScope, TimeDomain, TimerOptions, TimerService};
///
/// let mut timers = TimerService::new(0..128, TimerOptions::default());
/// let scope = KeyScope::new(7, b"user-1");
/// assert!(timers.register(TimeDomain::EventTime, scope, 1_000)?);
/// assert!(!timers.register(TimeDomain::EventTime, scope, 1_000)?); // dedup
/// assert!(timers.drain_event_timers(999).is_empty());
/// let fired = timers.drain_event_timers(1_000);
/// assert_eq!(fired[0].key, b"user-1");
/// assert!(timers.is_empty());
/// # Ok::<(), weir_state::StateError>(())
/// ```
pub struct TimerService {
    range: KeyGroupRange,
    max_timers: Option<u64>,
    event: DomainTimers,
    processing: DomainTimers,
}

impl TimerService {
    /// An empty service owning key groups `range`.
    pub fn new(range: KeyGroupRange, options: TimerOptions) -> Self {
        let n = range.len();
        TimerService {
            event: DomainTimers::new(TimeDomain::EventTime, range.start, n),
            processing: DomainTimers::new(TimeDomain::ProcessingTime, range.start, n),
            range,
            max_timers: options.max_timers,
        }
    }

    /// Registers a timer for `scope`'s key at `timestamp`. Returns false if
    /// it was registered already (nothing changes then).
    pub fn register(
        &mut self,
        domain: TimeDomain,
        scope: KeyScope<'_>,
        timestamp: i64,
    ) -> Result<bool> {
        self.check_owned(scope.key_group)?;
        if self
            .domain(domain)
            .contains(scope.key_group, scope.key, timestamp)
        {
            return Ok(false);
        }
        if let Some(limit) = self.max_timers {
            let would_be = self.len() as u64 + 1;
            if would_be > limit {
                return Err(StateError::QuotaExceeded { limit, would_be });
            }
        }
        Ok(self
            .domain_mut(domain)
            .insert(scope.key_group, scope.key, timestamp))
    }

    /// Deletes a timer. Returns false if there was none.
    pub fn delete(
        &mut self,
        domain: TimeDomain,
        scope: KeyScope<'_>,
        timestamp: i64,
    ) -> Result<bool> {
        self.check_owned(scope.key_group)?;
        Ok(self
            .domain_mut(domain)
            .remove(scope.key_group, scope.key, timestamp))
    }

    /// Whether a timer is registered.
    pub fn contains(
        &self,
        domain: TimeDomain,
        scope: KeyScope<'_>,
        timestamp: i64,
    ) -> Result<bool> {
        self.check_owned(scope.key_group)?;
        Ok(self
            .domain(domain)
            .contains(scope.key_group, scope.key, timestamp))
    }

    /// Removes and returns every event-time timer with
    /// `timestamp <= watermark`, ordered by timestamp, then key bytes.
    pub fn drain_event_timers(&mut self, watermark: i64) -> Vec<FiredTimer> {
        self.event.drain(watermark)
    }

    /// Removes and returns every processing-time timer with
    /// `timestamp <= now_ms`, ordered by timestamp, then key bytes.
    pub fn drain_processing_timers(&mut self, now_ms: i64) -> Vec<FiredTimer> {
        self.processing.drain(now_ms)
    }

    /// When the earliest processing-time timer is due.
    pub fn next_processing_timer(&self) -> Option<i64> {
        self.processing.next()
    }

    /// The timestamp of the earliest event-time timer.
    pub fn next_event_timer(&self) -> Option<i64> {
        self.event.next()
    }

    /// Number of timers in both domains.
    pub fn len(&self) -> usize {
        self.event.len() + self.processing.len()
    }

    /// Whether there is no timer at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key groups this service owns.
    pub fn key_groups(&self) -> KeyGroupRange {
        self.range.clone()
    }

    /// Appends key group `key_group`'s timers to `out` in the timer snapshot
    /// format (see [`crate::snapshot`]).
    pub fn snapshot_key_group(&self, key_group: u32, out: &mut Vec<u8>) -> Result<()> {
        self.check_owned(key_group)?;
        snapshot::encode(
            key_group,
            self.event.group(key_group),
            self.processing.group(key_group),
            out,
        );
        Ok(())
    }

    /// Replaces key group `key_group`'s timers with a snapshot of them. Any
    /// owned key group can be restored, whatever range the snapshot came
    /// from. Nothing changes if it fails.
    pub fn restore_key_group(&mut self, key_group: u32, bytes: &[u8]) -> Result<()> {
        self.check_owned(key_group)?;
        let (event, processing) = snapshot::decode(key_group, bytes)?;
        if let Some(limit) = self.max_timers {
            let old = self.event.group(key_group).len() + self.processing.group(key_group).len();
            let new = event.len() + processing.len();
            let would_be = (self.len() - old + new) as u64;
            if new > old && would_be > limit {
                return Err(StateError::QuotaExceeded { limit, would_be });
            }
        }
        self.event.replace_group(key_group, event);
        self.processing.replace_group(key_group, processing);
        Ok(())
    }

    fn check_owned(&self, key_group: u32) -> Result<()> {
        if self.range.contains(&key_group) {
            Ok(())
        } else {
            Err(StateError::KeyGroupNotOwned {
                key_group,
                range: self.range.clone(),
            })
        }
    }

    fn domain(&self, domain: TimeDomain) -> &DomainTimers {
        match domain {
            TimeDomain::EventTime => &self.event,
            TimeDomain::ProcessingTime => &self.processing,
        }
    }

    fn domain_mut(&mut self, domain: TimeDomain) -> &mut DomainTimers {
        match domain {
            TimeDomain::EventTime => &mut self.event,
            TimeDomain::ProcessingTime => &mut self.processing,
        }
    }
}

impl std::fmt::Debug for TimerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimerService")
            .field("range", &self.range)
            .field("event_timers", &self.event.len())
            .field("processing_timers", &self.processing.len())
            .field("max_timers", &self.max_timers)
            .finish()
    }
}
