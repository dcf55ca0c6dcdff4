//! [`Windowed`]: the operator that runs a [`WindowAggregate`] over windows.

use super::config::{WindowKind, WindowedConfig};
use super::{Window, WindowAggregate, assign};
use crate::state::MapState;
use crate::{Context, Error, OpenContext, Operator, Record, Result, TimeDomain, Timer, runtime};

/// The name of the map state holding a key's windows and accumulators.
pub const WINDOW_STATE: &str = "weir.windows";

/// The metric counting records too late for every window.
const LATE_METRIC: &str = "weir_window_late_records";

/// An operator computing `A` per key over event-time windows; see the
/// [module docs](super) for semantics and [`WindowedConfig`] for its config.
pub struct Windowed<A: WindowAggregate> {
    aggregate: A,
    kind: WindowKind,
    lateness: i64,
    late_output: Option<String>,
    windows: MapState<Window, A::Acc>,
}

impl<A: WindowAggregate> std::fmt::Debug for Windowed<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Windowed")
            .field("kind", &self.kind)
            .field("lateness", &self.lateness)
            .field("late_output", &self.late_output)
            .finish_non_exhaustive()
    }
}

impl<A: WindowAggregate> Operator for Windowed<A> {
    type Config = WindowedConfig;

    fn open(ctx: &mut OpenContext, config: WindowedConfig) -> Result<Self> {
        config.window.validate()?;
        let lateness = i64::try_from(config.allowed_lateness_ms)
            .map_err(|_| Error::invalid_config("allowed_lateness_ms is too large"))?;
        let aggregate = A::new(runtime::config_from_value(config.aggregate)?)?;
        Ok(Windowed {
            aggregate,
            kind: config.window,
            lateness,
            late_output: config.late_output,
            windows: ctx.map_state(WINDOW_STATE)?,
        })
    }

    fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
        let ts = record
            .timestamp
            .ok_or_else(|| Error::bad_input("a windowed operator needs records with timestamps"))?;
        if ctx.key().is_none() {
            return Err(Error::bad_input("a windowed operator needs keyed input"));
        }
        let accepted = match self.kind {
            WindowKind::Tumbling { size_ms } => {
                let w = assign::tumbling(ts, size_ms as i64);
                self.add_to_windows(ctx, &[w], &record)?
            }
            WindowKind::Sliding { size_ms, slide_ms } => {
                let ws = assign::sliding(ts, size_ms as i64, slide_ms as i64);
                self.add_to_windows(ctx, &ws, &record)?
            }
            WindowKind::Session { gap_ms } => {
                self.add_to_session(ctx, assign::session(ts, gap_ms as i64), &record)?
            }
        };
        if !accepted {
            crate::metrics::counter_add(LATE_METRIC, 1);
            if let Some(output) = &self.late_output {
                ctx.emit_side(output, record);
            }
        }
        Ok(())
    }

    fn on_timer(&mut self, ctx: &mut Context, timer: Timer) -> Result<()> {
        if timer.domain != TimeDomain::EventTime {
            return Ok(());
        }
        let at = timer.timestamp;
        match self.aligned_windows_due(at) {
            Some(due) => {
                // Tumbling and sliding windows: the timer names the window it
                // fires and the one it drops, so look those up directly.
                for w in due {
                    let Some(acc) = self.windows.get(&w)? else {
                        continue;
                    };
                    if w.max_timestamp() == at {
                        self.fire(ctx, w, &acc)?;
                    }
                    if assign::cleanup_time(w, self.lateness) <= at {
                        self.windows.remove(&w)?;
                    }
                }
            }
            None => {
                let mut windows = self.windows.entries()?;
                windows.sort_by_key(|(w, _)| *w);
                for (w, acc) in windows {
                    if w.max_timestamp() == at {
                        self.fire(ctx, w, &acc)?;
                    }
                    if assign::cleanup_time(w, self.lateness) <= at {
                        self.windows.remove(&w)?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl<A: WindowAggregate> Windowed<A> {
    fn is_late(&self, w: Window, watermark: i64) -> bool {
        assign::cleanup_time(w, self.lateness) <= watermark
    }

    /// For tumbling and sliding windows, the windows an event-time timer at
    /// `at` concerns, oldest first: the one it drops (whose cleanup time is
    /// `at`) and the one it fires (whose last millisecond is `at`); the same
    /// window without allowed lateness. Every window of such a kind spans
    /// `size` milliseconds, so both follow from `at`. `None` for session
    /// windows, and where arithmetic near the ends of time saturates: then
    /// the key's windows are scanned.
    fn aligned_windows_due(&self, at: i64) -> Option<Vec<Window>> {
        let size = match self.kind {
            WindowKind::Tumbling { size_ms } | WindowKind::Sliding { size_ms, .. } => {
                size_ms as i64
            }
            WindowKind::Session { .. } => return None,
        };
        let ending = |end: i64| -> Option<Window> {
            let start = end.checked_sub(size)?;
            // A window of full length whose end did not saturate.
            (start.checked_add(size)? == end && end < i64::MAX).then_some(Window { start, end })
        };
        let fired = ending(at.checked_add(1)?)?;
        if self.lateness == 0 {
            return Some(vec![fired]);
        }
        let dropped = ending(at.checked_add(1)?.checked_sub(self.lateness)?)?;
        Some(vec![dropped, fired])
    }

    /// Adds a record to each of its (non-merging) windows still kept; false
    /// if there was none.
    fn add_to_windows(
        &mut self,
        ctx: &mut Context,
        windows: &[Window],
        record: &Record,
    ) -> Result<bool> {
        let watermark = ctx.watermark();
        let mut accepted = false;
        for &w in windows {
            if self.is_late(w, watermark) {
                continue;
            }
            accepted = true;
            let existing = self.windows.get(&w)?;
            let is_new = existing.is_none();
            let mut acc = existing.unwrap_or_else(|| self.aggregate.create());
            self.aggregate.add(&mut acc, record)?;
            self.windows.insert(&w, &acc)?;
            self.schedule(ctx, w, &acc, is_new, watermark)?;
        }
        Ok(accepted)
    }

    /// Adds a record to the key's sessions, merging every session its own
    /// window touches; false if the resulting session is no longer kept.
    fn add_to_session(&mut self, ctx: &mut Context, own: Window, record: &Record) -> Result<bool> {
        let watermark = ctx.watermark();
        let mut sessions = self.windows.entries()?;
        sessions.sort_by_key(|(w, _)| *w);
        let (merging, others): (Vec<_>, Vec<_>) = sessions
            .into_iter()
            .partition(|(w, _)| assign::intersects(*w, own));
        let merged = merging.iter().fold(own, |m, (w, _)| assign::cover(m, *w));
        if self.is_late(merged, watermark) {
            return Ok(false);
        }

        let is_new = !merging.iter().any(|(w, _)| *w == merged);
        let mut replaced = Vec::new();
        let mut acc = None;
        for (w, a) in merging {
            acc = Some(match acc {
                None => a,
                Some(so_far) => self.aggregate.merge(so_far, a),
            });
            if w != merged {
                self.windows.remove(&w)?;
                replaced.push(w);
            }
        }
        let mut acc = acc.unwrap_or_else(|| self.aggregate.create());
        self.aggregate.add(&mut acc, record)?;
        self.windows.insert(&merged, &acc)?;

        // Drop the timers only the replaced sessions needed.
        let needed: Vec<i64> = others
            .iter()
            .map(|(w, _)| *w)
            .chain([merged])
            .flat_map(|w| [w.max_timestamp(), assign::cleanup_time(w, self.lateness)])
            .collect();
        for w in replaced {
            for t in [w.max_timestamp(), assign::cleanup_time(w, self.lateness)] {
                if !needed.contains(&t) {
                    ctx.timers().delete_event_time(t)?;
                }
            }
        }
        self.schedule(ctx, merged, &acc, is_new, watermark)?;
        Ok(true)
    }

    /// After `w` changed: fires it now if the watermark has passed it (a late
    /// but allowed record), and registers the timers a new window needs.
    fn schedule(
        &self,
        ctx: &mut Context,
        w: Window,
        acc: &A::Acc,
        is_new: bool,
        watermark: i64,
    ) -> Result<()> {
        let fire_at = w.max_timestamp();
        if fire_at <= watermark {
            self.fire(ctx, w, acc)?;
        } else if is_new {
            ctx.timers().register_event_time(fire_at)?;
        }
        let cleanup = assign::cleanup_time(w, self.lateness);
        if is_new && cleanup != fire_at {
            ctx.timers().register_event_time(cleanup)?;
        }
        Ok(())
    }

    /// Emits what window `w` of the current key (a record's or a timer's)
    /// holds.
    fn fire(&self, ctx: &mut Context, w: Window, acc: &A::Acc) -> Result<()> {
        let key = ctx.key().unwrap_or_default();
        let records = self.aggregate.emit(key, w, acc)?;
        for mut record in records {
            if record.key.is_none() {
                record.key = ctx.key().map(<[u8]>::to_vec);
            }
            record.timestamp.get_or_insert(w.max_timestamp());
            ctx.emit(record);
        }
        Ok(())
    }
}
