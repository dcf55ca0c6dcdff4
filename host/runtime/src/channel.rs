//! Channels between subtasks.
//!
//! Each consumer subtask has one inbox with a bounded queue per input
//! channel (one channel per producer subtask of each input edge), as Flink
//! gives each input channel its own buffers. [`ElementSender`] is the
//! producer side: today an in-process queue (a full queue blocks its
//! producer, which is the backpressure); a QUIC stream can implement it for
//! channels between workers without changing the task loop.
//!
//! The consumer takes from its channels in turn ([`InboxReader`]), so a
//! producer can run ahead of the others by at most one queue: with one queue
//! shared by every producer, a faster source subtask could fill it again and
//! again, and its event time (and with it the state of windows waiting for
//! the slower one's watermark) drift without bound.

use std::time::Duration;

use crossbeam_channel::{Receiver, Select, Sender, TryRecvError, bounded};
use weir_types::Element;

/// Elements (batches, watermarks, barriers) one channel holds before its
/// producer blocks.
pub const CHANNEL_CAPACITY: usize = 16;

/// An element and the channel it came in on.
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
    tx: Sender<Element>,
}

impl ElementSender for LocalSender {
    fn send(&self, element: Element) -> Result<(), Disconnected> {
        self.tx.send(element).map_err(|_| Disconnected)
    }
}

/// One consumer subtask's inbox: a queue per channel.
#[derive(Debug)]
pub struct Inbox {
    channels: Vec<(Sender<Element>, Receiver<Element>)>,
}

impl Inbox {
    /// A new, empty inbox of `channels` channels.
    pub fn new(channels: u32) -> Self {
        Inbox {
            channels: (0..channels).map(|_| bounded(CHANNEL_CAPACITY)).collect(),
        }
    }

    /// The sender of channel `channel`.
    ///
    /// # Panics
    /// If the inbox has no such channel.
    pub fn sender(&self, channel: u32) -> LocalSender {
        LocalSender {
            tx: self.channels[channel as usize].0.clone(),
        }
    }

    /// An element waiting on `channel`, if any (for tests of producers).
    pub fn try_recv(&self, channel: u32) -> Option<Element> {
        self.channels[channel as usize].1.try_recv().ok()
    }

    /// Drops the inbox's own senders, so a channel reads as disconnected
    /// once its producer is gone, and hands the queues to their reader.
    pub fn into_reader(self) -> InboxReader {
        InboxReader::new(self.channels.into_iter().map(|(_, rx)| rx).collect())
    }
}

/// What waiting on an inbox brought.
#[derive(Debug)]
pub enum Received<C> {
    /// An element from an input channel.
    Element(Tagged),
    /// A message from the other receiver waited on (the task's control).
    Other(Result<C, crossbeam_channel::RecvError>),
    /// Nothing before the timeout.
    Timeout,
}

/// The consumer side of an inbox: takes from the channels in turn, skipping
/// channels that delivered their end.
#[derive(Debug)]
pub struct InboxReader {
    channels: Vec<Receiver<Element>>,
    /// Whether a channel may still deliver (it has not delivered `End`).
    open: Vec<bool>,
    /// The channel to try first next time.
    next: usize,
}

/// A channel disconnected before it delivered its end: its producer failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamGone {
    /// The channel.
    pub channel: u32,
}

impl InboxReader {
    fn new(channels: Vec<Receiver<Element>>) -> Self {
        InboxReader {
            open: vec![true; channels.len()],
            channels,
            next: 0,
        }
    }

    /// The next element waiting on any open channel, trying each channel in
    /// turn from the one after the last that delivered.
    pub fn try_next(&mut self) -> Result<Option<Tagged>, UpstreamGone> {
        let n = self.channels.len();
        for k in 0..n {
            let ch = (self.next + k) % n;
            if !self.open[ch] {
                continue;
            }
            match self.channels[ch].try_recv() {
                Ok(element) => return Ok(Some(self.delivered(ch, element))),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => return Err(self.gone(ch)),
            }
        }
        Ok(None)
    }

