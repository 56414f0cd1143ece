from dataimport.settings import CommonSettings


class IngestorSettings(CommonSettings):
    service_name: str = "ingestor"
    http_port: int = 8082
    service_instance: str = "ingestor"
