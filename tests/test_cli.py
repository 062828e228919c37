"""The command line: minimize, check, info; exit codes, one-line errors, the terminal-only spinner."""

from __future__ import annotations

import functools
import io
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

import abstractions.cli as cli
import importlib
from abstractions import (
    Partition,
    finish_abstraction,
    halting_abstraction,
    load,
    minimal_complete_abstraction,
    output_abstraction,
    save,
)
from abstractions.__main__ import EXIT_ERROR, main
from abstractions.cli import EXIT_NOT_COMPLETE, Progress
from abstractions.machines import counter, parity_by_counting

ROOT = Path(__file__).resolve().parents[1]
# The module cli.py imports minimal_complete_abstraction from, at call time.
completion = importlib.import_module("abstractions.minimal")




class FakeTTY(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture()
def machine(tmp_path):
    path = tmp_path / "parity.npz"
    save(parity_by_counting(3), path)
    return path


def run(argv, capsys):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    ("keep", "beta"),
    [
        ("output", lambda c: output_abstraction(c)),
        ("halting", lambda c: halting_abstraction(c)),
        ("finish", lambda c: finish_abstraction(c)),
        ("output+halting", lambda c: output_abstraction(c) | halting_abstraction(c)),
        ("halting+finish", lambda c: halting_abstraction(c) | finish_abstraction(c)),
    ],
)
def test_minimize_prints_and_saves(machine, tmp_path, capsys, keep, beta):
    """minimize prints blocks, the abstract computation and the time, and saves the minimal abstraction."""
    out_file = tmp_path / "alpha.json"
    status, out, err = run(["minimize", machine, "--keep", keep, "--out", out_file], capsys)
    assert status == 0, err
    c = parity_by_counting(3)
    alpha = minimal_complete_abstraction(c, beta(c))
    assert f"minimal complete abstraction: {alpha.n_blocks} blocks for 26 states" in out
    assert f"<Computation: {alpha.n_blocks} states" in out
    assert re.search(r"time: \d+\.\d{3} s", out)
    assert load(out_file) == alpha
    assert err == ""


def test_minimize_default_keep_and_method(machine, capsys):
    """Without --keep, output+halting is kept; --method reference agrees with the default."""
    status, out, _ = run(["minimize", machine], capsys)
    assert status == 0 and "keeping output+halting (beta has 4 blocks)" in out
    assert "22 blocks for 26 states" in out
    status, out2, _ = run(["minimize", machine, "--method", "reference"], capsys)
    assert status == 0 and "22 blocks for 26 states" in out2


def test_minimize_bad_keep_is_a_usage_error(machine, capsys):
    """An unknown --keep piece is an argparse usage error (exit 2) naming it."""
    with pytest.raises(SystemExit) as info:
        main(["minimize", str(machine), "--keep", "output+colour"])
    assert info.value.code == 2
    assert "unknown piece 'colour'" in capsys.readouterr().err


def test_check_complete_and_not(machine, tmp_path, capsys):
    """check exits 0 for a complete partition and 1 with a witness for an incomplete one."""
    c = parity_by_counting(3)
    good = tmp_path / "good.npz"
    save(minimal_complete_abstraction(c, output_abstraction(c)), good)
    status, out, _ = run(["check", machine, good], capsys)
    assert status == 0 and out.startswith("complete: 12 blocks for 26 states")
    bad = tmp_path / "bad.json"
    save(output_abstraction(c), bad)
    status, out, _ = run(["check", machine, bad], capsys)
    assert status == EXIT_NOT_COMPLETE == 1
    assert out.startswith("not complete: states ('000', 0) and ('100', 0) share block 0")
    assert "but step to ('00', 0) (block 0) and ('00', 1) (block 1)" in out


