//! Which checkpoint folders retention deletes. Pure: no I/O.

/// One `chk-<id>` folder found in storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    /// Its id.
    pub(crate) id: u64,
    /// It has a valid `_metadata`.
    pub(crate) complete: bool,
}

/// What [`plan`] decided.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Completed checkpoints kept, newest first.
    pub(crate) retained: Vec<u64>,
    /// Folders to delete: completed ones beyond `retain`, and incomplete
    /// ones older than the newest completed (incomplete newer ones may
    /// still be in flight).
    pub(crate) delete: Vec<u64>,
}

/// Keeps the newest `retain` completed checkpoints.
pub(crate) fn plan(found: &[Found], retain: usize) -> Plan {
    let mut completed: Vec<u64> = found.iter().filter(|f| f.complete).map(|f| f.id).collect();
    completed.sort_unstable_by(|a, b| b.cmp(a));
    let newest = completed.first().copied();
    let mut delete = completed.split_off(retain.min(completed.len()));
    delete.extend(
        found
            .iter()
            .filter(|f| !f.complete && newest.is_some_and(|newest| f.id < newest))
            .map(|f| f.id),
    );
    delete.sort_unstable();
    Plan {
        retained: completed,
        delete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(complete: &[u64], incomplete: &[u64]) -> Vec<Found> {
        let c = complete.iter().map(|&id| Found { id, complete: true });
        let i = incomplete.iter().map(|&id| Found {
            id,
            complete: false,
        });
        c.chain(i).collect()
    }

    #[test]
    fn keeps_the_newest_completed() {
        let plan = plan(&found(&[1, 3, 2, 5], &[]), 2);
        assert_eq!(plan.retained, vec![5, 3]);
        assert_eq!(plan.delete, vec![1, 2]);
    }

    #[test]
    fn deletes_incomplete_only_below_the_newest_completed() {
        let plan = plan(&found(&[2, 4], &[1, 3, 6]), 5);
        assert_eq!(plan.retained, vec![4, 2]);
        assert_eq!(plan.delete, vec![1, 3]);
    }

    #[test]
    fn without_a_completed_checkpoint_nothing_goes() {
        assert_eq!(plan(&found(&[], &[1, 2]), 1), Plan::default());
    }
}
