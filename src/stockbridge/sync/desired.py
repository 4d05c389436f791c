"""Desired available-to-sell of many listings at once, for a push round: the numbers of
`services.availability.atp_of_listings`, the same path every other ATP answer takes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from stockbridge.services.availability import atp_of_listings
from stockbridge.services.context import HubContext


def desired_levels(conn: sa.Connection, ctx: HubContext, listing_ids: Sequence[int]) -> dict[int, int]:
    """listing id -> available-to-sell now, for listings of one tenant (any channels)."""
    return {i: atp.result.quantity for i, atp in atp_of_listings(conn, ctx, listing_ids).items()}