    /// Waits up to `timeout` for an element on any open channel or a message
    /// on `other`, whichever comes first.
    pub fn wait<C>(
        &mut self,
        other: &Receiver<C>,
        timeout: Duration,
    ) -> Result<Received<C>, UpstreamGone> {
        let mut select = Select::new();
        select.recv(other);
        let mut indices = Vec::with_capacity(self.channels.len());
        for (ch, rx) in self.channels.iter().enumerate() {
            if self.open[ch] {
                select.recv(rx);
                indices.push(ch);
            }
        }
        let Ok(op) = select.select_timeout(timeout) else {
            return Ok(Received::Timeout);
        };
        match op.index() {
            0 => Ok(Received::Other(op.recv(other))),
            i => {
                let ch = indices[i - 1];
                match op.recv(&self.channels[ch]) {
                    Ok(element) => Ok(Received::Element(self.delivered(ch, element))),
                    Err(_) => Err(self.gone(ch)),
                }
            }
        }
    }

    fn delivered(&mut self, ch: usize, element: Element) -> Tagged {
        if matches!(element, Element::End) {
            self.open[ch] = false;
        }
        self.next = ch + 1;
        (ch as u32, element)
    }

    fn gone(&mut self, ch: usize) -> UpstreamGone {
        self.open[ch] = false;
        UpstreamGone { channel: ch as u32 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(i: u8) -> Element {
        Element::Records(vec![weir_types::Record::new(vec![i])])
    }

    fn value(e: &Element) -> u8 {
        match e {
            Element::Records(rs) => rs[0].value[0],
            other => panic!("expected records, got {other:?}"),
        }
    }

    #[test]
    fn channels_are_read_in_turn() {
        let inbox = Inbox::new(3);
        let senders: Vec<LocalSender> = (0..3).map(|ch| inbox.sender(ch)).collect();
        for (ch, tx) in senders.iter().enumerate() {
            for i in 0..3 {
                tx.send(batch(ch as u8 * 10 + i)).unwrap();
            }
        }
        let mut reader = inbox.into_reader();
        let mut order = Vec::new();
        while let Some((ch, e)) = reader.try_next().unwrap() {
            order.push((ch, value(&e)));
        }
        assert_eq!(
            order,
            [
                (0, 0),
                (1, 10),
                (2, 20),
                (0, 1),
                (1, 11),
                (2, 21),
                (0, 2),
                (1, 12),
                (2, 22)
            ]
        );
    }

    #[test]
    fn a_producer_can_run_ahead_by_one_queue_only() {
        let inbox = Inbox::new(2);
        let fast = inbox.sender(0);
        for i in 0..CHANNEL_CAPACITY {
            fast.send(batch(i as u8)).unwrap();
        }
        // The queue is full: the next send would block.
        assert!(fast.tx.try_send(batch(0)).is_err());
        assert!(inbox.sender(1).tx.try_send(batch(100)).is_ok());
    }

    #[test]
    fn an_ended_channel_may_disconnect_but_an_open_one_may_not() {
        let inbox = Inbox::new(2);
        let (a, b) = (inbox.sender(0), inbox.sender(1));
        let mut reader = inbox.into_reader();
        a.send(Element::End).unwrap();
        drop(a);
        assert!(matches!(reader.try_next(), Ok(Some((0, Element::End)))));
        assert!(matches!(reader.try_next(), Ok(None)));
        let (_control_tx, control) = crossbeam_channel::unbounded::<()>();
        let waited = reader.wait(&control, Duration::from_millis(1)).unwrap();
        assert!(matches!(waited, Received::Timeout));

        b.send(batch(7)).unwrap();
        drop(b);
        let Ok(Received::Element((1, e))) = reader.wait(&control, Duration::from_secs(5)) else {
            panic!("expected the batch");
        };
        assert_eq!(value(&e), 7);
        assert_eq!(reader.try_next().unwrap_err(), UpstreamGone { channel: 1 });
    }
}
