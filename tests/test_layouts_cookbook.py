"""Matrix Cookbook rows, the worked problems and issue 13's reproducers: every form of each.

Each row builds a result, names its split by the contract (the differentiated function's order,
None for no derivative) and, where a textbook gives it, the derivative tensor by the textbook's
formula in NumPy (shape ``F.shape + X.shape``): the derivative is checked against that, and every
form (``tests/form_checks.py``) against the references of ``tests/layout_reference.py``.
Sizes are distinct (3, 4, 5) so that a transposed axis changes a shape.
"""

from __future__ import annotations

import numpy as np
import pytest

import indexcalc as ic
from form_checks import check_forms, failures

RNG = np.random.default_rng(13)


def _normal(*shape):
    return RNG.normal(size=shape)


def _well_conditioned(n):
    return RNG.normal(size=(n, n)) * 0.3 + 3.0 * np.eye(n)


def _inv(a):
    return np.linalg.inv(a)


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


# shared values: A (4×3), X (3×4), B (4×5), S/Q square 3×3 well conditioned, a (3), b (4), x (3)
V = dict(A=_normal(4, 3), X=_normal(3, 4), B=_normal(4, 5), C=_normal(5, 3), S=_well_conditioned(3),
         Q=_well_conditioned(3), P=_well_conditioned(4), M=_normal(3, 3), a=_normal(3), b=_normal(4),
         c=_normal(4), x=_normal(3), w=_normal(12), G=_normal(12, 12), y=np.abs(_normal(5)),
         T=_normal(3, 4, 5), u=_normal(5))
A, X, B, C, S, Q, P, M, a, b, c, x, w, G, y, T, u = ic.tensors(
    "A[4,3] X[3,4] B[4,5] C[5,3] S[3,3] Q[3,3] P[4,4] M[3,3] a[3] b[4] c[4] x[3] w[12] G[12,12] "
    "y[5] T[3,4,5] u[5]")
D4 = np.diag(np.arange(1.0, 5.0))  # a constant 4 × 4


def _e(subscripts, *ops):
    return np.einsum(subscripts, *ops)


