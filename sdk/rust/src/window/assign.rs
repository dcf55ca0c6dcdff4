//! Pure window arithmetic: which windows a timestamp falls into, and when
//! sessions merge.

use super::Window;

/// The tumbling window of `size` holding `ts`.
pub(super) fn tumbling(ts: i64, size: i64) -> Window {
    let start = ts - ts.rem_euclid(size);
    Window {
        start,
        end: start.saturating_add(size),
    }
}

/// The sliding windows of `size` every `slide` holding `ts`, latest first.
pub(super) fn sliding(ts: i64, size: i64, slide: i64) -> Vec<Window> {
    let mut windows = Vec::new();
    let mut start = ts - ts.rem_euclid(slide);
    while start > ts.saturating_sub(size) {
        windows.push(Window {
            start,
            end: start.saturating_add(size),
        });
        match start.checked_sub(slide) {
            Some(s) => start = s,
            None => break,
        }
    }
    windows
}

/// The session window a record at `ts` opens on its own.
pub(super) fn session(ts: i64, gap: i64) -> Window {
    Window {
        start: ts,
        end: ts.saturating_add(gap),
    }
}

/// Whether two session windows merge: they overlap or touch.
pub(super) fn intersects(a: Window, b: Window) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The smallest window covering both.
pub(super) fn cover(a: Window, b: Window) -> Window {
    Window {
        start: a.start.min(b.start),
        end: a.end.max(b.end),
    }
}

/// The watermark at which a window's state is dropped.
pub(super) fn cleanup_time(w: Window, lateness: i64) -> i64 {
    w.max_timestamp().saturating_add(lateness)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(start: i64, end: i64) -> Window {
        Window { start, end }
    }

    #[test]
    fn tumbling_aligns_to_the_epoch_including_negative_times() {
        assert_eq!(tumbling(0, 10), w(0, 10));
        assert_eq!(tumbling(9, 10), w(0, 10));
        assert_eq!(tumbling(10, 10), w(10, 20));
        assert_eq!(tumbling(-1, 10), w(-10, 0));
    }

    #[test]
    fn sliding_yields_every_window_holding_the_time() {
        assert_eq!(sliding(12, 10, 5), vec![w(10, 20), w(5, 15)]);
        assert_eq!(sliding(10, 10, 5), vec![w(10, 20), w(5, 15)]);
        assert_eq!(sliding(9, 10, 5), vec![w(5, 15), w(0, 10)]);
        // Slide larger than size: some times fall into no window.
        assert_eq!(sliding(3, 2, 5), Vec::<Window>::new());
        assert_eq!(sliding(6, 2, 5), vec![w(5, 7)]);
        for ts in -20..20 {
            for win in sliding(ts, 10, 3) {
                assert!(win.contains(ts), "{ts} in {win:?}");
            }
        }
    }

    #[test]
    fn sessions_merge_when_they_overlap_or_touch() {
        assert_eq!(session(5, 3), w(5, 8));
        assert!(intersects(w(0, 10), w(10, 20)));
        assert!(intersects(w(0, 10), w(5, 6)));
        assert!(!intersects(w(0, 10), w(11, 20)));
        assert_eq!(cover(w(5, 8), w(0, 6)), w(0, 8));
    }

    #[test]
    fn cleanup_is_max_timestamp_plus_lateness() {
        assert_eq!(cleanup_time(w(0, 10), 0), 9);
        assert_eq!(cleanup_time(w(0, 10), 5), 14);
        assert_eq!(cleanup_time(w(0, i64::MAX), 5), i64::MAX);
    }
}
