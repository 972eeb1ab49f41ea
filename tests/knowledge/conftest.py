"""Two bots in a fresh database (SQLite and PostgreSQL), and a tiny PDF writer."""

from __future__ import annotations

import pytest

from snakecakes.db.database import Database
from snakecakes.db.models import Bot
from tests.bot.conftest import bot_factory  # noqa: F401  (whole running bots, for the e2e tests)


def add_bot(db: Database, phone_number_id: str, *, default: bool = False) -> int:
    with db.transaction() as session:
        bot = Bot(
            name=f"Shop {phone_number_id}",
            phone_number_id=phone_number_id,
            app_secret_enc="-",
            access_token_enc="-",
            verify_token_enc="-",
            is_default=default,
        )
        session.add(bot)
        session.flush()
        return bot.id


@pytest.fixture
def bots(db: Database) -> tuple[int, int]:
    return add_bot(db, "111", default=True), add_bot(db, "222")


def make_pdf(lines: list[str], title: str | None = None) -> bytes:
    """A one-page PDF with these lines of text (Helvetica, WinAnsi), written by hand so that the
    test needs no PDF writer: objects, a content stream, and a correct cross-reference table."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 11 Tf", "14 TL", "72 760 Td"]
    for line in lines:
        ops += [f"({escape(line)}) Tj", "T*"]
    ops.append("ET")
    stream = "\n".join(ops).encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    if title:
        objects.append(b"<< /Title (" + escape(title).encode("cp1252") + b") >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    info = b" /Info %d 0 R" % len(objects) if title else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        info,
        xref,
    )
    return bytes(out)
