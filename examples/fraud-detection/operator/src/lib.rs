//! Fraud detection: flags an account that makes more than
//! `max_transactions` transactions within `window_ms` of event time.
//!
//! Records are transactions keyed by account, with their event time as the
//! record timestamp (the job's file source takes both from the JSON line).
//! Per account the operator keeps, in keyed state held by the host:
//!
//! - `pending`: transactions that arrived but that the watermark has not
//!   passed yet, by event time. Transactions may arrive out of order (up to
//!   the source's `out_of_orderness_ms`), so the operator waits for the
//!   watermark before looking at them: once the watermark reaches time `t`,
//!   no transaction at or before `t` can still come, and those at `t` can be
//!   taken **in event-time order**. An event-time timer at each pending time
//!   says when.
//! - `burst`: the burst the released transactions are counted in. A burst
//!   starts with a transaction and lasts `window_ms`; a second timer fires
//!   at its last millisecond. Then the burst is complete: if it holds more
//!   than `max_transactions` the operator emits **one** alert for it, and
//!   either way clears it. The next transaction starts a new burst.
//!
//! So state never outgrows one burst plus the transactions of the last
//! `out_of_orderness_ms`, and the result does not depend on the order the
//! transactions arrived in. A transaction that arrives after the watermark
//! passed its time (*late*) cannot be placed any more: it is dropped and
//! counted in the metric `fraud_late_transactions`.

mod burst;

use serde::Deserialize;
use weir_sdk::prelude::*;
use weir_sdk::{log, metrics};

pub use burst::{Alert, Burst};

/// The metric counting transactions that came too late to be judged.
pub const LATE_METRIC: &str = "fraud_late_transactions";

/// The operator's `config` in the job spec.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// A burst with more transactions than this raises an alert.
    pub max_transactions: u32,
    /// How long a burst lasts, from its first transaction, in milliseconds.
    pub window_ms: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_transactions: 3,
            window_ms: 60_000,
        }
    }
}

/// What the operator reads from a transaction's JSON value (the account is
/// the record key and the time its timestamp).
#[derive(Deserialize)]
struct Transaction {
    amount: u64,
}

/// Flags bursts of transactions per account.
pub struct FraudDetector {
    config: Config,
    /// Transactions not yet passed by the watermark: event time → amounts.
    pending: MapState<i64, Vec<u64>>,
    /// The account's open burst.
    burst: ValueState<Burst>,
}

impl Operator for FraudDetector {
    type Config = Config;

    fn open(ctx: &mut OpenContext, config: Config) -> Result<Self> {
        if config.window_ms <= 0 {
            bail!(Error::invalid_config("window_ms must be positive"));
        }
        Ok(FraudDetector {
            config,
            pending: ctx.map_state("pending")?,
            burst: ctx.value_state("burst")?,
        })
    }

    fn process(&mut self, ctx: &mut Context, record: Record) -> Result<()> {
        let ts = record
            .timestamp
            .ok_or_else(|| Error::bad_input("a transaction needs an event time"))?;
        let txn: Transaction = record.json()?;
        if ts <= ctx.watermark() {
            metrics::counter_add(LATE_METRIC, 1);
            log::warn!(
                "late transaction of {} at {ts} (watermark {}): dropped",
                record.key_str()?.unwrap_or("?"),
                ctx.watermark()
            );
            return Ok(());
        }
        let mut amounts = self.pending.get(&ts)?.unwrap_or_default();
        amounts.push(txn.amount);
        self.pending.insert(&ts, &amounts)?;
        // Called back when the watermark reaches `ts`.
        ctx.timers().register_event_time(ts)
    }

    fn on_timer(&mut self, ctx: &mut Context, timer: Timer) -> Result<()> {
        let now = timer.timestamp;
        // Transactions at `now` are certain to be in order: count them.
        if let Some(amounts) = self.pending.get(&now)? {
            self.pending.remove(&now)?;
            for amount in amounts {
                self.add(ctx, now, amount)?;
            }
        }
        // The burst is complete once its last millisecond has passed.
        if let Some(burst) = self.burst.get()?
            && burst.last_ms(self.config.window_ms) <= now
        {
            self.close(ctx, &burst)?;
        }
        Ok(())
    }
}

impl FraudDetector {
    /// Counts a transaction at `ts`, the latest so far, in the open burst or
    /// a new one.
    fn add(&mut self, ctx: &mut Context, ts: i64, amount: u64) -> Result<()> {
        let window_ms = self.config.window_ms;
        let burst = match self.burst.get()? {
            Some(mut burst) if burst.covers(ts, window_ms) => {
                burst.add(ts, amount);
                burst
            }
            open => {
                // Timers fire in time order, so an open burst has closed
                // before a later transaction comes; close it if not.
                if let Some(old) = open {
                    self.close(ctx, &old)?;
                }
                let burst = Burst::start(ts, amount);
                ctx.timers().register_event_time(burst.last_ms(window_ms))?;
                burst
            }
        };
        self.burst.set(&burst)
    }

    /// Ends a burst: one alert if it held too many transactions.
    fn close(&mut self, ctx: &mut Context, burst: &Burst) -> Result<()> {
        self.burst.clear()?;
        if burst.count > self.config.max_transactions {
            let key = ctx.key().unwrap_or_default();
            let account = std::str::from_utf8(key)
                .map_err(|e| Error::bad_input(format!("account is not UTF-8: {e}")))?;
            ctx.emit(Record::from_json(&Alert::new(account, burst))?.with_key(key));
        }
        Ok(())
    }
}

weir_sdk::export_operator!(FraudDetector);

#[cfg(test)]
mod tests;
