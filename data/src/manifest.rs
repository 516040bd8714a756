//! The run manifest: `runs/<name>/manifest.json`.
//!
//! It records what a run is made of (schema and code version, seeds, model hashes, prompt
//! template version, record counts) and the size and sha256 of every shard, so a run directory
//! can be checked ([`Manifest::verify`]) and a later run can tell which shards it may reuse.
//! The file is deterministic: pretty JSON with keys sorted (struct fields are declared in
//! alphabetical order, maps are `BTreeMap`s, shards are sorted by path), no timestamps, written
//! atomically.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use serde::{Deserialize, Serialize};

use crate::error::DataError;
use crate::shard::{sha256_file, write_file_atomic, ShardInfo};

/// The manifest format version this build writes and the newest it reads.
pub const SCHEMA_VERSION: u32 = 2;

/// A run's manifest. Fields are in alphabetical order on purpose: that is the key order on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Manifest {
    /// The version of mull that wrote the run (`CARGO_PKG_VERSION`, plus a git hash if known).
    pub code_version: String,
    /// `sha256:<hex>` of what determines the run's data (the resolved config without worker
    /// counts or paths); empty for files that are not runs.
    #[serde(default)]
    pub config_hash: String,
    /// Record counts by kind (`"problems"`, `"attempts"`, `"sft"`, ...).
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    /// The command or job that wrote the run (`"mull run"`).
    pub created_by: String,
    /// Model name -> `sha256:<hex>` of its weights.
    #[serde(default)]
    pub models: BTreeMap<String, String>,
    /// Pass rates by `family/dN` (and `family` alone for the family's total).
    #[serde(default)]
    pub pass_rates: BTreeMap<String, PassRate>,
    /// `sha256:<hex>` of the prompt template (system prompt, chat format, few-shot examples).
    #[serde(default)]
    pub prompt_template_hash: String,
    pub prompt_template_version: u32,
    pub schema_version: u32,
    /// Seed name -> value (`"run"`, `"eval"`, ...).
    #[serde(default)]
    pub seeds: BTreeMap<String, u64>,
    /// Every shard of the run, sorted by path.
    #[serde(default)]
    pub shards: Vec<ShardEntry>,
}

/// Attempts and problems that passed, for one family (and difficulty). Fields in alphabetical
/// order (the key order on disk).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PassRate {
    pub attempts: u64,
    /// Attempts whose verdict is correct.
    pub correct: u64,
    pub problems: u64,
    /// Problems with at least one correct attempt.
    pub solved: u64,
}

impl PassRate {
    /// Adds another tally to this one.
    pub fn add(&mut self, other: &PassRate) {
        self.attempts += other.attempts;
        self.correct += other.correct;
        self.problems += other.problems;
        self.solved += other.solved;
    }

    /// `correct / attempts`, 0 when there were no attempts.
    pub fn rate(&self) -> f64 {
        if self.attempts == 0 {
            0.0
        } else {
            self.correct as f64 / self.attempts as f64
        }
    }
}

/// One shard of a run. Fields in alphabetical order (the key order on disk).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ShardEntry {
    pub bytes: u64,
    /// Relative to the run directory, with forward slashes (`attempts/arithmetic-000000.jsonl.zst`).
    pub path: String,
    pub records: u64,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
}

impl Manifest {
    /// An empty manifest of the current schema version.
    pub fn new(code_version: impl Into<String>, created_by: impl Into<String>) -> Self {
        Manifest {
            code_version: code_version.into(),
            config_hash: String::new(),
            counts: BTreeMap::new(),
            created_by: created_by.into(),
            models: BTreeMap::new(),
            pass_rates: BTreeMap::new(),
            prompt_template_hash: String::new(),
            prompt_template_version: 0,
            schema_version: SCHEMA_VERSION,
            seeds: BTreeMap::new(),
            shards: Vec::new(),
        }
    }

