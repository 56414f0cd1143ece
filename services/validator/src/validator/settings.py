from pydantic import Field

from dataimport.settings import CommonSettings


class ValidatorSettings(CommonSettings):
    service_name: str = "validator"
    http_port: int = 8081
    service_instance: str = Field("validator", description="Instance name (replicas: validator-1, ...): Kafka client id, worker name")
