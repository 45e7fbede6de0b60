"""Every printed form of random expressions against the contract's reference (issue 13).

Builds ``tests/fuzz_expressions.py``'s random expressions and, for each, the expression, its
derivative by every variable, the gradient and Hessian of a scalarization and a second derivative;
renders each with ``to_matrix`` (both layouts × both vector conventions, order ≤ 2), ``to_kron``
(both layouts × both vec orders, derivatives), ``to_einsum`` and ``vec_jacobian``; evaluates every
form and compares it with the reference of ``tests/layout_reference.py`` (NumPy reshapes by the
contract's definitions; ``tests/form_checks.py``). Prints how many forms were checked, refused
(grouped by reason: allowed, or forbidden by the contract) and wrong, with the first reproducers::

    python benchmarks/forms_fuzz.py                    # 10,000 expressions on 2 processes
    python benchmarks/forms_fuzz.py --count 200 --seed 5000 --jobs 1

The exit status is 1 when a form was wrong or refused against the contract. The suite's seeded
batch is ``tests/test_layouts_reference.py``.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import form_checks  # noqa: E402


def _work(seed: int) -> tuple[int, list]:
    try:
        return seed, [(where, o.form, o.status, o.detail) for where, o in form_checks.seed_outcomes(seed)]
    except Exception as exc:  # noqa: BLE001 - the harness itself failed: reported, not hidden
        return seed, [(f"seed {seed}", "harness", "wrong", f"{type(exc).__name__}: {exc}")]


def _reason(form: str, status: str, detail: str) -> str:
    """A finding's kind: the renderer and its message without the operands' details."""
    kind = form.split("(")[0]
    msg = re.sub(r"\(a (\w+): .*", r"(a \1)", detail.split("; form:")[0])
    msg = re.sub(r"relative error [\d.e+-]+", "relative error", msg)
    msg = re.sub(r"'[^']*'", "'…'", msg)
    return f"{status:18} {kind}: {re.sub(r'[0-9]+', 'N', msg)[:110]}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=10_000, help="how many expressions (seeds)")
    p.add_argument("--seed", type=int, default=0, help="first seed")
    p.add_argument("--jobs", type=int, default=2, help="worker processes")
    p.add_argument("--show", type=int, default=5, help="reproducers printed per kind of status")
    a = p.parse_args(argv)
    t0 = time.time()
    statuses: collections.Counter = collections.Counter()
    reasons: collections.Counter = collections.Counter()
    shown: dict[str, list] = {"wrong": [], "refused (contract)": [], "refused": []}
    seeds = range(a.seed, a.seed + a.count)
    if a.jobs > 1:
        pool = multiprocessing.Pool(a.jobs)
        results = pool.imap_unordered(_work, seeds, chunksize=10)
    else:
        pool, results = None, map(_work, seeds)
    subjects = set()
    for done, (seed, outcomes) in enumerate(results, 1):
        if done % 1000 == 0:  # on stderr: the report on stdout stays what the counts say
            print(f"... {done} expressions, {dict(statuses)}, {time.time() - t0:.0f} s",
                  file=sys.stderr, flush=True)
        for where, form, status, detail in outcomes:
            subjects.add(where)
            statuses[status] += 1
            if status != "ok":
                reasons[_reason(form, status, detail)] += 1
                if len(shown[status]) < a.show:
                    shown[status].append(f"{where}\n    {form}: {detail[:300]}")
    if pool is not None:
        pool.close()
    checked = sum(statuses.values())
    print(f"{a.count} expressions (seeds {a.seed}..{a.seed + a.count - 1}), {len(subjects)} results, "
          f"{checked} forms checked in {time.time() - t0:.0f} s")
    for status in ("ok", "refused", "refused (contract)", "wrong"):
        print(f"  {status:20} {statuses[status]}")
    if reasons:
        print("\nby reason:")
        for key, n in sorted(reasons.items(), key=lambda kv: (kv[0].split()[0], -kv[1])):
            print(f"{n:7}  {key}")
    for status in ("wrong", "refused (contract)", "refused"):
        if shown[status]:
            print(f"\nfirst {status}:")
            print("\n".join(f"  {s}" for s in shown[status]))
    return 1 if statuses["wrong"] or statuses["refused (contract)"] else 0


if __name__ == "__main__":
    sys.exit(main())
