"""The Act II scenario: every constant the engine uses, loaded from one TOML file.

The shipped file, ``scenario.toml`` beside this module, holds each constant's value, unit and
source (the published lab, a datasheet, a paper, or "modelling assumption" with its reason).
This module validates it into a frozen :class:`Scenario`, and exposes each constant of the
scenario *in force* as an upper-case module attribute (``scenario.P99_SLO_MS``), so the model's
formulas read ``sc.NAME`` at call time.

:func:`use_scenario` loads another file (``--scenario FILE`` on every command): keys it leaves
out keep the shipped value; an unknown key, a wrong type or a value outside the range allowed
here raises :class:`ScenarioError`, which names the key, the value and what is allowed. The
commands and the lab load a file through ``engine.load_scenario``, which also checks the
scenario as a whole: its carbon baseline must meet every constraint but carbon, and the
budget.

Which scenario is in force is a modelling-free choice made here: the process has one (the file
it was started with), and :func:`using` puts another in force for a block, in that thread or
task only (a context variable, as :func:`decimal.localcontext` does for precision). So one lab
session can score a design under an edited constant while another session, in its own thread,
keeps the class's scenario. No module attribute is ever rewritten: ``sc.NAME`` is looked up in
the scenario in force, and every cache of a scenario-dependent result is keyed by its
:attr:`Scenario.fingerprint`.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from constraintlab.model.strategies import STRATEGY_KEYS

SHIPPED_PATH = Path(__file__).with_name("scenario.toml")
STRATEGIES = STRATEGY_KEYS
ROUTING_POLICIES = ("pooled", "random")  # how the load balancer picks a replica


class ScenarioError(ValueError):
    """A scenario file that cannot be used: names the key, the value and what is allowed."""

    def __init__(self, key: str, value: object, allowed: str) -> None:
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(f"scenario {key}: {value!r} is not allowed; expected {allowed}")


@dataclass(frozen=True)
class Rule:
    """What a constant may be: a number in [low, high] (an integer if ``integer``), or a choice."""

    low: float = 0.0
    high: float = math.inf
    integer: bool = False
    choices: tuple[str, ...] = ()
    low_open: bool = False

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        kind = "an integer" if self.integer else "a number"
        left = "(" if self.low_open else "["
        return f"{kind} in {left}{self.low:g}, {self.high:g}]"

    def check(self, key: str, value: object) -> float | str:
        if self.choices:
            if not isinstance(value, str) or value not in self.choices:
                raise ScenarioError(key, value, self.allowed())
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(key, value, self.allowed())
        number = float(value)
        too_low = number <= self.low if self.low_open else number < self.low
        if not math.isfinite(number) or too_low or number > self.high:
            raise ScenarioError(key, value, self.allowed())
        if self.integer and number != int(number):
            raise ScenarioError(key, value, self.allowed())
        return int(number) if self.integer else number


_P = Rule(0.0, math.inf, low_open=True)  # a positive number
_FRACTION = Rule(0.0, 1.0, low_open=True)
RULES: dict[str, Rule] = {
    "workload.hospital_count": Rule(1, 1e7, integer=True),
    "workload.inferences_per_hospital_per_day": Rule(1, 1e9, integer=True),
    "targets.accuracy_target": Rule(0.0, 1.0, low_open=True),
    "targets.p99_slo_ms": Rule(0.0, 1e6, low_open=True),
    "targets.dp_epsilon_limit": Rule(0.0, 100.0, low_open=True),
    "targets.robustness_target": Rule(0.0, 1.0),
    "targets.carbon_reduction_target": Rule(-1.0, 1.0),
    "targets.uptime_target": Rule(0.0, 1.0, low_open=True),
    "targets.gpu_budget": Rule(1, 10_000_000, integer=True),
    "hardware.h100_hbm_bandwidth_gb_per_s": _P,
    "hardware.h100_dense_fp16_tflops": _P,
    "hardware.h100_memory_gb": _P,
    "hardware.h100_tdp_w": _P,
    "hardware.host_power_w_per_gpu": Rule(0.0, 10_000.0),
    "hardware.gpus_per_node": Rule(1, 1024, integer=True),
    "hardware.nvlink_gb_per_s": _P,
    "hardware.nvlink_gb_per_s_per_direction": _P,
    "hardware.infiniband_gbit_per_s": _P,
    "hardware.tp_collective_latency_us": Rule(0.0, 1e6),
    "hardware.pipeline_hop_latency_us": Rule(0.0, 1e6),
    "reliability.checkpoint_write_s": Rule(0.0, 3600.0, low_open=True),
    "reliability.checkpoint_bytes_per_param": Rule(0.0, 64.0),  # 0: the published lab's write
    "reliability.checkpoint_storage_gb_per_s": Rule(0.0, 1e6, low_open=True),
    # <= 50,000 h: about the best per-GPU figure a large fleet has published (Meta's Llama 3
    # report: 419 interruptions in 54 days on 16,384 GPUs); the job's delivery tables grow
    # like MTBF / T, so a larger value would cost memory for no scenario a course needs
    "reliability.gpu_mtbf_h": Rule(1.0, 50_000.0),
    "reliability.cold_restart_min": Rule(0.0, 10_000.0),
    "carbon.grid_fleet_g_per_kwh": Rule(0.0, 10_000.0, low_open=True),  # coal is ~820
    "carbon.grid_renewable_g_per_kwh": Rule(0.0, 10_000.0),
    "carbon.grid_coal_g_per_kwh": Rule(0.0, 10_000.0),
    "carbon.ppa_capacity_mw": Rule(0.0, 1e6),
    "carbon.pue": Rule(1.0, 5.0),
    "carbon.embodied_kg_per_gpu": Rule(0.0, 1e6),
    "carbon.gpu_lifetime_years": Rule(0.1, 100.0),
    "carbon.clean_hours_per_day": Rule(0.5, 24.0),
    "carbon.clean_hours_reduction": Rule(0.0, 1.0),
    "carbon.baseline.model_size_b": Rule(1.0, 70.0),
    "carbon.baseline.dp_epsilon": Rule(0.1, 10.0),
    "carbon.baseline.adv_weight": Rule(0.0, 1.0),
    "carbon.baseline.parallelism": Rule(choices=STRATEGIES),
    "carbon.baseline.checkpoint_interval_min": Rule(5.0, 120.0),
    "serving.images_per_study": Rule(1, 1024, integer=True),
    "serving.tokens_per_image": Rule(1, 1_000_000, integer=True),
    "serving.bytes_per_param_serving": _P,
    "serving.serving_memory_usable_fraction": _FRACTION,
    "serving.serving_mfu": _FRACTION,
    "serving.model_aspect_ratio": _P,
    "serving.service_time_scv": Rule(0.0, 1.0),  # where validate confirms the P99 (queueing)
    "serving.routing_policy": Rule(choices=ROUTING_POLICIES),  # serving.py, module doc
    "training.finetune_tokens_per_day": Rule(0.0, 1e15),
    "training.training_flop_per_param_token": _P,
    "training.training_mfu": _FRACTION,
    "training.pgd_steps": Rule(0, 100, integer=True),
    "training.dp_cost_at_epsilon_1": Rule(0.0, 100.0),
    "accuracy.clean_error_at_1b": Rule(0.0, 1.0),
    "accuracy.clean_error_size_exponent": Rule(0.0, 5.0),
    "accuracy.dp_accuracy_cost_at_epsilon_1": Rule(0.0, 1.0),
    "accuracy.adv_accuracy_cost_at_full_weight": Rule(0.0, 1.0),
    "robustness.robustness_undefended": Rule(0.0, 1.0),
    "robustness.robustness_gain_at_full_weight": Rule(0.0, 1.0),
    "robustness.dp_washout_epsilon": Rule(0.0, 100.0),
}


@dataclass(frozen=True)
class Constant:
    """One scenario constant as the assumptions panel lists it."""

    key: str  # dotted, as in the file: "targets.p99_slo_ms"
    value: float | str
    unit: str
    source: str
    range: tuple[Any, ...] | None = None  # (low, high), or a choice's published choices
    range_source: str = ""  # where each end comes from
    edited: bool = False  # the value differs from the shipped file's

    @property
    def name(self) -> str:
        """The module attribute: BASELINE_ prefix for the baseline design, else the key upper."""
        section, _, leaf = self.key.rpartition(".")
        prefix = "BASELINE_" if section.endswith("baseline") else ""
        return prefix + leaf.upper()


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted key -> entry (a dict with ``value``) or plain value, for every leaf."""
    flat: dict[str, Any] = {}
    for key, item in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(item, dict) and "value" not in item:
            flat.update(_flatten(item, dotted + "."))
        else:
            flat[dotted] = item
    return flat


