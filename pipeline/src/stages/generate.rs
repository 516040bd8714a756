//! Generate: the problems of one block of a family's indices.

use mull_data::{ids, Family, Problem};
use mull_generators::{GenError, GeneratorSpec};

use crate::config::FamilyConfig;

/// The problem at `index` of a family as the run config describes it: the generator seed is the
/// family's own or the run's; a difficulty range draws each problem's level from its index.
pub fn problem(
    family: Family,
    config: &FamilyConfig,
    run_seed: u64,
    index: u64,
) -> Result<Problem, GenError> {
    let seed = config.seed.unwrap_or(run_seed);
    let difficulty = config.difficulty.map(|[lo, hi]| {
        let span = u64::from(hi - lo) + 1;
        let draw = ids::difficulty_seed(family.as_str(), seed, index) % span;
        // `draw < span <= 255`, so it fits.
        lo + u8::try_from(draw).unwrap_or(0)
    });
    let spec = GeneratorSpec {
        family: family.as_str().to_string(),
        variant: config.variant.clone(),
        difficulty,
    };
    mull_generators::generate(&spec, seed, index)
}

/// The problems of `indices` (one block), in index order. A block is generated whole on the
/// worker that carries it to its shards (`crate::run_dir::Routes`).
pub fn block(
    family: Family,
    config: &FamilyConfig,
    run_seed: u64,
    indices: std::ops::Range<u64>,
) -> Result<Vec<Problem>, GenError> {
    indices
        .map(|i| problem(family, config, run_seed, i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_covers_its_indices_once_and_levels_stay_in_range() {
        let cfg = FamilyConfig {
            count: 20,
            difficulty: Some([2, 3]),
            variant: None,
            seed: None,
        };
        let all = block(Family::Arithmetic, &cfg, 5, 0..20).unwrap();
        assert_eq!(all.len(), 20);
        assert!(all.iter().enumerate().all(|(i, p)| p.index == i as u64));
        assert!(all.iter().all(|p| (2..=3).contains(&p.difficulty)));
        assert!(all.iter().any(|p| p.difficulty == 2) && all.iter().any(|p| p.difficulty == 3));
        let one = problem(Family::Arithmetic, &cfg, 5, 7).unwrap();
        assert_eq!(one, all[7]);
    }
}
