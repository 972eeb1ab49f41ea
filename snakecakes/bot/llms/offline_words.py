"""The offline engine's reading of one typed message for the order itself: which cake, how many,
for how many people, size, flavour and filling, inscription, day and time, pickup or delivery,
address, name, allergies; and corrections of what is already in the cart ("actually make it
chocolate", "remove the cupcakes", "change the date to sunday", "make it 2").

Everything found is handed to the Flow, which keeps the order's state; nothing is guessed when
a name fits several cakes (the customer is asked), and words already used for one thing (an
address, an inscription) are not read again as another.
"""

from __future__ import annotations

import re

from snakecakes.bot.llms import offline_details as details
from snakecakes.bot.llms import offline_views as views
from snakecakes.bot.llms.offline_flow import OPTION_KINDS, Flow
from snakecakes.bot.llms.offline_nlu import (
    Intent,
    ProductName,
    canonical_words,
    detect_intents,
    extract_address,
    extract_coordinates,
    extract_inscription,
    match_option,
    match_product,
    parse_quantity,
    parse_servings,
    parse_time,
    parse_when,
    wants_no_inscription,
)
from snakecakes.bot.llms.offline_nlu.text import fold, word_similarity
from snakecakes.shop.catalog import Product

REMOVE = re.compile(
    r"\b(?:remove|delete|take (?:out|off|away)|drop|no more|dont want the|don't want the|"
    r"without the|entfern\w*|streich\w*|weg mit|quita\w*|elimina\w*)\b"
)
_ORDER_TALK = re.compile(
    r"\b(?:actually|make it|make that|change|instead|rather|remove|delete|i want|i'?d like|"
    r"can i|could i|please add|add a|we need|lieber|doch|andern|stattdessen)\b"
)
ALSO = re.compile(r"^\W*(?:and|also|plus|und|auch|y|tambien)\b|\b(?:as well|too|also|auch)\b")
INSTEAD = re.compile(r"\b(?:instead|rather|lieber|stattdessen|en vez|en lugar|mejor)\b")
_QUANTITY_CUE = re.compile(
    r"\b(?:make (?:it|that|them)|change|instead|of (?:them|those|these|it)|davon|nur|only|"
    r"quantity|menge|cantidad)\b|\d\s*x\b|\bx\s*\d"
)
_INSCRIPTION = re.compile(  # on folded or plain text
    r"(?i)\b(?:inscription|text|writing|written|lettering|aufschrift|beschriftung|schrift|texto)\b"
)
_OCCASIONS = re.compile(r"\b(?:birthday|celebration|party|wedding)\b", re.IGNORECASE)
_FILLER = frozenset(
    "make it its change switch actually instead rather please to the a an i id want would like "
    "can have get prefer lieber doch bitte one with and for of".split()
)


def read_order(flow: Flow, text: str) -> None:
    """Apply everything this message says about the order."""
    asking = flow.asking
    rest = text
    # Free text first, so its words are not read as cakes, dates or names.
    inscription = _inscription(flow, text)
    if inscription:
        rest = rest.replace(inscription, " ")
    address = extract_address(rest)
    coordinates = extract_coordinates(rest)
    if address is not None:
        for part in (address.street, address.number, address.postcode, address.city):
            rest = rest.replace(part, " ") if part else rest
    if REMOVE.search(fold(rest)):
        _remove(flow, rest)
        return
    pending = flow.state.get("pending")
    focus = flow.focus_line()
    current = flow.product(pending["product"] if pending else focus["product"] if focus else None)
    named, several = _product(flow, rest)
    option_of_current = current is not None and (named or several) and _options(flow, current, rest)
    strict = asking in OPTION_KINDS
    if option_of_current and (named is None or not named_well(named, rest, strict)):
        named, several = None, None  # "actually make it chocolate": an option, not a cake
    if several:
        flow.state["choice_quantity"] = parse_quantity(rest)
        _ask_which(flow, several)
    if named is not None:
        _start(flow, named, rest)
    product = named or current
    options = _options(flow, product, rest) if product else {}
    quantity = None
    if not (_bare_number(rest) and asking in (*OPTION_KINDS, "time", "day", "choice")):
        quantity = parse_quantity(rest)
    pending = flow.state.get("pending")
    if quantity and pending:
        pending["quantity"] = quantity
        flow.acted = True
    elif quantity and named is None and focus is not None and _about_quantity(rest):
        outcome = flow.desk.change_item(focus["id"], quantity=quantity)
        flow.say(flow.describe_change(focus["id"]) if outcome.ok else outcome.message)
        flow.acted = True
    servings = parse_servings(rest)
    if servings:
        flow.state["servings"] = servings
        if product is not None and "size" not in options:
            flow.size_for(product, servings)
        elif product is None and not flow.asked:
            _suggest_for(flow, servings)
    for kind, key in options.items():
        flow.choose(kind, key, product)
    if inscription:
        _set_inscription(flow, inscription)
    elif wants_no_inscription(text) and (
        asking == "inscription" or _INSCRIPTION.search(fold(text))
    ):
        _no_inscription(flow)  # "no thanks" alone is about an inscription only when asked
    flow.commit()
    details.read_when(flow, rest)
    details.read_where(flow, rest, address, coordinates)
    details.read_name(flow, text)
    details.read_allergies(flow, text)


