"""The routing table: which handler takes which customer message, and what each one answers and
remembers. Pure decisions are checked on `route()` directly; answers and history go through the
real path without DBOS: the webhook intake stores the message, `TurnRunner.run` answers it on the
test database (SQLite and PostgreSQL), and the outbox rows and history rows are read back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from snakecakes.app import build_services
from snakecakes.bot.bot import Runtime
from snakecakes.bot.bots import ensure_default_bot
from snakecakes.bot.chat import ChatView, SessionView
from snakecakes.bot.intake import WebhookIntake
from snakecakes.bot.llms.base import Engine, Inbound, TurnContext
from snakecakes.bot.llms.echo import EchoEngine
from snakecakes.bot.prompts import PromptRegistry
from snakecakes.bot.routing import ROUTES, Draft, buttons, route
from snakecakes.bot.routing.commands import command_of
from snakecakes.bot.turn import TurnRunner
from snakecakes.bot.whatsapp.parse import parse_message
from snakecakes.crypto import SecretBox
from snakecakes.db.database import Database
from snakecakes.db.models import Chat, ChatEntry, ChatSession, OutboxMessage
from snakecakes.db.types import utcnow
from snakecakes.simulator import payloads as p
from snakecakes.simulator.fake_graph import FakeGraphAPI
from tests.conftest import APP_SECRET, PHONE_ID, SECRET_KEY, make_settings

CUSTOMER = "4915112340001"
SHOP = "Snake Cakes"
PROMPTS = PromptRegistry()


# --- the real path without DBOS: intake, one turn, outbox and history ---------------------------


@dataclass
class Shop:
    db: Database
    bot_id: int
    intake: WebhookIntake
    runner: TurnRunner

    def receive(self, message: dict[str, Any], name: str = "Kunde") -> None:
        """One customer message, signed and stored by the webhook intake as in production."""
        sender = message.get("from")
        contact = p.contact(sender, name, message.get("from_user_id"))
        raw, headers = p.signed(
            p.envelope(p.change(PHONE_ID, messages=[message], contacts=[contact])), APP_SECRET
        )
        result = self.intake.receive(raw, headers["X-Hub-Signature-256"])
        assert (result.status, result.messages_new) == (200, 1), result

    def answer(self, customer: str = CUSTOMER) -> list[dict[str, Any]]:
        """Run the chat's turns until it is idle; the bodies they queued for sending."""
        before = self._last_outbox_id()
        for _ in range(5):
            result = self.runner.run(self.bot_id, customer)
            assert result.op in ("answered", "idle"), result
            if result.op == "idle":
                break
        with self.db.read() as s:
            rows = s.scalars(
                select(OutboxMessage).where(OutboxMessage.id > before).order_by(OutboxMessage.id)
            ).all()
        assert all(r.chat_key == customer for r in rows)
        return [r.body for r in rows]

    def says(self, message: dict[str, Any], customer: str = CUSTOMER) -> list[str]:
        """The customer sends `message`; the text replies of the turn that answers it."""
        self.receive(message)
        return [b["text"]["body"] for b in self.answer(customer) if b["type"] == "text"]

    def history(self, customer: str = CUSTOMER) -> list[ChatEntry]:
        """The current session's history, in order."""
        with self.db.read() as s:
            chat = s.scalars(select(Chat).where(Chat.customer_key == customer)).one()
            return list(
                s.scalars(
                    select(ChatEntry)
                    .where(ChatEntry.session_id == chat.current_session_id)
                    .order_by(ChatEntry.id)
                )
            )

    def chat(self, customer: str = CUSTOMER) -> Chat:
        with self.db.read() as s:
            return s.scalars(select(Chat).where(Chat.customer_key == customer)).one()

    def _last_outbox_id(self) -> int:
        with self.db.read() as s:
            return max(s.scalars(select(OutboxMessage.id)).all(), default=0)


@contextmanager
def shops(db: Database, graph_api: FakeGraphAPI) -> Iterator[Callable[..., Shop]]:
    """Makes shops with the production wiring (Runtime, build_services), not started: no DBOS,
    no threads. The typing indicator of a turn goes to the fake Graph API."""
    runtimes: list[Runtime] = []

    def make(engine: Engine | None = None, **overrides: Any) -> Shop:
        settings = make_settings(
            db.url,
            WHATSAPP_API_BASE_URL=graph_api.url,
            SNAKECAKES_BURST_DELAY_SECONDS=0,
            **overrides,
        )
        box = SecretBox(SECRET_KEY)
        bot_id = ensure_default_bot(db, settings, box)
        assert bot_id is not None
        runtime = Runtime(settings, db, box, role="test", engine=engine or EchoEngine())
        runtimes.append(runtime)
        services = build_services(settings, db)
        services.bots.refresh()
        return Shop(db, bot_id, services.intake, runtime.turns)

    try:
        yield make
    finally:
        for runtime in runtimes:
            runtime.graph.close()


