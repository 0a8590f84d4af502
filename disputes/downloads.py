"""An attachment's file or thumbnail as an HTTP response, for the web and the API alike.
Who may have it is the caller's question (``selectors.attachment_for``)."""

from pathlib import Path

from django.http import FileResponse, Http404

from .models import Attachment


def attachment_response(
    attachment: Attachment, *, thumbnail: bool = False, inline: bool = False
) -> FileResponse:
    """The stored bytes, typed by the file's extension (never sniffed by the browser) and
    never cached by a shared cache; a download unless ``inline``. 404 when the file (or
    a thumbnail, which only photos have) is missing."""
    field = attachment.thumbnail if thumbnail else attachment.file
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    if thumbnail:
        filename = f"{Path(attachment.original_name).stem}.thumbnail.jpg"
        content_type = "image/jpeg"
    else:
        filename, content_type = attachment.original_name, attachment.content_type
    response = FileResponse(
        handle, as_attachment=not inline, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
