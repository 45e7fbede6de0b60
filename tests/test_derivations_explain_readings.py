"""``ic.explain`` as its readers need it (issue 15): every step's value recomputed from the
definitions with NumPy and central differences; labelled forms, notes, readings, the de-vec;
derivatives by a named intermediate; output that grows linearly with the graph's depth."""

import numpy as np
import pytest

import indexcalc as ic

from _fd import assert_close
from _latex import assert_well_formed

rng = np.random.default_rng(15)
NH, NE, NV = 3, 4, 5  # distinct sizes: a transposed axis cannot hide


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _rnn_lm():
    h_prev, e, H, W_e, b1, U, b2, y = ic.tensors(
        "h_prev[nh] e[ne] H[nh,nh] W_e[ne,nh] b1[nh] U[nh,nv] b2[nv] y[nv]")
    h = ic.sigmoid(h_prev @ H + e @ W_e + b1).named("h")
    y_hat = ic.softmax(h @ U + b2).named("ŷ")
    J = -ic.sum(y * ic.log(y_hat))  # the asker's literal loss
    sizes = dict(h_prev=(NH,), e=(NE,), H=(NH, NH), W_e=(NE, NH), b1=(NH,), U=(NH, NV), b2=(NV,))
    vals = {k: rng.normal(size=s) for k, s in sizes.items()}
    vals["y"] = np.eye(NV)[2]
    return J, H, h, vals


def _loss_of_h(hv, vals):  # J as a NumPy function of the hidden state alone
    s = hv @ vals["U"] + vals["b2"]
    log_softmax = s - s.max() - np.log(np.exp(s - s.max()).sum())
    return -np.sum(vals["y"] * log_softmax)


def _central(fun, x0, step=1e-6):
    out = np.zeros(x0.shape)
    for j in np.ndindex(x0.shape):
        e = np.zeros(x0.shape)
        e[j] = step
        out[j] = (fun(x0 + e) - fun(x0 - e)) / (2 * step)
    return out


def _step(d, target):
    return next(s for s in d.steps if s.target == target)


def test_each_step_of_the_rnn_language_model_has_the_value_of_its_total_derivative():
    J, H, h, vals = _rnn_lm()
    d = ic.explain(J, H, vectors="row", normalized=["y"])
    z = vals["h_prev"] @ vals["H"] + vals["e"] @ vals["W_e"] + vals["b1"]
    hv = _sigmoid(z)
    dJ_dh = _central(lambda t: _loss_of_h(t, vals), hv)
    assert_close(_step(d, "df/dh").result.evaluate(**vals), dJ_dh, what="dJ/dh")
    dJ_dz1 = _central(lambda t: _loss_of_h(_sigmoid(t), vals), z)
    assert_close(_step(d, "df/dz1").result.evaluate(**vals), dJ_dz1, what="dJ/dz1")
    dJ_dH = _central(lambda W: _loss_of_h(_sigmoid(vals["h_prev"] @ W + z - vals["h_prev"] @ vals["H"]), vals), vals["H"])
    assert_close(d.matrix_form.evaluate(**vals), dJ_dH, what="dJ/dH")
    # the printed chain of ∂ŷ/∂z2 with J's cotangent: simplified as far as the result, y − ŷ
    text = str(d)
    assert _step(d, "df/dz2").matrix.text.replace(" ", "") in ("−y+ŷ", "ŷ−y")
    assert "ŷ^∘-1" not in _step(d, "df/dz2").matrix.text
    # names agree between the steps and the result: σ' is written through h everywhere
    assert "σ'" not in text.split("Result:")[0] and "h∘(1 − h)" in text
    assert "summing over nothing" not in text and "vanishes" not in text
    assert "note: assumes Σ y = 1" in text  # the assumption normalized=["y"] makes
    assert text.startswith("df/dH") and "∂h/∂z1" in text  # totals d, locals ∂
    third = next(l for s in d.steps for l in s.locals if l.order == 3)
    assert "never built" in third.reading and "h_prev" in third.reading
    assert "df/dH, denominator layout, row vectors, nh × nh" in text


