"""Filters of the report pages: ``{% load report_format %}``."""

from django import template

from supervision.reports import minutes_label

register = template.Library()

# A median or other duration held in minutes, as "35 分钟" / "32.5 小时" / "3 天 4 小时".
register.filter("minutes_label", minutes_label)
