"""The endpoints of /api/v1/: a key checked, its rate kept, an ETag asked, a page served.

django-ninja routes, checks the bearer key and the rate, and writes the OpenAPI document
from these signatures and editorial.api.schemas. The pages themselves are JSON text built
by reading.py from the exporters' own lines, returned as they are (no re-serialising).

ETags: what the API serves changes only with a link of the history chain (an approval,
archive or restore is sealed in one), so a page's ETag is the chain's head with the request
and the key's scope. The head is read before anything else, in the statement that reads
the key (keys.authenticate): content read after it is at least as new, so an ETag never
vouches for content older than it names. A revalidation costs that one indexed read (and
the key's documents, for a key scoped by document), and builds no record.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from ninja import NinjaAPI, Query
from ninja.errors import AuthenticationError, Throttled, ValidationError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from editorial.api import keys, rate, reading
from editorial.api.errors import ApiRefusal
from editorial.api.schemas import AnswerPage, AnswerRecord, ApiError, DocumentPage, SyncPage
from editorial.api.scope import Scope
from editorial.exporters import SCHEMA_CONTENT_TYPE, SCHEMA_FORMATS, ExportError, schema_bytes

# Every page may change with the next approval: caches keep it but ask each time.
CACHE_CONTROL = "private, no-cache"
REFUSALS = {400: ApiError, 401: ApiError, 403: ApiError, 404: ApiError, 429: ApiError}


class BearerKey(HttpBearer):
    """`Authorization: Bearer ed_…`: the key, or a refusal saying what is wrong with it."""

    def authenticate(self, request: HttpRequest, token: str):
        return keys.authenticate(token)


class KeyRate(BaseThrottle):
    """A fixed window of a minute per key, counted in the shared cache (editorial.api.rate)."""

    def __init__(self) -> None:
        self.rates = rate.KeyRates()

    def allow_request(self, request: HttpRequest) -> bool:
        return self.rates.allows(request.auth)

    def wait(self) -> float:
        return rate.wait()


api = NinjaAPI(
    title="Editorial read API",
    version="1",
    description="Approved answers, their documents and a sync of what changed, for the "
    "consumers a managing editor gave a key. Send it as `Authorization: Bearer <key>`.",
    urls_namespace="api",
    openapi_url="/schema",
    docs_url=None,
    auth=BearerKey(),
    throttle=[KeyRate()],
)


def _error(status: int, error: str, reason: str) -> JsonResponse:
    response = JsonResponse({"error": error, "reason": reason}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="editorial"'
    return response


@api.exception_handler(ApiRefusal)
def refused(request, exc: ApiRefusal):
    return _error(exc.status, exc.error, exc.reason)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _error(
        401, "missing_key", "Send your API key in the header `Authorization: Bearer <key>`."
    )


@api.exception_handler(Throttled)
def throttled(request, exc: Throttled):
    wait = math.ceil(exc.wait or 60)
    return _error(
        429,
        "rate_limited",
        f"This key may make {request.auth.requests_per_minute} requests a minute; "
        f"try again in {wait} s.",
    )


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error.get('loc', ())[1:])}: {error.get('msg')}"
        for error in exc.errors
    )
    return _error(400, "invalid_request", problems or "The request's parameters are invalid.")


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(404, "not_found", "No such resource in this API.")


def _conditional(request: HttpRequest, etag_of: str, build) -> HttpResponse:
    """304 if the client holds this ETag, else the page `build` makes; both uncached."""
    etag = '"' + hashlib.sha256(etag_of.encode()).hexdigest()[:32] + '"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(build(), content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    patch_vary_headers(response, ["Authorization"])
    return response


def _etag_source(request: HttpRequest, scope: Scope, head: int) -> str:
    """What a page depends on: the chain's head, the key and its scope, the request."""
    return f"{head}|{scope.key.pk}|{scope.fingerprint}|{request.get_full_path()}"


