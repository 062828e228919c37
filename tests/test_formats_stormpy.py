"""PRISM and JANI models and Storm's DRN through stormpy, checked against Storm itself."""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
import pytest

from tests.helpers import require_extra

require_extra("models", module_level=True)

from abstractions import (  # noqa: E402
    FileFormatError,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.formats import (  # noqa: E402
    from_stormpy,
    load_model,
    load_prism,
    read_drn,
    write_drn,
)

#: Storm's example DTMCs, with the constants they need.
STORM_MODELS = [
    ("dtmc/die.pm", None),
    ("dtmc/die.jani", None),
    ("dtmc/brp-16-2.pm", None),
    ("dtmc/brp.jani", "N=16,MAX=2"),
    ("dtmc/crowds-5-5.pm", None),
    ("dtmc/leader-3-5.pm", None),
    ("dtmc/nand-5-2.pm", None),
]


def _stormpy():
    """stormpy, imported when a test runs, not when the module is collected.

    After it is imported, numpy's allocations cost the process five times
    the page faults; conftest runs the tests that use it last, which helps
    only if collecting them imports nothing.
    """
    import stormpy
    import stormpy.examples.files
    import stormpy.transformations

    return stormpy


def _examples(*parts):
    """A file of Storm's examples."""
    return os.path.join(_stormpy().examples.files.testfile_dir, *parts)


def _bisimulation(model):
    return _stormpy().transformations.perform_bisimulation(model, [])


def _storm_model(name, constants):
    stormpy = _stormpy()
    path = _examples(name)
    if name.endswith(".jani"):
        description, _ = stormpy.parse_jani_model(path)
    else:
        description = stormpy.parse_prism_program(path)
    if constants:
        description, _ = stormpy.instantiate_constants(description, constants)
    options = stormpy.BuilderOptions()
    options.set_build_all_labels()
    options.set_build_all_reward_models()
    return stormpy.build_model(description, options=options)


@pytest.mark.parametrize(("name", "constants"), STORM_MODELS, ids=[m for m, _ in STORM_MODELS])
def test_quotient_sizes_match_storm(name, constants):
    """Storm's strong bisimulation and our lumping above the labels and rewards agree in size."""
    model = _storm_model(name, constants)
    storm = _bisimulation(model)
    M = from_stormpy(model)
    ours = minimal_complete_abstraction(M, output_abstraction(M))
    assert ours.n_blocks == storm.nr_states
    assert M.n == model.nr_states and M.n_transitions == model.nr_transitions


@pytest.mark.parametrize(
    ("name", "constants"), STORM_MODELS[:4], ids=[m for m, _ in STORM_MODELS[:4]]
)
def test_drn_agrees_with_storm_both_ways(tmp_path, name, constants):
    """Storm's DRN export reads as from_stormpy's system; our DRN is what Storm builds back."""
    stormpy = _stormpy()
    model = _storm_model(name, constants)
    exported = tmp_path / "storm.drn"
    stormpy.io.export_to_drn(model, str(exported))
    M = from_stormpy(model)
    _same_up_to_printing(read_drn(exported), M)
    ours = tmp_path / "ours.drn"
    write_drn(M, ours)
    back = stormpy.build_model_from_drn(str(ours))
    assert (back.nr_states, back.nr_transitions) == (model.nr_states, model.nr_transitions)
    assert back.labeling.get_labels() - {"deadlock"} == model.labeling.get_labels() - {"deadlock"}
    assert _bisimulation(back).nr_states == _bisimulation(model).nr_states


def _same_up_to_printing(U, M):
    """Equal but for probabilities Storm printed in fewer digits than a double holds."""
    u, m = U.to_dict(), M.to_dict()
    assert np.allclose(
        np.asarray(u.pop("probabilities")), np.asarray(m.pop("probabilities")), rtol=1e-12
    )
    assert u.keys() == m.keys()
    for key in u:
        if isinstance(u[key], np.ndarray):
            assert np.array_equal(u[key], m[key]), key
        else:
            assert u[key] == m[key], key


def test_load_prism(tmp_path):
    """PRISM and JANI files load by path, exact on request, with valuations as state names."""
    stormpy = _stormpy()
    die = _examples("dtmc", "die.pm")
    M = load_prism(die, exact=True)
    assert M.exact and M.probabilities[0] == Fraction(1, 2)
    assert M.state_labels[0] == "[s=0 & d=0]"
    assert load_model(die) == load_prism(die)
    brp = _examples("dtmc", "brp.pm")
    assert load_model(brp, constants="N=16,MAX=2").n == 677
    with pytest.raises(FileFormatError, match="Storm could not build the model.*constants"):
        load_prism(brp)
    bad = tmp_path / "bad.pm"
    bad.write_text("dtmc\nmodule m x : [0..1] init 0; [] x=0 -> (x'=; endmodule\n")
    with pytest.raises(FileFormatError, match="Storm could not build"):
        load_prism(bad)
    with pytest.raises(FileNotFoundError):
        load_prism(tmp_path / "missing.pm")
    tiny = _examples("ctmc", "tiny.sm")
    ctmc = stormpy.build_model(stormpy.parse_prism_program(tiny, prism_compatibility=True))
    assert from_stormpy(ctmc).kind == "ctmc"  # rates (tests/test_ctmc.py checks them)
    # PRISM's CTMC syntax: read in compatibility mode (with state valuations as names)
    loaded = load_prism(tiny)
    assert loaded.kind == "ctmc" and loaded.state_labels[0].startswith("[")
    assert loaded.rates.tolist() == from_stormpy(ctmc).rates.tolist()


