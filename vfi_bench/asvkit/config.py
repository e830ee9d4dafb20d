"""An asv configuration read as asv reads it, with its paths made absolute.

asv reads ``asv.conf.json`` as JSON5 (``//`` comments, trailing commas) and, before it
does anything else, moves into the configuration's folder, so every relative path in
it (``repo``, ``benchmark_dir``, ``env_dir``, ``results_dir``, ``html_dir``) is relative
to that folder, not to where the command was typed. :func:`load` does the same without
changing the process's directory: it reads the file with asv's own loader
(``asv.util.load_json``, then ``asv.config.Config.from_json``) and resolves those paths
against the file's folder. It checks what can be checked without building anything (the
file parses, the repository and the benchmark package exist), so a bad configuration is
refused, with a message naming the file and the rule, before any environment is built.
"""
from __future__ import annotations

import re
from pathlib import Path

#: Configuration keys holding folders, relative to the configuration's own folder.
PATH_KEYS = ("benchmark_dir", "env_dir", "results_dir", "html_dir")
#: A ``repo`` that is a URL (``https://...``, ``git@host:path``) is not a folder.
URL = re.compile(r"^([a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:)", re.IGNORECASE)


class ConfigError(Exception):
    """The asv configuration cannot be used (compare exits 2, before measuring)."""


def read_raw(path: str | Path) -> dict:
    """The configuration file's contents as asv parses them (JSON5).

    Raises
    ------
    ConfigError
        When the file is missing or is not valid JSON5.
    """
    from asv.config import Config
    from asv.util import UserError, load_json

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no asv configuration {path}")
    try:
        return load_json(str(path), Config.api_version, js_comments=True)
    except (UserError, ValueError) as err:
        raise ConfigError(f"{path} is not an asv configuration asv can read "
                          f"(JSON5): {err}") from None


def is_url(repo: str) -> bool:
    """Whether an asv ``repo`` value names a remote repository rather than a folder.

    Examples
    --------
    >>> is_url("https://github.com/HIPS/autograd"), is_url("git@github.com:a/b"), is_url("..")
    (True, True, False)
    """
    return bool(URL.match(repo))


def load(path: str | Path = "asv.conf.json", env_dir: str | Path | None = None):
    """The ``asv.config.Config`` at ``path``, its folders absolute (asv's rule: relative
    to the configuration's folder); ``env_dir``, when given, replaces its env_dir.

    Parameters
    ----------
    path : str or Path
        The configuration file.
    env_dir : str or Path, optional
        A folder to build the environments in instead (relative to the current
        directory, as any path given on a command line).

    Raises
    ------
    ConfigError
        When the file cannot be read, or its repository or benchmark folder does not
        exist where asv would look for them.
    """
    from asv.config import Config
    from asv.util import UserError

    path = Path(path).resolve()
    raw = read_raw(path)
    try:
        conf = Config.from_json(dict(raw))
    except (UserError, ValueError) as err:
        raise ConfigError(f"{path}: {err}") from None
    folder = path.parent
    for key in PATH_KEYS:
        setattr(conf, key, str((folder / getattr(conf, key)).resolve()))
    if env_dir is not None:
        conf.env_dir = str(Path(env_dir).resolve())
    if not is_url(str(conf.repo)):
        repo = (folder / conf.repo).resolve()
        if not repo.is_dir():
            raise ConfigError(f"{path}: repo {conf.repo!r} must be a folder relative to "
                              f"the configuration's folder (or a URL); {repo} is not one")
        conf.repo = str(repo)
    if not (Path(conf.benchmark_dir) / "__init__.py").is_file():
        raise ConfigError(f"{path}: benchmark_dir must be a folder, relative to the "
                          "configuration's folder, holding an __init__.py (asv's rule); "
                          f"{conf.benchmark_dir} is not one")
    conf.config_path = str(path)
    return conf


def environment_names(conf) -> list[str]:
    """The names (``Environment.name``) of every environment of the configuration's
    matrix, as ``asv run`` would build them."""
    from asv import environment

    return [env.name for env in environment.get_environments(conf, None, verbose=False)]


def choose_environments(conf, name: str | None) -> list[str]:
    """Every environment of the matrix, or only the one called ``name``.

    Raises
    ------
    ConfigError
        When the matrix gives no environment, or none is called ``name``.
    """
    names = environment_names(conf)
    if not names:
        raise ConfigError(f"{conf.config_path}: the configuration gives no environment "
                          "(environment_type, pythons, matrix)")
    if name is None:
        return names
    if name not in names:
        raise ConfigError(f"--env must name an environment of the matrix: {name!r} is "
                          f"not one of {', '.join(names)}")
    return [name]
