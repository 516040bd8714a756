//! Procedural problem families for mull: each turns `(seed, index, difficulty)` into a
//! [`Problem`] with a gold answer and a reference chain of thought (DESIGN.md, "Chains of thought").
//!
//! Families: `arithmetic` (exact +−×÷ chains), `equations` (linear, one or two unknowns),
//! `countdown` (reach a target), `cipher` (Caesar, Vigenère, substitution, pair-average) and
//! `code` (small Python functions with hidden unit tests computed in Rust).
//!
//! Ladders (level 1 is easiest): arithmetic 1-6 (2 ops on small integers up to 5-7 ops with
//! fractions, negatives and nested parentheses), equations 1-6 (`ax + b = c` up to bracketed
//! forms with rational solutions at 3-4, 2×2 systems at 5-6), countdown 1-6 (3 numbers up to 7,
//! targets up to 2000), cipher 1-6 (1-2 short words up to 7-9 words, longer keys), code 1-5
//! (20 templates; higher levels add templates and stricter or edge-case-heavier specifications).
//!
//! Determinism: every random draw of a problem comes from its own `ChaCha8Rng` seeded with
//! [`mull_data::ids::problem_seed`] of (generator name, version, seed, index), never from a
//! shared stream, so any worker can generate any index and get the same bytes. The generator
//! name also carries an explicitly requested variant and difficulty (`cipher-caesar:d3`), because
//! those change the problem bytes: ids of different bytes never coincide.

mod arithmetic;
pub mod cipher;
mod cipher_family;
mod code;
mod countdown;
mod equations;
mod error;
mod expr;
mod words;

use mull_data::ids;
use mull_data::{Family, Problem};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use error::GenError;

/// The family names, in the order the CLI lists them (the spellings of [`Family`]).
pub const FAMILIES: [&str; 5] = [
    Family::Arithmetic.as_str(),
    Family::Equations.as_str(),
    Family::Countdown.as_str(),
    Family::Cipher.as_str(),
    Family::Code.as_str(),
];

/// What to generate: a family, optionally a variant (ciphers) and a fixed difficulty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GeneratorSpec {
    pub family: String,
    /// `None`: drawn deterministically per problem for families with variants.
    pub variant: Option<String>,
    /// `None`: drawn deterministically per problem over all levels.
    pub difficulty: Option<u8>,
}

/// One problem family.
pub trait Generator: Send + Sync {
    fn family(&self) -> &'static str;
    /// Bumped whenever the bytes generated for some (seed, index) change.
    fn version(&self) -> u32;
    /// Number of difficulty levels (1 ..= levels), at least 5.
    fn levels(&self) -> u8;
    /// Named variants (cipher kinds); empty for families without variants.
    fn variants(&self) -> &'static [&'static str] {
        &[]
    }

    /// Builds the problem for a resolved request. Callers use [`Generator::generate`] or
    /// [`generate`], which validate the request and name the generator for the id.
    fn build(&self, req: &Request) -> Result<Problem, GenError>;

    /// The problem at (seed, index) with an explicit difficulty and, optionally, variant.
    fn generate(
        &self,
        seed: u64,
        index: u64,
        difficulty: u8,
        variant: Option<&str>,
    ) -> Result<Problem, GenError> {
        let spec = GeneratorSpec {
            family: self.family().to_string(),
            variant: variant.map(str::to_string),
            difficulty: Some(difficulty),
        };
        generate_with(self, &spec, seed, index)
    }
}

/// A validated request: everything a family needs to build one problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The id's generator string: family, explicit variant, explicit difficulty.
    pub generator: String,
    pub seed: u64,
    pub index: u64,
    pub difficulty: u8,
    /// The resolved variant (drawn when not given) for families with variants.
    pub variant: Option<&'static str>,
}

impl Request {
    /// Errors unless the difficulty is on the family's ladder: `build` may be called with a
    /// request that [`generate`] did not validate.
    pub(crate) fn check_level(&self, family: &str, levels: u8) -> Result<(), GenError> {
        if self.difficulty == 0 || self.difficulty > levels {
            return Err(GenError::Difficulty {
                family: family.to_string(),
                difficulty: self.difficulty,
                levels,
            });
        }
        Ok(())
    }