# (label, build() -> (expression, out_ndim), textbook(values) -> dense derivative or None)
COOKBOOK = [
    # (100) ∂tr(AX)/∂X = Aᵀ
    ("d tr(A X)/dX = Aᵀ", lambda: (ic.grad(ic.trace(A @ X), X), 0), lambda v: v["A"].T),
    # (101) ∂tr(X B C)/∂X = (B C)ᵀ, X rectangular
    ("d tr(X B C)/dX = (B C)ᵀ", lambda: (ic.grad(ic.trace(X @ B @ C), X), 0),
     lambda v: (v["B"] @ v["C"]).T),
    # (117) ∂tr(X P Xᵀ)/∂X = X (P + Pᵀ)
    ("d tr(X P Xᵀ)/dX = X(P + Pᵀ)", lambda: (ic.grad(ic.trace(X @ P @ X.T), X), 0),
     lambda v: v["X"] @ (v["P"] + v["P"].T)),
    # (103) ∂‖X‖²_F/∂X = 2X
    ("d tr(Xᵀ X)/dX = 2X", lambda: (ic.grad(ic.trace(X.T @ X), X), 0), lambda v: 2 * v["X"]),
    # (49) ∂det(S)/∂S = det(S) S⁻ᵀ
    ("d det(S)/dS = det(S) S⁻ᵀ", lambda: (ic.grad(ic.det(S), S), 0),
     lambda v: np.linalg.det(v["S"]) * _inv(v["S"]).T),
    # (57) ∂ log|det S|/∂S = S⁻ᵀ
    ("d logdet(S)/dS = S⁻ᵀ", lambda: (ic.grad(ic.logdet(S), S), 0), lambda v: _inv(v["S"]).T),
    # (51) ∂det(Q S M')/∂S = det(Q S M') Qᵀ (Q S M')⁻ᵀ M'ᵀ, with M' = Q (square, invertible)
    ("d det(Q S Q)/dS (det of a product)", lambda: (ic.grad(ic.det(Q @ S @ Q), S), 0),
     lambda v: np.linalg.det(v["Q"] @ v["S"] @ v["Q"])
     * v["Q"].T @ _inv(v["Q"] @ v["S"] @ v["Q"]).T @ v["Q"].T),
    # (55) ∂ log det(Xᵀ P X)... here log det(Xᵀ X) for X 3 × 4: ∂/∂Xᵀ... = 2 X (XᵀX)⁻¹ with X 4×3
    ("d logdet(A ᵀ A)/dA = 2 A (AᵀA)⁻¹ (logdet of a product)",
     lambda: (ic.grad(ic.logdet(A.T @ A), A), 0), lambda v: 2 * v["A"] @ _inv(v["A"].T @ v["A"])),
    ("d logdet(Q S)/dS = Sᵀ⁻¹ (logdet of a product)", lambda: (ic.grad(ic.logdet(Q @ S), S), 0),
     lambda v: _inv(v["S"]).T),
    # (59) ∂S⁻¹/∂S_kl = −S⁻¹ e_k e_lᵀ S⁻¹:  D[i,j,k,l] = −S⁻¹[i,k] S⁻¹[l,j]; vec form −S⁻ᵀ ⊗ S⁻¹
    ("d inv(S)/dS = −(S⁻ᵀ ⊗ S⁻¹)", lambda: (ic.diff(ic.inv(S), S), 2),
     lambda v: -_e("ik,lj->ijkl", _inv(v["S"]), _inv(v["S"]))),
    # (61) ∂ aᵀ S⁻¹ a'/∂S = −S⁻ᵀ a a'ᵀ S⁻ᵀ
    ("d aᵀ S⁻¹ x/dS = −S⁻ᵀ a xᵀ S⁻ᵀ", lambda: (ic.grad(a @ ic.inv(S) @ x, S), 0),
     lambda v: -_inv(v["S"]).T @ np.outer(v["a"], v["x"]) @ _inv(v["S"]).T),
    # (63) ∂tr(M S⁻¹)/∂S... tr(S⁻¹ M): −(S⁻¹ M S⁻¹)ᵀ
    ("d tr(S⁻¹ M)/dS = −(S⁻¹ M S⁻¹)ᵀ", lambda: (ic.grad(ic.trace(ic.inv(S) @ M), S), 0),
     lambda v: -(_inv(v["S"]) @ v["M"] @ _inv(v["S"])).T),
    # (69) ∂ aᵀ X b/∂X = a bᵀ
    ("d aᵀ X b/dX = a bᵀ", lambda: (ic.grad(a @ X @ b, X), 0), lambda v: np.outer(v["a"], v["b"])),
    # (70) ∂ aᵀ Xᵀ b/∂X = b aᵀ  (X 3 × 4: b has 3 entries here, a 4)
    ("d cᵀ Xᵀ a/dX = a cᵀ", lambda: (ic.grad(c @ X.T @ a, X), 0), lambda v: np.outer(v["a"], v["c"])),
    # (81) quadratic form: ∂ xᵀ M x/∂x = (M + Mᵀ) x, Hessian M + Mᵀ
    ("d xᵀ M x/dx = (M + Mᵀ) x", lambda: (ic.grad(x @ M @ x, x), 0),
     lambda v: (v["M"] + v["M"].T) @ v["x"]),
    ("hessian xᵀ M x = M + Mᵀ", lambda: (ic.hessian(x @ M @ x, x), 1),
     lambda v: v["M"] + v["M"].T),
    # (82) ∂ bᵀ Xᵀ D X c/∂X = D X b cᵀ... with X 3×4: ∂ cᵀ Xᵀ M X b/∂X = M X b cᵀ... (Xᵀ M X)
    ("d cᵀ Xᵀ M X b/dX = Mᵀ X c bᵀ + M X b cᵀ", lambda: (ic.grad(c @ X.T @ M @ X @ b, X), 0),
     lambda v: v["M"].T @ v["X"] @ np.outer(v["c"], v["b"]) + v["M"] @ v["X"] @ np.outer(v["b"], v["c"])),
    # (84) ∂ (X b + a')ᵀ D (X b + a')/∂X = (D + Dᵀ)(X b + a') bᵀ
    ("d (Xb + x)ᵀ M (Xb + x)/dX", lambda: (ic.grad((X @ b + x) @ M @ (X @ b + x), X), 0),
     lambda v: (v["M"] + v["M"].T) @ np.outer(v["X"] @ v["b"] + v["x"], v["b"])),
    # vec(A X B) = (Bᵀ ⊗ A) vec(X)  (520): ∂(AXB)[p,s]/∂X[q,r] = A[p,q] B[r,s]
    ("vec(A X B) = (Bᵀ ⊗ A) vec X", lambda: (ic.diff(A @ X @ B, X), 2),
     lambda v: _e("pq,rs->psqr", v["A"], v["B"])),
    # ∂vec(A unvec(w) B)/∂w = Bᵀ ⊗ A: an order-2 result whose intermediates have order 3 and 4
    ("d vec(A unvec(w) B)/dw = Bᵀ ⊗ A",
     lambda: (ic.diff(ic.vec(A @ ic.unvec(w, (3, 4)) @ B), w), 1),
     lambda v: np.kron(v["B"].T, v["A"])),
    # ∂ tr(sin X)/∂X with sin elementwise: diag(cos(diag X)) (off-diagonal entries do not count)
    ("d tr(sin S)/dS = diag(cos(diag S))", lambda: (ic.grad(ic.trace(ic.sin(S)), S), 0),
     lambda v: np.diag(np.cos(np.diag(v["S"])))),
    # kron inside a trace: tr(S ⊗ P) = tr(S) tr(P), ∂/∂S = tr(P) I
    ("d tr(S ⊗ P)/dS = tr(P) I", lambda: (ic.grad(ic.trace(ic.kron(S, P)), S), 0),
     lambda v: np.trace(v["P"]) * np.eye(3)),
    # tr((S ⊗ P) G): ∂/∂P[k,l] = Σ_ij S[i,j] G[j·4 + l, i·4 + k]
    ("d tr((S ⊗ P) G)/dP", lambda: (ic.grad(ic.trace(ic.kron(S, P) @ G), P), 0),
     lambda v: _e("ij,jlik->kl", v["S"], v["G"].reshape(3, 4, 3, 4))),
    # softmax cross-entropy by a weight matrix, taken with diff: ∂/∂W −Σ y log softmax(C x)
    # = (Σy · softmax(C x) − y) xᵀ
    ("diff of the softmax cross-entropy by C = (Σy ŷ − y) xᵀ",
     lambda: (ic.diff(-ic.sum(y * ic.log_softmax(C @ x)), C), 0),
     lambda v: np.outer(v["y"].sum() * _softmax(v["C"] @ v["x"]) - v["y"], v["x"])),
    ("grad of the softmax cross-entropy by C", lambda: (ic.grad(-ic.sum(y * ic.log_softmax(C @ x)), C), 0),
     lambda v: np.outer(v["y"].sum() * _softmax(v["C"] @ v["x"]) - v["y"], v["x"])),
    # ∂Xᵀ/∂X: the commutation matrix
    ("d Xᵀ/dX = K", lambda: (ic.diff(X.T, X), 2), lambda v: _e("ik,jl->jikl", np.eye(3), np.eye(4))),
    # ∂(X ∘ X)/∂X = diag(vec 2X)
    ("d X∘X/dX = diag(2 vec X)", lambda: (ic.diff(X * X, X), 2),
     lambda v: _e("ij,ik,jl->ijkl", 2 * v["X"], np.eye(3), np.eye(4))),
    # ∂(A x)/∂x = A (the derivative is an input tensor)
    ("d (A x)/dx = A", lambda: (ic.diff(A @ x, x), 1), lambda v: v["A"]),
    ("d (T u)/du = T, an input of order 3", lambda: (ic.diff(ic.einsum("abc,c->ab", T, u), u), 2), lambda v: v["T"]),
    # ∂ tanh(A x)/∂x = diag(1 − tanh²) A
    ("d tanh(A x)/dx = diag(1 − t∘t) A", lambda: (ic.diff(ic.tanh(A @ x), x), 1),
     lambda v: (1 - np.tanh(v["A"] @ v["x"]) ** 2)[:, None] * v["A"]),
    # ∂ softmax(z)/∂z = diag(s) − s sᵀ
    ("d softmax(C x)/dx", lambda: (ic.diff(ic.softmax(C @ x), x), 1),
     lambda v: (np.diag(_softmax(v["C"] @ v["x"])) - np.outer(_softmax(v["C"] @ v["x"]), _softmax(v["C"] @ v["x"]))) @ v["C"]),
    # ∂ (X b)/∂X = bᵀ ⊗ I (vec col): D[i, k, l] = δ_ik b_l
    ("d (X b)/dX = bᵀ ⊗ I", lambda: (ic.diff(X @ b, X), 1), lambda v: _e("ik,l->ikl", np.eye(3), v["b"])),
    # ∂ (s X)/∂s, a matrix by a scalar
    ("d (tr(S) X)/dS: matrix by matrix through a scalar", lambda: (ic.diff(ic.trace(S) * X, S), 2),
     lambda v: _e("ij,kl->ijkl", v["X"], np.eye(3))),
    # ∂ (xᵀ a)² / ∂x∂x = 2 a aᵀ: an outer-product Hessian
    ("hessian (aᵀ x)² = 2 a aᵀ", lambda: (ic.hessian((a @ x) ** 2, x), 1),
     lambda v: 2 * np.outer(v["a"], v["a"])),
    ("hessian (aᵀ X b)² by X = 2 vec(a bᵀ) vec(a bᵀ)ᵀ", lambda: (ic.hessian((a @ X @ b) ** 2, X), 2),
     lambda v: 2 * _e("ij,kl->ijkl", np.outer(v["a"], v["b"]), np.outer(v["a"], v["b"]))),
]


