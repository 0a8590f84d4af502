from django import template

from shishi_mediation.text import display_name

register = template.Library()


@register.filter(name="display_name")
def display_name_filter(user) -> str:
    return display_name(user)
