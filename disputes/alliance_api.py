"""``/api/v1/alliance/invitations/``: the center invites a social-force unit or volunteer
to assist an order (邀请协助), withdraws it; the lead unit grants or revokes the parties'
phones; the invited volunteer adds notes. Each through its service in
``disputes.services`` (``order_invite`` and siblings), on the order's timeline."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from shishi_mediation.api import Flag, IdField, Text, id_param, parse_id
from shishi_mediation.errors import InvalidInput, NotFound
from shishi_mediation.text import display_name

from . import services
from .api import error_responses
from .models import Invitation
from .selectors import open_invitations_of, orders_visible_to


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    order = serializers.IntegerField(source="order_id")
    order_number = serializers.CharField(source="order.number")
    unit = serializers.IntegerField(source="unit_id")
    unit_name = serializers.CharField(source="unit.name")
    member = serializers.IntegerField(source="member_id", allow_null=True)
    member_name = serializers.SerializerMethodField()
    message = serializers.CharField()
    invited_at = serializers.DateTimeField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    contact_granted = serializers.BooleanField(help_text=_("责任单位是否已授权查看当事人电话"))

    def get_member_name(self, obj) -> str:
        return display_name(obj.member) if obj.member_id else ""


class InviteSerializer(serializers.Serializer):
    order = IdField(help_text=_("订单 id"))
    unit = IdField(required=False, allow_null=True, default=None, help_text=_("联盟单位 id"))
    member = IdField(required=False, allow_null=True, default=None, help_text=_("志愿者的用户 id"))
    message = Text(required=False, allow_blank=True, default="", max_length=500)

    def validate(self, attrs):
        if attrs["unit"] is None and attrs["member"] is None:
            raise serializers.ValidationError({"unit": [_("请选择邀请的联盟单位或志愿者。")]})
        return attrs


class ContactGrantSerializer(serializers.Serializer):
    grant = Flag(help_text=_("true 授权查看当事人电话；false 收回"))


class InvitationNoteSerializer(serializers.Serializer):
    note = Text(max_length=2000)


def _invitations():
    return Invitation.objects.select_related("order", "unit", "member")


def _visible_invitation(user, pk) -> Invitation:
    """An invitation of an order the user sees, else 404 (a withdrawn invitation's
    volunteer no longer sees the order)."""
    invitation = (
        _invitations()
        .filter(pk=parse_id(pk), order__in=orders_visible_to(user).values("pk"))
        .first()
    )
    if invitation is None:
        raise NotFound()
    return invitation


def _answer(pk, code=status.HTTP_200_OK) -> Response:
    return Response(InvitationSerializer(_invitations().get(pk=pk)).data, status=code)


class InvitationsView(APIView):
    @extend_schema(
        summary=_("协助邀请列表"),
        description=_(
            "不带 order：志愿者本人正在协助的邀请（点名邀请或其单位被邀请）。"
            "带 order：该订单的全部邀请（须能查看该订单，否则 404）。"
        ),
        parameters=[OpenApiParameter("order", int)],
        responses={200: InvitationSerializer(many=True), **error_responses(404)},
        tags=["alliance"],
    )
    def get(self, request):
        order = request.query_params.get("order")
        if order:
            order_id = parse_id(order)
            if not orders_visible_to(request.user).filter(pk=order_id).exists():
                raise NotFound()
            rows = _invitations().filter(order_id=order_id).order_by("invited_at", "pk")
        else:
            rows = (
                _invitations()
                .filter(pk__in=open_invitations_of(request.user).values("pk"))
                .order_by("-invited_at", "-pk")
            )
        return Response(InvitationSerializer(rows, many=True).data)

    @extend_schema(
        summary=_("邀请协助"),
        description=_(
            "订单所在街道调处中心的派单员邀请一个联盟单位（其全部志愿者）或一名志愿者协助"
            "未办结的订单。被邀请人只能看到该订单，当事人电话为掩码，除非责任单位授权；"
            "可添加备注。同一单位或志愿者已有未撤回的邀请时为 409。"
        ),
        request=InviteSerializer,
        responses={201: InvitationSerializer, **error_responses(400, 403, 404, 409)},
        tags=["alliance"],
    )
    def post(self, request):
        serializer = InviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        if not orders_visible_to(request.user).filter(pk=d["order"]).exists():
            raise NotFound()
        invitation = services.order_invite(
            order_id=d["order"],
            actor=request.user,
            unit_id=d["unit"],
            member_id=d["member"],
            message=d["message"],
        )
        return _answer(invitation.pk, status.HTTP_201_CREATED)


class InvitationWithdrawView(APIView):
    @extend_schema(
        summary=_("撤回邀请"),
        description=_("订单所在街道的派单员；撤回后被邀请人不再能查看该订单（404）。"),
        request=None,
        parameters=[id_param(_("邀请 id"))],
        responses={200: InvitationSerializer, **error_responses(403, 404)},
        tags=["alliance"],
    )
    def post(self, request, pk):
        invitation = _visible_invitation(request.user, pk)
        services.order_invite_withdraw(
            order_id=invitation.order_id, actor=request.user, invitation_id=invitation.pk
        )
        return _answer(invitation.pk)


class InvitationContactView(APIView):
    @extend_schema(
        summary=_("授权查看联系方式"),
        description=_(
            "责任单位的办理人或负责人授权被邀请人查看当事人电话（身份证号始终为掩码），"
            "或收回授权；记入流转记录。重复授权或收回为 409。"
        ),
        request=ContactGrantSerializer,
        parameters=[id_param(_("邀请 id"))],
        responses={200: InvitationSerializer, **error_responses(400, 403, 404, 409)},
        tags=["alliance"],
    )
    def post(self, request, pk):
        invitation = _visible_invitation(request.user, pk)
        serializer = ContactGrantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_contact_grant(
            order_id=invitation.order_id,
            actor=request.user,
            invitation_id=invitation.pk,
            grant=serializer.validated_data["grant"],
        )
        return _answer(invitation.pk)


class InvitationNoteView(APIView):
    @extend_schema(
        summary=_("协助备注"),
        description=_(
            "在订单流转记录中添加备注（署名）。被邀请的志愿者、派单员和承办单位均可；"
            "志愿者的备注计入联盟贡献。附件请用订单的附件接口。"
        ),
        request=InvitationNoteSerializer,
        parameters=[id_param(_("邀请 id"))],
        responses={201: None, **error_responses(400, 403, 404)},
        tags=["alliance"],
    )
    def post(self, request, pk):
        invitation = _visible_invitation(request.user, pk)
        serializer = InvitationNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = serializer.validated_data["note"].strip()
        if not note:
            raise InvalidInput({"note": _("请填写备注。")})
        services.order_add_note(order_id=invitation.order_id, actor=request.user, note=note)
        return Response(status=status.HTTP_201_CREATED)
