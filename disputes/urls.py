from django.urls import path

from . import alliance_views, closing_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("orders/", views.order_search, name="order-list"),
    path("board/", views.board, name="board"),
    path("queue/", views.queue, name="queue"),
    path("queue/dispatch/", views.queue_dispatch_bulk, name="queue-dispatch"),
    path("handling/", views.handling, name="handling"),
    path("my-reports/", views.reports_mine, name="my-reports"),
    path("overview/", views.overview, name="overview"),
    path("report/", views.ReportView.as_view(), name="report"),
    path("report/party/", views.report_party_form, name="report-party"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("orders/<int:pk>/dispatch/", views.DispatchView.as_view(), name="order-dispatch"),
    path("orders/<int:pk>/reassign/", views.ReassignView.as_view(), name="order-reassign"),
    path("orders/<int:pk>/cancel/", views.CancelView.as_view(), name="order-cancel"),
    path("orders/<int:pk>/merge/", views.MergeView.as_view(), name="order-merge"),
    path("orders/<int:pk>/sign/", views.SignView.as_view(), name="order-sign"),
    path("orders/<int:pk>/assist-sign/", views.AssistSignView.as_view(), name="order-assist-sign"),
    path(
        "orders/<int:pk>/assist-opinion/",
        views.AssistOpinionView.as_view(),
        name="order-assist-opinion",
    ),
    path(
        "orders/<int:pk>/referral-result/",
        views.ReferralResultView.as_view(),
        name="order-referral-result",
    ),
    path(
        "orders/<int:pk>/grade-review/", views.GradeReviewView.as_view(), name="order-grade-review"
    ),
    path(
        "orders/<int:pk>/add-assisting/",
        views.AddAssistingView.as_view(),
        name="order-add-assisting",
    ),
    path("orders/<int:pk>/return/", views.ReturnView.as_view(), name="order-return"),
    path(
        "orders/<int:pk>/return-review/",
        views.ReturnReviewView.as_view(),
        name="order-return-review",
    ),
    path(
        "orders/<int:pk>/ask-assistance/",
        views.AssistanceView.as_view(),
        name="order-ask-assistance",
    ),
    path("orders/<int:pk>/contact/", views.ContactView.as_view(), name="order-contact"),
    path("orders/<int:pk>/meet/", views.MeetingView.as_view(), name="order-meet"),
    path("orders/<int:pk>/close/", closing_views.CloseView.as_view(), name="order-close"),
    path(
        "orders/<int:pk>/closing-confirm/",
        closing_views.ClosingConfirmView.as_view(),
        name="order-closing-confirm",
    ),
    path(
        "orders/<int:pk>/closing-sign/",
        closing_views.ClosingSignView.as_view(),
        name="order-closing-sign",
    ),
    path(
        "orders/<int:pk>/closing-withdraw/",
        closing_views.ClosingWithdrawView.as_view(),
        name="order-closing-withdraw",
    ),
    path(
        "orders/<int:pk>/close-overdue/",
        closing_views.CloseOverdueView.as_view(),
        name="order-close-overdue",
    ),
    path(
        "orders/<int:pk>/agreement/<int:proposal_id>/",
        closing_views.agreement_page,
        name="order-agreement",
    ),
    path(
        "orders/<int:pk>/agreement/<int:proposal_id>.pdf",
        closing_views.agreement_pdf_view,
        name="order-agreement-pdf",
    ),
    path("orders/<int:pk>/note/", views.NoteView.as_view(), name="order-note"),
    # The mediation alliance (社会力量大调解联盟): invitations to assist an order.
    path("orders/<int:pk>/invite/", alliance_views.InviteView.as_view(), name="order-invite"),
    path(
        "orders/<int:pk>/invitations/<int:invitation>/withdraw/",
        alliance_views.WithdrawView.as_view(),
        name="order-invite-withdraw",
    ),
    path(
        "orders/<int:pk>/invitations/<int:invitation>/contact/",
        alliance_views.ContactGrantView.as_view(),
        name="order-contact-grant",
    ),
    path("my-assists/", alliance_views.my_assists, name="my-assists"),
    path("orders/<int:pk>/pause/", views.PauseView.as_view(), name="order-pause"),
    path(
        "orders/<int:pk>/pause-decide/", views.PauseDecideView.as_view(), name="order-pause-decide"
    ),
    path("orders/<int:pk>/resume/", views.ResumeView.as_view(), name="order-resume"),
    path("orders/<int:pk>/recolour/", views.RecolourView.as_view(), name="order-recolour"),
    path(
        "orders/<int:pk>/leader-review/",
        views.LeaderReviewView.as_view(),
        name="order-leader-review",
    ),
    path(
        "orders/<int:pk>/return-visit/",
        views.ReturnVisitView.as_view(),
        name="order-return-visit",
    ),
    path("orders/<int:pk>/direct/", views.DirectView.as_view(), name="order-direct"),
    path(
        "orders/<int:pk>/direct-reply/",
        views.DirectReplyView.as_view(),
        name="order-direct-reply",
    ),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path(
        "attachments/<int:pk>/thumbnail/",
        views.attachment_thumbnail,
        name="attachment-thumbnail",
    ),
    path("dispatch/assignees/", views.assignee_options, name="assignee-options"),
]
