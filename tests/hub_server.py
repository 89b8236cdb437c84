"""A tiny Hugging Face Hub on 127.0.0.1 for tests: the HTTP calls ``zoo push`` and ``zoo.load`` make.

It speaks the protocol of the *unmodified* ``huggingface_hub`` client (2.x, read from its source), so tests
push and download for real instead of mocking the client:

    POST /api/repos/create                        create_repo: {"name", "organization"} -> {"url"}; 409 if
                                                  it exists (the client's exist_ok accepts 409)
    POST /api/validate-yaml                       upload_folder checks README.md's front matter: no errors
    POST /api/models/{repo}/preupload/{rev}       upload mode per file: always "regular", so the contents come
                                                  base64 inline in the commit (no LFS, no xet negotiation);
                                                  "oid" = the git blob sha1 of the file already there, if any
    POST /api/models/{repo}/commit/{rev}          NDJSON: a header line, then {"key": "file"|"deletedFile"}
                                                  lines -> {"commitOid", "commitUrl"}
    GET  /api/models/{repo}/revision/{rev}        repo_info (called when a push changes nothing) -> {"sha"}
    HEAD /{repo}/resolve/{rev}/{path}             X-Repo-Commit, ETag (git blob sha1), Content-Length and no
    GET  /{repo}/resolve/{rev}/{path}             X-Xet-Hash, so the client downloads with a plain GET

Errors carry the ``X-Error-Code`` header the client maps to its exceptions (``RepoNotFound``,
``RevisionNotFound``, ``EntryNotFound``). Any other request gets a 404 and is recorded in ``unhandled``.
A revision is ``main`` or a full commit oid. State lives in memory; the server listens on 127.0.0.1 only
and lives as long as its ``with HubServer() as hub:`` block. ``point_client_at`` aims the client at it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import unquote, urlsplit

Response = tuple[int, dict, bytes]  # status, headers, body

_REPO = r"(?P<repo>[\w.-]+/[\w.-]+)"
_ROUTES = [  # (method, path pattern, HubServer method)
    ("POST", re.compile(r"/api/repos/create"), "create_repo"),
    ("POST", re.compile(r"/api/validate-yaml"), "validate_yaml"),
    ("POST", re.compile(rf"/api/models/{_REPO}/preupload/(?P<revision>[^/]+)"), "preupload"),
    ("POST", re.compile(rf"/api/models/{_REPO}/commit/(?P<revision>[^/]+)"), "commit"),
    ("GET", re.compile(rf"/api/models/{_REPO}/revision/(?P<revision>[^/]+)"), "repo_info"),
    ("GET", re.compile(rf"/{_REPO}/resolve/(?P<revision>[^/]+)/(?P<path>.+)"), "resolve"),
    ("HEAD", re.compile(rf"/{_REPO}/resolve/(?P<revision>[^/]+)/(?P<path>.+)"), "resolve"),
]


def git_blob_sha1(content: bytes) -> str:
    """The git object id of a file: what the Hub reports as a regular file's oid and ETag."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass
class Repo:
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)  # commit oid -> {path: content}
    main: str | None = None  # head of the only branch; None until the first commit

    def commit_of(self, revision: str) -> str | None:
        return self.main if revision == "main" else revision

    def files_at(self, revision: str) -> dict[str, bytes] | None:
        if revision == "main" and self.main is None:
            return {}  # a new repo's main branch exists, empty
        return self.commits.get(self.commit_of(revision))


