//! What a state is: its id, kind and descriptor, and the key it is scoped to.

use std::fmt;

/// Handle of a registered state, valid for the life of the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateId(pub u32);

impl fmt::Display for StateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The shape of a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateKind {
    /// One value per key.
    Value,
    /// A map from user key to value per key, ordered by user key bytes.
    Map,
    /// A list of values per key.
    List,
}

impl StateKind {
    /// The byte that stands for this kind in snapshots.
    pub(crate) fn code(self) -> u8 {
        match self {
            StateKind::Value => 0,
            StateKind::Map => 1,
            StateKind::List => 2,
        }
    }

    /// The kind a snapshot byte stands for.
    pub(crate) fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(StateKind::Value),
            1 => Some(StateKind::Map),
            2 => Some(StateKind::List),
            _ => None,
        }
    }
}

impl fmt::Display for StateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StateKind::Value => "value",
            StateKind::Map => "map",
            StateKind::List => "list",
        })
    }
}

/// Declares a state: registering the same descriptor twice returns the same
/// [`StateId`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StateDescriptor {
    /// Name, unique within one operator.
    pub name: String,
    /// Shape of the state.
    pub kind: StateKind,
    /// Entries expire this many milliseconds of processing time after their
    /// last write; `None` keeps them forever.
    pub ttl_ms: Option<u64>,
}

impl StateDescriptor {
    /// A descriptor without TTL.
    pub fn new(name: impl Into<String>, kind: StateKind) -> Self {
        StateDescriptor {
            name: name.into(),
            kind,
            ttl_ms: None,
        }
    }

    /// Sets the TTL in milliseconds of processing time.
    pub fn with_ttl_ms(mut self, ttl_ms: u64) -> Self {
        self.ttl_ms = Some(ttl_ms);
        self
    }
}

impl fmt::Display for StateDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ttl_ms {
            Some(ttl) => write!(f, "a {} state with a TTL of {ttl} ms", self.kind),
            None => write!(f, "a {} state without TTL", self.kind),
        }
    }
}

/// The key an operation is scoped to: the current key and its key group.
///
/// The caller computes the key group (with [`weir_types::key_group_for`]);
/// backends partition by it and never rehash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyScope<'a> {
    /// Key group of `key`.
    pub key_group: u32,
    /// The key's bytes.
    pub key: &'a [u8],
}

impl<'a> KeyScope<'a> {
    /// A scope for `key` in `key_group`.
    pub fn new(key_group: u32, key: &'a [u8]) -> Self {
        KeyScope { key_group, key }
    }
}
