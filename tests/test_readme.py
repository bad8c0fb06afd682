"""README.md stays true: its quick start runs and its shell commands succeed on the shipped sample files."""

import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_quick_start_runs(tmp_path, monkeypatch):
    code = re.search(r"## Quick start\n\n```python\n(.*?)```", README, re.S).group(1)
    assert len(code.splitlines()) <= 25
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README quick start", "exec"), namespace)
    assert (tmp_path / "model.json").exists()
    assert namespace["rnnss"].load("model.json") == namespace["rnn"]


def test_setup_commands_are_the_ci_commands():
    block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    install, test = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert install.startswith('pip install -e ".[test]"') and install.endswith("rnnss demo")
    ci = (ROOT / ".ci" / "run").read_text()
    assert '-e ".[test]"' in ci and ci.strip().endswith(test)


def test_shell_commands_run_on_the_sample_files(tmp_path):
    section = README.split("## The three jobs from the shell", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    exe = shutil.which("rnnss")
    for line in block.strip().splitlines():
        args = shlex.split(line.split("#")[0].replace("examples/data/", str(ROOT / "examples" / "data") + os.sep))
        assert args[0] == "rnnss"
        cmd = [exe, *args[1:]] if exe else [sys.executable, "-m", "rnnss.cli", *args[1:]]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert out.returncode == 0, (line, out.stderr[-2000:])


def test_exit_codes_are_documented_as_the_command_returns_them():
    from rnnss import cli

    section = " ".join(README.split("## The three jobs from the shell", 1)[1].split("## ", 1)[0].split())
    codes = (cli.EXIT_OK, cli.EXIT_CHECK_FAILED, cli.EXIT_USAGE, cli.EXIT_INTERNAL, cli.EXIT_INCONCLUSIVE)
    assert codes == (0, 1, 2, 3, 4)
    for phrase in (
        "0 success",
        "1 a check ran and failed",
        "2 bad usage or input",
        "3 an internal error",
        "--debug",
        "4 a check could not decide",
    ):
        assert phrase in section and phrase.replace("`", "") in " ".join(cli._EXIT_CODES.split()), phrase
