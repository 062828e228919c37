"""What every kind of system shares: states, names, outputs, inputs.

The framework treats every system as a *coalgebra*: a structure map
``xi : M -> F(M)`` on a finite set of states, for a functor ``F`` that
says what a transition is (one successor, one per letter, a set, a
distribution). An abstraction is complete when it commutes with ``xi``.
:class:`System` holds the half that does not depend on ``F``:

* ``n`` states ``0 .. n-1``, optionally named (:attr:`System.state_labels`);
* an output per state (:attr:`System.output`, ids into
  :attr:`System.output_values`), the information an abstraction is usually
  asked to keep;
* inputs (:attr:`System.inputs`): named start states, every state by default;
* restriction to a set of states closed under the transitions, and to the
  states reachable from the inputs;
* equality by value, pickling and a short ``repr``.

Each kind is a subclass in a module of its own (:mod:`abstractions.computation`
for ``F = Id``, :mod:`abstractions.systems` for the others) that supplies its
transitions in the engine's form (:meth:`System._relation`) and its
quotient; every algorithm (:mod:`abstractions.completeness`,
:mod:`abstractions.minimal`) is written once against that form.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from abstractions._config import REPR_MAX_STATES
from abstractions._engine.relation import QuotientRows, Relation, reachable
from abstractions._validation import (
    Ids,
    as_count,
    as_index_array,
    as_state_subset,
    python_value,
    readonly,
    show_label,
)
from abstractions.exceptions import (
    InvalidTypeError,
    InvalidValueError,
    SizeMismatchError,
    UnknownInputError,
)
from abstractions.partition import (
    Partition,
    canonical_labels,
    first_occurrences,
    label_array,
)
from abstractions.variables import Variables

__all__ = ["System", "Values", "UNDETERMINED", "FIELD_ROLES", "SHARED_FIELDS", "as_system"]

#: Output or input values: a tuple of Python objects, or a ``range`` when the
#: values are the state indices themselves (no tuple of n ints is built).
Values = tuple[Any, ...] | range


class _Undetermined:
    """Output of an abstract state whose concrete states disagree on it."""

    _instance: _Undetermined | None = None

    def __new__(cls) -> _Undetermined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDETERMINED"

    def __reduce__(self) -> str:
        return "UNDETERMINED"


#: Output value of an abstract state that does not determine the output.
UNDETERMINED = _Undetermined()

#: What a field of :meth:`System.to_dict` holds, by role (see :attr:`System.schema`):
#:
#: ``"ids"``
#:     a 1-d int64 array;
#: ``"id_table"``
#:     a 2-d int64 array;
#: ``"mask"``
#:     a bool array;
#: ``"floats"``
#:     a float64 array;
#: ``"ints"``
#:     integers of any size: an int64 array, or a tuple of Python ints when
#:     some do not fit in int64;
#: ``"values"``
#:     a tuple of hashable Python values, or ``range(n)``;
#: ``"int"``, ``"float"``
#:     one Python int (of any size) or float.
#:
#: Any field may be None (absent).
FIELD_ROLES: tuple[str, ...] = ("ids", "id_table", "mask", "floats", "ints", "values", "int", "float")

#: The fields every kind has in :meth:`System.to_dict`, with their roles.
SHARED_FIELDS: Mapping[str, str] = MappingProxyType({
    "output": "ids",
    "input_states": "ids",
    "output_values": "values",
    "input_values": "values",
    "state_labels": "values",
})


def _forget(cache: dict[str, Any], key: str, token: object) -> None:
    """Drop ``cache[key]`` if it is still the record of ``token`` (a finaliser: a newer stays)."""
    record = cache.get(key)
    if record is not None and record[0] is token:
        del cache[key]


def _same(a: Any, b: Any) -> bool:
    """Equality of two field values: arrays by shape and entries, the rest by ``==``."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return a.shape == b.shape and bool(np.array_equal(a, b))
    if isinstance(a, (tuple, range)) and isinstance(b, (tuple, range)):
        return len(a) == len(b) and all(x == y for x, y in zip(a, b))
    return bool(a == b)


