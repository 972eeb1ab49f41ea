"""The tools the language model may call, and the checking of its arguments.

Why pydantic models with `extra="forbid"`: a model's tool call is untrusted input, just like a
customer's words. Each tool has one argument model; the JSON schema the model sees is generated
from it, and every call is validated against the same model before the order desk runs it. A
bad call (not JSON, a wrong type, a negative quantity, a `price` or `phone` field no tool has)
goes back to the model as an error result and changes nothing. No tool takes a price or a phone
number: the shop prices the cart, and orders belong to the chat's own number.

Each tool is a thin wrapper over one OrderDesk method, so both engines sell by the same rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from snakecakes.bot.ordering.desk import OrderDesk, Outcome

Words = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Quantity = Annotated[int, Field(ge=1, le=100, description="How many; at least 1.")]
ItemId = Annotated[int, Field(ge=1, description="The item_id from view_cart or add_to_cart.")]


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


A = TypeVar("A", bound=Args)


class NoArgs(Args):
    pass


class ShowMenu(Args):
    category: Words | None = Field(None, description="Only this category (optional).")


class ProductDetails(Args):
    product: Words = Field(description="The cake's name or slug.")


class AddToCart(Args):
    product: Words = Field(description="The cake's name or slug.")
    size: Words | None = Field(None, description="Size key or label; asked for if left out.")
    flavour: Words | None = None
    filling: Words | None = None
    quantity: Quantity = 1
    inscription: Text | None = Field(None, description="Words piped on the cake.")


class ChangeCartItem(Args):
    item_id: ItemId
    size: Words | None = None
    flavour: Words | None = None
    filling: Words | None = None
    quantity: Quantity | None = None
    text: Text | None = Field(None, description="An extra's text (e.g. the greeting card).")


class CartItem(Args):
    item_id: ItemId


class SetInscription(Args):
    item_id: ItemId
    text: Text | None = Field(description="The inscription; null removes it.")


class AddExtra(Args):
    extra: Words = Field(description="The extra's name or slug (candles, greeting card, ...).")
    quantity: Quantity = 1
    text: Text | None = Field(None, description="Its text, for extras that carry one.")


class SetDateTime(Args):
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")
    time: str = Field(pattern=r"^\d{1,2}:\d{2}$", description="HH:MM, 24-hour")


class SetFulfilment(Args):
    method: Literal["pickup", "delivery"]
    address: Text | None = Field(
        None, description="Street, postcode and city for delivery; leave out if shared as location."
    )


class SetCustomerName(Args):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class SetNotes(Args):
    notes: Text | None = Field(None, description="Notes for the bakers; '' clears.")
    allergies: Text | None = Field(None, description="Allergies to take care of; '' clears.")


class CancelOrder(Args):
    order_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = (
        Field(None, description="Which order; left out: the customer's open order.")
    )


class HandOver(Args):
    reason: Text | None = None


class SearchKnowledge(Args):
    query: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)
    ] = Field(description="The customer's question in a few words, e.g. 'nut-free cakes'.")


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str
    args: type[Args]
    run: Callable[[OrderDesk, Any], Outcome]

    def schema(self) -> dict[str, Any]:
        return function_schema(self.name, self.description, self.args)


def function_schema(name: str, description: str, args: type[Args]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": _without_titles(args.model_json_schema()),
        },
    }


def _without_titles(schema: Any) -> Any:
    """Pydantic's titles repeat the field names: tokens the model does not need."""
    if isinstance(schema, dict):
        return {k: _without_titles(v) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_without_titles(v) for v in schema]
    return schema


def _options(a: AddToCart | ChangeCartItem) -> dict[str, Any]:
    keys = ("size", "flavour", "filling")
    return {k: getattr(a, k) for k in keys if getattr(a, k) is not None}