def test_info(machine, tmp_path, capsys):
    """info describes a computation (with its table when small) and a partition."""
    status, out, _ = run(["info", machine], capsys)
    assert status == 0
    assert "26 states (26 reachable from the inputs), 4 halted, 2 output values, 8 inputs" in out
    assert "('000', 0)  ('00', 0)" in out
    p = tmp_path / "p.json"
    save(Partition([0, 0, 1, 2]), p)
    status, out, _ = run(["info", p], capsys)
    assert status == 0 and "partition of 4 states into 3 blocks, block sizes 1..2" in out
    assert "blocks: 0 1 | 2 | 3" in out
    big = tmp_path / "big.npz"
    save(counter(100), big)
    status, out, _ = run(["info", big], capsys)
    assert status == 0 and "states numbered" in out and "state  next" not in out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["info", "{tmp}/missing.npz"], ["No such file or directory", "missing.npz"]),
        (["info", "{tmp}/file.txt"], ["suffix '.txt'"]),
        (["info", "{tmp}/corrupt.npz"], ["corrupt.npz: not a readable .npz archive"]),
        (["minimize", "{tmp}/p.json"], ["p.json: holds a partition, expected a computation"]),
        (["check", "{machine}", "{machine}"], ["holds a computation, expected a partition"]),
        (["check", "{machine}", "{tmp}/p.json"], ["partition of 2 states", "26"]),
        (["minimize", "{machine}", "--out", "{tmp}/out.csv"], ["suffix '.csv'"]),
        (["minimize", "{machine}", "--out", "{tmp}/no/dir/out.npz"], ["No such file or directory"]),
    ],
)
def test_errors_are_one_line(machine, tmp_path, capsys, argv, words):
    """Every error exits 2 with one line 'abstractions: error: ...' and no traceback."""
    (tmp_path / "corrupt.npz").write_bytes(b"nonsense")
    (tmp_path / "file.txt").write_text("x")
    save(Partition([0, 1]), tmp_path / "p.json")
    args = [a.format(tmp=tmp_path, machine=machine) for a in argv]
    status, out, err = run(args, capsys)
    assert status == EXIT_ERROR == 2
    assert err.startswith("abstractions: error: ") and err.count("\n") == 1
    assert "Traceback" not in err
    for word in words:
        assert word in err, err


# ---------------------------------------------------------------------- progress


def test_progress_draws_on_a_terminal_and_clears():
    """On a terminal the spinner shows the elapsed time, then wipes its line."""
    stream = FakeTTY()
    with Progress("working", stream=stream, delay=0, interval=0.01) as progress:
        time.sleep(0.15)
    text = stream.getvalue()
    assert progress.frames >= 2
    assert "\r| working ... 0.0 s" in text
    assert re.search(r"working \.\.\. 0\.1 s", text)
    assert text.endswith("\r")  # the last write blanks the line


def test_progress_is_silent_off_a_terminal_and_for_quick_jobs():
    """No spinner into pipes or files, and none for jobs shorter than the delay."""
    pipe = io.StringIO()
    with Progress("working", stream=pipe, delay=0, interval=0.01) as progress:
        time.sleep(0.05)
    assert pipe.getvalue() == "" and progress.frames == 0
    tty = FakeTTY()
    with Progress("working", stream=tty, delay=5) as progress:
        pass
    assert tty.getvalue() == "" and progress.frames == 0
    closed = FakeTTY()
    closed.close()
    with Progress("working", stream=closed):  # a closed stream is no terminal
        pass


def test_minimize_shows_progress_on_a_fake_terminal(machine, monkeypatch, capsys):
    """A long minimize run draws the spinner on stderr when it is a terminal, and not in a pipe."""
    real = completion.minimal_complete_abstraction

    def slow(*args, **kwargs):
        time.sleep(0.1)
        return real(*args, **kwargs)

    monkeypatch.setattr(completion, "minimal_complete_abstraction", slow)
    monkeypatch.setattr(cli, "Progress", functools.partial(Progress, delay=0, interval=0.01))
    tty = FakeTTY()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["minimize", str(machine)]) == 0
    assert "minimizing ... " in tty.getvalue()
    assert "minimizing" not in capsys.readouterr().out  # stdout stays clean
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    assert main(["minimize", str(machine)]) == 0
    assert pipe.getvalue() == ""


# ---------------------------------------------------------------------- processes


