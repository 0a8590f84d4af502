"""Filters of the report pages: ``{% load report_format %}``."""

from django import template

from supervision.reports import minutes_label

register = template.Library()

# A median or other duration held in minutes, as "35分钟" / "2小时15分" / "1天3小时"
# (the one filter for durations on the monthly page, the bulletin and the standing page).
register.filter("minutes_label", minutes_label)
