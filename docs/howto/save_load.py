"""Save computations and partitions to .npz (any size) or .json (by hand), and load them."""

import tempfile
from pathlib import Path

from abstractions import load, minimal_complete_abstraction, output_abstraction, save
from abstractions.machines import bit_serial_parity

C = bit_serial_parity(3)
P = minimal_complete_abstraction(C, output_abstraction(C))
with tempfile.TemporaryDirectory() as folder:
    save(C, Path(folder) / "parity.npz")  # arrays, state labels and values
    save(P, Path(folder) / "minimal.json")  # small and readable
    assert load(Path(folder) / "parity.npz") == C
    assert load(Path(folder) / "minimal.json") == P
    print((Path(folder) / "minimal.json").read_text()[:60], "...")
