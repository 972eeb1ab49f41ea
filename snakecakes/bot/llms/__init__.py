"""Engines: what turns customers' messages into replies (OpenAI tools, offline, test echo)."""
