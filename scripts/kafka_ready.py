"""Exit 0 when the Kafka cluster at argv[1] answers a metadata request with at least one broker."""

import asyncio
import sys

from aiokafka.admin import AIOKafkaAdminClient


async def main(bootstrap: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await asyncio.wait_for(admin.start(), 5)
        meta = await asyncio.wait_for(admin.describe_cluster(), 5)
        return 0 if meta.get("brokers") and meta.get("controller_id", -1) >= 0 else 1
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready yet"
        print(f"not ready: {exc!r}", file=sys.stderr)
        return 1
    finally:
        try:
            await admin.close()
        except Exception:  # noqa: BLE001
            pass


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9092")))
