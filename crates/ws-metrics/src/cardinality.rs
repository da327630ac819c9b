//! Bounded per-client labels: the first `cap` clients get their own label value, every later
//! one shares [`OVERFLOW`], so a flood of clients cannot create a flood of time series.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
};

use serde::Serialize;

use crate::names::OVERFLOW;

/// Message counts for one client label (or for the overflow bucket).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ClientCounts {
    /// Messages sent to the client.
    pub sent: u64,
    /// Messages received from the client.
    pub received: u64,
}

/// Label assignment for clients, capped, with overflow accounting.
///
/// Distinct overflowed clients are counted exactly while at most `overflow_memory` of them are
/// remembered; past that the count stops growing and [`LabelStats::overflow_saturated`] is set,
/// so memory stays bounded even under a flood of client ids.
#[derive(Debug)]
pub struct ClientLabels {
    cap: usize,
    overflow_memory: usize,
    assigned: HashMap<String, (Arc<str>, ClientCounts)>,
    overflowed: HashSet<String>,
    overflow: ClientCounts,
    overflow_events: u64,
    overflow_saturated: bool,
    overflow_label: Arc<str>,
}

/// The result of [`ClientLabels::assign`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The label value to record under: the client id, or [`OVERFLOW`].
    pub label: Arc<str>,
    /// Whether this call is the first time this client was sent to overflow.
    pub newly_overflowed: bool,
}

/// The state of the label registry, for the snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LabelStats {
    /// The configured cap on distinct client labels.
    pub cap: usize,
    /// Clients that currently have their own label.
    pub tracked: usize,
    /// Distinct clients sent to the overflow label (a lower bound once saturated).
    pub overflow_clients: u64,
    /// Recordings that went to the overflow label.
    pub overflow_events: u64,
    /// Whether more overflowed clients were seen than could be remembered.
    pub overflow_saturated: bool,
    /// Counts per label value, including [`OVERFLOW`] once it has been used.
    pub by_client: BTreeMap<String, ClientCounts>,
}

/// Which per-client count to bump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// A message sent to the client.
    Sent,
    /// A message received from the client.
    Received,
}

impl ClientLabels {
    /// A registry giving at most `cap` clients their own label and remembering at most
    /// `overflow_memory` overflowed clients for the distinct count.
    pub fn new(cap: usize, overflow_memory: usize) -> Self {
        Self {
            cap,
            overflow_memory,
            assigned: HashMap::new(),
            overflowed: HashSet::new(),
            overflow: ClientCounts::default(),
            overflow_events: 0,
            overflow_saturated: false,
            overflow_label: Arc::from(OVERFLOW),
        }
    }

    /// The label for `client`, assigning it a slot if one is free.
    pub fn assign(&mut self, client: &str) -> Assignment {
        self.record(client, None)
    }

    /// Frees `client`'s slot for another client; returns whether it had one. Its exported
    /// series stays in the recorder until the recorder forgets idle series.
    pub fn release(&mut self, client: &str) -> bool {
        self.assigned.remove(client).is_some()
    }

    /// The registry's counts.
    pub fn stats(&self) -> LabelStats {
        let mut by_client: BTreeMap<String, ClientCounts> =
            self.assigned.iter().map(|(id, (_, counts))| (id.clone(), *counts)).collect();
        if self.overflow_events > 0 {
            by_client.insert(OVERFLOW.to_owned(), self.overflow);
        }
        LabelStats {
            cap: self.cap,
            tracked: self.assigned.len(),
            overflow_clients: self.overflowed.len() as u64,
            overflow_events: self.overflow_events,
            overflow_saturated: self.overflow_saturated,
            by_client,
        }
    }

    /// Assigns a label and bumps the count in `direction`, if any.
    pub(crate) fn record(&mut self, client: &str, direction: Option<Direction>) -> Assignment {
        if let Some((label, counts)) = self.assigned.get_mut(client) {
            bump(counts, direction);
            return Assignment { label: Arc::clone(label), newly_overflowed: false };
        }
        if self.assigned.len() < self.cap {
            let label: Arc<str> = Arc::from(client);
            let mut counts = ClientCounts::default();
            bump(&mut counts, direction);
            self.assigned.insert(client.to_owned(), (Arc::clone(&label), counts));
            return Assignment { label, newly_overflowed: false };
        }
        self.record_overflow(client, direction)
    }

    /// Sends `client` to the overflow bucket, counting it once per distinct client.
    fn record_overflow(&mut self, client: &str, direction: Option<Direction>) -> Assignment {
        self.overflow_events += 1;
        bump(&mut self.overflow, direction);
        let newly_overflowed = if self.overflowed.contains(client) {
            false
        } else if self.overflowed.len() < self.overflow_memory {
            self.overflowed.insert(client.to_owned())
        } else {
            self.overflow_saturated = true;
            false
        };
        Assignment { label: Arc::clone(&self.overflow_label), newly_overflowed }
    }
}

/// Adds one to the count for `direction`.
fn bump(counts: &mut ClientCounts, direction: Option<Direction>) {
    match direction {
        Some(Direction::Sent) => counts.sent += 1,
        Some(Direction::Received) => counts.received += 1,
        None => {}
    }
}
