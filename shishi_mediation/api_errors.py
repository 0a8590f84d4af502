"""The one translation of domain errors for the API (the web views have their own)."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import Conflict, DomainError, InvalidInput


class ContentTooLarge(APIException):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE. 413 (RFC 9110 "Content Too Large") rather
    than 400: the body may be well formed, it is only too big, and 413 is what the reverse
    proxy answers for a body over its own cap, so a client sees one status either way."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "content_too_large"


def domain_error_body(exc: DomainError) -> dict:
    body: dict = {"detail": str(exc.message)}
    if isinstance(exc, InvalidInput):
        body["errors"] = {k: [str(m) for m in v] for k, v in exc.errors.items()}
    if isinstance(exc, Conflict) and exc.state:
        body["state"] = exc.state
    return body


def request_limit_error(exc: Exception) -> APIException | None:
    """Django's request limits, raised while DRF reads the body, as API errors (else
    Django's HTML "Bad Request (400)" page)."""
    if isinstance(exc, RequestDataTooBig):
        limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return ContentTooLarge(_("请求内容过大，不能超过 %(limit)s。") % {"limit": limit})
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return ParseError(_("请求中的字段或文件过多。"))
    return None


# No request body of ours nests deeper than a few levels (an order, its parties); a deep
# one could exhaust Python's stack in the decoder or in any code that walks it after.
MAX_JSON_DEPTH = 32


def json_depth_exceeds(data, limit: int) -> bool:
    """Whether ``data`` nests lists and objects more than ``limit`` deep (no recursion)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's, answering a body nested too deep with 400 like any malformed JSON: the
    decoder raises ``RecursionError`` (which DRF lets through as a 500) and a body just
    short of that would blow the stack later, in validation."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
            if not json_depth_exceeds(data, MAX_JSON_DEPTH):
                return data
        except RecursionError:
            pass
        raise ParseError(_("JSON 嵌套过深，最多 %(limit)d 层。") % {"limit": MAX_JSON_DEPTH})


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(domain_error_body(exc), status=exc.status_code)
    exc = request_limit_error(exc) or exc
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    bad_request = response.status_code == status.HTTP_400_BAD_REQUEST
    if bad_request and isinstance(data, dict) and "detail" not in data:
        response.data = {"detail": str(InvalidInput.default_message), "errors": data}
    return response
