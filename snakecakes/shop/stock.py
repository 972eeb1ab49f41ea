"""Filling a bot's shop at start: the catalog file into the database (idempotent; a changed file
updates the rows, an unchanged one writes nothing)."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from snakecakes.config import Settings
from snakecakes.db.database import Database
from snakecakes.shop.catalog import load_catalog_file, load_default_catalog, store_catalog

log = logging.getLogger(__name__)


def stock_catalog(db: Database, settings: Settings, bot_id: int) -> None:
    path = settings.catalog_path
    catalog = load_catalog_file(path) if path else load_default_catalog()
    for attempt in (1, 2):
        try:
            with db.transaction() as session:
                result = store_catalog(session, bot_id, catalog)
            break
        except IntegrityError:  # another process (web, workers) stocked it at the same moment
            if attempt == 2:
                raise
            log.info("bot %d: catalog stocked concurrently, checking again", bot_id)
    if result.changed:
        log.info("bot %d: catalog %s loaded (%s)", bot_id, path or "Snake Cakes", result)
