"""``ic.scan``: a recurrence as one node — evaluated as a loop, differentiated through time.

Oracles written here, never from the library's helpers: a NumPy loop for the values, the same RNN
unrolled with indexcalc (one node per step, the classic way) for the gradients to round-off, and
central finite differences in float64 (``tests/_fd.py``). Sizes 3, 4, 5 are distinct, and the
lengths T = 1, 2, 5 cover a single step, one link and a chain.
"""

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.core.graph_walk import postorder
from indexcalc.core.nodes import Scan

import graph_check
from _fd import assert_close, fd_jacobian
from _latex import assert_well_formed

N, D = 3, 4  # state and input sizes (T = 5 is the third distinct size)


def _values(T: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {"W": rng.normal(size=(N, N)) / 2, "U": rng.normal(size=(N, D)) / 2,
            "h0": rng.normal(size=N), "xs": rng.normal(size=(T, D)),
            "C": rng.normal(size=(T, N))}


def _rnn(T, named: bool = False):
    W, U, h0 = ic.tensors(f"W[{N},{N}] U[{N},{D}] h0[{N}]")
    xs = ic.Tensor("xs", ("T" if named else T, D))
    C = ic.Tensor("C", ("T" if named else T, N))
    H = ic.scan(lambda h, x: ic.tanh(W @ h + U @ x), h0, xs)
    return H, ic.sum(H * C), (W, U, h0, xs)


def _numpy_rnn(v: dict) -> np.ndarray:
    h, out = v["h0"], []
    for x in v["xs"]:
        h = np.tanh(v["W"] @ h + v["U"] @ x)
        out.append(h)
    return np.array(out)


def _unrolled_loss(T: int):
    """The same RNN and loss built the classic way: one indexcalc node per step."""
    W, U, h0 = ic.tensors(f"W[{N},{N}] U[{N},{D}] h0[{N}]")
    xs, C = ic.Tensor("xs", (T, D)), ic.Tensor("C", (T, N))
    h, steps = h0, []
    for t in range(T):
        h = ic.tanh(W @ h + U @ xs[t])
        steps.append(h)
    return ic.sum(ic.stack(steps) * C)


@pytest.mark.parametrize("T", [1, 2, 5])
@pytest.mark.parametrize("named", [False, True])
def test_values_equal_a_numpy_loop(T, named):
    H, _, _ = _rnn(T, named)
    v = _values(T)
    assert H.shape == ("T" if named else T, N)
    assert_close(ic.evaluate(H, **v), _numpy_rnn(v), 1e-13)


@pytest.mark.parametrize("T", [1, 2, 5])
def test_gradient_equals_the_unrolled_one_and_finite_differences(T):
    _, loss, variables = _rnn(T)
    unrolled = _unrolled_loss(T)
    v = _values(T, seed=T)
    for x in variables:
        g = ic.evaluate(ic.grad(loss, x), **v)
        assert g.shape == x.shape
        np.testing.assert_allclose(g, ic.evaluate(ic.grad(unrolled, ic.Tensor(x.name, x.shape)), **v),
                                   rtol=1e-12, atol=1e-13, err_msg=x.name)
        assert_close(g, fd_jacobian(loss, x, v), 1e-6, x.name)


@pytest.mark.parametrize("T", [1, 2, 5])
def test_full_jacobian_is_a_forward_scan(T):
    H, _, variables = _rnn(T, named=True)
    v = _values(T, seed=10 + T)
    for x in variables:
        J = ic.diff(H, x)
        assert J.shape == H.shape + x.shape
        assert_close(ic.evaluate(J, **v), fd_jacobian(H, x, v), 1e-6, x.name)


def test_jvp_and_vjp():
    H, loss, (W, U, h0, xs) = _rnn(4)
    v = _values(4, seed=3)
    dW = np.random.default_rng(1).normal(size=(N, N))
    jvp = ic.evaluate(ic.jvp(H, W, dW), **v)
    assert_close(jvp, np.einsum("tiab,ab->ti", fd_jacobian(H, W, v), dW), 1e-6)
    ct = np.random.default_rng(2).normal(size=(4, N))
    vjp = ic.evaluate(ic.vjp(H, h0, ct), **v)
    assert_close(vjp, np.einsum("ti,tij->j", ct, fd_jacobian(H, h0, v)), 1e-6)


def test_gradient_of_the_final_carry_and_second_order():
    H, _, (W, U, h0, xs) = _rnn(3)
    v = _values(3, seed=4)
    final = ic.sum(H[-1] ** 2)
    assert_close(ic.evaluate(final, **v), np.sum(_numpy_rnn(v)[-1] ** 2), 1e-13)
    g = ic.grad(final, h0)
    assert_close(ic.evaluate(g, **v), fd_jacobian(final, h0, v), 1e-6)
    # forward over reverse: the tangent of the backward (reversed) scan
    assert_close(ic.evaluate(ic.hessian(final, h0), **v), fd_jacobian(g, h0, v), 1e-5)


def test_a_step_with_an_output_and_several_sequences():
    W, U, h0, V = ic.tensors(f"W[{N},{N}] U[{N},{D}] h0[{N}] V[5,{N}]")
    xs, zs = ic.tensors(f"xs[4,{D}] zs[4,{N}]")

    def step(h, x):
        x_t, z_t = x
        new = ic.tanh(W @ h + U @ x_t) * ic.sigmoid(z_t)
        return new, V @ new + ic.sum(h)

    H, Y = ic.scan(step, h0, (xs, zs))
    assert H.shape == (4, N) and Y.shape == (4, 5)
    rng = np.random.default_rng(6)
    v = {"W": rng.normal(size=(N, N)), "U": rng.normal(size=(N, D)), "h0": rng.normal(size=N),
         "V": rng.normal(size=(5, N)), "xs": rng.normal(size=(4, D)), "zs": rng.normal(size=(4, N))}
    h, ys = v["h0"], []
    for x, z in zip(v["xs"], v["zs"]):
        new = np.tanh(v["W"] @ h + v["U"] @ x) / (1 + np.exp(-z))
        ys.append(v["V"] @ new + h.sum())
        h = new
    assert_close(ic.evaluate(Y, **v), np.array(ys), 1e-13)
    loss = ic.sum(ic.sin(Y))
    for name in ("W", "h0", "V", "zs"):
        x = next(n for n in postorder([loss]) if isinstance(n, ic.Tensor) and n.name == name)
        assert_close(ic.evaluate(ic.grad(loss, x), **v), fd_jacobian(loss, x, v), 1e-6, name)
        assert_close(ic.evaluate(ic.diff(Y, x), **v), fd_jacobian(Y, x, v), 1e-6, name)


def test_derivation_does_not_grow_with_the_length():
    sizes = []
    for T in (5, 500):
        _, loss, (W, U, h0, xs) = _rnn(T)
        g = ic.grad(loss, W)
        graph_check.check(g)
        sizes.append(len(postorder([g])))
        assert sum(isinstance(n, Scan) for n in postorder([g])) <= 3  # no unrolling
    assert sizes[0] == sizes[1]


@pytest.mark.parametrize("named", [False, True])
def test_no_steps_at_all(named):
    T = "T" if named else 0
    W, h0, xs = ic.Tensor("W", (N, N)), ic.Tensor("h0", N), ic.Tensor("xs", (T, N))
    H = ic.scan(lambda h, x: ic.tanh(W @ h + x), h0, xs)
    v = {"W": np.eye(N), "h0": np.ones(N), "xs": np.ones((0, N))}
    assert ic.evaluate(H, **v).shape == (0, N)
    np.testing.assert_array_equal(ic.evaluate(ic.grad(ic.sum(H), W), **v), np.zeros((N, N)))
    assert ic.evaluate(ic.diff(H, h0), **v).shape == (0, N, N)
    if named:  # the first step's VJP reads step 0, which a length bound to 0 does not have
        with pytest.raises(ic.BindingError, match="'T' of size 0"):
            ic.evaluate(ic.grad(ic.sum(H), h0), **v)
    else:
        np.testing.assert_array_equal(ic.evaluate(ic.grad(ic.sum(H), h0), **v), np.zeros(N))


def test_to_python_writes_the_loop():
    _, loss, (W, U, h0, xs) = _rnn(5)
    v = _values(5, seed=7)
    g = ic.grad(loss, W)
    src = ic.to_python(g)
    assert "for _t in range(" in src
    namespace: dict = {}
    exec(compile(src, "<scan>", "exec"), namespace)
    assert_close(namespace["f"](**{k: v[k] for k in ("C", "U", "W", "h0", "xs")}),
                 ic.evaluate(g, **v), 1e-12)


def test_the_recurrence_prints_itself():
    H, loss, (W, U, h0, xs) = _rnn(5)
    text = str(H)
    assert "h_t[" in text and "h_{t-1}[" in text and "x_t[" in text and "tanh(" in text
    g = ic.grad(loss, W)
    assert "g_{t-1}[" in str(g) and "g_t[" in str(g)
    assert_well_formed(ic.to_latex(H))
    assert_well_formed(ic.to_latex(g))
    v = _values(5, seed=8)
    den = ic.to_matrix(g, layout="denominator")
    num = ic.to_matrix(g, layout="numerator")
    assert "g_{t-1} = Wᵀ (" in str(den)        # the gradient column, carried backwards
    assert "g_{t-1}ᵀ = (" in str(num) and ")ᵀ W" in str(num)   # the gradient row
    assert_close(den.evaluate(**v), ic.evaluate(g, **v), 1e-12)
    assert_close(num.evaluate(**v), ic.evaluate(g, **v).T, 1e-12)


def test_explain_says_backpropagation_through_time():
    _, loss, (W, U, h0, xs) = _rnn(3)
    d = ic.explain(loss, W)
    assert "backpropagation through time" in str(d)
    assert_well_formed(d.latex())
    v = _values(3, seed=9)
    assert_close(ic.evaluate(d.result, **v), fd_jacobian(loss, W, v), 1e-6)
    # the step's result reads as it is computed, backwards (g_{t-1} from g_t), with the forward
    # scan by its name: it used to contract the never-built forward tangent dh_t
    last = d.steps[-1].index.text
    assert "g_{t-1}[" in last and "dh_t[" not in last and "tanh(" not in last, last
    assert "h_t = h_t" not in str(d) and "h_t[n] = h_t[n]" not in str(d)
    # the chain line too: the backward recurrence, not a contraction with the forward tangent
    # (order 4, which the step's local line shows and its reading says is never built)
    step = d.steps[-1]
    assert step.through_time and "dh_t[" not in step.chain.text and "g_{t-1}[" in step.chain.text
    tangent = next(loc for loc in step.locals if "dh_t[" in loc.index.text)
    assert "never built" in tangent.reading and "backpropagation through time" in tangent.reading
    assert "chain rule (backpropagation through time):" in str(d)
    assert r"\text{reading: order" in d.latex()


@pytest.mark.parametrize("backend", ["jax", "torch", "dask"])
def test_backends_loop_too(backend):
    pytest.importorskip(backend, reason=f"the {backend} extra is not installed")
    H, loss, (W, U, h0, xs) = _rnn(4)
    v = _values(4, seed=11)
    g = ic.grad(loss, U)
    out = ic.compile(g, backend=backend)(**v)
    out = out.compute() if hasattr(out, "compute") else out
    # JAX computes in float32 unless x64 is enabled
    assert_close(np.asarray(out), ic.evaluate(g, **v), 1e-5 if backend == "jax" else 1e-12, backend)


def test_refusals_name_the_problem():
    W, h0, xs, A = ic.tensors(f"W[{N},{N}] h0[{N}] xs[5,{N}] A[{N},{D}]")
    with pytest.raises(ic.ShapeError, match="keeps its shape"):
        ic.scan(lambda h, x: A.T @ h, h0, xs)
    with pytest.raises(ic.IndexcalcError, match="could not be traced.*np.linalg.qr"):
        ic.scan(lambda h, x: np.linalg.qr(h), h0, xs)
    with pytest.raises(ic.IndexcalcError, match="could not be traced.*AttributeError"):
        ic.scan(lambda h, x: h.no_such_method(), h0, xs)
    with pytest.raises(ic.IndexcalcError, match="returned 3 values"):
        ic.scan(lambda h, x: (h, h, h), h0, xs)
    with pytest.raises(ic.IndexcalcError, match="not an expression"):
        ic.scan(lambda h, x: "h", h0, xs)
    with pytest.raises(ic.ShapeError, match="leading axis is time"):
        ic.scan(lambda h, x: h, h0, ic.Tensor("s", ()))
    with pytest.raises(ic.ShapeError, match="lengths"):
        ic.scan(lambda h, x: h + x[0], h0, (xs, ic.Tensor("ys", (4, N))))
    with pytest.raises(ic.IndexcalcError, match="nested"):
        ic.scan(lambda h, x: h + ic.scan(lambda c, y: c + y, h, xs)[0], h0, xs)
    with pytest.raises(ic.IndexcalcError, match="step must be a function"):
        ic.scan(3, h0, xs)


def test_a_closed_over_tensor_named_like_the_carry_stays_distinct():
    h = ic.Tensor("h", N)  # the user's own h, closed over by a step whose carry is also "h"
    h0, xs = ic.tensors(f"h0[{N}] xs[3,{N}]")
    H = ic.scan(lambda h_, x: h_ * 0.5 + h + x, h0, xs)
    H2 = ic.scan(lambda h, x: h * 0.5 + ic.Tensor("h", N) + x, h0, xs)
    rng = np.random.default_rng(12)
    v = {"h": rng.normal(size=N), "h0": rng.normal(size=N), "xs": rng.normal(size=(3, N))}
    c, ref = v["h0"], []
    for x in v["xs"]:
        c = c * 0.5 + v["h"] + x
        ref.append(c)
    assert_close(ic.evaluate(H, **v), np.array(ref), 1e-13)
    assert_close(ic.evaluate(H2, **v), np.array(ref), 1e-13)
    assert_close(ic.evaluate(ic.grad(ic.sum(H2), h), **v), fd_jacobian(ic.sum(H2), h, v), 1e-6)
