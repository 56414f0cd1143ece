"""``dataimport topics create``: create every topic (idempotent)."""

from __future__ import annotations

import argparse

from dataimport.kafka import create_topics
from dataimport.settings import CommonSettings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("topics", help="Kafka topics")
    tsub = p.add_subparsers(dest="topics_command", required=True)
    c = tsub.add_parser("create", help="create every dataimport topic that does not exist")
    c.set_defaults(func=run_create)


async def run_create(args: argparse.Namespace) -> int:
    s = CommonSettings()
    created = await create_topics(s.kafka_bootstrap_servers, s.topic_partitions, s.topic_replication_factor)
    print("topics created: " + (", ".join(created) if created else "none (all exist)"))
    return 0
