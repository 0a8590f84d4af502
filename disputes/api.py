"""``/api/v1/orders/`` and ``/api/v1/incidents/``.

Every queryset starts from ``orders_visible_to``; every write calls a service, whose
domain errors the project's exception handler turns into 400 / 403 / 404 / 409. An id
that is not a positive 64-bit integer is a 404 like any other invisible order.
"""

import functools
from datetime import datetime

import django_filters
from django.db import connection
from django.db.models import JSONField, Prefetch, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.models import Area, Unit
from idempotency.api import IdempotentMixin
from notifications.levels import EscalationLevel
from shishi_mediation import api
from shishi_mediation.api import (
    ErrorSerializer,
    SafeLookupMixin,
    StrictCursorPagination,
    StrictFilterBackend,
    YesNoFilter,
    id_param,
    parse_id,
)
from shishi_mediation.errors import Forbidden, NotFound
from shishi_mediation.replica import replica_reads
from shishi_mediation.validators import CONTENT_TYPES

from . import reference, services
from .actions import ORDER_ACTIONS
from .closing_views import pdf_response
from .downloads import attachment_response
from .filters import OrderFilter
from .incidents import incident_receive
from .models import (
    Assistance,
    Attachment,
    ClosingProposal,
    Escalation,
    Incident,
    Order,
    OrderEvent,
    Party,
)
from .radar import radar_for_viewer, radar_query_for
from .referrals import FollowUp, referral_finished, referral_follow_up
from .selectors import (
    DETAIL_LISTS,
    REFERENCE_FIELDS,
    OrderChildren,
    allowed_actions,
    assist_actions,
    assistance_parts,
    attachment_for,
    available_actions,
    is_dispatcher,
    order_pauses,
    orders_visible_to,
    party_numbers_in_full,
    pause_actions,
)
from .serializers import (
    AddAssistingSerializer,
    AskAssistanceSerializer,
    AssistanceSerializer,
    AssistOpinionSerializer,
    AttachmentUploadSerializer,
    BulkDispatchAnswerSerializer,
    BulkDispatchSerializer,
    CloseSerializer,
    ClosingConfirmSerializer,
    ClosingSerializer,
    ConflictSerializer,
    ContactSerializer,
    DirectReplySerializer,
    DirectSerializer,
    DispatchSerializer,
    EscalationSerializer,
    GradeReviewSerializer,
    IncidentInputSerializer,
    IncidentSerializer,
    LeaderReviewSerializer,
    MeetingSerializer,
    MergeSerializer,
    MultipartClosingConfirmSerializer,
    OptionalReasonSerializer,
    OrderAttachmentSerializer,
    OrderDetailSerializer,
    OrderEventSerializer,
    OrderListSerializer,
    OrderReportSerializer,
    PauseDecideSerializer,
    PauseSerializer,
    ReasonSerializer,
    RecolourSerializer,
    ReferralFollowUpSerializer,
    ReferralResultInputSerializer,
    ResumeSerializer,
    ReturnReviewSerializer,
    ReturnVisitSerializer,
    RouteSerializer,
)
from .stages import STAGE_CHOICES


def error_responses(*codes: int):
    """The error entries of an order endpoint's schema: a 409 carries the order's state."""
    return api.error_responses(
        *codes,
        conflict=(
            ConflictSerializer,
            _("当前状态不允许此操作，或被并发修改；state 为订单当前状态。"),
        ),
    )


class OrderPagination(StrictCursorPagination):
    # Newest first by id: unique, so the cursor is a plain position. DRF pages ties of a
    # non-unique first field (reported_at) by offset, which shifts when orders arrive.
    ordering = ("-id",)


# --- masking and actions ---------------------------------------------------------------------

# The API's action endpoints: every action but notes and return visits (the web pages')
# and settling on the spot (a way of reporting); ``actions`` in the detail lists those
# allowed now. An endpoint is named by its path (``OrderAction.api_path``): 退单 and
# 申请退单 share one.
API_ACTIONS = frozenset(action.api_path for action in ORDER_ACTIONS.values() if action.endpoint)


def actions_now(user, order: Order, pauses=()) -> set[str]:
    """Action endpoints the user's roles and the order's state both allow at this moment
    (the same rule as the web page's buttons), by endpoint path; the pause ones as its
    ``pauses`` allow, the assisting ones as the user's unit's part does."""
    allowed = {name for name in available_actions(user, order) if ORDER_ACTIONS[name].endpoint}
    allowed = pause_actions(allowed, list(pauses), order, timezone.now())
    if allowed & {"assist_sign", "assist_opinion"}:
        allowed = assist_actions(allowed, assistance_parts(order), user)
    if "referral_result" in allowed and referral_finished(order):
        allowed.discard("referral_result")  # its final result is in (移交跟踪)
    return {ORDER_ACTIONS[name].api_path for name in allowed}


DETAIL_PREFETCHES = (
    "assisting_units",
    Prefetch("parties", queryset=Party.objects.order_by("id")),
    "attachments",
    "incidents",
)
ATTACHMENT_FIELDS = ("id", "original_name", "size", "uploaded_at")  # what the detail shows
DATETIME_FIELDS = {"confirmed_at", "uploaded_at"}


def _detail_queryset(user):
    """Visible orders with what the detail shows; every order if ``user`` is None.
    ``_detail_order`` completes each with its configuration rows."""
    return (
        (orders_visible_to(user) if user is not None else Order.objects.all())
        .select_related("reporter", "assignee", "case_leader", "reopened_from", "merged_into")
        .prefetch_related(*DETAIL_PREFETCHES)
    )