@pytest.fixture
def shop_factory(db: Database, graph_api: FakeGraphAPI) -> Iterator[Callable[..., Shop]]:
    with shops(db, graph_api) as make:
        yield make


@pytest.fixture
def shop(shop_factory: Callable[..., Shop]) -> Shop:
    return shop_factory()


def _wamid() -> str:
    return p.new_wamid(CUSTOMER)


def _text(body: str) -> dict[str, Any]:
    return p.text(_wamid(), CUSTOMER, body)


def _photo(caption: str | None = None) -> dict[str, Any]:
    return p.media(
        "image",
        _wamid(),
        CUSTOMER,
        media_id="1480219393057410",
        mime_type="image/jpeg",
        sha256="bW9jayBzaGEyNTY=",
        caption=caption,
    )


# --- pure decisions on route() ------------------------------------------------------------------


def _ctx(*, session_id: int = 10, handed_over: bool = False) -> TurnContext:
    now = utcnow()
    return TurnContext(
        bot_id=1,
        bot_name=SHOP,
        chat=ChatView(1, 1, CUSTOMER, CUSTOMER, None, "Kunde", handed_over),
        session=SessionView(session_id, {}, 0, now, False),
        history=[],
        now=now,
        prompts=PROMPTS,
    )


def _route(message: dict[str, Any], ctx: TurnContext | None = None) -> tuple[str, Draft]:
    draft = Draft()
    item = Inbound(1, message["id"], parse_message(message), time.time())
    return route(ctx or _ctx(), item, draft), draft


def test_the_table_is_read_top_to_bottom() -> None:
    assert [r.name for r in ROUTES] == [
        "handed over to staff: store, stay silent",
        "reaction: record",
        "button or list reply: its owner",
        "command in words",
        "photo, video, audio, document, sticker",
        "location",
        "shared contacts",
        "system notice: record",
        "unsupported",
        "reason after a thumbs-down on an answer",
        "everything else: the engine",
    ]
    # the first row wins: in a chat handed over to staff, even a command or a photo is only
    # recorded, nothing answers and nothing reaches the engine
    staff = _ctx(handed_over=True)
    for message in (_text("help"), _photo(), _text("Where is my cake?")):
        name, draft = _route(message, staff)
        assert name == ROUTES[0].name
        assert (draft.bodies, draft.for_engine) == ([], [])
        assert [(role, meta and meta.get("silent")) for role, _, meta in draft.history] == [
            ("user", True)
        ]
    # a button titled like a command is a button, not the command
    name, _ = _route(p.button_reply(_wamid(), CUSTOMER, "yes", "Help"))
    assert name == "button or list reply: its owner"
    # a reaction is recorded and not answered
    name, draft = _route(p.reaction(_wamid(), CUSTOMER, "wamid.ours", "\N{THUMBS UP SIGN}"))
    assert name == "reaction: record" and draft.bodies == [] and draft.for_engine == []
    # anything without a row of its own goes to the engine
    name, draft = _route(_text("Do you have a vegan chocolate cake?"))
    assert name == ROUTES[-1].name and len(draft.for_engine) == 1


@pytest.mark.parametrize(
    ("said", "command"),
    [
        ("menu", "menu"),
        ("Menü", "menu"),
        ("Speisekarte", "menu"),
        ("  SHOW   menu!! ", "menu"),
        ("help", "help"),
        ("Hilfe", "help"),
        ("¡Ayuda!", "help"),
        ("?", "help"),
        ("Start over.", "start_over"),
        ("Neu starten", "start_over"),
        ("von vorne", "start_over"),
        ("talk to a human", "human"),
        ("Mensch", "human"),
        ("Mitarbeiter", "human"),
        # the whole message must be the command: these are questions for the engine
        ("What is on the menu today?", None),
        ("Ich brauche Hilfe bei meiner Bestellung", None),
        ("help " * 9, None),
        ("", None),
        (None, None),
    ],
)
def test_commands_in_the_customer_s_words(said: str | None, command: str | None) -> None:
    assert command_of(said) == command


def test_a_command_asked_as_a_question_is_still_the_command() -> None:
    # "?" is only kept because "?" alone means help; "Hilfe?" and "¿Ayuda?" are the same ask
    assert command_of("Hilfe?") == "help"
    assert command_of("¿Ayuda?") == "help"
    assert command_of("menu?") == "menu"


