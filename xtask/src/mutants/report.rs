//! Reading cargo-mutants' results and writing them into `docs/mutation.md`.

use std::path::Path;

use anyhow::Context as _;

const BEGIN: &str = "<!-- mutants:begin -->";
const END: &str = "<!-- mutants:end -->";

/// One crate's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Score {
    /// The crate.
    pub name: String,
    /// Mutants generated.
    pub total: u64,
    /// Mutants a test failed on.
    pub caught: u64,
    /// Mutants every test passed on.
    pub missed: u64,
    /// Mutants whose tests hung past the timeout (counted as caught: the tests noticed).
    pub timeout: u64,
    /// Mutants that did not build.
    pub unviable: u64,
    /// The missed mutants, as cargo-mutants names them.
    pub missed_list: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Outcomes {
    total_mutants: u64,
    caught: u64,
    missed: u64,
    timeout: u64,
    unviable: u64,
}

impl Score {
    /// Reads `outcomes.json` and `missed.txt` from a `mutants.out` directory.
    pub fn read(name: &str, dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join("outcomes.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let o: Outcomes =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let missed = std::fs::read_to_string(dir.join("missed.txt")).unwrap_or_default();
        Ok(Self {
            name: name.to_owned(),
            total: o.total_mutants,
            caught: o.caught,
            missed: o.missed,
            timeout: o.timeout,
            unviable: o.unviable,
            missed_list: missed.lines().map(str::to_owned).collect(),
        })
    }

    /// Caught (timeouts included) over every viable mutant; 1 when none is viable.
    pub fn score(&self) -> f64 {
        let viable = self.caught + self.missed + self.timeout;
        if viable == 0 { 1.0 } else { (self.caught + self.timeout) as f64 / viable as f64 }
    }

    /// The crate's table row.
    pub fn row(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {} | {} | {:.1} % |",
            self.name,
            self.total,
            self.caught,
            self.missed,
            self.timeout,
            self.unviable,
            self.score() * 100.0
        )
    }
}

/// Replaces the generated part of `docs/mutation.md`: one row per crate of
/// [`super::CRATES`], from its last result under `target/mutants/` (`scores` has just been
/// read from there), "not run" where there is none.
pub(super) fn write_docs(root: &Path, scores: &[Score]) -> anyhow::Result<()> {
    let path = root.join("docs/mutation.md");
    let doc =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let (Some(start), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
        anyhow::bail!("{} lacks the {BEGIN} / {END} markers", path.display());
    };
    let mut all: Vec<Score> = Vec::new();
    for name in super::CRATES {
        let dir = root.join("target/mutants").join(name).join("mutants.out");
        match scores.iter().find(|s| s.name == *name) {
            Some(s) => all.push(s.clone()),
            None => all.extend(Score::read(name, &dir).ok()),
        }
    }
    let generated = render(&all, &commit(root));
    let updated = format!("{}{BEGIN}\n{generated}{}", &doc[..start], &doc[end..]);
    std::fs::write(&path, updated).with_context(|| format!("writing {}", path.display()))
}

fn render(scores: &[Score], commit: &str) -> String {
    let mut out = format!(
        "Last run: commit `{commit}`, cargo-mutants {}.\n\n\
         | crate | mutants | caught | missed | timeout | unviable | score |\n|---|---|---|---|---|---|---|\n",
        super::VERSION
    );
    for s in scores {
        out.push_str(&s.row());
        out.push('\n');
    }
    let run: Vec<&str> = scores.iter().map(|s| s.name.as_str()).collect();
    let not_run: Vec<&str> = super::CRATES.iter().copied().filter(|c| !run.contains(c)).collect();
    if !not_run.is_empty() {
        out.push_str(&format!("\nNot run yet: {}.\n", not_run.join(", ")));
    }
    out.push_str("\nMissed mutants:\n\n");
    let missed: Vec<&String> = scores.iter().flat_map(|s| &s.missed_list).collect();
    if missed.is_empty() {
        out.push_str("- none\n");
    }
    for m in missed {
        out.push_str(&format!("- `{m}`\n"));
    }
    out
}

fn commit(root: &Path) -> String {
    let out = std::process::Command::new("git")
        .current_dir(root)
        .args(["rev-parse", "--short", "HEAD"])
        .output();
    out.ok().filter(|o| o.status.success()).map_or_else(
        || "unknown".to_owned(),
        |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
    )
}
