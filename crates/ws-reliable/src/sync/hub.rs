//! The server's side: one versioned document per subject, shared by its sessions.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use serde_json::Value;
use state_sync::{CatchUp, Conflict, HistoryConfig, JsonState, Versioned};
use ws_proto::StateFrame;

use crate::shared::Shared;
use crate::sync::{WhenFull, send};

struct Subject {
    doc: Versioned<JsonState>,
    sessions: Vec<Weak<Shared>>,
}

/// Every subject's document.
pub(crate) struct StateHub {
    subjects: Mutex<HashMap<String, Subject>>,
    history: HistoryConfig,
}

impl StateHub {
    pub(crate) fn new(history: HistoryConfig) -> Self {
        Self { subjects: Mutex::new(HashMap::new()), history }
    }

    /// Handles one state message from a session of `subject`.
    pub(crate) fn on_frame(&self, subject: &str, shared: &Arc<Shared>, frame: StateFrame) {
        match frame {
            StateFrame::Sync { version } => self.catch_up(subject, shared, version),
            StateFrame::Update { req, expected, delta } => {
                if let Err(conflict) = self.update(subject, Some((shared, req)), expected, delta) {
                    let Conflict { expected, current } = conflict;
                    send(
                        shared,
                        &StateFrame::Conflict { req, expected, current },
                        WhenFull::EndSession,
                    );
                }
            }
            _ => tracing::debug!(subject, "ignoring a state message only servers send"),
        }
    }

    /// Applies `delta` at `expected` and sends it to every session of the subject.
    pub(crate) fn update(
        &self,
        subject: &str,
        origin: Option<(&Arc<Shared>, u64)>,
        expected: u64,
        delta: Value,
    ) -> Result<u64, Conflict> {
        let mut subjects = self.subjects.lock();
        let entry = self.entry(&mut subjects, subject);
        let version = entry.doc.update(expected, delta.clone())?;
        entry.sessions.retain(|weak| weak.strong_count() > 0);
        for session in entry.sessions.iter().filter_map(Weak::upgrade) {
            let req = origin.filter(|(o, _)| Arc::ptr_eq(o, &session)).map(|(_, req)| req);
            send(
                &session,
                &StateFrame::Delta { version, delta: delta.clone(), req },
                WhenFull::EndSession,
            );
        }
        Ok(version)
    }

    /// The subject's document and version.
    pub(crate) fn read(&self, subject: &str) -> (u64, Value) {
        let mut subjects = self.subjects.lock();
        let entry = self.entry(&mut subjects, subject);
        (entry.doc.version(), entry.doc.state().value().clone())
    }

    fn catch_up(&self, subject: &str, shared: &Arc<Shared>, version: u64) {
        let mut subjects = self.subjects.lock();
        let entry = self.entry(&mut subjects, subject);
        if !entry.sessions.iter().any(|w| w.as_ptr() == Arc::as_ptr(shared)) {
            entry.sessions.push(Arc::downgrade(shared));
        }
        let frames = match entry.doc.since(version) {
            CatchUp::UpToDate => Vec::new(),
            CatchUp::Deltas(deltas) => deltas
                .into_iter()
                .map(|(version, delta)| StateFrame::Delta { version, delta, req: None })
                .collect(),
            CatchUp::Snapshot { version, state, .. } => {
                vec![StateFrame::Snapshot { version, state: state.into_value() }]
            }
        };
        frames.iter().for_each(|frame| _ = send(shared, frame, WhenFull::EndSession));
    }

    fn entry<'a>(
        &self,
        subjects: &'a mut HashMap<String, Subject>,
        subject: &str,
    ) -> &'a mut Subject {
        subjects.entry(subject.to_owned()).or_insert_with(|| Subject {
            doc: Versioned::new(JsonState::empty_object(), self.history),
            sessions: Vec::new(),
        })
    }
}