def test_each_command_does_its_job() -> None:
    name, draft = _route(_text("Hilfe"))
    assert name == "command in words"
    assert len(draft.bodies) == 1 and draft.bodies[0]["text"]["body"].startswith(
        "Here is what I can do for you"
    )
    _, draft = _route(_text("Mitarbeiter"))
    assert draft.hand_over is True
    assert draft.bodies[0]["text"]["body"] == PROMPTS.render("handoff", shop_name=SHOP)
    _, draft = _route(_text("neu starten"))
    assert draft.start_over is True
    assert (
        "Sure, let's start over. Hello! Welcome to Snake Cakes" in draft.bodies[0]["text"]["body"]
    )
    _, draft = _route(_text("Speisekarte"))  # the engine knows the catalog
    assert draft.bodies == [] and len(draft.for_engine) == 1
    assert draft.history[0][2] == {"wamid": draft.for_engine[0].wamid, "command": "menu"}


@pytest.mark.parametrize(
    ("parts", "raw"),
    [
        (("order", "confirm", 12, 3), "order:confirm:12:3"),
        (("cart", "add", 7, "cake-9", 2), "cart:add:7:cake-9:2"),
        (("menu", "open", 1), "menu:open:1"),
    ],
)
def test_button_ids_are_namespaced_and_carry_the_session(parts: tuple[Any, ...], raw: str) -> None:
    namespace, action, session, *args = parts
    assert buttons.make_id(namespace, action, session, *args) == raw
    parsed = buttons.parse_id(raw)
    assert parsed == buttons.ButtonId(namespace, action, session, tuple(str(a) for a in args))


@pytest.mark.parametrize("raw", ["", "yes", "order:confirm", ":confirm:1", "order::1"])
def test_ids_not_in_our_scheme_are_not_parsed(raw: str) -> None:
    assert buttons.parse_id(raw) is None


def test_an_id_without_a_session_number_has_none() -> None:
    assert buttons.parse_id("faq:open:shipping") == buttons.ButtonId("faq", "open", None, ())


@dataclass
class CartHandler:
    """A shop's button handler, as a shop module would register with `buttons.owns`."""

    calls: list[buttons.ButtonId]
    accept: bool = True

    def __call__(
        self, ctx: TurnContext, item: Inbound, button: buttons.ButtonId, draft: Draft
    ) -> bool:
        self.calls.append(button)
        if self.accept:
            draft.say(ctx, f"Added {button.args[0]}.")
        return self.accept


@pytest.fixture
def cart(monkeypatch: pytest.MonkeyPatch) -> CartHandler:
    monkeypatch.setattr(buttons, "HANDLERS", dict(buttons.HANDLERS))  # undone after the test
    handler = CartHandler([])
    buttons.owns("testcart")(handler)
    return handler


def test_a_tap_goes_to_the_owner_of_its_namespace(cart: CartHandler) -> None:
    tap = p.button_reply(_wamid(), CUSTOMER, "testcart:add:10:cake-7", "Add")
    _, draft = _route(tap, _ctx(session_id=10))
    assert cart.calls == [buttons.ButtonId("testcart", "add", 10, ("cake-7",))]
    assert [b["text"]["body"] for b in draft.bodies] == ["Added cake-7."]
    assert draft.history[0][1] == "[tapped] Add"
    # a list reply goes the same way
    pick = p.list_reply(_wamid(), CUSTOMER, "testcart:add:10:cake-8", "Lemon tart")
    _, draft = _route(pick, _ctx(session_id=10))
    assert cart.calls[-1].args == ("cake-8",)
    # an id of nobody's namespace is left to the engine, which reads the title
    _, draft = _route(p.button_reply(_wamid(), CUSTOMER, "quiz:answer:10:b", "Blue"))
    assert draft.bodies == [] and [i.text for i in draft.for_engine] == ["Blue"]
    assert len(cart.calls) == 2


def test_a_tap_the_owner_finds_stale_gets_the_stale_button_answer(cart: CartHandler) -> None:
    cart.accept = False  # e.g. the cart changed since the button was sent
    _, draft = _route(p.button_reply(_wamid(), CUSTOMER, "testcart:add:10:cake-7", "Add"))
    assert len(cart.calls) == 1
    [answer] = [b["text"]["body"] for b in draft.bodies]
    assert answer.startswith("That button belongs to an earlier step of our conversation")


# --- answers and history through the intake and a turn -----------------------------------------


