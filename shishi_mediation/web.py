"""The web pages' one translation of domain errors, and small helpers the views share
(safe ``next``, paging).

``DomainErrorMixin`` wraps a class-based view: the services' ``InvalidInput`` becomes
field errors on the view's form (re-rendered in place, 400); ``Conflict`` (the state
moved on, e.g. a colleague signed first) becomes a message on the order page;
``Forbidden`` and ``NotFound`` become a plain 403 / 404 page that says why.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.forms import ModelMultipleChoiceField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy

from .errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from .ids import id_from_text

PAGE_SIZE = 25
PAGE_SIZES = (10, 25, 50, 100)


def error_page(request: HttpRequest, error: DomainError, status: int) -> HttpResponse:
    titles = {
        400: gettext_lazy("输入有误"),
        403: gettext_lazy("无权操作"),
        404: gettext_lazy("未找到"),
        409: gettext_lazy("状态已变化"),
    }
    return render(
        request,
        "error.html",
        {"title": titles.get(status, ""), "message": error.message, "status": status},
        status=status,
    )


def add_domain_errors(form, errors: dict[str, list], aliases: dict[str, str] | None = None):
    """Put a service's field errors on the form fields of the same name (or alias);
    anything else becomes a form-wide error."""
    aliases = aliases or {}
    for key, msgs in errors.items():
        name = aliases.get(key, key)
        form.add_error(name if name in form.fields else None, list(msgs))


class DomainErrorMixin:
    """Turns domain errors raised while handling a request into what a person should
    see. A view sets ``self.form`` before calling a service and implements
    ``form_invalid(form)``; ``conflict_url()`` says where a 409 message is shown."""

    error_aliases: dict[str, str] = {}

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except InvalidInput as e:
            form = getattr(self, "form", None)
            if form is None:
                return error_page(request, e, 400)
            self.apply_errors(e.errors)
            return self.form_invalid(form)
        except Conflict as e:
            messages.warning(request, self.conflict_message(e))
            url = self.conflict_url()
            return redirect(url) if url else error_page(request, e, 409)
        except Forbidden as e:
            return error_page(request, e, 403)
        except NotFound as e:
            return error_page(request, e, 404)

    def apply_errors(self, errors: dict[str, list]) -> None:
        add_domain_errors(self.form, errors, self.error_aliases)

    def conflict_message(self, error: Conflict) -> str:
        return str(error.message)

    def conflict_url(self) -> str | None:
        return None


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` parameter if it points inside this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def page_size(request: HttpRequest, *, default: int = PAGE_SIZE) -> int:
    """``?per_page=``: one of ``PAGE_SIZES``, else the default."""
    try:
        size = int(request.GET.get("per_page", default))
    except ValueError:
        return default
    return size if size in PAGE_SIZES else default


def paginate(
    request: HttpRequest, queryset, *, default: int = PAGE_SIZE, count: int | None = None
) -> Page:
    """One page of a list; ``?per_page=`` picks one of ``PAGE_SIZES``. ``count`` is the
    list's length when the caller has counted it already (it is not counted again)."""
    paginator = Paginator(queryset, page_size(request, default=default))
    if count is not None:
        paginator.count = count  # a cached_property
    return paginator.get_page(request.GET.get("page"))


class IdsChoiceField(ModelMultipleChoiceField):
    """A ``ModelMultipleChoiceField`` whose ids out of range (or not ASCII digits) are an
    invalid value, a 400 on the form, rather than a database error: Django's ``__in``
    lookup passes them to the database, where SQLite overflows and PostgreSQL refuses."""

    def _check_values(self, value):
        if not self.to_field_name:
            for item in value or ():
                if id_from_text(item) is None:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": item},
                    )
        return super()._check_values(value)
