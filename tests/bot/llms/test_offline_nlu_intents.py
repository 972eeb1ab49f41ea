"""Intents in English, German and Spanish, with punctuation, emoji and any casing."""

from __future__ import annotations

import pytest

from snakecakes.bot.llms.offline_nlu import Intent, detect_intent, detect_intents

CASES: list[tuple[str, Intent]] = [
    # greetings
    ("Hi!", Intent.GREETING),
    ("hello 👋", Intent.GREETING),
    ("👋", Intent.GREETING),
    ("Guten Morgen", Intent.GREETING),
    ("Moin moin", Intent.GREETING),
    ("¡Hola!", Intent.GREETING),
    ("buenas tardes", Intent.GREETING),
    # menu
    ("menu", Intent.MENU),
    ("MENU!!!", Intent.MENU),
    ("Menü bitte", Intent.MENU),
    ("What cakes do you have?", Intent.MENU),
    ("Was habt ihr?", Intent.MENU),
    ("¿Qué tienen?", Intent.MENU),
    ("la carta por favor", Intent.MENU),
    # start over
    ("start over", Intent.START_OVER),
    ("Let's start again", Intent.START_OVER),
    ("von vorne bitte", Intent.START_OVER),
    ("empezar de nuevo", Intent.START_OVER),
    # cancel
    ("cancel", Intent.CANCEL),
    ("Please cancel my order.", Intent.CANCEL),
    ("Bestellung stornieren", Intent.CANCEL),
    ("cancelar", Intent.CANCEL),
    ("never mind", Intent.CANCEL),
    # human
    ("I want to talk to a human", Intent.HUMAN),
    ("real person please", Intent.HUMAN),
    ("Mitarbeiter bitte", Intent.HUMAN),
    ("quiero hablar con una persona", Intent.HUMAN),
    # help
    ("help", Intent.HELP),
    ("?", Intent.HELP),
    ("Hilfe", Intent.HELP),
    ("what can you do?", Intent.HELP),
    ("ayuda", Intent.HELP),
    # yes
    ("yes", Intent.YES),
    ("Yes please!", Intent.YES),
    ("👍", Intent.YES),
    ("ok", Intent.YES),
    ("Confirm", Intent.YES),
    ("ja genau", Intent.YES),
    ("Passt so", Intent.YES),
    ("sí", Intent.YES),
    ("vale", Intent.YES),
    ("sounds good", Intent.YES),
    ("Yes, that's right.", Intent.YES),
    # no
    ("no", Intent.NO),
    ("Nope.", Intent.NO),
    ("nein danke", Intent.NO),
    ("no thanks", Intent.NO),
    ("No, the 24 cm one", Intent.NO),
    ("that's wrong", Intent.NO),
    ("👎", Intent.NO),
    # pickup
    ("pickup", Intent.PICKUP),
    ("I'll pick it up", Intent.PICKUP),
    ("Abholung", Intent.PICKUP),
    ("ich hole sie ab", Intent.PICKUP),
    ("recoger en tienda", Intent.PICKUP),
    ("no delivery, I'll come by", Intent.PICKUP),
    ("I do not want it delivered", Intent.PICKUP),
    # delivery
    ("delivery please", Intent.DELIVERY),
    ("Can you deliver it?", Intent.DELIVERY),
    ("Lieferung", Intent.DELIVERY),
    ("a domicilio por favor", Intent.DELIVERY),
    ("nicht abholen, bitte liefern", Intent.DELIVERY),
    ("no nuts, delivery please", Intent.DELIVERY),
    # thanks
    ("thanks!", Intent.THANKS),
    ("thank you so much 🙏", Intent.THANKS),
    ("Danke schön", Intent.THANKS),
    ("muchas gracias", Intent.THANKS),
    # order status
    ("Where is my order?", Intent.ORDER_STATUS),
    ("is my cake ready?", Intent.ORDER_STATUS),
    ("Ist meine Torte fertig?", Intent.ORDER_STATUS),
    ("¿Dónde está mi pedido?", Intent.ORDER_STATUS),
]


@pytest.mark.parametrize(("text", "intent"), CASES)
def test_intents(text: str, intent: Intent) -> None:
    assert detect_intent(text) == intent


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        None,
        "asdfgh",
        "no nuts",
        "2 cakes",
        "I'd like the red velvet",
        "a cake for someone special",
        "for saturday at 3pm",
        "Happy Birthday Anna",
        "good cake",
        "don't cancel",
        "I would like the chocolate cake from your menu",
    ],
)
def test_unknown(text: str | None) -> None:
    assert detect_intent(text) == Intent.UNKNOWN


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        ("Hi, I'd like to order a cake for delivery", (Intent.DELIVERY, Intent.GREETING)),
        ("yes, pickup please", (Intent.PICKUP, Intent.YES)),
        ("Lieferung oder Abholung?", (Intent.DELIVERY, Intent.PICKUP)),
        ("no, cancel", (Intent.CANCEL, Intent.NO)),
        ("thanks, bye", (Intent.THANKS,)),
        ("hello, can I talk to a human?", (Intent.HUMAN, Intent.GREETING)),
    ],
)
def test_several_intents_strongest_first(text: str, intents: tuple[Intent, ...]) -> None:
    assert detect_intents(text) == intents
    assert detect_intent(text) == intents[0]
