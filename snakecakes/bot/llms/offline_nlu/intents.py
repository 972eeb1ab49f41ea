"""What the customer wants to do, in English, German or Spanish: greet, see the menu, start
over, cancel, talk to a person, confirm, say no, choose pickup or delivery, thank, ask for the
order's status.

Matching is on folded words, so casing, accents, punctuation and emoji do not matter (👍 is yes,
👎 no, 👋 hello, 🙏 thanks). Where a phrase may appear decides whether it counts:

- Person, start over, cancel, order status, pickup, delivery: anywhere in the message. A
  negation right before cancels it ("don't cancel"), and flips pickup and delivery ("no
  delivery, I'll come by" is pickup, "nicht abholen" delivery).
- Yes and no: the message is only yes/no words and politeness ("yes please", "nein danke"), or
  starts with one followed by punctuation ("no, the 24 cm one"). "no nuts" is not a no.
- Menu words alone ("menu", "Karte") and help only in short messages (up to six words); menu
  questions ("what cakes do you have") anywhere. Greetings only at the start.

`detect_intents` returns every intent found, strongest first; `detect_intent` the strongest.
Strength is the order of `Intent`: human, start over, cancel, order status, delivery, pickup,
no, yes, menu, help, thanks, greeting ("Hi, can I talk to a human?" is human; "yes, pickup"
is pickup, and also yes).
The engine should still read products, dates and the rest from the same message.
"""

from __future__ import annotations

import re
from enum import StrEnum

from snakecakes.bot.llms.offline_nlu.text import fold


class Intent(StrEnum):
    HUMAN = "human"
    START_OVER = "start_over"
    CANCEL = "cancel"
    ORDER_STATUS = "order_status"
    DELIVERY = "delivery"
    PICKUP = "pickup"
    NO = "no"
    YES = "yes"  # also "confirm"
    MENU = "menu"
    HELP = "help"
    THANKS = "thanks"
    GREETING = "greeting"
    UNKNOWN = "unknown"