def _children_as_json(queryset):
    """On PostgreSQL, the order's assisting units, parties, attachments and incidents
    come in the order's own row, as JSON arrays in the order ``DETAIL_PREFETCHES`` reads
    them: one statement instead of five (each cost a round trip and most of a
    millisecond of Django's time). The SQL is written out because building the same
    from ORM subqueries cost as much as the statements it saved. ``_unpack_children``
    makes them the ``OrderChildren`` the serializer reads."""
    return queryset.annotate(
        **{
            name: RawSQL(sql, (), output_field=JSONField())
            for name, sql in _child_json_sql(queryset.model._meta.db_table).items()
        }
    )


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


@functools.cache
def _child_json_sql(order_table: str) -> dict[str, str]:
    def columns(model, names) -> str:
        fields = [model._meta.get_field(name) for name in names]
        return ", ".join(f"'{f.attname}', c.{qn(f.column)}" for f in fields)

    def array(model, value: str, where: str, order: str, joins: str = "") -> str:
        return (
            f"SELECT COALESCE(jsonb_agg({value} ORDER BY {order}), '[]'::jsonb) "
            f"FROM {qn(model._meta.db_table)} c {joins}WHERE {where}"
        )

    through = Order.assisting_units.through._meta
    mine = f"c.{qn('order_id')} = {qn(order_table)}.{qn('id')}"
    party_fields = [f.name for f in Party._meta.concrete_fields if f.name != "order"]
    return {
        # Unit.Meta.ordering: the area's path, then the name.
        "_assisting": array(
            Unit,
            "c.id",
            f"t.{qn('order_id')} = {qn(order_table)}.{qn('id')}",
            "a.path, c.name",
            f"JOIN {qn(through.db_table)} t ON t.{qn('unit_id')} = c.id "
            f"JOIN {qn(Area._meta.db_table)} a ON a.id = c.{qn('area_id')} ",
        ),
        "_parties": array(
            Party, f"jsonb_build_object({columns(Party, party_fields)})", mine, "c.id"
        ),
        # Attachment.Meta.ordering: uploaded_at, id.
        "_attachments": array(
            Attachment,
            f"jsonb_build_object({columns(Attachment, ATTACHMENT_FIELDS)})",
            mine,
            "c.uploaded_at, c.id",
        ),
        # Incident.Meta.ordering: newest received first.
        "_incidents": array(Incident, "c.number", mine, "c.received_at DESC, c.id DESC"),
        # Which of the lists read apart have rows (each probe an index's).
        "_present": "jsonb_build_object({})".format(
            ", ".join(
                f"'{name}', EXISTS (SELECT 1 FROM {qn(related.related_model._meta.db_table)} c "
                f"WHERE c.{qn(related.field.column)} = {qn(order_table)}.{qn('id')})"
                for name in DETAIL_LISTS
                for related in [Order._meta.get_field(name)]
            )
        ),
    }


def _instance(model, data: dict):
    for name in DATETIME_FIELDS & data.keys():
        if data[name] is not None:
            data[name] = datetime.fromisoformat(data[name])
    return model(**data)


def _unpacked_children(order: Order) -> OrderChildren:
    return OrderChildren(
        assisting_units=[reference.get(Unit, pk) for pk in order._assisting],
        parties=[_instance(Party, data) for data in order._parties],
        attachments=[_instance(Attachment, data) for data in order._attachments],
        incidents=[Incident(number=number) for number in order._incidents],
        present=frozenset(name for name, rows in order._present.items() if rows),
    )


def _prefetched_children(order: Order) -> OrderChildren:
    return OrderChildren(
        assisting_units=list(order.assisting_units.all()),
        parties=list(order.parties.all()),
        attachments=list(order.attachments.all()),
        incidents=list(order.incidents.all()),
    )


def _detail_order(user, order_id: int) -> Order:
    """The order as the detail shows it, among those ``user`` may see (any if None)."""
    queryset = (orders_visible_to(user) if user is not None else Order.objects.all()).filter(
        pk=order_id
    )
    queryset = queryset.select_related(
        "reporter", "assignee", "case_leader", "reopened_from", "merged_into"
    )
    one_statement = connection.vendor == "postgresql"
    if one_statement:
        queryset = _children_as_json(queryset)
    else:
        queryset = queryset.prefetch_related(*DETAIL_PREFETCHES)
    # Unordered: one id is one row, and ordering made Django hash each of the 236 selected
    # expressions to match them against the ORDER BY (a fifth of the request's Python).
    order = next(iter(queryset.order_by()[:1]), None)
    if order is None:
        raise NotFound()
    order.children = _unpacked_children(order) if one_statement else _prefetched_children(order)
    reference.attach([order], *REFERENCE_FIELDS)
    return order


# --- orders -----------------------------------------------------------------------------------

ORDER_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("订单 id"))


def _action_schema(action: str, request, codes=(400, 403, 404, 409), description: str = ""):
    return extend_schema(
        summary=ORDER_ACTIONS[action].label,
        description=description,
        request=request,
        parameters=[ORDER_ID],
        responses={200: OrderDetailSerializer, **error_responses(*codes)},
        tags=["orders"],
    )


