//! The run directory: its layout, the plan of blocks, which blocks are finished, and the
//! shards of one block written and read back.
//!
//! ```text
//! runs/<name>/config.toml        the resolved config, written before any work
//!             manifest.json      written last, from every block's shards
//!             problems/  attempts/  sft/  prm/  rejects/
//!                 <family>-<first index>-<end index>.jsonl.zst (+ .sha256)
//! ```
//! A block is one family's indices `first..end`; its five shards are written together, each
//! under a temporary name and renamed with its checksum sidecar. A block whose five shards all
//! decode and match their sidecars is finished and kept on resume; any other is redone. A shard
//! is named by its index range, so a larger run reuses every whole block of a smaller one; a
//! smaller config is refused rather than allowed to delete the blocks it lacks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use mull_data::shard::{read_shard, read_sidecar, ClosedShard, ShardInfo, ShardWriter};
use mull_data::{Attempt, DataError, Family, PrmRecord, Problem, RejectRecord, SftRecord};
use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::error::PipelineError;
use crate::stages::aggregate::{aggregate, key_of, ProblemKey, Tally};
use crate::stages::ProblemWork;

/// The record kinds of a run, one subdirectory and one shard per block each.
pub const KINDS: [&str; 5] = ["problems", "attempts", "sft", "prm", "rejects"];

/// One family's block of problem indices `start..end`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Block {
    pub family: Family,
    pub start: u64,
    pub end: u64,
}

impl Block {
    /// `arithmetic-00000000-00000064`: the shards' file stem.
    pub fn name(&self) -> String {
        format!("{}-{:08}-{:08}", self.family, self.start, self.end)
    }

    /// The shard of `kind` under `dir`.
    pub fn shard(&self, dir: &Path, kind: &str) -> PathBuf {
        dir.join(kind).join(format!("{}.jsonl.zst", self.name()))
    }
}

/// The worker routes (timely's exchange keys) of a plan's blocks: every stage of a block runs
/// on one worker, from generation to its shards, so its records are made and freed on one
/// thread and never cross to another process (a record moved to another worker costs that
/// worker cache misses and the allocator cross-thread frees).
///
/// A block's route is its plan ordinal `o` plus `o / lcm(families, peers)`. The ordinal alone
/// gives any `peers` consecutive blocks (those in flight together) distinct workers, so each
/// worker holds its share of `blocks-in-flight`; the shift, once per common period, moves
/// each family to other workers, since with 4 families and 2 workers the ordinal alone would
/// give one worker every arithmetic and countdown block.
#[derive(Debug, Clone)]
pub struct Routes {
    shard_size: u64,
    by_block: HashMap<(Family, u64), u64>,
}

impl Routes {
    pub fn new(plan: &Plan, peers: usize) -> Self {
        let families = plan
            .blocks
            .iter()
            .map(|b| b.family)
            .collect::<BTreeSet<_>>()
            .len();
        let period = lcm(families.max(1) as u64, peers.max(1) as u64);
        let by_block = (0u64..)
            .zip(&plan.blocks)
            .map(|(o, b)| ((b.family, b.start), o + o / period))
            .collect();
        Routes {
            shard_size: plan.shard_size.max(1),
            by_block,
        }
    }

    /// The route of the block holding problem `index` of `family` (a block outside the plan,
    /// never one the run made, goes by its start).
    pub fn of(&self, family: Family, index: u64) -> u64 {
        let start = index / self.shard_size * self.shard_size;
        self.by_block
            .get(&(family, start))
            .copied()
            .unwrap_or(start)
    }

    /// The route of the block of the problem `key` names.
    pub fn of_key(&self, key: &ProblemKey) -> u64 {
        self.of(key.family, key.index)
    }

    /// The route of a problem's block.
    pub fn of_problem(&self, problem: &Problem) -> u64 {
        self.of_key(&key_of(problem))
    }
}

fn lcm(a: u64, b: u64) -> u64 {
    let gcd = |mut a: u64, mut b: u64| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    a / gcd(a, b) * b
}