    /// Records a finished shard that lies under `run_dir`, replacing any entry with the same
    /// path and keeping the list sorted by path (so the order never depends on which worker
    /// finished first).
    pub fn add_shard(&mut self, run_dir: &Path, info: &ShardInfo) -> Result<(), DataError> {
        let rel = info
            .path
            .strip_prefix(run_dir)
            .map_err(|_| DataError::Unsupported {
                path: info.path.clone(),
                message: format!(
                    "the shard is not inside the run directory {}",
                    run_dir.display()
                ),
            })?;
        let mut parts = Vec::new();
        for c in rel.components() {
            match c {
                Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
                Component::CurDir => {}
                _ => {
                    return Err(DataError::Unsupported {
                        path: info.path.clone(),
                        message: "a shard path must stay inside the run directory".into(),
                    })
                }
            }
        }
        let entry = ShardEntry {
            bytes: info.bytes,
            path: parts.join("/"),
            records: info.records,
            sha256: info.sha256.clone(),
        };
        match self.shards.binary_search_by(|e| e.path.cmp(&entry.path)) {
            Ok(i) => self.shards[i] = entry,
            Err(i) => self.shards.insert(i, entry),
        }
        Ok(())
    }

    /// Writes the manifest as pretty JSON with a trailing newline, atomically. Shards are
    /// written sorted by path whatever their order in memory.
    pub fn write_atomic(&self, path: &Path) -> Result<(), DataError> {
        let mut canonical = self.clone();
        canonical.shards.sort_by(|a, b| a.path.cmp(&b.path));
        let mut bytes = serde_json::to_vec_pretty(&canonical).map_err(|e| DataError::Encode {
            path: path.to_path_buf(),
            record: 0,
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        write_file_atomic(path, &bytes)
    }

    /// Reads a manifest; a syntax or shape error names the file and line, a newer schema says to
    /// upgrade.
    pub fn read(path: &Path) -> Result<Self, DataError> {
        let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        // Check the version first, so a newer manifest with new fields gets the clear message
        // rather than "unknown field".
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            if let Some(found) = v.get("schema-version").and_then(|s| s.as_u64()) {
                if found > u64::from(SCHEMA_VERSION) {
                    return Err(DataError::Schema {
                        path: path.to_path_buf(),
                        found: u32::try_from(found).unwrap_or(u32::MAX),
                        supported: SCHEMA_VERSION,
                    });
                }
            }
        }
        serde_json::from_str(&text).map_err(|e| DataError::BadRecord {
            path: path.to_path_buf(),
            line: e.line(),
            message: format!("not a valid manifest: {e}"),
        })
    }

    /// Checks that every listed shard exists under `run_dir` with the listed size and sha256.
    /// The first bad shard is the error, named by its path.
    pub fn verify(&self, run_dir: &Path) -> Result<(), DataError> {
        for entry in &self.shards {
            let rel = Path::new(&entry.path);
            let inside = !entry.path.is_empty()
                && rel
                    .components()
                    .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
            let path = run_dir.join(rel);
            let corrupt = |message: String| DataError::Corrupt {
                path: path.clone(),
                message,
            };
            if !inside {
                return Err(corrupt(format!(
                    "the manifest lists `{}`, which is not a path inside the run directory",
                    entry.path
                )));
            }
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(corrupt(
                        "listed in the manifest but missing: rerun to regenerate it".into(),
                    ))
                }
                Err(source) => return Err(DataError::Io { path, source }),
            };
            if meta.len() != entry.bytes {
                return Err(corrupt(format!(
                    "{} bytes, but the manifest says {}: the shard was truncated or replaced; \
                     rerun to regenerate it",
                    meta.len(),
                    entry.bytes
                )));
            }
            let got = sha256_file(&path)?;
            if got != entry.sha256 {
                return Err(corrupt(format!(
                    "sha256 is {got}, but the manifest says {}: the shard was modified; rerun to \
                     regenerate it",
                    entry.sha256
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::ShardWriter;

    fn sample(dir: &Path) -> Manifest {
        let mut m = Manifest::new("0.1.0", "mull test");
        m.prompt_template_version = 2;
        m.seeds.insert("run".into(), 7);
        m.models.insert("teacher".into(), "sha256:abcd".into());
        m.counts.insert("problems".into(), 3);
        for name in ["problems/b.jsonl.zst", "problems/a.jsonl.zst"] {
            let mut w = ShardWriter::create(&dir.join(name)).unwrap();
            w.write(&serde_json::json!({"name": name})).unwrap();
            let info = w.finish().unwrap();
            m.add_shard(dir, &info).unwrap();
        }
        m
    }

    #[test]
    fn round_trip_and_deterministic_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let m = sample(dir.path());
        assert_eq!(m.shards[0].path, "problems/a.jsonl.zst");
        assert_eq!(m.shards[1].records, 1);
        let p = dir.path().join("manifest.json");
        m.write_atomic(&p).unwrap();
        let first = std::fs::read(&p).unwrap();
        assert_eq!(Manifest::read(&p).unwrap(), m);
        m.write_atomic(&p).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), first);
        let text = String::from_utf8(first).unwrap();
        assert!(text.ends_with("}\n"));
        // Keys sorted at the top level.
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("  \""))
            .map(|l| l.trim().split('"').nth(1).unwrap())
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(
            keys.contains(&"schema-version") && keys.contains(&"shards"),
            "{keys:?}"
        );
        m.verify(dir.path()).unwrap();
    }

    #[test]
    fn shard_order_does_not_depend_on_insertion() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = sample(dir.path());
        m.shards.reverse();
        let p = dir.path().join("m1.json");
        m.write_atomic(&p).unwrap();
        m.shards.reverse();
        let q = dir.path().join("m2.json");
        m.write_atomic(&q).unwrap();
        assert_eq!(std::fs::read(p).unwrap(), std::fs::read(q).unwrap());
    }

