//! Generator throughput: records per second one subtask produces.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use weir_connectors::{GeneratorSource, Source};
use weir_spec::{GeneratedValue, GeneratorSpec};

const BATCH: usize = 1024;

fn generator(c: &mut Criterion) {
    let mut group = c.benchmark_group("generator");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (name, value) in [
        ("text", GeneratedValue::Text),
        ("u64_le", GeneratedValue::U64Le),
    ] {
        let spec = GeneratorSpec {
            count: None,
            keys: 10_000,
            start_ms: 0,
            value,
            rate_per_sec: None,
        };
        let mut source = GeneratorSource::new("bench", &spec, 0, 1).unwrap();
        let mut out = Vec::with_capacity(BATCH);
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                source.poll(BATCH, &mut out).unwrap();
                black_box(&out);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, generator);
criterion_main!(benches);
