//! Snapshot and restore of one key group of a [`HeapBackend`].

use super::table::Table;
use super::{Group, HeapBackend};
use crate::registry::{Registration, Registry};
use crate::{Result, snapshot};

/// Appends `group` (key group `key_group`) to `out` in the snapshot format.
pub(super) fn snapshot(registry: &Registry, group: &Group, key_group: u32, out: &mut Vec<u8>) {
    let states = registry.by_name();
    snapshot::put_start(out, key_group, states.len());
    for (id, descriptor) in states {
        group.tables[id.0 as usize].encode(descriptor, out);
    }
}

/// Replaces group `gi` (key group `key_group`) with the snapshot in
/// `bytes`. Everything is decoded and checked before anything changes.
pub(super) fn restore(
    backend: &mut HeapBackend,
    gi: usize,
    key_group: u32,
    bytes: &[u8],
) -> Result<()> {
    let sections = snapshot::decode(key_group, bytes)?;
    for section in &sections {
        backend.registry.check_adoptable(&section.descriptor)?;
    }
    let new_bytes: u64 = sections.iter().map(|s| s.bytes).sum();
    let old_bytes = backend.groups[gi].bytes;
    backend.usage.admit(old_bytes, new_bytes)?;

    // Checked: from here on nothing fails.
    for section in &sections {
        if let Registration::Added(_) = backend.registry.adopt(&section.descriptor)? {
            for group in &mut backend.groups {
                group.tables.push(Table::new(section.descriptor.kind));
            }
        }
    }
    let mut tables: Vec<Table> = backend.registry.kinds().map(Table::new).collect();
    for section in sections {
        let id = backend
            .registry
            .id_of(&section.descriptor.name)
            .expect("adopted above");
        tables[id.0 as usize] = Table::from_entries(section.entries);
    }
    let group = &mut backend.groups[gi];
    group.tables = tables;
    backend.usage.apply(&mut group.bytes, old_bytes, new_bytes);
    tracing::debug!(key_group, bytes = new_bytes, "restored key group");
    Ok(())
}
