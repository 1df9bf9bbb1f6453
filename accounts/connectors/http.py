"""The HTTP plumbing shared by the BlueMind, Nextcloud and BigBlueButton connectors.

One `HttpClient` per connector: one `httpx.Client` (its connection pool, its time-outs, its
authentication headers), and the one place where a failed call becomes an error of base.py:

- the system cannot be reached, the connection breaks, the time-out expires, or it answers
  HTTP 5xx or 429 → `TransientError` (the task retries with backoff);
- it answers another 4xx (or a redirection, which means a wrong configured address) →
  `PermanentError`, unless the caller said it handles that status (a 404 or 204 that means
  "absent");
- a connector can look at a failed response first (`classify`): BlueMind, for instance, answers
  HTTP 500 for a refusal such as "address already used", which no retry will cure.

Reasons are French, short and name the system; they are module constants, formatted with
`system`, that tests assert exactly. The technical `detail` (method, path, status, a short
excerpt of the body) goes to the event log: the query string is left out (BigBlueButton puts
its checksum there) and every secret the connector declared is masked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import httpx

from accounts.connectors.base import ConnectorError, PermanentError, TransientError

UNREACHABLE = "{system} est injoignable."
TIMED_OUT = "{system} n'a pas répondu dans le délai imparti."
UNAVAILABLE = "{system} est momentanément indisponible."
CREDENTIALS_REFUSED = (
    "{system} refuse les identifiants du portail : vérifiez la configuration du connecteur."
)
FORBIDDEN = "{system} refuse cette opération au compte technique du portail."
NOT_FOUND = "{system} ne connaît pas la ressource demandée."
REFUSED = "{system} a refusé la demande."
REDIRECTED = "{system} redirige les appels du portail : vérifiez l'adresse configurée."
BAD_ADDRESS = "L'adresse configurée pour {system} n'est pas valide."
UNREADABLE = "{system} a renvoyé une réponse illisible."

EXCERPT_CHARS = 300
MASK = "***"

Classifier = Callable[[httpx.Response, str], ConnectorError | None]


class HttpClient:
    """Calls to one system, every failure mapped to a `ConnectorError` (module docstring)."""

    def __init__(
        self,
        *,
        system: str,
        base_url: str,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        secrets: Iterable[str] = (),
        classify: Classifier | None = None,
    ) -> None:
        self.system = system
        self._secrets = [secret for secret in secrets if secret]
        self._classify = classify
        try:
            self._client = httpx.Client(
                base_url=base_url,
                timeout=httpx.Timeout(timeout),
                headers=dict(headers or {}),
                auth=auth,
                follow_redirects=False,
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise PermanentError(
                BAD_ADDRESS.format(system=system), detail=self._mask(str(exc))
            ) from exc

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        handled: Collection[int] = (),
    ) -> httpx.Response:
        """The response when it is a 2xx or one of the `handled` statuses; otherwise raise."""
        where = f"{method} {url.split('?', 1)[0]}"
        try:
            response = self._client.request(
                method,
                url,
                params=params,
                json=json_body,
                data=form,
                content=content,
                headers=headers,
            )
        except httpx.TimeoutException as exc:
            raise TransientError(
                TIMED_OUT.format(system=self.system), detail=self._failure(where, exc)
            ) from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise PermanentError(
                BAD_ADDRESS.format(system=self.system), detail=self._failure(where, exc)
            ) from exc
        except httpx.TransportError as exc:  # refused, reset, DNS, protocol violation
            raise TransientError(
                UNREACHABLE.format(system=self.system), detail=self._failure(where, exc)
            ) from exc
        if response.is_success or response.status_code in handled:
            return response
        raise self.error_for(response)

    def error_for(self, response: httpx.Response) -> ConnectorError:
        """The error a failed response stands for (the connector's `classify` first)."""
        detail = self.detail(response)
        if self._classify is not None:
            error = self._classify(response, detail)
            if error is not None:
                return error
        status = response.status_code
        if status == 429 or status >= 500:
            return TransientError(UNAVAILABLE.format(system=self.system), detail=detail)
        if status == 401:
            return PermanentError(CREDENTIALS_REFUSED.format(system=self.system), detail=detail)
        if status == 403:
            return PermanentError(FORBIDDEN.format(system=self.system), detail=detail)
        if status == 404:
            return PermanentError(NOT_FOUND.format(system=self.system), detail=detail)
        if 300 <= status < 400:
            return PermanentError(REDIRECTED.format(system=self.system), detail=detail)
        return PermanentError(REFUSED.format(system=self.system), detail=detail)

    def json(self, response: httpx.Response) -> Any:
        """The decoded JSON body; a body that is not JSON is a permanent failure (a proxy's
        HTML page, a wrong address), shown to the administrator rather than retried."""
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise PermanentError(
                UNREADABLE.format(system=self.system), detail=self.detail(response)
            ) from exc

    def detail(self, response: httpx.Response, note: str = "") -> str:
        """`PUT /api/users/x → HTTP 500 : <excerpt>` with secrets masked, for the event log."""
        request = response.request
        excerpt = " ".join(response.text.split())[:EXCERPT_CHARS]
        text = f"{request.method} {request.url.path} → HTTP {response.status_code}"
        if note:
            text += f" ({note})"
        if excerpt:
            text += f" : {excerpt}"
        return self._mask(text)

    def _failure(self, where: str, exc: Exception) -> str:
        return self._mask(f"{where} → {type(exc).__name__} : {exc}")

    def _mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text
