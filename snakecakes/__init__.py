"""Snake Cakes: a WhatsApp Cloud API bot for a cake shop."""

__version__ = "0.1.0"
