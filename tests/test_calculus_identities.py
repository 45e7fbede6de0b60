"""Closed-form derivatives as a table: the Matrix Cookbook §2, ML gradients and Hessians,
third- and fourth-order derivative tensors, symmetric-matrix conventions and the four motivating
problems. Each row evaluates ``ic.diff`` (and ``ic.grad`` for scalars) and the closed form and
compares them; rows with an unconstrained variable are also checked against finite differences,
so a wrong closed form in this table cannot pass silently.

Sizes: n = 3, m = 4, k = 2, p = 5 (distinct, so a transposition shows).
"""

from __future__ import annotations

import numpy as np
import pytest
from _fd import assert_close, fd_jacobian, values_of

import indexcalc as ic

SIZES = {"n": 3, "m": 4, "k": 2, "p": 5}
inv, det, eye = np.linalg.inv, np.linalg.det, np.eye

# Variables: square n×n (X, A, B, C, D), rectangular (R: n×m, L: m×n, K: k×n, G: m×k, F: p×n),
# vectors (x, a, b, c: n; q, r: m; y: p), a symmetric matrix Sy.
X, A, B, C, D = ic.tensors("X[n,n] A[n,n] B[n,n] C[n,n] D[n,n]")
R, L, K, G, F = ic.tensors("R[n,m] L[m,n] K[k,n] G[m,k] F[p,n]")
Mm, Nk = ic.tensors("Mm[m,m] Nk[k,k]")
x, a, b, c, q, r, y, t = ic.tensors("x[n] a[n] b[n] c[n] q[m] r[m] y[p] t[p]")
Sy = ic.Tensor("Sy", "n n", symmetric=True)
oh, Yb = ic.tensors("oh[p] Yb[p,m]")  # one-hot targets
ONEHOT, YBATCH = np.eye(5)[1], np.eye(4)[[0, 3, 1, 1, 2]]


def _values() -> dict:
    rng = np.random.default_rng(7)
    v = {}
    for tensor in (X, A, B, C, D, R, L, K, G, F, Mm, Nk, x, a, b, c, q, r, y, t):
        v[tensor.name] = rng.normal(size=tuple(SIZES[d] for d in tensor.shape))
    v["X"] = v["X"] + 3 * eye(3)  # comfortably invertible
    s = rng.normal(size=(3, 3))
    v["Sy"] = s @ s.T + 3 * eye(3)  # symmetric positive definite
    v.update(SIZES)
    v["oh"], v["Yb"] = ONEHOT, YBATCH
    return v


V = _values()


def sig(z):
    return 1 / (1 + np.exp(-z))


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def tanh_net(v):
    """Two-layer network ½‖R tanh(Lx) − q‖² pieces: hidden h, residual res."""
    h = np.tanh(v["L"] @ v["x"])
    return h, v["R"] @ h - v["x"]


# The four problems (row-vector conventions as in the issue).
Whx, Whh = ic.tensors("Whx[m,n] Whh[n,n]")  # ni = m = 4, nh = n = 3
e_in, h0 = ic.tensors("e_in[m] h0[n]")
h_rnn = ic.tanh(Whx.T @ e_in + Whh.T @ h0)

hp, ei, Hh, Ii, b1, Uu, b2, yv = ic.tensors(
    "hp[k] ei[m] Hh[k,n] Ii[m,n] b1[n] Uu[n,p] b2[p] yv[p]")
h_lm = ic.sigmoid(hp @ Hh + ei @ Ii + b1)
J_lm = ic.sum(yv * ic.log_softmax(h_lm @ Uu + b2))

Xl, Wl, vl, yl = ic.tensors("Xl[p,n] Wl[n,m] vl[m] yl[p]")
l_ls = 0.5 * ic.sum((Xl @ Wl @ vl - yl) ** 2)

Wr, Win, ur, br, xprev = ic.tensors("Wr[n,n] Win[n,k] ur[k] br[n] xprev[n]")
x_t = Wr @ ic.sigmoid(xprev) + Win @ ur + br


