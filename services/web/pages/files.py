"""What the file pages share: a stored file passed through to the browser chunk by
chunk (never whole in the web's memory), and the upload of chosen files to intake
with each refusal said beside the file field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from services.web import file_forms
from services.web.backends import ApiProblem
from services.web.pages.base import PageRefused, View

CHUNK_BYTES = 64 * 1024
# a file shown inside the system's own pages (an <img>, a frame), nothing else
FILE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def passed_through(view: View, answer: Any, download: bool = False) -> Response:
    """The file of a streamed API answer (Api.stream), as it arrives."""

    def chunks() -> Iterator[bytes]:
        try:
            yield from answer.iter_content(CHUNK_BYTES)
        finally:
            answer.close()

    headers = {
        "Content-Disposition": file_forms.disposition(answer.headers.get("Content-Disposition"), download),
        "Content-Security-Policy": FILE_POLICY,
        "X-Content-Type-Options": "nosniff",
    }
    if answer.headers.get("Content-Length"):
        headers["Content-Length"] = answer.headers["Content-Length"]
    response = Response(
        chunks(),
        status=200,
        mimetype=answer.headers.get("Content-Type") or "application/octet-stream",
        headers=headers,
        direct_passthrough=True,
    )
    return view.finish(response)


def dossier_file(view: View, code: str, file_id: str, download: bool) -> Response:
    """A file of the dossier `code` (404 page for an id the dossier does not list)."""
    dossier = view.api.get("intake", f"/api/dossiers/{quote(code, safe='')}")
    listed = [f["id"] for f in dossier.get("files") or ()]
    result = dossier.get("result_file") or {}
    if file_id not in listed and file_id != result.get("id"):
        raise PageRefused(404, "Hồ sơ không có tệp này")
    answer = view.api.stream("intake", f"/api/files/{quote(file_id, safe='')}")
    return passed_through(view, answer, download)


def upload_all(
    api: Any, path: str, document: str, chosen: list[tuple[str, bytes]]
) -> tuple[list[dict[str, Any]], list[str], int]:
    """Each chosen file to `path` (intake's upload) as `document`: (what went in, the
    messages of what did not, the first refusal's status or 0)."""
    done: list[dict[str, Any]] = []
    refused: list[str] = []
    status = 0
    for name, data in chosen:
        found = file_forms.check(name, data)
        if found:
            refused.append(found)
            status = status or (413 if len(data) > file_forms.MAX_FILE_BYTES else 415)
            continue
        try:
            done.append(
                api.upload("intake", path, {"document": document}, (name, data, file_forms.declared_type(name, data)))
            )
        except ApiProblem as problem:
            if problem.status >= 500 or problem.status == 401:
                raise
            refused.append(file_forms.refusal(name, problem.status, problem.message))
            status = status or problem.status
    return done, refused, status
