"""Settings shared by every service (pydantic-settings: environment variables, case-insensitive).

Each service subclasses :class:`CommonSettings` with its own fields and its own default HTTP port.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    service_name: str = Field("dataimport", description="Service name in logs and metrics (set by each service)")
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers, comma separated")
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="Kafka security protocol"
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism when the protocol is SASL_*"
    )
    kafka_sasl_username: str | None = Field(None, description="SASL user name")
    kafka_sasl_password: str | None = Field(None, description="SASL password")
    topic_partitions: int = Field(6, description="Partitions of each topic created by `dataimport topics create`")
    topic_replication_factor: int = Field(1, description="Replication factor of created topics")
    database_url: str = Field(
        "postgresql://dataimport:dataimport@127.0.0.1:5432/dataimport",
        description="PostgreSQL DSN: job state and the customer database",
    )
    warehouse: Literal["delta", "databricks"] = Field("delta", description="Warehouse adapter")
    warehouse_uri: str = Field("./.data/warehouse", description="Root of the Delta warehouse (delta adapter)")
    databricks_server_hostname: str | None = Field(None, description="Databricks workspace host (WAREHOUSE=databricks)")
    databricks_http_path: str | None = Field(None, description="HTTP path of the SQL warehouse")
    databricks_token: str | None = Field(None, description="Personal access token (or use OAuth M2M below)")
    databricks_client_id: str | None = Field(None, description="OAuth machine-to-machine: service principal id")
    databricks_client_secret: str | None = Field(None, description="OAuth machine-to-machine: secret")
    databricks_catalog: str | None = Field(None, description="Unity Catalog catalog holding import_<org_id> schemas")
    databricks_staging_volume: str | None = Field(
        None, description="Unity Catalog volume for staged report files, /Volumes/<catalog>/<schema>/<volume>"
    )
    chunk_size: int = Field(10_000, description="Records per chunk (validation, ingestion, report parts)")
    report_part_rows: int = Field(
        50_000,
        ge=1,
        description="Rows per report part: consecutive chunks are grouped into parts of about this many rows, each "
        "one warehouse commit (fewer, larger commits). Read by job-api, which freezes it into each job (with the "
        "chunk size) when validation starts",
    )
    chunk_window: int = Field(
        12,
        description="Chunk requests of one job in flight at once; each finished chunk requests the next, so the "
        "chunks of a job submitted later interleave instead of queueing behind a large job",
    )
    log_level: str = Field("INFO", description="Log level")
    log_format: Literal["json", "console"] = Field("json", description="Log format")
    http_host: str = Field("127.0.0.1", description="Address of the service's HTTP server")
    http_port: int = Field(8080, description="Port of the service's HTTP server (API, /metrics, /livez, /readyz)")
