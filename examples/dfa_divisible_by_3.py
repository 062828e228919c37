"""Minimise a DFA for "binary numbers divisible by 3", built naively.

Reading a binary number from its most significant bit, the value read so
far v becomes 2v + b on the bit b. A DFA cannot store v, but it can store v
modulo any fixed M, because (2v + b) mod M depends only on v mod M. The
naive DFA takes M = 24 = 3 * 2^3, far more than needed: states 0..23 (the
value mod 24), two step functions (one per bit), and the output "accepting"
when the state is divisible by 3 (3 divides 24, so v mod 24 tells).

DFA minimisation is the minimal complete abstraction above the output
kernel, with one step function per symbol: it must know, of every state,
whether it accepts, and its class now must determine its class after each
bit. The answer is 3 classes, the remainders mod 3, and the quotient is the
textbook DFA delta(r, b) = (2r + b) mod 3. The naive modulus does not matter:
with M = 3 * 2^k states it is 3 classes for every k.

Divisibility by other d shows that the minimal DFA is not always "the value
mod d": writing d = 2^j * m with m odd, it has m + j states (checked here
for d <= 12) -- d of them for odd d, only j + 1 for d = 2^j (count the
trailing zeros, up to j).

Run: python examples/dfa_divisible_by_3.py [OUTDIR]
(saves the figure as a PNG file in OUTDIR; without it, shows it)
"""

import sys

import matplotlib.pyplot as plt
import numpy as np

from abstractions import (
    Partition,
    TransitionSystem,
    abstract_computation,
    find_violation,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.plotting import draw_system, save_or_show


def naive_dfa(d, M):
    """The DFA that stores the value read so far mod M and accepts multiples of d (d | M)."""
    v = np.arange(M)
    steps = np.array([(2 * v) % M, (2 * v + 1) % M])  # row b: the step on the bit b
    return TransitionSystem.labelled(steps, output=v % d == 0, symbols=("0", "1"))


M = 24
T = naive_dfa(3, M)
beta = output_abstraction(T)
print(f"naive DFA: {T.n} states (the value mod {M}), {T.n_transitions} transitions")
s1, s2 = find_violation(T, beta)
bit = next(b for b in (0, 1) if beta.labels[T.steps[b, s1]] != beta.labels[T.steps[b, s2]])
t1, t2 = T.steps[bit, s1], T.steps[bit, s2]


def verdict(s):
    return "accepts" if T.output_values[T.output[s]] else "rejects"


print(f"beta = 'accepting?': {beta.n_blocks} blocks, not complete: {s1} and {s2} both reject,")
print(f"  but on '{bit}' they go to {t1} ({verdict(t1)}) and {t2} ({verdict(t2)})")

P = minimal_complete_abstraction(T, beta)
print(f"minimal DFA: {P.n_blocks} classes")
for block in P.blocks():
    print(f"  {block.tolist()}")
remainder = Partition.kernel(np.arange(M) % 3)
assert P == remainder  # the classes are exactly the remainders mod 3

Q, P = abstract_computation(T, P)
# Blocks are numbered by first occurrence and state r < 3 has remainder r,
# so block r is the remainder r.
assert [int(P.labels[r]) for r in range(3)] == [0, 1, 2]
print("quotient transition table (class = remainder):")
print("  class  on 0  on 1  accepting")
for r in range(Q.n):
    accepting = Q.output_values[Q.output[r]]
    print(f"  {r:5d}  {Q.steps[0, r]:4d}  {Q.steps[1, r]:4d}  {accepting}")

# The textbook DFA: remainders 0, 1, 2; delta(r, b) = (2r + b) mod 3; accept 0.
r = np.arange(3)
textbook = TransitionSystem.labelled(
    np.array([(2 * r) % 3, (2 * r + 1) % 3]), output=r == 0, symbols=("0", "1")
)
assert (Q.steps == textbook.steps).all()
assert [Q.output_values[i] for i in Q.output] == [textbook.output_values[i] for i in textbook.output]
# ... and it is minimal already: nothing of it can be merged.
assert minimal_complete_abstraction(textbook, output_abstraction(textbook)) == Partition.top(3)
print("the quotient is the textbook 3-state DFA")


def accepts(Q, start, word):
    """Run the DFA Q from the state start on a string of bits; its final output."""
    state = start
    for bit in word:
        state = int(Q.steps[int(bit), state])
    return bool(Q.output_values[Q.output[state]])


start = int(P.labels[0])  # the empty word has value 0
assert all(accepts(Q, start, format(x, "b")) == (x % 3 == 0) for x in range(1000))
print("it accepts exactly the multiples of 3 among 0..999")

sizes = []
for k in range(11):
    T_k = naive_dfa(3, 3 * 2**k)
    sizes.append(minimal_complete_abstraction(T_k, output_abstraction(T_k)).n_blocks)
print(f"naive modulus 3 * 2^k for k = 0..10 ({3 * 2**10} states at k = 10): "
      f"classes {sizes}")
assert sizes == [3] * 11

print("divisible by d (naive modulus 16d): classes of the minimal DFA, d = 2^j * m, m odd")
for d in range(1, 13):
    T_d = naive_dfa(d, 16 * d)
    classes = minimal_complete_abstraction(T_d, output_abstraction(T_d)).n_blocks
    j = (d & -d).bit_length() - 1  # the power of 2 in d
    m = d >> j
    print(f"  d={d:2d} = 2^{j} * {m:2d} -> {classes:2d}")
    assert classes == m + j


OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None  # where figures go (None: show them)


fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5), width_ratios=[3, 2])
accepting = np.arange(M) % 3 == 0
draw_system(T, P, left, marked=accepting, edge_labels=False,
            title=f"naive DFA: {T.n} states (value mod {M}), coloured by class")
draw_system(Q, Partition.top(Q.n), right, marked=[bool(Q.output_values[i]) for i in Q.output],
            title="minimal DFA: the remainder mod 3 (ring = accepting)")
save_or_show(fig, "dfa_divisible_by_3", OUTDIR)
