"""One typed settings object: a YAML file plus HOLMES_* environment variables, loaded once and passed down."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from platformdirs import user_config_dir
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from holmes.errors import UserError

DEFAULT_CONFIG = Path(user_config_dir("holmes")) / "config.yaml"
ENV_PREFIX = "HOLMES_"


class Section(BaseModel):
    """A config section: a misspelt key is an error, not a silently ignored setting."""

    model_config = ConfigDict(extra="forbid")


class KubernetesSettings(Section):
    kubeconfig: str | None = None
    context: str | None = None
    request_timeout_s: float = Field(default=15.0, gt=0)


class PrometheusSettings(Section):
    url: str | None = None
    bearer_token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    verify_tls: bool = True
    ca_file: str | None = None
    timeout_s: float = Field(default=10.0, gt=0)


class LLMSettings(Section):
    provider: Literal["none", "openai", "azure", "local"] = "none"
    model: str = ""
    base_url: str | None = None
    api_key: SecretStr | None = None
    api_version: str | None = None  # azure
    azure_deployment: str | None = None
    gguf_path: str | None = None  # local
    chat_format: str | None = None  # local (llama.cpp chat format)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    context_window: int = Field(default=8192, gt=0)
    max_output_tokens: int = Field(default=1024, gt=0)
    timeout_s: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=3, ge=0)
    # price per million tokens, (input, output); the default is free (self-hosted)
    price_per_mtok_input: float = Field(default=0.0, ge=0)
    price_per_mtok_output: float = Field(default=0.0, ge=0)


class AgentSettings(Section):
    max_steps: int = Field(default=8, ge=1)
    max_total_tokens: int = Field(default=60000, gt=0)
    max_wall_s: float = Field(default=180.0, gt=0)
    max_cost: float = Field(default=1.0, ge=0)
    tool_result_share: float = Field(default=0.25, gt=0, le=1)  # share of the context window one tool result may take


class ServiceSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    data_dir: str = ".holmes-data"
    database_url: str | None = None  # default: sqlite in data_dir
    bearer_token: SecretStr | None = None
    basic_username: str | None = None
    basic_password: SecretStr | None = None
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    workers: int = Field(default=2, ge=1)
    outgoing_webhook_url: str | None = None


class SlackRoute(Section):
    channel: str
    match: dict[str, str] = Field(default_factory=dict)  # alert label -> value


class SlackSettings(Section):
    bot_token: SecretStr | None = None
    app_token: SecretStr | None = None  # socket mode
    signing_secret: SecretStr | None = None  # HTTP mode
    base_url: str | None = None  # Web API base URL (tests point it at a local stub)
    allowed_channels: list[str] = Field(default_factory=list)
    allowed_users: list[str] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(default=6, ge=0)
    alert_routes: list[SlackRoute] = Field(default_factory=list)
    default_channel: str | None = None


class Settings(BaseSettings):
    """Everything configurable. File keys mirror these fields; env uses HOLMES_ and `__` for nesting."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid")

    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    runbook_dirs: list[str] = Field(default_factory=list)
    toolset_dirs: list[str] = Field(default_factory=list)
    toolsets: dict[str, dict[str, Any]] = Field(default_factory=dict)  # per-toolset overrides, e.g. {enabled: false}
    tool_timeout_s: float = Field(default=20.0, gt=0)
    tool_token_budget: int = Field(default=4000, gt=0)
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
    except SettingsError as exc:  # a HOLMES_* variable holding a list or mapping that is not JSON
        raise UserError(f"{_env_source(str(exc))}: not valid JSON; lists and mappings in the environment are JSON, "
                        "e.g. HOLMES_RUNBOOK_DIRS='[\"/etc/holmes/runbooks\"]'") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise UserError(f"{_origin(first['loc'], file)}: key '{key}': {first['msg']}{more}") from None


def _origin(loc: tuple[int | str, ...], file: Path) -> str:
    """The HOLMES_* variable that set the bad key (environment wins over the file), else the file."""
    names = {name.upper() for name in os.environ if name.upper().startswith(ENV_PREFIX)}
    parts = [str(part).upper() for part in loc]
    for depth in range(len(parts), 0, -1):
        name = ENV_PREFIX + "__".join(parts[:depth])
        if name in names:
            return f"environment {name}"
    return str(file)


def _env_source(message: str) -> str:
    """The variable named by pydantic-settings' parse error ('error parsing value for field "llm" ...')."""
    import re

    match = re.search(r'field "([^"]+)"', message)
    return f"environment {ENV_PREFIX}{match.group(1).upper()}" if match else "environment"


def masked(settings: Settings) -> dict[str, Any]:
    """The settings as plain data with every secret shown as '***' (set) or null (unset)."""
    return settings.model_dump(mode="json")  # SecretStr dumps as '**********'