@pytest.mark.parametrize("layout, vec", [("numerator", "col"), ("denominator", "row")])
def test_rnn_step_kronecker_form_is_labelled_and_is_the_tensor_reshaped(layout, vec):
    e, W_hx, W_hh, h0 = ic.tensors("e[ni] W_hx[ni,nh] W_hh[nh,nh] h0[nh]")
    h = ic.tanh(W_hx.T @ e + W_hh.T @ h0).named("h")
    d = ic.explain(h, W_hx, layout=layout, vec=vec)
    ni, nh = 3, 4
    vals = dict(e=rng.normal(size=ni), W_hx=rng.normal(size=(ni, nh)),
                W_hh=rng.normal(size=(nh, nh)), h0=rng.normal(size=nh))
    hv = np.tanh(vals["W_hx"].T @ vals["e"] + vals["W_hh"].T @ vals["h0"])
    D = np.einsum("a,b,ac->abc", 1 - hv**2, vals["e"], np.eye(nh))  # (1 − h_a²) e_b δ_ac
    order = "F" if vec == "col" else "C"  # the contract's vec: Fortran order is column-major
    M = np.stack([D[a].reshape(-1, order=order) for a in range(nh)])  # rows follow vec(h)
    if layout == "denominator":
        M = M.T
    np.testing.assert_allclose(d.matrix_form.evaluate(**vals), M, rtol=1e-12)
    words = "row-major vec = vec(W_hxᵀ)" if vec == "row" else "column-major vec"
    assert f"dvec(h)/dvec(W_hx), {layout} layout" in d.matrix_label and words in d.matrix_label
    assert "⊗ I" in d.matrix.text or "I ⊗" in d.matrix.text
    assert "block" in d.steps[-1].kron_reading
    # back to ∂L/∂W_hx: Σ_a g_a ∂h_a/∂W_hx, checked against NumPy for a random g
    assert d.devec is not None and "∂L/∂W_hx = e (g∘(1 − h∘h))ᵀ" in d.devec.text
    g = rng.normal(size=nh)
    np.testing.assert_allclose(np.einsum("a,abc->bc", g, D),
                               np.outer(vals["e"], g * (1 - hv**2)), rtol=1e-12)


def test_derivatives_by_a_named_intermediate():
    X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
    H = (X @ W).named("H")
    y_hat = (H @ v).named("ŷ")
    l = 0.5 * ic.sum((y_hat - y) ** 2)
    n, dd, hh = 5, 3, 4
    vals = dict(X=rng.normal(size=(n, dd)), W=rng.normal(size=(dd, hh)), v=rng.normal(size=hh),
                y=rng.normal(size=n))
    Hv = vals["X"] @ vals["W"]
    np.testing.assert_allclose(ic.diff(y_hat, H).evaluate(**vals, n=n),
                               np.einsum("h,nm->nmh", vals["v"], np.eye(n)), rtol=1e-12)
    dl_dH = _central(lambda t: 0.5 * np.sum((t @ vals["v"] - vals["y"]) ** 2), Hv)
    assert_close(ic.grad(l, H).evaluate(**vals), dl_dH, what="dl/dH")
    d = ic.explain(l, H)
    assert d.steps[-1].target == "df/dH"
    assert_close(d.matrix_form.evaluate(**vals), dl_dH, what="explain dl/dH")
    np.testing.assert_allclose(ic.diff(H, W).evaluate(X=vals["X"], h=hh),
                               np.einsum("nd,hk->nhdk", vals["X"], np.eye(hh)), rtol=1e-12)
    with pytest.raises(ic.IndexcalcError, match="name"):
        ic.diff(ic.sum(X @ W), (X @ W).named("X"))  # clashes with the tensor X


def test_explanation_grows_linearly_with_depth():
    x = ic.Tensor("x", "n")
    e = x
    for _ in range(120):
        e = ic.sin(e)
    d = ic.explain(ic.sum(e), x)
    steps = str(d).split("Result:")[0].splitlines()  # the result itself is one long product
    assert len(d.steps) == 121 and max(len(line) for line in steps) < 400
    v = np.array([0.1, 0.3, 0.5])
    expected = np.ones(3)
    for _ in range(120):
        expected, v = expected * np.cos(v), np.sin(v)
    np.testing.assert_allclose(d.result.evaluate(x=np.array([0.1, 0.3, 0.5])), expected, rtol=1e-10)


def test_explain_refuses_bad_options_by_name():
    x = ic.Tensor("x", 3)
    with pytest.raises(ic.IndexcalcError, match="vec"):
        ic.explain(ic.sum(ic.exp(x)), x, vec="diagonal")
    with pytest.raises(ic.IndexcalcError, match="normalized"):
        ic.explain(ic.sum(ic.exp(x)), x, normalized=[3])


