//! A burst of one account's transactions: the pure part of the detector,
//! with no state or timers.

use serde::{Deserialize, Serialize};

/// The transactions of one account from its first one (`first_ts`) until
/// `window_ms` later. Kept in keyed state while the burst is open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Burst {
    /// Event time of the burst's first transaction.
    pub first_ts: i64,
    /// Event time of its latest transaction.
    pub last_ts: i64,
    /// How many transactions it holds.
    pub count: u32,
    /// The sum of their amounts.
    pub total: u64,
}

impl Burst {
    /// A burst opened by a transaction at `ts`.
    pub fn start(ts: i64, amount: u64) -> Self {
        Burst {
            first_ts: ts,
            last_ts: ts,
            count: 1,
            total: amount,
        }
    }

    /// Adds a transaction at `ts`, which must not be earlier than the last.
    pub fn add(&mut self, ts: i64, amount: u64) {
        self.last_ts = self.last_ts.max(ts);
        self.count += 1;
        self.total += amount;
    }

    /// The last millisecond of the burst's window `[first_ts, first_ts +
    /// window_ms)`: when the watermark reaches it, the burst is complete.
    pub fn last_ms(&self, window_ms: i64) -> i64 {
        self.first_ts.saturating_add(window_ms - 1)
    }

    /// Whether a transaction at `ts` belongs to this burst.
    pub fn covers(&self, ts: i64, window_ms: i64) -> bool {
        self.first_ts <= ts && ts <= self.last_ms(window_ms)
    }
}

/// The alert a suspicious burst produces, written as one JSON line.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Alert<'a> {
    /// The account.
    pub account: &'a str,
    /// How many transactions the burst held.
    pub count: u32,
    /// Event time of the first of them.
    pub first_ts: i64,
    /// Event time of the last of them.
    pub last_ts: i64,
    /// Their total amount.
    pub total: u64,
}

impl<'a> Alert<'a> {
    /// The alert for `burst` of `account`.
    pub fn new(account: &'a str, burst: &Burst) -> Self {
        Alert {
            account,
            count: burst.count,
            first_ts: burst.first_ts,
            last_ts: burst.last_ts,
            total: burst.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_covers_exactly_its_window() {
        let mut b = Burst::start(1_000, 5);
        assert!(b.covers(1_000, 60_000));
        assert!(b.covers(60_999, 60_000));
        assert!(!b.covers(61_000, 60_000));
        assert!(!b.covers(999, 60_000));
        assert_eq!(b.last_ms(60_000), 60_999);

        b.add(2_000, 7);
        assert_eq!(
            (b.count, b.total, b.first_ts, b.last_ts),
            (2, 12, 1_000, 2_000)
        );
    }
}
