//! The hot path must not allocate beyond what its results need: lookups hash
//! the borrowed key and a key is copied only when first written.
//!
//! A counting global allocator (this test binary only) counts allocations
//! made by the current thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use weir_state::{
    HeapBackend, HeapOptions, KeyScope, KeyedStateBackend, StateDescriptor, StateKind, TimeDomain,
    TimerOptions, TimerService,
};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is a const-initialized thread-local that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations `f` makes on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (ALLOCATIONS.with(Cell::get) - before, out)
}

const NOW: i64 = 1_000;

#[test]
fn warm_value_and_map_access_allocate_only_results() {
    let mut state = HeapBackend::new(0..8, HeapOptions::default());
    let value = state
        .register(&StateDescriptor::new("v", StateKind::Value).with_ttl_ms(60_000))
        .unwrap();
    let map = state
        .register(&StateDescriptor::new("m", StateKind::Map))
        .unwrap();
    let scope = KeyScope::new(3, b"a-warm-key");
    state.value_set(value, scope, b"0".to_vec(), NOW).unwrap();
    state
        .map_put(map, scope, b"mk".to_vec(), b"0".to_vec(), NOW)
        .unwrap();

    let new_value = b"12345678".to_vec();
    let (n, _) = allocations(|| state.value_set(value, scope, new_value, NOW).unwrap());
    assert_eq!(n, 0, "overwriting a warm value");
    let (n, got) = allocations(|| state.value_get(value, scope, NOW).unwrap());
    assert_eq!(n, 1, "reading a warm value copies it once");
    assert_eq!(got.as_deref(), Some(&b"12345678"[..]));
    let (n, _) = allocations(|| {
        state
            .value_get(value, KeyScope::new(3, b"cold"), NOW)
            .unwrap()
    });
    assert_eq!(n, 0, "missing a key");

    let (mk, v) = (b"mk".to_vec(), b"1".to_vec());
    let (n, _) = allocations(|| state.map_put(map, scope, mk, v, NOW).unwrap());
    assert_eq!(n, 0, "overwriting a warm map entry");
    let (n, _) = allocations(|| state.map_get(map, scope, b"mk", NOW).unwrap());
    assert_eq!(n, 1, "reading a warm map entry copies it once");
}

#[test]
fn re_registering_a_timer_does_not_allocate() {
    let mut timers = TimerService::new(0..8, TimerOptions::default());
    let scope = KeyScope::new(5, b"a-warm-key");
    timers.register(TimeDomain::EventTime, scope, 10).unwrap();
    let (n, new) = allocations(|| timers.register(TimeDomain::EventTime, scope, 10).unwrap());
    assert!(!new);
    assert_eq!(n, 0);
    let (n, deleted) = allocations(|| timers.delete(TimeDomain::EventTime, scope, 10).unwrap());
    assert!(deleted);
    assert_eq!(n, 0);
}
