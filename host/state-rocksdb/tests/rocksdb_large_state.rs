//! State much larger than the memory the backend is given: ~100 MB of
//! incompressible values through a 1 MiB block cache and 4 MiB memtables.
//! Its own test binary, so the process's RSS is this test's alone.

mod support;

use weir_state::{KeyScope, KeyedStateBackend};
use weir_state_rocksdb::{RocksDbBackend, RocksDbOptions};

use support::{Prng, value};

const VALUES: u32 = 25_000;
const VALUE_BYTES: usize = 4096;

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kb * 1024
}

fn value_of(i: u32) -> Vec<u8> {
    let mut rng = Prng::new(u64::from(i) + 1);
    (0..VALUE_BYTES / 8)
        .flat_map(|_| rng.next().to_le_bytes())
        .collect()
}

#[test]
fn a_hundred_megabytes_fit_in_a_few_megabytes_of_memory() {
    let work = tempfile::tempdir().unwrap();
    let mut b = RocksDbBackend::open(
        0..16,
        RocksDbOptions {
            block_cache_bytes: 1 << 20,
            write_buffer_bytes: 4 << 20,
            write_cache_bytes: 4 << 20,
            ..RocksDbOptions::new(work.path().join("db"))
        },
    )
    .unwrap();
    let id = b.register(&value("blob")).unwrap();
    let before = rss_bytes();
    for i in 0..VALUES {
        let key = i.to_be_bytes();
        b.value_set(id, KeyScope::new(i % 16, &key), value_of(i), 0)
            .unwrap();
    }
    assert!(b.state_bytes() > u64::from(VALUES) * VALUE_BYTES as u64);
    for i in (0..VALUES).step_by(997) {
        let key = i.to_be_bytes();
        assert_eq!(
            b.value_get(id, KeyScope::new(i % 16, &key), 0).unwrap(),
            Some(value_of(i))
        );
    }
    let grown = rss_bytes().saturating_sub(before);
    assert!(
        grown < 64 << 20,
        "RSS grew by {} MiB for {} MiB of state",
        grown >> 20,
        b.state_bytes() >> 20
    );
}
