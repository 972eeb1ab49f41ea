"""Typed, immutable views of what Meta's webhooks deliver.

Plain frozen dataclasses with slots rather than pydantic models: one POST can carry a thousand
updates and we must answer within a few hundred milliseconds, so building these has to cost
microseconds. Being frozen, they can be handed to workers and logged without defensive copies.

Every object that stands for one inbound item keeps ``raw`` (the dict as received, not copied),
because the durable store wants the original and because Meta adds fields faster than we model
them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One ``errors[]`` item; callers branch on ``code`` and ``details``, never on wording."""

    code: int
    title: str
    message: str | None
    details: str | None


@dataclass(frozen=True, slots=True)
class Contact:
    """The sender's profile; since 2026 a user may be known only by ``user_id`` (a BSUID)."""

    wa_id: str | None
    user_id: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class MessageContext:
    """Which message this one quotes or answers, and whether it was forwarded.

    ``referred_product`` is set when the user wrote from a product's "Message business" button.
    """

    from_: str | None
    id: str | None
    forwarded: bool
    frequently_forwarded: bool
    referred_product: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Referral:
    """The Click-to-WhatsApp ad or post that started the chat (attribution and first answer)."""

    source_url: str | None = None
    source_type: str | None = None
    source_id: str | None = None
    headline: str | None = None
    body: str | None = None
    media_type: str | None = None
    image_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    ctwa_clid: str | None = None
    welcome_message: str | None = None


# --- content, one class per kind --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    body: str


@dataclass(frozen=True, slots=True)
class Media:
    """image, video, document, sticker or audio: all are fetched the same way by ``id``."""

    kind: str
    id: str
    mime_type: str | None
    sha256: str | None
    caption: str | None
    filename: str | None
    voice: bool
    animated: bool


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float
    name: str | None
    address: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class SharedContacts:
    """vCard-like cards kept as received: users share whatever subset their phone allows."""

    cards: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ButtonReply:
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class ListReply:
    id: str
    title: str
    description: str | None


@dataclass(frozen=True, slots=True)
class FlowReply:
    """A WhatsApp Flow answer; ``response`` is ``{}`` when Meta's JSON string did not decode."""

    response: Mapping[str, Any]
    body: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class TemplateButton:
    """A tap on a template's quick-reply button (message type ``button``)."""

    payload: str | None
    text: str | None


@dataclass(frozen=True, slots=True)
class Reaction:
    """``emoji`` is None when the user removed the reaction (Meta sends "" or nothing)."""

    message_id: str
    emoji: str | None

    @property
    def removed(self) -> bool:
        return self.emoji is None


@dataclass(frozen=True, slots=True)
class OrderItem:
    product_retailer_id: str
    quantity: int
    item_price: float
    currency: str


@dataclass(frozen=True, slots=True)
class Order:
    catalog_id: str | None
    text: str | None
    items: tuple[OrderItem, ...]


@dataclass(frozen=True, slots=True)
class System:
    """A number or identity change; ``wa_id`` is the user's *new* id, ``customer`` the old one."""

    body: str | None
    type: str | None
    wa_id: str | None
    customer: str | None
    identity: str | None = None

    @property
    def new_wa_id(self) -> str | None:
        return self.wa_id


@dataclass(frozen=True, slots=True)
class Unsupported:
    """Meta could not render the message for us; the reason sits in ``Message.errors``."""


@dataclass(frozen=True, slots=True)
class UnknownContent:
    """A type we do not model yet. Kept, not dropped, so nothing a customer sends is lost.

    ``type`` is the message type, or ``interactive.<subtype>`` for unknown interactive replies.
    """

    type: str


Content: TypeAlias = (
    Text
    | Media
    | Location
    | SharedContacts
    | ButtonReply
    | ListReply
    | FlowReply
    | TemplateButton
    | Reaction
    | Order
    | System
    | Unsupported
    | UnknownContent
)


# --- updates ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Message:
    """An inbound customer message; deduplicate on ``id`` (delivery is at least once)."""

    id: str
    from_: str | None
    from_user_id: str | None
    timestamp: int
    type: str
    content: Content
    context: MessageContext | None
    referral: Referral | None
    errors: tuple[ErrorDetail, ...]
    raw: Mapping[str, Any]

    @property
    def customer_key(self) -> str:
        """The phone number when we have one, else the BSUID (the parser guarantees one)."""
        key = self.from_ or self.from_user_id
        if key is None:  # parse_envelope rejects these; only a hand-built Message gets here
            raise ValueError(f"message {self.id} has neither from nor from_user_id")
        return key


@dataclass(frozen=True, slots=True)
class Status:
    """Delivery news about a message we sent; deduplicate on ``(id, status)``."""

    id: str
    status: str
    timestamp: int
    recipient_id: str | None
    recipient_user_id: str | None
    errors: tuple[ErrorDetail, ...]
    pricing: Mapping[str, Any] | None
    conversation: Mapping[str, Any] | None
    biz_opaque_callback_data: str | None
    raw: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Change:
    """One ``entry[].changes[]`` item: all updates for one business number and one field.

    For fields other than ``messages`` only ``value`` (as received) is meaningful.
    """

    waba_id: str
    field: str
    phone_number_id: str | None
    display_phone_number: str | None
    contacts: tuple[Contact, ...]
    messages: tuple[Message, ...]
    statuses: tuple[Status, ...]
    errors: tuple[ErrorDetail, ...]
    value: Mapping[str, Any]

    def contact_for(self, message: Message) -> Contact | None:
        """The profile Meta sent for the message's sender, matched by number or BSUID."""
        for contact in self.contacts:
            if (contact.wa_id is not None and contact.wa_id == message.from_) or (
                contact.user_id is not None and contact.user_id == message.from_user_id
            ):
                return contact
        return None


@dataclass(frozen=True, slots=True)
class Rejected:
    """An item we could not make sense of, kept with the reason so it is logged, not lost.

    ``kind`` is one of entry, change, contact, message, status or error; ``reason`` starts with
    the item's path in the body (like ``entry[0].changes[1].messages[3]``).
    """

    kind: str
    reason: str
    raw: Any


@dataclass(frozen=True, slots=True)
class Envelope:
    """A whole webhook POST body."""

    object: str
    changes: tuple[Change, ...]
    rejected: tuple[Rejected, ...]

    @property
    def messages(self) -> tuple[tuple[Change, Message], ...]:
        """Every message with its change (for the business number and the sender's profile)."""
        return tuple((c, m) for c in self.changes for m in c.messages)

    @property
    def statuses(self) -> tuple[tuple[Change, Status], ...]:
        return tuple((c, s) for c in self.changes for s in c.statuses)

    @property
    def message_count(self) -> int:
        return sum(len(c.messages) for c in self.changes)

    @property
    def status_count(self) -> int:
        return sum(len(c.statuses) for c in self.changes)

    @property
    def error_count(self) -> int:
        return sum(len(c.errors) for c in self.changes)
