"""Computations and abstractions written as sympy expressions over finite domains.

A symbolic computation has state variables with finite ranges (integers mod
``p``, bits, ``range(a, b)``); its step gives the next value of each
variable as a sympy expression of the current values, e.g. ``x -> x*y mod p``.
The state space is the product of the ranges, numbered in mixed radix (the
first variable most significant, as :func:`itertools.product` orders it).

Expressions are evaluated exactly, on all states at once: each node of the
expression tree is a few array operations, not a Python call per state.
Integers are int64 arrays only where interval arithmetic over the tree,
starting from the variables' domains, proves that no value can overflow;
elsewhere they are Python ints (``Mod(x**30, 7)`` is ``pow(x, 30, 7)``,
computed by modular exponentiation). Division gives exact rationals, never
floats. A function this module does not know (``factorial``, ``sqrt``, ...)
is evaluated by sympy, once per distinct value of its arguments.

Expressions may also be given as strings. They are parsed without being
evaluated: no :func:`eval`, no :func:`sympy.sympify` (which runs its input
as Python code); only numbers, the state variables, arithmetic,
comparisons, logic and a short list of functions are accepted.

sympy is imported when one of these functions is called, never by
``import abstractions``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from abstractions._validation import Ids, as_count
from abstractions.computation import Computation
from abstractions.exceptions import InvalidTypeError, InvalidValueError, TooLargeError
from abstractions.partition import Partition, canonical_labels, first_occurrences
from abstractions.progress import ProgressBar, counted, progress_bar
from abstractions.system import System
from abstractions.variables import Variables

__all__ = [
    "MAX_BITS",
    "SYMPY_MAX_STATES",
    "computation_from_sympy",
    "partition_from_expression",
    "partition_from_sympy",
    "partition_to_sympy",
]

#: Largest number of states converted to or from a sympy ``Partition``
#: (sympy stores blocks as sets of sympy integers: 1000 states take ~0.3 s).
SYMPY_MAX_STATES = 1000

def _space(variables: Any, max_states: int | None) -> tuple[list[Any], list[range], int]:
    """Check ``variables`` (symbol -> size or range) and return symbols, ranges, n.

    ``max_states`` bounds the product space (None: no bound, for the
    reachable exploration, which bounds the states it finds instead).
    """
    import sympy  # type: ignore[import-untyped,unused-ignore]  # sympy ships no types

    if isinstance(variables, Mapping):
        pairs = list(variables.items())
    elif isinstance(variables, Iterable) and not isinstance(variables, (str, bytes)):
        pairs = list(variables)
        if not all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
            raise InvalidTypeError(
                "variables must be a mapping {symbol: range} or a sequence of (symbol, range) pairs"
            )
    else:
        raise InvalidTypeError(
            f"variables must be a mapping {{symbol: range}}, got {type(variables).__name__}"
        )
    if not pairs:
        raise InvalidValueError("variables is empty; a computation needs at least one variable")
    symbols: list[Any] = []
    ranges: list[range] = []
    for symbol, domain in pairs:
        if not isinstance(symbol, sympy.Symbol):
            raise InvalidTypeError(f"variable {symbol!r} must be a sympy Symbol, got {type(symbol).__name__}")
        if symbol in symbols:
            raise InvalidValueError(f"variable {symbol} is listed twice")
        if isinstance(domain, range):
            values = domain
        elif isinstance(domain, (int, np.integer)) and not isinstance(domain, bool):
            values = range(int(domain))
        else:
            raise InvalidTypeError(
                f"the range of {symbol} must be an int k (meaning 0..k-1) or a range, got {domain!r}"
            )
        if len(values) == 0 or values.step < 0:
            raise InvalidValueError(
                f"the range of {symbol} must be non-empty and increasing, got {values!r}"
            )
        symbols.append(symbol)
        ranges.append(values)
    n = 1
    for values in ranges:
        n *= len(values)
    if max_states is not None and n > max_states:
        sizes = " * ".join(str(len(r)) for r in ranges)
        raise TooLargeError(
            f"the state space has {sizes} = {n} states, more than max_states={max_states}"
        )
    return symbols, ranges, n


def _strides(ranges: list[range]) -> list[int]:
    strides = [1] * len(ranges)
    for i in range(len(ranges) - 2, -1, -1):
        strides[i] = strides[i + 1] * len(ranges[i + 1])
    return strides


def _columns(ranges: list[range], n: int) -> list[np.ndarray]:
    """The value of each variable in every state (mixed-radix decoding of 0..n-1).

    int64 arrays, or arrays of Python ints for a domain beyond int64.
    """
    index = np.arange(n, dtype=np.int64)
    columns = []
    for r, stride in zip(ranges, _strides(ranges)):
        digits = (index // stride) % len(r)
        if -(2**63) < r[0] and r[-1] < 2**63:
            columns.append(r.start + r.step * digits)
        else:
            columns.append(r.start + r.step * digits.astype(object))
    return columns


def _describe(symbols: list[Any], columns: list[np.ndarray], m: int) -> str:
    return ", ".join(f"{s}={int(c[m])}" for s, c in zip(symbols, columns))


# ---------------------------------------------------------------------- strings, parsed without evaluation

#: Longest expression string parsed.
_MAX_TEXT = 10_000
#: Deepest nesting of an expression string's syntax tree.
_MAX_TEXT_DEPTH = 100


def _string_functions() -> dict[str, Any]:
    import sympy

    return {
        "Mod": sympy.Mod, "Abs": sympy.Abs, "abs": sympy.Abs, "Min": sympy.Min, "min": sympy.Min,
        "Max": sympy.Max, "max": sympy.Max, "floor": sympy.floor, "ceiling": sympy.ceiling,
        "sign": sympy.sign, "Piecewise": sympy.Piecewise, "ITE": sympy.ITE, "Eq": sympy.Eq,
        "Ne": sympy.Ne, "Lt": sympy.Lt, "Le": sympy.Le, "Gt": sympy.Gt, "Ge": sympy.Ge,
        "And": sympy.And, "Or": sympy.Or, "Not": sympy.Not, "Xor": sympy.Xor,
    }


def _parse(text: str, symbols: list[Any], name: str) -> Any:
    """A sympy expression from ``text``, built node by node: no ``eval``, no code run.

    The text is parsed by :func:`ast.parse` (which only builds a syntax tree)
    and the tree is walked: numbers, names, arithmetic (``+ - * / // % **``;
    ``^`` is refused, as sympify and Python read it differently), comparisons,
    ``and``/``or``/``not`` (also ``& | ~``) and calls of the functions in
    :func:`_string_functions` become sympy objects, built with
    ``evaluate=False`` so that no arithmetic happens while parsing (a text
    such as ``10**10**10`` costs nothing here). Names are the state
    variables (by name); an unknown name becomes a symbol that the caller
    reports as not a state variable. Anything else -- attributes,
    subscripts, lambdas, strings, keyword arguments, calls of other names --
    is refused.
    """
    import ast

    import sympy

    if len(text) > _MAX_TEXT:
        raise InvalidValueError(f"{name} is a string of {len(text)} characters; the limit is {_MAX_TEXT}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError) as err:
        detail = err.msg if isinstance(err, SyntaxError) else str(err)
        shown = repr(text) if len(text) <= 80 else repr(text[:77]) + "..."
        raise InvalidValueError(f"{name} = {shown} is not an expression ({detail})") from None
    names = {str(s.name): s for s in symbols}
    functions = _string_functions()
    binary: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
        ast.Add: lambda a, b: sympy.Add(a, b, evaluate=False),
        ast.Sub: lambda a, b: sympy.Add(a, sympy.Mul(-1, b, evaluate=False), evaluate=False),
        ast.Mult: lambda a, b: sympy.Mul(a, b, evaluate=False),
        ast.Div: lambda a, b: sympy.Mul(a, sympy.Pow(b, -1, evaluate=False), evaluate=False),
        ast.FloorDiv: lambda a, b: sympy.floor(
            sympy.Mul(a, sympy.Pow(b, -1, evaluate=False), evaluate=False), evaluate=False
        ),
        ast.Mod: lambda a, b: sympy.Mod(a, b, evaluate=False),
        ast.Pow: lambda a, b: sympy.Pow(a, b, evaluate=False),
        ast.BitAnd: lambda a, b: sympy.And(a, b, evaluate=False),
        ast.BitOr: lambda a, b: sympy.Or(a, b, evaluate=False),
    }
    compare = {ast.Eq: sympy.Eq, ast.NotEq: sympy.Ne, ast.Lt: sympy.Lt, ast.LtE: sympy.Le,
               ast.Gt: sympy.Gt, ast.GtE: sympy.Ge}

    shown = repr(text) if len(text) <= 80 else repr(text[:77]) + "..."

    def refuse(node: ast.AST, what: str) -> InvalidValueError:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
            # sympify reads ^ as a power at the token level, with another
            # precedence than Python's ^; neither reading is safe to guess.
            what = "'^' (write ** for a power)"
        return InvalidValueError(
            f"{name} = {shown}: {what} is not allowed in an expression string (only numbers, "
            f"variables, arithmetic, comparisons, and/or/not, and calls of "
            f"{', '.join(sorted(functions))}); nothing was evaluated"
        )

    def build(node: ast.AST, depth: int) -> Any:
        if depth > _MAX_TEXT_DEPTH:
            raise InvalidValueError(f"{name} = {shown} is nested more than {_MAX_TEXT_DEPTH} levels deep")
        deeper = depth + 1
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                return sympy.true if value else sympy.false
            if isinstance(value, int):
                return sympy.Integer(value)
            if isinstance(value, float):
                # the literal as written: "0.1" is 1/10, not the nearest binary fraction
                return sympy.Rational(repr(value))
            raise refuse(node, f"the {type(value).__name__} literal {value!r}")
        if isinstance(node, ast.Name):
            return names.get(node.id) or sympy.Symbol(node.id)
        if isinstance(node, ast.UnaryOp):
            operand = build(node.operand, deeper)
            if isinstance(node.op, ast.USub):
                return -operand if operand.is_Number else sympy.Mul(-1, operand, evaluate=False)
            if isinstance(node.op, ast.UAdd):
                return operand
            return sympy.Not(operand, evaluate=False)  # not, ~
        if isinstance(node, ast.BinOp) and type(node.op) in binary:
            return binary[type(node.op)](build(node.left, deeper), build(node.right, deeper))
        if isinstance(node, ast.BoolOp):
            op = sympy.And if isinstance(node.op, ast.And) else sympy.Or
            return op(*(build(v, deeper) for v in node.values), evaluate=False)
        if isinstance(node, ast.Compare) and all(type(op) in compare for op in node.ops):
            terms = [build(node.left, deeper)] + [build(c, deeper) for c in node.comparators]
            parts = [compare[type(op)](a, b, evaluate=False)
                     for op, a, b in zip(node.ops, terms, terms[1:])]
            return parts[0] if len(parts) == 1 else sympy.And(*parts, evaluate=False)
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in functions):
                raise refuse(node, f"calling {ast.unparse(node.func)!r}")
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                raise refuse(node, "a keyword or starred argument")
            function = functions[node.func.id]
            if function is sympy.Piecewise:
                pairs = []
                for arg in node.args:
                    if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
                        raise refuse(arg, "a Piecewise argument other than a pair (value, condition)")
                    pairs.append((build(arg.elts[0], deeper), build(arg.elts[1], deeper)))
                return sympy.Piecewise(*pairs, evaluate=False)
            return function(*(build(a, deeper) for a in node.args), evaluate=False)
        raise refuse(node, f"the construct {type(node).__name__} ({ast.unparse(node)!r})")

    try:
        return build(tree.body, 0)
    except InvalidValueError:
        raise
    except (TypeError, ValueError, ArithmeticError, AttributeError) as err:  # sympy refused the pieces
        raise InvalidValueError(f"{name} = {shown} is not a valid expression ({err})") from None


def _expression(value: Any, symbols: list[Any], name: str) -> Any:
    """``value`` as a sympy object; strings are parsed by :func:`_parse`, never evaluated."""
    import sympy

    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, str):
        return _parse(value, symbols, name)
    if isinstance(value, (bool, np.bool_)):
        return sympy.true if value else sympy.false
    if isinstance(value, (int, np.integer)):
        return sympy.Integer(int(value))
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, (float, np.floating)):
        return sympy.Rational(Fraction(float(value)))  # the exact value of the float
    raise InvalidTypeError(
        f"{name} must be a sympy expression (or a number, or a string to parse), got {value!r} "
        f"of type {type(value).__name__}"
    )


# ---------------------------------------------------------------------- exact evaluation

#: Largest integer (in bits) an expression may reach on some state before it
#: is refused: a bound, not a precision (arithmetic is exact below it).
MAX_BITS = 4096
_INT64_MAX = 2**63 - 1


class _Huge(Exception):
    def __init__(self, bits: int) -> None:
        self.bits = bits


class _Unknown(Exception):
    """A symbol that is not a state variable (bound inside the expression)."""


class _Undefined(Exception):
    """An expression has no value on a state: ``problem`` says why, ``where`` selects the states."""

    def __init__(self, problem: str, where: np.ndarray) -> None:
        self.problem = problem
        self.where = where


class _Int:
    """Integers on every state: an int64 array when the bounds prove it fits, else Python ints.

    ``lo`` and ``hi`` bound every value (interval arithmetic from the
    variables' domains); they decide the dtype of every operation before it
    runs, so int64 never overflows. Arrays may be 0-d (constants broadcast).
    """

    __slots__ = ("a", "hi", "lo")

    def __init__(self, a: Any, lo: int, hi: int) -> None:
        a = np.asarray(a)  # operations on 0-d arrays return scalars
        bits = max(abs(lo), abs(hi)).bit_length()
        if bits > MAX_BITS:
            raise _Huge(bits)
        fits = -_INT64_MAX <= lo and hi <= _INT64_MAX
        if fits and a.dtype != np.int64:
            a = a.astype(np.int64)
        elif not fits and a.dtype != object:
            a = a.astype(object)
        self.a, self.lo, self.hi = a, lo, hi

    @property
    def fits(self) -> bool:
        return bool(self.a.dtype == np.int64)

    @staticmethod
    def const(value: int) -> _Int:
        return _Int(np.array(value, dtype=np.int64 if -_INT64_MAX <= value <= _INT64_MAX else object),
                    value, value)

    @staticmethod
    def data(a: np.ndarray) -> _Int:
        """Values computed elsewhere (exactly): bounds from the data."""
        if a.size == 0:
            return _Int(a, 0, 0)
        return _Int(a, int(a.min()), int(a.max()))


def _check_bits(*bits: int) -> None:
    total = max(bits)
    if total > MAX_BITS:
        raise _Huge(total)


def _arrays(result_lo: int, result_hi: int, *values: _Int) -> list[np.ndarray]:
    """The operands' arrays in the dtype the result needs (int64 only if everything fits)."""
    _check_bits(abs(result_lo).bit_length(), abs(result_hi).bit_length())
    if -_INT64_MAX <= result_lo and result_hi <= _INT64_MAX and all(v.fits for v in values):
        return [v.a for v in values]
    return [v.a.astype(object) for v in values]


def _add(a: _Int, b: _Int) -> _Int:
    lo, hi = a.lo + b.lo, a.hi + b.hi
    x, y = _arrays(lo, hi, a, b)
    return _Int(x + y, lo, hi)


def _neg(a: _Int) -> _Int:
    return _Int(-a.a, -a.hi, -a.lo)


def _mul(a: _Int, b: _Int) -> _Int:
    _check_bits(max(abs(a.lo), abs(a.hi)).bit_length() + max(abs(b.lo), abs(b.hi)).bit_length() - 1)
    corners = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
    lo, hi = min(corners), max(corners)
    x, y = _arrays(lo, hi, a, b)
    return _Int(x * y, lo, hi)


def _pow(a: _Int, e: _Int) -> _Int:
    """``a ** e`` for exponents ``e >= 0`` (checked by the caller)."""
    m = max(abs(a.lo), abs(a.hi))
    _check_bits(m.bit_length() * e.hi if m > 1 else 1)  # before computing any power
    top = m**e.hi if m > 1 else 1
    if a.lo >= 0:  # increasing in the base; 0**0 == 1 and 0**k == 0
        lo = min(a.lo**e.lo, a.lo**e.hi)
    else:
        lo = -top
    x, y = _arrays(lo, top, a, e)
    return _Int(np.power(x, y), lo, top)


def _nonzero(b: _Int, what: str) -> None:
    if b.lo <= 0 <= b.hi:
        zero = np.asarray(b.a == 0)
        if zero.any():
            raise _Undefined(f"{what} by zero", zero)


def _mod(a: _Int, b: _Int) -> _Int:
    """Python's (and sympy's) ``a % b``: the sign of ``b``."""
    _nonzero(b, "remainder of a division")
    lo = min(b.lo + 1, 0) if b.lo < 0 else 0
    hi = max(b.hi - 1, 0) if b.hi > 0 else 0
    if a.lo >= 0 and b.lo > 0:
        hi = min(hi, a.hi)  # x % k == x for 0 <= x < k: keeps small values small
    x, y = _arrays(min(lo, a.lo, 0), max(hi, a.hi, 0), a, b)
    return _Int(np.mod(x, y), lo, hi)


def _floordiv(a: _Int, b: _Int) -> _Int:
    """``a // b`` for ``b > 0`` (denominators of rationals are positive)."""
    corners = [a.lo // b.lo, a.lo // b.hi, a.hi // b.lo, a.hi // b.hi]
    lo, hi = min(corners + [0]), max(corners + [0])
    x, y = _arrays(min(lo, a.lo), max(hi, a.hi), a, b)
    return _Int(np.floor_divide(x, y), lo, hi)


def _powmod(base: _Int, e: int, m: _Int) -> _Int:
    """``base ** e % m`` by square and multiply, reducing as it goes (``e >= 0`` a constant)."""
    _nonzero(m, "remainder of a division")
    result = _mod(_Int.const(1), m)
    square = _mod(base, m)
    while e:
        if e & 1:
            result = _mod(_mul(result, square), m)
        e >>= 1
        if e:
            square = _mod(_mul(square, square), m)
    return result


def _select(a: _Int, b: _Int, take_a: np.ndarray) -> _Int:
    lo, hi = min(a.lo, b.lo), max(a.hi, b.hi)
    x, y = _arrays(lo, hi, a, b)
    return _Int(np.where(take_a, x, y), lo, hi)


class _Rat:
    """Rationals on every state: numerator and positive denominator, not reduced."""

    __slots__ = ("den", "num")

    def __init__(self, num: _Int, den: _Int) -> None:
        self.num, self.den = num, den


_Val = Any  # _Int, _Rat or a bool array


def _as_rat(v: _Val) -> _Rat:
    if isinstance(v, _Rat):
        return v
    return _Rat(_as_int(v), _Int.const(1))


def _as_int(v: _Val) -> _Int:
    if isinstance(v, _Int):
        return v
    if isinstance(v, _Rat):
        raise TypeError("a rational where an integer is needed")
    return _Int(np.asarray(v).astype(np.int64), 0, 1)  # booleans count as 0 and 1


def _rat_add(a: _Rat, b: _Rat) -> _Rat:
    return _Rat(_add(_mul(a.num, b.den), _mul(b.num, a.den)), _mul(a.den, b.den))


def _rat_mul(a: _Rat, b: _Rat) -> _Rat:
    return _Rat(_mul(a.num, b.num), _mul(a.den, b.den))


def _rat_inverse(a: _Rat) -> _Rat:
    """``1 / a``: the sign moves to the numerator, so the denominator stays positive."""
    _nonzero(a.num, "division")
    sign = _Int(np.sign(a.num.a), -1 if a.num.lo < 0 else 0, 1 if a.num.hi > 0 else 0)
    magnitude = _Evaluator._abs(a.num)
    magnitude = _Int(magnitude.a, max(magnitude.lo, 1), magnitude.hi)  # not 0: checked above
    return _Rat(_mul(sign, a.den), magnitude)


def _rat_floor(a: _Rat) -> _Int:
    return _floordiv(a.num, a.den)


def _compare(a: _Val, b: _Val, op: str) -> np.ndarray:
    if not isinstance(a, (_Int, _Rat)) and not isinstance(b, (_Int, _Rat)):
        left, right = np.asarray(a), np.asarray(b)  # booleans (e.g. Eq of two conditions)
    elif isinstance(a, _Rat) or isinstance(b, _Rat):
        ra, rb = _as_rat(a), _as_rat(b)
        left, right = _mul(ra.num, rb.den).a, _mul(rb.num, ra.den).a  # denominators are positive
    else:
        ia, ib = _as_int(a), _as_int(b)
        left, right = _arrays(min(ia.lo, ib.lo), max(ia.hi, ib.hi), ia, ib)
    result = {
        "==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
        ">": np.greater, ">=": np.greater_equal,
    }[op](left, right)
    return np.asarray(result).astype(bool)


class _Evaluator:
    """Exact values of sympy expressions on all states at once.

    Integers stay integers (int64 where the bounds allow, Python ints
    otherwise), ``/`` gives exact rationals, comparisons and logic give
    booleans. A node this class does not know (``factorial``, ``binomial``,
    ``sqrt``, ...) is evaluated by sympy itself, once per distinct
    combination of the values of its variables.
    """

    def __init__(self, symbols: list[Any], columns: list[np.ndarray], ranges: list[range]) -> None:
        self.symbols = symbols
        self.columns = columns
        self.values = {
            s: _Int(c, r[0], r[-1]) for s, c, r in zip(symbols, columns, ranges)
        }
        self.n = columns[0].shape[0]
        self.nodes = 0  # nodes evaluated (the same for any number of states)

    def __call__(self, expr: Any) -> _Val:
        import sympy
        from sympy.core.relational import Relational  # type: ignore[import-untyped,unused-ignore]
        from sympy.logic import boolalg  # type: ignore[import-untyped,unused-ignore]

        self.nodes += 1
        if expr in self.values:
            return self.values[expr]
        if isinstance(expr, sympy.Symbol):
            raise _Unknown(expr)  # bound in a Sum, Lambda, ...: not a value on the states
        if isinstance(expr, sympy.Integer):
            return _Int.const(int(expr))
        if isinstance(expr, sympy.Rational):
            return _Rat(_Int.const(int(expr.p)), _Int.const(int(expr.q)))
        if isinstance(expr, sympy.Float) and expr.is_finite:
            return self(sympy.Rational(expr))
        if isinstance(expr, boolalg.BooleanAtom):
            return np.array(bool(expr))
        args = expr.args
        if isinstance(expr, sympy.Add):
            return self._fold(args, _add, _rat_add)
        if isinstance(expr, sympy.Mul):
            return self._fold(args, _mul, _rat_mul)
        if isinstance(expr, sympy.Pow):
            e = self(args[1])
            if isinstance(e, _Int) and (e.lo >= 0 or e.hi < 0):
                base = self(args[0])
                if isinstance(base, _Int) and e.lo >= 0:
                    return _pow(base, e)
                r = _as_rat(base)
                if e.hi < 0:
                    r, e = _rat_inverse(r), _neg(e)
                return _Rat(_pow(r.num, e), _pow(r.den, e))
            return self._by_sympy(expr)  # a fractional exponent (a root), or mixed signs
        if isinstance(expr, sympy.Mod):
            p, q = args
            if isinstance(p, sympy.Pow):
                e = self(p.args[1])
                if isinstance(e, _Int) and e.lo == e.hi >= 0:
                    base, modulus = self(p.args[0]), self(q)
                    if isinstance(base, _Int) and isinstance(modulus, _Int):
                        return _powmod(base, e.lo, modulus)
            a, b = self(p), self(q)
            if isinstance(a, _Rat) or isinstance(b, _Rat):
                ra, rb = _as_rat(a), _as_rat(b)
                quotient = _rat_floor(_rat_mul(ra, _rat_inverse(rb)))
                return _rat_add(ra, _rat_mul(_as_rat(_neg(quotient)), rb))
            return _mod(_as_int(a), _as_int(b))
        if isinstance(expr, (sympy.floor, sympy.ceiling)):
            v = self(args[0])
            if not isinstance(v, _Rat):
                return _as_int(v)
            if isinstance(expr, sympy.floor):
                return _rat_floor(v)
            return _neg(_rat_floor(_Rat(_neg(v.num), v.den)))
        if isinstance(expr, sympy.Abs):
            v = self(args[0])
            if isinstance(v, _Rat):
                return _Rat(self._abs(v.num), v.den)
            return self._abs(_as_int(v))
        if isinstance(expr, sympy.sign):
            v = self(args[0])
            num = v.num if isinstance(v, _Rat) else _as_int(v)
            return _Int(np.sign(num.a), -1, 1)
        if isinstance(expr, (sympy.Min, sympy.Max)):
            op = "<=" if isinstance(expr, sympy.Min) else ">="
            values = [self(a) for a in args]
            best = values[0]
            for v in values[1:]:
                best = self._where(_compare(best, v, op), best, v)
            return best
        if isinstance(expr, Relational) and expr.rel_op in ("==", "!=", "<", "<=", ">", ">="):
            return _compare(self(args[0]), self(args[1]), expr.rel_op)
        if isinstance(expr, boolalg.Not):
            return ~self._bool(args[0])
        if isinstance(expr, (boolalg.And, boolalg.Or, boolalg.Xor)):
            combine = {boolalg.And: np.logical_and, boolalg.Or: np.logical_or,
                       boolalg.Xor: np.logical_xor}[type(expr)]
            result = self._bool(args[0])
            for a in args[1:]:
                result = combine(result, self._bool(a))
            return result
        if isinstance(expr, boolalg.ITE):
            return self._piecewise([(args[1], args[0]), (args[2], sympy.true)])
        if isinstance(expr, sympy.Piecewise):
            return self._piecewise(args)
        return self._by_sympy(expr)

    def _fold(self, args: Any, ints: Any, rats: Any) -> _Val:
        values = [self(a) for a in args]
        if any(isinstance(v, _Rat) for v in values):
            result = _as_rat(values[0])
            for v in values[1:]:
                result = rats(result, _as_rat(v))
            return result
        total = _as_int(values[0])
        for v in values[1:]:
            total = ints(total, _as_int(v))
        return total

    def _bool(self, expr: Any) -> np.ndarray:
        v = self(expr)
        if isinstance(v, (_Int, _Rat)):
            raise TypeError(f"{expr} is a number where a condition is needed")
        return np.asarray(v, dtype=bool)

    @staticmethod
    def _abs(v: _Int) -> _Int:
        lo = 0 if v.lo <= 0 <= v.hi else min(abs(v.lo), abs(v.hi))
        return _Int(np.abs(v.a), lo, max(abs(v.lo), abs(v.hi)))

    @staticmethod
    def _where(condition: np.ndarray, a: _Val, b: _Val) -> _Val:
        if not isinstance(a, (_Int, _Rat)) and not isinstance(b, (_Int, _Rat)):
            return np.where(condition, a, b)
        if isinstance(a, _Rat) or isinstance(b, _Rat):
            ra, rb = _as_rat(a), _as_rat(b)
            return _Rat(_select(ra.num, rb.num, condition), _select(ra.den, rb.den, condition))
        return _select(_as_int(a), _as_int(b), condition)

    def _restricted(self, index: np.ndarray) -> _Evaluator:
        """The same evaluator on the states ``index`` only (domain bounds kept)."""
        if index.shape[0] == self.n:
            return self
        sub = _Evaluator.__new__(_Evaluator)
        sub.symbols, sub.columns, sub.nodes = self.symbols, self.columns, 0
        sub.values = {s: _Int(_full(v.a, self.n)[index], v.lo, v.hi) for s, v in self.values.items()}
        sub.n = index.shape[0]
        return sub

    def _on(self, index: np.ndarray, expr: Any, condition: bool = False) -> _Val:
        """``expr`` on the states ``index``; a failure names a state of this evaluator."""
        sub = self._restricted(index)
        try:
            return _full(sub._bool(expr), sub.n) if condition else sub(expr)
        except _Undefined as err:
            where = np.zeros(self.n, dtype=bool)
            where[index[np.broadcast_to(err.where, (index.shape[0],))]] = True
            raise _Undefined(err.problem, where) from None

    def _piecewise(self, pairs: Any) -> _Val:
        """The value of the first true condition, each piece evaluated only where it is chosen.

        So ``Piecewise((1/x, x > 0), (0, True))`` is defined at ``x = 0``:
        a piece (or a later condition) may be undefined where it is not used.
        """
        remaining = np.arange(self.n, dtype=np.int64)
        pieces: list[tuple[np.ndarray, _Val]] = []
        for value, condition in pairs:
            if remaining.shape[0] == 0:
                break
            holds = self._on(remaining, condition, condition=True)
            chosen = remaining[holds]
            if chosen.shape[0]:
                pieces.append((chosen, self._on(chosen, value)))
            remaining = remaining[~holds]
        if remaining.shape[0]:
            where = np.zeros(self.n, dtype=bool)
            where[remaining] = True
            raise _Undefined("undefined (no condition of the Piecewise holds)", where)
        return _scatter(pieces, self.n)

    def _by_sympy(self, expr: Any) -> _Val:
        """sympy's own value of ``expr``, computed once per distinct values of its arguments.

        The arguments are evaluated here first (so a huge constant argument
        is refused by the bit limit, not computed by sympy) and
        ``expr.func`` is applied to each distinct combination of their
        values. An argument that is no value on the states (a bound variable
        of a ``Sum``) makes sympy evaluate the whole node instead, per
        distinct values of its free variables.
        """
        import sympy

        try:
            keys: list[_Val] = [self(a) for a in expr.args]
            rebuild = True
        except _Unknown:
            keys = [self.values[s] for s in self.symbols if s in expr.free_symbols]
            rebuild = False
        codes = np.zeros(self.n, dtype=np.int64)
        arrays = []
        for key in keys:
            ids, array = _labels(key, self.n)
            arrays.append(array)
            codes, _ = canonical_labels(codes * self.n + ids)
        firsts = first_occurrences(codes)
        results = []
        for m in firsts.tolist():
            point = [_to_sympy(array[m]) for array in arrays]
            if rebuild:
                value = expr.func(*point)
            else:
                free = [s for s in self.symbols if s in expr.free_symbols]
                value = expr.xreplace(dict(zip(free, point)))
            if not (value.is_Number or value in (sympy.true, sympy.false)):
                value = value.doit()
            results.append(value)
        if results and all(v in (sympy.true, sympy.false) for v in results):
            return np.array([bool(v) for v in results])[codes]
        for m, v in zip(firsts.tolist(), results):
            if not isinstance(v, sympy.Rational):
                raise _Undefined(f"{v}, not a rational number", codes == codes[m])
        nums = np.array([int(v.p) for v in results], dtype=object)[codes]
        num = _Int.data(nums)
        if all(v.q == 1 for v in results):
            return num
        return _Rat(num, _Int.data(np.array([int(v.q) for v in results], dtype=object)[codes]))


def _scatter(pieces: list[tuple[np.ndarray, _Val]], n: int) -> _Val:
    """One value per state from values on disjoint sets of states that cover them all."""
    values = [v for _, v in pieces]
    if all(not isinstance(v, (_Int, _Rat)) for v in values):
        flags = np.zeros(n, dtype=bool)
        for index, v in pieces:
            flags[index] = v
        return flags
    if any(isinstance(v, _Rat) for v in values):
        rats = [(index, _as_rat(v)) for index, v in pieces]
        return _Rat(_scatter_ints([(i, r.num) for i, r in rats], n),
                    _scatter_ints([(i, r.den) for i, r in rats], n))
    return _scatter_ints([(index, _as_int(v)) for index, v in pieces], n)


def _scatter_ints(pieces: list[tuple[np.ndarray, _Int]], n: int) -> _Int:
    lo = min((v.lo for _, v in pieces), default=0)
    hi = max((v.hi for _, v in pieces), default=0)
    wide = not (-_INT64_MAX <= lo and hi <= _INT64_MAX) or not all(v.fits for _, v in pieces)
    out = np.zeros(n, dtype=object if wide else np.int64)
    for index, v in pieces:
        out[index] = v.a.astype(object) if wide else v.a
    return _Int(out, lo, hi)


def _to_sympy(value: Any) -> Any:
    import sympy

    if isinstance(value, (bool, np.bool_)):
        return sympy.true if value else sympy.false
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    return sympy.Integer(int(value))


# ---------------------------------------------------------------------- from values to arrays


def _evaluate(expr: Any, symbols: list[Any], evaluator: _Evaluator, name: str) -> tuple[Any, _Val]:
    """``expr`` (parsed if a string) and its exact value on every state."""
    expr = _expression(expr, symbols, name)
    stray = expr.free_symbols - set(symbols)
    if stray:
        raise InvalidValueError(
            f"{name} = {expr} uses {', '.join(sorted(map(str, stray)))}, which "
            f"{'is not a state variable' if len(stray) == 1 else 'are not state variables'}"
        )
    try:
        return expr, evaluator(expr)
    except _Huge as err:
        raise InvalidValueError(
            f"{name} = {expr} reaches integers of {err.bits} bits on some state, more than "
            f"MAX_BITS = {MAX_BITS}; reduce as you go (Mod(x**e, m) is computed by modular "
            f"exponentiation)"
        ) from None
    except _Undefined as err:
        m = int(np.flatnonzero(np.broadcast_to(err.where, (evaluator.n,)))[0])
        raise InvalidValueError(
            f"{name} = {expr} cannot be evaluated on every state: {err.problem} at state "
            f"{_describe(symbols, evaluator.columns, m)}"
        ) from None
    except (TypeError, ValueError, ArithmeticError, RecursionError) as err:
        raise InvalidValueError(f"{name} = {expr} cannot be evaluated on every state: {err}") from None


def _full(a: np.ndarray, n: int) -> np.ndarray:
    """A value per state (constants are 0-d arrays until here)."""
    return a if a.shape == (n,) else np.broadcast_to(a, (n,))


def _integers(value: _Val, n: int, symbol: Any, r: range, symbols: list[Any],
              columns: list[np.ndarray] | None, what: str) -> _Int:
    """An exact integer per state, or raise naming a state where the value is not one."""
    if isinstance(value, _Rat):
        num, den = _full(value.num.a, n), _full(value.den.a, n)
        rest = np.asarray(np.mod(num, den) != 0).astype(bool)
        if rest.any():
            m = int(np.flatnonzero(rest)[0])
            shown = str(Fraction(int(num[m]), int(den[m])))
            raise InvalidValueError(_bad(symbol, shown, r, m, symbols, columns, what, "not an integer"))
        return _floordiv(value.num, value.den)
    return _as_int(value)


def _digits(
    values: list[_Int], symbols: list[Any], ranges: list[range], columns: list[Ids] | None, what: str,
    n: int,
) -> list[Ids]:
    """The digit (index into its domain) of each variable's value; raise naming the first bad one."""
    digits = []
    for symbol, r, value in zip(symbols, ranges, values):
        column = _full(value.a, n)  # int64, or Python ints beyond int64
        offset = column - r.start
        digit = offset // r.step
        bad = np.asarray((offset < 0) | (digit >= len(r)) | (offset % r.step != 0)).astype(bool)
        if bad.any():
            m = int(np.flatnonzero(bad)[0])
            value_m = int(column[m])
            raise InvalidValueError(
                _bad(symbol, repr(value_m), r, m, symbols, columns, what, f"outside {r!r}", value_m)
            )
        digits.append(np.asarray(digit).astype(np.int64))
    return digits


def _encode(digits: list[Ids], ranges: list[range], n: int) -> Ids:
    """State index (mixed radix, the first variable most significant) of each row of digits."""
    index = np.zeros(n, dtype=np.int64)
    for digit, stride in zip(digits, _strides(ranges)):
        index += digit * stride
    return index


def _hint(symbol: Any, r: range, value: int | None) -> str:
    """How to keep a step inside its domain, for the way this value leaves it."""
    if value is None:  # not an integer
        return "; round it, e.g. floor(...) (or // for integer division)"
    ways = []
    if value > r[-1]:
        ways.append(f"Min(..., {r[-1]}) to stop at the top")
    else:
        ways.append(f"Max(..., {r[0]}) to stop at the bottom")
    if r.start == 0 and r.step == 1:
        ways.append(f"Mod(..., {len(r)}) to wrap around")
    ways.append(f"Piecewise((..., condition), ({symbol}, True)) to change it only where it fits")
    return (
        f"; keep it in range with {', '.join(ways[:-1])} or {ways[-1]}, or make this state "
        f"halted (halted states are not stepped)"
    )


def _bad(
    symbol: Any, shown: str, r: range, m: int, symbols: list[Any], columns: list[Ids] | None,
    what: str, problem: str, value: int | None = None,
) -> str:
    where = f" at state {_describe(symbols, columns, m)}" if columns is not None else f" (entry {m})"
    hint = _hint(symbol, r, value) if what == "step" else ""
    return f"{what} for {symbol}{where} is {shown}, {problem}{hint}"


def _labels(value: _Val, n: int) -> tuple[Ids, np.ndarray]:
    """Kernel ids of one value per state, and the values as Python objects (an object array).

    Integers come back as ``int``, conditions as ``bool``, non-integral
    rationals as :class:`fractions.Fraction` (never a float).
    """
    if isinstance(value, _Rat):
        exact = np.frompyfunc(lambda p, q: p // q if p % q == 0 else Fraction(p, q), 2, 1)
        objects = np.asarray(exact(_full(value.num.a.astype(object), n), _full(value.den.a.astype(object), n)))
        array = objects.astype(object)
    elif isinstance(value, _Int):
        array = _full(value.a, n)
    else:
        array = _full(np.asarray(value, dtype=bool), n)
    ids, _ = canonical_labels(array)
    return ids, array


def _values(
    exprs: Any, symbols: list[Any], evaluator: _Evaluator, name: str
) -> tuple[Ids, tuple[Any, ...]]:
    """Kernel of an expression (or a tuple of them): ids and their values."""
    n = evaluator.n
    if isinstance(exprs, (tuple, list)):
        if not exprs:
            raise InvalidValueError(f"{name} is an empty sequence of expressions")
        parts = [_labels(_evaluate(e, symbols, evaluator, f"{name}[{i}]")[1], n) for i, e in enumerate(exprs)]
        ids = parts[0][0]
        for part_ids, _ in parts[1:]:
            # pair the ids (each < n, so the code stays below n**2 <= 10**14), renumber
            ids, _ = canonical_labels(ids * n + part_ids)
        firsts = first_occurrences(ids)
        columns = [array[firsts].tolist() for _, array in parts]
        return ids, tuple(zip(*columns))
    ids, array = _labels(_evaluate(exprs, symbols, evaluator, name)[1], n)
    return ids, tuple(array[first_occurrences(ids)].tolist())


#: By default a bar is considered for the product space from this many
#: states times expressions on (each expression node is one array
#: operation over the states).
_PROGRESS_WORK = 10_000_000


def computation_from_sympy(
    variables: Mapping[Any, int | range] | Sequence[tuple[Any, int | range]],
    step: Mapping[Any, Any] | Sequence[Any],
    *,
    halted: Any = None,
    output: Any = None,
    inputs: Iterable[Any] | None = None,
    state_labels: bool = True,
    max_states: int = 10_000_000,
    reachable_from: Iterable[Any] | None = None,
    progress: bool | None = None,
) -> Computation:
    """Build a computation from sympy expressions over finite state variables.

    Parameters
    ----------
    variables : mapping or sequence of pairs
        ``{symbol: domain}`` in order; a domain is an int ``k`` (the values
        ``0 .. k-1``: integers mod ``k``, ``2`` for a bit) or an increasing
        ``range``. The states are all combinations, numbered in mixed radix
        with the first variable most significant.
    step : mapping or sequence
        The next value of each variable: ``{symbol: expression}`` (variables
        left out keep their value) or one expression per variable in order.
        Each must land in its variable's domain on every state (write
        ``(x * y) % p``, i.e. ``Mod(x*y, p)``, to stay mod ``p``). An
        expression is a sympy object, a number, or a string such as
        ``"(x*y) % 7"``, parsed without evaluation (see the module notes).
    halted : sympy boolean expression, optional
        True on halted states, e.g. ``sympy.Eq(x, 0)``; by default no state
        halts.
    output : expression or tuple of expressions, optional
        The output value of a state (a tuple of values for a tuple of
        expressions); by default the output is the state itself. Values are
        exact: ``int``, ``bool``, or :class:`fractions.Fraction` for a
        non-integral rational.
    inputs : iterable, optional
        Start states, each a tuple of variable values (a plain value when
        there is one variable), each its own input value. By default every
        state is an input, named by its index.
    state_labels : bool, default True
        Name each state by its tuple of variable values (its value when
        there is one variable). False keeps only arrays: for big spaces,
        as the labels are Python objects, one per state.
    max_states : int, default 10_000_000
        Refuse larger state spaces with :class:`~abstractions.TooLargeError`
        (with ``reachable_from``: more reachable states).
    reachable_from : iterable, optional
        Start states (as for ``inputs``, which they become): enumerate only
        the states reachable from them, breadth first, never the product
        space. The states are numbered as in the product space (by their
        mixed-radix index), so the result equals the full computation
        with these inputs restricted to its reachable states.
    progress : bool or None
        A bar: over the whole product space it counts the expressions
        evaluated (the halting condition, then one per variable, each on
        every state at once, so nothing moves during one), with the number
        of states beside it; with ``reachable_from`` it counts the states
        explored, frontier by frontier, with the depth beside it. By
        default it shows on an interactive terminal or notebook once the
        work has taken a second (over the product space: from ten million
        states times expressions); True or False forces it
        (:mod:`abstractions.progress`).

    Returns
    -------
    Computation
        With :attr:`~abstractions.System.variables` the symbols' names,
        their values per state (:meth:`~abstractions.System.values`) and
        the syntactic dependency graph (which variables each next value
        reads, the halting condition's variables included).

    Raises
    ------
    InvalidValueError
        If an expression gives a value outside its variable's domain or a
        non-integer (the message names the variable and a state where it
        happens), uses a symbol that is not a state variable, cannot be
        evaluated (e.g. division by zero), needs integers of more than
        :data:`MAX_BITS` bits, or is a string that is not an allowed
        expression.
    InvalidTypeError
        For a variable that is not a ``sympy.Symbol``, a domain that is
        not an int or a range, or an expression of another type.
    TooLargeError
        If the state space has more than ``max_states`` states.

    See Also
    --------
    partition_from_expression : abstractions as expressions of the state.

    Notes
    -----
    State ``m`` has digits ``d_i = (m // s_i) % k_i`` with ``k_i`` the size
    of domain ``i`` and ``s_i = k_{i+1} * ... * k_last``; variable ``i`` has
    value ``domain_i[d_i]``. Each expression is evaluated once on the
    arrays of all states' values (one array operation per node of the
    expression), exactly (see the module notes), and the successor's index
    is encoded back in the same way. ``step`` is evaluated on the states
    that do not halt only: a halted state is never stepped, so its step
    may leave the domain. With ``reachable_from`` the same happens once per
    breadth-first frontier (its cost grows with the depth of the search as
    well as with the number of reachable states).

    Examples
    --------
    Multiply by a fixed factor mod 7 until the value is 1:

    >>> import sympy
    >>> from abstractions import Computation
    >>> x, y = sympy.symbols("x y")
    >>> C = Computation.from_sympy({x: 7, y: range(2, 4)}, {x: (x * y) % 7},
    ...                            halted=sympy.Eq(x, 1), output=x)
    >>> C.n, C.state_labels[:3]
    (14, ((0, 2), (0, 3), (1, 2)))
    >>> [C.state_labels[m] for m in C.trace(C.state_index((2, 2)))]
    [(2, 2), (4, 2), (1, 2)]
    >>> Computation.from_sympy({x: 7}, {x: x + 1})
    Traceback (most recent call last):
    ...
    abstractions.exceptions.InvalidValueError: step for x at state x=6 is 7, outside range(0, 7); keep it in range with Min(..., 6) to stop at the top, Mod(..., 7) to wrap around or Piecewise((..., condition), (x, True)) to change it only where it fits, or make this state halted (halted states are not stepped)

    Only the states reachable from a start, never the product space:

    >>> C = Computation.from_sympy({x: 10**6, y: 10**6}, {x: x + 1, y: y + 2},
    ...                            halted=x >= 3, reachable_from=[(0, 0)])
    >>> C.n, C.state_labels, C.variables
    (4, ((0, 0), (1, 2), (2, 4), (3, 6)), ('x', 'y'))

    Exact where int64 would overflow, and strings are parsed, not run:

    >>> int(Computation.from_sympy({x: 7}, {x: sympy.Mod(x**30, 7)}).step[5]) == pow(5, 30, 7)
    True
    >>> Computation.from_sympy({x: 7}, {x: "Mod(x**30, 7)"}).step.tolist()
    [0, 1, 1, 1, 1, 1, 1]
    """

    limit = as_count(max_states, "max_states")
    symbols, ranges, n = _space(variables, None if reachable_from is not None else limit)
    exprs = [
        _expression(e, symbols, f"step[{sym}]") for sym, e in zip(symbols, _step_list(step, symbols))
    ]
    halted_expr = None if halted is None else _expression(halted, symbols, "halted")
    keys: list[Any] | None
    start_digits: list[Ids] | None
    if reachable_from is not None:
        if inputs is not None:
            raise InvalidValueError(
                "give the start states once: reachable_from= (they become the inputs) or "
                "inputs=, not both"
            )
        starts = _start_states(reachable_from, symbols, ranges, "reachable_from")
        with progress_bar(progress, desc="exploring", unit="states") as bar:
            digits, succ, halts = _explore(
                exprs, halted_expr, symbols, ranges, starts[1], limit, bar
            )
        n = digits[0].shape[0]
        columns = _columns_of(digits, ranges)
        start_digits = starts[1]
        keys = starts[0]
    else:
        columns = _columns(ranges, n)
        digits = _digits_of(ranges, n)
        count = len(exprs) + (halted_expr is not None)
        with progress_bar(
            progress, total=count, desc="enumerating", unit="expressions",
            work=n * count, threshold=_PROGRESS_WORK,
        ) as bar:  # fmt: skip
            bar.update(0, counted(n, "state"))
            halts, nexts = _step_digits(exprs, halted_expr, symbols, ranges, columns, bar)
        succ = _encode(nexts, ranges, n)
        keys, start_digits = (None, None) if inputs is None else _start_states(
            inputs, symbols, ranges, "inputs"
        )
    evaluator = _Evaluator(symbols, columns, ranges)

    labels = None
    if state_labels:
        if len(columns) == 1:
            labels = columns[0].tolist()
        else:
            labels = list(zip(*(c.tolist() for c in columns)))

    output_ids = output_values = None
    if output is not None:
        output_ids, output_values = _values(output, symbols, evaluator, "output")

    starts_map: dict[Any, int] | None = None
    if keys is not None and start_digits is not None:
        if reachable_from is None:
            where = _encode(start_digits, ranges, len(keys))
        else:
            where = _locate(start_digits, digits, ranges)
        starts_map = dict(zip(keys, where.tolist()))
    free_halted = set() if halted_expr is None else halted_expr.free_symbols
    reads = {
        str(sym): tuple(
            str(v) for v in symbols
            if (v == sym if e == sym else v in e.free_symbols or v in free_halted)
        )
        for sym, e in zip(symbols, exprs)
    }
    record = Variables(
        [str(sym) for sym in symbols], np.vstack(digits), ranges, reads
    )
    return Computation(
        succ,
        halted=halts,
        output=output_ids,
        inputs=starts_map,
        output_values=output_values,
        state_labels=labels,
        variables=record,
    )


def _step_list(step: Any, symbols: list[Any]) -> list[Any]:
    """One next-value expression per variable, from a mapping or a sequence."""
    if isinstance(step, Mapping):
        unknown = [s for s in step if s not in symbols]
        if unknown:
            raise InvalidValueError(f"step gives a value for {unknown[0]!r}, which is not a state variable")
        return [step.get(s, s) for s in symbols]
    if isinstance(step, Sequence) and not isinstance(step, (str, bytes)):
        if len(step) != len(symbols):
            raise InvalidValueError(
                f"step has {len(step)} expressions for {len(symbols)} variables; give one per variable"
            )
        return list(step)
    raise InvalidTypeError(
        f"step must be a mapping {{symbol: expression}} or a sequence of expressions, "
        f"got {type(step).__name__}"
    )


def _digits_of(ranges: list[range], n: int) -> list[Ids]:
    """The digit of each variable in every state of the product space."""
    index = np.arange(n, dtype=np.int64)
    return [(index // stride) % len(r) for r, stride in zip(ranges, _strides(ranges))]


def _columns_of(digits: list[Ids], ranges: list[range]) -> list[np.ndarray]:
    """Variable values from digits (int64, or Python ints for a domain beyond int64)."""
    columns = []
    for d, r in zip(digits, ranges):
        if -(2**63) < r[0] and r[-1] < 2**63:
            columns.append(r.start + r.step * d)
        else:
            columns.append(r.start + r.step * d.astype(object))
    return columns


def _halts(halted: Any, symbols: list[Any], evaluator: _Evaluator) -> Any:
    """The halting flags on the evaluator's states (None: no state halts)."""
    if halted is None:
        return None
    expr, flags = _evaluate(halted, symbols, evaluator, "halted")
    if isinstance(flags, _Int) and flags.lo >= 0 and flags.hi <= 1:
        flags = flags.a != 0
    if isinstance(flags, (_Int, _Rat)):
        raise InvalidValueError(f"halted = {expr} must be true or false on every state")
    return np.array(_full(np.asarray(flags, dtype=bool), evaluator.n))


def _step_digits(
    exprs: list[Any], halted: Any, symbols: list[Any], ranges: list[range], columns: list[np.ndarray],
    bar: ProgressBar | None = None,
) -> tuple[Any, list[Ids]]:
    """Halting flags and the successor's digits of every state (a halted state keeps its own).

    The step is evaluated on the states that do not halt only: a halted
    state is never stepped, so its step may leave the domain. ``bar``
    counts the expressions evaluated (the halting condition, then one per
    variable).
    """
    evaluator = _Evaluator(symbols, columns, ranges)
    n = evaluator.n
    halts = _halts(halted, symbols, evaluator)
    if bar is not None and halted is not None:
        bar.update(1)
    moving = np.arange(n, dtype=np.int64) if halts is None else np.flatnonzero(~halts)
    sub_columns = [c[moving] for c in columns]
    sub = _Evaluator(symbols, sub_columns, ranges) if halts is not None else evaluator
    nexts = []
    for sym, r, e in zip(symbols, ranges, exprs):
        value = _evaluate(e, symbols, sub, f"step[{sym}]")[1]
        nexts.append(_integers(value, sub.n, sym, r, symbols, sub_columns, "step"))
        if bar is not None:
            bar.update(1)
    moved = _digits(nexts, symbols, ranges, sub_columns, "step", sub.n)
    own = [_own_digits(c, r) for c, r in zip(columns, ranges)]
    for d, m in zip(own, moved):
        d[moving] = m
    return halts, own


def _own_digits(column: np.ndarray, r: range) -> Ids:
    return np.asarray((column - r.start) // r.step).astype(np.int64)


def _start_states(
    given: Any, symbols: list[Any], ranges: list[range], name: str
) -> tuple[list[Any], list[Ids]]:
    """Input keys and the digits of the start states (tuples of values, a value for one variable)."""
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise InvalidTypeError(f"{name} must be an iterable of states, got {type(given).__name__}")
    rows_in = [tuple(s) if isinstance(s, (tuple, list)) else (s,) for s in given]
    if not rows_in:
        raise InvalidValueError(f"{name} is empty; give at least one start state")
    if any(len(s) != len(symbols) for s in rows_in):
        bad = next(s for s in rows_in if len(s) != len(symbols))
        raise InvalidValueError(f"{name} state {bad!r} needs {len(symbols)} values, one per variable")
    rows = []
    for i, symbol in enumerate(symbols):
        values = []
        for s in rows_in:
            try:
                values.append(operator.index(s[i]))  # int, numpy and sympy integers
            except TypeError:
                raise InvalidTypeError(
                    f"{name} for {symbol}: {s[i]!r} of type {type(s[i]).__name__} is not an integer"
                ) from None
        rows.append(_Int.data(np.array(values, dtype=object)))
    digits = _digits(rows, symbols, ranges, None, name, len(rows_in))
    keys = [s if len(symbols) > 1 else s[0] for s in rows_in]
    return keys, digits


def _codes(digits: list[Ids], ranges: list[range]) -> np.ndarray:
    """Mixed-radix codes of rows of digits: int64 when the product space allows, else Python ints."""
    total = 1
    for r in ranges:
        total *= len(r)
    if total < 2**63:
        return _encode(digits, ranges, digits[0].shape[0])
    code = np.zeros(digits[0].shape[0], dtype=object)
    for d, r in zip(digits, ranges):
        code = code * len(r) + d.astype(object)
    return code


def _explore(
    exprs: list[Any], halted: Any, symbols: list[Any], ranges: list[range], starts: list[Ids],
    limit: int, bar: ProgressBar | None = None,
) -> tuple[list[Ids], Ids, Any]:
    """The states reachable from ``starts``, breadth-first, one array evaluation per frontier.

    Returns the digits of the reachable states (numbered as in the product
    space: by mixed-radix code), the successor of each, and the halting
    flags (None when no state halts). ``bar`` counts the states of each
    frontier once it is stepped, with the depth as its note.
    """
    seen: dict[Any, int] = {}
    found: list[list[Ids]] = []  # digits of each frontier
    frontier = starts
    codes = _codes(frontier, ranges)
    order = []
    for i, c in enumerate(codes.tolist()):
        if c not in seen:
            seen[c] = len(seen)
            order.append(i)
    frontier = [d[order] for d in frontier]
    succ_codes: list[np.ndarray] = []
    halt_parts: list[Any] = []
    while frontier[0].shape[0]:
        if len(seen) > limit:
            raise TooLargeError(
                f"more than max_states={limit} states are reachable from reachable_from; "
                f"raise max_states if the state space really is this large"
            )
        found.append(frontier)
        halts, nexts = _step_digits(exprs, halted, symbols, ranges, _columns_of(frontier, ranges))
        if bar is not None:
            bar.update(frontier[0].shape[0], f"depth {len(found) - 1}")
        halt_parts.append(halts)
        nxt = _codes(nexts, ranges)
        succ_codes.append(nxt)
        fresh = []
        for i, c in enumerate(nxt.tolist()):
            if c not in seen:
                seen[c] = len(seen)
                fresh.append(i)
        pick = np.array(fresh, dtype=np.int64)
        frontier = [d[pick] for d in nexts]
    if len(seen) > limit:
        raise TooLargeError(
            f"more than max_states={limit} states are reachable from reachable_from; "
            f"raise max_states if the state space really is this large"
        )
    digits = [np.concatenate([f[j] for f in found]) for j in range(len(ranges))]
    own = _codes(digits, ranges)
    # Number the states as the product space does (by code), so the result equals
    # the full enumeration restricted to the reachable states.
    rank = np.argsort(own, kind="stable")
    position = np.empty(rank.shape[0], dtype=np.int64)
    position[rank] = np.arange(rank.shape[0], dtype=np.int64)
    found_at = np.array([seen[c] for c in np.concatenate(succ_codes).tolist()], dtype=np.int64)
    succ = np.empty(rank.shape[0], dtype=np.int64)
    succ[position] = position[found_at]
    halts = None
    if halted is not None:
        halts = np.concatenate(halt_parts)[rank]
    return [d[rank] for d in digits], succ, halts


def _locate(start_digits: list[Ids], digits: list[Ids], ranges: list[range]) -> Ids:
    """Index of each start state among the explored states (sorted by code)."""
    own = _codes(digits, ranges)
    wanted = _codes(start_digits, ranges)
    index = {c: i for i, c in enumerate(own.tolist())}
    return np.array([index[c] for c in wanted.tolist()], dtype=np.int64)


def partition_from_expression(
    expr: Any,
    variables: Mapping[Any, int | range] | Sequence[tuple[Any, int | range]] | System,
    *,
    max_states: int = 10_000_000,
) -> Partition:
    """The kernel of a sympy expression of the state: the abstraction that keeps its value.

    Parameters
    ----------
    expr : sympy expression, string, or tuple of them
        A function of the state variables, e.g. ``x % 2`` or ``(x > 3, y)``.
    variables : System, mapping or sequence of pairs
        A system with variables (:attr:`~abstractions.System.variables`,
        e.g. built by :func:`computation_from_sympy`, restricted or not):
        the expression is evaluated on its own states, matched by variable
        name, so the partition fits it without a ``.restrict``. Or the state
        variables and their domains, exactly as given to
        :func:`computation_from_sympy` (the states of the product space,
        numbered alike).
    max_states : int, default 10_000_000
        Refuse larger state spaces.

    Returns
    -------
    Partition
        ``Partition.kernel`` of the expression's values on every state.

    Raises
    ------
    InvalidValueError
        If ``expr`` uses a symbol that is not a state variable or cannot be
        evaluated, or a system has no variables or variables that are not
        integers.

    See Also
    --------
    Partition.kernel, computation_from_sympy

    Examples
    --------
    >>> import sympy
    >>> from abstractions import Computation, Partition
    >>> x, y = sympy.symbols("x y")
    >>> Partition.from_expression(x % 2, {x: 4, y: 2}).labels   # states (0,0), (0,1), (1,0), ...
    array([0, 0, 1, 1, 0, 0, 1, 1])

    Bound to a computation, on its reachable states only:

    >>> C = Computation.from_sympy({x: 100, y: 100}, {x: x + 1, y: y + 3}, halted=x >= 4,
    ...                            reachable_from=[(0, 0)])
    >>> Partition.from_expression("y % 2", C).labels
    array([0, 1, 0, 1, 0])
    """
    import sympy

    if isinstance(variables, System):
        record = variables.state_variables
        if record is None:
            raise InvalidValueError(
                "variables is a system without variables; give a system built with "
                "Computation.from_sympy (or with variables=), or the domains {symbol: range}"
            )
        symbols = [sympy.Symbol(name) for name in record.names]
        columns, ranges = [], []
        for name in record.names:
            values = variables.values(name)
            if values.dtype == object and not all(isinstance(v, int) for v in values.tolist()):
                raise InvalidValueError(
                    f"variable {name!r} has values that are not integers; expressions need "
                    f"integer variables"
                )
            low = int(values.min()) if values.size else 0
            high = int(values.max()) if values.size else 0
            columns.append(values)
            ranges.append(range(low, high + 1))
        given = _expression_by_name(expr, symbols)
        ids, _ = _values(given, symbols, _Evaluator(symbols, columns, ranges), "expr")
        return Partition.from_labels(ids)
    symbols, ranges, n = _space(variables, as_count(max_states, "max_states"))
    columns = _columns(ranges, n)
    ids, _ = _values(expr, symbols, _Evaluator(symbols, columns, ranges), "expr")
    return Partition.from_labels(ids)


def _expression_by_name(expr: Any, symbols: list[Any]) -> Any:
    """``expr`` with its symbols replaced by the variables of the same name (strings parsed)."""
    import sympy

    if isinstance(expr, (tuple, list)):
        return tuple(_expression_by_name(e, symbols) for e in expr)
    value = _expression(expr, symbols, "expr")
    names = {str(s): s for s in symbols}
    if isinstance(value, sympy.Basic):
        swap = {s: names[str(s)] for s in value.free_symbols if str(s) in names}
        value = value.xreplace(swap)
    return value


def partition_to_sympy(partition: Partition) -> Any:
    """The partition as a ``sympy.combinatorics.partitions.Partition`` of ``0 .. n-1``.

    Parameters
    ----------
    partition : Partition
        At most :data:`SYMPY_MAX_STATES` states.

    Returns
    -------
    sympy.combinatorics.partitions.Partition

    Raises
    ------
    TooLargeError
        For more than :data:`SYMPY_MAX_STATES` states.
    InvalidValueError
        For 0 states (sympy has no empty partition).

    Notes
    -----
    Only the blocks carry over. sympy's ``<`` and ``<=`` on partitions
    compare ranks (a total order for enumeration), not information or
    refinement: use this package's order on :class:`Partition` for that.
    sympy's ``RGS`` of the result equals :attr:`Partition.labels` (both are
    first-occurrence labels over ``0 .. n-1``).

    Examples
    --------
    >>> from abstractions import Partition
    >>> p = Partition([0, 1, 0]).to_sympy()
    >>> p
    Partition({1}, {0, 2})
    >>> Partition.from_sympy(p) == Partition([0, 1, 0])
    True
    """
    from sympy.combinatorics.partitions import (  # type: ignore[import-untyped,unused-ignore]
        Partition as SympyPartition,
    )

    if not isinstance(partition, Partition):
        raise InvalidTypeError(f"partition must be a Partition, got {type(partition).__name__}")
    if partition.n > SYMPY_MAX_STATES:
        raise TooLargeError(
            f"the partition has {partition.n} states; conversion to sympy is limited to "
            f"SYMPY_MAX_STATES = {SYMPY_MAX_STATES} (sympy stores every element as an object)"
        )
    if partition.n == 0:
        # sympy has no partition of the empty set: Partition() returns EmptySet
        raise InvalidValueError("a partition of 0 states has no sympy Partition (sympy needs an element)")
    return SympyPartition(*(block.tolist() for block in partition.blocks()))


def partition_from_sympy(p: Any) -> Partition:
    """A :class:`Partition` from a sympy ``Partition`` whose elements are exactly ``0 .. n-1``.

    Parameters
    ----------
    p : sympy.combinatorics.partitions.Partition
        At most :data:`SYMPY_MAX_STATES` elements, the integers ``0 .. n-1``.

    Returns
    -------
    Partition

    Raises
    ------
    InvalidTypeError
        If ``p`` is not a sympy Partition, or an element is not an integer.
    InvalidValueError
        If the elements are not exactly ``0 .. n-1`` (the message names an
        offending or missing element).
    TooLargeError
        For more than :data:`SYMPY_MAX_STATES` elements.

    Examples
    --------
    >>> from sympy.combinatorics.partitions import Partition as SympyPartition
    >>> from abstractions import Partition
    >>> Partition.from_sympy(SympyPartition([0, 2], [1])).labels
    array([0, 1, 0])
    >>> Partition.from_sympy(SympyPartition([1, 2], [3]))
    Traceback (most recent call last):
    ...
    abstractions.exceptions.InvalidValueError: element 3 of the sympy partition is out of range: the elements must be exactly 0..2
    """
    import sympy
    from sympy.combinatorics.partitions import Partition as SympyPartition

    if not isinstance(p, SympyPartition):
        raise InvalidTypeError(f"p must be a sympy.combinatorics.partitions.Partition, got {type(p).__name__}")
    blocks = [list(block) for block in p.args]
    n = sum(len(b) for b in blocks)
    if n > SYMPY_MAX_STATES:
        raise TooLargeError(
            f"the sympy partition has {n} elements; conversion is limited to "
            f"SYMPY_MAX_STATES = {SYMPY_MAX_STATES}"
        )
    owner = np.full(n, -1, dtype=np.int64)
    for j, block in enumerate(blocks):
        for element in block:
            if not isinstance(element, (int, sympy.Integer)) or isinstance(element, bool):
                raise InvalidTypeError(
                    f"element {element!r} of the sympy partition is not an integer; "
                    f"the elements must be exactly 0..{n - 1}"
                )
            m = int(element)
            if not 0 <= m < n:
                raise InvalidValueError(
                    f"element {m} of the sympy partition is out of range: the elements must be "
                    f"exactly 0..{n - 1}"
                )
            owner[m] = j  # elements are distinct (sympy checks), so no state is claimed twice
    missing = np.flatnonzero(owner < 0)
    if missing.size:  # pragma: no cover - n distinct elements in 0..n-1 cover every state
        raise InvalidValueError(f"element {int(missing[0])} is missing from the sympy partition")
    return Partition.from_labels(owner)
