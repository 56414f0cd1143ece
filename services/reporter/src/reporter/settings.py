from pydantic import Field

from dataimport.settings import CommonSettings


class ReporterSettings(CommonSettings):
    service_name: str = "reporter"
    http_port: int = 8083
    service_instance: str = Field("reporter", description="Instance name (replicas: validator-1, ...): Kafka client id, worker name")
    report_part_rows: int = Field(
        50_000,
        ge=1,
        description="Rows per report part: consecutive source chunks are grouped into parts of about this many rows, "
        "each one warehouse commit (fewer, larger commits); memory of a part is bounded by it",
    )
