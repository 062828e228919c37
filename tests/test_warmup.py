"""warmup() compiles every kernel; import abstractions compiles none."""

from __future__ import annotations

import subprocess
import sys

import abstractions
import abstractions._kernels as kernels


def test_warmup_compiles_every_kernel():
    """After warmup() every kernel has a compiled specialisation (plain functions under no-JIT)."""
    abstractions.warmup()
    for name in kernels.__all__:
        kernel = getattr(kernels, name)
        if hasattr(kernel, "signatures"):  # a numba dispatcher (absent with NUMBA_DISABLE_JIT=1)
            assert kernel.signatures, f"{name} was not compiled by warmup()"


def test_import_loads_no_numba():
    """import abstractions neither imports numba nor compiles anything."""
    code = "import sys, abstractions; print('numba' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