@extend_schema_view(
    list=extend_schema(
        summary=_("订单列表"),
        description=_(
            "可见范围内的订单，最新报单在前（按 id 倒序），游标分页（next/previous 链接），"
            "翻页期间新增订单不影响结果。"
            "筛选与网页端相同：状态（可多选）、类别、责任单位、街道、社区、风险、来源、"
            "是否超时、报单/派单日期范围、关键字（编号、标题、描述、当事人姓名）。"
        ),
        responses={200: OrderListSerializer(many=True), **error_responses(400, 404)},
        tags=["orders"],
    ),
    retrieve=extend_schema(
        summary=_("订单详情"),
        description=_(
            "当事人电话和身份证号仅对承办单位（责任/协办单位的办理人和负责人）及本街道派单员"
            "完整显示，其他人看到掩码。actions 为当前用户此刻可执行的操作。"
        ),
        parameters=[ORDER_ID],
        responses={200: OrderDetailSerializer, **error_responses(404)},
        tags=["orders"],
    ),
    create=extend_schema(
        summary=_("报单"),
        description=_(
            "新订单进入所在街道的派单队列。督导员不能报单（403）。"
            "on_the_spot 为 true 时为就地化解：报单并由报单人以“调解成功”结单，不派单。"
        ),
        request=OrderReportSerializer,
        responses={201: OrderDetailSerializer, **error_responses(400, 403)},
        tags=["orders"],
    ),
)
@replica_reads(actions=("list", "retrieve"))  # the order page's own-write rule applies
class OrderViewSet(
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    filter_backends = [StrictFilterBackend]
    filterset_class = OrderFilter
    pagination_class = OrderPagination
    serializer_class = OrderDetailSerializer
    # Anything in the id slot reaches the view, which answers 404 as JSON.
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            return orders_visible_to(user).select_related("assignee")
        return _detail_queryset(user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            reference.attach(page, *REFERENCE_FIELDS)
        return page

    def get_serializer_class(self):
        return OrderListSerializer if self.action == "list" else OrderDetailSerializer

    def get_object(self):
        return _detail_order(self.request.user, parse_id(self.kwargs["pk"]))

    def _detail(self, order_id: int, *, status_code=status.HTTP_200_OK) -> Response:
        # After an action the actor may no longer see the order (a handler who returned
        # it): the answer still shows the result of what they just did, masked for them.
        return self._respond(_detail_order(None, order_id), status_code=status_code)

    def _respond(self, order: Order, *, status_code=status.HTTP_200_OK) -> Response:
        user = self.request.user
        pauses = order_pauses(order)
        context = {
            **self.get_serializer_context(),
            "numbers_in_full": party_numbers_in_full(user, order),
            "actions": {order.pk: actions_now(user, order, pauses)},
            "pauses": {order.pk: pauses},
            "pending_return": {order.pk: services.pending_return(order)},
            # The repeat radar, as the caller may see it (issue 17).
            "radar": {
                order.pk: radar_for_viewer(radar_query_for(order, order.children.parties), user)
            },
        }
        return Response(OrderDetailSerializer(order, context=context).data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        return self._respond(self.get_object())

    def create(self, request, *args, **kwargs):
        serializer = OrderReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["on_the_spot"]:
            order = services.order_settle_on_the_spot(
                actor=request.user,
                data=serializer.to_input(),
                summary=serializer.validated_data["summary"],
            )
        else:
            order = services.order_report(actor=request.user, data=serializer.to_input())
        # A reporter without the reporter role (e.g. a handler) may not see it afterwards.
        return self._detail(order.pk, status_code=status.HTTP_201_CREATED)

    def _run(self, request, action: str, serializer_class=None, arguments=None) -> Response:
        """Run ``action``'s service on the order, with ``arguments`` (a function of the
        validated body) giving its arguments beyond the order and the actor."""
        order_id = parse_id(self.kwargs["pk"])
        # Out of scope is 404 before the body is even read (the service checks again
        # under its row lock).
        if not orders_visible_to(request.user).filter(pk=order_id).exists():
            raise NotFound()
        data = {}
        if serializer_class is not None:
            serializer = serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        service = services.service_for(action)
        service(order_id=order_id, actor=request.user, **(arguments(data) if arguments else {}))
        return self._detail(order_id)

    @_action_schema(
        "dispatch",
        DispatchSerializer,
        description=_(
            "本街道派单员；待派单 → 待签收。确认或改定颜色等级（改定须写理由）；"
            "红色订单须指定包案领导。"
        ),
    )
    # Named dispatch_ because ``dispatch`` is the view's request entry point.
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_(self, request, pk=None):
        return self._run(
            request,
            "dispatch",
            DispatchSerializer,
            lambda d: {
                **self._route_arguments(d),
                "colour": d["colour"],
                "colour_reason": d["colour_reason"],
                "case_leader_id": d.get("case_leader"),
            },
        )

    @extend_schema(
        summary=_("批量派单"),
        description=_(
            "本街道派单员；把多张待派单的订单各派给其第一个建议单位（派单规则）。"
            "每单单独派出、单独检查（权限、状态、并发），某单失败不影响其他订单；"
            "results 逐单给出结果或原因。不在本人范围内的订单与不存在的订单同样报告，"
            "不显示编号。非派单员为 403。"
        ),
        request=BulkDispatchSerializer,
        responses={200: BulkDispatchAnswerSerializer, **error_responses(400, 403)},
        tags=["orders"],
    )
    @action(detail=False, methods=["post"], url_path="dispatch-bulk", url_name="dispatch-bulk")
    def dispatch_bulk(self, request):
        # Like the queue page: not a dispatcher is 403 before the body is read.
        if not is_dispatcher(request.user):
            raise Forbidden(_("只有调处中心派单员可以派单。"))
        serializer = BulkDispatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcomes = services.orders_dispatch_bulk(
            order_ids=serializer.validated_data["ids"], actor=request.user
        )
        sent = sum(o.dispatched for o in outcomes)
        answer = {"dispatched": sent, "failed": len(outcomes) - sent, "results": outcomes}
        return Response(BulkDispatchAnswerSerializer(answer).data)

    @_action_schema(
        "reassign", RouteSerializer, description=_("本街道派单员；待签收的订单换单位，重新计时。")
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        return self._route(request, "reassign")

    def _route(self, request, action: str):
        """Reassign takes the fields dispatch takes, but the colour."""
        return self._run(request, action, RouteSerializer, self._route_arguments)

    @staticmethod
    def _route_arguments(d) -> dict:
        return {
            "lead_unit_id": d["lead_unit"],
            "assignee_id": d.get("assignee"),
            "assisting_unit_ids": d["assisting_units"],
            "note": d["note"],
        }

    @_action_schema(
        "sign",
        None,
        codes=(400, 403, 404, 409),
        description=_("责任单位的办理人或负责人；已被签收时为 409。"),
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        return self._run(request, "sign")

    @extend_schema(
        summary=_("退单 / 申请退单"),
        description=_(
            "本街道派单员：立即退回派单队列（200）。责任单位：提交退单申请（202），订单不变，"
            "由调处中心在审核时限内批准或驳回，pending_return 为该申请；终审派单的订单不能"
            "申请退单（409），可申请协办。须写明原因。"
        ),
        request=ReasonSerializer,
        parameters=[ORDER_ID],
        responses={
            200: OrderDetailSerializer,
            202: OrderDetailSerializer,
            **error_responses(400, 403, 404, 409),
        },
        tags=["orders"],
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        order = orders_visible_to(request.user).filter(pk=parse_id(pk)).first()
        if order is not None and "return" not in allowed_actions(request.user, order):
            response = self._run(
                request, "return_request", ReasonSerializer, lambda d: {"reason": d["reason"]}
            )
            response.status_code = status.HTTP_202_ACCEPTED
            return response
        return self._run(request, "return", ReasonSerializer, lambda d: {"reason": d["reason"]})

    @_action_schema(
        "return_review",
        ReturnReviewSerializer,
        description=_(
            "本街道派单员审核责任单位的退单申请：批准则订单退回派单队列（派单时限重新计时），"
            "驳回须填写理由（note），订单和各环节时限不变。无待审核申请或责任单位已变更为 409。"
        ),
    )
    @action(detail=True, methods=["post"], url_path="return-review", url_name="return-review")
    def return_review(self, request, pk=None):
        return self._run(
            request,
            "return_review",
            ReturnReviewSerializer,
            lambda d: {"approve": d["approve"], "note": d["note"]},
        )

    @_action_schema(
        "ask_assistance",
        AskAssistanceSerializer,
        description=_(
            "终审派单的责任单位申请协办（不能退单），须说明需要的协助；通知本街道派单员。"
        ),
    )
    @action(detail=True, methods=["post"], url_path="ask-assistance", url_name="ask-assistance")
    def ask_assistance(self, request, pk=None):
        return self._run(request, "ask_assistance", AskAssistanceSerializer, lambda d: d)

    @_action_schema("contact", ContactSerializer)
    @action(detail=True, methods=["post"])
    def contact(self, request, pk=None):
        return self._run(
            request,
            "contact",
            ContactSerializer,
            lambda d: {
                "method": d["method"],
                "note": d["note"],
                "contacted_at": d.get("contacted_at"),
            },
        )

    @_action_schema("meet", MeetingSerializer)
    @action(detail=True, methods=["post"])
    def meet(self, request, pk=None):
        return self._run(
            request,
            "meet",
            MeetingSerializer,
            lambda d: {
                "place": d["place"],
                "participants": d["participants"],
                "result": d["result"],
                "met_at": d.get("met_at"),
            },
        )

    @_action_schema(
        "close",
        CloseSerializer,
        description=_(
            "已调解 → 待确认结单。提交结果（调解成功的须附协议书：纠纷事实、协议内容、履行方式"
            "和期限）；每名当事人生成确认链接（同意短信的发送确认码），报单人和调解中心签字确认，"
            "全部确认后自动结单。红色订单须先经包案领导审核。"
        ),
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._run(request, "close", CloseSerializer, lambda d: dict(d))

    @_action_schema(
        "closing_confirm",
        {
            "multipart/form-data": MultipartClosingConfirmSerializer,
            "application/json": ClosingConfirmSerializer,
        },
        description=_(
            "承办人记录当事人当面答复：确认须上传签字协议书照片（multipart/form-data，字段 file）；"
            "拒绝须写理由，订单退回调解。每名当事人只答复一次。"
        ),
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="closing-confirm",
        url_name="closing-confirm",
        parser_classes=[parsers.MultiPartParser, parsers.JSONParser],
    )
    def closing_confirm(self, request, pk=None):
        serializer = (
            MultipartClosingConfirmSerializer
            if request.content_type.startswith("multipart/")
            else ClosingConfirmSerializer
        )
        return self._run(
            request,
            "closing_confirm",
            serializer,
            lambda d: {
                "party_id": d["party"],
                "confirm": d["confirm"],
                "reason": d["reason"],
                "upload": d["file"],
            },
        )

    @_action_schema(
        "closing_sign",
        None,
        description=_(
            "报单人或本街道派单员（调解中心）签字确认待确认的结单；最后一项确认到齐时订单结单。"
        ),
    )
    @action(detail=True, methods=["post"], url_path="closing-sign", url_name="closing-sign")
    def closing_sign(self, request, pk=None):
        return self._run(request, "closing_sign")

    @_action_schema(
        "closing_withdraw",
        OptionalReasonSerializer,
        description=_("撤回待确认的结单（如需修改协议）：退回调解，确认链接失效。"),
    )
    @action(detail=True, methods=["post"], url_path="closing-withdraw", url_name="closing-withdraw")
    def closing_withdraw(self, request, pk=None):
        return self._run(
            request, "closing_withdraw", OptionalReasonSerializer, lambda d: {"reason": d["reason"]}
        )

    @_action_schema(
        "close_overdue",
        ReasonSerializer,
        description=_(
            "本街道派单员；结单确认超过时限（默认72小时）仍未全部确认的，写明理由后结单，"
            "未确认者记录在案。时限未到为 409。"
        ),
    )
    @action(detail=True, methods=["post"], url_path="close-overdue", url_name="close-overdue")
    def close_overdue(self, request, pk=None):
        return self._run(
            request, "close_overdue", ReasonSerializer, lambda d: {"reason": d["reason"]}
        )

    @extend_schema(
        summary=_("结单确认"),
        description=_("订单提交过的结单及各当事人的答复，最近的在后。"),
        parameters=[ORDER_ID],
        responses={200: ClosingSerializer(many=True), **error_responses(404)},
        tags=["orders"],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def closings(self, request, pk=None):
        order_id = parse_id(pk)
        if not orders_visible_to(request.user).filter(pk=order_id).exists():
            raise NotFound()
        rows = (
            ClosingProposal.objects.filter(order_id=order_id)
            .select_related("proposed_by")
            .prefetch_related("confirmations__party")
        )
        context = self.get_serializer_context()
        return Response(ClosingSerializer(rows, many=True, context=context).data)

    @_action_schema("cancel", ReasonSerializer, description=_("本街道派单员；重复或无效的订单。"))
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._run(request, "cancel", ReasonSerializer, lambda d: {"reason": d["reason"]})

    @_action_schema(
        "merge",
        MergeSerializer,
        description=_(
            "本街道派单员；将本单作为重复报单合并至编号为 into 的订单（同一街道）。"
            "本单状态变为“已合并”，计时、职责、暂停和待确认的结单随之终止；"
            "两单流转记录各记一笔。into 为本单、未找到或已撤销：400；"
            "本单已办结、已撤销或已合并：409。"
        ),
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        return self._run(
            request, "merge", MergeSerializer, lambda d: {"into": d["into"], "reason": d["reason"]}
        )

    @_action_schema(
        "add_assisting",
        AddAssistingSerializer,
        description=_(
            "本街道派单员；已派单、未见面调解的订单增派协办单位（如责任单位申请协办）。"
            "每个协办单位自此在签收时限内协办签收。"
        ),
    )
    @action(detail=True, methods=["post"], url_path="add-assisting", url_name="add-assisting")
    def add_assisting(self, request, pk=None):
        return self._run(
            request,
            "add_assisting",
            AddAssistingSerializer,
            lambda d: {"unit_ids": d["units"], "note": d["note"]},
        )

    @_action_schema(
        "assist_sign",
        None,
        description=_(
            "协办单位的办理人或负责人；为本单位的协办签收（签收时限自派单或改派起）。已签收为 409。"
        ),
    )
    @action(detail=True, methods=["post"], url_path="assist-sign", url_name="assist-sign")
    def assist_sign(self, request, pk=None):
        return self._run(request, "assist_sign")

    @_action_schema(
        "assist_opinion",
        AssistOpinionSerializer,
        description=_(
            "协办单位的办理人或负责人；协办签收后提交一次协办意见，时限为订单的见面调解截止时间。"
        ),
    )
    @action(detail=True, methods=["post"], url_path="assist-opinion", url_name="assist-opinion")
    def assist_opinion(self, request, pk=None):
        return self._run(
            request, "assist_opinion", AssistOpinionSerializer, lambda d: {"opinion": d["opinion"]}
        )

    @_action_schema(
        "return_visit",
        ReturnVisitSerializer,
        description=_(
            "结单后的回访：责任单位办理人或负责人、本街道派出所，或就地化解的报单人。"
            "记录当事人是否满意和协议履行情况，并完成最早到期的回访计划（按时或超时）。"
            "不满意时 follow_up 选二次回访（默认，3天后到期）或重新调解（新报一单，"
            "与原订单互相关联，每单一次，再次为 409）。未结单为 409。"
        ),
    )
    @action(detail=True, methods=["post"], url_path="return-visit", url_name="return-visit")
    def return_visit(self, request, pk=None):
        return self._run(
            request,
            "return_visit",
            ReturnVisitSerializer,
            lambda d: {
                "satisfied": d["satisfied"],
                "agreement_kept": d["agreement_kept"] or "",
                "follow_up": d["follow_up"],
                "note": d["note"],
                "visited_at": d.get("visited_at"),
            },
        )

    @_action_schema(
        "grade_review",
        GradeReviewSerializer,
        description=_(
            "本街道派单员；以案定补的结单案件，确认结单人拟定的等级，或改定等级并写明理由。"
            "只有审核后的等级计入补贴；已审核为 409。"
        ),
    )
    @action(detail=True, methods=["post"], url_path="grade-review", url_name="grade-review")
    def grade_review(self, request, pk=None):
        return self._run(
            request,
            "grade_review",
            GradeReviewSerializer,
            lambda d: {"grade": d["grade"], "reason": d["reason"]},
        )

    @_action_schema(
        "referral_result",
        ReferralResultInputSerializer,
        description=_(
            "责任单位的办理人或负责人；已结单且有移交途径的订单，记录接收机关的处理结果"
            "（移交跟踪）。首个结果即完成跟踪计时（结单起 SlaPolicy.referral_minutes，默认30天）；"
            "已立案/受理为阶段性结果，可继续记录，记录最终结果后不能再记录（409）。"
            "结果日期晚于今天或早于结单日期为 400（decided_on）。"
        ),
    )
    @action(detail=True, methods=["post"], url_path="referral-result", url_name="referral-result")
    def referral_result(self, request, pk=None):
        return self._run(
            request,
            "referral_result",
            ReferralResultInputSerializer,
            lambda d: {
                "body": d["body"],
                "case_number": d["case_number"],
                "outcome": d["outcome"],
                "decided_on": d["decided_on"],
                "note": d["note"],
            },
        )

    @extend_schema(
        summary=_("移交跟踪"),
        description=_(
            "订单的移交途径、跟踪截止时间、是否按时，以及已记录的移交结果（按记录先后）。"
            "能查看订单的人均可查看；未移交的订单 referral 为空、results 为空列表。"
        ),
        parameters=[ORDER_ID],
        responses={200: ReferralFollowUpSerializer, **error_responses(404)},
        tags=["orders"],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="referral-results",
        url_name="referral-results",
        pagination_class=None,
        filterset_class=None,
    )
    def referral_results(self, request, pk=None):
        order = orders_visible_to(request.user).filter(pk=parse_id(pk)).first()
        if order is None:
            raise NotFound()
        follow_up = referral_follow_up(order) or FollowUp(
            referral=order.referral, duty=None, results=[]
        )
        data = {
            "referral": follow_up.referral,
            "due_at": follow_up.due_at,
            "on_time": follow_up.on_time,
            "finished": follow_up.finished,
            "results": follow_up.results,
        }
        return Response(ReferralFollowUpSerializer(data).data)

    @extend_schema(
        summary=_("协办情况"),
        description=_(
            "订单的协办单位：各自的协办签收与协办意见，截止时间与是否按时；"
            "ended_at 非空为已撤回（改派未再选中或退回派单队列）。能查看订单的人均可查看。"
        ),
        parameters=[ORDER_ID],
        responses={200: AssistanceSerializer(many=True), **error_responses(404)},
        tags=["orders"],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def assistances(self, request, pk=None):
        order_id = parse_id(pk)
        if not orders_visible_to(request.user).filter(pk=order_id).exists():
            raise NotFound()
        parts = Assistance.objects.filter(order_id=order_id).select_related(
            "unit", "signed_by", "opinion_by", "sign_duty", "opinion_duty"
        )
        return Response(AssistanceSerializer(parts, many=True).data)

    @extend_schema(
        summary=_("人民调解协议书 PDF"),
        description=_("结单确认所附的协议书（A4，含签名栏）；能查看订单的人均可下载。"),
        parameters=[
            ORDER_ID,
            OpenApiParameter(
                "proposal_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("结单确认 id")
            ),
        ],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **error_responses(404),
            503: OpenApiResponse(description=_("本机不能生成 PDF。")),
        },
        tags=["orders"],
    )
    @action(
        detail=True,
        methods=["get"],
        # Any segment: a malformed id is the API's JSON 404 (parse_id), not Django's page.
        url_path=r"closings/(?P<proposal_id>[^/]+)/agreement",
        url_name="agreement",
        pagination_class=None,
        filterset_class=None,
    )
    def agreement(self, request, pk=None, proposal_id=None):
        order_id = parse_id(pk)
        if not orders_visible_to(request.user).filter(pk=order_id).exists():
            raise NotFound()
        proposal = (
            ClosingProposal.objects.filter(order_id=order_id, pk=parse_id(proposal_id))
            .select_related("order__lead_unit", "proposed_by")
            .first()
        )
        if proposal is None or not proposal.has_agreement:
            raise NotFound()
        return pdf_response(proposal)

    @_action_schema(
        "pause",
        PauseSerializer,
        description=_(
            "责任单位的办理人或负责人申请暂停联系当事人或见面调解的计时，须选择原因"
            "（other 须写说明）和时长（1 至 PAUSE_MAX_MINUTES 分钟）。该环节未在计时、"
            "已超时、或已有待审批或进行中的暂停时为 409。批准前计时照常。"
        ),
    )
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._run(
            request,
            "pause",
            PauseSerializer,
            lambda d: {
                "stage": d["stage"],
                "reason": d["reason"],
                "minutes": d["requested_minutes"],
                "note": d["note"],
            },
        )

    @_action_schema(
        "pause_decide",
        PauseDecideSerializer,
        description=_(
            "本街道派单员审批暂停申请。批准：自此刻起暂停，该环节截止时间顺延申请的时长；"
            "驳回须写明理由（note）。没有待审批的申请时为 409。"
        ),
    )
    @action(detail=True, methods=["post"], url_path="pause-decide", url_name="pause-decide")
    def pause_decide(self, request, pk=None):
        return self._run(
            request,
            "pause_decide",
            PauseDecideSerializer,
            lambda d: {"approve": d["approve"], "note": d["note"], "stage": d.get("stage")},
        )

    @_action_schema(
        "resume",
        ResumeSerializer,
        description=_(
            "责任单位或本街道派单员提前结束暂停：截止时间退回未用的分钟（已开始的一分钟计为暂停）。"
            "没有进行中的暂停时为 409。"
        ),
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._run(
            request,
            "resume",
            ResumeSerializer,
            lambda d: {"note": d["note"], "stage": d.get("stage")},
        )

    @_action_schema(
        "direct",
        DirectSerializer,
        description=_(
            "督导员（管辖范围内的订单）或本街道调处中心负责人；对已派单、未办结的订单"
            "提出督办要求和回复期限，由责任单位负责人在期限前回复，逾期按督办回复时限"
            "预警和升级。每单同一时间只能有一条待回复的督办（否则 409）；待派单的订单"
            "没有责任单位，为 409。这是督导员唯一可执行的写操作。"
        ),
    )
    @action(detail=True, methods=["post"])
    def direct(self, request, pk=None):
        return self._run(
            request,
            "direct",
            DirectSerializer,
            lambda d: {"demand": d["demand"], "reply_due_at": d["reply_due_at"]},
        )

    @_action_schema(
        "direct_reply",
        DirectReplySerializer,
        description=_(
            "责任单位负责人；回复待回复的督办，期限当时及之前为按时。已回复，或责任单位"
            "已变更、订单已办结的督办为 409。"
        ),
    )
    @action(detail=True, methods=["post"], url_path="direct-reply", url_name="direct-reply")
    def direct_reply(self, request, pk=None):
        return self._run(
            request,
            "direct_reply",
            DirectReplySerializer,
            lambda d: {"directive_id": d["directive"], "reply": d["reply"]},
        )

    @_action_schema(
        "recolour",
        RecolourSerializer,
        description=_(
            "本街道派单员或调处中心负责人；未办结的订单改颜色等级，须写明理由；"
            "改为红色须有包案领导。颜色不变时可更换包案领导。"
        ),
    )
    @action(detail=True, methods=["post"])
    def recolour(self, request, pk=None):
        return self._run(
            request,
            "recolour",
            RecolourSerializer,
            lambda d: {
                "colour": d["colour"],
                "reason": d["reason"],
                "case_leader_id": d.get("case_leader"),
            },
        )

    @_action_schema(
        "leader_review",
        LeaderReviewSerializer,
        description=_("红色订单的包案领导；记录包案审核意见，结单前必须完成。"),
    )
    @action(detail=True, methods=["post"], url_path="leader-review", url_name="leader-review")
    def leader_review(self, request, pk=None):
        return self._run(
            request, "leader_review", LeaderReviewSerializer, lambda d: {"note": d["note"]}
        )

    @extend_schema(
        summary=_("流转记录"),
        description=_("订单的全部流转事件，按时间先后。"),
        parameters=[ORDER_ID],
        responses={200: OrderEventSerializer(many=True), **error_responses(404)},
        tags=["orders"],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def timeline(self, request, pk=None):
        order_id = parse_id(pk)
        if not orders_visible_to(request.user).filter(pk=order_id).exists():
            raise NotFound()
        events = OrderEvent.objects.filter(order_id=order_id).select_related("actor")
        return Response(OrderEventSerializer(events, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary=_("附件列表"),
        description=_("订单的附件，按上传先后；能查看订单的人都能查看和下载。"),
        parameters=[ORDER_ID],
        responses={200: OrderAttachmentSerializer(many=True), **error_responses(404)},
        tags=["orders"],
    )
    @extend_schema(
        methods=["POST"],
        summary=_("上传附件"),
        description=_(
            "multipart/form-data，一次一个文件（字段 file）。与网页上传相同：能为订单添加"
            "备注的人（本街道派单员、承办单位、报单人）可上传，类型、大小和内容检查相同，"
            "记入流转记录。照片（jpg、png、webp）按 EXIF 方向转正、缩小、去除 EXIF；"
            "keep_location=true 时只保留拍摄位置（GPS）。像素过多的图片（解压炸弹）为 400。"
        ),
        parameters=[ORDER_ID],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={
            201: OrderAttachmentSerializer,
            **error_responses(400, 403, 404),
            415: OpenApiResponse(ErrorSerializer, description=_("请求须为 multipart/form-data。")),
        },
        tags=["orders"],
    )
    @action(
        detail=True,
        methods=["get", "post"],
        # Files come as multipart, for this endpoint only: every other body is JSON.
        parser_classes=[parsers.MultiPartParser],
        pagination_class=None,
        filterset_class=None,
    )
    def attachments(self, request, pk=None):
        order_id = parse_id(pk)
        # Out of scope is 404 before the body is read (the service checks again).
        if not orders_visible_to(request.user).filter(pk=order_id).exists():
            raise NotFound()
        context = self.get_serializer_context()
        if request.method == "GET":
            rows = Attachment.objects.filter(order_id=order_id).select_related("uploaded_by")
            return Response(OrderAttachmentSerializer(rows, many=True, context=context).data)
        if len(request.FILES.getlist("file")) > 1:
            raise ValidationError({"file": [_("一次只能上传一个文件。")]})
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        attachment = services.order_attach(
            order_id=order_id,
            actor=request.user,
            upload=data["file"],
            keep_location=data["keep_location"],
            note=data["note"],
        )
        return Response(
            OrderAttachmentSerializer(attachment, context=context).data,
            status=status.HTTP_201_CREATED,
        )

    def filter_queryset(self, queryset):
        # Filters apply to the list only; detail and actions look orders up by id.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


# Reporting, every action endpoint, the bulk dispatch and an upload honour Idempotency-Key
# (an endpoint's path is its actions' ``api_path``; ``dispatch_`` and ``return_`` only
# dodge Python names).
OrderViewSet.idempotent_actions = frozenset(
    {"create", "attachments", "dispatch_bulk"}
    | {
        endpoint.__name__
        for endpoint in OrderViewSet.get_extra_actions()
        if endpoint.url_path in API_ACTIONS
    }
)
assert len(OrderViewSet.idempotent_actions) == len(API_ACTIONS) + 3, "an action has no endpoint"


# --- police incidents -------------------------------------------------------------------------


# --- escalations ------------------------------------------------------------------------------


class EscalationFilter(django_filters.FilterSet):
    open = YesNoFilter(predicate=lambda: Q(resolved_at=None))
    stage = django_filters.ChoiceFilter(choices=STAGE_CHOICES)
    level = django_filters.TypedChoiceFilter(choices=EscalationLevel.choices, coerce=int)

    class Meta:
        model = Escalation
        fields: list[str] = []


class EscalationPagination(StrictCursorPagination):
    ordering = ("-id",)  # unique: a stable cursor


@extend_schema_view(
    list=extend_schema(
        summary=_("超时督办列表"),
        description=_("可见订单的预警与督办，最新在前；open=true 只看未解除的。"),
        responses={200: EscalationSerializer(many=True), **error_responses(400, 404)},
        tags=["escalations"],
    ),
    retrieve=extend_schema(
        summary=_("超时督办"),
        parameters=[id_param(_("督办 id"))],
        responses={200: EscalationSerializer, **error_responses(404)},
        tags=["escalations"],
    ),
)
@replica_reads(actions=("list",))
class EscalationViewSet(SafeLookupMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = EscalationSerializer
    filterset_class = EscalationFilter
    pagination_class = EscalationPagination

    def get_queryset(self):
        visible = orders_visible_to(self.request.user).values("pk")
        return Escalation.objects.filter(order_id__in=visible).select_related("order")


# --- attachments ------------------------------------------------------------------------------

ATTACHMENT_ID = id_param(_("附件 id"))


class AttachmentViewSet(viewsets.ViewSet):
    """An attachment's file and a photo's thumbnail, to whoever may see its order (the
    web's rule, ``selectors.attachment_for``); another's id is a 404."""

    lookup_value_regex = "[^/]+"

    def perform_content_negotiation(self, request, force=False):
        # A file answers whatever the client accepts (an image viewer may ask for
        # image/*); errors are JSON.
        return super().perform_content_negotiation(request, force=True)

    def _attachment(self, pk) -> Attachment:
        try:
            return attachment_for(self.request.user, parse_id(pk))
        except Attachment.DoesNotExist:
            raise NotFound() from None

    @extend_schema(
        summary=_("下载附件"),
        description=_(
            "原文件（照片为上传时处理后的文件），作为下载（Content-Disposition: attachment）。"
        ),
        parameters=[ATTACHMENT_ID],
        responses={
            **{(200, media): OpenApiTypes.BINARY for media in sorted(set(CONTENT_TYPES.values()))},
            **error_responses(404),
        },
        tags=["orders"],
    )
    def retrieve(self, request, pk=None):
        return attachment_response(self._attachment(pk))

    @extend_schema(
        summary=_("附件缩略图"),
        description=_("照片的缩略图（JPEG）；其他文件没有缩略图，为 404。"),
        parameters=[ATTACHMENT_ID],
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY, **error_responses(404)},
        tags=["orders"],
    )
    @action(detail=True, methods=["get"])
    def thumbnail(self, request, pk=None):
        return attachment_response(self._attachment(pk), thumbnail=True)


class IncidentView(APIView):
    throttle_scope = "incidents"

    @extend_schema(
        summary=_("接收警情"),
        description=_(
            "供公安指挥系统调用。调用账号须为派出所（含指挥中心，单位类型为派出所）的非督导成员，"
            "否则 403。按警情编号幂等：首次 201，同一账号或同单位账号重复报送 200 并返回首次"
            "结果，绝不重复生成订单；其他单位报送已登记的编号得 409，不返回警情内容。"
            "警情类型表中标为纠纷类的警情转为订单（来源：警情），自动派至社区所属派出所并通知"
            "其民警；其他警情只登记、计数。报警电话在应答中打码。"
        ),
        request=IncidentInputSerializer,
        responses={
            201: OpenApiResponse(IncidentSerializer, description=_("新登记的警情")),
            200: OpenApiResponse(IncidentSerializer, description=_("此编号已登记：首次的结果")),
            **error_responses(400, 403),
            409: OpenApiResponse(ErrorSerializer, description=_("此编号已由其他单位报送。")),
        },
        examples=[
            OpenApiExample(
                "纠纷类警情",
                request_only=True,
                value={
                    "number": "J3505812026111000123",
                    "received_at": "2026-11-10T09:30:00+08:00",
                    "type": "JF-LZ",
                    "summary": "工人报警称工地拖欠工资",
                    "address": "曾坑村 12 号",
                    "community": "HB/ZK",
                    "caller_name": "王某",
                    "caller_phone": "13812345678",
                },
            )
        ],
        tags=["incidents"],
    )
    def post(self, request):
        serializer = IncidentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = incident_receive(actor=request.user, data=serializer.to_input())
        incident = Incident.objects.select_related("type", "community", "order__lead_unit").get(
            pk=result.incident.pk
        )
        return Response(
            IncidentSerializer(incident).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


# --- results back to the command system (``disputes.results``) ----------------------------------

from .incidents import incident_for_reader  # noqa: E402 - appended section
from .results import incident_result  # noqa: E402
from .serializers import IncidentResultSerializer  # noqa: E402


class IncidentResultView(APIView):
    """The result of an incident as it stands, for command systems that poll."""

    @extend_schema(
        summary=_("警情处置结果"),
        description=_(
            "供公安指挥系统查询警情转成的订单现状：订单编号、状态、结果（代码及中文）、"
            "承办单位和各环节时间。仅报送该警情的账号或与其同属派出所单位的成员可查；其他人"
            "（含督导）与不存在的编号一样得 404。尚未生成订单的警情，order 为 null。"
            "签收与结束时结果也会主动推送（见 docs/API.md）。"
        ),
        parameters=[
            OpenApiParameter(
                "number", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("警情编号")
            )
        ],
        responses={200: IncidentResultSerializer, **error_responses(404)},
        tags=["incidents"],
    )
    def get(self, request, number: str):
        incident = incident_for_reader(actor=request.user, number=number)
        return Response(incident_result(incident))
