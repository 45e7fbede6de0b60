"""The README's example and ``examples/quickstart.py`` run as written."""

import re
import runpy
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def test_readme_python_blocks_run(capsys):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "Xᵀ (X W v − y) vᵀ" in out  # the example shows a derivative in matrix form


def test_readme_has_exactly_the_two_setup_commands():
    text = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    assert [c.strip() for c in commands] == [
        "pip install -e . && python examples/quickstart.py",
        "pip install -e '.[test,docs,dask,linalg]' && pytest",
    ]


def test_quickstart_runs(capsys):
    namespace = runpy.run_path(str(ROOT / "examples" / "quickstart.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "value =" in out and "total FLOPs" in out
    assert np.isfinite(namespace["value"])
