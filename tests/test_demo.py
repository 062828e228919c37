"""The demo, the command line and the built-in machines."""

import io
import subprocess
import sys

import numpy as np
import pytest

from abstractions import (
    Partition,
    abstract_computation,
    finish_abstraction,
    halting_abstraction,
    is_complete,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.__main__ import main
from abstractions.demo import run_demo
from abstractions.machines import bit_serial_parity, counter, parity_by_counting


def test_demo_prints_every_stage():
    """The demo prints the computation, beta, the minimal abstraction, the quotient and the contrast."""
    out = io.StringIO()
    run_demo(3, out=out)
    text = out.getvalue()
    assert "26 states are reachable from 8 inputs" in text
    assert "beta has 4 blocks; complete? False" in text
    assert "22 blocks for 26 states" in text
    assert "The square commutes: True. Abstract runs give the same outputs: True." in text
    assert "2 blocks, complete: True, abstract step [0, 1] (the identity)" in text


def test_cli_demo_runs_as_module():
    """`python -m abstractions demo` exits 0 and prints the demo."""
    result = subprocess.run(
        [sys.executable, "-m", "abstractions", "demo", "--bits", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "minimal complete abstraction" in result.stdout


def test_cli_error_is_one_line(capsys):
    """A bad argument exits non-zero with a one-line message, not a traceback."""
    assert main(["demo", "--bits", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("abstractions: error:") and "n_bits" in err
    assert "Traceback" not in err


def test_cli_needs_a_command():
    """Without a command the parser exits with a usage error."""
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_parity_by_counting_abstracts_to_bit_serial_parity():
    """Keeping output and halting, the counting machine's minimal abstraction is bit-serial parity."""
    for n_bits in range(0, 5):
        C = parity_by_counting(n_bits)
        P = bit_serial_parity(n_bits)
        alpha = minimal_complete_abstraction(C, output_abstraction(C) | halting_abstraction(C))
        A, _ = abstract_computation(C, alpha)
        # bit-serial parity keeps exactly (bits to read, count mod 2)
        expected = Partition.kernel([(bits, k % 2) for bits, k in C.state_labels])
        assert alpha == expected
        assert A.n == P.n
        for word in C.input_values:
            assert A.run(word) == C.run(word)
            assert ("odd" if P.run(word) else "even") == C.run(word)


def test_finish_abstraction_of_parity_has_two_classes():
    """The finish-the-computation abstraction of parity has 2 classes and an identity step."""
    C = bit_serial_parity(4)
    F = finish_abstraction(C)
    A, _ = abstract_computation(C, F)
    assert F.n_blocks == 2
    assert is_complete(C, F)
    np.testing.assert_array_equal(A.step, np.arange(2))


def test_counter_machine():
    """counter(N) steps v -> v+1 mod N and rejects a zero modulus."""
    np.testing.assert_array_equal(counter(5).step, [1, 2, 3, 4, 0])
    with pytest.raises(ValueError, match="modulus"):
        counter(0)


def test_cli_closed_pipe_is_quiet():
    """When the reader closes the pipe early (`| head -1`), the demo exits 0 without a traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "abstractions", "demo", "--bits", "10"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert "Traceback" not in err


@pytest.mark.parametrize("n_bits", range(7))
def test_machine_sizes_are_known_before_building(n_bits):
    """The state counts the size check uses are the machines' real sizes."""
    assert bit_serial_parity(n_bits).n == 2 ** (n_bits + 1) + 2**n_bits - 2
    assert parity_by_counting(n_bits).n == sum(2 ** (n_bits - k) * (k + 1) for k in range(n_bits + 1))


@pytest.mark.parametrize("n_bits", [19, 30, 10**9])
def test_too_many_bits_are_refused_before_building(n_bits, monkeypatch):
    """A machine over max_states is refused before any input string is made."""
    from abstractions import TooLargeError, machines

    def no_product(*args, **kwargs):
        raise AssertionError("inputs were built")

    monkeypatch.setattr(machines, "product", no_product)
    with pytest.raises(TooLargeError, match="max_states=1000000"):
        parity_by_counting(n_bits)
    with pytest.raises(TooLargeError, match="max_states=10"):
        bit_serial_parity(3, max_states=10)
    assert main(["demo", "--bits", str(n_bits)]) == 2
