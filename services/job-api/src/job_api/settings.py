from pydantic import Field

from dataimport.settings import CommonSettings


class JobApiSettings(CommonSettings):
    service_name: str = "job-api"
    http_port: int = 8080
    service_instance: str = Field("job-api", description="Instance name (replicas: validator-1, ...): Kafka client id, worker name")
    max_body_bytes: int = Field(1_048_576, description="Largest accepted request body (bytes); larger gets 413")
    outbox_poll_seconds: float = Field(0.2, description="How often the outbox relay looks for unpublished events")
    stalled_after_seconds: int = Field(600, description="A running job with no progress for this long is stalled")
