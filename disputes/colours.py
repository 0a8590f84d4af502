"""An order's colour grade (红/黄/绿): how closely it must be watched, from its risk
level and its parties, one step up for a repeated dispute (the radar, ``disputes.radar``).

One plain function decides it (``colour_for``); the services set it at reporting, confirm
or override it at dispatch, and change it with a reason (``order_recolour``). A red order
needs a named 包案 leader who reviews it before it may close.
"""

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _

from dispatch.models import RiskLevel


class Colour(models.TextChoices):
    RED = "red", _("红")
    YELLOW = "yellow", _("黄")
    GREEN = "green", _("绿")


# The queue's and the board's order: red first.
COLOUR_RANK = {Colour.RED: 0, Colour.YELLOW: 1, Colour.GREEN: 2}


def colour_for(*, risk_level: str, parties: Iterable, is_repeat: bool = False) -> Colour:
    """High risk → red (vulnerable parties or not); medium risk or any vulnerable party
    (``Party.is_vulnerable``) → yellow; else green.

    A repeated dispute (``Order.is_repeat``, the radar's finding at report: issue 17) is
    one step up: green → yellow, yellow → red; red stays red.
    """
    if risk_level == RiskLevel.HIGH:
        colour = Colour.RED
    elif risk_level == RiskLevel.MEDIUM or any(p.is_vulnerable for p in parties):
        colour = Colour.YELLOW
    else:
        colour = Colour.GREEN
    if is_repeat:
        colour = {Colour.GREEN: Colour.YELLOW, Colour.YELLOW: Colour.RED}.get(colour, colour)
    return colour