def _problem_values() -> dict:
    rng = np.random.default_rng(11)
    v = {}
    for tensor in (Whx, Whh, e_in, h0, hp, ei, Hh, Ii, b1, Uu, b2, Xl, Wl, vl, yl, Wr, Win, ur,
                   br, xprev):
        v[tensor.name] = rng.normal(size=tuple(SIZES[d] for d in tensor.shape))
    v["yv"] = np.eye(5)[2]  # one-hot target
    return v


V.update(_problem_values())


def _rnn_expected(v):
    h = np.tanh(v["Whx"].T @ v["e_in"] + v["Whh"].T @ v["h0"])
    return np.einsum("a,b,ac->abc", 1 - h ** 2, v["e_in"], eye(3))


def _lm_expected(v, y=None):
    y = v["yv"] if y is None else y
    h = sig(v["hp"] @ v["Hh"] + v["ei"] @ v["Ii"] + v["b1"])
    yhat = softmax(h @ v["Uu"] + v["b2"])
    return np.outer(v["hp"], ((y - yhat * y.sum()) @ v["Uu"].T) * h * (1 - h))


def _attention_expected(v):
    Q, Km, Vm = v["R"].T, v["L"], v["G"]  # Q: m×n, K: m×n, V: m×k (d = n)
    P = softmax(Q @ Km.T / np.sqrt(3))
    O = P @ Vm
    core = np.einsum("ij,jv,je->ive", P, Vm, Km) - np.einsum("ij,iv,je->ive", P, O, Km)
    return np.einsum("ive,ik->ivke", core / np.sqrt(3), eye(4))


Qa = R.T  # queries (m × n), keys L (m × n), values G (m × k)
attention = ic.softmax(Qa @ L.T / np.sqrt(3), axis=-1) @ G

