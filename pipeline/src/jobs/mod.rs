//! The jobs the `mull` binary starts; each takes resolved options and returns what it did.

pub mod beam;
pub mod bench;
pub mod cluster;
pub mod eval;
pub mod run;
