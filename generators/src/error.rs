//! Errors of the generators: each names the field at fault and what to do about it.

/// Why a problem could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    /// The family name is not one of [`crate::FAMILIES`].
    #[error("unknown generator family `{family}`: use one of {valid}")]
    UnknownFamily { family: String, valid: String },
    /// The difficulty is outside the family's ladder.
    #[error("difficulty {difficulty} is out of range for family `{family}`: use a level from 1 to {levels}")]
    Difficulty {
        family: String,
        difficulty: u8,
        levels: u8,
    },
    /// The variant is not one the family knows.
    #[error("unknown variant `{variant}` for family `{family}`: use one of {valid}")]
    UnknownVariant {
        family: String,
        variant: String,
        valid: String,
    },
    /// A variant was given to a family that has none.
    #[error("family `{family}` has no variants, but variant `{variant}` was given: leave the variant out")]
    NoVariants { family: String, variant: String },
    /// A cipher key is malformed (wrong length, not a permutation, empty keyword).
    #[error("invalid {cipher} key `{key}`: {reason}")]
    InvalidKey {
        cipher: &'static str,
        key: String,
        reason: String,
    },
    /// Ciphertext that the cipher cannot decode (e.g. an odd-length pair-average word).
    #[error("cannot decode {cipher} ciphertext `{text}`: {reason}")]
    InvalidCiphertext {
        cipher: &'static str,
        text: String,
        reason: String,
    },
}
