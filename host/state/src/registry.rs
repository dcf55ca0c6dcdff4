//! Names, kinds and TTLs of the states an operator registered.

use std::collections::HashMap;

use crate::{Result, StateDescriptor, StateError, StateId, StateKind};

/// The states known to a backend, by id and by name. Ids are dense: the
/// `i`-th state added is `StateId(i)`. Every backend follows these rules
/// (the heap one and `weir-state-rocksdb`).
///
/// A state known only from a restored snapshot is *unclaimed* until the
/// operator registers it: that first registration may change its TTL (a new
/// module version may set another), but not its kind. Once claimed, the
/// descriptor is fixed for the life of the backend.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    states: Vec<Registered>,
    by_name: HashMap<String, StateId>,
}

#[derive(Debug, Clone)]
struct Registered {
    descriptor: StateDescriptor,
    claimed: bool,
}

/// What a registration did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// The name was known with this descriptor; its id is returned.
    Existing(StateId),
    /// The name was known (from a snapshot, unclaimed) and the operator's
    /// first registration changed its TTL.
    Updated(StateId),
    /// A new state was added with this id.
    Added(StateId),
}

impl Registration {
    /// The state's id.
    pub fn id(self) -> StateId {
        match self {
            Registration::Existing(id) | Registration::Updated(id) | Registration::Added(id) => id,
        }
    }

    /// True when the stored descriptor is new or changed (a backend that
    /// persists descriptors must write it).
    pub fn changed(self) -> bool {
        !matches!(self, Registration::Existing(_))
    }
}

impl Registry {
    /// Registers `descriptor` on behalf of the operator.
    pub fn register(&mut self, descriptor: &StateDescriptor) -> Result<Registration> {
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
        Ok(if same_ttl {
            Registration::Existing(id)
        } else {
            Registration::Updated(id)
        })
    }

    /// Fails if a snapshot's state cannot be adopted: a known state of the
    /// same name has another kind.
    pub fn check_adoptable(&self, descriptor: &StateDescriptor) -> Result<()> {
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

    /// Takes a state named in a snapshot: a known name keeps its descriptor
    /// (another kind is a `Conflict`, as
    /// [`check_adoptable`](Self::check_adoptable) says), an unknown one is
    /// added unclaimed.
    pub fn adopt(&mut self, descriptor: &StateDescriptor) -> Result<Registration> {
        self.check_adoptable(descriptor)?;
        Ok(match self.by_name.get(&descriptor.name) {
            Some(&id) => Registration::Existing(id),
            None => self.add(descriptor.clone(), false),
        })
    }

    /// The descriptor of `id`.
    pub fn get(&self, id: StateId) -> Result<&StateDescriptor> {
        self.states
            .get(id.0 as usize)
            .map(|s| &s.descriptor)
            .ok_or(StateError::UnknownState(id))
    }

    /// The id registered under `name`.
    pub fn id_of(&self, name: &str) -> Option<StateId> {
        self.by_name.get(name).copied()
    }

    /// The TTL of `id`, checking it is a state of kind `kind`.
    #[inline]
    pub fn expect(&self, id: StateId, kind: StateKind) -> Result<Option<u64>> {
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
    pub fn by_name(&self) -> Vec<(StateId, &StateDescriptor)> {
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
    pub fn kinds(&self) -> impl Iterator<Item = StateKind> + '_ {
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
        let id = r.adopt(&value("a").with_ttl_ms(10)).unwrap().id();
        assert_eq!(
            r.register(&value("a").with_ttl_ms(20)).unwrap(),
            Registration::Updated(id)
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

    /// What a backend persisting descriptors relies on: `changed` says
    /// when the stored descriptor is new or different (moved here from
    /// `weir-state-rocksdb`, which now uses this registry).
    #[test]
    fn changed_says_when_a_descriptor_must_be_stored() {
        let mut r = Registry::default();
        let v = value("a");
        let first = r.register(&v).unwrap();
        assert_eq!((first.id(), first.changed()), (StateId(0), true));
        let again = r.register(&v).unwrap();
        assert_eq!((again.id(), again.changed()), (StateId(0), false));
        assert!(r.register(&v.clone().with_ttl_ms(5)).is_err());
        assert!(
            r.register(&StateDescriptor::new("a", StateKind::Map))
                .is_err()
        );
        let m = StateDescriptor::new("m", StateKind::Map).with_ttl_ms(10);
        let adopted = r.adopt(&m).unwrap();
        assert_eq!((adopted.id(), adopted.changed()), (StateId(1), true));
        let claimed = r.register(&m.clone().with_ttl_ms(20)).unwrap();
        assert_eq!((claimed.id(), claimed.changed()), (StateId(1), true));
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