/// Every block of a run, in the order they enter the dataflow: block 0 of every family, then
/// block 1, ... so families advance together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub blocks: Vec<Block>,
    pub shard_size: u64,
}

impl Plan {
    pub fn new(config: &RunConfig) -> Self {
        let size = config.shard_size;
        let mut blocks = Vec::new();
        let most = config.families.values().map(|f| f.count).max().unwrap_or(0);
        for b in 0..most.div_ceil(size) {
            for (family, f) in &config.families {
                let start = b * size;
                if start < f.count {
                    blocks.push(Block {
                        family: *family,
                        start,
                        end: (start + size).min(f.count),
                    });
                }
            }
        }
        Plan {
            blocks,
            shard_size: size,
        }
    }

    /// The block a problem belongs to.
    pub fn block_of(&self, family: Family, index: u64, count: u64) -> Block {
        let start = index / self.shard_size * self.shard_size;
        Block {
            family,
            start,
            end: (start + self.shard_size).min(count),
        }
    }
}

/// A shard as the manifest lists it: its path relative to the run directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardFile {
    pub path: PathBuf,
    pub records: u64,
    pub bytes: u64,
    pub sha256: String,
}

impl From<ShardInfo> for ShardFile {
    fn from(info: ShardInfo) -> Self {
        ShardFile {
            path: info.path,
            records: info.records,
            bytes: info.bytes,
            sha256: info.sha256,
        }
    }
}

impl ShardFile {
    pub fn info(&self) -> ShardInfo {
        ShardInfo {
            path: self.path.clone(),
            records: self.records,
            bytes: self.bytes,
            sha256: self.sha256.clone(),
        }
    }
}

/// A finished block, read back in one pass: its five shards (each with its sidecar, matching
/// it and decoding to the end as its records) and the tally of what they hold. `None` when any
/// shard is missing or damaged, so the block is to be redone.
pub fn finished(dir: &Path, block: &Block) -> Option<(Vec<ShardFile>, Tally)> {
    match read_block(dir, block) {
        Ok((shards, works)) => {
            let mut tally = Tally::default();
            for mut work in works {
                let aggregate = aggregate(&mut work);
                tally.add(&Tally::of(&work, &aggregate));
            }
            Some((shards, tally))
        }
        Err(e) => {
            // A block never started is not news; one partly there is.
            if KINDS.iter().any(|kind| block.shard(dir, kind).exists()) {
                tracing::warn!("{e}; the block {} is redone", block.name());
            }
            None
        }
    }
}

/// Writes the block's five shards, records in problem-id order (a problem's attempts in
/// attempt order), and returns them closed: [`mull_data::shard::commit`] puts them in place.
pub fn close_block(
    dir: &Path,
    block: &Block,
    works: &mut [ProblemWork],
) -> Result<Vec<ClosedShard>, PipelineError> {
    works.sort_by(|a, b| a.problem.id.cmp(&b.problem.id));
    let mut files = Vec::with_capacity(KINDS.len());
    for kind in KINDS {
        let mut w = ShardWriter::create(&block.shard(dir, kind))?;
        for work in works.iter() {
            match kind {
                "problems" => w.write(&work.problem)?,
                "attempts" => work.attempts.iter().try_for_each(|a| w.write(a))?,
                "sft" => work.sft.iter().try_for_each(|r| w.write(r))?,
                "prm" => work.prm.iter().try_for_each(|r| w.write(r))?,
                _ => work.rejects.iter().try_for_each(|r| w.write(r))?,
            }
        }
        files.push(w.close()?);
    }
    Ok(files)
}

