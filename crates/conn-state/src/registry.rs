//! The sans-IO registry: connections, their states, deadlines and events.

use std::collections::HashMap;
use std::time::Instant;

use crate::config::Config;
use crate::deadlines::{Deadlines, Key, after};
use crate::error::{Error, Result};
use crate::events::{Counts, Event, EventQueue, Ghost, GhostReason, RemoveReason, Removed};
use crate::state::{ConnId, ConnState, Op};

/// A registry of connections with atomic state transitions and ghost detection.
///
/// Every method takes `now` from the caller and finishes its transition before returning, so
/// under a lock (see [`SharedRegistry`](crate::SharedRegistry)) each transition is atomic. An
/// operation that is illegal in the current state returns an error and changes nothing.
///
/// Costs: `open`, `begin_close`, `close_confirmed` and `close_failed` are `O(log n)`, `touch`
/// is `O(1)`, `poll_ghosts` is `O(expired · log n)`, `counts`, `len` and `state` are `O(1)`.
#[derive(Debug)]
pub struct Registry {
    config: Config,
    conns: HashMap<ConnId, Entry>,
    deadlines: Deadlines,
    counts: Counts,
    events: EventQueue,
}

/// One tracked connection.
#[derive(Debug)]
struct Entry {
    state: ConnState,
    opened_at: Instant,
    last_activity: Instant,
    /// Its single entry in the deadline index.
    key: Key,
    /// Force-close attempts handed out by the ghost scan.
    attempts: u32,
}

impl Default for Registry {
    /// A registry with [`Config::default`].
    fn default() -> Self {
        Self::with_valid_config(Config::default())
    }
}

impl Registry {
    /// A registry with `config`, validated once.
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        Ok(Self::with_valid_config(config))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Tracks a new `Active` connection. Fails with [`Error::DuplicateConnection`] when `id`
    /// is still tracked.
    pub fn open(&mut self, id: ConnId, now: Instant) -> Result<()> {
        if self.conns.contains_key(&id) {
            return Err(Error::DuplicateConnection(id));
        }
        let key = self.deadlines.insert(after(now, self.config.idle_timeout), id);
        let entry = Entry {
            state: ConnState::Active,
            opened_at: now,
            last_activity: now,
            key,
            attempts: 0,
        };
        self.conns.insert(id, entry);
        self.counts.shift(None, Some(ConnState::Active));
        self.events.push(Event::Opened(id));
        Ok(())
    }

    /// Records activity on an `Active` connection, postponing its idle deadline.
    pub fn touch(&mut self, id: ConnId, now: Instant) -> Result<()> {
        let entry = legal(&mut self.conns, id, Op::Touch)?;
        entry.last_activity = entry.last_activity.max(now);
        Ok(())
    }

    /// Starts closing an `Active` connection; it must be confirmed or failed within
    /// [`Config::close_timeout`] or the ghost scan reports it.
    pub fn begin_close(&mut self, id: ConnId, now: Instant) -> Result<()> {
        let entry = legal(&mut self.conns, id, Op::BeginClose)?;
        entry.state = ConnState::Closing;
        let at = after(now, self.config.close_timeout);
        entry.key = self.deadlines.reschedule(entry.key, at, id);
        self.counts.shift(Some(ConnState::Active), Some(ConnState::Closing));
        Ok(())
    }

    /// Confirms the close of a `Closing` or `Failed` connection and removes it.
    pub fn close_confirmed(&mut self, id: ConnId) -> Result<Removed> {
        legal(&mut self.conns, id, Op::CloseConfirmed)?;
        self.remove(id, RemoveReason::Closed).ok_or(Error::UnknownConnection(id))
    }

    /// Records a failed close of a `Closing` or `Failed` connection.
    ///
    /// Returns [`ConnState::Failed`] when a force-close is scheduled after
    /// [`Config::force_close_after`], or [`ConnState::Closed`] when the force-close budget is
    /// spent: the connection was then removed and reported as [`RemoveReason::GaveUp`].
    pub fn close_failed(&mut self, id: ConnId, now: Instant) -> Result<ConnState> {
        let entry = legal(&mut self.conns, id, Op::CloseFailed)?;
        if entry.attempts >= self.config.max_force_close_attempts {
            self.remove(id, RemoveReason::GaveUp);
            return Ok(ConnState::Closed);
        }
        let from = entry.state;
        entry.state = ConnState::Failed;
        let at = after(now, self.config.force_close_after);
        entry.key = self.deadlines.reschedule(entry.key, at, id);
        let attempts = entry.attempts;
        self.counts.shift(Some(from), Some(ConnState::Failed));
        self.events.push(Event::Failed { id, attempts });
        Ok(ConnState::Failed)
    }

    /// The state of `id`, or `None` when it is not tracked (never opened, or removed).
    pub fn state(&self, id: ConnId) -> Option<ConnState> {
        self.conns.get(&id).map(|entry| entry.state)
    }

