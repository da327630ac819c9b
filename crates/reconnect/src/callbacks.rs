//! Lifecycle callbacks with a criticality, run so that a failure is never swallowed silently.
//!
//! Reconnecting clients commonly wrap user callbacks in a catch-all and log, so a callback
//! that must succeed (re-authenticate, re-subscribe) fails quietly and the client runs on,
//! connected but useless. Here each callback is registered with a name and a [`Criticality`]:
//! a critical callback that returns an error *or panics* stops reconnection and the driver
//! moves to [`ConnState::Failed`](crate::ConnState) naming it; a non-critical one is logged
//! (`tracing::warn!`), counted in [`Stats`](crate::Stats), and nothing else changes.
//!
//! Callbacks are synchronous and should be quick: they run inside the driver between an
//! attempt's result and the next step. Asynchronous work on a fresh connection (subscribing,
//! replaying) belongs in the caller's loop after [`Reconnector::connect`](crate::Reconnector)
//! returns.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::policy::DisconnectCause;

/// The error a callback returns.
pub type CallbackError = Box<dyn std::error::Error + Send + Sync>;

/// What a callback's failure does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Criticality {
    /// An error or panic stops reconnection for good.
    Critical,
    /// An error or panic is logged and counted; nothing else happens.
    NonCritical,
}

/// The lifecycle point a callback runs at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hook {
    /// After every successful connection, the first one included.
    Connect,
    /// When the caller reports a lost connection, before any retry.
    Disconnect,
    /// After a successful connection that follows a lost one (after the `Connect` callbacks).
    Reconnect,
}

/// What a callback is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallbackContext {
    /// The hook being run.
    pub hook: Hook,
    /// Connection attempts made since the last connection was lost (or since the start), the
    /// successful one included; 0 for `Disconnect`.
    pub attempts: u32,
    /// Why the last connection was lost; `None` before the first connection.
    pub cause: Option<DisconnectCause>,
}

/// A callback that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackFailure {
    /// The hook it ran at.
    pub hook: Hook,
    /// Its registered name.
    pub name: String,
    /// Its registered criticality.
    pub criticality: Criticality,
    /// The error's display text or the panic message.
    pub message: String,
}

type BoxedCallback = Box<dyn FnMut(&CallbackContext) -> Result<(), CallbackError> + Send>;

struct Entry {
    hook: Hook,
    name: String,
    criticality: Criticality,
    callback: BoxedCallback,
}

/// Registered callbacks, run in registration order per hook.
#[derive(Default)]
pub struct Callbacks {
    entries: Vec<Entry>,
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "on_connect",
            Self::Disconnect => "on_disconnect",
            Self::Reconnect => "on_reconnect",
        })
    }
}

impl fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.entries.iter().map(|e| (e.hook, &e.name, e.criticality));
        f.debug_list().entries(names).finish()
    }
}

impl Callbacks {
    /// Adds `callback` at `hook`.
    pub fn register<F>(
        &mut self,
        hook: Hook,
        name: impl Into<String>,
        criticality: Criticality,
        callback: F,
    ) where
        F: FnMut(&CallbackContext) -> Result<(), CallbackError> + Send + 'static,
    {
        self.entries.push(Entry {
            hook,
            name: name.into(),
            criticality,
            callback: Box::new(callback),
        });
    }

    /// Runs the callbacks of `context.hook`, catching panics. Returns every failure in order;
    /// a critical failure is last, because it stops the callbacks after it.
    pub fn run(&mut self, context: &CallbackContext) -> Vec<CallbackFailure> {
        let mut failures = Vec::new();
        for entry in self.entries.iter_mut().filter(|e| e.hook == context.hook) {
            let Err(message) = call(&mut entry.callback, context) else {
                continue;
            };
            failures.push(CallbackFailure {
                hook: entry.hook,
                name: entry.name.clone(),
                criticality: entry.criticality,
                message,
            });
            if entry.criticality == Criticality::Critical {
                break;
            }
        }
        failures
    }
}

fn call(callback: &mut BoxedCallback, context: &CallbackContext) -> Result<(), String> {
    match catch_unwind(AssertUnwindSafe(|| callback(context))) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(panic) => Err(panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .map_or_else(|| "panicked".to_owned(), |s| format!("panicked: {s}"))),
    }
}
