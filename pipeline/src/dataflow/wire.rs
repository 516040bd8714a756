//! [`Wire`]: how records cross process boundaries.
//!
//! timely serializes exchanged data with bincode, which cannot carry mull's records as they
//! are: problems hold free-form JSON payloads (bincode has no self-describing values) and
//! attempts skip absent fields (bincode counts fields by position). A `Wire<T>` travels as the
//! record's JSON text, the same encoding the shards use; inside one process timely moves it
//! without serializing at all.

use std::ops::{Deref, DerefMut};

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A record that crosses processes as its JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct Wire<T>(pub T);

impl<T> Deref for Wire<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Wire<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Serialize> Serialize for Wire<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(&self.0).map_err(S::Error::custom)?;
        serializer.serialize_str(&text)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Wire<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        serde_json::from_str(&text)
            .map(Wire)
            .map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_with_payloads_survive_bincode() {
        let problem = mull_generators::generate(
            &mull_generators::GeneratorSpec {
                family: "countdown".into(),
                variant: None,
                difficulty: Some(2),
            },
            1,
            2,
        )
        .unwrap();
        let wire = Wire(problem.clone());
        let bytes = bincode::serialize(&wire).unwrap();
        let back: Wire<mull_data::Problem> = bincode::deserialize(&bytes).unwrap();
        assert_eq!(back.0, problem);
    }
}
