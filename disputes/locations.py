"""An order's point on the map (docs/MAP.md): WGS-84 degrees, optional, both or neither,
with how it was taken. One check for the form, the API and the service."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from shishi_mediation.geo import LAT_RANGE, LNG_RANGE

from .models import LocationSource

# Six decimals of a degree: about 0.1 m, finer than any phone's fix.
PLACES = Decimal("0.000001")


def _degrees(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError from None
    if not number.is_finite():
        raise ValueError
    return number.quantize(PLACES, rounding=ROUND_HALF_UP)


def clean_location(
    latitude: Any, longitude: Any, source: str, errors: dict[str, Any]
) -> dict[str, Any]:
    """The order's location fields from what was sent, or an error under ``location``
    in ``errors`` (and no location). No point at all is fine: the fields stay empty."""
    try:
        lat, lng = _degrees(latitude), _degrees(longitude)
    except ValueError:
        errors["location"] = _("位置的经纬度应为数字。")
        return {}
    if lat is None and lng is None:
        return {}
    if lat is None or lng is None:
        errors["location"] = _("位置需同时有纬度和经度。")
        return {}
    if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
        errors["location"] = _("纬度应在 -90 到 90 之间。")
        return {}
    if not (LNG_RANGE[0] <= lng <= LNG_RANGE[1]):
        errors["location"] = _("经度应在 -180 到 180 之间。")
        return {}
    source = source or LocationSource.PICKED
    if source not in LocationSource.values:
        errors["location"] = _("位置来源只能是 gps 或 picked。")
        return {}
    return {"latitude": lat, "longitude": lng, "location_source": source}


def map_settings() -> dict[str, Any]:
    """What a page's map needs to know (the ``MAP_*`` settings), for its data- attributes:
    the tile source (none: outlines and markers only), its datum, the outlines' file."""
    return {
        "tile_url": settings.MAP_TILE_URL,
        "labels_url": settings.MAP_TILE_LABELS_URL,
        "subdomains": settings.MAP_TILE_SUBDOMAINS,
        "crs": settings.MAP_TILE_CRS,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "outlines": settings.MAP_COMMUNITY_OUTLINES,
        "center": f"{settings.MAP_CENTER[0]},{settings.MAP_CENTER[1]}",
    }
