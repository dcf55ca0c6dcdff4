use weir_types::Record;
use weir_world::operator::weir::operator::collector::Host;
use weir_world::operator::weir::operator::types::{Error, Record as WitRecord};

use crate::host::HostState;

impl HostState {
    fn take_records(&mut self, records: Vec<WitRecord>) -> wasmtime::Result<Vec<Record>> {
        let bytes: u64 = records
            .iter()
            .map(|r| (r.value.len() + r.key.as_ref().map_or(0, Vec::len)) as u64)
            .sum();
        if !self.charge_output(bytes) {
            wasmtime::bail!(
                "output cap of {} bytes per call exceeded",
                self.max_output_bytes
            );
        }
        let default_ts = self.current.timestamp;
        Ok(records
            .into_iter()
            .map(|r| Record {
                key: r.key,
                value: r.value,
                timestamp: r.timestamp.or(default_ts),
            })
            .collect())
    }
}

impl Host for HostState {
    fn emit(&mut self, records: Vec<WitRecord>) -> wasmtime::Result<Result<(), Error>> {
        let mut records = self.take_records(records)?;
        if self.emitted.main.is_empty() {
            self.emitted.main = records;
        } else {
            self.emitted.main.append(&mut records);
        }
        Ok(Ok(()))
    }

    fn emit_side(
        &mut self,
        output: String,
        records: Vec<WitRecord>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let mut records = self.take_records(records)?;
        if !self.side_outputs.contains(&output) {
            // Not connected in the job: dropped, as Flink drops untaken side outputs.
            self.dropped_side_records += records.len() as u64;
            return Ok(Ok(()));
        }
        match self.emitted.side.iter_mut().find(|(n, _)| *n == output) {
            Some((_, v)) => v.append(&mut records),
            None => self.emitted.side.push((output, records)),
        }
        Ok(Ok(()))
    }
}