    /// The problem's own random stream.
    pub fn rng(&self, version: u32) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(ids::problem_seed(
            &self.generator,
            version,
            self.seed,
            self.index,
        ))
    }

    /// A problem with this request's identity fields filled in.
    pub(crate) fn problem(
        &self,
        family: &str,
        version: u32,
        prompt: String,
        answer: String,
        reference: Vec<String>,
        payload: serde_json::Value,
    ) -> Problem {
        Problem {
            id: ids::problem_id(&self.generator, version, self.seed, self.index),
            family: family.to_string(),
            generator_version: version,
            seed: self.seed,
            index: self.index,
            difficulty: self.difficulty,
            prompt,
            answer,
            reference,
            payload,
        }
    }
}

/// The generator of a family; an unknown name is an error listing the valid ones.
pub fn generator(family: &str) -> Result<Box<dyn Generator>, GenError> {
    match family.parse::<Family>() {
        Ok(Family::Arithmetic) => Ok(Box::new(arithmetic::Arithmetic)),
        Ok(Family::Equations) => Ok(Box::new(equations::Equations)),
        Ok(Family::Countdown) => Ok(Box::new(countdown::Countdown)),
        Ok(Family::Cipher) => Ok(Box::new(cipher_family::Cipher)),
        Ok(Family::Code) => Ok(Box::new(code::Code)),
        Err(_) => Err(GenError::UnknownFamily {
            family: family.to_string(),
            valid: Family::list(),
        }),
    }
}

/// The problem at (seed, index) of a spec. A missing difficulty (or variant, for ciphers) is
/// drawn deterministically from (seed, index), uniformly over all levels (variants).
pub fn generate(spec: &GeneratorSpec, seed: u64, index: u64) -> Result<Problem, GenError> {
    let g = generator(&spec.family)?;
    generate_with(g.as_ref(), spec, seed, index)
}

fn generate_with<G: Generator + ?Sized>(
    g: &G,
    spec: &GeneratorSpec,
    seed: u64,
    index: u64,
) -> Result<Problem, GenError> {
    let family = g.family();
    let variants = g.variants();
    let explicit_variant = match spec.variant.as_deref() {
        None => None,
        Some(v) if variants.is_empty() => {
            return Err(GenError::NoVariants {
                family: family.to_string(),
                variant: v.to_string(),
            })
        }
        Some(v) => match variants.iter().find(|k| **k == v) {
            Some(k) => Some(*k),
            None => {
                return Err(GenError::UnknownVariant {
                    family: family.to_string(),
                    variant: v.to_string(),
                    valid: variants.join(", "),
                })
            }
        },
    };
    if let Some(d) = spec.difficulty {
        if d == 0 || d > g.levels() {
            return Err(GenError::Difficulty {
                family: family.to_string(),
                difficulty: d,
                levels: g.levels(),
            });
        }
    }
    let mut generator = family.to_string();
    if let Some(v) = explicit_variant {
        generator.push('-');
        generator.push_str(v);
    }
    if let Some(d) = spec.difficulty {
        generator.push_str(&format!(":d{d}"));
    }
    // Undetermined knobs come from a stream of their own, so drawing them never shifts the
    // problem's own draws.
    let mut knobs = ChaCha8Rng::seed_from_u64(ids::problem_seed(
        &format!("{generator}#knobs"),
        g.version(),
        seed,
        index,
    ));
    let difficulty = match spec.difficulty {
        Some(d) => d,
        None => knobs.random_range(1..=g.levels()),
    };
    let variant = match explicit_variant {
        Some(v) => Some(v),
        None if variants.is_empty() => None,
        None => Some(variants[knobs.random_range(0..variants.len())]),
    };
    g.build(&Request {
        generator,
        seed,
        index,
        difficulty,
        variant,
    })
}

#[cfg(test)]
mod test_eval;
#[cfg(test)]
mod tests;