    #[test]
    fn verify_names_the_modified_shard() {
        let dir = tempfile::tempdir().unwrap();
        let m = sample(dir.path());
        let b = dir.path().join("problems/b.jsonl.zst");
        let mut bytes = std::fs::read(&b).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        std::fs::write(&b, &bytes).unwrap();
        let err = m.verify(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("b.jsonl.zst") && err.contains("sha256"),
            "{err}"
        );

        bytes.pop();
        std::fs::write(&b, &bytes).unwrap();
        let err = m.verify(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("b.jsonl.zst") && err.contains("bytes"),
            "{err}"
        );

        std::fs::remove_file(&b).unwrap();
        let err = m.verify(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("b.jsonl.zst") && err.contains("missing"),
            "{err}"
        );
    }

    #[test]
    fn verify_refuses_paths_outside_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest::new("0.1.0", "t");
        m.shards.push(ShardEntry {
            bytes: 0,
            path: "../escape.jsonl.zst".into(),
            records: 0,
            sha256: String::new(),
        });
        let err = m.verify(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a path inside"), "{err}");
        let outside = ShardInfo {
            path: "/elsewhere/x.jsonl.zst".into(),
            records: 0,
            bytes: 0,
            sha256: String::new(),
        };
        assert!(m.add_shard(dir.path(), &outside).is_err());
    }

    #[test]
    fn read_errors_are_clear() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("manifest.json");
        std::fs::write(&p, "{\n  \"schema-version\": 99,\n  \"new-field\": 1\n}\n").unwrap();
        let err = Manifest::read(&p).unwrap_err().to_string();
        assert!(err.contains("99") && err.contains("upgrade"), "{err}");
        std::fs::write(&p, "{\n  \"schema-version\": 2,\n  \"bogus\": 1\n}\n").unwrap();
        let err = Manifest::read(&p).unwrap_err().to_string();
        assert!(
            err.contains("manifest.json:3:") && err.contains("bogus"),
            "{err}"
        );
    }
}
