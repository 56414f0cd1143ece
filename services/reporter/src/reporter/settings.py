from dataimport.settings import CommonSettings


class ReporterSettings(CommonSettings):
    service_name: str = "reporter"
    http_port: int = 8083
    service_instance: str = "reporter"
