use weir_world::operator::weir::operator::context::{Host, TaskInfo};
use weir_world::operator::weir::operator::types::Error;

use crate::host::HostState;

impl HostState {
    /// `set-current`: makes element `index` of the batch current.
    pub(super) fn select(&mut self, index: u32) -> Result<(), Error> {
        if self.set_current(index as usize) {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "set-current({index}): no such element in the batch being handled"
            )))
        }
    }
}

impl Host for HostState {
    fn set_current(&mut self, index: u32) -> wasmtime::Result<Result<(), Error>> {
        Ok(self.select(index))
    }

    fn current_key(&mut self) -> wasmtime::Result<Option<Vec<u8>>> {
        Ok(HostState::current_key(self).map(<[u8]>::to_vec))
    }

    fn current_watermark(&mut self) -> wasmtime::Result<i64> {
        Ok(self.watermark)
    }

    fn processing_time(&mut self) -> wasmtime::Result<i64> {
        Ok(HostState::now_ms())
    }

    fn task(&mut self) -> wasmtime::Result<TaskInfo> {
        Ok(TaskInfo {
            job_name: self.task.job.clone(),
            operator_id: self.task.operator.clone(),
            subtask_index: self.task.subtask,
            parallelism: self.task.parallelism,
            max_parallelism: self.task.max_parallelism,
        })
    }
}