class HubServer:
    """The fake Hub's state plus its HTTP server thread. ``endpoint`` is the URL to put in ``HF_ENDPOINT``."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.calls: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self.unhandled: list[tuple[str, str]] = []
        self.faults: list[tuple[str, re.Pattern, Response]] = []  # see inject()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="test-hub", daemon=True)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def inject(self, method: str, path: str, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        """Answer every ``method`` request whose path fully matches the regex ``path`` with this response
        instead (an expired token's 401, a 500, a reply that is not JSON ...)."""
        self.faults.append((method, re.compile(path), (status, headers or {}, body)))

    # -- the Hub's behaviour: one method per route, each returning a Response ------------------------------

    def create_repo(self, body: bytes) -> Response:
        payload = json.loads(body)
        repo = "/".join(part for part in (payload.get("organization"), payload["name"]) if part)
        if repo in self.repos:
            return _json(409, {"error": "You already created this model repo", "url": self._url(repo)})
        self.repos[repo] = Repo()
        return _json(200, {"url": self._url(repo), "name": repo})

    def validate_yaml(self, body: bytes) -> Response:
        return _json(200, {"errors": [], "warnings": []})

    def preupload(self, body: bytes, repo: str, revision: str) -> Response:
        files, error = self._files(repo, revision)
        if error:
            return error
        modes = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                  "oid": git_blob_sha1(files[f["path"]]) if f["path"] in files else None}
                 for f in json.loads(body)["files"]]
        return _json(200, {"files": modes})

    def commit(self, body: bytes, repo: str, revision: str) -> Response:
        files, error = self._files(repo, revision)
        if error:
            return error
        if revision != "main":
            return _json(400, {"error": "this test Hub commits to main only"})
        header, *operations = [json.loads(line) for line in body.splitlines() if line.strip()]
        if header.get("key") != "header":
            return _json(400, {"error": "the first NDJSON line must be the commit header"})
        files = dict(files)
        for op in operations:
            value = op["value"]
            if op["key"] == "file" and value.get("encoding") == "base64":
                files[value["path"]] = base64.b64decode(value["content"])
            elif op["key"] == "deletedFile":
                files.pop(value["path"], None)
            else:  # lfsFile, deletedFolder...: never needed, since preupload answers "regular"
                return _json(400, {"error": f"unsupported commit operation {op['key']!r}"})
        state = self.repos[repo]
        tree = sorted((path, git_blob_sha1(content)) for path, content in files.items())
        oid = hashlib.sha1(json.dumps([state.main, header["value"]["summary"], tree]).encode()).hexdigest()
        state.commits[oid] = files
        state.main = oid
        return _json(200, {"success": True, "commitOid": oid, "commitUrl": f"{self._url(repo)}/commit/{oid}"})

    def repo_info(self, body: bytes, repo: str, revision: str) -> Response:
        files, error = self._files(repo, revision)
        if error:
            return error
        return _json(200, {"id": repo, "modelId": repo, "sha": self.repos[repo].commit_of(revision),
                           "private": False, "siblings": [{"rfilename": path} for path in sorted(files)]})

    def resolve(self, body: bytes, repo: str, revision: str, path: str) -> Response:
        files, error = self._files(repo, revision)
        if error:
            return error
        commit = self.repos[repo].commit_of(revision)
        if path not in files:
            return 404, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": commit}, b"Entry not found"
        content = files[path]
        headers = {"X-Repo-Commit": commit, "ETag": f'"{git_blob_sha1(content)}"',
                   "Content-Type": "application/octet-stream"}
        return 200, headers, content

    def _files(self, repo: str, revision: str) -> tuple[dict[str, bytes] | None, Response | None]:
        if repo not in self.repos:
            return None, (404, {"X-Error-Code": "RepoNotFound"}, b"Repository not found")
        files = self.repos[repo].files_at(revision)
        if files is None:
            return None, (404, {"X-Error-Code": "RevisionNotFound"}, b"Invalid rev id")
        return files, None

    def _url(self, repo: str) -> str:
        return f"{self.endpoint}/{repo}"


def point_client_at(monkeypatch, endpoint: str, hf_home: Path) -> None:
    """Aim ``huggingface_hub`` at ``endpoint``, with a dummy token and a private cache under ``hf_home``.

    The environment variables are what a user sets, and what a subprocess started by the test inherits. The
    client also copies ``HF_ENDPOINT``, ``HF_HOME``, ``HF_HUB_CACHE`` and ``HF_HUB_OFFLINE`` into module
    constants when it is first imported (``constants.ENDPOINT`` and the resolve-URL template built from it),
    so in this process those constants are patched too. ``monkeypatch`` undoes both after the test.
    """
    from huggingface_hub import constants

    cache = hf_home / "hub"
    env = {"HF_ENDPOINT": endpoint, "HF_TOKEN": "hf_dummy_token_for_tests", "HF_HOME": str(hf_home),
           "HF_HUB_CACHE": str(cache), "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                        endpoint + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HOME", str(hf_home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


def _json(status: int, payload: dict) -> Response:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


def _make_handler(hub: HubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Default HTTP/1.0: one request per connection, so no idle keep-alive thread outlives the test.

        def _serve(self) -> None:
            path = unquote(urlsplit(self.path).path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with hub._lock:
                hub.calls.append((self.command, path))
                fault = next((r for m, p, r in hub.faults if m == self.command and p.fullmatch(path)), None)
                for method, pattern, name in [] if fault else _ROUTES:
                    match = pattern.fullmatch(path)
                    if method == self.command and match:
                        status, headers, content = getattr(hub, name)(body, **match.groupdict())
                        break
                else:
                    if fault:
                        status, headers, content = fault
                    else:
                        hub.unhandled.append((self.command, path))
                        status, headers, content = 404, {}, b"not served by the test Hub"
            self.send_response(status)
            for key, value in headers.items():
                if value is not None:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_HEAD = do_POST = _serve

        def log_message(self, format: str, *args) -> None:  # keep test output clean; `hub.calls` has it
            pass

    return Handler
