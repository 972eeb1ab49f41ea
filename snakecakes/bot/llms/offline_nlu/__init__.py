"""Understanding customers without a language model: small, pure, deterministic functions that
read one message (English, German, some Spanish) and return typed results or None.

The offline engine combines them into a conversation; none of them touches the database, the
clock (dates take `now`) or the network, so each is tested on its own. Each module's docstring
states the rules it follows for unclear input, so the engine can confirm rather than guess.
"""

from snakecakes.bot.llms.offline_nlu.address import Address, extract_address, extract_coordinates
from snakecakes.bot.llms.offline_nlu.dates import BERLIN, When, parse_when
from snakecakes.bot.llms.offline_nlu.extract import (
    DietaryNote,
    extract_allergy_notes,
    extract_inscription,
    extract_name,
    wants_no_inscription,
)
from snakecakes.bot.llms.offline_nlu.intents import Intent, detect_intent, detect_intents
from snakecakes.bot.llms.offline_nlu.numbers import parse_quantity, parse_servings
from snakecakes.bot.llms.offline_nlu.products import (
    Match,
    ProductName,
    canonical_words,
    match_option,
    match_product,
)
from snakecakes.bot.llms.offline_nlu.times import TimeOfDay, parse_time

__all__ = [
    "BERLIN",
    "Address",
    "DietaryNote",
    "Intent",
    "Match",
    "ProductName",
    "TimeOfDay",
    "When",
    "canonical_words",
    "detect_intent",
    "detect_intents",
    "extract_address",
    "extract_allergy_notes",
    "extract_coordinates",
    "extract_inscription",
    "extract_name",
    "match_option",
    "match_product",
    "parse_quantity",
    "parse_servings",
    "parse_time",
    "parse_when",
    "wants_no_inscription",
]