TOOLS: tuple[Tool, ...] = (
    Tool("show_menu", "Our cakes with prices from, by category.", ShowMenu,
         lambda d, a: d.menu(a.category)),
    Tool("product_details", "A cake's sizes with servings and prices, flavours, fillings, "
         "allergens, lead time.", ProductDetails, lambda d, a: d.product_details(a.product)),
    Tool("add_to_cart", "Add a cake to the cart. Missing options come back as a question.",
         AddToCart,
         lambda d, a: d.add_item(a.product, quantity=a.quantity, inscription=a.inscription,
                                 **_options(a))),
    Tool("change_cart_item", "Change options or quantity of a cart line (cake or extra).",
         ChangeCartItem,
         lambda d, a: d.change_item(a.item_id, quantity=a.quantity, text=a.text, **_options(a))),
    Tool("remove_cart_item", "Remove a line from the cart.", CartItem,
         lambda d, a: d.remove_item(a.item_id)),
    Tool("set_inscription", "Set or remove the inscription on a cake in the cart.",
         SetInscription, lambda d, a: d.set_inscription(a.item_id, a.text)),
    Tool("add_extra", "Add an extra: candles, a greeting card, cupcakes, ...", AddExtra,
         lambda d, a: d.add_addon(a.extra, a.quantity, a.text)),
    Tool("set_date_time", "The wanted pickup or delivery date and time (checked against lead "
         "time, opening hours and closed days).", SetDateTime,
         lambda d, a: d.set_date(a.date, a.time)),
    Tool("set_pickup_or_delivery", "Pickup at the shop, or delivery to an address (or to the "
         "location the customer shared).", SetFulfilment,
         lambda d, a: d.set_fulfilment(a.method, address=a.address)),
    Tool("set_customer_name", "The name the order goes under.", SetCustomerName,
         lambda d, a: d.set_customer(a.name)),
    Tool("set_notes", "Notes for the bakers and allergies.", SetNotes,
         lambda d, a: d.set_notes(notes=a.notes, allergies=a.allergies)),
    Tool("view_cart", "The cart with item ids, the total computed by the shop, and what is "
         "still needed before checkout.", NoArgs, lambda d, a: d.view_cart()),
    Tool("suggest_extras", "Send one suggestion of fitting extras with buttons (once per order, "
         "after a cake is in the cart).", NoArgs, lambda d, a: d.offer_upsell()),
    Tool("show_order_summary", "Send the customer the order summary with a Confirm button, "
         "when nothing is missing.", NoArgs, lambda d, a: d.show_checkout()),
    Tool("place_order", "Place the order. Only after the customer saw the summary and then "
         "confirmed it in a later message.", NoArgs, lambda d, a: d.place_order()),
    Tool("my_orders", "The customer's recent orders with their state.", NoArgs,
         lambda d, a: d.my_orders()),
    Tool("cancel_order", "Cancel one of the customer's orders (within the cancel window).",
         CancelOrder, lambda d, a: d.cancel_order(a.order_number)),
    Tool("hand_over_to_human", "Pass the chat to a person from the shop; you then stop "
         "answering.", HandOver, lambda d, a: d.hand_over()),
)  # fmt: skip
BY_NAME = {tool.name: tool for tool in TOOLS}
HAND_OVER = "hand_over_to_human"
SEARCH_KNOWLEDGE = "search_knowledge"  # not the desk's: the engine runs it (openai_knowledge)
SEARCH_DESCRIPTION = (
    "Search the shop's own documents (FAQ, allergens and dietary information, delivery zones "
    "and fees, opening hours, cancellation and refunds, cake care and storage). Returns numbered "
    "sources and passages; answer questions about the shop from them and cite as [n]."
)


def schemas() -> list[dict[str, Any]]:
    """The `tools` parameter of a chat completion (the same list every turn: cacheable)."""
    search = function_schema(SEARCH_KNOWLEDGE, SEARCH_DESCRIPTION, SearchKnowledge)
    return [tool.schema() for tool in TOOLS] + [search]


def parse_arguments(raw: str | None) -> dict[str, Any] | None:
    """The call's arguments as a JSON object, or None when they are not one."""
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def run_tool(desk: OrderDesk, name: str, raw_arguments: str | None) -> dict[str, Any]:
    """Run one tool call; every problem is a result for the model ({"ok": false, ...})."""
    tool = BY_NAME.get(name)
    if tool is None:
        return _error(
            f"There is no tool named {name!r}.", known=sorted([*BY_NAME, SEARCH_KNOWLEDGE])
        )
    args = validate(tool.args, raw_arguments)
    if isinstance(args, dict):
        return args
    return tool.run(desk, args).as_tool_result()


def validate(model: type[A], raw_arguments: str | None) -> A | dict[str, Any]:
    """The call's arguments checked against the tool's model, or the error result."""
    arguments = parse_arguments(raw_arguments)
    if arguments is None:
        return _error("The arguments were not a JSON object; call the tool again with valid JSON.")
    try:
        return model.model_validate(arguments)
    except ValidationError as exc:
        return _error("Invalid arguments; nothing was changed.", problems=_problems(exc))


def _problems(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in err["loc"]) or "arguments"
        if err["type"] == "extra_forbidden":
            problems.append(
                f"{where}: this tool has no such field (prices are set by the shop, and orders "
                "always belong to this chat's number)"
            )
        else:
            problems.append(f"{where}: {err['msg']}")
    return problems


def _error(message: str, **data: Any) -> dict[str, Any]:
    return {"ok": False, "message": message, **data}


def _numbers(prefix: str) -> re.Pattern[str]:
    stem = re.escape(prefix.strip().rstrip("-_ "))
    return re.compile(rf"#?\b{stem}[-_ ]?\d{{3,}}\b", re.IGNORECASE)


def order_numbers_in(text: str, prefix: str) -> set[str]:
    """The order numbers a text mentions (`SC-1042`, `#sc 1042`), written the shop's way."""
    return {_normal(n, prefix) for n in _numbers(prefix).findall(text)}


def _normal(number: str, prefix: str) -> str:
    digits = re.search(r"\d+$", number)
    return prefix.strip().upper() + (digits.group() if digits else "")


def scrub_order_numbers(text: str, prefix: str, known: Callable[[], set[str]]) -> tuple[str, int]:
    """The model's answer without order numbers it made up, and how many there were.

    An order's number exists only once the turn commits, and reaches the customer in the shop's
    own confirmation; so a number in the model's words is one the conversation knows (`known`,
    asked only when a candidate appears) or an invention, which is removed."""
    found = _numbers(prefix).findall(text)
    if not found:
        return text, 0
    mine = known()
    invented = [n for n in found if _normal(n, prefix) not in mine]
    for number in invented:
        text = text.replace(number, "")
    if invented:
        text = re.sub(r"[ \t]+([.,;:!?)])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    return text, len(invented)
