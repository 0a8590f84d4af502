"""The invite form and the order page's alliance block (社会力量大调解联盟)."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliance.selectors import alliance_units, invitable_members

from . import services
from .models import Order
from .selectors import open_invitations_of


def invitee_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The invite form's choices: the alliance's units as a whole (``u:<id>``) and its
    volunteers by name (``m:<user id>``), with their dialects and skills."""
    units = [
        (f"u:{u.pk}", f"{u.name}（{u.get_alliance_kind_display() or _('社会力量')}）")
        for u in alliance_units()
    ]
    members = []
    for r in invitable_members():
        traits = "·".join([*r["dialect_labels"], *r["skill_labels"]])
        label = f"{r['name']}（{traits}）— {r['unit']}" if traits else f"{r['name']} — {r['unit']}"
        members.append((f"m:{r['user_id']}", label))
    return [(_("联盟单位"), units), (_("志愿者"), members)]


class InviteForm(forms.Form):
    invitee = forms.ChoiceField(label=gettext_lazy("邀请对象"))
    message = forms.CharField(
        label=gettext_lazy("邀请说明"),
        required=False,
        max_length=services.INVITATION_MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invitee"].choices = [("", "—"), *invitee_choices()]

    def target(self) -> dict:
        kind, _sep, pk = self.cleaned_data["invitee"].partition(":")
        return {"unit_id": int(pk)} if kind == "u" else {"member_id": int(pk)}


def invitation_context(order: Order, user, actions: set[str]) -> dict:
    """The order page's alliance block: its invitations (running first) and the forms
    the user's actions allow. Empty for an order never invited and a user who may not
    invite."""
    rows = (
        list(order.invitations.select_related("unit", "member", "invited_by", "contact_granted_by"))
        if getattr(order, "has_invitations", True)
        else []
    )
    rows.sort(key=lambda i: (i.withdrawn_at is not None, i.invited_at, i.pk))
    mine = {i.pk for i in open_invitations_of(user).filter(order=order)} if rows else set()
    for i in rows:
        i.mine = i.pk in mine
    return {
        "invitations": rows,
        "may_invite": "invite" in actions,  # the form is its own page (its choices' queries)
        "may_withdraw": "invite_withdraw" in actions,
        "may_grant": "contact_grant" in actions,
    }
