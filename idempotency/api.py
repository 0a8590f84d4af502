"""The DRF side of ``Idempotency-Key``: one mixin for a view set, naming its idempotent
actions once (``idempotent_actions``), and the schema class that documents the header on
exactly those operations."""

import functools
import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from shishi_mediation.api import ErrorSerializer

from . import services
from .services import HEADER

REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotentMixin:
    """For a view set: a POST to one of ``idempotent_actions`` carrying an
    ``Idempotency-Key`` runs once per user and key (``services``); a replay answers the
    first status and body with ``Idempotent-Replayed: true``. Without the header nothing
    changes. An answer of 500 or more is not kept (the transaction rolls back), so the
    client may retry with the same key."""

    idempotent_actions: frozenset[str] = frozenset()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles
        if (
            request.method == "POST"
            and getattr(self, "action", None) in self.idempotent_actions
            and HEADER in request.headers
        ):
            # APIView.dispatch looks the handler up by method name after initial().
            handler = self.post
            self.post = functools.partial(self._run_once, handler)

    def _run_once(self, handler, request, *args, **kwargs):
        key = services.parse_key(request.headers[HEADER])
        asked = services.fingerprint(method=request.method, path=request.path, data=request.data)
        with transaction.atomic():
            claimed = services.claim(
                user=request.user, key=key, fingerprint=asked, now=timezone.now()
            )
            if isinstance(claimed, services.Replay):
                response = Response(claimed.body, status=claimed.status_code)
                response[REPLAYED_HEADER] = "true"
                return response
            try:
                response = handler(request, *args, **kwargs)
            except Exception as exc:
                response = self.handle_exception(exc)  # re-raises a 500: all rolls back
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            body = json.loads(JSONRenderer().render(response.data) or b"null")
            services.record(row=claimed, status_code=response.status_code, body=body)
        return response


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=_(
        "可选。客户端生成的唯一键（如 UUID；8–128 个字母、数字或 _ . : -）。同一用户以同一键"
        "重发同一请求，返回首次的状态码和内容（响应头 Idempotent-Replayed: true），"
        "不会重复报单或重复操作；首次请求尚未完成时，重发的请求等待其完成后返回同样结果。"
        "同一键用于不同内容或地址的请求返回 422；格式不对返回 400。键保留 7 天"
        "（IDEMPOTENCY_KEY_DAYS）。"
    ),
)


KEY_REUSED_RESPONSE = OpenApiResponse(
    ErrorSerializer, description=_("此 Idempotency-Key 已用于内容或地址不同的请求。")
)


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, adding the ``Idempotency-Key`` header and its 422 to the
    operations of an ``IdempotentMixin`` view set's idempotent actions."""

    def _idempotent(self) -> bool:
        view = self.view
        return (
            self.method == "POST"
            and isinstance(view, IdempotentMixin)
            and getattr(view, "action", None) in view.idempotent_actions
        )

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._idempotent():
            parameters = [*parameters, IDEMPOTENCY_PARAMETER]
        return parameters

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if self._idempotent() and direction == "response" and "422" not in bodies:
            bodies["422"] = self._get_response_for_code(KEY_REUSED_RESPONSE, "422")
        return bodies
