//! Names, kinds and TTLs of the states, with the rules `HeapBackend` follows.
//!
//! A state learned from a restored snapshot (canonical or native) is
//! *unclaimed* until the operator registers it: that first registration may
//! change its TTL but not its kind. Once claimed, the descriptor is fixed.
//! Every change is written to the `meta` column family by the caller, which
//! works on a clone and keeps it only once the write succeeded.

use std::collections::HashMap;

use weir_state::{Result, StateDescriptor, StateError, StateId, StateKind};

/// The states known to a backend, by id and by name. Ids are dense: state
/// `i` is `StateId(i)` and prefixes its keys with `i`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Registry {
    states: Vec<Registered>,
    by_name: HashMap<String, StateId>,
}

#[derive(Debug, Clone)]
struct Registered {
    descriptor: StateDescriptor,
    claimed: bool,
}

impl Registry {
    /// Registers `descriptor` on behalf of the operator. Returns the id and
    /// whether the stored descriptor is new or changed.
    pub(crate) fn register(&mut self, descriptor: &StateDescriptor) -> Result<(StateId, bool)> {
        let Some(&id) = self.by_name.get(&descriptor.name) else {
            return Ok((self.add(descriptor.clone(), true), true));
        };
        let known = &mut self.states[id.0 as usize];
        let same_ttl = known.descriptor.ttl_ms == descriptor.ttl_ms;
        if known.descriptor.kind != descriptor.kind || (known.claimed && !same_ttl) {
            return Err(StateError::Conflict {
                existing: known.descriptor.clone(),
                requested: descriptor.clone(),
            });
        }
        known.descriptor.ttl_ms = descriptor.ttl_ms;
        known.claimed = true;
        Ok((id, !same_ttl))
    }

    /// Takes a state named in a snapshot: a known name keeps its descriptor
    /// (another kind is a `Conflict`), an unknown one is added unclaimed.
    /// Returns the id and whether the state was added.
    pub(crate) fn adopt(&mut self, descriptor: &StateDescriptor) -> Result<(StateId, bool)> {
        match self.by_name.get(&descriptor.name) {
            Some(&id) => {
                let known = &self.states[id.0 as usize].descriptor;
                if known.kind != descriptor.kind {
                    return Err(StateError::Conflict {
                        existing: known.clone(),
                        requested: descriptor.clone(),
                    });
                }
                Ok((id, false))
            }
            None => Ok((self.add(descriptor.clone(), false), true)),
        }
    }

    /// The descriptor of `id`.
    pub(crate) fn get(&self, id: StateId) -> Result<&StateDescriptor> {
        self.states
            .get(id.0 as usize)
            .map(|s| &s.descriptor)
            .ok_or(StateError::UnknownState(id))
    }

    /// The id registered under `name`.
    pub(crate) fn id_of(&self, name: &str) -> Option<StateId> {
        self.by_name.get(name).copied()
    }

    /// The TTL of `id`, checking it is a state of kind `kind`.
    #[inline]
    pub(crate) fn expect(&self, id: StateId, kind: StateKind) -> Result<Option<u64>> {
        let d = self.get(id)?;
        if d.kind == kind {
            Ok(d.ttl_ms)
        } else {
            Err(StateError::KindMismatch {
                name: d.name.clone(),
                registered: d.kind,
                used_as: kind,
            })
        }
    }

    /// Every state as `(id, descriptor)`, ordered by name.
    pub(crate) fn by_name(&self) -> Vec<(StateId, &StateDescriptor)> {
        let mut all: Vec<_> = self
            .states
            .iter()
            .enumerate()
            .map(|(i, s)| (StateId(i as u32), &s.descriptor))
            .collect();
        all.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        all
    }

    fn add(&mut self, descriptor: StateDescriptor, claimed: bool) -> StateId {
        let id = StateId(self.states.len() as u32);
        self.by_name.insert(descriptor.name.clone(), id);
        self.states.push(Registered {
            descriptor,
            claimed,
        });
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_follows_the_heap_rules() {
        let mut r = Registry::default();
        let v = StateDescriptor::new("a", StateKind::Value);
        assert_eq!(r.register(&v).unwrap(), (StateId(0), true));
        assert_eq!(r.register(&v).unwrap(), (StateId(0), false));
        assert!(r.register(&v.clone().with_ttl_ms(5)).is_err());
        assert!(
            r.register(&StateDescriptor::new("a", StateKind::Map))
                .is_err()
        );
        let m = StateDescriptor::new("m", StateKind::Map).with_ttl_ms(10);
        assert_eq!(r.adopt(&m).unwrap(), (StateId(1), true));
        assert_eq!(
            r.register(&m.clone().with_ttl_ms(20)).unwrap(),
            (StateId(1), true)
        );
        assert_eq!(r.expect(StateId(1), StateKind::Map).unwrap(), Some(20));
        assert!(r.register(&m).is_err());
        assert!(
            r.adopt(&StateDescriptor::new("m", StateKind::List))
                .is_err()
        );
        assert_eq!(
            r.expect(StateId(7), StateKind::Map),
            Err(StateError::UnknownState(StateId(7)))
        );
    }
}
