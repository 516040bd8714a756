//! The problem families, as one type: every crate names a family through [`Family`], so a
//! misspelt family is a compile error or one clear parse error, never a silent mismatch.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A procedural problem family. The spelling ([`Family::as_str`]) is what records and configs
/// carry in their `family` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Arithmetic,
    Equations,
    Countdown,
    Cipher,
    Code,
}

impl Family {
    /// Every family, in the order the CLI lists them.
    pub const ALL: [Family; 5] = [
        Family::Arithmetic,
        Family::Equations,
        Family::Countdown,
        Family::Cipher,
        Family::Code,
    ];

    /// The spelling in records and configs: `arithmetic`, `equations`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            Family::Arithmetic => "arithmetic",
            Family::Equations => "equations",
            Family::Countdown => "countdown",
            Family::Cipher => "cipher",
            Family::Code => "code",
        }
    }

    /// The spellings of every family, comma-separated (for error messages).
    pub fn list() -> String {
        Self::ALL.map(Family::as_str).join(", ")
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`Family::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown family {name:?}: the families are {}", Family::list())]
pub struct UnknownFamily {
    pub name: String,
}

impl FromStr for Family {
    type Err = UnknownFamily;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Family::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownFamily { name: s.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_round_trips_through_str_and_serde() {
        for f in Family::ALL {
            assert_eq!(f.as_str().parse::<Family>(), Ok(f));
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.as_str()));
            assert_eq!(serde_json::from_str::<Family>(&json).unwrap(), f);
        }
        let err = "arithmetik".parse::<Family>().unwrap_err().to_string();
        assert!(
            err.contains("arithmetik") && err.contains("cipher"),
            "{err}"
        );
    }
}
