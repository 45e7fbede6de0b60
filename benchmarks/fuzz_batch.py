"""The large derivative fuzz batch (issue 7): random expression graphs against finite differences.

Runs ``tests/fuzz_expressions.py``'s generator and checks over a range of seeds in worker
processes and prints every finding (grouped by kind) with the seed that reproduces it::

    python benchmarks/fuzz_batch.py                 # 10,000 expressions on 2 processes
    python benchmarks/fuzz_batch.py -n 500 --start 10000 --jobs 4 --minutes 5

Reproduce one finding with ``python benchmarks/fuzz_batch.py --seed 1234 -v``. The exit status is
1 when anything was found. The fast seeded batch in the suite is ``tests/test_calculus_fuzz.py``.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import fuzz_expressions as fz  # noqa: E402


def _work(args: tuple) -> tuple[int, list]:
    seed, deadline, steps = args
    if time.time() > deadline:
        return seed, None
    return seed, fz.run_one(seed, steps)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=10_000, help="how many expressions (seeds)")
    p.add_argument("--start", type=int, default=0, help="first seed")
    p.add_argument("--jobs", type=int, default=2, help="worker processes")
    p.add_argument("--minutes", type=float, default=20.0, help="stop starting new seeds after this")
    p.add_argument("--steps", type=int, help="operations per expression (default: 1 to 12)")
    p.add_argument("--seed", type=int, help="run one seed and show the expression")
    p.add_argument("-v", action="store_true", help="print every finding, not one per kind")
    a = p.parse_args(argv)
    if a.seed is not None:
        f, base, rng = fz.case(a.seed, a.steps)
        print(f"f = {f.what}\n  = {f.expr}\n  shape {f.expr.shape}, named dims: {fz._MODE['named']}")
        found = fz.run_one(a.seed, a.steps)
        print("\n".join(map(str, found)) or "no finding")
        return 1 if found else 0
    t0 = time.time()
    deadline = t0 + 60 * a.minutes
    kinds: collections.Counter = collections.Counter()
    done = skipped = 0
    findings = []
    with multiprocessing.Pool(a.jobs) as pool:
        jobs = ((s, deadline, a.steps) for s in range(a.start, a.start + a.n))
        for seed, found in pool.imap_unordered(_work, jobs, chunksize=20):
            if found is None:
                skipped += 1
                continue
            done += 1
            for f in found:
                key = f"{f.check.split(' by ')[0]}: {f.detail[:80]}"
                kinds[key] += 1
                findings.append(f)
                if a.v or kinds[key] == 1:
                    print(f, flush=True)
            if done % 1000 == 0:
                print(f"... {done} expressions, {len(findings)} findings, "
                      f"{time.time() - t0:.0f} s", flush=True)
    print(f"\n{done} expressions checked ({skipped} not started: time limit) in "
          f"{time.time() - t0:.0f} s on {a.jobs} processes; {len(findings)} findings")
    for key, n in kinds.most_common():
        print(f"{n:6}  {key}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