/// Reads a block's shards back: what each is, and its problems' work.
fn read_block(
    dir: &Path,
    block: &Block,
) -> Result<(Vec<ShardFile>, Vec<ProblemWork>), PipelineError> {
    let mut shards = Vec::with_capacity(KINDS.len());
    let problems: Vec<Problem> = read_kind(&block.shard(dir, "problems"), &mut shards)?;
    let mut by_id: BTreeMap<String, ProblemWork> = problems
        .into_iter()
        .map(|p| (p.id.clone(), ProblemWork::new(p)))
        .collect();
    let orphan = |path: PathBuf, id: &str| {
        PipelineError::Data(DataError::Corrupt {
            path,
            message: format!("a record of problem {id}, which the block's problems shard lacks"),
        })
    };
    macro_rules! attach {
        ($kind:literal, $ty:ty, |$w:ident, $r:ident| $body:expr) => {
            let path = block.shard(dir, $kind);
            for $r in read_kind::<$ty>(&path, &mut shards)? {
                let $w = by_id
                    .get_mut(&$r.problem_id)
                    .ok_or_else(|| orphan(path.clone(), &$r.problem_id))?;
                $body;
            }
        };
    }
    attach!("attempts", Attempt, |w, r| w.attempts.push(r));
    attach!("sft", SftRecord, |w, r| w.sft = Some(r));
    attach!("prm", PrmRecord, |w, r| w.prm.push(r));
    attach!("rejects", RejectRecord, |w, r| w.rejects.push(r));
    Ok((shards, by_id.into_values().collect()))
}

/// Every record of a shard, which must have a sidecar and match it; what the shard is goes to
/// `shards`.
fn read_kind<T: serde::de::DeserializeOwned>(
    path: &Path,
    shards: &mut Vec<ShardFile>,
) -> Result<Vec<T>, PipelineError> {
    let sha256 = read_sidecar(path)?.ok_or_else(|| DataError::Corrupt {
        path: path.to_path_buf(),
        message: "no checksum sidecar, so the shard may be incomplete".into(),
    })?;
    let records = read_shard(path)?.collect::<Result<Vec<T>, _>>()?;
    let bytes = std::fs::metadata(path)
        .map_err(|source| PipelineError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    shards.push(ShardFile {
        path: path.to_path_buf(),
        records: records.len() as u64,
        bytes,
        sha256,
    });
    Ok(records)
}

/// What earlier runs left in the shard directories that this plan does not write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leftovers {
    /// Hidden temporary files of killed writes (shards, sidecars, the config, the manifest),
    /// and shards of a partial block that this plan
    /// replaces by a longer one (same family and first index): safe to remove.
    pub superseded: Vec<PathBuf>,
    /// Shards of blocks this plan does not have at all (a smaller count, a family left out):
    /// data a run must not delete.
    pub foreign: Vec<PathBuf>,
}

/// Sorts the files of the shard directories that `plan` does not write (see [`Leftovers`]).
/// Only names mull writes are considered.
pub fn leftovers(dir: &Path, plan: &Plan) -> Result<Leftovers, PipelineError> {
    let planned: std::collections::BTreeSet<&Block> = plan.blocks.iter().collect();
    let mut out = Leftovers::default();
    for kind in KINDS {
        let sub = dir.join(kind);
        let entries = match std::fs::read_dir(&sub) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(PipelineError::Io { path: sub, source }),
        };
        for entry in entries {
            let entry = entry.map_err(|source| PipelineError::Io {
                path: sub.clone(),
                source,
            })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if temporary_of(&name).is_some_and(|of| of.contains(".jsonl.zst")) {
                out.superseded.push(entry.path());
                continue;
            }
            let Some(block) = parse_shard_name(name.strip_suffix(".sha256").unwrap_or(&name))
            else {
                continue;
            };
            if planned.contains(&block) {
                continue;
            }
            let grown = plan
                .blocks
                .iter()
                .any(|b| b.family == block.family && b.start == block.start && b.end > block.end);
            if grown {
                out.superseded.push(entry.path());
            } else {
                out.foreign.push(entry.path());
            }
        }
    }
    // A kill while the config or the manifest was written leaves its temporary beside them.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if matches!(temporary_of(&name), Some("config.toml" | "manifest.json")) {
                out.superseded.push(entry.path());
            }
        }
    }
    out.superseded.sort();
    out.foreign.sort();
    Ok(out)
}

