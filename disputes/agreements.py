"""The mediation agreement (人民调解协议书) of a proposed closing: one template, shown as
a printable A4 page and rendered to PDF by WeasyPrint, with a signature line for each
party, the mediator and the committee.

WeasyPrint needs Pango (Debian's libpango-1.0-0) and a CJK font (fonts-noto-cjk); it is
imported only when a PDF is asked for, so a machine without them still serves the
printable page and answers the PDF with 503. Nothing is fetched while rendering: the
page's styles are inline and every URL is refused.
"""

import shutil
import subprocess
from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

from .models import ClosingProposal


class PdfUnavailable(Exception):
    """WeasyPrint or its system libraries are missing on this machine."""


def agreement_context(proposal: ClosingProposal) -> dict:
    order = proposal.order
    return {
        "proposal": proposal,
        "order": order,
        "parties": list(order.parties.all()),
        "unit": order.lead_unit,
        "mediator": proposal.proposed_by,
    }


@cache
def _css() -> str:
    return Path(finders.find("css/agreement.css")).read_text(encoding="utf-8")


def agreement_html(proposal: ClosingProposal, *, pdf_url: str = "", inline: bool = False) -> str:
    """The agreement as HTML, always in Chinese (it is the legal document): the page with
    a link to ``pdf_url``, or the PDF's source with its styles inline."""
    context = {
        **agreement_context(proposal),
        "printable": bool(pdf_url),
        "pdf_url": pdf_url,
        "inline_css": _css() if inline else "",
    }
    with translation.override("zh-hans"):
        return render_to_string("closing/agreement.html", context)


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"agreement rendering fetches nothing ({url[:40]})")


def _weasyprint():
    """WeasyPrint's module, imported without its side effect on uploads: it sets Pillow's
    ``LOAD_TRUNCATED_IMAGES`` for the whole process, which would change how every later
    upload is read (``disputes.images``); the agreement has no images, so it is put
    back."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        import weasyprint
    except (ImportError, OSError) as e:  # OSError: Pango is missing
        raise PdfUnavailable(str(e)) from e
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    if not _chinese_font():
        raise PdfUnavailable("no Chinese font (fonts-noto-cjk): the PDF would show empty boxes")
    return weasyprint


@cache
def _chinese_font() -> bool:
    """Whether fontconfig (which Pango asks) knows a font for Chinese; without one the
    agreement would render as boxes. Where ``fc-list`` is missing, assumed present."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return True
    try:
        done = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return True
    return bool(done.stdout.strip())


def pdf_available() -> bool:
    """Whether this machine renders PDFs (WeasyPrint and Pango load)."""
    try:
        _weasyprint()
    except PdfUnavailable:
        return False
    return True


def agreement_pdf(proposal: ClosingProposal) -> bytes:
    html = agreement_html(proposal, inline=True)
    return _weasyprint().HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()


def pdf_filename(proposal: ClosingProposal) -> str:
    return f"agreement-{proposal.order.number}-{proposal.pk}.pdf"
