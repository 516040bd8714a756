//! One module per subcommand; each has clap `Args` and a `run` returning the exit code.

pub mod bench;
pub mod distill;
pub mod eval;
pub mod export;
pub mod generate;
pub mod grade;
pub mod inspect;
pub mod report;
pub mod run;
pub mod sample;
pub mod verify;
