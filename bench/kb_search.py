"""Knowledge base search: ranked full-text search (SQLite FTS5 / PostgreSQL tsvector)
over many articles, beside a naive substring scan of the same articles in the same run.

    .venv/bin/python bench/kb_search.py --articles 20000 --clients 5 --queries 200
    .venv/bin/python bench/kb_search.py --database-url postgres://root@127.0.0.1/postgres

Articles are generated from a vocabulary with the fixture's fifteen real articles mixed
in for one client; the ten paraphrased questions of the test fixture are asked over and
over. Reports the median and p95 time per question of the ranked search, of the naive
scan (every meaningful word as OR-ed `icontains` on title/keywords/body, unranked), how
many questions still find the right article at rank 1 among the noise, and ends with one
`RESULT` line. Uses a throw-away database.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
FIXTURE = (
    Path(__file__).resolve().parent.parent / "src/tercero/services/care/tests/data/kb_fixture.json"
)
VOCABULARY = [
    "order",
    "delivery",
    "parcel",
    "refund",
    "return",
    "account",
    "password",
    "payment",
    "card",
    "invoice",
    "app",
    "update",
    "install",
    "subscription",
    "membership",
    "gift",
    "voucher",
    "price",
    "address",
    "courier",
    "store",
    "warranty",
    "repair",
    "kettle",
    "toaster",
    "blender",
    "phone",
    "laptop",
    "screen",
    "battery",
    "charger",
    "cable",
    "router",
    "signal",
    "wifi",
    "bluetooth",
    "printer",
    "ink",
    "paper",
    "desk",
    "chair",
    "lamp",
    "fridge",
    "oven",
    "washer",
]


def _setup(database_url: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tercero.config.settings"
    os.environ["TERCERO_VAR_DIR"] = tempfile.mkdtemp(prefix="tercero-bench-")
    if database_url:
        import psycopg

        base, _, _ = database_url.rpartition("/")
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS tercero_bench")
            admin.execute("CREATE DATABASE tercero_bench")
        os.environ["DATABASE_URL"] = f"{base}/tercero_bench"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _clients(count: int) -> list:
    from tercero.platform.tenancy.models import Client, Provider

    provider = Provider.objects.create(name="Bench BPO", country="PH")
    return [
        Client.objects.create(
            provider=provider,
            legal_name=f"Bench Client {n}",
            country="GB",
            time_zone="Europe/London",
            industry_vertical="retail",
        )
        for n in range(count)
    ]


def _load(clients, articles: int, fixture: dict) -> None:
    from tercero.services.care.models import Article

    rng = random.Random(7)
    rows = []
    for n in range(articles):
        words = rng.sample(VOCABULARY, 12)
        rows.append(
            Article(
                client=clients[n % len(clients)],
                slug=f"generated-{n}",
                title=" ".join(words[:4]).capitalize(),
                summary=" ".join(words[4:8]),
                body=" ".join(rng.choice(VOCABULARY) for _ in range(120)),
                keywords=" ".join(words[8:]),
                status="published",
                visibility="public",
            )
        )
    for fields in fixture["articles"]:
        rows.append(
            Article(client=clients[0], status="published", **{"visibility": "public", **fields})
        )
    for start in range(0, len(rows), 2000):  # bulk insert: the triggers / generated
        Article.objects.bulk_create(rows[start : start + 2000])  # column index each row


def _naive(client_ids, text):
    from django.db.models import Q

    from tercero.services.care.models import Article
    from tercero.services.care.selectors import search_terms

    matching = Q()
    for term in search_terms(text):
        matching |= Q(title__icontains=term) | Q(keywords__icontains=term)
        matching |= Q(body__icontains=term)
    return list(
        Article.objects.filter(client_id__in=client_ids, status="published")
        .filter(matching)
        .values_list("slug", flat=True)[:10]
    )


def _timed(fn, rounds):
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    _setup(args.database_url)
    from django.db import connection

    from tercero.platform.tenancy.scoping import all_clients_scope
    from tercero.services.care.selectors import search_articles

    fixture = json.loads(FIXTURE.read_text())
    with all_clients_scope():
        clients = _clients(args.clients)
        started = time.perf_counter()
        _load(clients, args.articles, fixture)
        load_s = time.perf_counter() - started
        ids = [clients[0].pk]
        questions = fixture["questions"]
        ranked_ms, naive_ms, right, naive_right = [], [], 0, 0
        for n in range(args.queries):
            question, expected = questions[n % len(questions)]
            times, found = _timed(
                lambda q=question: search_articles(client_ids=ids, text=q, audience="public"), 1
            )
            ranked_ms += times
            right += bool(found) and found[0].slug == expected
            times, slugs = _timed(lambda q=question: _naive(ids, q), 1)
            naive_ms += times
            naive_right += bool(slugs) and slugs[0] == expected
    engine = connection.vendor
    ranked = statistics.median(ranked_ms)
    naive = statistics.median(naive_ms)
    p95 = statistics.quantiles(ranked_ms, n=20)[-1]
    print(
        f"engine {engine}: {args.articles} generated + 15 real articles over {args.clients} clients"
    )
    print(f"loaded (with index upkeep) in {load_s:.1f} s")
    print(f"ranked full-text search: median {ranked:.2f} ms, p95 {p95:.2f} ms per question")
    print(f"naive substring scan (unranked): median {naive:.2f} ms per question")
    print(f"right article first: ranked {right}, naive {naive_right} of {args.queries}")
    print(
        f"RESULT engine={engine} articles={args.articles} queries={args.queries} "
        f"ranked_median_ms={ranked:.2f} ranked_p95_ms={p95:.2f} naive_median_ms={naive:.2f} "
        f"ratio_naive_over_ranked={naive / ranked:.1f} right_first={right}/{args.queries} "
        f"naive_right_first={naive_right}/{args.queries} "
        f"load_s={load_s:.1f}"
    )
    return 0 if right == args.queries else 1


if __name__ == "__main__":
    sys.exit(main())
