"""Chats, sessions and history: what the engines remember about each customer."""

from snakecakes.bot.chat.repository import ChatRepository, ChatView, HistoryItem, SessionView

__all__ = ["ChatRepository", "ChatView", "HistoryItem", "SessionView"]
