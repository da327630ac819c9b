//! Counter handles for the per-message path, registered once with the recorder installed when
//! the [`crate::Metrics`] handle is created, so a message costs an increment, not a key lookup.

use metrics::{Counter, counter};

use crate::names::{
    MESSAGES_ACKED_TOTAL, MESSAGES_RECEIVED_TOTAL, MESSAGES_SENT_TOTAL, RECEIVED_BYTES_TOTAL,
    SENT_BYTES_TOTAL,
};

/// The hot counters.
pub(crate) struct Hot {
    pub(crate) sent: Counter,
    pub(crate) sent_bytes: Counter,
    pub(crate) received: Counter,
    pub(crate) received_bytes: Counter,
    pub(crate) acked: Counter,
}

impl Hot {
    /// Registers the counters with the current recorder (a no-op one if none is installed).
    pub(crate) fn register() -> Self {
        Self {
            sent: counter!(MESSAGES_SENT_TOTAL),
            sent_bytes: counter!(SENT_BYTES_TOTAL),
            received: counter!(MESSAGES_RECEIVED_TOTAL),
            received_bytes: counter!(RECEIVED_BYTES_TOTAL),
            acked: counter!(MESSAGES_ACKED_TOTAL),
        }
    }
}

impl std::fmt::Debug for Hot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hot { .. }")
    }
}