def test_a_button_from_an_older_session_gets_the_stale_button_answer(
    shop: Shop, cart: CartHandler
) -> None:
    assert shop.says(_text("Hallo")) == ["You said: Hallo"]
    first = shop.chat().current_session_id
    assert first is not None
    old_button = buttons.make_id("testcart", "add", first, "cake-7")
    assert shop.says(p.button_reply(_wamid(), CUSTOMER, old_button, "Add")) == ["Added cake-7."]
    assert [c.session_id for c in cart.calls] == [first]
    [start_over] = shop.says(_text("start over"))
    assert start_over.startswith("Sure, let's start over.")
    assert shop.chat().current_session_id != first
    # the same button, tapped again now that a new session runs: not acted on
    [stale] = shop.says(p.button_reply(_wamid(), CUSTOMER, old_button, "Add"))
    assert stale.startswith("That button belongs to an earlier step of our conversation")
    assert len(cart.calls) == 1
    assert [(e.role, e.text) for e in shop.history()][-2][1] == "[tapped] Add"
    with shop.db.read() as s:  # the first session was ended and kept
        ended = s.get(ChatSession, first)
        assert ended is not None and ended.end_reason == "start over"


def test_media_location_and_contacts_get_a_polite_answer_and_are_kept(shop: Shop) -> None:
    assert shop.says(_photo("for the birthday")) == [
        PROMPTS.render("media_received", shop_name=SHOP, kind="photo", caption="for the birthday")
    ]
    voice = p.media(
        "audio", _wamid(), CUSTOMER, media_id="88", mime_type="audio/ogg", sha256="x", voice=True
    )
    assert shop.says(voice) == [
        PROMPTS.render("media_received", shop_name=SHOP, kind="voice message", caption=None)
    ]
    place = p.location(_wamid(), CUSTOMER, 52.52, 13.405, name="Bakery", address="Main St 1")
    assert shop.says(place) == [PROMPTS.render("location_received", shop_name=SHOP, name="Bakery")]
    cards = [p.contact_card("Anna Schmidt", phone="+49 151 1111", wa_id="491511111")]
    assert shop.says(p.shared_contacts(_wamid(), CUSTOMER, cards)) == [
        PROMPTS.render("contacts_received", shop_name=SHOP, count=1)
    ]
    history = shop.history()
    said = [(e.role, e.text) for e in history if e.role == "user"]
    assert said == [
        ("user", "[image] for the birthday"),
        ("user", "[audio]"),
        ("user", "[location] Bakery Main St 1"),
        ("user", "[contacts] 1"),
    ]
    metas = [e.meta or {} for e in history if e.role == "user"]
    assert metas[0]["media_id"] == "1480219393057410" and metas[0]["mime_type"] == "image/jpeg"
    assert metas[1]["media_id"] == "88"
    assert metas[2]["location"] == {
        "latitude": 52.52,
        "longitude": 13.405,
        "name": "Bakery",
        "address": "Main St 1",
    }
    assert metas[3]["cards"][0]["name"]["formatted_name"] == "Anna Schmidt"
    assert [e.role for e in history] == ["user", "assistant"] * 4  # the answers too
    with shop.db.read() as s:  # the location is kept for the order, in the session state
        session = s.get(ChatSession, shop.chat().current_session_id)
        assert session is not None
        assert session.state["shared_location"]["address"] == "Main St 1"


def test_an_unsupported_message_gets_a_polite_answer_and_is_kept(shop: Shop) -> None:
    assert shop.says(p.unsupported(_wamid(), CUSTOMER)) == [
        PROMPTS.render("unsupported", shop_name=SHOP)
    ]
    assert [(e.role, e.text) for e in shop.history()] == [
        ("user", "[unsupported]"),
        ("assistant", PROMPTS.render("unsupported", shop_name=SHOP)),
    ]


def test_a_chat_handed_over_to_staff_is_silent_but_still_recorded(shop: Shop) -> None:
    assert shop.says(_text("talk to a human")) == [PROMPTS.render("handoff", shop_name=SHOP)]
    assert shop.chat().handed_over is True
    assert shop.says(_text("Hello? Anyone?")) == []
    assert shop.says(_photo()) == []
    entries = [(e.role, e.text, (e.meta or {}).get("silent")) for e in shop.history()]
    assert entries[-2:] == [("user", "Hello? Anyone?", True), ("user", "[image]", True)]


def test_a_photo_is_kept_as_a_photo_whatever_its_caption(shop: Shop) -> None:
    # a caption that happens to be a command word must not lose the photo for the team
    shop.says(_photo("menu"))
    [entry] = [e for e in shop.history() if e.role == "user"]
    assert (entry.meta or {}).get("media_id") == "1480219393057410", (entry.text, entry.meta)


def test_the_help_answer_is_the_help_template_as_written(shop: Shop) -> None:
    # templates are written in WhatsApp's syntax (*menu* is bold on the customer's phone)
    assert shop.says(_text("help")) == [PROMPTS.render("help", shop_name=SHOP)]
