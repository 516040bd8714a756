//! One integration test binary for the whole workspace: it drives the `mull` binary the way
//! users and other tools do (flags, files, exit codes) and checks the crates together.

mod cli;
mod cluster;
mod distill;
mod families;
mod pipeline;
mod safety;
mod steps;
mod support;
