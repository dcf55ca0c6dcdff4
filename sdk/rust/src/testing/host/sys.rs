//! The native side of every host call; see `crate::host`.

use super::*;

pub(crate) fn state_register(
    name: &str,
    kind: StateKind,
    ttl_ms: Option<u64>,
) -> Result<u32, HostError> {
    with(|h| h.register(name, kind, ttl_ms))
}

pub(crate) fn state_clear(id: u32) -> Result<(), HostError> {
    with(|h| {
        let key = h.current_key()?;
        h.decls
            .get(id as usize)
            .ok_or_else(|| HostError::UnknownState(format!("no state with id {id}")))?;
        h.slots.remove(&(id, key));
        Ok(())
    })
}

pub(crate) fn value_get(id: u32) -> Result<Option<StateBytes>, HostError> {
    with(|h| {
        let now = h.processing_time;
        let (ttl, slot) = h.slot(id, StateKind::Value)?;
        Ok(match slot {
            Some(Slot::Value(s)) if live_at(now, ttl, s) => Some(state_bytes(&s.bytes)),
            _ => None,
        })
    })
}

pub(crate) fn value_set(id: u32, value: &[u8]) -> Result<(), HostError> {
    with(|h| {
        let s = h.stamp(value);
        h.replace(id, StateKind::Value, Slot::Value(s))
    })
}

pub(crate) fn map_get(id: u32, map_key: &[u8]) -> Result<Option<StateBytes>, HostError> {
    with(|h| {
        let now = h.processing_time;
        let (ttl, slot) = h.slot(id, StateKind::Map)?;
        Ok(match slot {
            Some(Slot::Map(m)) => m
                .get(map_key)
                .filter(|s| live_at(now, ttl, s))
                .map(|s| state_bytes(&s.bytes)),
            _ => None,
        })
    })
}

pub(crate) fn map_put(id: u32, map_key: &[u8], value: &[u8]) -> Result<(), HostError> {
    with(|h| {
        let s = h.stamp(value);
        if let Slot::Map(m) = h.slot_or_insert(id, StateKind::Map, Slot::Map(BTreeMap::new()))? {
            m.insert(map_key.to_vec(), s);
        }
        Ok(())
    })
}

pub(crate) fn map_remove(id: u32, map_key: &[u8]) -> Result<(), HostError> {
    with(|h| {
        if let (_, Some(Slot::Map(m))) = h.slot(id, StateKind::Map)? {
            m.remove(map_key);
        }
        Ok(())
    })
}

pub(crate) fn map_entries(id: u32) -> Result<MapEntries, HostError> {
    with(|h| {
        let now = h.processing_time;
        let (ttl, slot) = h.slot(id, StateKind::Map)?;
        Ok(match slot {
            Some(Slot::Map(m)) => m
                .iter()
                .filter(|(_, s)| live_at(now, ttl, s))
                .map(|(k, s)| (k.clone(), s.bytes.clone()))
                .collect(),
            _ => Vec::new(),
        })
    })
}

pub(crate) fn list_get(id: u32) -> Result<Vec<Vec<u8>>, HostError> {
    with(|h| {
        let now = h.processing_time;
        let (ttl, slot) = h.slot(id, StateKind::List)?;
        Ok(match slot {
            Some(Slot::List(l)) => l
                .iter()
                .filter(|s| live_at(now, ttl, s))
                .map(|s| s.bytes.clone())
                .collect(),
            _ => Vec::new(),
        })
    })
}

pub(crate) fn list_add(id: u32, value: &[u8]) -> Result<(), HostError> {
    with(|h| {
        let s = h.stamp(value);
        if let Slot::List(l) = h.slot_or_insert(id, StateKind::List, Slot::List(Vec::new()))? {
            l.push(s);
        }
        Ok(())
    })
}

pub(crate) fn list_update(id: u32, values: &[Vec<u8>]) -> Result<(), HostError> {
    with(|h| {
        let stamped = values.iter().map(|v| h.stamp(v)).collect();
        h.replace(id, StateKind::List, Slot::List(stamped))
    })
}