@pytest.mark.parametrize("label,build,textbook", COOKBOOK, ids=[r[0] for r in COOKBOOK])
def test_cookbook_row_every_form(label, build, textbook):
    e, out_ndim = build()
    assert e.shape == tuple(np.shape(textbook(V))), (label, e.shape)
    np.testing.assert_allclose(ic.evaluate(e, **V), textbook(V), rtol=1e-9, atol=1e-10,
                               err_msg=f"{label}: the derivative itself")
    bad = failures(check_forms(e, out_ndim, V))
    assert not bad, f"{label}: {e}\n" + "\n".join(map(str, bad))


# --------------------------------------------------------------------------- worked problems


def _rnn_step():
    e, W_hx, W_hh, h0 = ic.tensors("e[ni] W_hx[ni,nh] W_hh[nh,nh] h0[nh]")
    h = ic.tanh(W_hx.T @ e + W_hh.T @ h0).named("h")
    vals = dict(e=_normal(3), W_hx=_normal(3, 4), W_hh=_normal(4, 4), h0=_normal(4))
    return [("dh/dW_hx", ic.diff(h, W_hx), 1), ("dh/dh0", ic.diff(h, h0), 1),
            ("dh/de", ic.diff(h, e), 1), ("h", h, None)], vals


def _rnn_language_model():
    h_prev, e, H, W_e, b1, U, b2, y = ic.tensors(
        "h_prev[nh] e[ne] H[nh,nh] W_e[ne,nh] b1[nh] U[nh,nv] b2[nv] y[nv]")
    h = ic.sigmoid(h_prev @ H + e @ W_e + b1).named("h")
    J = ic.sum(y * ic.log_softmax(h @ U + b2))
    vals = dict(h_prev=_normal(4), e=_normal(3), H=_normal(4, 4), W_e=_normal(3, 4), b1=_normal(4),
                U=_normal(4, 5), b2=_normal(5), y=np.eye(5)[2])
    return [("dJ/dH", ic.grad(J, H), 0), ("dJ/dU", ic.grad(J, U), 0), ("dJ/db2", ic.grad(J, b2), 0),
            ("diff(J, H)", ic.diff(J, H), 0), ("dh/dH", ic.diff(h, H), 1)], vals


