"""workbench.toml: one config file, validated on load, with errors that name the key.

Every section has defaults, so a bare FOCUS export works with no config at all.
Relative paths are resolved against the config file's folder (or the working
directory when there is no file).
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from workbench.errors import ConfigError, WorkbenchError
from workbench.months import is_month

CONFIG_NAME = "workbench.toml"

WORKLOAD_CLASSES = (
    "training",
    "fine-tuning",
    "batch-inference",
    "realtime-inference",
    "embeddings",
    "retrieval",
    "evaluation",
    "experimentation",
    "data-preparation",
    "platform",
)
UNCLASSIFIED = "unclassified"

# How FOCUS names an AI model in SkuPriceDetails ("ModelId": "..."; x_ModelId, model_id too).
MODEL_ID_KEY = r'"(?:x_)?model_?id"\s*:\s*"'

# Columns a workload rule may test (FOCUS names).
RULE_COLUMNS = (
    "ServiceName", "ServiceCategory", "ServiceSubcategory", "SkuId", "SkuMeter",
    "ResourceType", "ResourceName", "ResourceId", "ChargeDescription", "PricingUnit",
    "ConsumedUnit", "SubAccountName", "SkuPriceDetails",
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _no_blank_path(v: str | None) -> str | None:
    # "" would resolve to the config's own folder: read as exports (every file under it) or
    # as the store. The command line refuses an empty path for the same reason.
    if v is not None and not v.strip():
        raise ValueError("an empty path; name a file or folder, or leave the key out")
    return v


PathText = Annotated[str, AfterValidator(_no_blank_path)]


class DataConfig(_Section):
    focus: list[PathText] = Field(default_factory=lambda: ["data/sample/focus"])
    store: PathText = "data/workbench.duckdb"
    drivers: PathText | None = "data/sample/drivers.csv"
    org: PathText | None = "data/sample/org.csv"
    budgets: PathText | None = "data/sample/budgets.csv"
    telemetry: PathText | None = "data/sample/telemetry.csv"
    quality: PathText | None = "data/sample/quality.csv"


def _no_blank_key(v: str) -> str:
    # No tag is keyed "" (a template's unset variable): the dimension would be Unallocated
    # without a word, and after a prefix it would name keys that end in one (`user:`).
    if not v.strip():
        raise ValueError("an empty tag key; name a key, such as \"team\", or leave it out")
    return v


TagKeys = Annotated[list[Annotated[str, AfterValidator(_no_blank_key)]], Field(min_length=1)]


class TagsConfig(_Section):
    """Which tag keys (tried in order, case-insensitive) carry each business dimension."""

    team: TagKeys = ["team", "owner_team", "squad", "group"]
    cost_center: TagKeys = ["cost_center", "costcenter", "cost-center", "cost center"]
    environment: TagKeys = ["environment", "env", "stage"]
    workload: TagKeys = ["workload", "workload_class", "workload-class"]
    model: TagKeys = ["model", "model_name", "model-id"]
    application: TagKeys = ["application", "app", "product"]
    owner: TagKeys = ["owner", "contact", "created_by"]


class WorkloadRule(_Section):
    """First matching rule wins; every regex in `match` must match its column (search, not full match)."""

    workload_class: str = Field(alias="class")
    match: dict[str, str]

    @field_validator("workload_class")
    @classmethod
    def _known_class(cls, v: str) -> str:
        if v not in WORKLOAD_CLASSES:
            raise ValueError(f"unknown workload class {v!r}; use one of {', '.join(WORKLOAD_CLASSES)}")
        return v

    @field_validator("match")
    @classmethod
    def _valid_match(cls, v: dict[str, str]) -> dict[str, str]:
        if not v:
            raise ValueError("needs at least one column to match")
        for col, pattern in v.items():
            if col not in RULE_COLUMNS:
                raise ValueError(f"cannot match on {col!r}; use one of {', '.join(RULE_COLUMNS)}")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{col}: bad regular expression {pattern!r}: {exc}") from None
        return v


def _rule(cls: str, **match: str) -> WorkloadRule:
    return WorkloadRule.model_validate({"class": cls, "match": match})


# Defaults that recognise AI services in any provider's FOCUS export; order matters.
DEFAULT_WORKLOAD_RULES = [
    _rule("fine-tuning", ResourceName=r"(?i)fine[-_ ]?tun|\bft[-_]"),
    _rule("fine-tuning", SkuMeter=r"(?i)fine[-_ ]?tun"),
    _rule("embeddings", SkuMeter=r"(?i)embed"),
    # an embedding model billed as "Input Tokens": its FOCUS ModelId names it
    _rule("embeddings", SkuPriceDetails=r"(?i)" + MODEL_ID_KEY + r'[^"]*embed'),
    _rule("embeddings", ResourceName=r"(?i)embed"),
    _rule("retrieval", ServiceName=r"(?i)vector|pinecone|opensearch|ai search|cognitive search|vertex ai vector|weaviate|qdrant"),
    _rule("retrieval", ResourceName=r"(?i)vector|retriev|rag[-_]|index"),
    _rule("evaluation", ResourceName=r"(?i)eval"),
    _rule("training", ResourceName=r"(?i)train|pretrain"),
    _rule("training", SkuMeter=r"(?i)training"),
    _rule("batch-inference", ResourceName=r"(?i)batch"),
    _rule("batch-inference", SkuMeter=r"(?i)batch"),
    _rule("realtime-inference", ResourceName=r"(?i)endpoint|serving|inference|realtime|real-time"),
    _rule("realtime-inference", SkuMeter=r"(?i)input tokens|output tokens|tokens"),
    # FOCUS 1.0 has no SkuMeter: an LLM API is told by its unit (1K Tokens) there
    _rule("realtime-inference", ConsumedUnit=r"(?i)tokens"),
    _rule("realtime-inference", PricingUnit=r"(?i)tokens"),
    _rule("experimentation", ResourceName=r"(?i)notebook|sandbox|jupyter|studio|experiment"),
    _rule("experimentation", ServiceName=r"(?i)notebook|workbench|studio"),
    _rule("data-preparation", ResourceName=r"(?i)etl|dataprep|data-prep|ingest|feature|lake|snapshot|dataset"),
    _rule("data-preparation", ServiceName=r"(?i)glue|dataflow|dataproc|data factory|emr|databricks"),
    _rule("platform", ResourceName=r"(?i)k8s|kubernetes|eks|aks|gke|monitor|observab|logging|platform|shared"),
    _rule("platform", ServiceName=r"(?i)kubernetes|monitor|cloudwatch|logging|support|security|key vault|kms"),
]


class ReportConfig(_Section):
    month: str | None = None  # YYYY-MM; default: the last month every provider's data covers
    out: PathText | None = None  # default: reports/<YYYY-MM>/
    notebooks: list[str] = Field(default_factory=list)  # default: every notebook in notebooks/
    pdf: bool = True

    @field_validator("month")
    @classmethod
    def _month(cls, v: str | None) -> str | None:
        if v and not is_month(v):
            raise ValueError(f"{v!r} is not a month like 2026-05")
        return v or None


class AppConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8866, ge=1, le=65535)
    pool_size: int = Field(default=2, ge=0, le=16)

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        # Voila reads an empty address as every interface: the apps, which have no login,
        # would be open to anyone who can reach the machine.
        if not v.strip():
            raise ValueError("an empty host would serve on every interface; use 127.0.0.1 "
                             "(this machine only) or name the address to serve on")
        return v


class Config(_Section):
    data: DataConfig = Field(default_factory=DataConfig)
    tags: TagsConfig = Field(default_factory=TagsConfig)
    workloads: list[WorkloadRule] = Field(default_factory=lambda: list(DEFAULT_WORKLOAD_RULES))
    report: ReportConfig = Field(default_factory=ReportConfig)
    app: AppConfig = Field(default_factory=AppConfig)
    # Places for the sections of capabilities still to come: the name is known, and a key
    # written in one is an unknown key until the capability reads it (never ignored).
    allocation: _Section = Field(default_factory=_Section)
    budgets: _Section = Field(default_factory=_Section)
    scenarios: _Section = Field(default_factory=_Section)
    forecast: _Section = Field(default_factory=_Section)

    root: Path = Field(default_factory=Path.cwd, exclude=True)
    file: Path | None = Field(default=None, exclude=True)  # None: no config file, defaults

    def path(self, value: str) -> Path:
        """A configured path, resolved against the config file's folder."""
        p = Path(os.path.expanduser(value))  # `~old`, no such user: as it is (pathlib raises)
        return p if p.is_absolute() else self.root / p


