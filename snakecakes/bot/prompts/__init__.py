"""Prompt templates (Jinja2 files) and the registry that renders them per bot."""

from snakecakes.bot.prompts.registry import PromptRegistry

__all__ = ["PromptRegistry"]
