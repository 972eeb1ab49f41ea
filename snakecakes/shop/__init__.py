"""The shop: catalog, cart, pricing, schedule, delivery zones and order summaries of each bot.

Modules import each other directly (`snakecakes.shop.catalog`, `...cart`, ...); this package
imports nothing itself, so that `snakecakes.db.models` can register the shop tables without an
import cycle.
"""
