"""Recording the hidden states of torch models (the optional ``torch`` extra).

:func:`record` runs a ``torch.nn.Module`` on a batch with forward hooks on
chosen submodules and returns what they computed as numpy arrays, ready
for :func:`~abstractions.traces.from_traces`. Recurrent layers give the
state after each symbol, with the start state first, so a sequence of
``T`` symbols gives ``T + 1`` states:

* ``nn.RNN``, ``nn.GRU``, ``nn.LSTM`` (called on whole sequences): the top
  layer's hidden state after each symbol (for an LSTM, ``h``: what the rest
  of the network reads), after the initial state ``h0`` (zeros unless
  given);
* ``nn.RNNCell``, ``nn.GRUCell``, ``nn.LSTMCell`` stepped by hand in the
  model's ``forward``: one state per call (an LSTM cell's ``h`` and ``c``
  side by side), after the first call's input state;
* any other module: its output, one array per call (stacked along axis 1
  when it is called more than once).

:func:`recurrent_model` wraps a network as the :data:`~abstractions.extraction.Model`
that :func:`~abstractions.extraction.extract_automaton` runs.

Install torch as ``pip install torch`` (a CPU build is enough); nothing
here is imported by ``import abstractions``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from abstractions.exceptions import InvalidTypeError, InvalidValueError

__all__ = ["Recording", "record", "recurrent_model"]


def _torch() -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "recording a torch model needs torch: pip install 'abstractions[torch]'"
        ) from None
    return torch


def _require_module(model: Any, torch: Any) -> None:
    if not isinstance(model, torch.nn.Module):
        raise InvalidTypeError(
            f"model must be a torch.nn.Module, got {type(model).__name__}"
        )


@dataclass(frozen=True)
class Recording:
    """What :func:`record` returns.

    Attributes
    ----------
    states : dict of str to numpy.ndarray
        Per recorded submodule name, what it computed: ``(B, T+1, H)`` for
        recurrent layers and cells (the start state first), its output for
        other modules.
    output : numpy.ndarray or None
        The model's own output (its first element when it returns a tuple),
        or None when it is not a tensor.
    """

    states: dict[str, np.ndarray]
    output: np.ndarray | None


def _numpy(value: Any) -> np.ndarray:
    return np.asarray(value.detach().cpu().numpy())


def _first_tensor(value: Any, torch: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], torch.Tensor):
        return value[0]
    return None


class _Hook:
    """Collects every call of one submodule."""

    def __init__(self, name: str, module: Any, torch: Any) -> None:
        self.name = name
        self.module = module
        self.torch = torch
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any], Any]] = []

    def __call__(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> None:
        self.calls.append((args, kwargs, output))

    def result(self) -> np.ndarray:
        nn = self.torch.nn
        if not self.calls:
            raise InvalidValueError(
                f"the submodule {self.name!r} was not called during the forward pass"
            )
        if isinstance(self.module, nn.RNNBase):
            return self._sequence_layer()
        if isinstance(self.module, (nn.RNNCellBase,)):
            return self._cell()
        arrays = []
        for _, _, output in self.calls:
            tensor = _first_tensor(output, self.torch)
            if tensor is None:
                raise InvalidTypeError(
                    f"the submodule {self.name!r} returned {type(output).__name__}, not a tensor"
                )
            arrays.append(_numpy(tensor))
        return arrays[0] if len(arrays) == 1 else np.stack(arrays, axis=1)

    def _sequence_layer(self) -> np.ndarray:
        layer = self.module
        if layer.bidirectional:
            raise InvalidValueError(
                f"the submodule {self.name!r} is bidirectional: its state after a symbol "
                "depends on the symbols after it, so it has no trace of prefixes"
            )
        if len(self.calls) > 1:
            raise InvalidValueError(
                f"the recurrent layer {self.name!r} was called {len(self.calls)} times; "
                "record a model that runs it once over the whole sequence"
            )
        args, kwargs, output = self.calls[0]
        seq = _numpy(output[0])
        if seq.ndim == 2:  # unbatched input (T, H)
            seq = seq[None]
        elif not layer.batch_first:
            seq = seq.transpose(1, 0, 2)
        hx = args[1] if len(args) > 1 else kwargs.get("hx")
        if isinstance(hx, tuple):  # LSTM: (h0, c0); the layer's output is h
            hx = hx[0]
        if hx is None:
            start = np.zeros((seq.shape[0], seq.shape[2]), dtype=seq.dtype)
        else:
            top = _numpy(hx)[-1]  # (num_layers, B, H) or unbatched (num_layers, H)
            start = top if top.ndim == 2 else top[None]
        return np.concatenate([start[:, None, :], seq], axis=1)

    def _cell(self) -> np.ndarray:
        def joined(value: Any) -> np.ndarray:
            # An LSTM cell's state is the pair (h, c): both, side by side.
            parts = value if isinstance(value, tuple) else (value,)
            return np.concatenate([_numpy(p) for p in parts], axis=-1)

        after = [joined(output) for _, _, output in self.calls]
        args, kwargs, _ = self.calls[0]
        hx = args[1] if len(args) > 1 else kwargs.get("hx")
        start = np.zeros_like(after[0]) if hx is None else joined(hx)
        return np.stack([start, *after], axis=-2)


def record(model: Any, inputs: Any, *, modules: str | Sequence[str] = ("",)) -> Recording:
    """Run ``model`` on ``inputs`` and record what chosen submodules compute.

    Parameters
    ----------
    model : torch.nn.Module
    inputs : torch.Tensor or tuple
        The batch, passed as ``model(inputs)`` (a tuple is unpacked).
    modules : str or sequence of str, default ("",)
        Names of submodules as in ``model.named_modules()``; ``""`` is the
        model itself.

    Returns
    -------
    Recording

    Raises
    ------
    InvalidTypeError
        If ``model`` is not a ``torch.nn.Module``.
    InvalidValueError
        For an unknown submodule name, a bidirectional layer, or a
        submodule the forward pass did not call.

    Examples
    --------
    >>> import torch
    >>> rnn = torch.nn.GRU(2, 3, batch_first=True)
    >>> record(rnn, torch.zeros(4, 5, 2)).states[""].shape
    (4, 6, 3)
    """
    torch = _torch()
    _require_module(model, torch)
    names = (modules,) if isinstance(modules, str) else tuple(modules)
    available = dict(model.named_modules())
    hooks = []
    for name in names:
        if name not in available:
            shown = ", ".join(repr(n) for n in list(available)[:12])
            raise InvalidValueError(
                f"model has no submodule {name!r}; its submodules are {shown}"
            )
        hooks.append(_Hook(name, available[name], torch))
    handles = [
        hook.module.register_forward_hook(hook, with_kwargs=True) for hook in hooks
    ]
    try:
        with torch.no_grad():
            output = model(*inputs) if isinstance(inputs, tuple) else model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    tensor = _first_tensor(output, torch)
    return Recording(
        states={hook.name: hook.result() for hook in hooks},
        output=None if tensor is None else _numpy(tensor),
    )


def recurrent_model(
    model: Any,
    alphabet: Sequence[Any],
    *,
    module: str = "",
    encode: Callable[[list[Any]], Any] | None = None,
    answer: Callable[[np.ndarray], np.ndarray] | None = None,
    batch_size: int = 1024,
) -> Callable[[list[Any]], tuple[list[np.ndarray], list[np.ndarray]]]:
    """A torch network as a :data:`~abstractions.extraction.Model` for extraction.

    The returned callable runs a list of strings (grouped by length, in
    batches) and returns, per string, its recorded states ``(T+1, H)`` and
    its answers ``(T+1,)``.

    Parameters
    ----------
    model : torch.nn.Module
        Reads a batch of encoded strings; its output holds one score per
        prefix, the empty prefix first: shape ``(B, T+1)`` (or
        ``(B, T+1, ...)``, reduced by ``answer``).
    alphabet : sequence
        The letters.
    module : str, default ""
        The recurrent submodule whose states to record.
    encode : callable, optional
        Strings (all of one length) to the model's input. By default a
        ``LongTensor`` ``(B, T)`` of letter ids (for an ``nn.Embedding``).
    answer : callable, optional
        The model's output (numpy) to the answers per prefix; by default
        ``output > 0`` (a logit).
    batch_size : int, default 1024

    Raises
    ------
    InvalidTypeError
        If ``model`` is not a ``torch.nn.Module``.
    InvalidValueError
        For an empty string (a recurrent layer needs one symbol at least),
        or a letter outside ``alphabet``.
    """
    torch = _torch()
    _require_module(model, torch)
    letters = tuple(alphabet)
    index = {a: i for i, a in enumerate(letters)}

    def default_encode(strings: list[Any]) -> Any:
        try:
            ids = [[index[a] for a in w] for w in strings]
        except KeyError as err:
            raise InvalidValueError(
                f"letter {err.args[0]!r} is not in the alphabet {letters!r}"
            ) from None
        return torch.tensor(ids, dtype=torch.long)

    to_input = default_encode if encode is None else encode
    to_answer = (lambda out: out > 0) if answer is None else answer

    def run(strings: list[Any]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        states: list[Any] = [None] * len(strings)
        answers: list[Any] = [None] * len(strings)
        by_length: dict[int, list[int]] = {}
        for i, w in enumerate(strings):
            if len(w) == 0:
                raise InvalidValueError(
                    f"strings[{i}] is empty; the recorder needs at least one symbol"
                )
            by_length.setdefault(len(w), []).append(i)
        for positions in by_length.values():
            for lo in range(0, len(positions), batch_size):
                chunk = positions[lo : lo + batch_size]
                rec = record(model, to_input([strings[i] for i in chunk]), modules=module)
                if rec.output is None:
                    raise InvalidTypeError("the model's output is not a tensor")
                got = np.asarray(to_answer(rec.output))
                hidden = rec.states[module]
                for j, i in enumerate(chunk):
                    states[i] = hidden[j]
                    answers[i] = got[j]
        return states, answers

    return run
