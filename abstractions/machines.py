"""Small built-in computations used by the demo, the examples and the tests.

Each builder returns a :class:`~abstractions.Computation` whose states are
named, so tables and abstractions read in the machine's own terms.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from typing import Any

import numpy as np

from abstractions._validation import as_count
from abstractions.computation import Computation
from abstractions.exceptions import InvalidValueError

__all__ = ["counter", "bit_serial_parity", "parity_by_counting"]


def counter(modulus: int) -> Computation:
    """A counter mod ``modulus`` that never halts; the output is the value.

    Parameters
    ----------
    modulus : int
        Number of states, at least 1.

    Returns
    -------
    Computation
        States ``0 .. modulus-1``, ``step[v] = (v + 1) % modulus``, every
        state an input.

    Examples
    --------
    >>> counter(4).step
    array([1, 2, 3, 0])
    """
    size = as_count(modulus, "modulus")
    if size < 1:
        raise InvalidValueError(f"modulus must be at least 1, got {size}")
    return Computation((np.arange(size) + 1) % size)


def _bit_reader(
    n_bits: int, update: Callable[[int, int], int], report: Callable[[int], Any]
) -> Computation:
    """Read all ``n_bits``-bit strings one bit per step into an accumulator.

    States are ``(bits still to read, accumulator)``, starting at 0; halts
    when no bits are left; the output of a state is ``report(accumulator)``.
    """
    size = as_count(n_bits, "n_bits")
    words = ["".join(bits) for bits in product("01", repeat=size)]
    return Computation.from_functions(
        lambda s: (s[0][1:], update(s[1], int(s[0][0]))),
        {word: (word, 0) for word in words},
        halted=lambda s: s[0] == "",
        output=lambda s: report(s[1]),
    )


def bit_serial_parity(n_bits: int = 3) -> Computation:
    """Parity of a bit string, read one bit per step.

    A state is ``(bits still to read, parity so far)``, e.g. ``("01", 1)``.
    Each step reads the first remaining bit into the parity; the run halts
    when no bits are left, and the output of every state is the parity so
    far. The inputs are all bit strings of length ``n_bits``.

    Parameters
    ----------
    n_bits : int, default 3
        Length of the input strings.

    Returns
    -------
    Computation
        On the states reachable from the inputs.

    Examples
    --------
    >>> C = bit_serial_parity(3)
    >>> C.run("101"), C.run("111")
    (0, 1)
    >>> C.n
    22
    """
    return _bit_reader(n_bits, lambda acc, bit: acc ^ bit, lambda acc: acc)


def parity_by_counting(n_bits: int = 3) -> Computation:
    """Parity of a bit string computed wastefully: count the ones, then report odd or even.

    A state is ``(bits still to read, ones counted so far)``, e.g.
    ``("01", 2)``. Each step reads one bit into the count; the run halts when
    no bits are left. The output of every state is ``"odd"`` or ``"even"``
    (the parity of the count so far). The count holds more than the output
    needs: its minimal complete abstraction keeps only the count mod 2.

    Parameters
    ----------
    n_bits : int, default 3
        Length of the input strings.

    Returns
    -------
    Computation
        On the states reachable from the inputs.

    Examples
    --------
    >>> C = parity_by_counting(3)
    >>> C.run("111"), C.n
    ('odd', 26)
    """
    return _bit_reader(n_bits, lambda acc, bit: acc + bit, lambda acc: "odd" if acc % 2 else "even")