# (id, f, variable, closed form of ∂f/∂variable as a function of the values, convention)
ROWS = [
    # --- Matrix Cookbook §2: traces
    ("tr X", ic.trace(X), X, lambda v: eye(3)),
    ("tr(L R) by R = Lᵀ", ic.trace(L @ R), R, lambda v: v["L"].T),
    ("tr(R L) by R = Lᵀ", ic.trace(R @ L), R, lambda v: v["L"].T),
    ("tr(Rᵀ L') by R", ic.trace(R.T @ L.T), R, lambda v: v["L"].T),
    ("tr(Xᵀ A) by X = A", ic.trace(X.T @ A), X, lambda v: v["A"]),
    ("tr(K R G) by R = Kᵀ Gᵀ", ic.trace(K @ R @ G), R, lambda v: v["K"].T @ v["G"].T),
    ("tr(G Rᵀ Kᵀ) by R = Kᵀ Gᵀ", ic.trace(G.T @ R.T @ K.T), R, lambda v: v["K"].T @ v["G"].T),
    ("tr(Rᵀ A R) by R = (A + Aᵀ) R", ic.trace(R.T @ A @ R), R,
     lambda v: (v["A"] + v["A"].T) @ v["R"]),
    ("tr(R Mm Rᵀ) by R = R (Mm + Mmᵀ)", ic.trace(R @ Mm @ R.T), R,
     lambda v: v["R"] @ (v["Mm"] + v["Mm"].T)),
    ("tr(X X) = 2Xᵀ", ic.trace(X @ X), X, lambda v: 2 * v["X"].T),
    ("tr(Xᵀ X) = 2X", ic.trace(X.T @ X), X, lambda v: 2 * v["X"]),
    ("tr(X³) = 3(X²)ᵀ", ic.trace(X @ X @ X), X, lambda v: 3 * (v["X"] @ v["X"]).T),
    ("tr(A X B X)", ic.trace(A @ X @ B @ X), X,
     lambda v: v["A"].T @ v["X"].T @ v["B"].T + v["B"].T @ v["X"].T @ v["A"].T),
    ("tr(Rᵀ B R Mm) (cookbook 117)", ic.trace(R.T @ B @ R @ Mm), R,
     lambda v: v["B"] @ v["R"] @ v["Mm"] + v["B"].T @ v["R"] @ v["Mm"].T),
    ("tr(X⁻¹) = −(X⁻²)ᵀ", ic.trace(ic.inv(X)), X, lambda v: -(inv(v["X"]) @ inv(v["X"])).T),
    ("tr(L X⁻¹ R) = −(X⁻¹ R L X⁻¹)ᵀ", ic.trace(L @ ic.inv(X) @ R), X,
     lambda v: -(inv(v["X"]) @ v["R"] @ v["L"] @ inv(v["X"])).T),
    ("tr(A ⊗ B) by A = tr(B) I", ic.trace(ic.kron(A, B)), A, lambda v: np.trace(v["B"]) * eye(3)),
    # --- linear and quadratic forms
    ("aᵀ R q by R = a qᵀ", a @ R @ q, R, lambda v: np.outer(v["a"], v["q"])),
    ("qᵀ Rᵀ a by R = a qᵀ", q @ R.T @ a, R, lambda v: np.outer(v["a"], v["q"])),
    ("aᵀ X a by X = a aᵀ", a @ X @ a, X, lambda v: np.outer(v["a"], v["a"])),
    ("xᵀ a by x = a", x @ a, x, lambda v: v["a"]),
    ("xᵀ A x by x = (A + Aᵀ) x", x @ A @ x, x, lambda v: (v["A"] + v["A"].T) @ v["x"]),
    ("qᵀ Rᵀ R r by R = R(q rᵀ + r qᵀ)", q @ R.T @ R @ r, R,
     lambda v: v["R"] @ (np.outer(v["q"], v["r"]) + np.outer(v["r"], v["q"]))),
    ("(Lx + q)ᵀ Mm (L'x + r) by x", (L @ x + q) @ Mm @ (R.T @ x + r), x,
     lambda v: v["L"].T @ v["Mm"] @ (v["R"].T @ v["x"] + v["r"])
     + v["R"] @ v["Mm"].T @ (v["L"] @ v["x"] + v["q"])),
    ("(R q + c)ᵀ D (R q + c) by R = (D + Dᵀ)(Rq + c) qᵀ", (R @ q + c) @ D @ (R @ q + c), R,
     lambda v: np.outer((v["D"] + v["D"].T) @ (v["R"] @ v["q"] + v["c"]), v["q"])),
    ("aᵀ X x by x = Xᵀ a", a @ X @ x, x, lambda v: v["X"].T @ v["a"]),
    ("A x by x = A", A @ x, x, lambda v: v["A"]),
    ("xᵀ A by x = Aᵀ", x @ A, x, lambda v: v["A"].T),
    # --- norms
    ("‖x‖₂ = x/‖x‖", ic.norm(x), x, lambda v: v["x"] / np.linalg.norm(v["x"])),
    ("‖x‖² = 2x", ic.norm(x) ** 2, x, lambda v: 2 * v["x"]),
    ("‖x − a‖₂ = (x − a)/‖x − a‖", ic.norm(x - a), x,
     lambda v: (v["x"] - v["a"]) / np.linalg.norm(v["x"] - v["a"])),
    ("‖R‖_F² = 2R", ic.norm(R) ** 2, R, lambda v: 2 * v["R"]),
    ("‖R‖_F = R/‖R‖_F", ic.norm(R), R, lambda v: v["R"] / np.linalg.norm(v["R"])),
    ("‖F x − y‖² = 2Fᵀ(Fx − y)", ic.sum((F @ x - y) ** 2), x,
     lambda v: 2 * v["F"].T @ (v["F"] @ v["x"] - v["y"])),
    ("‖x‖₁ = sign(x)", ic.norm(x, 1), x, lambda v: np.sign(v["x"])),
    # --- determinants
    ("det X = det(X) X⁻ᵀ", ic.det(X), X, lambda v: det(v["X"]) * inv(v["X"]).T),
    ("log|det X| = X⁻ᵀ", ic.logdet(X), X, lambda v: inv(v["X"]).T),
    ("log|det(−X)| = X⁻ᵀ", ic.logdet(-X), X, lambda v: inv(v["X"]).T),
    ("det(A X B) = det(AXB) X⁻ᵀ", ic.det(A @ X @ B), X,
     lambda v: det(v["A"] @ v["X"] @ v["B"]) * inv(v["X"]).T),
    ("log det(Lᵀ L) = 2 L (LᵀL)⁻¹", ic.logdet(L.T @ L), L,
     lambda v: 2 * v["L"] @ inv(v["L"].T @ v["L"])),
    ("det(Lᵀ Mm L) (cookbook 47)", ic.det(L.T @ Mm @ L), L,
     lambda v: det(v["L"].T @ v["Mm"] @ v["L"]) * (
         v["Mm"] @ v["L"] @ inv(v["L"].T @ v["Mm"] @ v["L"])
         + v["Mm"].T @ v["L"] @ inv(v["L"].T @ v["Mm"].T @ v["L"]))),
    ("log|det X²| = 2X⁻ᵀ", ic.logdet(X @ X), X, lambda v: 2 * inv(v["X"]).T),
    # --- inverses
    ("∂X⁻¹/∂X = −X⁻¹_ik X⁻¹_lj", ic.inv(X), X,
     lambda v: -np.einsum("ik,lj->ijkl", inv(v["X"]), inv(v["X"]))),
    ("aᵀ X⁻¹ b = −X⁻ᵀ a bᵀ X⁻ᵀ", a @ ic.inv(X) @ b, X,
     lambda v: -inv(v["X"]).T @ np.outer(v["a"], v["b"]) @ inv(v["X"]).T),
    ("X⁻¹ a by X (order 3)", ic.inv(X) @ a, X,
     lambda v: -np.einsum("ik,l->ikl", inv(v["X"]), inv(v["X"]) @ v["a"])),
    ("xᵀ X⁻¹ x by x = (X⁻¹ + X⁻ᵀ) x", x @ ic.inv(X) @ x, x,
     lambda v: (inv(v["X"]) + inv(v["X"]).T) @ v["x"]),
    # --- third- and fourth-order tensors
    ("∂(K R G)/∂R = K_ik G_lj", K @ R @ G, R, lambda v: np.einsum("ik,lj->ijkl", v["K"], v["G"])),
    ("∂(F R)/∂R = F_pk δ_jl", F @ R, R, lambda v: np.einsum("ik,jl->ijkl", v["F"], eye(4))),
    ("∂(F R)/∂F = δ_ik R_lj", F @ R, F, lambda v: np.einsum("ik,lj->ijkl", eye(5), v["R"])),
    ("∂Rᵀ/∂R = δ_il δ_jk", R.T, R, lambda v: np.einsum("il,jk->ijkl", eye(4), eye(3))),
    ("∂(x xᵀ)/∂x = δ_ik x_j + x_i δ_jk", ic.outer(x, x), x,
     lambda v: np.einsum("ik,j->ijk", eye(3), v["x"]) + np.einsum("i,jk->ijk", v["x"], eye(3))),
    ("∂(R ∘ R)/∂R = 2 R_ij δ_ik δ_jl", R * R, R,
     lambda v: 2 * np.einsum("ij,ik,jl->ijkl", v["R"], eye(3), eye(4))),
    ("∂(Rᵀ R)/∂R = δ_jl R_ki + δ_il R_kj", R.T @ R, R,
     lambda v: np.einsum("jl,ki->ijkl", eye(4), v["R"]) + np.einsum("il,kj->ijkl", eye(4), v["R"])),
    ("∂diag(x)/∂x = δ_ijk", ic.diag(x), x, lambda v: np.einsum("ij,jk->ijk", eye(3), eye(3))),
    ("∂tanh(x)/∂x = diag(1 − tanh²)", ic.tanh(x), x, lambda v: np.diag(1 - np.tanh(v["x"]) ** 2)),
    ("hessian tr(Rᵀ A R) = (A + Aᵀ)_ik δ_jl", ic.grad(ic.trace(R.T @ A @ R), R), R,
     lambda v: np.einsum("ik,jl->ijkl", v["A"] + v["A"].T, eye(4))),
    ("hessian xᵀ A x = A + Aᵀ", ic.grad(x @ A @ x, x), x, lambda v: v["A"] + v["A"].T),
    ("hessian log|det X| = −X⁻¹_li X⁻¹_jk", ic.grad(ic.logdet(X), X), X,
     lambda v: -np.einsum("li,jk->ijkl", inv(v["X"]), inv(v["X"]))),
    # --- machine learning
    ("softmax Jacobian diag(s) − s sᵀ", ic.softmax(x), x,
     lambda v: np.diag(softmax(v["x"])) - np.outer(softmax(v["x"]), softmax(v["x"]))),
    ("logsumexp gradient = softmax", ic.logsumexp(x), x, lambda v: softmax(v["x"])),
    ("logsumexp Hessian = diag(s) − s sᵀ", ic.grad(ic.logsumexp(x), x), x,
     lambda v: np.diag(softmax(v["x"])) - np.outer(softmax(v["x"]), softmax(v["x"]))),
    ("cross-entropy with softmax = s Σy − y", -(y @ ic.log_softmax(F @ x)), F,
     lambda v: np.outer(softmax(v["F"] @ v["x"]) * v["y"].sum() - v["y"], v["x"])),
    ("cross-entropy, one-hot target = s − y", -(oh @ ic.log_softmax(t)), t,
     lambda v: softmax(v["t"]) - ONEHOT),
    ("batch softmax cross-entropy = Fᵀ(S − Y)",
     -ic.sum(Yb * ic.log_softmax(F @ R, axis=-1)), R,
     lambda v: v["F"].T @ (softmax(v["F"] @ v["R"]) - YBATCH)),
    ("logistic gradient Fᵀ(σ(Fx) − y)", ic.sum(ic.softplus(F @ x)) - t @ (F @ x), x,
     lambda v: v["F"].T @ (sig(v["F"] @ v["x"]) - v["t"])),
    ("logistic via log σ", -(t @ ic.log(ic.sigmoid(F @ x)) + (1 - t) @ ic.log(1 - ic.sigmoid(F @ x))),
     x, lambda v: v["F"].T @ (sig(v["F"] @ v["x"]) - v["t"])),
    ("logistic Hessian Fᵀ diag(σ') F", ic.grad(ic.sum(ic.softplus(F @ x)) - t @ (F @ x), x), x,
     lambda v: v["F"].T @ np.diag(sig(v["F"] @ v["x"]) * (1 - sig(v["F"] @ v["x"]))) @ v["F"]),
    ("least squares ‖Fx − y‖² Hessian = 2FᵀF", ic.grad(ic.sum((F @ x - y) ** 2), x), x,
     lambda v: 2 * v["F"].T @ v["F"]),
    ("ridge = 2Fᵀ(Fx − y) + 2λx", ic.sum((F @ x - y) ** 2) + 0.3 * (x @ x), x,
     lambda v: 2 * v["F"].T @ (v["F"] @ v["x"] - v["y"]) + 0.6 * v["x"]),
    ("two-layer net by output weights = res hᵀ", 0.5 * ic.sum((R @ ic.tanh(L @ x) - x) ** 2), R,
     lambda v: np.outer(tanh_net(v)[1], tanh_net(v)[0])),
    ("two-layer net by input weights", 0.5 * ic.sum((R @ ic.tanh(L @ x) - x) ** 2), L,
     lambda v: np.outer((v["R"].T @ tanh_net(v)[1]) * (1 - tanh_net(v)[0] ** 2), v["x"])),
    ("σ'(x) = σ(1 − σ)", ic.sigmoid(x), x, lambda v: np.diag(sig(v["x"]) * (1 - sig(v["x"])))),
    ("softplus'' = σ'", ic.grad(ic.sum(ic.softplus(x)), x), x,
     lambda v: np.diag(sig(v["x"]) * (1 - sig(v["x"])))),
    ("attention softmax(QKᵀ/√d)V by Q", attention, R,
     lambda v: np.transpose(_attention_expected(v), (0, 1, 3, 2))),
    # --- symmetric variables
    ("log det S (symmetric) = S⁻¹", ic.logdet(Sy), Sy, lambda v: inv(v["Sy"]), "symmetric"),
    ("log det S (cookbook) = 2S⁻¹ − S⁻¹∘I", ic.logdet(Sy), Sy,
     lambda v: 2 * inv(v["Sy"]) - inv(v["Sy"]) * eye(3), "cookbook"),
    ("tr(A S) (symmetric) = (A + Aᵀ)/2", ic.trace(A @ Sy), Sy,
     lambda v: (v["A"] + v["A"].T) / 2, "symmetric"),
    ("tr(A S) (cookbook) = A + Aᵀ − A∘I", ic.trace(A @ Sy), Sy,
     lambda v: v["A"] + v["A"].T - v["A"] * eye(3), "cookbook"),
    ("xᵀ S x (cookbook) = 2x xᵀ − x∘x∘I", x @ Sy @ x, Sy,
     lambda v: 2 * np.outer(v["x"], v["x"]) - np.diag(v["x"] ** 2), "cookbook"),
    ("det S (symmetric) = det(S) S⁻¹", ic.det(Sy), Sy,
     lambda v: det(v["Sy"]) * inv(v["Sy"]), "symmetric"),
    # --- the four problems
    ("rnn: ∂h/∂W_hx = (1 − h_a²) e_b δ_ac", h_rnn, Whx, _rnn_expected),
    ("lm: ∂J/∂H, one-hot y", J_lm, Hh, _lm_expected),
    ("least squares: ∂l/∂W = Xᵀ(XWv − y)vᵀ", l_ls, Wl,
     lambda v: v["Xl"].T @ np.outer(v["Xl"] @ v["Wl"] @ v["vl"] - v["yl"], v["vl"])),
    ("least squares: ∂(XW)/∂W = X_nd δ_hh'", Xl @ Wl, Wl,
     lambda v: np.einsum("nd,hk->nhdk", v["Xl"], eye(4))),
    ("recurrence: ∂x_t/∂x_{t−1} = W diag(σ')", x_t, xprev,
     lambda v: v["Wr"] @ np.diag(sig(v["xprev"]) * (1 - sig(v["xprev"])))),
]
ROWS = [row if len(row) == 5 else row + (None,) for row in ROWS]


def test_the_table_has_at_least_sixty_identities():
    assert len(ROWS) >= 60
    assert len({row[0] for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_identity(row):
    _, f, var, closed, convention = row
    D = ic.diff(f, var, convention=convention)
    assert D.ndim == f.ndim + var.ndim
    expected = closed(V)
    assert_close(values_of(D, **V), expected, rtol=1e-8, what="diff vs closed form")
    if f.ndim == 0:
        assert_close(values_of(ic.grad(f, var, convention=convention), **V), expected, rtol=1e-8,
                     what="grad vs closed form")
    if convention is None:
        assert_close(fd_jacobian(f, var, V), expected, rtol=1e-5, what="finite differences")
    else:
        assert ic.check(f, var, convention=convention, **V) < 1e-6


def test_lm_general_target():
    """For any y (not one-hot, not summing to 1): ∂J/∂H = outer(h_prev, ((y − ŷ Σy) Uᵀ) ∘ h ∘ (1 − h))."""
    y_any = np.array([0.3, -1.2, 2.0, 0.5, 0.1])
    vals = {**V, "yv": y_any}
    assert_close(values_of(ic.grad(J_lm, Hh), **vals), _lm_expected(vals, y_any), rtol=1e-8)
