"""Transition systems beyond one step function: one module per kind.

A :class:`~abstractions.Computation` has one transition function. The same
theory covers other kinds of transition (the seed framework's coalgebras):
a state's *successor structure* ``xi(s)`` lives in ``F(M)`` for a functor
``F``, and an abstraction ``alpha`` is complete when ``alpha(s) = alpha(t)``
implies ``F(alpha)(xi(s)) = F(alpha)(xi(t))``. The completion operator is
``C(alpha) = alpha | ker(F(alpha) . xi)``, monotone and extensive as before,
so Knaster--Tarski again gives a least complete abstraction above any
``beta``. The kinds, each a subclass of :class:`TransitionSystem` in a
module of its own:

:class:`LabelledSystem` (``"labelled"``, ``F(X) = X^A``, a DFA or Moore machine)
    one step function per symbol; complete iff ``alpha >= step_a*(alpha)``
    for every symbol ``a``. The least complete abstraction above the output
    kernel is the minimal Moore machine (the minimal DFA). A partial DFA
    (``-1`` where a transition is missing) is ``F(X) = (1 + X)^A``: a gap
    is an observation, kept missing by the quotient.
:class:`NondeterministicSystem` (``"nondeterministic"``, ``F(X) = P(A x X)``)
    a relation (a Kripke structure, or a labelled transition system with
    actions); complete iff related states reach the same set of
    (action, block) pairs: the coarsest strong bisimulation refining ``beta``.
:class:`MarkovChain` (``"probabilistic"``, ``F(X) = D(X)``, a DTMC)
    a row-stochastic matrix; complete iff every block is ordinarily
    lumpable. The abstract system is the lumped chain.
:class:`ContinuousTimeMarkovChain` (``"ctmc"``, ``F(X) = R+^(X)``, a CTMC)
    a matrix of rates; complete iff related states have equal total rate
    into every block (ordinary lumpability of the rates, Storm's strong
    bisimulation of a CTMC). The abstract system is the lumped CTMC.
:class:`MarkovDecisionProcess` (``"mdp"``, ``F(X) = P(A x D(X))``, an MDP)
    a set of (action, distribution) choices per state; complete iff related
    states have the same set of (action, block distribution) choices, the
    actions observed or not (``actions=``): probabilistic bisimulation.

Each kind hands the algorithms its transitions as one
:class:`~abstractions._engine.relation.Relation` (CSR arrays, a symbol per
transition, and how weights aggregate into a block), and one engine
computes every minimal complete abstraction in O(m log n)
(:mod:`abstractions._engine.refine`). A new kind is one new module: a
subclass with a ``kind`` name, its constructor, ``_relation``,
``_restrict_own`` and ``_quotient_own``.
"""

from abstractions.systems.base import TransitionSystem
from abstractions.systems.ctmc import ContinuousTimeMarkovChain
from abstractions.systems.labelled import LabelledSystem
from abstractions.systems.markov import MarkovChain
from abstractions.systems.mdp import MarkovDecisionProcess
from abstractions.systems.nondeterministic import NondeterministicSystem

__all__ = [
    "TransitionSystem",
    "LabelledSystem",
    "NondeterministicSystem",
    "MarkovChain",
    "ContinuousTimeMarkovChain",
    "MarkovDecisionProcess",
    "KINDS",
]

#: The kinds of transition a :class:`TransitionSystem` can have.
KINDS: tuple[str, ...] = ("labelled", "nondeterministic", "probabilistic", "ctmc")
