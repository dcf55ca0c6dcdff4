//! Channels between subtasks.
//!
//! Each consumer subtask has one inbox; every producer subtask of every input
//! edge sends into it with its own channel number, so the consumer can keep
//! per-channel watermarks. [`ElementSender`] is the producer side: today an
//! in-process bounded queue (a full queue blocks the producer, which is the
//! backpressure); a QUIC stream can implement it for channels between
//! workers without changing the task loop.

use crossbeam_channel::{Receiver, Sender, bounded};
use weir_types::Element;

/// Batches one inbox holds before producers block.
pub const INBOX_CAPACITY: usize = 64;

/// A tagged element in an inbox.
pub type Tagged = (u32, Element);

/// The producer end of one channel.
pub trait ElementSender: Send {
    /// Sends an element; `Err` when the consumer has gone away.
    fn send(&self, element: Element) -> Result<(), Disconnected>;
}

/// The consumer of a channel has stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disconnected;

/// An in-process channel into an inbox.
#[derive(Clone, Debug)]
pub struct LocalSender {
    tx: Sender<Tagged>,
    channel: u32,
}

impl ElementSender for LocalSender {
    fn send(&self, element: Element) -> Result<(), Disconnected> {
        self.tx
            .send((self.channel, element))
            .map_err(|_| Disconnected)
    }
}

/// One consumer subtask's inbox.
#[derive(Debug)]
pub struct Inbox {
    tx: Sender<Tagged>,
    /// The receiving end.
    pub rx: Receiver<Tagged>,
}

impl Inbox {
    /// A new, empty inbox.
    pub fn new() -> Self {
        let (tx, rx) = bounded(INBOX_CAPACITY);
        Inbox { tx, rx }
    }

    /// A sender for channel `channel` of this inbox.
    pub fn sender(&self, channel: u32) -> LocalSender {
        LocalSender {
            tx: self.tx.clone(),
            channel,
        }
    }

    /// Drops the inbox's own sender so the receiver sees disconnection once
    /// every producer is gone.
    pub fn into_receiver(self) -> Receiver<Tagged> {
        self.rx
    }
}

impl Default for Inbox {
    fn default() -> Self {
        Self::new()
    }
}
