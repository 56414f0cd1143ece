from pydantic import Field

from dataimport.settings import CommonSettings


class ReporterSettings(CommonSettings):
    service_name: str = "reporter"
    http_port: int = 8083
    service_instance: str = Field("reporter", description="Instance name (replicas: validator-1, ...): Kafka client id, worker name")
