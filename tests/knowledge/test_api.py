"""The knowledge admin API over real HTTP: bearer auth, add (multipart and JSON), list, delete,
feedback counts, and one bot's call never touching another bot's documents."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from snakecakes import knowledge
from snakecakes.app import build_services, create_app
from snakecakes.db.database import Database
from tests.conftest import OTHER_PHONE_ID, Stack, make_settings
from tests.knowledge.conftest import make_pdf
from tests.support.server import ServerThread

TOKEN = {"Authorization": "Bearer admin-token-for-tests"}
DOCS = "/api/knowledge/documents"


def test_auth_is_required(stack: Stack) -> None:
    assert httpx.get(stack.url + DOCS).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert httpx.get(stack.url + DOCS, headers=wrong).status_code == 401
    assert httpx.delete(stack.url + DOCS + "/1", headers=wrong).status_code == 401
    assert httpx.get(stack.url + DOCS, headers=TOKEN).json() == {"documents": []}


@pytest.fixture
def no_token_server(db: Database) -> Iterator[str]:
    settings = make_settings(db.url, ADMIN_API_TOKEN=None)
    assert settings.admin_api_token is None
    with ServerThread(create_app(build_services(settings, db))) as server:
        yield server.url


def test_no_token_configured_is_503(no_token_server: str) -> None:
    r = httpx.get(no_token_server + DOCS, headers=TOKEN)
    assert r.status_code == 503 and "ADMIN_API_TOKEN" in r.json()["error"]


def test_add_list_search_and_delete(stack: Stack) -> None:
    url = stack.url + DOCS
    pdf = make_pdf(["Office platters", "Platters feed twelve colleagues and cost 60 euros."])
    r = httpx.post(url, headers=TOKEN, files={"file": ("platters.pdf", pdf, "application/pdf")})
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["status"] == "added" and added["document"]["kind"] == "pdf"
    r = httpx.post(
        url,
        headers=TOKEN,
        json={
            "source": "https://shop.example/vouchers",
            "content": "# Vouchers\n\nVouchers are valid for three years.",
            "kind": "markdown",
        },
    )
    assert r.status_code == 201, r.text
    voucher = r.json()["document"]
    assert voucher["url"] == "https://shop.example/vouchers" and voucher["title"] == "Vouchers"
    changed = {"source": "https://shop.example/vouchers", "content": "# V\n\nfive years"}
    again = httpx.post(url, headers=TOKEN, json={**changed, "kind": "markdown"})
    assert again.status_code == 200 and again.json()["status"] == "replaced"

    listed = httpx.get(url, headers=TOKEN).json()["documents"]
    assert sorted(d["title"] for d in listed) == ["Office platters", "V"]
    assert httpx.get(url + f"?bot={OTHER_PHONE_ID}", headers=TOKEN).json() == {"documents": []}
    with stack.services.db.read() as session:
        found = knowledge.search(session, stack.bot_a, "how many colleagues does a platter feed")
        assert found and "twelve colleagues" in found[0].text
        assert knowledge.search(session, stack.bot_b, "platter colleagues") == []

    doc_id = added["document"]["id"]
    assert httpx.delete(url + f"/{doc_id}?bot={OTHER_PHONE_ID}", headers=TOKEN).status_code == 404
    r = httpx.delete(url + f"/{doc_id}", headers=TOKEN)
    assert r.status_code == 200 and r.json()["removed"]["id"] == doc_id
    assert httpx.delete(url + f"/{doc_id}", headers=TOKEN).status_code == 404
    assert [d["title"] for d in httpx.get(url, headers=TOKEN).json()["documents"]] == ["V"]


def test_bad_uploads_are_400(stack: Stack) -> None:
    url = stack.url + DOCS
    r = httpx.post(url, headers=TOKEN, files={"file": ("notes.docx", b"PK..", "application/x")})
    assert r.status_code == 400 and "unknown format" in r.json()["error"]
    r = httpx.post(url, headers=TOKEN, json={"content": "no source"})
    assert r.status_code == 400
    r = httpx.post(
        url, headers=TOKEN, files={"file": ("scan.pdf", b"%PDF-1.4 x", "application/pdf")}
    )
    assert r.status_code == 400 and "PDF" in r.json()["error"]
    assert httpx.get(url + "?bot=999", headers=TOKEN).status_code == 404


def test_feedback_counts(stack: Stack) -> None:
    source = knowledge.Source("Care", None, 5)
    with stack.services.db.transaction() as session:
        knowledge.feedback.record_answer(
            session, stack.bot_a, "abc", question="q?", answer="a.", sources=[source]
        )
        knowledge.feedback.record_vote(session, stack.bot_a, "abc", "down")
        knowledge.feedback.record_reason(session, stack.bot_a, "abc", "too vague")
    body = httpx.get(stack.url + "/api/knowledge/feedback", headers=TOKEN).json()
    assert body["documents"] == [
        {"document_id": 5, "title": "Care", "answers": 1, "up": 0, "down": 1}
    ]
    assert body["latest"][0]["reason"] == "too vague" and body["latest"][0]["vote"] == "down"
    other = httpx.get(stack.url + f"/api/knowledge/feedback?bot={OTHER_PHONE_ID}", headers=TOKEN)
    assert other.json() == {"documents": [], "latest": []}
