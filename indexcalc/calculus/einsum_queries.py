"""Einsum-string queries: the einsum of a gradient or of a full Jacobian, as a string.

The gradient of ``out = einsum(s, A_0, ..., A_n)`` by ``A_k``, given the output's cotangent
``G``, is again an einsum: swap ``A_k``'s term with the output's. Two things need an operand
that is not among ``A_i`` and ``G``, because ``numpy.einsum`` cannot name an output letter that
no input has:

- a letter repeated inside ``A_k``'s term (a diagonal or a trace) is untied into fresh letters
  joined by a Kronecker delta, ``("delta", "ia")``: the identity matrix over that dimension;
- a letter that only ``A_k`` has (summed away in the forward pass) broadcasts the gradient along
  it, through ``("ones", "j")``: a vector of ones of that letter's size.

Fresh letters are the first letters (``a-z``, then ``A-Z``) that the subscripts do not use.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Sequence

import numpy as np

from indexcalc.errors import ParseError, ShapeError
from indexcalc.frontend.subscripts import ELLIPSIS, implicit_output, parse_subscripts, split_subscripts

DELTA = "delta"
ONES = "ones"


def _forward_terms(subscripts: str, wrt: int) -> tuple[list[str], str]:
    """The forward pass's input terms and its output term (implicit mode resolved); checks ``wrt``."""
    inputs, output = split_subscripts(subscripts)
    if isinstance(wrt, bool) or not isinstance(wrt, int):
        raise ParseError(f"einsum {subscripts!r}: wrt must be an operand number (an int), got {wrt!r}")
    if not 0 <= wrt < len(inputs):
        raise ParseError(
            f"einsum {subscripts!r}: wrt={wrt} is out of range for {len(inputs)} operands "
            f"(0 to {len(inputs) - 1})"
        )
    return inputs, implicit_output(inputs) if output is None else output


def _fresh_letters(subscripts: str, count: int) -> str:
    """``count`` letters that ``subscripts`` does not use, in order a-z, A-Z."""
    unused = [x for x in string.ascii_letters if x not in subscripts]
    if count > len(unused):
        problem = f"needs {count} fresh letters but only {len(unused)} are unused"
        raise ParseError(f"einsum {subscripts!r}: {problem}")
    return "".join(unused[:count])


def _untie_repeats(term: str, fresh: str) -> tuple[str, list[str]]:
    """Rename the second and later occurrences of each letter of ``term`` to fresh letters.

    Returns the renamed term and one delta term (original letter, fresh letter) per renaming.
    """
    renamed, deltas, seen, spare = [], [], set(), iter(fresh)
    for char in term:
        if char.isalpha() and char in seen:
            new = next(spare)
            deltas.append(char + new)
            char = new
        seen.add(char)
        renamed.append(char)
    return "".join(renamed), deltas


def _broadcast_letters(inputs: Sequence[str], output: str, wrt: int) -> list[str]:
    """Letters that only operand ``wrt`` has, once, and the output lacks: summed-away axes."""
    counts = Counter("".join(inputs))
    return [x for x in inputs[wrt] if x.isalpha() and counts[x] == 1 and x not in output]


def _repeats(term: str) -> int:
    letters = term.replace(ELLIPSIS, "")
    return len(letters) - len(set(letters))


def _label_sizes(
    subscripts: str, shapes: Sequence[tuple[int, ...]], labels: Sequence[tuple[str, ...]]
) -> dict[str, int]:
    """Each label's size over all operands: NumPy broadcasts a size 1 to the others."""
    sizes: dict[str, int] = {}
    for position, (shape, term) in enumerate(zip(shapes, labels)):
        for axis, (label, size) in enumerate(zip(term, shape)):
            known = sizes.get(label, 1)
            if size != known and 1 not in (size, known):
                raise ShapeError(
                    f"einsum {subscripts!r}: size of label {label!r} for operand {position} "
                    f"axis {axis} ({size}) does not match previous terms ({known})"
                )
            sizes[label] = max(size, known)
    return sizes


def _extra_array(kind: str, letters: str, sizes: dict[str, int], dtype: np.dtype) -> np.ndarray:
    if kind == DELTA:
        return np.eye(sizes[letters[0]], dtype=dtype)
    return np.ones([sizes[x] for x in letters], dtype=dtype)


def _sum_to_shape(array: np.ndarray, shape: tuple[int, ...], ellipsis_at: int) -> np.ndarray:
    """Sum away the axes NumPy added or stretched when it broadcast an operand of ``shape``.

    Added axes are the leading ones of the ellipsis, which starts at axis ``ellipsis_at``.
    """
    array = array.sum(axis=tuple(range(ellipsis_at, ellipsis_at + array.ndim - len(shape))))
    stretched = tuple(k for k, (have, want) in enumerate(zip(array.shape, shape)) if want == 1 != have)
    return array.sum(axis=stretched, keepdims=True)


