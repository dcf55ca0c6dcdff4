use weir_world::operator::weir::operator::context::{Host, TaskInfo};
use weir_world::operator::weir::operator::types::Error;

use crate::host::HostState;

impl Host for HostState {
    fn set_current(&mut self, index: u32) -> wasmtime::Result<Result<(), Error>> {
        if self.set_current(index as usize) {
            Ok(Ok(()))
        } else {
            Ok(Err(Error::InvalidArgument(format!(
                "set-current({index}): no such element in the batch being handled"
            ))))
        }
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
