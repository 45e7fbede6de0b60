"""The doctests of the modules that need an optional extra (torch, jax) run where it is
installed and are skipped, saying which extra, where it is not."""

import pytest

#: module name part -> the optional package its examples import
EXTRAS = {"torch_function": "torch", "einsum_function": "torch", "jax_function": "jax",
          "torch_source": "torch"}


@pytest.fixture(autouse=True)
def _doctest_extra(request):
    if type(request.node).__name__ != "DoctestItem":
        return
    for part, package in EXTRAS.items():
        if f".{part}." in request.node.name:
            pytest.importorskip(package, reason=f"the {package} extra is not installed")
