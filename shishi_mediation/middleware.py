"""Request-wide middleware: a request id for the log lines (issue 8)."""

import re
import uuid

from django.utils.log import log_response

from .logs import request_log_context

# A proxy's id (nginx $request_id, a load balancer's trace id) is kept if it looks like one.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestLogMiddleware:
    """Every line logged while a request is served carries its id (the proxy's
    ``X-Request-ID`` if sane, else a new one), the user's id once known and the order the
    request acted on; the response echoes the id in ``X-Request-ID``.

    Django logs a 4xx/5xx response ("Conflict: /api/v1/orders/7/sign/") after the
    middleware has returned; it is logged here instead, inside the request's context, and
    Django then skips it (``log_response`` logs a response once).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        with request_log_context(request_id, request):
            response = self.get_response(request)
            if response.status_code >= 400:
                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    request.path,
                    response=response,
                    request=request,
                )
        response.headers.setdefault("X-Request-ID", request_id)
        return response
