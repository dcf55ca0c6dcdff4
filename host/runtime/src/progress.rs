//! A live line on stderr: records in/out per second and the watermark.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use weir_types::{MAX_WATERMARK, MIN_WATERMARK};

use crate::metrics::JobCounters;

pub(crate) struct Progress {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Progress {
    pub(crate) fn start(counters: JobCounters) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("weir-progress".into())
            .spawn(move || report(counters, flag))
            .ok();
        Progress { stop, handle }
    }

    pub(crate) fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn totals(c: &JobCounters) -> (u64, u64, i64) {
    // In: what sources read. Out: what reached sinks. Watermark: the lowest
    // over the nodes that have one.
    let mut read = 0;
    let mut written = 0;
    let mut wm = MAX_WATERMARK;
    for (_, n) in &c.nodes {
        let w = n.watermark.load(Ordering::Relaxed);
        if w > MIN_WATERMARK {
            wm = wm.min(w);
        }
    }
    if let Some((_, first)) = c.nodes.first() {
        read = first.records_in.load(Ordering::Relaxed);
    }
    if let Some((_, last)) = c.nodes.last() {
        written = last.records_in.load(Ordering::Relaxed);
    }
    (read, written, wm)
}

fn report(counters: JobCounters, stop: Arc<AtomicBool>) {
    let start = Instant::now();
    let mut last = (0u64, 0u64);
    let mut last_t = Instant::now();
    let mut stderr = std::io::stderr();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(200));
        if last_t.elapsed() < Duration::from_secs(1) {
            continue;
        }
        let (read, written, wm) = totals(&counters);
        let dt = last_t.elapsed().as_secs_f64();
        let wm_text = if wm == MAX_WATERMARK || wm == MIN_WATERMARK {
            "-".to_owned()
        } else {
            wm.to_string()
        };
        let _ = write!(
            stderr,
            "\r\x1b[2K[{:>6.1}s] in {:>10.0} rec/s  out {:>10.0} rec/s  watermark {wm_text}",
            start.elapsed().as_secs_f64(),
            (read - last.0) as f64 / dt,
            (written - last.1) as f64 / dt,
        );
        let _ = stderr.flush();
        last = (read, written);
        last_t = Instant::now();
    }
    let _ = write!(stderr, "\r\x1b[2K");
}
