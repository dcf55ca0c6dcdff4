use weir_world::operator::weir::operator::log::{Host, Level};

use crate::host::HostState;

/// Longest log message kept; longer ones are cut.
const MAX_MESSAGE: usize = 4096;

/// How an error line that reports a guest's panic begins (the Rust SDK's
/// panic hook writes one just before the guest traps).
const PANIC_PREFIX: &str = "panicked at ";

impl Host for HostState {
    fn log(&mut self, level: Level, mut message: String) -> wasmtime::Result<()> {
        if message.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        if matches!(level, Level::Error) && message.starts_with(PANIC_PREFIX) {
            // The trap that follows reports it as its cause.
            self.panic = Some(message.replace('\n', " "));
        }
        let (job, op, subtask) = (&self.task.job, &self.task.operator, self.task.subtask);
        match level {
            Level::Trace => tracing::trace!(job, operator = op, subtask, "{message}"),
            Level::Debug => tracing::debug!(job, operator = op, subtask, "{message}"),
            Level::Info => tracing::info!(job, operator = op, subtask, "{message}"),
            Level::Warn => tracing::warn!(job, operator = op, subtask, "{message}"),
            Level::Error => tracing::error!(job, operator = op, subtask, "{message}"),
        }
        Ok(())
    }
}
