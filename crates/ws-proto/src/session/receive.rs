//! The receiving half of the machine: a data frame becomes an application event, a state
//! message, or the peer's close marker.

use crate::error::{Error, Result};
use crate::frame::{Data, LostReason};
use crate::inbound::Verdict;
use crate::session::{Event, Session};

impl Session {
    pub(super) fn on_data(&mut self, data: Data) -> Result<()> {
        // The peer's payload limit is ours (both directions the same number): a payload this
        // side could not have sent ends the session, as the peer would resend it forever.
        let limit = self.config.max_payload.min(self.config.max_buffered_bytes);
        if data.payload_len() > limit {
            self.lose(LostReason::ProtocolViolation);
            return Err(Error::TooLarge { size: data.payload_len(), limit });
        }
        if self.inbound.check(data.seq)? == Verdict::Duplicate {
            self.stats.duplicates += 1;
            return Ok(());
        }
        self.inbound.commit();
        if data.fin {
            // Nothing for the application to take: the marker is consumed at once, and the
            // session ends when its ack goes out.
            self.inbound.consumed(data.seq, 0, self.clock);
            self.fin_received = Some(data.seq);
        } else if data.state {
            self.inbound.hold(data.payload_len());
            self.states.push_back(data);
        } else {
            let len = data.payload_len();
            let event = self.event_for(data)?;
            self.inbound.hold(len);
            self.stats.delivered += 1;
            self.events.push_back(event);
        }
        Ok(())
    }

    fn event_for(&mut self, data: Data) -> Result<Event> {
        let Some(part) = &data.stream else { return Ok(Event::Message(data)) };
        match self.streams.accept(part, &data.payload) {
            Ok(status) => Ok(Event::Chunk(data, status)),
            Err(e) => {
                // A replay would bring the same chunk again: the session cannot recover.
                self.lose(LostReason::ProtocolViolation);
                Err(e)
            }
        }
    }
}
