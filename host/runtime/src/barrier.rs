//! Barrier alignment over a subtask's input channels (aligned checkpoints,
//! as in Flink).
//!
//! When a barrier arrives on a channel, that channel is *blocked*: what it
//! sends next is held back until every other channel has sent the same
//! barrier (or has ended). Then the subtask snapshots, forwards the barrier
//! and replays what was held. So a snapshot covers exactly the records
//! before the barrier on every input.

use std::collections::VecDeque;

use weir_types::{Barrier, Element};

/// What the task does with an element it received.
#[derive(Debug, PartialEq)]
pub(crate) enum Step {
    /// Process it now.
    Deliver(Element),
    /// Held back behind a barrier; nothing to do.
    Held,
    /// Every input has sent this barrier: snapshot, forward it, then call
    /// [`Aligner::release`].
    Aligned(Barrier),
}

/// Per-channel alignment state of one subtask.
#[derive(Debug)]
pub(crate) struct Aligner {
    /// The barrier being aligned, if any.
    current: Option<Barrier>,
    blocked: Vec<bool>,
    ended: Vec<bool>,
    held: Vec<VecDeque<Element>>,
    /// Held elements let go, to be handled before anything new arrives.
    replay: VecDeque<(u32, Element)>,
}

impl Aligner {
    /// An aligner over `channels` inputs.
    pub(crate) fn new(channels: u32) -> Self {
        let n = channels as usize;
        Aligner {
            current: None,
            blocked: vec![false; n],
            ended: vec![false; n],
            held: (0..n).map(|_| VecDeque::new()).collect(),
            replay: VecDeque::new(),
        }
    }

    /// Routes an element that arrived on `channel`.
    pub(crate) fn on_element(&mut self, channel: u32, element: Element) -> Step {
        let ch = channel as usize;
        if self.blocked[ch] {
            self.held[ch].push_back(element);
            return Step::Held;
        }
        match element {
            Element::Barrier(barrier) => self.on_barrier(ch, barrier),
            Element::End => {
                self.ended[ch] = true;
                Step::Deliver(Element::End)
            }
            other => Step::Deliver(other),
        }
    }

    fn on_barrier(&mut self, ch: usize, barrier: Barrier) -> Step {
        match self.current {
            Some(current) if barrier.id < current.id => return Step::Held,
            Some(current) if barrier.id > current.id => {
                // The older checkpoint was given up upstream: its alignment
                // can never finish. Let go of what it held (in order, before
                // anything new) and align the newer one.
                tracing::debug!(
                    old = current.id,
                    new = barrier.id,
                    "newer barrier while aligning: older checkpoint abandoned"
                );
                self.unblock_all();
                self.current = Some(barrier);
            }
            Some(_) => {}
            None => self.current = Some(barrier),
        }
        self.blocked[ch] = true;
        self.check()
    }

    /// After an `End` was delivered: an ended channel counts as aligned, so
    /// the barrier in progress may now be complete.
    pub(crate) fn check(&mut self) -> Step {
        let Some(barrier) = self.current else {
            return Step::Held;
        };
        let aligned = (self.blocked.iter().zip(&self.ended)).all(|(b, e)| *b || *e);
        if aligned {
            Step::Aligned(barrier)
        } else {
            Step::Held
        }
    }

    /// Ends the alignment after the snapshot: unblocks every channel; what
    /// was held comes back from [`next_replay`](Self::next_replay).
    pub(crate) fn release(&mut self) {
        self.current = None;
        self.unblock_all();
    }

    fn unblock_all(&mut self) {
        self.blocked.iter_mut().for_each(|b| *b = false);
        for (ch, held) in self.held.iter_mut().enumerate() {
            self.replay.extend(held.drain(..).map(|e| (ch as u32, e)));
        }
    }

    /// The next held element let go, channel by channel in arrival order.
    /// The task handles these (through [`on_element`](Self::on_element))
    /// before it reads anything new.
    pub(crate) fn next_replay(&mut self) -> Option<(u32, Element)> {
        self.replay.pop_front()
    }

    /// True while a barrier is being aligned.
    pub(crate) fn is_aligning(&self) -> bool {
        self.current.is_some()
    }
}

#[cfg(test)]
mod tests {
    use weir_types::Record;

    use super::*;

    fn barrier(id: u64) -> Element {
        Element::Barrier(Barrier {
            id,
            savepoint: false,
        })
    }

    fn records(v: &str) -> Element {
        Element::Records(vec![Record::new(v)])
    }

    #[test]
    fn one_channel_aligns_at_once() {
        let mut a = Aligner::new(1);
        assert_eq!(a.on_element(0, records("a")), Step::Deliver(records("a")));
        assert!(matches!(a.on_element(0, barrier(1)), Step::Aligned(b) if b.id == 1));
        a.release();
        assert_eq!(a.next_replay(), None);
        assert!(!a.is_aligning());
    }

    #[test]
    fn blocked_channels_are_held_until_every_barrier_arrived() {
        let mut a = Aligner::new(2);
        assert_eq!(a.on_element(0, barrier(1)), Step::Held);
        // Channel 0 is blocked: its records wait.
        assert_eq!(a.on_element(0, records("after")), Step::Held);
        // Channel 1 still flows until its barrier.
        assert_eq!(
            a.on_element(1, records("before")),
            Step::Deliver(records("before"))
        );
        assert!(matches!(a.on_element(1, barrier(1)), Step::Aligned(b) if b.id == 1));
        a.release();
        assert_eq!(a.next_replay(), Some((0, records("after"))));
        assert_eq!(a.next_replay(), None);
        assert_eq!(a.on_element(0, records("x")), Step::Deliver(records("x")));
    }

    #[test]
    fn an_ended_channel_counts_as_aligned() {
        let mut a = Aligner::new(2);
        assert_eq!(a.on_element(0, barrier(3)), Step::Held);
        assert_eq!(a.on_element(1, Element::End), Step::Deliver(Element::End));
        assert!(matches!(a.check(), Step::Aligned(b) if b.id == 3));
        // A channel that ended before the barrier started aligns too.
        let mut a = Aligner::new(2);
        a.on_element(1, Element::End);
        assert!(matches!(a.on_element(0, barrier(4)), Step::Aligned(b) if b.id == 4));
    }

    #[test]
    fn a_newer_barrier_abandons_the_older_alignment() {
        let mut a = Aligner::new(2);
        assert_eq!(a.on_element(0, barrier(1)), Step::Held);
        assert_eq!(a.on_element(0, records("held")), Step::Held);
        assert_eq!(a.on_element(0, barrier(2)), Step::Held);
        // Channel 1 never sent barrier 1 (checkpoint 1 was declined
        // upstream) and now sends barrier 2.
        assert_eq!(a.on_element(1, barrier(2)), Step::Held);
        // Channel 0 was let go: what it held comes back in order, barrier 2
        // included, which then completes the alignment.
        let (ch, e) = a.next_replay().unwrap();
        assert_eq!((ch, &e), (0, &records("held")));
        assert_eq!(a.on_element(ch, e), Step::Deliver(records("held")));
        let (ch, e) = a.next_replay().unwrap();
        assert!(matches!(a.on_element(ch, e), Step::Aligned(b) if b.id == 2));
        a.release();
        assert_eq!(a.next_replay(), None);
    }

    #[test]
    fn stale_barriers_are_dropped() {
        let mut a = Aligner::new(2);
        a.on_element(0, barrier(5));
        assert_eq!(a.on_element(1, barrier(4)), Step::Held);
        assert!(matches!(a.on_element(1, barrier(5)), Step::Aligned(b) if b.id == 5));
    }
}
