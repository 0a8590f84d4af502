"""Template hygiene a page would show: Django's ``{# … #}`` comment ends on its own line,
so one spread over lines is printed on the page as text."""

import re
from pathlib import Path

from django.conf import settings


def test_no_one_line_comment_spans_lines():
    templates = Path(settings.BASE_DIR) / "templates"
    broken = [
        f"{path.relative_to(templates)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in sorted(templates.rglob("*.html"))
        for text in [path.read_text()]
        for match in re.finditer(r"\{#(?:(?!#\}).)*$", text, re.M)
    ]
    assert broken == [], "use {% comment %} for comments over several lines: " + ", ".join(broken)
