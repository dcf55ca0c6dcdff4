//! `collector` of 0.1.0 and `output` of 0.2.0: records the guest emits,
//! charged against the call's output cap and routed to the main output or a
//! connected side output.

use weir_types::{Record, packed};
use weir_world::operator::weir::operator::collector;
use weir_world::operator::weir::operator::types::{Error, Record as WitRecord};
use weir_world::packed_operator::weir::operator0_2_0::output;

use crate::host::HostState;

impl HostState {
    /// Charges `bytes` of keys and values to the call's output cap; a trap
    /// when over.
    fn charge(&mut self, bytes: u64) -> wasmtime::Result<()> {
        if !self.charge_output(bytes) {
            wasmtime::bail!(
                "output cap of {} bytes per call exceeded",
                self.max_output_bytes
            );
        }
        Ok(())
    }

    /// Charges emitted records to the output cap and gives those without a
    /// timestamp the current element's.
    fn take(&mut self, mut records: Vec<Record>) -> wasmtime::Result<Vec<Record>> {
        self.charge(records.iter().map(|r| r.payload_len() as u64).sum())?;
        let default_ts = self.current.timestamp;
        for r in &mut records {
            r.timestamp = r.timestamp.or(default_ts);
        }
        Ok(records)
    }

    fn take_records(&mut self, records: Vec<WitRecord>) -> wasmtime::Result<Vec<Record>> {
        self.take(
            records
                .into_iter()
                .map(|r| Record {
                    key: r.key,
                    value: r.value,
                    timestamp: r.timestamp,
                })
                .collect(),
        )
    }

    /// Decodes a packed batch the guest emitted; a malformed one traps.
    fn take_packed(&mut self, records: &[u8]) -> wasmtime::Result<Vec<Record>> {
        let records =
            packed::to_records(records).map_err(|e| wasmtime::format_err!("emitted a {e}"))?;
        self.take(records)
    }

    fn emit_main(&mut self, mut records: Vec<Record>) {
        if self.emitted.main.is_empty() {
            self.emitted.main = records;
        } else {
            self.emitted.main.append(&mut records);
        }
    }

    fn emit_to_side(&mut self, output: String, mut records: Vec<Record>) {
        if !self.side_outputs.contains(&output) {
            // Not connected in the job: dropped, as Flink drops untaken side outputs.
            self.dropped_side_records += records.len() as u64;
            return;
        }
        match self.emitted.side.iter_mut().find(|(n, _)| *n == output) {
            Some((_, v)) => v.append(&mut records),
            None => self.emitted.side.push((output, records)),
        }
    }
}

impl collector::Host for HostState {
    fn emit(&mut self, records: Vec<WitRecord>) -> wasmtime::Result<Result<(), Error>> {
        let records = self.take_records(records)?;
        self.emit_main(records);
        Ok(Ok(()))
    }

    fn emit_side(
        &mut self,
        output: String,
        records: Vec<WitRecord>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let records = self.take_records(records)?;
        self.emit_to_side(output, records);
        Ok(Ok(()))
    }
}

impl output::Host for HostState {
    fn emit(&mut self, records: Vec<u8>) -> wasmtime::Result<Result<(), Error>> {
        let records = self.take_packed(&records)?;
        self.emit_main(records);
        Ok(Ok(()))
    }

    fn emit_side(
        &mut self,
        output: String,
        records: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let records = self.take_packed(&records)?;
        self.emit_to_side(output, records);
        Ok(Ok(()))
    }
}
