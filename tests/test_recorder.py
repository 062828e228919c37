"""The torch recorder (runs where torch is installed: ``pip install torch==2.13.0`` on CPU)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import require_extra

require_extra("torch", module_level=True)  # skips, saying why (fails in CI)
import torch

from abstractions.extraction import extract_automaton
from abstractions.machines import tomita
from abstractions.quantizers import GridQuantizer
from abstractions.recorder import record, recurrent_model
from abstractions.traces import from_traces


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_recurrent_layers_give_the_state_after_each_symbol(kind):
    """(B, T+1, H): the initial state, then the layer's output after each symbol."""
    torch.manual_seed(0)
    layer = getattr(torch.nn, kind)(2, 3, num_layers=2, batch_first=True)
    x = torch.randn(4, 5, 2)
    rec = record(layer, x)
    out, _ = layer(x)
    states = rec.states[""]
    assert states.shape == (4, 6, 3)
    assert np.allclose(states[:, 1:], out.detach().numpy())
    assert np.allclose(states[:, 0], 0.0)
    h0 = torch.randn(2, 4, 3)
    hx = (h0, torch.zeros(2, 4, 3)) if kind == "LSTM" else h0
    assert np.allclose(record(layer, (x, hx)).states[""][:, 0], h0[-1].numpy())


def test_time_major_layers_are_returned_batch_first():
    """A layer without batch_first still gives (B, T+1, H)."""
    layer = torch.nn.GRU(2, 3)
    assert record(layer, torch.zeros(5, 4, 2)).states[""].shape == (4, 6, 3)


class Stepper(torch.nn.Module):
    """A cell stepped by hand in forward, with a readout per step."""

    def __init__(self, cell):
        super().__init__()
        self.cell = cell
        self.readout = torch.nn.Linear(3, 1)

    def forward(self, x):
        h = None
        outs = []
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h)
            outs.append(self.readout(h[0] if isinstance(h, tuple) else h))
        return torch.cat(outs, dim=1)


@pytest.mark.parametrize("cell", ["RNNCell", "GRUCell", "LSTMCell"])
def test_cells_stepped_by_hand_are_recorded_per_call(cell):
    """One state per call, the start state first; an LSTM cell's h and c side by side."""
    model = Stepper(getattr(torch.nn, cell)(2, 3))
    rec = record(model, torch.randn(4, 5, 2), modules=["cell", "readout"])
    width = 6 if cell == "LSTMCell" else 3
    assert rec.states["cell"].shape == (4, 6, width)
    assert rec.states["readout"].shape == (4, 5, 1)  # called 5 times: stacked on axis 1
    assert rec.output.shape == (4, 5)


def test_recorded_states_go_straight_into_from_traces():
    """The recording is a batch of traces."""
    layer = torch.nn.RNN(2, 4, batch_first=True)
    x = torch.nn.functional.one_hot(torch.randint(0, 2, (8, 6)), 2).float()
    rec = record(layer, x)
    E = from_traces(rec.states[""], symbols=x.argmax(-1).numpy(), quantizer=GridQuantizer(0.5))
    assert E.n_traces == 8 and E.state_ids.shape == (8 * 7,)


class HandSetRNN(torch.nn.Module):
    """A network stepped by hand whose weights implement a DFA on one-hot states."""

    def __init__(self, dfa, gain=12.0):
        super().__init__()
        self.n = dfa.n
        self.dfa = dfa
        self.gain = gain
        self.accept = torch.tensor(
            [float(bool(dfa.output_value(s))) for s in range(dfa.n)], dtype=torch.float32
        )

    def forward(self, letters):
        # Stepped by hand: h' = sigmoid(gain * (W_a h - 1/2)), read out by accept . h.
        n = self.n
        W = torch.zeros(2, n, n)
        for a in range(2):
            W[a, torch.tensor(self.dfa.steps[a]), torch.arange(n)] = 1.0
        h = torch.zeros(letters.shape[0], n)
        h[:, int(self.dfa.input_states[0])] = 1.0
        states = [h]
        for t in range(letters.shape[1]):
            h = torch.sigmoid(self.gain * (torch.einsum("bij,bj->bi", W[letters[:, t]], h) - 0.5))
            states.append(h)
        H = torch.stack(states, dim=1)
        self.last_states = H
        return (H @ self.accept) - 0.5


def test_recurrent_model_drives_extraction():
    """A torch network as an extraction model: the Tomita 4 DFA comes out."""

    class Wrapped(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = HandSetRNN(tomita(4))
            self.state = torch.nn.Identity()

        def forward(self, letters):
            out = self.net(letters)
            self.state(self.net.last_states)  # expose the states to a hook
            return out

    model = recurrent_model(Wrapped(), "01", module="state")
    A = extract_automaton(model, "01", quantizer=GridQuantizer(0.25))
    assert A.complete and A.n_states == 4


def test_a_model_that_is_not_a_module_is_refused():
    """record and recurrent_model name the type they got."""
    with pytest.raises(TypeError, match="must be a torch.nn.Module, got function"):
        record(lambda x: x, torch.zeros(1))
    with pytest.raises(TypeError, match="must be a torch.nn.Module, got HandSetNet"):
        recurrent_model(type("HandSetNet", (), {})(), "01")
    with pytest.raises(ValueError, match="no submodule 'rnn'"):
        record(torch.nn.Linear(2, 2), torch.zeros(1, 2), modules="rnn")
    with pytest.raises(ValueError, match="bidirectional"):
        record(torch.nn.GRU(2, 3, bidirectional=True), torch.zeros(1, 4, 2))