def test_module_and_console_script(machine, tmp_path):
    """`python -m abstractions` and the `abstractions` script run the commands, with exit codes."""
    out = tmp_path / "alpha.npz"
    done = subprocess.run(
        [sys.executable, "-m", "abstractions", "minimize", str(machine), "--out", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "22 blocks" in done.stdout and done.stderr == ""  # no spinner into a pipe
    c = parity_by_counting(3)
    assert load(out) == minimal_complete_abstraction(
        c, output_abstraction(c) | halting_abstraction(c)
    )
    script = Path(sys.executable).with_name("abstractions")
    assert script.exists()
    done = subprocess.run([str(script), "info", str(tmp_path / "none.json")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("abstractions: error:") and done.stderr.count("\n") == 1


def test_import_does_not_load_optional_libraries():
    """`import abstractions` imports neither networkx, sympy, matplotlib nor hypothesis."""
    code = (
        "import sys, abstractions\n"
        "print(sorted(m for m in ('networkx', 'sympy', 'matplotlib', 'hypothesis') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _quick_start_commands() -> list[tuple[str, int]]:
    """The quick start's commands with the exit status their comment promises (default 0)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.strip().splitlines():
        command, _, comment = line.partition("  #")
        if command.strip():
            status = re.search(r"exit (\d)", comment)
            commands.append((command.strip(), int(status.group(1)) if status else 0))
    return commands


def test_readme_quick_start_commands_work(tmp_path, monkeypatch, capsys):
    """Every command of the README's quick start runs in a fresh directory and exits as it says.

    Run in-process (a subprocess per line would cost a second each): lines
    are either `abstractions ...`, run through main(argv), or
    `python3 -c "..."`, executed as Python. The subprocess tests above cover
    the script and `python -m` themselves.
    """
    monkeypatch.chdir(tmp_path)
    commands = _quick_start_commands()
    assert len(commands) >= 4
    assert {status for _, status in commands} == {0, 1}
    for command, expected in commands:
        words = shlex.split(command)
        if words[0] == "abstractions":
            status = main(words[1:])
        else:
            assert words[:2] == ["python3", "-c"] and len(words) == 3, command
            exec(compile(words[2], "<README>", "exec"), {})
            status = 0
        out, err = capsys.readouterr()
        assert status == expected, (command, out, err)
        assert err == ""


def test_readme_opening_commands_unchanged():
    """The README still opens with the install-and-demo and install-and-test commands."""
    text = (ROOT / "README.md").read_text()
    first_block = text.split("```bash", 1)[1].split("```", 1)[0].strip().splitlines()
    assert first_block == [
        "python3 -m pip install . && python3 -m abstractions demo",
        "python3 -m pip install '.[test]' && python3 -m pytest",
    ]


# ---------------------------------------------------------------------- exit codes


def _env():
    """Run the child on this tree's package (not another install)."""
    import os

    return {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture()
def not_complete(tmp_path, machine):
    bad = tmp_path / "bad.json"
    c = parity_by_counting(3)
    save(output_abstraction(c), bad)
    return [str(machine), str(bad)]


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (RuntimeError("boom\nsecond line"), ["RuntimeError: boom second line"]),
        (MemoryError(), ["out of memory"]),
        (RecursionError("maximum recursion depth exceeded"), ["RecursionError"]),
        (NotImplementedError("not yet"), ["NotImplementedError: not yet"]),
        (PermissionError(13, "Permission denied", "f.npz"), ["Permission denied: f.npz"]),
    ],
)
def test_every_error_exits_2_in_one_line(machine, monkeypatch, capsys, error, words):
    """Any exception, not only the expected kinds, exits 2 with one line and no traceback."""

    def broken(args, out=None):
        raise error

    monkeypatch.setattr(cli, "run_command", broken)
    status, _, err = run(["info", machine], capsys)
    assert status == EXIT_ERROR
    assert err.startswith("abstractions: error: ") and err.count("\n") == 1 and "Traceback" not in err
    for word in words:
        assert word in err, err


@pytest.mark.parametrize("wrapped", [False, True])
def test_ctrl_c_exits_130(machine, monkeypatch, capsys, wrapped):
    """Ctrl-C exits 130, also when a kernel surfaces it as another exception caused by it."""
    from abstractions.__main__ import EXIT_INTERRUPTED

    def interrupted(args, out=None):
        if not wrapped:
            raise KeyboardInterrupt
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as err:
            raise SystemError("<built-in function _kernel> returned a result with an exception set") from err

    monkeypatch.setattr(cli, "run_command", interrupted)
    status, _, err = run(["check", machine, machine], capsys)
    assert status == EXIT_INTERRUPTED == 130
    assert err == "abstractions: interrupted\n"


def test_ctrl_c_in_a_process_exits_130(tmp_path):
    """SIGINT while the command runs (here: blocked writing to a full pipe) exits 130, no traceback."""
    import signal

    proc = subprocess.Popen(
        [sys.executable, "-m", "abstractions", "demo", "--bits", "13"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), cwd=tmp_path,
        # A shell's background job inherits SIGINT ignored (and Python keeps
        # it so): give the child the default disposition, as a terminal would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # it runs, and soon blocks: nobody reads the rest
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err


def test_closed_stdout_keeps_the_status(not_complete, tmp_path):
    """`check ... >&-` (stdout closed) still exits 1 for a partition that is not complete.

    The closed pipe (`| head -c0`) is in tests/test_reliability.py.
    """
    command = [sys.executable, "-m", "abstractions", "check", *not_complete]
    shell = " ".join(shlex.quote(word) for word in command) + " >&-"
    done = subprocess.run(["sh", "-c", shell], capture_output=True, env=_env(), timeout=120, check=False)
    assert done.returncode == EXIT_NOT_COMPLETE, done.stderr
    assert b"Traceback" not in done.stderr


def test_broken_pipe_mid_output_keeps_the_status(not_complete, monkeypatch, capsys):
    """A reader that goes away while check prints (BrokenPipeError) does not turn 1 into 0 or 2."""

    class GoneReader(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            raise io.UnsupportedOperation("no descriptor")

    monkeypatch.setattr(sys, "stdout", GoneReader())
    assert main(["check", *not_complete]) == EXIT_NOT_COMPLETE
    assert capsys.readouterr().err == ""


def test_unencodable_output_keeps_the_status(tmp_path, monkeypatch, capsys):
    """A label the terminal cannot encode is escaped; the command still succeeds."""
    from abstractions import Computation

    path = tmp_path / "c.json"
    save(Computation([1, 1], halted=[False, True], state_labels=["\udcff", "ok"]), path)

    class Ascii(io.StringIO):
        encoding = "ascii"

        def write(self, text):
            text.encode("ascii")
            return super().write(text)

    stream = Ascii()
    monkeypatch.setattr(sys, "stdout", stream)
    assert main(["info", str(path)]) == 0
    assert "\\udcff" in stream.getvalue()


@pytest.mark.parametrize("alias", ["same", "relative", "symlink", "hardlink"])
def test_minimize_refuses_to_overwrite_its_input(machine, tmp_path, monkeypatch, capsys, alias):
    """minimize F --out F (by any name of F) exits 2 before any work and leaves F as it was."""
    import os

    before = machine.read_bytes()
    if alias == "same":
        out = machine
    elif alias == "relative":
        monkeypatch.chdir(machine.parent)
        out = f"./sub/../{machine.name}"
        (machine.parent / "sub").mkdir()
    elif alias == "symlink":
        out = tmp_path / "link.npz"
        os.symlink(machine, out)
    else:
        out = tmp_path / "hard.npz"
        os.link(machine, out)
    status, _, err = run(["minimize", machine, "--out", out], capsys)
    assert status == EXIT_ERROR
    assert "is the input file" in err and err.count("\n") == 1
    assert machine.read_bytes() == before


def test_minimize_out_may_be_another_file(machine, tmp_path, capsys):
    """--out next to the input (a different file) is fine."""
    status, _, _ = run(["minimize", machine, "--out", tmp_path / "parity.json"], capsys)
    assert status == 0


def test_minimize_refuses_a_read_only_out(machine, tmp_path, capsys):
    """A read-only --out target is not replaced: exit 2, one line naming it."""
    import os

    out = tmp_path / "alpha.json"
    save(Partition([0]), out)
    os.chmod(out, 0o444)
    status, _, err = run(["minimize", machine, "--out", out], capsys)
    assert status == EXIT_ERROR and "not writable" in err and str(out) in err
    assert load(out) == Partition([0])
