"""tools/system-deps.sh, which `make test` runs first: with every command present it does
nothing; with one missing it installs it through apt-get as root (or password-less sudo),
and otherwise stops with exit 2 and the one command to run. Run on a PATH of fakes."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "system-deps.sh"
NEEDED = ("chromium", "chromedriver", "npm", "valgrind", "g++")


def fake(folder: Path, name: str, body: str = "exit 0") -> None:
    path = folder / name
    path.write_text(f"#!{shutil.which('bash')}\n{body}\n")
    path.chmod(0o755)


def run(tmp_path, present, uid=0, sudo=None):
    """The script on a PATH holding ``present`` and fake id/apt-get (and sudo when given
    its body); apt-get appends its arguments to a log."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for name in present:
        fake(bin_, name)
    log = tmp_path / "apt.log"
    fake(bin_, "id", f"echo {uid}")
    fake(bin_, "apt-get", f'echo "$@" >> {log}')
    fake(bin_, "env", 'while [[ "$1" == *=* ]]; do shift; done; "$@"')
    if sudo is not None:
        fake(bin_, "sudo", sudo)
    done = subprocess.run([shutil.which("bash"), str(SCRIPT)], capture_output=True, text=True,
                          env={"PATH": str(bin_)})
    return done, (log.read_text() if log.exists() else "")


def test_nothing_to_do_when_everything_is_there(tmp_path):
    done, apt = run(tmp_path, NEEDED)
    assert done.returncode == 0 and apt == "" and done.stderr == ""


@pytest.mark.parametrize("absent", ["chromedriver", "valgrind"])
def test_root_installs_what_is_missing(tmp_path, absent):
    done, apt = run(tmp_path, [c for c in NEEDED if c != absent])
    package = {"chromedriver": "chromium-driver"}.get(absent, absent)
    assert done.returncode == 0, done.stderr
    assert apt.splitlines() == ["update -q", f"install -y -q {package}"]


def test_passwordless_sudo_installs(tmp_path):
    done, apt = run(tmp_path, ["chromium", "chromedriver", "npm", "g++"], uid=1000,
                    sudo='[ "$1" = -n ] && [ "$2" = true ] && exit 0; "$@"')
    assert done.returncode == 0, done.stderr
    assert apt.splitlines()[-1] == "install -y -q valgrind"


@pytest.mark.parametrize("sudo", [None, "exit 1"], ids=["no-sudo", "sudo-asks-password"])
def test_without_rights_it_stops_with_the_command(tmp_path, sudo):
    done, apt = run(tmp_path, ["npm", "valgrind", "g++"], uid=1000, sudo=sudo)
    assert done.returncode == 2 and apt == ""
    assert "run:  sudo apt-get install -y -q chromium chromium-driver" in done.stderr


def test_a_failed_install_stops_with_the_command(tmp_path):
    bin_ = tmp_path / "bin"
    done, _ = run(tmp_path, NEEDED[:-1])
    assert done.returncode == 0
    fake(bin_, "apt-get", "exit 100")
    (bin_ / "g++").unlink(missing_ok=True)
    failed = subprocess.run([shutil.which("bash"), str(SCRIPT)], capture_output=True,
                            text=True, env={"PATH": str(bin_)})
    assert failed.returncode == 2
    assert "could not install g++; run:  sudo apt-get install -y -q g++" in failed.stderr


def test_make_test_runs_it_first():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    done = subprocess.run(["make", "-n", "test", "STAMP="], capture_output=True, text=True,
                          cwd=SCRIPT.parents[1], env={**env, "CI": ""})
    lines = [line for line in done.stdout.splitlines() if not line.startswith("make[")]
    assert lines[0] == "bash tools/system-deps.sh", lines
    assert any("pytest" in line for line in lines[1:])
