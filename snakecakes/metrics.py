"""Prometheus metrics, in one registry of our own (so tests can build many apps in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

WEBHOOK_REQUESTS = Counter(
    "snakecakes_webhook_requests",
    "Webhook requests by outcome (stored, bad_signature, unknown_number, db_unavailable, ...)",
    ["method", "outcome"],
    registry=REGISTRY,
)
WEBHOOK_ACK_SECONDS = Histogram(
    "snakecakes_webhook_ack_seconds",
    "Time from request start to our answer on POST /webhook",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
WEBHOOK_UPDATES = Counter(
    "snakecakes_webhook_updates",
    "Updates in webhook bodies by kind (message, status, event, rejected) and result",
    ["kind", "result"],
    registry=REGISTRY,
)
UNKNOWN_NUMBERS = Counter(
    "snakecakes_webhook_unknown_numbers",
    "Changes addressed to a phone_number_id that no bot owns",
    registry=REGISTRY,
)
INBOX_PENDING = Gauge(
    "snakecakes_inbox_pending",
    "Inbox rows not yet processed (read at scrape time)",
    registry=REGISTRY,
)
DISPATCH_ERRORS = Counter(
    "snakecakes_dispatch_errors",
    "Failures to wake the dispatcher after a commit (the periodic sweep recovers them)",
    registry=REGISTRY,
)
OUTBOX_SENDS = Counter(
    "snakecakes_outbox_sends",
    "Send attempts by result (sent, error) and Meta error code",
    ["result", "code"],
    registry=REGISTRY,
)
OUTBOX_POSSIBLE_DUPLICATES = Counter(
    "snakecakes_outbox_possible_duplicates",
    "Messages resent after an attempt whose outcome was unknown (Meta may have accepted it)",
    registry=REGISTRY,
)
SENDING_PAUSED = Gauge(
    "snakecakes_sending_paused",
    "1 while a bot's sending is paused (token expired, spam or policy block)",
    ["bot"],
    registry=REGISTRY,
)
DELIVERY_STATUSES = Counter(
    "snakecakes_delivery_statuses",
    "Delivery status webhooks applied to our messages, by status and error code",
    ["status", "code"],
    registry=REGISTRY,
)
TURN_SECONDS = Histogram(
    "snakecakes_turn_seconds",
    "Time from a turn's start (messages loaded) to its commit",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
TURN_RESTARTS = Counter(
    "snakecakes_turn_restarts",
    "Drafts dropped because a newer customer message arrived (latest-wins)",
    registry=REGISTRY,
)
TURN_FAILURES = Counter("snakecakes_turn_failures", "Turns that raised", registry=REGISTRY)
TURNS_PARKED = Counter(
    "snakecakes_turns_parked",
    "Messages set aside after failing SNAKECAKES_TURN_MAX_ATTEMPTS times",
    registry=REGISTRY,
)
ORDERS = Counter(
    "snakecakes_orders", "Order changes by status (new, confirmed, ..., cancelled)", ["status"],
    registry=REGISTRY,
)  # fmt: skip
ORDER_PUSHES = Counter(
    "snakecakes_order_pushes",
    "Pushes of order changes to ORDERS_WEBHOOK_URL by result (accepted, failed)",
    ["result"],
    registry=REGISTRY,
)
ADMIN_API_REQUESTS = Counter(
    "snakecakes_admin_api_requests", "Admin API requests by outcome", ["outcome"],
    registry=REGISTRY,
)  # fmt: skip
LLM_TURNS = Counter(
    "snakecakes_llm_turns",
    "OpenAI engine turns by outcome (answered, handed_over, error, muddled)",
    ["outcome"],
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "snakecakes_llm_tokens",
    "Tokens the language model reported, by kind (prompt, completion, cached)",
    ["kind"],
    registry=REGISTRY,
)
LLM_TURN_SECONDS = Histogram(
    "snakecakes_llm_turn_seconds",
    "Time the OpenAI engine spent on a turn (all model calls and tools)",
    buckets=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0),
    registry=REGISTRY,
)
