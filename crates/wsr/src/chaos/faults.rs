//! Which faults a chaos run injects (`--faults`), and the seeded schedule that picks each
//! next fault and the client it hits.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use fault_proxy::{Direction, Fault};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A kind of fault, as named in `--faults`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    /// Reset the connection (RST).
    Reset,
    /// Close the connection cleanly (FIN).
    Close,
    /// Stop forwarding one or both directions for 0.2 to 1.5 s, sockets open.
    Stall,
    /// Cut the connection after a few more bytes, usually mid-frame.
    Cut,
}

/// The enabled fault kinds: a comma list of `reset`, `close`, `stall`, `cut`, or `all`, or
/// `none`. Default all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultSpec {
    kinds: Vec<FaultKind>,
}

/// One fault to inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Reset.
    Reset,
    /// Clean close.
    Close,
    /// Stall `direction` for `duration`.
    Stall {
        /// Which way stops.
        direction: Direction,
        /// How long until forwarding resumes.
        duration: Duration,
    },
    /// Cut after this many more bytes.
    Cut {
        /// Bytes still forwarded before the cut.
        after_bytes: u64,
    },
}

/// A fault and the client whose proxy it hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlannedFault {
    /// The client index.
    pub client: usize,
    /// The fault.
    pub action: Action,
}

/// The seeded sequence of faults: the same seed gives the same faults on the same clients.
#[derive(Clone, Debug)]
pub struct Schedule {
    rng: StdRng,
    kinds: Vec<FaultKind>,
    clients: usize,
}

impl FaultKind {
    /// Every kind.
    pub const ALL: [FaultKind; 4] =
        [FaultKind::Reset, FaultKind::Close, FaultKind::Stall, FaultKind::Cut];

    /// The name used in `--faults` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Reset => "reset",
            FaultKind::Close => "close",
            FaultKind::Stall => "stall",
            FaultKind::Cut => "cut",
        }
    }
}

impl FaultSpec {
    /// The enabled kinds, sorted, without repeats.
    pub fn kinds(&self) -> &[FaultKind] {
        &self.kinds
    }
}

impl Default for FaultSpec {
    fn default() -> Self {
        Self { kinds: FaultKind::ALL.to_vec() }
    }
}

impl FromStr for FaultSpec {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        let mut kinds = Vec::new();
        for word in spec.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word.to_ascii_lowercase().as_str() {
                "all" => kinds.extend(FaultKind::ALL),
                "none" => {}
                name => match FaultKind::ALL.iter().find(|k| k.name() == name) {
                    Some(kind) => kinds.push(*kind),
                    None => return Err(format!("unknown fault {word:?}: use {}", Self::default())),
                },
            }
        }
        kinds.sort();
        kinds.dedup();
        Ok(Self { kinds })
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kinds.is_empty() {
            return f.write_str("none");
        }
        let names: Vec<&str> = self.kinds.iter().map(|k| k.name()).collect();
        f.write_str(&names.join(","))
    }
}

impl Action {
    /// Its kind.
    pub fn kind(self) -> FaultKind {
        match self {
            Action::Reset => FaultKind::Reset,
            Action::Close => FaultKind::Close,
            Action::Stall { .. } => FaultKind::Stall,
            Action::Cut { .. } => FaultKind::Cut,
        }
    }

    /// The proxy fault that starts it (a stall is ended later with [`Fault::None`]).
    pub fn fault(self) -> Fault {
        match self {
            Action::Reset => Fault::Reset,
            Action::Close => Fault::Close,
            Action::Stall { direction, .. } => Fault::Stall(direction),
            Action::Cut { after_bytes } => Fault::CutAfter(after_bytes),
        }
    }
}

impl Schedule {
    /// A schedule over `clients` clients drawing from the kinds `spec` enables.
    pub fn new(seed: u64, spec: &FaultSpec, clients: usize) -> Self {
        Self { rng: StdRng::seed_from_u64(seed), kinds: spec.kinds().to_vec(), clients }
    }

    /// The next fault, or `None` when no kind is enabled or there is no client.
    pub fn next_fault(&mut self) -> Option<PlannedFault> {
        if self.kinds.is_empty() || self.clients == 0 {
            return None;
        }
        let client = self.rng.random_range(0..self.clients);
        let kind = self.kinds[self.rng.random_range(0..self.kinds.len())];
        let action = match kind {
            FaultKind::Reset => Action::Reset,
            FaultKind::Close => Action::Close,
            FaultKind::Stall => Action::Stall {
                direction: [Direction::Both, Direction::Up, Direction::Down]
                    [self.rng.random_range(0..3)],
                duration: Duration::from_millis(self.rng.random_range(200..=1500)),
            },
            FaultKind::Cut => Action::Cut { after_bytes: self.rng.random_range(1..=512) },
        };
        Some(PlannedFault { client, action })
    }
}

/// Parses a duration: `20s`, `1500ms`, `1m`, `2.5s`, or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid duration {text:?}: use e.g. 20s, 1500ms, 1m"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        other => {
            return Err(format!("unknown unit {other:?} in {text:?}: use ms, s or m"));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("invalid duration {text:?}: {e}"))
}

#[cfg(test)]
mod tests;
