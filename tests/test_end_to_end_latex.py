"""The LaTeX of every renderer (``to_latex``, ``to_matrix``, ``to_kron``, ``explain``) on the four
motivating problems is well formed (balanced, only known commands: ``tests/_latex.py``).
"""

import pytest

import indexcalc as ic
from _latex import assert_well_formed
from test_derivations_explain_options import _rnn_lm


# --------------------------------------------------------------------------- LaTeX of the four problems

def _four_problems():
    """(expression, the LaTeX of every renderer on it) for the four motivating problems."""
    W_hx, W_hh, e, h0 = ic.tensors("W_hx[5,4] W_hh[4,4] e[5] h0[4]")
    h = ic.tanh(W_hx.T @ e + W_hh.T @ h0).named("h")
    h_prev, H, y, z, _ = _rnn_lm()
    J = ic.sum(y * ic.log_softmax(z))
    X, W, v, t = ic.tensors("X[5,3] W[3,4] v[4] t[5]")
    A, Z, B = ic.tensors("A[2,3] Z[3,4] B[4,5]")
    loss = 0.5 * ic.sum((X @ W @ v - t) ** 2)
    R, W_in, u, b, x_prev = ic.tensors("R[4,4] W_in[4,3] u[3] b[4] x_prev[4]")
    x_t = R @ ic.sigmoid(x_prev) + W_in @ u + b
    y_hat = ic.softmax(z).named("ŷ")
    return {
        "dh/dW_hx": [ic.to_latex(ic.diff(h, W_hx)), ic.to_kron(ic.diff(h, W_hx)).latex(),
                     ic.to_kron(ic.diff(h, W_hx), "denominator", "row").latex(),
                     ic.explain(h, W_hx).latex()],
        "dJ/dH": [ic.to_latex(ic.grad(J, H)),
                  ic.to_matrix(ic.grad(J, H), vectors="row", names=[y_hat],
                               normalized=("y",)).latex(),
                  ic.explain(J, H, vectors="row", names=[y_hat], normalized=("y",)).latex()],
        "least squares": [ic.to_latex(ic.grad(loss, W)), ic.to_matrix(ic.grad(loss, W)).latex(),
                          ic.to_kron(ic.diff(X @ W, W)).latex(),
                          ic.to_kron(ic.diff(ic.vec(A @ Z @ B), Z)).latex(),
                          ic.explain(loss, W).latex()],
        "dx_t/dx_prev": [ic.to_latex(ic.diff(x_t, x_prev)),
                         ic.to_matrix(ic.diff(x_t, x_prev), "numerator").latex(),
                         ic.explain(x_t, x_prev, "numerator").latex()],
    }


@pytest.mark.parametrize("problem", ["dh/dW_hx", "dJ/dH", "least squares", "dx_t/dx_prev"])
def test_latex_of_the_four_problems_is_balanced_and_known(problem):
    for tex in _four_problems()[problem]:
        assert tex
        assert_well_formed(tex)