def named_well(product: Product, text: str, strict: bool = False) -> bool:
    """The message names this cake clearly, beyond a word it shares with an option."""
    found = match_product(text, [ProductName(product.slug, product.name)])
    return found is not None and found.score >= (0.9 if strict else 0.6)


def _about_quantity(text: str) -> bool:
    """ "make it 2", "3 of them", "x2", "two": a new count for the cake already chosen."""
    folded = fold(text)
    return bool(_QUANTITY_CUE.search(folded)) or len(folded.split()) <= 2


def _bare_number(text: str) -> bool:
    return re.fullmatch(r"\s*\d{1,3}\s*", text) is not None


def _catalog_names(flow: Flow, slugs: list[str] | None = None) -> list[ProductName]:
    """The cakes by name and slug, without occasion words: "a birthday cake" names none."""
    products = flow.catalog.available_products()
    return [
        ProductName(p.slug, _OCCASIONS.sub(" ", p.name), (p.slug.replace("-", " "),))
        for p in products
        if slugs is None or p.slug in slugs
    ]


def _product(flow: Flow, text: str) -> tuple[Product | None, list[str] | None]:
    """The cake the message names, or the cakes a name fits when it fits several."""
    choices = flow.state.get("choices")
    if choices and flow.asking == "choice":
        among = match_product(text, _catalog_names(flow, choices))
        if among is not None and not among.ambiguous:
            return flow.product(among.slug), None
    found = match_product(text, _catalog_names(flow))
    if found is None:
        return None, None
    needed = 0.67 if flow.asking in ("name", "address", "inscription") else 0.2
    if found.score < needed:
        return None, None
    if found.ambiguous:
        return None, [found.slug, *found.alternatives]
    return flow.product(found.slug), None


def _ask_which(flow: Flow, slugs: list[str]) -> None:
    products = [p for p in (flow.product(s) for s in slugs) if p is not None][:10]
    word = _common_word(products)
    text = flow.ctx.prompt("offline_ask_choice", product=word)
    flow.state["choices"] = [p.slug for p in products]
    body = views.products_list(flow.ctx, flow.catalog, products, text)
    flow.ask("choice", body, text)
    flow.acted = True


def _common_word(products: list[Product]) -> str:
    sets = [set(canonical_words(p.name)) for p in products]
    common = set.intersection(*sets) - {"cake", "and", "the"} if sets else set()
    word = next((w for w in canonical_words(products[0].name) if w in common), "cake")
    return word if word.endswith("cake") else f"{word} cake"


def _start(flow: Flow, product: Product, text: str) -> None:
    focus = flow.focus_line()
    if (
        INSTEAD.search(fold(text))
        and not flow.state.get("pending")
        and focus is not None
        and focus["product"] != product.slug
    ):
        old = flow.product(str(focus["product"]))
        flow.desk.remove_item(focus["id"])
        flow.say(f"Okay, the {product.name} instead of the {old.name if old else 'other cake'}.")
        flow.state["focus"] = None
        flow.start(product, replace=False)
        return
    flow.start(product, also=bool(ALSO.search(fold(text))))