@api.get(
    "/answers",
    response={200: AnswerPage, 304: None, **REFUSALS},
    summary="Approved answers, a page at a time",
    description="Approved answers the key may read, in id order, each exactly the jsonl "
    "export's record. Filter by `document` (file name), `subject` and `approved_since` "
    "(ISO 8601); follow `next` as `cursor` for the next page. Answers approved while you "
    "page are neither skipped nor repeated: an answer keeps its place when re-approved.",
)
def answers(
    request: HttpRequest,
    document: str | None = None,
    subject: str | None = None,
    approved_since: datetime | None = None,
    cursor: str | None = None,
    limit: int = Query(reading.ANSWERS_PAGE, ge=1, le=reading.ANSWERS_PAGE_MAX),
):
    scope = Scope(request.auth)
    head = request.auth.chain_head

    def build() -> str:
        page = reading.answers_page(
            scope,
            document=document,
            subject=subject,
            approved_since=approved_since,
            cursor=cursor,
            limit=limit,
        )
        return reading.answers_json(page)

    return _conditional(request, _etag_source(request, scope, head), build)


@api.get(
    "/answers/{answer_id}",
    response={200: AnswerRecord, 304: None, **REFUSALS},
    summary="One approved answer",
    description="The answer's jsonl export record; 404 if it is not approved or was archived.",
)
def answer(request: HttpRequest, answer_id: int):
    scope = Scope(request.auth)
    head = request.auth.chain_head
    return _conditional(
        request,
        _etag_source(request, scope, head),
        lambda: reading.answer_line(scope, answer_id),
    )


@api.get(
    "/documents",
    response={200: DocumentPage, 304: None, **REFUSALS},
    summary="Documents with approved answers",
    description="The documents the key may read that have approved answers, in id order.",
)
def documents(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(reading.DOCUMENTS_PAGE, ge=1, le=reading.ANSWERS_PAGE_MAX),
):
    scope = Scope(request.auth)
    items, following = reading.documents_page(scope, cursor=cursor, limit=limit)
    body = reading.dumps({"documents": items, "next": following})
    # Titles change without a link in the chain: this ETag is the page's own hash.
    return _conditional(request, f"{scope.fingerprint}|{body}", lambda: body)


@api.get(
    "/sync",
    response={200: SyncPage, 304: None, 410: ApiError, **REFUSALS},
    summary="Everything, then what changed since",
    description="Without a token: every answer the key may read, in pages (follow "
    "`next_page` as `token`); the last page gives `next_sync_token`. Later, with that "
    "token: the answers approved or re-approved since (as they are now) and tombstones "
    "for those withdrawn (archived), in pages, and a new `next_sync_token`. A token is "
    "tied to the key and its scope: after a change of scope, 410 asks for a new initial "
    "sync.",
)
def sync(
    request: HttpRequest,
    token: str | None = None,
    limit: int = Query(reading.SYNC_PAGE, ge=1, le=reading.SYNC_PAGE),
):
    scope = Scope(request.auth)
    head = request.auth.chain_head

    def build() -> str:
        return reading.sync_json(reading.sync_page(scope, token=token, head=head, limit=limit))

    return _conditional(request, _etag_source(request, scope, head), build)


@api.get(
    "/schemas/{format_name}",
    auth=None,
    throttle=[],
    response={200: dict, 404: ApiError},
    summary="The published JSON Schema of an export format's records",
    description="The contract every record of that format keeps (draft 2020-12), for "
    f"{', '.join(SCHEMA_FORMATS)}; `jsonl` is also the shape of the API's answers. Public: "
    "no key needed.",
)
def record_schema(request: HttpRequest, format_name: str):
    try:
        body = schema_bytes(format_name)
    except ExportError as error:
        raise ApiRefusal(404, "unknown_format", str(error)) from None
    response = HttpResponse(body, content_type=SCHEMA_CONTENT_TYPE)
    response["Cache-Control"] = "public, max-age=3600"
    return response
