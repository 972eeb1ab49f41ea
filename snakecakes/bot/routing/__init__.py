"""Which handler takes which customer message: one table, read top to bottom."""

from snakecakes.bot.routing.draft import Draft
from snakecakes.bot.routing.table import ROUTES, route

__all__ = ["ROUTES", "Draft", "route"]