def _linear_model():
    X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
    l = 0.5 * ic.sum((X @ W @ v - y) ** 2)
    vals = dict(X=_normal(5, 3), W=_normal(3, 4), v=_normal(4), y=_normal(5))
    return [("dl/dW", ic.grad(l, W), 0), ("d(XW)/dW", ic.diff(X @ W, W), 2),
            ("dl/dv", ic.grad(l, v), 0), ("hessian l by v", ic.hessian(l, v), 1),
            ("hessian l by W", ic.hessian(l, W), 2)], vals


def _bptt():
    W, W_in, b, u1, u2, x0 = ic.tensors("W[n,n] W_in[n,m] b[n] u1[m] u2[m] x0[n]")
    x1 = (W @ ic.sigmoid(x0) + W_in @ u1 + b).named("x1")
    x2 = W @ ic.sigmoid(x1) + W_in @ u2 + b
    vals = dict(W=_normal(4, 4), W_in=_normal(4, 3), b=_normal(4), u1=_normal(3), u2=_normal(3),
                x0=_normal(4))
    return [("dx1/dx0", ic.diff(x1, x0), 1), ("dx2/dx0", ic.diff(x2, x0), 1),
            ("dx2/dW", ic.diff(x2, W), 1), ("dx2/dW_in", ic.diff(x2, W_in), 1)], vals