def _distinct(values: Any, name: str, what: str) -> tuple[Any, ...]:
    """``values`` as a tuple of distinct hashables, or raise naming the repeat."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidTypeError(f"{name} must be a sequence of {what}, got {type(values).__name__}")
    items = tuple(python_value(v) for v in values)
    seen: dict[Any, int] = {}
    for i, item in enumerate(items):
        try:
            j = seen.setdefault(item, i)
        except TypeError:
            raise InvalidTypeError(f"{name}[{i}] = {item!r} is not hashable") from None
        if j != i:
            raise InvalidValueError(
                f"{name}[{i}] = {item!r} repeats {name}[{j}]; {what} must be distinct"
            )
    return items


def _state_labels(state_labels: Any, n: int) -> tuple[Hashable, ...] | None:
    if state_labels is None:
        return None
    labels = _distinct(state_labels, "state_labels", "state names")
    if len(labels) != n:
        raise InvalidValueError(
            f"state_labels has length {len(labels)}, expected {n} (one per state)"
        )
    return labels


def _outputs(
    output: Any,
    output_values: Sequence[Any] | None,
    n: int,
    state_labels: tuple[Hashable, ...] | None,
) -> tuple[Ids, Values]:
    """Checked output ids and values; by default each state outputs itself."""
    if output is None:
        if output_values is not None:
            raise InvalidValueError("output_values was given without output ids")
        values: Values = range(n) if state_labels is None else state_labels
        return np.arange(n, dtype=np.int64), values
    if output_values is not None:
        values = _distinct(output_values, "output_values", "output values")
        ids = as_index_array(output, "output", n=len(values), length=n, copy=True)
        return ids, values
    array = label_array(output, "output")
    if array.shape[0] != n:
        raise InvalidValueError(
            f"output has length {array.shape[0]}, expected {n} (one per state)"
        )
    ids, _ = canonical_labels(array, "output")
    return ids, tuple(python_value(v) for v in array[first_occurrences(ids)].tolist())


def _inputs(inputs: Any, n: int) -> tuple[Values, Ids]:
    """Checked input values and start states; by default every state, named by its index."""
    if inputs is None:
        return range(n), np.arange(n, dtype=np.int64)
    if isinstance(inputs, Mapping):
        keys = list(inputs.keys())
        raw = list(inputs.values())
        for key, state in zip(keys, raw):
            try:
                as_index_array([state], "inputs", n=n)
            except (InvalidValueError, InvalidTypeError) as err:
                raise type(err)(f"inputs[{key!r}] = {state!r} is not a state: {err}") from None
        states = as_index_array(raw, "inputs", n=n, copy=True)
        return tuple(python_value(k) for k in keys), states
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable):
        raise InvalidTypeError(
            f"inputs must be a mapping or a sequence of start states, got {type(inputs).__name__}"
        )
    states = as_index_array(
        inputs if isinstance(inputs, np.ndarray) else list(inputs), "inputs", n=n, copy=True
    )
    counts = np.bincount(states, minlength=n) if states.size else np.zeros(n, np.int64)
    if (counts > 1).any():
        state = int(np.flatnonzero(counts > 1)[0])
        raise InvalidValueError(f"inputs lists state {state} more than once")
    return tuple(states.tolist()), states


class System:
    """A finite system on the states ``0 .. n-1``: the part every kind shares.

    Not built directly: use :class:`~abstractions.Computation` (one step
    function) or the constructors of :class:`~abstractions.TransitionSystem`
    (one step per letter, a relation, a Markov chain). Every function of the
    library (:func:`~abstractions.is_complete`,
    :func:`~abstractions.minimal_complete_abstraction`, ...) takes any kind.

    Systems are immutable, compare by value (``==``), pickle, and are not
    hashable (they hold arrays).

    Notes
    -----
    A kind is a subclass that declares its own ``__slots__``, a ``kind``
    name, and implements ``_relation`` (its transitions as a
    :class:`~abstractions._engine.relation.Relation`), ``_restrict_own``
    (its transitions on a closed subset of states) and ``_quotient_own`` (its
    transitions on the blocks of a complete partition). Equality, pickling,
    restriction, reachability, inputs and outputs then come from here.

    Examples
    --------
    >>> from abstractions import Computation, System, TransitionSystem
    >>> isinstance(Computation([1, 0]), System)
    True
    >>> isinstance(TransitionSystem.labelled([[1, 0], [0, 0]]), System)
    True
    """

    __slots__ = (
        "_output",
        "_output_values",
        "_input_values",
        "_input_states",
        "_names",
        "_variables",
        "_cache",
    )

    #: The kind's name, e.g. ``"computation"`` or ``"labelled"``.
    kind: ClassVar[str] = "system"

    #: The kind's own fields in :meth:`to_dict`, each with its role (one of
    #: :data:`FIELD_ROLES`); the shared ones are :data:`SHARED_FIELDS`.
    #: :mod:`abstractions.files` stores every kind through this description.
    schema: ClassVar[Mapping[str, str]] = MappingProxyType({})

    #: Every kind defined so far, by name (a subclass that sets ``kind`` registers itself).
    _kinds: ClassVar[dict[str, type[System]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            System._kinds[cls.kind] = cls

    _output: Ids
    _output_values: Values
    _input_values: Values
    _input_states: Ids
    #: The state names: a tuple, None (unnamed), or -- in a quotient named
    #: after its blocks' first states -- those states' ids as an int array,
    #: turned into a tuple of ints when first read (:attr:`_state_labels`).
    _names: tuple[Hashable, ...] | Ids | None
    _variables: Variables | None
    _cache: dict[str, Any]

    # ------------------------------------------------------------------ building

    def _set_shared(
        self,
        n: int,
        output: Any,
        output_values: Sequence[Any] | None,
        inputs: Any,
        state_labels: Any,
    ) -> None:
        """Check and store the shared half from user arguments."""
        labels = _state_labels(state_labels, n)
        output_ids, values = _outputs(output, output_values, n, labels)
        input_values, input_states = _inputs(inputs, n)
        if output is None and inputs is None:
            # Both are the identity: one read-only array serves (at 10^7
            # states a second one costs 80 MB and tens of milliseconds).
            input_states = output_ids
        self._store_shared(output_ids, values, input_values, input_states, labels)

    def _store_shared(
        self,
        output: Ids,
        output_values: Values,
        input_values: Values,
        input_states: Ids,
        state_labels: tuple[Hashable, ...] | Ids | None,
    ) -> None:
        """Store already checked arrays (which the object then owns).

        ``state_labels`` may be an int array of distinct state ids (names
        made lazily: see :attr:`_names`).
        """
        setter = object.__setattr__
        setter(self, "_output", readonly(output))
        setter(self, "_output_values", output_values)
        setter(self, "_input_values", input_values)
        setter(self, "_input_states", readonly(input_states))
        setter(self, "_names", readonly(state_labels) if isinstance(state_labels, np.ndarray)
               else state_labels)
        # A kind that has structured states sets them afterwards (_set_variables).
        setter(self, "_variables", None)
        setter(self, "_cache", {})

    def _set_variables(self, variables: Variables | None) -> None:
        """Store the (checked) variables of the states, or None."""
        object.__setattr__(self, "_variables", variables)

    @property
    def _state_labels(self) -> tuple[Hashable, ...] | None:
        """The state names as a tuple (or None), made from an id array on first use."""
        names = self._names
        if isinstance(names, np.ndarray):
            # Python ints for a million names cost as much as the quotient
            # that names its states so: made only for a reader who asks.
            names = tuple(names.tolist())
            object.__setattr__(self, "_names", names)
        return names

    def _field(self, name: str) -> Any:
        """A stored field for pickling and equality (names always as a tuple)."""
        return self._state_labels if name == "_names" else getattr(self, name)

    def _state_labels_argument(self, labels: Any) -> tuple[Hashable, ...] | None:
        """Check user-given state names for a system of ``len(labels)`` states."""
        return _state_labels(labels, len(labels))

    def _shared(self) -> tuple[Ids, Values, Values, Ids, tuple[Hashable, ...] | None]:
        return (
            self._output,
            self._output_values,
            self._input_values,
            self._input_states,
            self._state_labels,
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot delete {name!r}")

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        """Every stored slot of the class, base first, caches left out."""
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for name in klass.__dict__.get("__slots__", ()):
                if name != "_cache":
                    names.append(name)
        return tuple(names)

    def __reduce__(self) -> tuple[Any, ...]:
        state = tuple(self._field(name) for name in self._fields())
        return (_restore, (type(self), state))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, System):
            return NotImplemented
        if type(self) is not type(other):
            return False
        return all(_same(self._field(f), other._field(f)) for f in self._fields())

    __hash__ = None  # type: ignore[assignment]  # holds arrays; equality is by value

    def _partition(self, value: Any, name: str) -> Partition:
        """A Partition of this system's states from a Partition or a labels array."""
        if isinstance(value, Partition):
            partition = value
        else:
            partition = Partition._from_canonical(*canonical_labels(value, name))
        if partition.n != self.n:
            raise SizeMismatchError(
                f"{name} is a partition of {partition.n} states, but the system has "
                f"{self.n} states"
            )
        return partition

    # ------------------------------------------------------------------ the kind's half

    @property
    def n(self) -> int:
        """Number of states."""
        return int(self._output.shape[0])

    def _certify_complete(self, partition: Partition, rows: QuotientRows | None = None) -> None:
        """Record that ``partition`` is complete here (an engine proved it).

        The record is a weak reference to the partition's read-only labels
        array, so it never keeps a partition alive, and it holds for that
        very partition only (another object equal to it is checked afresh).
        One record per system: the common case is
        :func:`~abstractions.minimal_complete_abstraction` followed by the
        quotient, whose own check (an O(m) pass) it then skips.

        ``rows`` are the quotient's rows if the engine's check built them:
        the quotient takes them (:meth:`_certified_rows`) instead of
        building them again. They are held until that quotient takes them,
        another partition is recorded, or the partition is dropped.
        """
        labels = partition.labels
        self._cache["complete"] = weakref.ref(labels)
        self._drop_rows()
        if rows is not None:
            # The finaliser holds a token, not the rows: once they are
            # taken or replaced, nothing else keeps them.
            token = object()
            done = weakref.finalize(labels, _forget, self._cache, "complete_rows", token)
            self._cache["complete_rows"] = (token, done, weakref.ref(labels), rows)

    def _drop_rows(self) -> None:
        """Forget the rows recorded by :meth:`_certify_complete`, and their finaliser."""
        record = self._cache.pop("complete_rows", None)
        if record is not None:
            record[1].detach()

    def _known_complete(self, partition: Partition) -> bool:
        """Whether :meth:`_certify_complete` recorded ``partition`` (this very object)."""
        ref = self._cache.get("complete")
        return ref is not None and ref() is partition.labels

    def _certified_rows(self, partition: Partition) -> QuotientRows | None:
        """The rows recorded with ``partition`` by :meth:`_certify_complete`, handed over once."""
        record = self._cache.get("complete_rows")
        if record is None or record[2]() is not partition.labels:
            return None
        self._drop_rows()
        rows: QuotientRows = record[3]
        return rows

    def _relation(self) -> Relation:
        """The transitions in the engine's form (each kind implements this)."""
        raise NotImplementedError(f"{type(self).__name__} does not define its transitions")

    def _restrict_own(self, index: Ids, position: Ids) -> tuple[Any, ...]:
        """The kind's own fields on the closed subset ``index`` (see :meth:`restrict`)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be restricted")

    def _quotient_own(self, P: Partition, rows: Any = None) -> tuple[Any, ...]:
        """The kind's own fields on the blocks of the complete partition ``P``.

        ``rows``, when given, are ``quotient_rows`` of the kind's relation
        and ``P`` (computed already by the completeness check).
        """
        raise NotImplementedError(f"{type(self).__name__} has no quotient")

    @classmethod
    def _assemble(cls, shared: tuple[Any, ...], own: tuple[Any, ...]) -> Any:
        """A new object of this kind from checked shared and own fields."""
        self = object.__new__(cls)
        self._store_shared(*shared)
        self._store_own(own)
        return self

    def _store_own(self, own: tuple[Any, ...]) -> None:
        """Store the kind's own checked fields, in ``__slots__`` order (arrays read-only)."""
        for name, value in zip(self._own_fields(), own):
            object.__setattr__(self, name, readonly(value) if isinstance(value, np.ndarray) else value)

    @classmethod
    def _own_fields(cls) -> tuple[str, ...]:
        return cls._fields()[len(System._fields()) :]

    # ------------------------------------------------------------------ fields

    @staticmethod
    def kinds() -> dict[str, type[System]]:
        """Every kind of system, by its name.

        Examples
        --------
        >>> from abstractions import System
        >>> sorted(System.kinds())
        ['computation', 'ctmc', 'labelled', 'mdp', 'nondeterministic', 'probabilistic']
        """
        return dict(System._kinds)

    def to_dict(self) -> dict[str, Any]:
        """The system as plain fields: arrays and Python values, exactly as stored.

        Returns
        -------
        dict
            ``"kind"``, the kind's own fields (:attr:`schema`) and the
            shared ones (:data:`SHARED_FIELDS`): ``"output"`` (output ids),
            ``"output_values"``, ``"input_values"``, ``"input_states"``,
            ``"state_labels"`` (None when states are unnamed) and
            ``"variables"`` (the :attr:`state_variables` record, or None). Arrays are
            the system's own read-only arrays. :meth:`from_dict` rebuilds an
            equal system; :mod:`abstractions.files` stores every kind this way.

        Examples
        --------
        >>> from abstractions import Computation
        >>> fields = Computation([1, 1], halted=[False, True]).to_dict()
        >>> fields["kind"], fields["step"], fields["halted"]
        ('computation', array([1, 1]), array([False,  True]))
        >>> System.from_dict(fields) == Computation([1, 1], halted=[False, True])
        True
        """
        fields: dict[str, Any] = {"kind": self.kind}
        fields.update(self._to_fields())
        fields.update(
            output=self._output,
            output_values=self._output_values,
            input_values=self._input_values,
            input_states=self._input_states,
            state_labels=self._state_labels,
            variables=self._variables,
        )
        return fields

    @classmethod
    def from_dict(cls, fields: Mapping[str, Any]) -> Any:
        """A system from the fields :meth:`to_dict` gives, checked like the constructors' arguments.

        Parameters
        ----------
        fields : mapping
            ``"kind"`` (optional when called on the kind's own class), the
            kind's own fields (:attr:`schema`; arrays may be any array-like)
            and the shared ones. The inputs may also be given as
            ``"inputs"``, as to the constructors, instead of
            ``"input_values"`` and ``"input_states"``; and ``"output"`` may
            hold output values when ``"output_values"`` is absent.

        Returns
        -------
        System
            Of the kind named by ``fields["kind"]``.

        Raises
        ------
        InvalidValueError
            For an unknown kind or field, a missing field, or fields that
            do not fit together (the message names them).
        InvalidTypeError
            For fields of the wrong type.

        Examples
        --------
        >>> from abstractions import System
        >>> T = System.from_dict({"kind": "labelled", "steps": [[1, 0]], "symbols": ("a",)})
        >>> T.kind, T.symbols, T.steps
        ('labelled', ('a',), array([[1, 0]]))
        """
        if not isinstance(fields, Mapping):
            raise InvalidTypeError(f"fields must be a mapping, got {type(fields).__name__}")
        kind = fields.get("kind")
        if kind is None:
            if System._kinds.get(cls.kind) is not cls:
                raise InvalidValueError(
                    f"fields has no 'kind'; give one of {', '.join(map(repr, System._kinds))}"
                )
            klass: type[System] = cls
        else:
            found = System._kinds.get(kind) if isinstance(kind, str) else None
            if found is None:
                raise InvalidValueError(
                    f"unknown kind {kind!r}; the kinds are {', '.join(map(repr, System._kinds))}"
                )
            if not issubclass(found, cls):
                raise InvalidValueError(f"fields describe a {kind} system, not a {cls.__name__}")
            klass = found
        allowed = {"kind", "inputs", "variables", *klass.schema, *SHARED_FIELDS}
        unknown = sorted(str(key) for key in fields if key not in allowed)
        if unknown:
            raise InvalidValueError(
                f"unknown field {unknown[0]!r} for a {klass.kind} system; the fields are "
                f"{', '.join(sorted(allowed))}"
            )
        own = {name: fields.get(name) for name in klass.schema}
        system = klass._from_fields(own, _shared_arguments(fields))
        if fields.get("variables") is not None:
            from abstractions.variables import as_variables

            system._set_variables(as_variables(fields["variables"], system.n))
        return system

    def _to_fields(self) -> dict[str, Any]:
        """The kind's own fields, named as in :attr:`schema` (each kind implements this)."""
        raise NotImplementedError(f"{type(self).__name__} does not describe its fields")

    @classmethod
    def _from_fields(cls, own: dict[str, Any], shared: dict[str, Any]) -> Any:
        """A checked system from its own fields and the shared constructor arguments."""
        raise NotImplementedError(f"{cls.__name__} cannot be built from fields")

    @classmethod
    def _needed(cls, own: Mapping[str, Any], name: str) -> Any:
        """``own[name]``, or an error saying that a system of this kind needs it."""
        value = own.get(name)
        if value is None:
            raise InvalidValueError(f"a {cls.kind} system needs the field {name!r}")
        return value

    # ------------------------------------------------------------------ outputs

    @property
    def output(self) -> Ids:
        """Output id of each state, an index into :attr:`output_values` (read-only int64)."""
        return self._output

    @property
    def output_values(self) -> Values:
        """The distinct output values, indexed by output id.

        A tuple of Python objects, or ``range(n)`` when the output is the
        state index itself.
        """
        return self._output_values

    @property
    def n_outputs(self) -> int:
        """Number of distinct output values."""
        return len(self._output_values)

    def output_value(self, m: int) -> Any:
        """The output value of state ``m``."""
        return python_value(self._output_values[int(self._output[m])])

    # ------------------------------------------------------------------ names

    @property
    def state_labels(self) -> tuple[Hashable, ...] | None:
        """Names of the states, or None when states are known by index only."""
        return self._state_labels

    def label(self, m: int) -> Hashable:
        """The name of state ``m`` (its index when states are unnamed)."""
        return m if self._state_labels is None else self._state_labels[m]

    def state_index(self, label: Hashable) -> int:
        """The index of the state named ``label``.

        Raises
        ------
        InvalidValueError
            If no state has that name.

        Examples
        --------
        >>> from abstractions import Computation
        >>> Computation([1, 1], state_labels=["a", "b"]).state_index("b")
        1
        """
        if self._state_labels is None:
            if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
                if 0 <= label < self.n:
                    return int(label)
            raise InvalidValueError(f"no state {label!r}: states are 0..{self.n - 1}")
        index = self._cache.get("state_index")
        if index is None:
            index = self._cache["state_index"] = {s: i for i, s in enumerate(self._state_labels)}
        try:
            return int(index[label])
        except (KeyError, TypeError):
            raise InvalidValueError(f"no state is labelled {label!r}") from None

    # ------------------------------------------------------------------ variables

    @property
    def state_variables(self) -> Variables | None:
        """The variables of structured states (a :class:`~abstractions.variables.Variables`), or None.

        Set by :meth:`Computation.from_sympy <abstractions.Computation.from_sympy>`,
        :meth:`Computation.from_functions <abstractions.Computation.from_functions>`
        on tuple states, or ``Computation(..., variables=...)``; kept by
        :meth:`restrict`, pickling and equality, dropped by quotients (an
        abstract state has no single value of a variable).
        """
        return self._variables

    @property
    def variables(self) -> tuple[str, ...]:
        """The names of the state variables; empty when the states are not structured.

        Examples
        --------
        >>> from abstractions import Computation
        >>> Computation([1, 0], variables={"bit": [0, 1]}).variables
        ('bit',)
        >>> Computation([1, 0]).variables
        ()
        """
        return () if self._variables is None else self._variables.names

    def values(self, variable: str) -> np.ndarray:
        """The value of ``variable`` in every state (read-only; int64 when the values are ints).

        Raises
        ------
        UnknownVariableError
            If ``variable`` is not one of :attr:`variables`.
        InvalidValueError
            If the system has no variables.

        Examples
        --------
        >>> from abstractions import Computation
        >>> Computation([1, 0], variables={"bit": [0, 1]}).values("bit")
        array([0, 1])
        """
        from abstractions.variables import require_variables

        return require_variables(self).values(variable)

    # ------------------------------------------------------------------ inputs

    @property
    def input_values(self) -> Values:
        """The input values, in the order of :attr:`input_states`.

        A tuple, or ``range(n)`` when every state is an input named by its index.
        """
        return self._input_values

    @property
    def input_states(self) -> Ids:
        """Start state of each input value (read-only int64)."""
        return self._input_states

    @property
    def inputs(self) -> dict[Any, int]:
        """The input map as a new dict ``{input value: start state}``."""
        return dict(zip(map(python_value, self._input_values), self._input_states.tolist()))

    def start(self, x: Any) -> int:
        """The start state of input ``x``.

        Raises
        ------
        UnknownInputError
            If ``x`` is not an input value.

        Examples
        --------
        >>> from abstractions import Computation
        >>> Computation([1, 1], inputs={"go": 0}).start("go")
        0
        """
        if isinstance(self._input_values, range):
            # every state is an input: no dict of n entries is needed
            if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
                if x in self._input_values:
                    return int(self._input_states[x])
            raise UnknownInputError(
                f"{x!r} is not an input; the inputs are the states 0..{self.n - 1}"
            )
        index = self._cache.get("input_index")
        if index is None:
            index = self._cache["input_index"] = {
                python_value(v): i for i, v in enumerate(self._input_values)
            }
        try:
            position = index[x]
        except (KeyError, TypeError):
            shown = ", ".join(repr(python_value(v)) for v in list(self._input_values)[:5])
            more = ", ..." if len(self._input_values) > 5 else ""
            raise UnknownInputError(f"{x!r} is not an input; the inputs are {shown}{more}") from None
        return int(self._input_states[position])

    # ------------------------------------------------------------------ restriction

    def reachable_states(self) -> Ids:
        """The states reachable from the inputs' start states, in increasing order.

        Examples
        --------
        >>> from abstractions import Computation
        >>> Computation([1, 2, 2, 0], inputs=[0]).reachable_states()
        array([0, 1, 2])
        """
        seen = reachable(self._relation(), self._input_states)
        return np.flatnonzero(seen).astype(np.int64)

    def restrict(self, states: Any) -> Any:
        """The system on a set of states closed under its transitions.

        Parameters
        ----------
        states : array_like
            Distinct state ids (new state ``i`` is ``states[i]``) or a boolean
            mask of length ``n``.

        Returns
        -------
        System
            Of the same kind. Inputs whose start state lies outside
            ``states`` are dropped; output values no kept state produces
            are dropped.

        Raises
        ------
        InvalidValueError
            If a transition leaves the set; the message names such a state.

        Examples
        --------
        >>> from abstractions import Computation
        >>> Computation([1, 0, 0], output=["a", "b", "c"]).restrict([0, 1]).output_values
        ('a', 'b')
        """
        index = as_state_subset(states, self.n, "states")
        position = np.full(self.n, -1, dtype=np.int64)
        position[index] = np.arange(index.shape[0], dtype=np.int64)
        own = self._restrict_own(index, position)
        kept = np.flatnonzero(position[self._input_states] >= 0)
        input_values: Values = tuple(python_value(self._input_values[i]) for i in kept.tolist())
        labels = None
        if self._state_labels is not None:
            labels = tuple(self._state_labels[i] for i in index.tolist())
        # Renumber the outputs so that values no kept state produces are dropped.
        output, _ = canonical_labels(self._output[index], "output")
        firsts = self._output[index][first_occurrences(output)]
        output_values: Values = tuple(python_value(self._output_values[i]) for i in firsts.tolist())
        shared = (output, output_values, input_values, position[self._input_states[kept]], labels)
        result = self._assemble(shared, own)
        if self._variables is not None:
            result._set_variables(self._variables.restrict(index))
        return result

    def restrict_to_reachable(self) -> tuple[Any, Ids]:
        """The system on the states reachable from its inputs.

        Many abstractions are complete only on the reachable states; restrict
        first, then abstract.

        Returns
        -------
        system : System
            Of the same kind.
        states : numpy.ndarray of int64
            ``states[i]`` is the original index of new state ``i``.

        Examples
        --------
        >>> from abstractions import Computation
        >>> R, states = Computation([1, 2, 2, 0], inputs=[0]).restrict_to_reachable()
        >>> R.n, states
        (3, array([0, 1, 2]))
        """
        states = self.reachable_states()
        return self.restrict(states), states

    def _closed(self, index: Ids, position: Ids, targets: Ids, owners: Ids) -> Ids:
        """``position[targets]``, or raise naming a state whose transition leaves ``index``.

        ``owners[j]`` is the (old) state that transition ``j`` leaves from.
        """
        new = position[targets]
        escaping = np.flatnonzero(new < 0)
        if escaping.size:
            j = int(escaping[0])
            m, t = int(owners[j]), int(targets[j])
            raise InvalidValueError(
                f"states is not closed under the transitions: it holds state "
                f"{self.label(m)!r} but not its successor {self.label(t)!r}"
            )
        return new

    # ------------------------------------------------------------------ display

    def _summary(self) -> str:
        """The kind's part of the repr (sizes of its transitions)."""
        return ""

    def __repr__(self) -> str:
        extra = self._summary()
        inputs = "" if isinstance(self._input_values, range) else f", {len(self._input_values)} inputs"
        return (
            f"<{type(self).__name__}: {self.n} states{extra}, "
            f"{self.n_outputs} output values{inputs}>"
        )

    def __str__(self) -> str:
        if self.n <= REPR_MAX_STATES:
            return repr(self) + "\n" + self.table()
        return repr(self)

    def _table_columns(self) -> tuple[list[str], list[list[str]]]:
        """Kind-specific columns of :meth:`table`: names and one row per state."""
        return [], [[] for _ in range(self.n)]

    def table(self, max_states: int = 64) -> str:
        """A plain-text table of the states: name, transitions, output, inputs.

        Parameters
        ----------
        max_states : int, default 64
            Show at most this many states.

        Examples
        --------
        >>> from abstractions import Computation
        >>> print(Computation([1, 1], halted=[False, True], output=["run", "done"]).table())
        state  next  halted  output  inputs
        0      1             'run'   0
        1      1     yes     'done'  1
        """
        limit = as_count(max_states, "max_states")
        shown = min(self.n, limit)
        rows = self._table_rows(shown)
        widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        if shown < self.n:
            lines.append(f"... ({self.n - shown} more states)")
        return "\n".join(lines)

    def _table_rows(self, shown: int) -> list[list[str]]:
        """The header and the first ``shown`` rows of :meth:`table`, as text cells."""
        starts: dict[int, list[str]] = {}
        for value, s in zip(self._input_values, self._input_states.tolist()):
            if s < shown:
                starts.setdefault(s, []).append(repr(python_value(value)))
        names, columns = self._table_columns()
        rows = [["state", *names, "output", "inputs"]]
        for m in range(shown):
            rows.append(
                [show_label(self.label(m)), *columns[m], repr(self.output_value(m)),
                 ", ".join(starts.get(m, []))]
            )
        return rows

    def _repr_html_(self) -> str:
        """A compact HTML summary for Jupyter: the repr, then the first rows of :meth:`table`.

        A system of at most 12 states also shows a picture of its state graph
        (inline SVG, :func:`abstractions.plotting.output.svg_picture`) where
        matplotlib is installed.

        Examples
        --------
        >>> from abstractions import Computation
        >>> html = Computation([1, 1], halted=[False, True], output=["run", "done"])._repr_html_()
        >>> html.startswith("<div><b>Computation</b>: 2 states") and "<td>&#x27;done&#x27;</td>" in html
        True
        """
        shown = min(self.n, REPR_HTML_ROWS)
        html = _html_summary(type(self).__name__, repr(self), self._table_rows(shown), self.n - shown)
        if 0 < self.n <= REPR_PICTURE_STATES:
            # A picture too, where matplotlib (the plot extra) is installed.
            try:
                html = html[: -len("</div>")] + self._svg_picture() + "</div>"
            except ImportError:
                pass
        return html

    def _svg_picture(self) -> str:
        """The state graph as SVG text (needs matplotlib)."""
        from abstractions.plotting.output import svg_picture

        return svg_picture(self)

    # ------------------------------------------------------------------ ecosystem

    def to_networkx(self, partition: Any = None) -> Any:
        """The system as a networkx graph; see :func:`abstractions.graphs.to_networkx`.

        Examples
        --------
        >>> from abstractions import Computation
        >>> list(Computation([1, 0]).to_networkx().edges)
        [(0, 1), (1, 0)]
        """
        from abstractions.graphs import to_networkx

        return to_networkx(self, partition)

    def to_scipy(self, **options: Any) -> Any:
        """The transition matrix as a ``scipy.sparse.csr_array``; see :func:`abstractions.graphs.to_scipy`.

        Examples
        --------
        >>> from abstractions import Computation
        >>> Computation([1, 1], halted=[False, True]).to_scipy().toarray()
        array([[0., 1.],
               [0., 1.]])
        """
        from abstractions.graphs import to_scipy

        return to_scipy(self, **options)


