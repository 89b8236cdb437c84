"""The Hugging Face Hub client as the zoo uses it: every request with a connect and a read timeout, and a Hub
that cannot be reached is one line, not a wait.

huggingface_hub (2.x) sends its requests through one shared ``httpx`` client (``huggingface_hub.get_session()``)
that it creates with ``timeout=None``, so ``HfApi.create_repo`` or ``upload_folder`` would wait forever on an
endpoint that accepts the connection and never answers. :func:`session_with_timeouts` sets that client's timeout
through httpx's public ``Client.timeout``: connect within ``HF_HUB_ETAG_TIMEOUT`` seconds, and every read or
write within ``HF_HUB_DOWNLOAD_TIMEOUT`` seconds (huggingface_hub's own settings, both 10 s by default; raise
them for a slow Hub).

``hf_hub_download``, when the Hub cannot be reached and the file is not cached, retries five times with backoff
(about 25 s and five warning lines) before it gives up. :func:`download` asks the Hub once, without retries, and
goes to the Hugging Face cache as soon as there is no answer; a commit already in the cache is served without
any request at all. A file the Hub announces as larger than the caller accepts is refused before it is downloaded.
"""

from __future__ import annotations

import re
from pathlib import Path

_COMMIT = re.compile(r"[0-9a-f]{40}")


def session_with_timeouts() -> None:
    """Give huggingface_hub's shared client connect and read/write timeouts (see the module docstring). Called
    before each use, since the library may replace its client (after a fork, or ``close_session()``)."""
    import httpx2
    from huggingface_hub import constants, get_session

    get_session().timeout = httpx2.Timeout(constants.HF_HUB_DOWNLOAD_TIMEOUT, connect=constants.HF_HUB_ETAG_TIMEOUT)


class HubFileTooLargeError(ValueError):
    """The Hub announces a file larger than the zoo accepts for it; nothing was downloaded."""


def download(repo_id: str, filename: str, revision: str | None, max_bytes: int | None = None) -> Path:
    """``filename`` of a Hub repo at ``revision`` (a branch, or a commit), from the cache or the Hub. Raises what
    ``hf_hub_download`` raises (``LocalEntryNotFoundError`` when the Hub cannot be reached and the file is not
    cached, ``RepositoryNotFoundError`` ...), after at most one unanswered request, and
    :class:`HubFileTooLargeError` when the Hub announces more than ``max_bytes``, before the download."""
    from huggingface_hub import constants, hf_hub_download, is_offline_mode
    from huggingface_hub.errors import LocalEntryNotFoundError

    if revision is not None and _COMMIT.fullmatch(revision):
        try:  # an immutable commit: the cache is as good as the Hub
            return Path(hf_hub_download(repo_id, filename, revision=revision, local_files_only=True))
        except LocalEntryNotFoundError:
            pass
    session_with_timeouts()
    answers, size = (False, None) if is_offline_mode() else _announced_size(repo_id, filename, revision)
    if max_bytes is not None and size is not None and size > max_bytes:
        raise HubFileTooLargeError(f"{filename} of Hub repo {repo_id!r} is {size:,} bytes, more than the "
                                   f"{max_bytes:,} a zoo checkpoint's {filename} can need; it was not downloaded")
    return Path(hf_hub_download(repo_id, filename, revision=revision, local_files_only=not answers,
                                etag_timeout=constants.HF_HUB_ETAG_TIMEOUT))


def _announced_size(repo_id: str, filename: str, revision: str | None) -> tuple[bool, int | None]:
    """One metadata request, without retries: ``(answers, size)``. ``answers`` is False when the Hub cannot be
    reached, does not answer in time, or answers that it is failing (5xx, 429): the cases in which
    ``hf_hub_download`` would retry. ``size`` is the file's size, when the Hub gave one."""
    import httpx2
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import HfHubHTTPError

    try:
        metadata = get_hf_file_metadata(hf_hub_url(repo_id, filename, revision=revision),
                                        timeout=constants.HF_HUB_ETAG_TIMEOUT)
    except httpx2.TransportError:
        return False, None
    except HfHubHTTPError as err:  # 404 and the like: hf_hub_download raises its own error for them
        status = getattr(err.response, "status_code", None)
        return status is not None and status < 500 and status != 429, None
    return True, metadata.size
