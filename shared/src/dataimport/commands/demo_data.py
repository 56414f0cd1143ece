"""``dataimport demo-data``: write the demo source table (realistic, seeded, ~5% messy records)."""

from __future__ import annotations

import argparse
import sys

from dataimport.commands.load import _location, load_into
from dataimport.demo_data import reader
from dataimport.settings import CommonSettings
from dataimport.warehouse.factory import make_warehouse
from dataimport.warehouse.names import InvalidName, check_table_name, org_schema
from dataimport.warehouse.port import WarehouseError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo-data", help="write the demo customer registrations table (overwrite)")
    p.add_argument("--org", type=int, default=1001, help="org id (default 1001)")
    p.add_argument("--table", default="customer_registration_10k", help="table name")
    p.add_argument("--rows", type=int, default=10_000, help="number of records (default 10000)")
    p.add_argument("--seed", type=int, default=1001, help="random seed (default 1001)")
    p.add_argument("--batch-size", type=int, default=50_000, help="records generated per batch")
    p.set_defaults(func=run)


async def run(args: argparse.Namespace) -> int:
    try:
        check_table_name(args.table)
        org_schema(args.org)
        if args.rows < 0 or args.batch_size <= 0:
            raise ValueError("--rows must be >= 0 and --batch-size > 0")
    except (InvalidName, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    warehouse = make_warehouse(CommonSettings())
    try:
        rows = await load_into(
            warehouse, args.org, args.table, reader(args.rows, args.seed, batch_size=args.batch_size), "overwrite"
        )
    except WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await warehouse.close()
    print(f"wrote {rows} demo records into {_location(warehouse, args.org, args.table)}")
    return 0
