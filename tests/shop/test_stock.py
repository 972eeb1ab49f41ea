"""Stocking the catalog at start: idempotent, and safe when several processes start at once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from snakecakes.bot.bots import ensure_default_bot
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.shop.models import ProductRow
from snakecakes.shop.stock import stock_catalog
from tests.conftest import SECRET_KEY, make_settings


def test_processes_starting_together_stock_the_catalog_once(db: Database) -> None:
    settings = make_settings(db.url)
    bot_id = ensure_default_bot(db, settings, SecretBox(SECRET_KEY))
    assert bot_id is not None
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def one_process() -> None:
        mine = Database(db.url)
        try:
            start.wait()
            stock_catalog(mine, settings, bot_id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            mine.dispose()

    threads = [threading.Thread(target=one_process) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stock_catalog(db, settings, bot_id)  # again: nothing changes
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ProductRow)) == 18
