use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::module::Module;
use crate::{Result, WasmError};

/// How often the epoch advances; per-call deadlines are counted in ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// One wasmtime engine per process, with a cache of compiled components.
///
/// Cloning is cheap and shares the engine and the cache. A ticker thread
/// advances the engine's epoch every 10 ms for as long as any clone lives;
/// that is what interrupts a guest that runs past its deadline.
#[derive(Clone)]
pub struct WasmEngine {
    inner: Arc<Inner>,
}

struct Inner {
    engine: wasmtime::Engine,
    cache: Mutex<HashMap<[u8; 32], Arc<Module>>>,
}

impl std::fmt::Debug for WasmEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cached = self.inner.cache.lock().map(|c| c.len()).unwrap_or(0);
        f.debug_struct("WasmEngine")
            .field("cached_modules", &cached)
            .finish()
    }
}

impl WasmEngine {
    /// Creates the engine and starts its epoch ticker.
    pub fn new() -> Result<Self> {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        // For profiling guests: `/tmp/perf-<pid>.map` names compiled guest
        // functions for `perf` (and for callgrind's bare addresses).
        if std::env::var_os("WEIR_WASM_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = wasmtime::Engine::new(&config).map_err(|e| WasmError::Compile {
            module: "<engine>".into(),
            message: e.to_string(),
        })?;
        let inner = Arc::new(Inner {
            engine,
            cache: Mutex::new(HashMap::new()),
        });
        spawn_ticker(Arc::downgrade(&inner));
        Ok(WasmEngine { inner })
    }

    /// The underlying wasmtime engine.
    pub fn engine(&self) -> &wasmtime::Engine {
        &self.inner.engine
    }

    /// Loads a component from a file (compiled once per content hash).
    pub fn load_file(&self, path: &Path) -> Result<Arc<Module>> {
        let bytes = std::fs::read(path).map_err(|source| WasmError::Read {
            path: path.to_owned(),
            source,
        })?;
        self.load_bytes(&path.display().to_string(), &bytes)
    }

    /// Loads a component from bytes; `name` is used in messages.
    pub fn load_bytes(&self, name: &str, bytes: &[u8]) -> Result<Arc<Module>> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        if let Some(m) = self.cached(&hash) {
            return Ok(m);
        }
        let module = Arc::new(Module::compile(self, name, bytes, hash)?);
        let mut cache = self.inner.cache.lock().expect("module cache poisoned");
        Ok(cache.entry(hash).or_insert(module).clone())
    }

    fn cached(&self, hash: &[u8; 32]) -> Option<Arc<Module>> {
        self.inner
            .cache
            .lock()
            .expect("module cache poisoned")
            .get(hash)
            .cloned()
    }
}

fn spawn_ticker(inner: Weak<Inner>) {
    let spawned = std::thread::Builder::new()
        .name("weir-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match inner.upgrade() {
                    Some(inner) => inner.engine.increment_epoch(),
                    None => return,
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the epoch ticker: guest deadlines are off");
    }
}

/// Deadline in epoch ticks for a call timeout (at least one tick, plus one so
/// a call never gets less than its timeout).
pub(crate) fn deadline_ticks(timeout: Duration) -> u64 {
    (timeout.as_millis() as u64).div_ceil(EPOCH_TICK.as_millis() as u64) + 1
}
