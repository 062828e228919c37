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
from abstractions.exceptions import InvalidValueError, TooLargeError

__all__ = ["MAX_STATES", "bit_serial_parity", "counter", "parity_by_counting"]


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


#: Default limit on the states of the built-in bit readers (as for
#: :meth:`Computation.from_functions`).
MAX_STATES = 1_000_000


def _bit_reader(
    n_bits: int,
    update: Callable[[int, int], int],
    report: Callable[[int], Any],
    values: Callable[[int], int],
    max_states: int,
    name: str,
) -> Computation:
    """Read all ``n_bits``-bit strings one bit per step into an accumulator.

    States are ``(bits still to read, accumulator)``, starting at 0; halts
    when no bits are left; the output of a state is ``report(accumulator)``.
    ``values(k)`` is the number of accumulator values after reading ``k``
    bits: with it the number of states is known, and checked against
    ``max_states``, before any input is built.
    """
    size = as_count(n_bits, "n_bits")
    limit = as_count(max_states, "max_states")
    # 2**size strings of the last length alone: refuse before computing
    # 2**size for an absurd size (2**(10**9) is itself 125 MB).
    if size >= limit.bit_length():
        raise TooLargeError(
            f"{name}({size}) has more than 2**{size} states, more than max_states={limit}"
        )
    states = sum(2 ** (size - k) * values(k) for k in range(size + 1))
    if states > limit:
        raise TooLargeError(f"{name}({size}) has {states} states, more than max_states={limit}")
    words = ["".join(bits) for bits in product("01", repeat=size)]
    return Computation.from_functions(
        lambda s: (s[0][1:], update(s[1], int(s[0][0]))),
        {word: (word, 0) for word in words},
        halted=lambda s: s[0] == "",
        output=lambda s: report(s[1]),
        max_states=limit,
    )


def bit_serial_parity(n_bits: int = 3, *, max_states: int = MAX_STATES) -> Computation:
    """Parity of a bit string, read one bit per step.

    A state is ``(bits still to read, parity so far)``, e.g. ``("01", 1)``.
    Each step reads the first remaining bit into the parity; the run halts
    when no bits are left, and the output of every state is the parity so
    far. The inputs are all bit strings of length ``n_bits``.

    Parameters
    ----------
    n_bits : int, default 3
        Length of the input strings.
    max_states : int, default MAX_STATES
        Refuse, before building anything, a machine with more states.

    Returns
    -------
    Computation
        On the states reachable from the inputs: ``2**(n_bits + 1) +
        2**n_bits - 2`` of them.

    Raises
    ------
    TooLargeError
        If the machine would have more than ``max_states`` states.

    Examples
    --------
    >>> C = bit_serial_parity(3)
    >>> C.run("101"), C.run("111")
    (0, 1)
    >>> C.n
    22
    """
    return _bit_reader(n_bits, lambda acc, bit: acc ^ bit, lambda acc: acc,
                       lambda k: min(k + 1, 2), max_states, "bit_serial_parity")


def parity_by_counting(n_bits: int = 3, *, max_states: int = MAX_STATES) -> Computation:
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
    max_states : int, default MAX_STATES
        Refuse, before building anything, a machine with more states.

    Returns
    -------
    Computation
        On the states reachable from the inputs: ``sum(2**(n_bits - k) * (k + 1))``
        over ``k = 0 .. n_bits`` bits read.

    Raises
    ------
    TooLargeError
        If the machine would have more than ``max_states`` states.

    Examples
    --------
    >>> C = parity_by_counting(3)
    >>> C.run("111"), C.n
    ('odd', 26)
    """
    return _bit_reader(n_bits, lambda acc, bit: acc + bit, lambda acc: "odd" if acc % 2 else "even",
                       lambda k: k + 1, max_states, "parity_by_counting")