def _options(flow: Flow, product: Product, text: str) -> dict[str, str]:
    """Size, flavour and filling named in the message (the cake's own name left out)."""
    # each word of the cake's name once: "chocolate fudge cake, dark chocolate" keeps one
    name_words = [w for w in canonical_words(product.name) if w not in _FILLER]
    kept = []
    for word in (w for w in canonical_words(text) if w not in _FILLER):
        same = next((n for n in name_words if word_similarity(word, n) >= 0.8), None)
        if same is None:
            kept.append(word)
        else:
            name_words.remove(same)
    if not kept:
        return {}
    rest = " ".join(kept)
    diameter = re.search(r"\d{2}\s*cm", text.casefold())
    if diameter:
        rest += " " + diameter.group(0)
    found: dict[str, tuple[str, set[str]]] = {}
    for _ in range(2):  # again without the words of options found: "lemon, vanilla buttercream"
        used = {w for _, words in found.values() for w in words}
        said = " ".join(w for w in rest.split() if w not in used)
        for kind in OPTION_KINDS:
            options = getattr(product, f"{kind}s")
            if len(options) < 2 or kind in found:
                continue
            match = match_option(said, [ProductName(o.key, o.label) for o in options])
            need = 0.5 if flow.asking == kind else 0.75
            if match is None or match.ambiguous or match.score < need:
                continue
            label = next(o.label for o in options if o.key == match.slug)
            found[kind] = (match.slug, set(canonical_words(label)))
        # "vanilla buttercream" is the filling, not also the vanilla flavour
        for kind, (_, words) in list(found.items()):
            if any(words < other for k, (_, other) in found.items() if k != kind):
                del found[kind]
    return {kind: key for kind, (key, _) in found.items()}


def _remove(flow: Flow, text: str) -> bool:
    cart = flow.desk.cart
    names = [
        ProductName(str(line["id"]), p.name)
        for line in cart["items"]
        if (p := flow.product(str(line["product"]))) is not None
    ]
    for line in cart["addons"]:
        addon = flow.catalog.addon(str(line["addon"]))
        if addon is not None:
            names.append(ProductName(str(line["id"]), addon.name))
    found = match_product(text, names) if names else None
    flow.acted = True
    if found is None:
        flow.say("I can't find that in your cart." if names else "Your cart is empty.")
        return False
    outcome = flow.desk.remove_item(found.slug)
    flow.say(f"Removed from your cart: {found.name}." if outcome.ok else outcome.message)
    if str(flow.state.get("focus")) == found.slug:
        flow.state["focus"] = None
    flow.acted = True
    return True


def _suggest_for(flow: Flow, people: int) -> None:
    products = flow.catalog.available_products()
    fitting = [p for p in products if any(s.servings_max >= people for s in p.sizes)]
    if not fitting:
        return
    text = f"For {people} people, these cakes come big enough. Which one would you like?"
    flow.ask("product", views.products_list(flow.ctx, flow.catalog, fitting[:10], text), text)
    flow.acted = True


def _inscription(flow: Flow, text: str) -> str | None:
    found = extract_inscription(text)
    if found:
        return found
    if wants_no_inscription(text):
        return None
    if flow.asking != "inscription":
        return None
    words = text.strip()
    if parse_when(words, flow.ctx.now) or parse_time(words) or len(words) > 100:
        return None
    if not re.search(r"\w", words):
        return None
    if (
        _ORDER_TALK.search(fold(words))
        or extract_address(words)
        or set(detect_intents(words))
        - {
            Intent.GREETING,
            Intent.THANKS,
        }
    ):
        return None  # "actually make it chocolate" while the inscription was asked
    line = flow.focus_line()
    product = flow.product(str(line["product"])) if line else None
    if product is not None and _options(flow, product, words):
        return None
    named = match_product(words, _catalog_names(flow))
    if named is not None and named.score >= 0.6 and len(words.split()) <= 3:
        return None  # "the sachertorte": a cake, not words for one
    return words.strip("\"'“”„")


def _no_inscription(flow: Flow) -> None:
    pending = flow.state.get("pending")
    line = flow.focus_line()
    if pending:
        pending["no_inscription"] = True
    elif line is not None:
        flow.state.setdefault("ins_asked", []).append(line["id"])
        if line.get("inscription"):
            flow.desk.set_inscription(line["id"], None)
    flow.say("No inscription, noted.")
    flow.acted = True


def _set_inscription(flow: Flow, words: str) -> None:
    pending = flow.state.get("pending")
    if pending:
        pending["inscription"] = words
        return
    line = flow.focus_line()
    if line is None:
        return
    outcome = flow.desk.set_inscription(line["id"], words)
    flow.say(outcome.message)
    if outcome.ok:
        flow.state.setdefault("ins_asked", []).append(line["id"])
    else:
        flow.state["asking"] = "inscription"
    flow.acted = True