def test_latex_carries_the_readings_labels_and_notes():
    J, H, h, vals = _rnn_lm()
    d = ic.explain(J, H, vectors="row", normalized=["y"])
    tex = d.latex()
    assert_well_formed(tex)
    assert r"\text{reading: order 3, never built" in tex
    assert r"\text{note: assumes Σ y = 1 (declared normalized)}" in tex
    assert r"\text{df/dH, denominator layout, row vectors, nh × nh}" in tex
    assert r"\mathrm{z1}" not in tex and "{z_{1}}" in tex  # the index lines' names in the forms


def test_names_agree_without_a_named_hidden_state():
    h_prev, H, U, y = ic.tensors("h_prev[nh] H[nh,nh] U[nh,nv] y[nv]")
    J = -ic.sum(y * ic.log(ic.softmax(ic.sigmoid(h_prev @ H) @ U)))
    text = str(ic.explain(J, H, vectors="row"))
    # σ(z1) is not named: σ'(z1) everywhere, never z2∘(1 − z2) in one line and σ' in another
    assert "σ'(z1" in text and "(1 − z2)" not in text and "(1 - z2" not in text


def test_the_function_itself_is_named_alike_in_the_steps_and_the_result():
    W, x = ic.tensors("W[m,n] x[n]")
    d = ic.explain(ic.tanh(W @ x), x, layout="numerator")
    assert d.steps[-1].matrix.text == d.matrix.text == "diag(1 − f∘f) W"
    vals = {"W": rng.normal(size=(4, 3)), "x": rng.normal(size=3)}
    t = np.tanh(vals["W"] @ vals["x"])
    np.testing.assert_allclose(d.matrix_form.evaluate(**vals), (1 - t**2)[:, None] * vals["W"])


def test_a_name_given_by_names_is_the_intermediates_name_in_every_line():
    h_prev, H, U, y = ic.tensors("h_prev[nh] H[nh,nh] U[nh,nv] y[nv]")
    z = ic.sigmoid(h_prev @ H) @ U
    J = -ic.sum(y * ic.log(ic.softmax(z)))
    d = ic.explain(J, H, vectors="row", names=[ic.softmax(z).named("ŷ")], normalized=["y"])
    text = str(d)
    assert "ŷ[nv] = softmax_nv(" in text and "df/dŷ" in text
    assert all("ŷ" in s.matrix.text for s in d.steps if s.node in ("z2", "h", "H"))
    assert d.matrix.text.replace(" ", "") == "h_prevᵀ(−y+ŷ)Uᵀdiag(σ'(z1))"


def test_second_order_and_products_by_a_named_intermediate():
    X, W, v, y, u = ic.tensors("X[n,d] W[d,h] v[h] y[n] u[n,h]")
    H = (X @ W).named("H")
    l = 0.5 * ic.sum((ic.tanh(H @ v) - y) ** 2)
    vals = dict(X=rng.normal(size=(5, 3)), W=rng.normal(size=(3, 4)), v=rng.normal(size=4),
                y=rng.normal(size=5), u=rng.normal(size=(5, 4)))
    Hv = vals["X"] @ vals["W"]

    def loss(Hm):
        return 0.5 * np.sum((np.tanh(Hm @ vals["v"]) - vals["y"]) ** 2)

    def gradient(Hm):
        return _central(loss, Hm)

    step = 1e-4
    fd_hvp = (gradient(Hv + step * vals["u"]) - gradient(Hv - step * vals["u"])) / (2 * step)
    assert_close(ic.hvp(l, H, u).evaluate(**vals), fd_hvp, rtol=1e-4, what="hvp by H")
    hess = ic.hessian(l, H).evaluate(**vals)
    assert_close(np.einsum("abcd,cd->ab", hess, vals["u"]), fd_hvp, rtol=1e-4, what="hessian by H")
    np.testing.assert_allclose(ic.hessian_diagonal(l, H).evaluate(**vals),
                               np.einsum("abab->ab", hess), rtol=1e-10)
    t = np.tanh(Hv @ vals["v"])
    np.testing.assert_allclose(ic.vjp(ic.tanh(H @ v), H, y).evaluate(**vals),
                               np.outer(vals["y"] * (1 - t**2), vals["v"]), rtol=1e-10)