def _read(path: Path) -> dict[str, Any]:
    """The TOML document at ``path``: UTF-8, a leading byte-order mark allowed (editors on
    Windows write one); any other encoding is refused naming the file and the byte."""
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = (error.strerror or type(error).__name__).lower()
        raise ScenarioError("file", str(path), f"a readable TOML file ({reason})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        where = f"byte {error.start} is 0x{data[error.start]:02x}"
        raise ScenarioError("file", str(path), f"a UTF-8 TOML file ({where})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError("file", str(path), f"valid TOML ({error})") from None


def load_constants(path: Path | str | None = None) -> list[Constant]:
    """The shipped constants, overridden by those of ``path`` (validated; see module doc)."""
    shipped = _flatten(_read(SHIPPED_PATH))
    shipped.pop("version", None)
    constants = {key: _entry(key, item) for key, item in shipped.items()}
    if path is not None:
        override = _flatten(_read(Path(path)))
        override.pop("version", None)
        for key, item in override.items():
            if key not in RULES:
                raise ScenarioError(key, item, "one of the keys of the shipped scenario.toml")
            entry = _entry(key, item, constants[key], Path(path).name)
            constants[key] = entry
    return list(constants.values())


ENTRY_FIELDS = ("value", "unit", "source", "range", "range_source")


def _entry(key: str, item: Any, shipped: Constant | None = None, origin: str = "") -> Constant:
    """One constant of a file (``shipped`` given: of an instructor's file named ``origin``).

    A value that differs from the shipped one is marked ``edited`` and its source says so
    ("edited in FILE") unless the file gives one; the shipped range stays (it says what is
    published, whatever a class uses). A range the file states is checked like the value and
    must hold it."""
    if key not in RULES:
        raise ScenarioError(key, item, "one of the keys of the shipped scenario.toml")
    table = item if isinstance(item, dict) else {"value": item}
    if set(table) - set(ENTRY_FIELDS):
        raise ScenarioError(key, item, "a table with " + ", ".join(ENTRY_FIELDS))
    rule = RULES[key]
    value = rule.check(key, table.get("value"))
    edited = shipped is not None and value != shipped.value
    default_source = f"edited in {origin}" if edited else (shipped.source if shipped else "")
    span = _range(key, table["range"], value) if "range" in table else None
    return Constant(
        key,
        value,
        str(table.get("unit", shipped.unit if shipped else "")),
        str(table.get("source", default_source)),
        span if span is not None else (shipped.range if shipped else None),
        str(table.get("range_source", shipped.range_source if shipped and span is None else "")),
        edited,
    )


def _range(key: str, given: Any, value: float | str) -> tuple[Any, ...]:
    """[low, high] checked like the value (a choice constant: its published choices)."""
    rule = RULES[key]
    allowed = "a list [low, high] of values allowed for it, low <= value <= high"
    if not isinstance(given, list) or (not rule.choices and len(given) != 2):
        raise ScenarioError(key + ".range", given, allowed)
    checked = [rule.check(key + ".range", end) for end in given]
    if rule.choices:
        if value not in checked:
            raise ScenarioError(key + ".range", given, "a list of choices that holds the value")
        return tuple(checked)
    low, high = checked
    assert isinstance(low, int | float) and isinstance(high, int | float)
    if not low <= float(value) <= high:
        raise ScenarioError(key + ".range", given, allowed)
    return (low, high)


# --- the scenario in force: one frozen value, context-scoped ---------------------------------
@dataclass(frozen=True)
class Scenario:
    """One validated scenario, frozen: its constants, the file they came from, and every value
    the model reads by name (``values["GPU_BUDGET"]``, derived quantities included).

    Two scenarios live side by side in one process: :func:`using` puts one in force for a block
    (in this thread or task only, like :func:`decimal.localcontext`), and every cache that
    depends on the scenario is keyed by :attr:`fingerprint`, a digest of the values."""

    constants: tuple[Constant, ...]
    path: Path | None
    fingerprint: str
    values: Mapping[str, Any] = field(compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, constants: list[Constant] | tuple[Constant, ...], path: Path | None) -> Scenario:
        """The scenario of validated ``constants`` (as :func:`load_constants` returns them)."""
        values: dict[str, Any] = {c.name: c.value for c in constants}
        _derive(values)
        payload = json.dumps({c.key: c.value for c in constants}, sort_keys=True)
        fingerprint = hashlib.sha256(payload.encode()).hexdigest()[:16]
        values.update(CONSTANTS=tuple(constants), SCENARIO_PATH=path, FINGERPRINT=fingerprint)
        return cls(tuple(constants), path, fingerprint, MappingProxyType(values))

    @classmethod
    def load(cls, path: Path | str | None = None) -> Scenario:
        """The shipped constants, overridden by those of ``path`` (validated; see module doc)."""
        return cls.of(load_constants(path), Path(path) if path is not None else None)

    def constant(self, key: str) -> Constant:
        """The constant with dotted ``key``."""
        for item in self.constants:
            if item.key == key:
                return item
        raise KeyError(key)

    def with_value(self, key: str, value: object, origin: str = "this scenario") -> Scenario:
        """This scenario with ``key`` set to ``value``, validated like a file's value; a value
        that differs from the shipped one is marked edited ("edited in ``origin``")."""
        if key not in RULES:
            raise ScenarioError(key, value, "one of the keys of the shipped scenario.toml")
        entry = _entry(key, {"value": value}, SHIPPED.constant(key), origin)
        if not entry.edited:
            entry = SHIPPED.constant(key)
        return Scenario.of([entry if c.key == key else c for c in self.constants], self.path)


def _derive(v: dict[str, Any]) -> None:
    """Quantities computed from the constants (never typed in twice)."""
    v["SECONDS_PER_DAY"] = 86_400
    v["ARRIVAL_RATE_PER_S"] = (
        v["HOSPITAL_COUNT"] * v["INFERENCES_PER_HOSPITAL_PER_DAY"] / v["SECONDS_PER_DAY"]
    )
    v["STUDIES_PER_DAY"] = v["HOSPITAL_COUNT"] * v["INFERENCES_PER_HOSPITAL_PER_DAY"]
    v["INFINIBAND_GB_PER_S"] = v["INFINIBAND_GBIT_PER_S"] / 8.0
    v["RIDGE_POINT_FLOP_PER_BYTE"] = (
        v["H100_DENSE_FP16_TFLOPS"] * 1e12 / (v["H100_HBM_BANDWIDTH_GB_PER_S"] * 1e9)
    )
    v["CARBON_BASELINE_G_PER_KWH"] = v["GRID_FLEET_G_PER_KWH"]
    v["FLEET_POWER_BUDGET_W"] = v["GPU_BUDGET"] * v["H100_TDP_W"]
    v["EMBODIED_G_PER_GPU_H"] = (
        v["EMBODIED_KG_PER_GPU"] * 1000.0 / (v["GPU_LIFETIME_YEARS"] * 8760.0)
    )


SHIPPED: Final = Scenario.load(None)
# The process's scenario (``--scenario FILE`` on a command, the lab's file): replaced whole by
# :func:`install`, never in parts. A block under :func:`using` sees its own instead.
_PROCESS: list[Scenario] = [SHIPPED]
_IN_FORCE: ContextVar[Scenario | None] = ContextVar("constraintlab_scenario", default=None)


def current() -> Scenario:
    """The scenario in force here: the innermost :func:`using` block's, else the process's."""
    return _IN_FORCE.get() or _PROCESS[0]


def process() -> Scenario:
    """The process's scenario (what :func:`current` falls back to outside any block)."""
    return _PROCESS[0]


def install(scenario: Scenario) -> None:
    """Make ``scenario`` the process's (blocks under :func:`using` keep theirs)."""
    _PROCESS[0] = scenario


@contextmanager
def using(scenario: Scenario) -> Iterator[Scenario]:
    """Put ``scenario`` in force inside the block, for this thread or task only."""
    token = _IN_FORCE.set(scenario)
    try:
        yield scenario
    finally:
        _IN_FORCE.reset(token)


def use_scenario(path: Path | str | None = None) -> list[Constant]:
    """Load and validate a scenario (None = the shipped one) and make it the process's.

    The file's keys only: ``engine.load_scenario`` also checks the carbon baseline."""
    scenario = Scenario.load(path)
    install(scenario)
    return list(scenario.constants)


def constant(key: str) -> Constant:
    """The constant with dotted ``key`` in the scenario in force."""
    return current().constant(key)


def __getattr__(name: str) -> Any:
    """``sc.NAME``: the value of the scenario in force (``CONSTANTS``, ``SCENARIO_PATH`` and
    ``FINGERPRINT`` describe the scenario itself). One context-variable read and one lookup:
    the model reads constants this way in its inner loops."""
    try:
        return (_IN_FORCE.get() or _PROCESS[0]).values[name]
    except KeyError:
        raise AttributeError(f"the scenario has no constant {name!r}") from None
