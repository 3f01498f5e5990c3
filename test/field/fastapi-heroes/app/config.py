import os
from functools import lru_cache


class Settings:
    def __init__(self) -> None:
        self.database_url = os.environ.get("DATABASE_URL", "sqlite:///./heroes.db")
        self.api_token = os.environ.get("API_TOKEN", "fake-super-secret-token")


@lru_cache
def get_settings() -> Settings:
    return Settings()