#: How many states a notebook's summary of a system lists.
REPR_HTML_ROWS = 10
#: Systems of at most this many states also show a picture in a notebook.
REPR_PICTURE_STATES = 12


def _html_summary(name: str, text: str, rows: list[list[str]], more: int) -> str:
    """``<div>``: the object's kind in bold, its repr's sizes, and a table of its first rows."""
    from html import escape

    sizes = text.strip("<>").split(": ", 1)[-1]
    head = "".join(f"<th>{escape(cell)}</th>" for cell in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows[1:]
    )
    tail = f"<p>... ({more} more states)</p>" if more > 0 else ""
    return (
        f"<div><b>{escape(name)}</b>: {escape(sizes)}"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{tail}</div>"
    )


def _shared_arguments(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The constructors' shared keyword arguments from :meth:`System.to_dict` fields.

    The defaults (outputs and inputs named by the state indices) go back as
    None, so that they are kept as ranges, not tuples of ``n`` ints.
    """
    output = fields.get("output")
    output_values = fields.get("output_values")
    state_labels = fields.get("state_labels")
    if (
        state_labels is None
        and _is_identity(output_values, output)
    ):
        output = output_values = None
    values = fields.get("input_values")
    states = fields.get("input_states")
    if "inputs" in fields:
        if values is not None or states is not None:
            raise InvalidValueError(
                "give the inputs either as 'inputs' or as 'input_values' and 'input_states'"
            )
        inputs = fields["inputs"]
    elif values is None and states is None:
        inputs = None
    else:
        if values is None or states is None:
            missing = "input_values" if values is None else "input_states"
            raise InvalidValueError(f"{missing} is missing: the inputs need both fields")
        if _is_identity(values, states):
            inputs = None
        else:
            inputs = _input_map(values, states)
    return {
        "output": output,
        "output_values": output_values,
        "inputs": inputs,
        "state_labels": state_labels,
    }


def _is_identity(values: Any, ids: Any) -> bool:
    """Whether ``values`` is ``range(k)`` and ``ids`` is ``0 .. k-1``: each state its own value."""
    if not (isinstance(values, range) and values.start == 0 and values.step == 1):
        return False
    try:
        array = np.asarray(ids)
    except (ValueError, TypeError):
        return False
    return array.shape == (len(values),) and bool(np.array_equal(array, np.arange(len(values))))


def _input_map(values: Any, states: Any) -> dict[Any, Any]:
    """``{input value: start state}`` from the two fields, refusing a repeated value."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidTypeError(
            f"input_values must be a sequence of values, got {type(values).__name__}"
        )
    listed = [python_value(v) for v in values]
    starts = np.asarray(states).tolist() if isinstance(states, np.ndarray) else list(states)
    if len(listed) != len(starts):
        raise InvalidValueError(
            f"{len(listed)} input values but {len(starts)} input states"
        )
    inputs: dict[Any, Any] = {}
    for i, (value, state) in enumerate(zip(listed, starts)):
        try:
            if value in inputs:
                raise InvalidValueError(f"input_values[{i}] = {value!r} is listed twice")
        except TypeError:
            raise InvalidTypeError(f"input_values[{i}] = {value!r} is not hashable") from None
        inputs[value] = state
    return inputs


def as_system(value: Any, name: str = "system", kind: type[System] | None = None) -> Any:
    """``value`` if it is a system (of ``kind``, when given), else a clear error naming ``name``."""
    wanted = System if kind is None else kind
    if not isinstance(value, wanted):
        what = "a system (a Computation or a TransitionSystem)" if kind is None else (
            f"a {wanted.__name__}"
        )
        raise InvalidTypeError(f"{name} must be {what}, got {type(value).__name__}")
    return value


def _restore(cls: type[System], state: tuple[Any, ...]) -> System:
    """Rebuild a pickled system (fields in :meth:`System._fields` order)."""
    self = object.__new__(cls)
    for name, value in zip(cls._fields(), state):
        if isinstance(value, np.ndarray):
            value = readonly(value)
        object.__setattr__(self, name, value)
    object.__setattr__(self, "_cache", {})
    return self
