//! Names, kinds and TTLs of the states an operator registered.

use std::collections::HashMap;

use crate::{Result, StateDescriptor, StateError, StateId, StateKind};

/// The states known to a backend, by id and by name.
///
/// A state known only from a restored snapshot is *unclaimed* until the
/// operator registers it: that first registration may change its TTL (a new
/// module version may set another), but not its kind. Once claimed, the
/// descriptor is fixed for the life of the backend.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    states: Vec<Registered>,
    by_name: HashMap<String, StateId>,
}

#[derive(Debug)]
struct Registered {
    descriptor: StateDescriptor,
    claimed: bool,
}

/// What a registration did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Registration {
    /// The name was known; its id is returned.
    Existing(StateId),
    /// A new state was added with this id.
    Added(StateId),
}

impl Registration {
    pub(crate) fn id(self) -> StateId {
        match self {
            Registration::Existing(id) | Registration::Added(id) => id,
        }
    }
}

impl Registry {
    /// Registers `descriptor` on behalf of the operator.
    pub(crate) fn register(&mut self, descriptor: &StateDescriptor) -> Result<Registration> {
        let Some(&id) = self.by_name.get(&descriptor.name) else {
            return Ok(self.add(descriptor.clone(), true));
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
        Ok(Registration::Existing(id))
    }

    /// Fails if a snapshot's state cannot be adopted: a known state of the
    /// same name has another kind.
    pub(crate) fn check_adoptable(&self, descriptor: &StateDescriptor) -> Result<()> {
        match self.by_name.get(&descriptor.name) {
            Some(&id) if self.states[id.0 as usize].descriptor.kind != descriptor.kind => {
                Err(StateError::Conflict {
                    existing: self.states[id.0 as usize].descriptor.clone(),
                    requested: descriptor.clone(),
                })
            }
            _ => Ok(()),
        }
    }

    /// Takes a state named in a snapshot: a known name keeps its descriptor,
    /// an unknown one is added unclaimed. Call
    /// [`check_adoptable`](Self::check_adoptable) first.
    pub(crate) fn adopt(&mut self, descriptor: &StateDescriptor) -> Registration {
        match self.by_name.get(&descriptor.name) {
            Some(&id) => Registration::Existing(id),
            None => self.add(descriptor.clone(), false),
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

    /// Kinds of all states, indexed by id.
    pub(crate) fn kinds(&self) -> impl Iterator<Item = StateKind> + '_ {
        self.states.iter().map(|s| s.descriptor.kind)
    }

    fn add(&mut self, descriptor: StateDescriptor, claimed: bool) -> Registration {
        let id = StateId(self.states.len() as u32);
        self.by_name.insert(descriptor.name.clone(), id);
        self.states.push(Registered {
            descriptor,
            claimed,
        });
        Registration::Added(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(name: &str) -> StateDescriptor {
        StateDescriptor::new(name, StateKind::Value)
    }

    #[test]
    fn same_descriptor_same_id() {
        let mut r = Registry::default();
        let a = r.register(&value("a")).unwrap();
        let b = r.register(&value("b")).unwrap();
        assert_eq!(a, Registration::Added(StateId(0)));
        assert_eq!(b, Registration::Added(StateId(1)));
        assert_eq!(
            r.register(&value("a")).unwrap(),
            Registration::Existing(StateId(0))
        );
    }

    #[test]
    fn other_kind_or_ttl_conflicts() {
        let mut r = Registry::default();
        r.register(&value("a")).unwrap();
        let err = r
            .register(&StateDescriptor::new("a", StateKind::Map))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "state `a` is registered as a value state without TTL \
             but was requested as a map state without TTL"
        );
        let err = r.register(&value("a").with_ttl_ms(5)).unwrap_err();
        assert!(matches!(err, StateError::Conflict { .. }), "{err}");
        assert!(err.to_string().contains("with a TTL of 5 ms"), "{err}");
    }

    #[test]
    fn adopted_state_takes_the_first_registered_ttl() {
        let mut r = Registry::default();
        let id = r.adopt(&value("a").with_ttl_ms(10)).id();
        assert_eq!(
            r.register(&value("a").with_ttl_ms(20)).unwrap(),
            Registration::Existing(id)
        );
        assert_eq!(r.expect(id, StateKind::Value).unwrap(), Some(20));
        assert!(r.register(&value("a").with_ttl_ms(10)).is_err());
        assert!(r.check_adoptable(&value("a")).is_ok());
        assert!(
            r.check_adoptable(&StateDescriptor::new("a", StateKind::List))
                .is_err()
        );
    }

    #[test]
    fn expect_checks_id_and_kind() {
        let mut r = Registry::default();
        let id = r.register(&value("v")).unwrap().id();
        assert_eq!(
            r.expect(StateId(9), StateKind::Value),
            Err(StateError::UnknownState(StateId(9)))
        );
        assert_eq!(
            r.expect(id, StateKind::List),
            Err(StateError::KindMismatch {
                name: "v".into(),
                registered: StateKind::Value,
                used_as: StateKind::List
            })
        );
    }
}
