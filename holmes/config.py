"""One typed settings object: a YAML file plus HOLMES_* environment variables, loaded once and passed down."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from platformdirs import user_config_dir
from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from holmes.errors import UserError

DEFAULT_CONFIG = Path(user_config_dir("holmes")) / "config.yaml"


class KubernetesSettings(BaseModel):
    kubeconfig: str | None = None
    context: str | None = None
    request_timeout_s: float = 15.0


class PrometheusSettings(BaseModel):
    url: str | None = None
    bearer_token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    verify_tls: bool = True
    ca_file: str | None = None
    timeout_s: float = 10.0


class LLMSettings(BaseModel):
    provider: Literal["none", "openai", "azure", "local"] = "none"
    model: str = ""
    base_url: str | None = None
    api_key: SecretStr | None = None
    api_version: str | None = None  # azure
    azure_deployment: str | None = None
    gguf_path: str | None = None  # local
    chat_format: str | None = None  # local (llama.cpp chat format)
    temperature: float = 0.0
    context_window: int = 8192
    max_output_tokens: int = 1024
    timeout_s: float = 60.0
    max_retries: int = 3
    # price per million tokens, (input, output); the default is free (self-hosted)
    price_per_mtok_input: float = 0.0
    price_per_mtok_output: float = 0.0


class AgentSettings(BaseModel):
    max_steps: int = 8
    max_total_tokens: int = 60000
    max_wall_s: float = 180.0
    max_cost: float = 1.0
    tool_result_share: float = 0.25  # share of the context window one tool result may take


class ServiceSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: str = ".holmes-data"
    database_url: str | None = None  # default: sqlite in data_dir
    bearer_token: SecretStr | None = None
    basic_username: str | None = None
    basic_password: SecretStr | None = None
    max_body_bytes: int = 1_048_576
    workers: int = 2
    outgoing_webhook_url: str | None = None


class SlackRoute(BaseModel):
    channel: str
    match: dict[str, str] = Field(default_factory=dict)  # alert label -> value


class SlackSettings(BaseModel):
    bot_token: SecretStr | None = None
    app_token: SecretStr | None = None  # socket mode
    signing_secret: SecretStr | None = None  # HTTP mode
    base_url: str | None = None  # Web API base URL (tests point it at a local stub)
    allowed_channels: list[str] = Field(default_factory=list)
    allowed_users: list[str] = Field(default_factory=list)
    rate_limit_per_minute: int = 6
    alert_routes: list[SlackRoute] = Field(default_factory=list)
    default_channel: str | None = None


class Settings(BaseSettings):
    """Everything configurable. File keys mirror these fields; env uses HOLMES_ and `__` for nesting."""

    model_config = SettingsConfigDict(env_prefix="HOLMES_", env_nested_delimiter="__", extra="forbid")

    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    runbook_dirs: list[str] = Field(default_factory=list)
    toolset_dirs: list[str] = Field(default_factory=list)
    toolsets: dict[str, dict[str, Any]] = Field(default_factory=dict)  # per-toolset overrides, e.g. {enabled: false}
    tool_timeout_s: float = 20.0
    tool_token_budget: int = 4000
    # model architecture facts added to or correcting holmes/data/models.yaml (gpu_memory_fit), by model key
    gpu_models: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        # environment wins over the file (passed as init values)
        return env_settings, init_settings


def load_settings(path: str | Path | None = None) -> Settings:
    """Load the config file (explicit path, $HOLMES_CONFIG, or the user's config dir) and the environment."""
    explicit = path or os.environ.get("HOLMES_CONFIG")
    file = Path(explicit) if explicit else DEFAULT_CONFIG
    values: dict[str, Any] = {}
    if file.exists():
        try:
            loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{file}:{mark.line + 1}" if mark else str(file)
            raise UserError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{file}: cannot read config: {exc}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise UserError(f"{file}: the config must be a mapping of keys, not {type(loaded).__name__}")
        values = loaded or {}
    elif explicit:
        raise UserError(f"{file}: config file not found")
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise UserError(f"{file}: key '{key}': {first['msg']}{more}") from None


def masked(settings: Settings) -> dict[str, Any]:
    """The settings as plain data with every secret shown as '***' (set) or null (unset)."""
    return settings.model_dump(mode="json")  # SecretStr dumps as '**********'
