"""The simulator page in headless Chromium against `snakecakes demo`, as a user would use it.

Runs `snakecakes demo` in a subprocess (exactly what `make demo` starts: SQLite, catalog, the
in-process fake Graph API, the simulator) and drives the page with Playwright. A script that an
injected text managed to run would open a dialog, which fails the test.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from snakecakes.bot.whatsapp import messages as m
from snakecakes.cli import DEMO_PHONE_NUMBER_ID
from tests.simulator.browser import browser_page, demo_server, need_browser, save_screenshot
from tests.simulator.order_driver import OrderDriver

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000010000000100802000000909168"
    "360000001649444154789c6338516143126218d530aa61f86a0000912a7c10c9"
    "e2bddd0000000049454e44ae426082"
)
BEN = "4917612345678"


def _bot_sends(graph_url: str, body: dict[str, object]) -> None:
    """A message as the bot sends it, straight to the demo's fake Graph API."""
    url = f"{graph_url}/v23.0/{DEMO_PHONE_NUMBER_ID}/messages"
    r = httpx.post(url, json=body, headers={"Authorization": "Bearer demo-access-token"})
    assert r.status_code == 200, r.text


def test_chat_formatting_typing_ticks_buttons_lists_reactions_media(tmp_path: Path) -> None:
    sync_api = need_browser()
    expect = sync_api.expect
    slow_echo = {"SNAKECAKES_ENGINE": "echo", "SNAKECAKES_ECHO_DELAY_SECONDS": "1.5"}
    with (
        demo_server(tmp_path, **slow_echo) as (url, graph_url),
        browser_page(sync_api, url + "/simulator") as page,
    ):
        with sqlite3.connect(tmp_path / "var" / "demo.db") as conn:  # what `make demo` loads
            assert conn.execute("SELECT count(*) FROM knowledge_documents").fetchone()[0] > 0
            assert conn.execute("SELECT count(*) FROM products").fetchone()[0] > 0
        expect(page.locator(".customer.active .c-name")).to_have_text("Anna")
        page.fill("#new-name", "Ben <i>")
        page.fill("#new-number", "+49 176 1234 5678")
        page.click("#new-customer button[type=submit]")
        expect(page.locator(".customer.active .c-number")).to_have_text("+" + BEN)
        expect(page.locator(".customer.active .c-name")).to_have_text("Ben <i>")

        page.fill("#text", "Hallo! *Geburtstagstorte* für _Samstag_ <img src=x onerror=alert(1)>")
        page.press("#text", "Enter")
        mine = page.locator(".row.mine").last
        expect(mine.locator("strong")).to_have_text("Geburtstagstorte")
        expect(mine.locator("em")).to_have_text("Samstag")
        assert mine.locator("img").count() == 0 and "<img src=x" in mine.inner_text()
        # the bot marks the message read with a typing indicator, then answers
        expect(page.locator("#typing-row")).to_be_visible()
        expect(page.locator("#chat-sub")).to_have_text("typing…")
        expect(mine).to_have_attribute("data-status", "read")
        reply = page.locator(".row.theirs", has_text="You said").first
        expect(reply).to_be_visible()
        expect(page.locator("#typing-row")).to_be_hidden()
        # the page showed the reply, so "read" went back to the bot as a status webhook
        expect(reply).to_have_attribute("data-status", "read")
        expect(reply.locator(".ticks.read")).to_be_visible()

        _bot_sends(
            graph_url,
            m.buttons(BEN, "Which *size*?", [("size:s", "Small"), ("size:l", "Large")]),
        )
        page.locator(".reply-button", has_text="Large").click()
        tapped = page.locator(".row.mine", has_text="Large")
        expect(tapped.locator(".quote strong")).to_have_text("size")
        expect(tapped).to_have_attribute("data-status", "read")

        rows = [m.Row("cake:sacher", "Sachertorte", "Chocolate, apricot")]
        section = m.Section("Classics", [m.Row("cake:kranz", "Frankfurter Kranz"), *rows])
        _bot_sends(graph_url, m.list_message(BEN, "Pick a cake", "Cakes", [section]))
        page.locator(".list-open", has_text="Cakes").click()
        page.locator(".list-row", has_text="Sachertorte").click()
        expect(page.locator("#list-sheet")).to_be_hidden()
        expect(page.locator(".row.mine", has_text="Sachertorte")).to_be_visible()

        reply.hover()
        reply.locator(".react").click()
        page.locator("#emoji-picker button", has_text="👍").click()
        expect(reply.locator(".reactions")).to_have_text("👍")

        page.click("#share-location")
        page.fill("#location-form input[name=name]", "Alexanderplatz")
        page.click("#location-form button[type=submit]")
        expect(page.locator(".row.mine .loc-pin", has_text="Alexanderplatz")).to_be_visible()

        page.click("#attach")
        files = [{"name": "cake.png", "mimeType": "image/png", "buffer": PNG}]
        page.set_input_files("#upload-form input[type=file]", files=files)
        page.fill("#upload-form input[name=caption]", "like _this_ one")
        page.click("#upload-form button[type=submit]")
        image = page.locator(".row.mine .media img").last
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth") == 16
        expect(page.locator(".row.mine .media em", has_text="this")).to_be_visible()
        save_screenshot(page, tmp_path, "simulator-echo.png")


def test_order_a_cake_by_tapping_and_confirm_it(tmp_path: Path) -> None:
    """The README's screenshot: greet the offline engine, tap through an order, confirm it."""
    sync_api = need_browser()
    with (
        demo_server(tmp_path) as (url, _graph_url),
        browser_page(sync_api, url + f"/simulator?bot={DEMO_PHONE_NUMBER_ID}", 1000) as page,
    ):
        driver = OrderDriver(page)
        confirmation = driver.order("Hi! I would like to order a cake.")
        assert "SC-" in confirmation, driver.transcript()
        # the bot read the tap on "Confirm order"; the page read the confirmation
        sync_api.expect(page.locator(".row.mine").last).to_have_attribute("data-status", "read")
        last = page.locator(".row.theirs:not(.typing-row)").last
        sync_api.expect(last).to_have_attribute("data-status", "read")
        page.mouse.move(0, 0)  # no hover decorations in the picture
        save_screenshot(page, tmp_path, "simulator.png")
    with sqlite3.connect(tmp_path / "var" / "demo.db") as conn:
        numbers = [row[0] for row in conn.execute("SELECT number FROM orders")]
    assert len(numbers) == 1 and numbers[0] in confirmation