class EinsumGrad(str):
    """The einsum string of a gradient, equal to that string, with the extra operands it needs.

    ``np.einsum(g, *others, cotangent, *extras)`` runs: the forward operands other than ``wrt``
    in order, the output's cotangent, then one array per entry of :attr:`extras`:

    - ``("delta", "ia")``: the identity matrix over the dimension of letter ``i`` (``a`` is a
      fresh letter standing for a second occurrence of ``i`` in operand ``wrt``);
    - ``("ones", "j")``: a vector of ones as long as the axis of letter ``j``.

    :meth:`operands` builds that argument list. The result has operand ``wrt``'s shape unless
    NumPy broadcast that operand (an ellipsis covering fewer axes than the output's, an axis of
    size 1): then it has the broadcast shape, and :meth:`evaluate` sums it back down.

    Attributes:
        subscripts: the forward einsum string.
        wrt: the operand differentiated by.
        extras: ``(kind, letters)`` for each operand after the cotangent.

    Examples:
        >>> g = einsum_grad("ij->i", 0)
        >>> g, g.extras
        ('i,j->ij', (('ones', 'j'),))
        >>> A, G = np.ones((2, 3)), np.array([1.0, 2.0])
        >>> np.einsum(g, *g.operands(A, cotangent=G))
        array([[1., 1., 1.],
               [2., 2., 2.]])
    """

    subscripts: str
    wrt: int
    extras: tuple[tuple[str, str], ...]

    def __new__(cls, text: str, subscripts: str, wrt: int, extras: tuple[tuple[str, str], ...]) -> EinsumGrad:
        self = super().__new__(cls, text)
        self.subscripts, self.wrt, self.extras = subscripts, wrt, extras
        return self

    def __getnewargs__(self) -> tuple[str, str, int, tuple[tuple[str, str], ...]]:
        return str(self), self.subscripts, self.wrt, self.extras

    def operands(self, *operands: np.ndarray, cotangent: np.ndarray) -> tuple[np.ndarray, ...]:
        """The arguments for ``np.einsum(self, ...)``.

        Args:
            *operands: all the forward operands, operand ``wrt`` included (for its shape).
            cotangent: the cotangent of the forward output.

        Returns:
            The other operands in order, the cotangent, then the arrays :attr:`extras` describe.

        Raises:
            ParseError: the operands do not fit the forward subscripts.
            ShapeError: a letter with two sizes, or a cotangent of the wrong shape.
        """
        arrays = [np.asarray(x) for x in operands]
        cotangent = np.asarray(cotangent)
        labels, output = parse_subscripts(self.subscripts, [x.ndim for x in arrays])
        sizes = _label_sizes(self.subscripts, [x.shape for x in arrays], labels)
        expected = tuple(sizes[label] for label in output)
        if cotangent.shape != expected:
            raise ShapeError(
                f"einsum {self.subscripts!r}: the cotangent has shape {cotangent.shape}, "
                f"the output has shape {expected}"
            )
        extras = [_extra_array(kind, letters, sizes, cotangent.dtype) for kind, letters in self.extras]
        return (*arrays[: self.wrt], *arrays[self.wrt + 1 :], cotangent, *extras)

    def evaluate(self, *operands: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        """The gradient by operand ``wrt``, of that operand's shape (broadcasting summed back).

        Examples:
            >>> g = einsum_grad("i,...i->...i", 0)
            >>> g
            '...i,...i->...i'
            >>> g.evaluate(np.ones(3), np.ones((2, 3)), cotangent=np.ones((2, 3)))
            array([2., 2., 2.])
        """
        result = np.einsum(self, *self.operands(*operands, cotangent=cotangent))
        ellipsis_at = max(self.partition("->")[2].find(ELLIPSIS), 0)
        return _sum_to_shape(result, np.shape(operands[self.wrt]), ellipsis_at)


def einsum_grad(subscripts: str, wrt: int) -> EinsumGrad:
    """The einsum string of the gradient (VJP) of ``einsum(subscripts, ...)`` by operand ``wrt``.

    Its operands are the other forward operands in order, then the output's cotangent, then the
    extra operands listed in ``.extras`` (see :class:`EinsumGrad`: a ``delta`` per repeated letter
    of operand ``wrt``, a ``ones`` vector per letter only that operand has). An operand passed
    twice gets the sum of the gradients of both positions.

    Args:
        subscripts: the forward einsum string (explicit or implicit, ``...`` allowed).
        wrt: the position of the operand to differentiate by.

    Returns:
        An :class:`EinsumGrad`: a ``str`` equal to the complete einsum string.

    Raises:
        ParseError: malformed ``subscripts``, or ``wrt`` not an operand position.

    Examples:
        >>> einsum_grad("ij,jk->ik", 0)
        'jk,ik->ij'
        >>> einsum_grad("ij,jk->ik", 1)
        'ij,ik->jk'
        >>> g = einsum_grad("ii->", 0)   # trace: the gradient is G times the identity
        >>> g, g.extras
        (',ia->ia', (('delta', 'ia'),))
        >>> np.einsum(g, np.array(3.0), np.eye(2))
        array([[3., 0.],
               [0., 3.]])
        >>> einsum_grad("...ij,...jk->...ik", 1)
        '...ij,...ik->...jk'
    """
    inputs, output = _forward_terms(subscripts, wrt)
    target, deltas = _untie_repeats(inputs[wrt], _fresh_letters(subscripts, _repeats(inputs[wrt])))
    if ELLIPSIS not in target and any(ELLIPSIS in term for term in [*inputs, output]):
        target = ELLIPSIS + target  # NumPy cannot sum an ellipsis away; evaluate() does.
    ones = _broadcast_letters(inputs, output, wrt)
    terms = [*inputs[:wrt], *inputs[wrt + 1 :], output, *deltas, *ones]
    extras = tuple((DELTA, pair) for pair in deltas) + tuple((ONES, x) for x in ones)
    return EinsumGrad(",".join(terms) + "->" + target, subscripts, wrt, extras)


def _jacobian_axes(subscripts: str, target: str, output: str) -> tuple[str, list[str]]:
    """Letters for the Jacobian's axes of operand ``wrt``, and the deltas that tie them.

    A letter's first occurrence names its axis directly when the output does not have it (the
    delta meets a summed letter and becomes a rename); every other axis gets a fresh letter and
    a delta to the letter it stands for.
    """
    needs_fresh = _repeats(target) + len(set(target) & set(output))
    spare, axes, deltas, seen = iter(_fresh_letters(subscripts, needs_fresh)), [], [], set()
    for letter in target:
        if letter in seen or letter in output:
            axes.append(next(spare))
            deltas.append(letter + axes[-1])
        else:
            axes.append(letter)
        seen.add(letter)
    return "".join(axes), deltas


def einsum_jacobian(subscripts: str, wrt: int) -> tuple[str, tuple[str, ...]]:
    """The einsum of the full derivative ``D[out..., a...] = ∂out[out...] / ∂A_wrt[a...]``.

    Output axes come first, then operand ``wrt``'s axes (the ``jax.jacobian`` convention).

    Args:
        subscripts: the forward einsum string (explicit or implicit).
        wrt: the position of the operand to differentiate by.

    Returns:
        The subscripts of ``D`` and a spec naming each of its operands, in order:
        ``"op2"`` is forward operand 2; ``"delta"`` is the identity matrix over the dimension of
        its term's letters; ``"ones"`` is an array of ones over its term's letters (an axis only
        operand ``wrt`` has, along which ``D`` is constant; or a scalar ``1.0`` when ``D`` has
        no other operand).

    Raises:
        ParseError: malformed ``subscripts``, ``wrt`` not an operand position, or an ellipsis in
            operand ``wrt`` that the output keeps (its axes would need letters of their own:
            write them as letters).

    Examples:
        >>> einsum_jacobian("ij,jk->ik", 0)
        ('jk,ia->ikaj', ('op1', 'delta'))
        >>> einsum_jacobian("ij->", 0)
        ('i,j->ij', ('ones', 'ones'))
        >>> s, spec = einsum_jacobian("ii->i", 0)   # D[i, a, b] = δ_ia δ_ib
        >>> s, spec
        ('ia,ib->iab', ('delta', 'delta'))
        >>> np.einsum(s, np.eye(2), np.eye(2))[1]
        array([[0., 0.],
               [0., 1.]])
    """
    inputs, output = _forward_terms(subscripts, wrt)
    target = inputs[wrt]
    if ELLIPSIS in target:
        if ELLIPSIS in output:
            raise ParseError(
                f"einsum {subscripts!r}: the Jacobian by operand {wrt} cannot be written with its "
                f"'...' kept in the output; write the axes of term {wrt} {target!r} as letters"
            )
        target = target.replace(ELLIPSIS, "")  # it covers no axes, or NumPy would refuse the string
    axes, deltas = _jacobian_axes(subscripts, target, output)
    ones = _broadcast_letters([*inputs[:wrt], target, *inputs[wrt + 1 :]], output, wrt)
    others = [k for k in range(len(inputs)) if k != wrt]
    terms = [inputs[k] for k in others] + deltas + ones
    spec = tuple(f"op{k}" for k in others) + (DELTA,) * len(deltas) + (ONES,) * len(ones)
    if not terms:
        terms, spec = [""], (ONES,)
    return ",".join(terms) + "->" + output + axes, spec
