use std::time::Duration;

/// The sandbox of one operator subtask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxLimits {
    /// Cap on linear memory (all memories together), in bytes.
    pub memory_bytes: u64,
    /// Longest one call into the guest may run.
    pub call_timeout: Duration,
    /// Most bytes (keys plus values) one call may emit.
    pub max_output_bytes: u64,
    /// Cap on table elements.
    pub table_elements: usize,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits {
            memory_bytes: 64 << 20,
            call_timeout: Duration::from_secs(5),
            max_output_bytes: 64 << 20,
            table_elements: 100_000,
        }
    }
}

/// Enforces [`SandboxLimits`] on memory and table growth, remembering a
/// memory overrun so the trap it causes can be reported as such.
#[derive(Debug)]
pub(crate) struct Limiter {
    memory_bytes: u64,
    table_elements: usize,
    pub(crate) memory_exceeded: Option<u64>,
}

impl Limiter {
    pub(crate) fn new(limits: &SandboxLimits) -> Self {
        Limiter {
            memory_bytes: limits.memory_bytes,
            table_elements: limits.table_elements,
            memory_exceeded: None,
        }
    }
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.memory_bytes {
            self.memory_exceeded = Some(desired as u64);
            wasmtime::bail!(
                "memory cap of {} bytes exceeded (asked for {desired})",
                self.memory_bytes
            );
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= self.table_elements)
    }
}
