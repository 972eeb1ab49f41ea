"""`snakecakes knowledge add | list | search | remove | feedback` as an operator runs them: real
subprocesses on the database of the `db` fixture (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from snakecakes import knowledge
from snakecakes.db.database import Database
from tests.knowledge.conftest import make_pdf
from tests.support.process import CLI, env_for


def _run(tmp_path: Path, db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    env = env_for(tmp_path, DATABASE_URL=db.url)
    return subprocess.run(
        [*CLI, "knowledge", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_add_list_search_remove(tmp_path: Path, db: Database, bots: tuple[int, int]) -> None:
    (tmp_path / "hours.md").write_text("# Hours\n\nWe open at 8 on market days.\n")
    (tmp_path / "page.html").write_text("<h1>Parking</h1><p>Park behind the bakery, free.</p>")
    (tmp_path / "notes.txt").write_text("Bikes\n\nBike racks stand at the door.\n")
    (tmp_path / "menu.pdf").write_bytes(make_pdf(["Menu", "Soup of the day with bread."]))
    (tmp_path / "bad.docx").write_bytes(b"PK")
    done = _run(tmp_path, db, "add", "hours.md", "page.html", "notes.txt", "menu.pdf", "bad.docx")
    assert done.returncode == 1  # one of them could not be read, and says so
    assert "bad.docx: unknown format" in done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ["added"] * 4

    again = _run(tmp_path, db, "add", "hours.md")
    assert again.returncode == 0 and again.stdout.startswith("unchanged\t")
    (tmp_path / "hours.md").write_text("# Hours\n\nWe open at 7 on market days.\n")
    changed = _run(tmp_path, db, "add", "hours.md")
    assert changed.stdout.startswith("replaced\t")

    listed = _run(tmp_path, db, "list")
    titles = sorted(line.split("\t")[4] for line in listed.stdout.splitlines())
    assert titles == ["Bikes", "Hours", "Menu", "Parking"]
    found = _run(tmp_path, db, "search", "where can I park")
    assert (
        found.returncode == 0 and "Parking" in found.stdout and "behind the bakery" in found.stdout
    )

    other = _run(tmp_path, db, "list", "--bot", "222")
    assert other.returncode == 0 and other.stdout == ""
    assert _run(tmp_path, db, "list", "--bot", "999").returncode == 2

    removed = _run(tmp_path, db, "remove", "page.html")
    assert removed.returncode == 0 and removed.stdout.startswith("removed\t")
    assert _run(tmp_path, db, "remove", "page.html").returncode == 1
    with db.read() as session:
        assert [d.title for d in knowledge.list_documents(session, bots[0])] == [
            "Bikes",
            "Hours",
            "Menu",
        ]
        assert "7 on market days" in knowledge.search(session, bots[0], "market days")[0].text