def focus_paths(config: Config, how: str) -> list[str]:
    """The [data].focus paths, resolved; `how` says how to name exports instead ("PATH...").

    Without a config file they are the default, the bundled sample's folder, which exists
    only in a checkout: elsewhere, say that no config was found rather than only that a
    folder the user never named is missing."""
    paths = [str(config.path(p)) for p in config.data.focus]
    if config.file is None and not any(Path(p).exists() for p in paths):
        raise WorkbenchError(
            f"no exports named and no {CONFIG_NAME} in {Path.cwd()} or a folder above it (the "
            f"default [data] focus, {', '.join(paths)}, is not there): pass {how}, or set "
            f"[data] focus in a {CONFIG_NAME}")
    return paths


def _key(loc: tuple) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")


def parse_config(text: str, source: str = CONFIG_NAME, root: Path | None = None) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    for key in ("root", "file"):  # set below, never read from the file
        if key in raw:
            raise ConfigError(f"{source}: {key}: unknown key")
    try:
        # strict: TOML has types, and a value of another (pdf = "no", pool_size = true) is a
        # mistake to name, not to convert
        return Config.model_validate({**raw, "root": root or Path.cwd(), "file": Path(source)},
                                     strict=True)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"{source}: {_key(err['loc'])}: {_message(err)}") from None


