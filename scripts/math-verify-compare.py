#!/usr/bin/env python3
"""Compares mull's math grader with Math-Verify (HuggingFace's SymPy-based grader), by hand.

1. Math-Verify (default configuration: `verify(parse(gold), parse(pred))`) on mull's own
   hand-written table, one core: its rate in checks per second, and how often it agrees with
   the table's verdicts (and how many pairs the table marks wrong that it accepts).
2. With `--tests DIR` (the `tests/` folder of a Math-Verify checkout): mull's agreement with
   the expected verdicts of Math-Verify's own regression suite (every `parametrize` list of
   `gold, pred, expected|result`), graded by `mull grade math`. The suite stays outside this
   repository, so that nobody tunes the grader to it.

Needs `pip install math-verify` (not part of `just test`). Usage:
    python3 scripts/math-verify-compare.py target/release/mull [--tests ../Math-Verify/tests]
"""

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time

TABLE = os.path.join(os.path.dirname(__file__), "..", "verifiers", "tests", "data", "math_pairs.jsonl")


def math_verify_on_table():
    from math_verify import parse, verify

    rows = [json.loads(line) for line in open(TABLE) if line.strip()]
    agree = accepted_wrong = 0
    start = time.perf_counter()
    for r in rows:
        try:
            ok = bool(verify(parse(r["gold"]), parse(r["pred"])))
        except Exception:  # noqa: BLE001 - a crash is a refusal
            ok = False
        agree += ok == r["correct"]
        accepted_wrong += ok and not r["correct"]
    elapsed = time.perf_counter() - start
    print(
        f"Math-Verify on mull's table: {len(rows)} pairs, {len(rows) / elapsed:.1f} checks/s, "
        f"{agree}/{len(rows)} agree with the table, {accepted_wrong} accepted that the table marks wrong"
    )


def suite_cases(tests_dir):
    cases = []
    for name in sorted(os.listdir(tests_dir)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        tree = ast.parse(open(os.path.join(tests_dir, name)).read())
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            for dec in fn.decorator_list:
                if not (isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") == "parametrize"):
                    continue
                if not isinstance(dec.args[0], ast.Constant):
                    continue
                names = [n.strip() for n in dec.args[0].value.split(",")]
                if names[:2] != ["gold", "pred"] or names[2] not in ("expected", "result"):
                    continue
                try:
                    rows = ast.literal_eval(dec.args[1])
                except ValueError:
                    continue  # f-strings and computed cases
                for r in rows:
                    cases.append({"gold": r[0], "pred": r[1], "expected": bool(r[2]), "test": f"{name}::{fn.name}"})
    return cases


def mull_on_suite(mull, tests_dir, extra):
    cases = suite_cases(tests_dir)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cases.jsonl")
        with open(path, "w") as f:
            for c in cases:
                f.write(json.dumps({"gold": c["gold"], "pred": c["pred"]}) + "\n")
        out = subprocess.run(
            [mull, "grade", "math", "--in", path, *extra], capture_output=True, text=True, check=True
        )
    graded = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    agree = sum(g["correct"] == c["expected"] for c, g in zip(cases, graded))
    accepted = [(c, g) for c, g in zip(cases, graded) if g["correct"] and not c["expected"]]
    print(f"mull{' ' + ' '.join(extra) if extra else ''} on Math-Verify's suite: {agree}/{len(cases)} agree ({agree / len(cases):.1%}), "
          f"{len(accepted)} accepted where the suite expects a refusal")
    for c, g in accepted:
        print(f"  accepted: {c['test']}: gold {c['gold'][:50]!r} pred {c['pred'][-60:]!r} ({g['reason'][:60]})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mull")
    ap.add_argument("--tests", help="the tests/ folder of a Math-Verify checkout")
    ap.add_argument("--last-number", action="store_true", help="pass --last-number to mull grade math")
    args = ap.parse_args()
    math_verify_on_table()
    if args.tests:
        mull_on_suite(args.mull, args.tests, ["--last-number"] if args.last_number else [])


if __name__ == "__main__":
    sys.exit(main())
