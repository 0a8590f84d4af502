"""Database ids read from request text (a form field, a query or path parameter).

``str.isdigit`` and ``int`` both accept more than ASCII digits (``"²".isdigit()`` is True
and ``int("²")`` raises; ``int("１２")`` is 12), and a number longer than a BIGINT makes the
database raise: hand-parsed ids go through ``id_from_text``, whose ``None`` the caller
turns into its 400 or 404.
"""

# Largest value a BIGINT primary key can hold.
MAX_ID = 2**63 - 1


def id_from_text(value) -> int | None:
    """``value`` as an id 1 … 2⁶³−1: an int in that range, or a string of ASCII digits
    (no sign, no spaces) naming one; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ID else None
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
        return None
    digits = value.lstrip("0")  # int() refuses over 4,300 characters, zeros included
    if len(digits) > len(str(MAX_ID)):
        return None
    number = int(digits or "0")
    return number if 1 <= number <= MAX_ID else None