fn timers(h: &mut NativeHost, domain: TimeDomain) -> &mut BTreeSet<(i64, Vec<u8>)> {
    match domain {
        TimeDomain::EventTime => &mut h.event_timers,
        TimeDomain::ProcessingTime => &mut h.processing_timers,
    }
}

fn set_timer(domain: TimeDomain, at: i64, register: bool) -> Result<(), HostError> {
    with(|h| {
        let key = h.current_key()?;
        let set = timers(h, domain);
        if register {
            set.insert((at, key));
        } else {
            set.remove(&(at, key));
        }
        Ok(())
    })
}

pub(crate) fn register_event_time(at: i64) -> Result<(), HostError> {
    set_timer(TimeDomain::EventTime, at, true)
}

pub(crate) fn delete_event_time(at: i64) -> Result<(), HostError> {
    set_timer(TimeDomain::EventTime, at, false)
}

pub(crate) fn register_processing_time(at: i64) -> Result<(), HostError> {
    set_timer(TimeDomain::ProcessingTime, at, true)
}

pub(crate) fn delete_processing_time(at: i64) -> Result<(), HostError> {
    set_timer(TimeDomain::ProcessingTime, at, false)
}

fn stamped(h: &NativeHost, records: Vec<Record>) -> Vec<Record> {
    let default = h.current().and_then(|(_, t)| *t);
    records
        .into_iter()
        .map(|mut r| {
            r.timestamp = r.timestamp.or(default);
            r
        })
        .collect()
}

pub(crate) fn emit(records: Vec<Record>) -> Result<(), HostError> {
    with(|h| {
        h.emit_calls += 1;
        let records = stamped(h, records);
        h.emitted.extend(records);
        Ok(())
    })
}

pub(crate) fn emit_side(output: &str, records: Vec<Record>) -> Result<(), HostError> {
    with(|h| {
        h.emit_calls += 1;
        if h.declared_outputs
            .as_ref()
            .is_some_and(|d| !d.contains(output))
        {
            return Err(HostError::UnknownOutput(output.to_owned()));
        }
        let records = stamped(h, records);
        h.side.entry(output.to_owned()).or_default().extend(records);
        Ok(())
    })
}

/// State calls apply at once here; on Wasm this sends the ones buffered.
pub(crate) fn flush_state() -> Result<(), HostError> {
    Ok(())
}

pub(crate) fn set_current(index: u32) -> Result<(), HostError> {
    with(|h| {
        h.set_current_calls += 1;
        if index as usize >= h.batch.len() {
            return Err(HostError::InvalidArgument(format!(
                "element {index} of a batch of {}",
                h.batch.len()
            )));
        }
        h.current = index as usize;
        Ok(())
    })
}

pub(crate) fn current_watermark() -> i64 {
    with(|h| h.watermark)
}

pub(crate) fn processing_time() -> i64 {
    with(|h| h.processing_time)
}

pub(crate) fn task_info() -> TaskInfo {
    with(|h| h.task_info.clone())
}

pub(crate) fn log(level: Level, message: &str) {
    let kept = try_with(|h| {
        h.logs.push(LogLine {
            level,
            message: message.to_owned(),
        })
    });
    if kept.is_none() {
        eprintln!("[{level:?}] {message}");
    }
}

pub(crate) fn counter_add(name: &str, delta: u64) {
    try_with(|h| *h.counters.entry(name.to_owned()).or_default() += delta);
}

pub(crate) fn gauge_set(name: &str, value: f64) {
    try_with(|h| h.gauges.insert(name.to_owned(), value));
}

pub(crate) fn histogram_record(name: &str, value: f64) {
    try_with(|h| h.histograms.entry(name.to_owned()).or_default().push(value));
}

/// A value as the Wasm host returns it: inline when short, so native tests
/// run the SDK's decoding of both forms.
fn state_bytes(bytes: &[u8]) -> StateBytes {
    use weir_types::short_value::{self, ShortValue};
    match short_value::encode(bytes) {
        Some((len, low, high)) => StateBytes::Short(
            ShortValue::decode(len, low, high).expect("encode gives a valid inline form"),
        ),
        None => StateBytes::Long(bytes.to_vec()),
    }
}
