from pydantic import Field

from dataimport.settings import CommonSettings


class IngestorSettings(CommonSettings):
    service_name: str = "ingestor"
    http_port: int = 8082
    service_instance: str = Field("ingestor", description="Instance name (replicas: validator-1, ...): Kafka client id, worker name")
