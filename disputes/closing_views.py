"""The joint closing's pages (结单确认): proposing it, recording a party's answer in
person, the sign-offs, withdrawing, closing past the limit, and the agreement
(人民调解协议书) as a printable page and a PDF. The parties' own pages, without login,
are ``confirm_views``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from shishi_mediation.errors import NotFound
from shishi_mediation.web import DomainErrorMixin, error_page, safe_next

from . import services
from .agreements import PdfUnavailable, agreement_html, agreement_pdf, pdf_filename
from .forms import CloseForm, ClosingConfirmForm, OptionalReasonForm, OverdueCloseForm
from .models import ClosingProposal
from .views import OrderActionView, _load


class CloseView(OrderActionView):
    action = "close"
    form_class = CloseForm
    submit_label = gettext_lazy("提交结单，请各方确认")
    success_message = gettext_lazy("已提交结单，请当事人、报单人和调解中心确认。")

    def form_kwargs(self):
        return {"order": self.order}

    def service_kwargs(self, data):
        return {
            name: data.get(name) or ("" if name != "perform_by" else None)
            for name in CloseForm.base_fields
        }


class ClosingConfirmView(OrderActionView):
    action = "closing_confirm"
    form_class = ClosingConfirmForm
    success_message = gettext_lazy("已记录当事人意见。")

    def form_kwargs(self):
        proposal = services.pending_closing(self.order)
        waiting = proposal.confirmations.filter(answer="") if proposal else []
        return {"parties": [c.party for c in waiting.select_related("party")] if waiting else []}

    def service_kwargs(self, data):
        return {
            "party_id": data["party"],
            "confirm": ClosingConfirmForm.ANSWERS[data["answer"]],
            "reason": data.get("reason", ""),
            "upload": data.get("file"),
        }


class ClosingWithdrawView(OrderActionView):
    action = "closing_withdraw"
    form_class = OptionalReasonForm
    submit_label = gettext_lazy("撤回结单")
    success_message = gettext_lazy("已撤回结单，订单退回调解。")

    def service_kwargs(self, data):
        return {"reason": data.get("reason", "")}


class CloseOverdueView(OrderActionView):
    action = "close_overdue"
    form_class = OverdueCloseForm
    submit_label = gettext_lazy("逾期结单")
    success_message = gettext_lazy("已结单。")

    def service_kwargs(self, data):
        return {"reason": data["reason"]}


class ClosingSignView(LoginRequiredMixin, DomainErrorMixin, View):
    """One-tap sign-off by the reporter or the center (POST only)."""

    http_method_names = ["post"]

    def conflict_url(self):
        return safe_next(self.request, reverse("order-detail", args=[self.kwargs["pk"]]))

    def post(self, request, pk):
        order = services.order_closing_sign(order_id=pk, actor=request.user)
        if order.state == "closed":
            messages.success(
                request, _("已签字确认，%(number)s 已结单。") % {"number": order.number}
            )
        else:
            messages.success(request, _("已签字确认。"))
        return redirect(safe_next(request, reverse("order-detail", args=[pk])))


def _proposal_for(request, pk: int, proposal_id: int) -> ClosingProposal:
    order = _load(request.user, pk)  # 404 outside the viewer's scope
    proposal = order.closings.filter(pk=proposal_id).first()
    if proposal is None or not proposal.has_agreement:
        raise NotFound()
    proposal.order = order
    return proposal


@login_required
def agreement_page(request, pk: int, proposal_id: int):
    try:
        proposal = _proposal_for(request, pk, proposal_id)
    except NotFound as e:
        return error_page(request, e, 404)
    pdf_url = reverse("order-agreement-pdf", args=[pk, proposal.pk])
    return HttpResponse(agreement_html(proposal, pdf_url=pdf_url))


def pdf_response(proposal: ClosingProposal) -> HttpResponse:
    """The agreement's PDF, inline (a phone opens it in its viewer); 503 where this
    machine cannot render PDFs (the printable page still works)."""
    try:
        pdf = agreement_pdf(proposal)
    except PdfUnavailable:
        return HttpResponse(
            _("本机暂不能生成 PDF，请使用协议书页面打印。"),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf_filename(proposal)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def agreement_pdf_view(request, pk: int, proposal_id: int):
    try:
        proposal = _proposal_for(request, pk, proposal_id)
    except NotFound as e:
        return error_page(request, e, 404)
    return pdf_response(proposal)
