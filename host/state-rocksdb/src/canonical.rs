//! Canonical snapshots of one key group: the `WKGS` format every backend
//! writes and reads (see [`weir_state::snapshot`]), byte-identical to what
//! the heap backend writes for the same contents.

use rocksdb::WriteBatch;
use weir_state::snapshot::{
    self, decode_key_group, write_collection, write_list_item, write_map_item, write_state,
    write_value,
};
use weir_state::{Result, StateKind};

use crate::RocksDbBackend;
use crate::backend::{item, list, scan_done};
use crate::error::corrupt;
use crate::layout::{self, PREFIX};

/// Appends key group `key_group` to `out`. Every registered state is
/// listed, by name; keys come out of RocksDB in byte order already.
pub(crate) fn snapshot(backend: &RocksDbBackend, key_group: u32, out: &mut Vec<u8>) -> Result<()> {
    let states = backend.registry.by_name();
    snapshot::write_header(out, key_group, states.len());
    let mut body = Vec::new();
    for (id, descriptor) in states {
        body.clear();
        let mut n_keys = 0;
        let mut it = backend.scan(&layout::state_prefix(key_group, id))?;
        match descriptor.kind {
            StateKind::Value => {
                while let Some((key, record)) = it.item() {
                    let (at, value) = item(record)?;
                    write_value(&mut body, &key[PREFIX..], at, value);
                    n_keys += 1;
                    it.next();
                }
            }
            StateKind::List => {
                while let Some((key, record)) = it.item() {
                    let items = list(record)?;
                    write_collection(&mut body, &key[PREFIX..], items.len());
                    for (at, value) in items {
                        write_list_item(&mut body, at, value);
                    }
                    n_keys += 1;
                    it.next();
                }
            }
            StateKind::Map => {
                // Entries of one key are adjacent; the count goes first, so
                // gather one key's entries before writing them.
                let mut current: Option<Vec<u8>> = None;
                let mut entries: Vec<u8> = Vec::new();
                let mut n = 0;
                while let Some((key, record)) = it.item() {
                    let (user_key, map_key) =
                        layout::split_map_key(&key[PREFIX..]).ok_or_else(|| corrupt("map key"))?;
                    if current.as_deref() != Some(&user_key[..]) {
                        if let Some(done) = current.take() {
                            write_collection(&mut body, &done, n);
                            body.append(&mut entries);
                        }
                        current = Some(user_key);
                        n_keys += 1;
                        n = 0;
                    }
                    let (at, value) = item(record)?;
                    write_map_item(&mut entries, map_key, at, value);
                    n += 1;
                    it.next();
                }
                if let Some(done) = current {
                    write_collection(&mut body, &done, n);
                    body.append(&mut entries);
                }
            }
        }
        scan_done(&it)?;
        write_state(out, descriptor, n_keys);
        out.extend_from_slice(&body);
    }
    Ok(())
}

/// Replaces key group `key_group` (index `gi`) with the snapshot in
/// `bytes`: decoded and checked first, then written in one batch.
pub(crate) fn restore(
    backend: &mut RocksDbBackend,
    gi: usize,
    key_group: u32,
    bytes: &[u8],
) -> Result<()> {
    let sections = decode_key_group(key_group, bytes)?;
    let mut registry = backend.registry.clone();
    let mut ids = Vec::with_capacity(sections.len());
    let mut added = Vec::new();
    for section in &sections {
        let registration = registry.adopt(section.descriptor())?;
        let id = registration.id();
        ids.push(id);
        if registration.changed() {
            added.push(id);
        }
    }
    let new_bytes: u64 = sections.iter().map(|s| s.bytes()).sum();
    let old_bytes = backend.group_bytes[gi];
    backend.admit(old_bytes, new_bytes)?;

    let state = backend.state();
    let mut batch = WriteBatch::default();
    batch.delete_range_cf(
        state,
        layout::group_start(key_group),
        layout::group_start(key_group + 1),
    );
    for (section, &id) in sections.iter().zip(&ids) {
        match section.descriptor().kind {
            StateKind::Value => {
                for i in section.items() {
                    let key = layout::plain_key(key_group, id, i.key);
                    batch.put_cf(state, key, layout::encode_item(i.written_at, i.value));
                }
            }
            StateKind::Map => {
                for i in section.items() {
                    let mut key = layout::map_prefix(key_group, id, i.key);
                    key.extend_from_slice(i.map_key.unwrap_or_default());
                    batch.put_cf(state, key, layout::encode_item(i.written_at, i.value));
                }
            }
            StateKind::List => {
                let mut items = section.items().peekable();
                while let Some(first) = items.next() {
                    let mut record = Vec::new();
                    layout::push_list_item(&mut record, first.written_at, first.value);
                    while let Some(next) = items.next_if(|i| i.key == first.key) {
                        layout::push_list_item(&mut record, next.written_at, next.value);
                    }
                    batch.put_cf(state, layout::plain_key(key_group, id, first.key), record);
                }
            }
        }
    }
    backend.put_descriptors(&mut batch, &registry, added);
    backend.write(batch)?;
    backend.registry = registry;
    backend.apply(gi, old_bytes, new_bytes);
    tracing::debug!(key_group, bytes = new_bytes, "restored key group");
    Ok(())
}
