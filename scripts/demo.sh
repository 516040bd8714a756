#!/usr/bin/env bash
# The main job of this round: generate a sample of every family, self-check it, have the teacher
# (SmolLM2-135M-Instruct) write chains of thought for a few problems, and grade them.
# Usage: scripts/demo.sh [path/to/mull]   (output under runs/demo/)
set -euo pipefail
mull=${1:-target/release/mull}
out=runs/demo
mkdir -p "$out"
for family in arithmetic equations countdown cipher code; do
  "$mull" generate --family "$family" --count 200 --seed 1 --out "$out/$family.jsonl.zst"
  "$mull" verify --reference --in "$out/$family.jsonl.zst" --out "$out/$family.reference.jsonl"
done
model=$(bash scripts/fetch-model.sh)
"$mull" generate --family arithmetic --count 8 --seed 2 --difficulty 1 --out "$out/teacher-problems.jsonl"
"$mull" sample --model "$model" --problems "$out/teacher-problems.jsonl" -n 4 --seed 1 \
  --out "$out/attempts.jsonl"
"$mull" verify --problems "$out/teacher-problems.jsonl" --in "$out/attempts.jsonl" \
  --out "$out/graded.jsonl"
echo "demo written to $out/"
