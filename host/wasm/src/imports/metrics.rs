use weir_world::operator::weir::operator::metrics::Host;

use crate::host::HostState;

impl Host for HostState {
    fn counter_add(&mut self, name: String, delta: u64) -> wasmtime::Result<()> {
        self.metrics.counter_add(name, delta);
        Ok(())
    }

    fn gauge_set(&mut self, name: String, value: f64) -> wasmtime::Result<()> {
        self.metrics.gauge_set(name, value);
        Ok(())
    }

    fn histogram_record(&mut self, name: String, value: f64) -> wasmtime::Result<()> {
        self.metrics.histogram_record(name, value);
        Ok(())
    }
}