_TYPES = {"bool_type": "true or false", "int_type": "a whole number",
          "string_type": "a quoted string"}


def _message(err: dict) -> str:
    """Pydantic's message in the file's terms: TOML tables and lists, not Python classes."""
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] in ("model_type", "dict_type"):  # "... or instance of DataConfig"
        return "should be a table (a [section] or { key = value, ... })"
    if err["type"] in _TYPES:
        return f"should be {_TYPES[err['type']]}, not {_as_toml(err.get('input'))}"
    if err["type"] == "list_type" and err["loc"] == ("workloads",):  # [workloads], one table
        return "should be a list of tables: write each one as [[workloads]]"
    if err["type"] == "list_type" and isinstance(err.get("input"), str):
        return f"should be a list, like [{_as_toml(err['input'])}]"
    if err["type"] == "list_type":
        return f"should be a list, not {_as_toml(err.get('input'))}"
    return err["msg"].removeprefix("Value error, ")


def _as_toml(value) -> str:
    """A value as the file writes it (true, ["a"], { a = 1 }, nan), not as Python shows it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str | int | float):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(map(_as_toml, value)) + "]"
    if isinstance(value, dict):
        pairs = (f"{k if re.fullmatch(r'[A-Za-z0-9_-]+', k) else json.dumps(k)} = {_as_toml(v)}"
                 for k, v in value.items())
        return "{ " + ", ".join(pairs) + " }" if value else "{}"
    return value.isoformat()  # a date, a time or a date-time


def find_config(start: Path | None = None) -> Path | None:
    """The nearest workbench.toml in `start` (default: cwd) or a parent folder.

    Notebooks run with notebooks/ as their working directory; this finds the project's file.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
    return None


def load_config(path: str | Path | None = None) -> Config:
    """Load `path`, or the nearest workbench.toml (see find_config), or the defaults."""
    if path is None:  # WORKBENCH_CONFIG: set by `workbench report/app` for their kernels
        path = os.environ.get("WORKBENCH_CONFIG") or find_config()
        if path is None:
            return Config()
    path = Path(os.path.expanduser(path))  # WORKBENCH_CONFIG=~/x.toml where no shell expands it
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM, as Windows editors may write
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: a folder, not a config file; name the file, such as "
                          f"{path / 'workbench.toml'}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {(exc.strerror or str(exc)).lower()}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read config: not UTF-8 text (byte {exc.start + 1}); "
                          "save it as UTF-8") from None
    return parse_config(text, str(path), path.resolve().parent)
