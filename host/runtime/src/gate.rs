//! Watermark bookkeeping over a subtask's input channels: the operator's
//! watermark is the minimum over its active inputs, an idle input does not
//! hold it back, and an ended input counts as `MAX_WATERMARK`.

use weir_types::{MAX_WATERMARK, MIN_WATERMARK, Millis};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChannelState {
    Active(Millis),
    Idle(Millis),
    Ended,
}

/// What the gate says after an element arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateEvent {
    /// Nothing to forward.
    None,
    /// The combined watermark advanced to this.
    Watermark(Millis),
    /// Every input that has not ended is idle: the output is idle too.
    Idle,
}

/// Per-channel watermarks of one subtask.
#[derive(Debug)]
pub struct InputGate {
    channels: Vec<ChannelState>,
    current: Millis,
    idle_reported: bool,
}

impl InputGate {
    /// A gate over `channels` inputs, all active at the minimum watermark.
    pub fn new(channels: u32) -> Self {
        InputGate {
            channels: vec![ChannelState::Active(MIN_WATERMARK); channels as usize],
            current: MIN_WATERMARK,
            idle_reported: false,
        }
    }

    /// The combined watermark.
    pub fn watermark(&self) -> Millis {
        self.current
    }

    /// True when every channel has ended.
    pub fn all_ended(&self) -> bool {
        self.channels.iter().all(|c| *c == ChannelState::Ended)
    }

    /// Records arrived on `channel`: it is active again.
    pub fn on_records(&mut self, channel: u32) {
        if let ChannelState::Idle(w) = self.channels[channel as usize] {
            self.channels[channel as usize] = ChannelState::Active(w);
            self.idle_reported = false;
        }
    }

    /// A watermark arrived on `channel`.
    pub fn on_watermark(&mut self, channel: u32, wm: Millis) -> GateEvent {
        let c = &mut self.channels[channel as usize];
        match *c {
            ChannelState::Ended => return GateEvent::None,
            ChannelState::Active(w) | ChannelState::Idle(w) => {
                *c = ChannelState::Active(w.max(wm));
            }
        }
        self.idle_reported = false;
        self.recompute()
    }

    /// `channel` went idle.
    pub fn on_idle(&mut self, channel: u32) -> GateEvent {
        if let ChannelState::Active(w) = self.channels[channel as usize] {
            self.channels[channel as usize] = ChannelState::Idle(w);
        }
        self.recompute()
    }

    /// `channel` ended.
    pub fn on_end(&mut self, channel: u32) -> GateEvent {
        self.channels[channel as usize] = ChannelState::Ended;
        self.recompute()
    }

    fn recompute(&mut self) -> GateEvent {
        let mut min: Option<Millis> = None;
        let mut any_idle = false;
        for c in &self.channels {
            match c {
                ChannelState::Active(w) => min = Some(min.map_or(*w, |m: Millis| m.min(*w))),
                ChannelState::Idle(_) => any_idle = true,
                ChannelState::Ended => {}
            }
        }
        let candidate = match min {
            Some(m) => m,
            None if any_idle => {
                if self.idle_reported {
                    return GateEvent::None;
                }
                self.idle_reported = true;
                return GateEvent::Idle;
            }
            None => MAX_WATERMARK,
        };
        if candidate > self.current {
            self.current = candidate;
            GateEvent::Watermark(candidate)
        } else {
            GateEvent::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_over_channels() {
        let mut g = InputGate::new(2);
        assert_eq!(g.on_watermark(0, 10), GateEvent::None);
        assert_eq!(g.on_watermark(1, 5), GateEvent::Watermark(5));
        assert_eq!(g.on_watermark(1, 20), GateEvent::Watermark(10));
        // Watermarks never go back.
        assert_eq!(g.on_watermark(0, 3), GateEvent::None);
        assert_eq!(g.watermark(), 10);
    }

    #[test]
    fn idle_channel_does_not_hold_back() {
        let mut g = InputGate::new(2);
        g.on_watermark(0, 100);
        assert_eq!(g.on_idle(1), GateEvent::Watermark(100));
        g.on_records(1);
        // Active again at its old watermark: the minimum cannot go back.
        assert_eq!(g.on_watermark(0, 200), GateEvent::None);
        assert_eq!(g.on_watermark(1, 150), GateEvent::Watermark(150));
    }

    #[test]
    fn all_idle_reports_idle_once() {
        let mut g = InputGate::new(2);
        assert_eq!(g.on_idle(0), GateEvent::None);
        assert_eq!(g.on_idle(1), GateEvent::Idle);
        assert_eq!(g.on_idle(1), GateEvent::None);
    }

    #[test]
    fn ended_channels_release_the_watermark() {
        let mut g = InputGate::new(2);
        g.on_watermark(0, 7);
        assert_eq!(g.on_end(1), GateEvent::Watermark(7));
        assert!(!g.all_ended());
        assert_eq!(g.on_end(0), GateEvent::Watermark(MAX_WATERMARK));
        assert!(g.all_ended());
    }
}
