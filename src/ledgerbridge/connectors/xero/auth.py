"""OAuth 2.0 for Xero on one shared ``httpx.Client``.

The API calls and the token endpoint share the injected client, so requests to the token
endpoint pass through untouched (they carry the app's HTTP Basic credentials). A refresh that
fails for a passing reason (the token endpoint answered 5xx or 429, or the connection dropped)
is raised as :class:`TokenUnavailableError`: the API request was not processed, so it may be
sent again, whatever its method.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx

from ledgerbridge.connectors.http.oauth import OAuth2Auth
from ledgerbridge.domain.errors import RetriableError


class TokenUnavailableError(RetriableError):
    """No access token could be had just now; the request was not processed."""


class XeroAuth(OAuth2Auth):
    def _is_token_request(self, request: httpx.Request) -> bool:
        return str(request.url.copy_with(query=None)) == self.app.token_url

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._is_token_request(request):
            yield request
            return
        flow = super().auth_flow(request)
        try:
            outgoing = next(flow)
        except RetriableError as exc:
            raise TokenUnavailableError(str(exc)) from exc
        while True:
            response = yield outgoing
            try:
                outgoing = flow.send(response)
            except StopIteration:
                return
            except RetriableError as exc:
                raise TokenUnavailableError(str(exc)) from exc
