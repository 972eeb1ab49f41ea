"""`snakecakes knowledge add PATH... | list | remove ID_OR_SOURCE | search QUESTION | feedback`.

`--bot PHONE_NUMBER_ID` picks the bot, else the default bot (or the only one). Needs only the
database (no secrets): the bots table names the bots without decrypting anything.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from snakecakes.config import Settings, SettingsError
from snakecakes.db.models import Bot
from snakecakes.knowledge import answers, feedback, store
from snakecakes.knowledge.ingest import IngestError
from snakecakes.knowledge.search import search


def add_knowledge_parser(sub: Any) -> None:
    """Register `knowledge ...` on the main parser's subparsers."""
    parser = sub.add_parser("knowledge", help="the documents the bot answers questions from")
    commands = parser.add_subparsers(dest="knowledge_command", required=True)
    add = commands.add_parser("add", help="add or replace documents (.md .txt .html .pdf)")
    add.add_argument("paths", nargs="+", metavar="PATH")
    commands.add_parser("list", help="list documents")
    remove = commands.add_parser("remove", help="remove a document, by id or source")
    remove.add_argument("keys", nargs="+", metavar="ID_OR_SOURCE")
    ask = commands.add_parser("search", help="show what search finds, and the offline answer")
    ask.add_argument("question")
    commands.add_parser("feedback", help="👍/👎 counts per document")
    for command in commands.choices.values():
        command.add_argument("--bot", metavar="PHONE_NUMBER_ID", help="default: the default bot")


def knowledge_command(settings: Settings, args: argparse.Namespace) -> int:
    from snakecakes.cli import open_database

    db = open_database(settings, auto_upgrade=False)
    try:
        with db.transaction() as session:
            bot_id = resolve_bot(session, args.bot)
            return _run(session, bot_id, args)
    finally:
        db.dispose()


def resolve_bot(session: Session, phone_number_id: str | None) -> int:
    bots = session.execute(select(Bot.id, Bot.phone_number_id, Bot.is_default)).all()
    if phone_number_id:
        found = [b.id for b in bots if b.phone_number_id == phone_number_id]
        if not found:
            raise SettingsError(f"--bot: no bot with phone_number_id {phone_number_id}")
        return int(found[0])
    default = [b.id for b in bots if b.is_default] or (
        [b.id for b in bots] if len(bots) == 1 else []
    )
    if not default:
        raise SettingsError(
            "no default bot: name one with --bot PHONE_NUMBER_ID (see `snakecakes bots list`)"
        )
    return int(default[0])


def _run(session: Session, bot_id: int, args: argparse.Namespace) -> int:
    command = args.knowledge_command
    if command == "add":
        failed = 0
        for path in args.paths:
            try:
                result = store.add_path(session, bot_id, path)
            except IngestError as exc:
                print(f"snakecakes: {exc}", file=sys.stderr)
                failed += 1
                continue
            doc = result.document
            print(f"{result.status}\t{doc.id}\t{doc.chunks} chunks\t{doc.title}\t{doc.source}")
        return 1 if failed else 0
    if command == "list":
        for doc in store.list_documents(session, bot_id):
            when = doc.updated_at.strftime("%Y-%m-%d %H:%M")
            print(f"{doc.id}\t{doc.kind}\t{doc.chunks} chunks\t{when}\t{doc.title}\t{doc.source}")
        return 0
    if command == "remove":
        missing = 0
        for key in args.keys:
            removed = store.remove_document(session, bot_id, key)
            if removed is None:
                print(f"snakecakes: no document {key}", file=sys.stderr)
                missing += 1
            else:
                print(f"removed\t{removed.id}\t{removed.title}")
        return 1 if missing else 0
    if command == "search":
        for passage in search(session, bot_id, args.question):
            where = passage.source.title + (f" > {passage.heading}" if passage.heading else "")
            print(f"{passage.score:.2f}\t{where}")
        answer = answers.find_answer(session, bot_id, args.question)
        print("\n" + (answer.text if answer else "(no answer: below the threshold)"))
        return 0
    for row in feedback.counts_per_document(session, bot_id):
        print(f"{row.document_id}\t{row.answers} answers\t+{row.up} -{row.down}\t{row.title}")
    return 0