def _phrases(text: str) -> re.Pattern[str]:
    alternatives = [p.strip() for p in re.split(r"[,\n]", text) if p.strip()]
    alternatives.sort(key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


_HELP_WORDS = """
    help, what can you do, how does this work, how does it work, what now, instructions,
    hilfe, was kannst du, wie funktioniert, wie geht das,
    ayuda, que puedes hacer, como funciona
"""
# Phrases that count anywhere in the message, strongest intent first.
_ANYWHERE_WORDS: dict[Intent, str] = {
    Intent.HUMAN: """
        human, real person, talk to someone, speak to someone, speak with someone, agent, staff,
        talk to somebody, talk to a person, speak to a person, employee, operator, call me back,
        customer service, not a bot, the owner, the baker,
        mensch, menschen, mitarbeiter, mitarbeiterin, echte person, echten person, kein bot,
        mit jemandem sprechen, kundenservice, ruft mich an, ruf mich an, mit dem chef,
        persona real, hablar con alguien, hablar con una persona, agente, atencion al cliente
    """,
    Intent.START_OVER: """
        start over, start again, restart, reset, new order, from scratch, begin again, redo,
        neu starten, von vorne, von vorn, neustart, neu anfangen, neue bestellung, nochmal neu,
        empezar de nuevo, reiniciar, nuevo pedido, desde el principio, otra vez desde cero
    """,
    Intent.CANCEL: """
        cancel, cancel order, never mind, nevermind, forget it, dont want it, call it off,
        stornieren, storniere, storno, stornierung, abbrechen, abbruch, vergiss es,
        cancelar, cancela, anular, anula, olvidalo, ya no lo quiero
    """,
    Intent.ORDER_STATUS: """
        order status, status of my order, where is my order, wheres my order, where is my cake,
        is my cake ready, is my order ready, is it ready, track my order, when will my cake,
        status of my cake, has my order,
        bestellstatus, status meiner bestellung, wo ist meine, wo bleibt, ist meine torte fertig,
        ist meine bestellung fertig, ist mein kuchen fertig, ist sie fertig, ist er fertig,
        estado de mi pedido, donde esta mi pedido, esta listo mi, esta lista mi, mi pedido esta
    """,
    Intent.DELIVERY: """
        delivery, deliver, delivered, delivering, bring it, bring them, send it, shipping,
        ship it, to my address, to my house, to my place, to my door,
        liefern, lieferung, geliefert, liefert, liefere, zustellung, zustellen, bringen,
        vorbeibringen, bringt, lieferservice,
        a domicilio, envio, enviar, entregar, entrega, llevar, traer
    """,
    Intent.PICKUP: """
        pickup, pick up, pick it up, pick them up, picking up, collect, collection, collecting,
        come by, come and get, come get, in store, in the shop, click and collect,
        abholen, abholung, abhole, holen ab, hole ab, hole es ab, hole sie ab, hole ihn ab,
        selbstabholung, selbst abholen, komme vorbei, im laden, abgeholt,
        recoger, recogida, recojo, lo recojo, paso a buscar, voy a buscar, en tienda
    """,
    Intent.MENU: """
        what cakes, which cakes, what do you have, what do you offer, what have you got,
        what kind of cakes, show me the cakes, list of cakes, your cakes, price list,
        show me the menu, see the menu, send me the menu, what flavours, what flavors,
        was habt ihr, was gibt es, welche torten, welche kuchen, eure torten, eure kuchen,
        preisliste, speisekarte, sortiment, was bietet ihr,
        que tienen, que pasteles, que tartas, ver el menu, ver la carta
    """,
}
_ANYWHERE = [(intent, _phrases(words)) for intent, words in _ANYWHERE_WORDS.items()]
_SHORT = [
    (Intent.MENU, _phrases("menu, menue, karte, carta, options, angebot, sortiment")),
    (Intent.HELP, _phrases(_HELP_WORDS)),
]
_THANKS = _phrases("""
    thanks, thank you, thx, ty, cheers, much appreciated, danke, dankeschon, vielen dank,
    merci, gracias, muchas gracias, mil gracias
""")
_GREETING = _phrases("""
    hi, hello, hey, hiya, howdy, yo, greetings, good morning, good afternoon, good evening,
    hallo, hallochen, moin, moinsen, servus, gruss gott, gruezi, guten tag, guten morgen,
    guten abend, hola, buenas, buenos dias, buenas tardes, buenas noches
""")
_YES = frozenset(
    "yes yeah yep yup ya sure ok okay k alright correct right exactly confirm confirmed "
    "perfect great fine good ja jawohl jo jep jup genau passt stimmt richtig klar gerne gern "
    "bestatigen bestatige bestatigt einverstanden super prima si claro vale correcto confirmo "
    "perfecto dale bueno vamos".split()
)
_YES_PHRASES = _phrases("""
    sounds good, looks good, go ahead, thats right, thats correct, all good, i confirm,
    yes please, lets do it, passt so, alles richtig, in ordnung, de acuerdo,
    esta bien, todo bien, mach das, machen wir
""")
_NO = frozenset("no nope nah nein ne nee noe wrong incorrect falsch incorrecto negative".split())
_NO_PHRASES = _phrases("""
    not correct, not right, thats wrong, thats not right, stimmt nicht, passt nicht,
    nicht richtig, no es correcto, no gracias, no thanks, no thank you
""")
_FILLER = frozenset(
    "please pls plz thanks thank you thx bitte danke gracias por favor that thats it is all "
    "very so yes ja si oh well ah".split()
)
_NEGATION = frozenset("no not dont doesnt never nicht kein keine keinen nie sin nunca".split())
_EMOJI = [
    ("👍👌✅✔☑🆗", " yes "),
    ("👎❌✖🙅", " no "),
    ("👋", " hi "),
    ("🙏❤💕😍🥰", " thanks "),
]


def detect_intent(text: str | None) -> Intent:
    """The strongest intent of the message, or UNKNOWN."""
    found = detect_intents(text)
    return found[0] if found else Intent.UNKNOWN


def detect_intents(text: str | None) -> tuple[Intent, ...]:
    """Every intent in the message, strongest first (the order of `Intent`)."""
    if not text or not text.strip():
        return ()
    if text.strip() in ("?", "??", "???"):
        return (Intent.HELP,)
    for symbols, word in _EMOJI:
        for symbol in symbols:
            text = text.replace(symbol, word)
    folded = fold(text).replace("'", "")
    # Clause breaks stay as "|" so phrases and negations do not reach across them.
    plain = " ".join(re.findall(r"[a-z0-9]+|[,.;!?\n]", folded))
    plain = re.sub(r"(?: ?[,.;!?\n])+ ?", " | ", plain).strip(" |")
    tokens = [t for t in plain.split() if t != "|"]
    found: set[Intent] = set()
    for intent, pattern in _ANYWHERE:
        for m in pattern.finditer(plain):
            before = plain[: m.start()].split("|")[-1].split()
            negated = bool(set(before[-3:]) & _NEGATION)
            if intent in (Intent.PICKUP, Intent.DELIVERY) and negated:
                found.add(Intent.DELIVERY if intent is Intent.PICKUP else Intent.PICKUP)
            elif not negated:
                found.add(intent)
    if len(tokens) <= 6:
        found.update(intent for intent, pattern in _SHORT if pattern.search(plain))
    found.update(_yes_no(folded, plain, tokens))
    if _THANKS.search(plain):
        found.add(Intent.THANKS)
    if _GREETING.match(plain):
        found.add(Intent.GREETING)
    return tuple(intent for intent in Intent if intent in found)


def _yes_no(folded: str, plain: str, tokens: list[str]) -> set[Intent]:
    result: set[Intent] = set()
    if _NO_PHRASES.search(plain):
        result.add(Intent.NO)
    elif _YES_PHRASES.search(plain) and not set(tokens) & _NEGATION:
        result.add(Intent.YES)
    if not tokens:
        return result
    rest = [t for t in tokens[1:] if t not in _FILLER]
    first = tokens[0]
    punctuated = re.match(rf"\W*{re.escape(first)}\s*[,.!;:\-]", folded) is not None
    if first in _NO and (not rest or punctuated or set(rest) <= _NO):
        result.add(Intent.NO)
    elif first in _YES and (not rest or punctuated or set(rest) <= _YES):
        result.add(Intent.YES)
    return result
