"""The one translation of domain errors for the API (the web views have their own)."""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import Conflict, DomainError, InvalidInput


def domain_error_body(exc: DomainError) -> dict:
    body: dict = {"detail": str(exc.message)}
    if isinstance(exc, InvalidInput):
        body["errors"] = {k: [str(m) for m in v] for k, v in exc.errors.items()}
    if isinstance(exc, Conflict) and exc.state:
        body["state"] = exc.state
    return body


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(domain_error_body(exc), status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    bad_request = response.status_code == status.HTTP_400_BAD_REQUEST
    if bad_request and isinstance(data, dict) and "detail" not in data:
        response.data = {"detail": str(InvalidInput.default_message), "errors": data}
    return response
