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
from abstractions.exceptions import InvalidTypeError, InvalidValueError, TooLargeError
from abstractions.systems import LabelledSystem, TransitionSystem

__all__ = [
    "MAX_STATES",
    "counter",
    "bit_serial_parity",
    "parity_by_counting",
    "TOMITA",
    "tomita",
    "sample_strings",
]


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


#: The seven Tomita grammars over ``{"0", "1"}`` (Tomita 1982), the standard
#: benchmark of automaton extraction from recurrent networks: per grammar,
#: its description, the minimal DFA's steps on ``"0"`` and on ``"1"`` (start
#: state 0) and its accepting states.
TOMITA: dict[int, tuple[str, tuple[list[int], list[int]], list[bool]]] = {
    1: ("1*", ([1, 1], [0, 1]), [True, False]),
    2: ("(10)*", ([2, 0, 2], [1, 2, 2]), [True, False, False]),
    3: (
        "no odd run of 0s after an odd run of 1s",
        ([0, 2, 3, 2, 4], [1, 0, 4, 3, 4]),
        [True, True, False, True, False],
    ),
    4: ("no 000", ([1, 2, 3, 3], [0, 0, 0, 3]), [True, True, True, False]),
    5: ("even number of 0s and of 1s", ([1, 0, 3, 2], [2, 3, 0, 1]), [True, False, False, False]),
    6: ("(number of 0s - number of 1s) divisible by 3", ([1, 2, 0], [2, 0, 1]), [True, False, False]),
    7: ("0*1*0*1*", ([0, 2, 2, 4, 4], [1, 1, 3, 3, 4]), [True, True, True, True, False]),
}


def tomita(number: int) -> LabelledSystem:
    """The minimal DFA of Tomita grammar ``number`` (1 to 7).

    Symbols ``"0"`` and ``"1"``, output True on accepting states, the start
    state 0 as the one input ``""`` (the empty string leads there).

    Examples
    --------
    >>> T = tomita(4)                      # no "000"
    >>> T.n, T.symbols, T.output_value(T.start(""))
    (4, ('0', '1'), True)
    """
    if isinstance(number, bool) or not isinstance(number, int) or number not in TOMITA:
        raise InvalidValueError(f"number must be a Tomita grammar 1..7, got {number!r}")
    _, (zero, one), accepting = TOMITA[number]
    result: LabelledSystem = TransitionSystem.labelled(  # type: ignore[assignment]
        {"0": zero, "1": one}, output=accepting, inputs={"": 0}
    )
    return result


def sample_strings(
    dfa: LabelledSystem,
    length: int,
    count: int,
    *,
    output: Any = None,
    seed: int | np.random.Generator | None = None,
) -> list[Any]:
    """Strings of one length, uniform among those on which ``dfa`` gives ``output``.

    Counting the strings of each length from each state (dynamic
    programming over the steps) makes every string with the wanted output
    equally likely, however rare: ``1*`` has one string of each length among
    ``2**length``.

    Parameters
    ----------
    dfa : LabelledSystem
        With one input (the start state); its symbols are the letters.
    length : int
    count : int
        How many strings (drawn with replacement).
    output : optional
        The output value the strings must lead to; None draws uniformly
        among all strings.
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    list
        Strings as ``str`` when every symbol is a one-character string,
        tuples otherwise.

    Raises
    ------
    InvalidValueError
        If no string of that length leads to ``output``.

    Examples
    --------
    >>> sample_strings(tomita(1), 4, 2, output=True, seed=0)
    ['1111', '1111']
    >>> sample_strings(tomita(2), 3, 1, output=True)
    Traceback (most recent call last):
    ...
    abstractions.exceptions.InvalidValueError: no string of length 3 leads to output True
    """
    if not isinstance(dfa, LabelledSystem):
        raise InvalidTypeError(f"dfa must be a LabelledSystem, got {type(dfa).__name__}")
    dfa._require_total("sample_strings")
    size, many = as_count(length, "length"), as_count(count, "count")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    steps = dfa.steps
    k = steps.shape[0]
    symbols = dfa.symbols or tuple(range(k))
    start = int(dfa.input_states[0])
    if output is None:
        good = np.ones(dfa.n, dtype=np.float64)
    else:
        good = np.array([dfa.output_value(s) == output for s in range(dfa.n)], dtype=np.float64)
    # ways[j][s]: strings of length j from s that end with the wanted output
    # (float: exact up to 2**53 strings, and only ratios are used below).
    ways = [good]
    for _ in range(size):
        ways.append(ways[-1][steps].sum(axis=0))
    if ways[size][start] == 0:
        raise InvalidValueError(f"no string of length {size} leads to output {output!r}")
    words = []
    for _ in range(many):
        s, word = start, []
        for j in range(size, 0, -1):
            weights = ways[j - 1][steps[:, s]]
            a = int(rng.choice(k, p=weights / weights.sum()))
            word.append(symbols[a])
            s = int(steps[a, s])
        words.append(word)
    if all(isinstance(a, str) and len(a) == 1 for a in symbols):
        return ["".join(w) for w in words]
    return [tuple(w) for w in words]
