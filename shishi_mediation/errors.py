"""The domain errors services raise; the API's exception handler and the web views'
mixin each translate them once (400 / 403 / 404 / 409)."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status_code = 400
    default_message = _("请求无法完成。")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    """Bad input; ``errors`` maps each field to its messages."""

    status_code = 400
    default_message = _("输入有误。")

    def __init__(self, errors: dict[str, list[str] | str], message=None):
        self.errors = {k: v if isinstance(v, list) else [v] for k, v in errors.items()}
        super().__init__(message)


class NotFound(DomainError):
    """Missing, or outside what the actor may see (never say which)."""

    status_code = 404
    default_message = _("订单不存在或无权查看。")


class Forbidden(DomainError):
    status_code = 403
    default_message = _("您的角色不能执行此操作。")


class Conflict(DomainError):
    """An illegal transition for the current state, or a concurrent change."""

    status_code = 409
    default_message = _("订单状态已变化，无法执行此操作。")

    def __init__(self, message=None, *, state: str = ""):
        self.state = state
        super().__init__(message)