/// The file a hidden temporary name is for (`.x.jsonl.zst.tmp-12-3` → `x.jsonl.zst`): the
/// names `mull_data::shard` writes under.
pub(crate) fn temporary_of(name: &str) -> Option<&str> {
    let rest = name.strip_prefix('.')?;
    let (of, _) = rest.rsplit_once(".tmp-")?;
    Some(of)
}

/// Removes files (the superseded leftovers).
pub fn remove_all(paths: &[PathBuf]) -> Result<(), PipelineError> {
    for path in paths {
        match std::fs::remove_file(path) {
            Ok(()) => tracing::info!("removed {} (not part of this run)", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(PipelineError::Io {
                    path: path.clone(),
                    source,
                })
            }
        }
    }
    Ok(())
}

/// The block of a shard file name `<family>-<8+ digits>-<8+ digits>.jsonl.zst`.
fn parse_shard_name(name: &str) -> Option<Block> {
    let stem = name.strip_suffix(".jsonl.zst")?;
    let mut parts = stem.rsplitn(3, '-');
    let (end, start, family) = (parts.next()?, parts.next()?, parts.next()?);
    let number = |p: &str| {
        (p.len() >= 8 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u64>().ok())
            .flatten()
    };
    Some(Block {
        family: family.parse().ok()?,
        start: number(start)?,
        end: number(end)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_interleaves_families_and_names_ranges() {
        let config = RunConfig::from_toml(
            "out = \"x\"\nseed = 1\nshard-size = 4\n[families.arithmetic]\ncount = 10\n\
             [families.cipher]\ncount = 3\n[teacher]\nkind = \"oracle\"\n",
            Path::new("c"),
        )
        .unwrap();
        let plan = Plan::new(&config);
        let names: Vec<String> = plan.blocks.iter().map(Block::name).collect();
        assert_eq!(
            names,
            [
                "arithmetic-00000000-00000004",
                "cipher-00000000-00000003",
                "arithmetic-00000004-00000008",
                "arithmetic-00000008-00000010"
            ]
        );
        assert_eq!(plan.block_of(Family::Arithmetic, 9, 10), plan.blocks[3]);
        assert_eq!(
            parse_shard_name("cipher-00000000-00000003.jsonl.zst"),
            Some(plan.blocks[1].clone())
        );
        assert_eq!(parse_shard_name("notes-00000000-00000003.jsonl.zst"), None);
        assert_eq!(parse_shard_name("cipher-0-3.jsonl.zst"), None);
    }

    #[test]
    fn routes_spread_blocks_in_flight_and_rotate_families() {
        let text = |families: &[&str]| {
            let mut t = "out = \"x\"\nseed = 1\nshard-size = 10\n[teacher]\nkind = \"oracle\"\n"
                .to_string();
            for f in families {
                t.push_str(&format!("[families.{f}]\ncount = 400\n"));
            }
            RunConfig::from_toml(&t, Path::new("c")).unwrap()
        };
        for (families, peers) in [(4, 2), (5, 16), (5, 8), (2, 2), (4, 16)] {
            let names = &["arithmetic", "equations", "countdown", "cipher", "code"][..families];
            let plan = Plan::new(&text(names));
            let routes = Routes::new(&plan, peers);
            let worker = |b: &Block| routes.of(b.family, b.start + 3) % peers as u64;
            // Any `peers` consecutive blocks: at most two on one worker (one period boundary).
            for window in plan.blocks.windows(peers) {
                let mut count = vec![0; peers];
                window.iter().for_each(|b| count[worker(b) as usize] += 1);
                assert!(
                    count.iter().all(|&c| c <= 2),
                    "{families} families, {peers} peers: {count:?}"
                );
            }
            // Every family reaches every worker.
            for family in &plan.blocks[..families] {
                let seen: BTreeSet<u64> = plan
                    .blocks
                    .iter()
                    .filter(|b| b.family == family.family)
                    .map(worker)
                    .collect();
                assert_eq!(seen.len(), peers, "{families} families, {peers} peers");
            }
        }
    }
}
