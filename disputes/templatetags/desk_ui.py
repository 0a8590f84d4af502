"""The incident desk on the order page: ``{% order_incidents order as incidents %}``."""

from django import template

from disputes.desk import order_incidents as incidents_of

register = template.Library()


@register.simple_tag(takes_context=True)
def order_incidents(context, order) -> list:
    """The incidents an order came from or was linked to, each with ``on_desk``."""
    return incidents_of(context["request"].user, order)
