"""The order's side of the mediation alliance (社会力量大调解联盟) on the web: the
invitations block of the order page, inviting a unit or volunteer, withdrawing,
granting and revoking the parties' phones, and a volunteer's own page (我的协助)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shishi_mediation.errors import Forbidden
from shishi_mediation.web import error_page, paginate

from .alliance_forms import InviteForm
from .clocks import with_clocks
from .selectors import open_invitations_of, orders_visible_to, volunteer_unit_ids
from .views import OrderActionView


class InviteView(OrderActionView):
    action = "invite"
    form_class = InviteForm
    success_message = gettext_lazy("已发出邀请。")
    error_aliases = {"unit": "invitee", "member": "invitee"}

    def service_kwargs(self, data):
        return {**self.form.target(), "message": data.get("message", "")}


class _InvitationStep(OrderActionView):
    """A button's POST on one invitation: withdraw, grant or revoke."""

    http_method_names = ["post"]

    def get_form(self, data=None, files=None):
        return forms.Form(data)

    def check_state(self) -> None:
        pass

    def post(self, request, pk, invitation):  # the invitation's id is in self.kwargs
        return super().post(request, pk)


class WithdrawView(_InvitationStep):
    action = "invite_withdraw"
    success_message = gettext_lazy("已撤回邀请。")

    def service_kwargs(self, data):
        return {"invitation_id": self.kwargs["invitation"]}


class ContactGrantView(_InvitationStep):
    action = "contact_grant"
    success_message = gettext_lazy("已更新联系方式授权。")

    def service_kwargs(self, data):
        return {
            "invitation_id": self.kwargs["invitation"],
            "grant": self.request.POST.get("grant") == "1",
        }


@login_required
def my_assists(request):
    """我的协助: the orders a volunteer is invited to assist (by name or through its
    unit), newest invitation first. A user who volunteers nowhere has none."""
    if not volunteer_unit_ids(request.user):
        return error_page(request, Forbidden(_("只有联盟志愿者有协助订单。")), 403)
    open_ids = open_invitations_of(request.user).values("order_id")
    orders = (
        orders_visible_to(request.user)
        .filter(pk__in=open_ids)
        .select_related("community", "lead_unit", "category")
        .order_by("-pk")
    )
    page = paginate(request, orders)
    with_clocks(page.object_list)
    invitations = {}
    for i in open_invitations_of(request.user).filter(
        order_id__in=[o.pk for o in page.object_list]
    ):
        invitations.setdefault(i.order_id, i)
    for o in page.object_list:
        o.invitation = invitations.get(o.pk)
    return render(request, "disputes/my_assists.html", {"page": page})