    /// The number of tracked connections.
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// Whether no connection is tracked.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Tracked connections per state.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The earliest instant at which [`Registry::poll_ghosts`] may find something. It can be
    /// early (a touched connection is re-checked lazily) but is never late.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.next()
    }

    /// The ghosts [`Registry::poll_ghosts`] would report at `now`, without acting on them.
    pub fn ghosts(&self, now: Instant) -> Vec<Ghost> {
        self.deadlines
            .due(now)
            .filter_map(|id| {
                let entry = self.conns.get(&id)?;
                let reason = self.classify(entry, now)?;
                Some(Ghost { id, reason, state: entry.state })
            })
            .collect()
    }

    /// Finds and acts on every ghost due at `now`: idle `Active` connections move to
    /// `Closing`, timed-out `Closing` ones to `Failed`, due `Failed` ones get another
    /// force-close attempt, and `Failed` ones with the budget spent are removed. Each returned
    /// ghost with [`Ghost::needs_close`] must be closed and reported by the caller.
    pub fn poll_ghosts(&mut self, now: Instant) -> Vec<Ghost> {
        let mut ghosts = Vec::new();
        // Bounded by the index size so a re-indexed entry can never be processed twice.
        for _ in 0..self.deadlines.len() {
            let Some(id) = self.deadlines.pop_due(now) else {
                break;
            };
            ghosts.extend(self.expire(id, now));
        }
        ghosts
    }

    /// The oldest unread event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// Events dropped because the queue was full (or disabled).
    pub fn dropped_events(&self) -> u64 {
        self.events.dropped()
    }

    fn with_valid_config(config: Config) -> Self {
        Self {
            events: EventQueue::new(config.event_capacity),
            config,
            conns: HashMap::new(),
            deadlines: Deadlines::default(),
            counts: Counts::default(),
        }
    }

    /// Why `entry` is a ghost at `now`, if it is.
    fn classify(&self, entry: &Entry, now: Instant) -> Option<GhostReason> {
        match entry.state {
            ConnState::Active => (after(entry.last_activity, self.config.idle_timeout) <= now)
                .then_some(GhostReason::Idle),
            ConnState::Closing => Some(GhostReason::CloseTimedOut),
            ConnState::Failed if entry.attempts >= self.config.max_force_close_attempts => {
                Some(GhostReason::GaveUp)
            }
            ConnState::Failed => Some(GhostReason::ForceCloseDue),
            ConnState::Closed => None,
        }
    }

    /// Acts on `id` whose deadline entry was just popped, re-indexing or removing it.
    fn expire(&mut self, id: ConnId, now: Instant) -> Option<Ghost> {
        let entry = self.conns.get(&id)?;
        let state = entry.state;
        let Some(reason) = self.classify(entry, now) else {
            // A touched connection: re-index it at its real idle deadline.
            let at = after(entry.last_activity, self.config.idle_timeout);
            let key = self.deadlines.insert(at, id);
            self.conns.entry(id).and_modify(|entry| entry.key = key);
            return None;
        };
        let ghost = Ghost { id, reason, state };
        if reason == GhostReason::GaveUp {
            self.remove(id, RemoveReason::GaveUp);
            return Some(ghost);
        }
        self.hand_out(id, state, now);
        self.events.push(Event::Ghost(ghost));
        Some(ghost)
    }

    /// Moves a ghost into its closing state and gives the close `close_timeout` to report.
    fn hand_out(&mut self, id: ConnId, from: ConnState, now: Instant) {
        let to = match from {
            ConnState::Active => ConnState::Closing,
            _ => ConnState::Failed,
        };
        let key = self.deadlines.insert(after(now, self.config.close_timeout), id);
        if let Some(entry) = self.conns.get_mut(&id) {
            entry.key = key;
            entry.state = to;
            entry.attempts += u32::from(to == ConnState::Failed);
        }
        self.counts.shift(Some(from), Some(to));
    }

    /// Stops tracking `id` and reports it.
    fn remove(&mut self, id: ConnId, reason: RemoveReason) -> Option<Removed> {
        let entry = self.conns.remove(&id)?;
        self.deadlines.remove(entry.key);
        self.counts.shift(Some(entry.state), None);
        let removed = Removed {
            id,
            reason,
            from: entry.state,
            opened_at: entry.opened_at,
            force_close_attempts: entry.attempts,
        };
        self.events.push(Event::Removed(removed));
        Some(removed)
    }

    /// Checks the registry's internal invariants (tests only).
    #[cfg(test)]
    pub(crate) fn assert_consistent(&self) {
        let mut counts = Counts::default();
        for (id, entry) in &self.conns {
            assert!(self.deadlines.holds(entry.key, *id), "{id} not indexed");
            assert!(entry.attempts <= self.config.max_force_close_attempts);
            counts.shift(None, Some(entry.state));
        }
        assert_eq!(self.deadlines.len(), self.conns.len(), "stale index entries");
        assert_eq!(self.counts, counts, "counters drifted");
    }
}

/// The entry of `id` when `op` is legal in its state; otherwise the typed refusal.
fn legal(conns: &mut HashMap<ConnId, Entry>, id: ConnId, op: Op) -> Result<&mut Entry> {
    let entry = conns.get_mut(&id).ok_or(Error::UnknownConnection(id))?;
    match entry.state.apply(op) {
        Some(_) => Ok(entry),
        None => Err(Error::IllegalTransition { id, from: entry.state, to: op.target() }),
    }
}
