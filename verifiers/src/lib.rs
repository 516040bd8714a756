//! Verifiers: decide whether an attempt is right, and which of its steps are.
//!
//! - [`math`]: final-answer extraction and exact equivalence with big rationals, bounded in work.
//! - [`steps`]: exact checks of `lhs = rhs` equations inside steps; the first wrong step.
//! - [`countdown`]: expression parsing, number usage and exact evaluation.
//! - [`cipher`]: round trips for bijective ciphers, decoding for the pair-average cipher.
//! - [`sandbox`] and [`code`]: candidate programs and hidden unit tests run in a sandboxed child
//!   process; [`humaneval`] grades HumanEval-format records with the same sandbox.
//!
//! Every verifier implements [`Verifier`]: a verdict for any input, never a panic;
//! [`Verifiers`] picks one by problem family.

pub mod cipher;
pub mod code;
pub mod countdown;
pub mod humaneval;
pub mod math;
mod registry;
pub mod sandbox;
pub mod steps;
mod verifier;

pub use registry::Verifiers;
pub use verifier::Verifier;
