use weir_state::{StateError, TimeDomain};
use weir_world::operator::weir::operator::timers::Host;
use weir_world::operator::weir::operator::types::Error;

use crate::host::{HostState, scope_of};

type Call<T> = wasmtime::Result<Result<T, Error>>;

impl HostState {
    pub(super) fn timer(&mut self, domain: TimeDomain, at: i64, register: bool) -> Call<()> {
        let HostState {
            batch,
            current,
            timers,
            keyed,
            ..
        } = self;
        let Some(scope) = scope_of(batch, current, *keyed) else {
            return Ok(Err(Error::NoCurrentKey));
        };
        let result = if register {
            timers.register(domain, scope, at)
        } else {
            timers.delete(domain, scope, at)
        };
        match result {
            Ok(_) => Ok(Ok(())),
            Err(e @ StateError::QuotaExceeded { .. }) => {
                Ok(Err(Error::QuotaExceeded(e.to_string())))
            }
            Err(e) => wasmtime::bail!("timer service failed: {e}"),
        }
    }
}

impl Host for HostState {
    fn register_event_time(&mut self, at: i64) -> Call<()> {
        self.timer(TimeDomain::EventTime, at, true)
    }

    fn delete_event_time(&mut self, at: i64) -> Call<()> {
        self.timer(TimeDomain::EventTime, at, false)
    }

    fn register_processing_time(&mut self, at: i64) -> Call<()> {
        self.timer(TimeDomain::ProcessingTime, at, true)
    }

    fn delete_processing_time(&mut self, at: i64) -> Call<()> {
        self.timer(TimeDomain::ProcessingTime, at, false)
    }
}