PROBLEMS = {"rnn_step": _rnn_step, "rnn_language_model": _rnn_language_model,
            "linear_model": _linear_model, "bptt": _bptt}


@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_worked_problem_every_form(problem):
    """The results of ``docs/problems/*.md`` (``examples/<problem>.py``), every form of each."""
    results, vals = PROBLEMS[problem]()
    bad = []
    for label, e, out_ndim in results:
        bad += [f"{label}: {o}" for o in failures(check_forms(e, out_ndim, vals))]
    assert not bad, "\n".join(bad)


# --------------------------------------------------------------------------- issue 13's reproducers


def _issue_values(**shapes):
    return {k: np.arange(float(np.prod(s))).reshape(s) + 1.0 for k, s in shapes.items()}


def _grad_tr_WB():
    W, Bm = ic.Tensor("W", (3, 2)), ic.Tensor("B", (2, 3))
    return ic.grad(ic.trace(W @ Bm), Bm), 0, dict(W=np.arange(6.0).reshape(3, 2), B=_normal(2, 3))


def _issue_M(build):
    M, w_, y_ = ic.Tensor("M", (2, 3)), ic.Tensor("w", (2,)), ic.Tensor("y", (3,))
    e, out_ndim = build(M, w_, y_)
    return e, out_ndim, dict(M=_normal(2, 3), w=_normal(2), y=_normal(3))


def _leaf_A_u():
    A_, u_ = ic.tensors("A[4,3] u[3]")
    return ic.diff(A_ @ u_, u_), 1, dict(A=_normal(4, 3), u=_normal(3))


def _grad_tr_MtN():
    M_, N_ = ic.tensors("M[2,3] N[2,3]")
    return ic.grad(ic.trace(M_.T @ N_), M_), 0, dict(M=_normal(2, 3), N=_normal(2, 3))


def _half_z():
    z = ic.Tensor("z", ("h",))
    return ic.diff(0.5 * z, z), 1, dict(z=_normal(3))


def _softmax_size_one(shape, axis):
    def build():
        Z = ic.Tensor("Z", shape)
        return ic.softmax(Z, axis=axis), None, dict(Z=_normal(*shape))
    return build


def _order3_input():
    T_, u_ = ic.tensors("T[3,4,5] u[5]")
    return ic.diff(ic.einsum("abc,c->ab", T_, u_), u_), 2, dict(T=_normal(3, 4, 5), u=_normal(5))


