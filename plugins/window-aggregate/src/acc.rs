//! The accumulator kept per key and window, and the [`WindowAggregate`]
//! that folds numbers into it.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use weir_sdk::window::{Window, WindowAggregate};
use weir_sdk::{Error, Record, Result};

use crate::config::Aggregate;
use crate::num::Num;

thread_local! {
    /// The number of the record being processed, read once by the operator
    /// so a record is parsed once however many windows it falls into.
    static CURRENT: Cell<Option<Num>> = const { Cell::new(None) };
}

/// Makes `num` the current record's number while `f` runs.
pub(crate) fn with_current<T>(num: Option<Num>, f: impl FnOnce() -> T) -> T {
    CURRENT.set(num);
    let result = f();
    CURRENT.set(None);
    result
}

/// What is kept per key and window: the record count and, but for `count`,
/// the running sum, minimum or maximum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Acc {
    count: u64,
    num: Option<Num>,
}

/// The `aggregate` the SDK's [`Windowed`](weir_sdk::window::Windowed) runs.
#[derive(Debug)]
pub struct Agg {
    aggregate: Aggregate,
}

/// [`Agg`]'s config, handed through the SDK's windowed config.
#[derive(Deserialize)]
pub struct AggConfig {
    /// The aggregate function.
    pub aggregate: Aggregate,
}

impl Agg {
    fn combine(&self, a: Option<Num>, b: Option<Num>) -> Option<Num> {
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => (a, b),
            (a, b) => return a.or(b),
        };
        Some(match self.aggregate {
            Aggregate::Count => return None,
            Aggregate::Sum | Aggregate::Avg => a.plus(b),
            Aggregate::Min => std::cmp::min_by(a, b, |x, y| x.total_order(*y)),
            Aggregate::Max => std::cmp::max_by(a, b, |x, y| x.total_order(*y)),
        })
    }

    /// The aggregate's result for a window.
    pub(crate) fn result(&self, acc: &Acc) -> Value {
        match (self.aggregate, acc.num) {
            (Aggregate::Count, _) => acc.count.into(),
            (Aggregate::Avg, Some(sum)) => (sum.as_f64() / acc.count as f64).into(),
            (_, Some(n)) => n.to_json(),
            (_, None) => Value::Null,
        }
    }
}

impl WindowAggregate for Agg {
    type Config = AggConfig;
    type Acc = Acc;

    fn new(config: AggConfig) -> Result<Self> {
        Ok(Agg {
            aggregate: config.aggregate,
        })
    }

    fn create(&self) -> Acc {
        Acc::default()
    }

    fn add(&self, acc: &mut Acc, _record: &Record) -> Result<()> {
        acc.count += 1;
        if self.aggregate != Aggregate::Count {
            let n = CURRENT
                .get()
                .ok_or_else(|| Error::failed("window-aggregate: no number for the record"))?;
            acc.num = self.combine(acc.num, Some(n));
        }
        Ok(())
    }

    fn merge(&self, a: Acc, b: Acc) -> Acc {
        Acc {
            count: a.count + b.count,
            num: self.combine(a.num, b.num),
        }
    }

    fn emit(&self, key: &[u8], window: Window, acc: &Acc) -> Result<Vec<Record>> {
        let mut out = Vec::with_capacity(96);
        out.extend_from_slice(b"{\"key\":");
        serde_json::to_writer(&mut out, &String::from_utf8_lossy(key))?;
        out.extend_from_slice(
            format!(
                ",\"window_start\":{},\"window_end\":{},\"value\":",
                window.start, window.end
            )
            .as_bytes(),
        );
        serde_json::to_writer(&mut out, &self.result(acc))?;
        out.push(b'}');
        Ok(vec![Record::new(out)])
    }
}
