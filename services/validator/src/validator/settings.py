from dataimport.settings import CommonSettings


class ValidatorSettings(CommonSettings):
    service_name: str = "validator"
    http_port: int = 8081
    service_instance: str = "validator"
