"""Where the zoo's repository lives: one place, ``pyproject.toml``'s ``[project.urls]``.

:func:`repository_url` reads its ``Repository`` entry (else ``Homepage``) from the ``pyproject.toml`` beside the
package, else from the installed distribution's metadata. While the project is unpublished there is none, and the
cards and the README say how to load a model from a clone (``torch.hub.load(CLONE, NAME, source="local")``)
instead of naming an owner that does not exist.
"""

from __future__ import annotations

from pathlib import Path

DISTRIBUTION = "lightning-zoo"
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
URL_KEYS = ("Repository", "Homepage")


def repository_url() -> str | None:
    """The project's repository URL from ``[project.urls]``, or None while it has none."""
    urls = _pyproject_urls() if PYPROJECT.is_file() else _metadata_urls()
    for key in URL_KEYS:
        if urls.get(key):
            return urls[key]
    return None


def _pyproject_urls() -> dict[str, str]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the installed metadata says the same
        return _metadata_urls()
    with open(PYPROJECT, "rb") as f:
        urls = tomllib.load(f).get("project", {}).get("urls", {})
    return {str(k): str(v) for k, v in urls.items()} if isinstance(urls, dict) else {}


def _metadata_urls() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        entries = metadata(DISTRIBUTION).get_all("Project-URL") or []
    except PackageNotFoundError:
        return {}
    return dict(tuple(part.strip() for part in entry.split(",", 1)) for entry in entries if "," in entry)


def github_repo(url: str | None) -> str | None:
    """``"owner/name"`` of a GitHub URL (what ``torch.hub.load`` takes), else None."""
    prefix = "https://github.com/"
    if not url or not url.startswith(prefix):
        return None
    parts = url[len(prefix):].strip("/").removesuffix(".git").split("/")
    return "/".join(parts[:2]) if len(parts) >= 2 and all(parts[:2]) else None
