"""Reads a run directory's sft/ and prm/ shards with Hugging Face `datasets`, as a user would.

Usage: python3 scripts/check-hf-load.py RUN_DIR
Checks that `load_dataset("json", data_files=...)` reads the zstd JSONL shards as they are
(with `zstandard` installed) and that the columns TRL reads are there with the right types.
"""
import glob
import os
import sys

from datasets import load_dataset

run = sys.argv[1]
sft_files = sorted(glob.glob(os.path.join(run, "sft", "*.jsonl.zst")))
prm_files = sorted(glob.glob(os.path.join(run, "prm", "*.jsonl.zst")))
assert sft_files and prm_files, f"no sft/ or prm/ shards under {run}"

sft = load_dataset("json", data_files=sft_files, split="train")
assert len(sft) > 0, "no sft records"
first = sft[0]["messages"]
assert [m["role"] for m in first] == ["user", "assistant"], first
assert "<think>" in first[1]["content"], first

prm = load_dataset("json", data_files=prm_files, split="train")
assert len(prm) > 0, "no prm records"
for row in prm:
    assert isinstance(row["prompt"], str)
    assert len(row["completions"]) == len(row["labels"]) > 0, row
    assert all(isinstance(label, bool) for label in row["labels"]), row
assert any(not all(row["labels"]) for row in prm), "some step must be labelled wrong"
print(f"datasets reads {len(sft)} sft and {len(prm)} prm records from {run}")