# Each row: (the issue's words, build() -> (expression, out_ndim, values)).
REPRODUCERS = [
    # "to_kron(..., vec="col") writes vec(Mᵀ) for vec(M) ... to_kron(grad(trace(W @ B), B))
    # prints vec(W)ᵀ, which evaluates to [0,2,4,1,3,5]"
    ("to_kron writes vec(Mᵀ) for vec(M): grad(trace(W @ B), B)", _grad_tr_WB),
    # "to_kron drops factors: to_kron(hessian(w @ ((M**3) @ y), M)) prints 6 (diag(y) ⊗ diag(w))"
    ("to_kron drops factors: hessian(w @ ((M**3) @ y), M)",
     lambda: _issue_M(lambda M, w_, y_: (ic.hessian(w_ @ ((M ** 3) @ y_), M), 2))),
    # "to_kron(grad(w @ (abs(M) @ y), M)) loses w and y"
    ("to_kron loses w and y: grad(w @ (abs(M) @ y), M)",
     lambda: _issue_M(lambda M, w_, y_: (ic.grad(w_ @ (ic.abs(M) @ y_), M), 0))),
    # "to_matrix(diff(A @ u, u), layout="denominator") prints A, should be Aᵀ"
    ("a derivative that is a leaf: diff(A @ u, u)", _leaf_A_u),
    # "to_matrix(grad(trace(M.T @ N), M), "numerator") prints N for a 2×3 N, should be Nᵀ"
    ("a gradient that is a leaf: grad(trace(M.T @ N), M)", _grad_tr_MtN),
    # "to_matrix(diff(0.5*z, z)).evaluate(z=..., h=3) raises although the message says passing
    # the size works" (here: z's value alone binds h, as a derivative binds what it lost)
    ("MatrixForm.evaluate cannot bind a dimension it lost: diff(0.5*z, z)", _half_z),
    # "MatrixForm.evaluate uses the wrong softmax axis for a matrix with a size-1 axis"
    ("softmax axis, size-1 rows: softmax(Z[1,3], axis=1)", _softmax_size_one((1, 3), 1)),
    ("softmax axis, size-1 rows: softmax(Z[1,3], axis=0)", _softmax_size_one((1, 3), 0)),
    ("softmax axis, size-1 columns: softmax(Z[3,1], axis=0)", _softmax_size_one((3, 1), 0)),
    ("softmax axis, size-1 columns: softmax(Z[3,1], axis=1)", _softmax_size_one((3, 1), 1)),
    # "a derivative that is a 3rd-order input tensor" (refused by to_kron)
    ("a derivative that is a 3rd-order input tensor", _order3_input),
]


@pytest.mark.parametrize("label,build", REPRODUCERS, ids=[r[0] for r in REPRODUCERS])
def test_issue_13_reproducer(label, build):
    e, out_ndim, vals = build()
    bad = failures(check_forms(e, out_ndim, vals))
    assert not bad, f"{label}: {e}\n" + "\n".join(map(str, bad))


def test_issue_13_vec_of_the_gradient_is_column_major():
    # "the column-major vec of the gradient Wᵀ is [0,1,2,3,4,5]"
    e, _, vals = _grad_tr_WB()
    got = np.asarray(ic.to_kron(e, "numerator", "col").evaluate(**vals)).ravel()
    np.testing.assert_array_equal(got, np.arange(6.0))


def test_issue_13_to_einsum_writes_a_scaled_single_product():
    # "to_einsum refuses a scaled single product"
    Xm, Wm = ic.tensors("X[2,3] W[3,4]")
    vals = dict(X=_normal(2, 3), W=_normal(3, 4))
    for e in (2.5 * (Xm @ Wm), -(Xm @ Wm), (Xm @ Wm) * 3.0, 2.0 * Xm):
        subscripts, operands = ic.to_einsum(e)
        got = np.einsum(subscripts, *[ic.evaluate(o, **vals) for o in operands])
        np.testing.assert_allclose(got, ic.evaluate(e, **vals), rtol=1e-12, err_msg=str(e))


def test_issue_13_matrix_form_evaluation_respects_the_memory_guard():
    # "(MatrixForm.evaluate) has no memory guard (728 TiB asked of np.diag)": under a 1 MB limit,
    # a form whose printed matrix alone is 3.5 MB is refused with the library's error, before
    # NumPy allocates (never NumPy's MemoryError, never a silent 100 MB diag)
    Xm, Wm, p, q = ic.tensors("X[n,d] W[d,h] p[k] q[l]")
    vals = dict(X=_normal(60, 2) * 0.1, W=_normal(2, 60) * 0.1, p=_normal(600), q=_normal(600))
    forms = [ic.to_kron(ic.diff(ic.tanh(Xm @ Wm), Wm)), ic.to_matrix(ic.outer(p, q))]
    previous = ic.set_memory_limit(10**6)
    try:
        for form in forms:
            with pytest.raises(ic.IndexcalcError, match="memory"):
                form.evaluate(**vals)
    finally:
        ic.set_memory_limit(previous)
