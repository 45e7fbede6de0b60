"""The interop stage without its optional dependencies: ``import indexcalc`` loads neither torch
nor jax, a missing one is refused with the extra to install, and the inputs are checked before
any framework is touched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.interop.exported import Exported

ROOT = Path(__file__).resolve().parent.parent


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=120)


def test_import_indexcalc_loads_neither_torch_nor_jax():
    done = run("import sys, indexcalc as ic; ic.to_torch, ic.to_jax, ic.einsum_function\n"
               "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'jax')))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("call,extra", [("ic.to_torch(f, x)", "torch"), ("ic.to_jax(f, x)", "jax"),
                                        ("ic.einsum_function('ij->i', backend='jax')", "jax")])
def test_a_missing_framework_is_refused_with_the_extra_to_install(call, extra):
    done = run(f"import sys; sys.modules['{extra}'] = None  # as if not installed\n"
               "import indexcalc as ic\nx = ic.Tensor('x', 'n'); f = ic.sum(x * x)\n"
               f"try:\n    {call}\nexcept ic.IndexcalcError as e:\n    print(e)")
    assert done.returncode == 0, done.stderr
    assert f"pip install indexcalc[{extra}]" in done.stdout


def test_inputs_are_checked_and_the_cotangent_name_is_fresh():
    G, x = ic.tensors("G[n] x[n]")
    e = Exported(G * x, (G, x), "numpy", "demo")
    assert e.cotangent.name == "G1" and e.cotangent.shape == ("n",)
    assert [t.name for t in Exported(G * x, (), "numpy", "demo").inputs] == ["G", "x"]
    with pytest.raises(ic.IndexcalcError, match="listed twice"):
        Exported(G * x, (G, x, x), "numpy", "demo")
    with pytest.raises(ic.BindingError, match="not the tensor of that name"):
        Exported(G * x, (G, ic.Tensor("x", "m")), "numpy", "demo")
    with pytest.raises(ic.BindingError, match="expected 2 array"):
        e.values((1.0,))
    assert e.values((np.ones(2), np.ones(2)))["n"] == 2
