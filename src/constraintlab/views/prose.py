"""The lab's longer texts: header, stakeholder messages, the two MathPeeks, and the controls'
labels. Every figure is formatted from :mod:`constraintlab.model.scenario`, the design controls
or the census at run time; none is typed into a sentence.
"""

from __future__ import annotations

from constraintlab.model import scenario as sc
from constraintlab.model import training
from constraintlab.model.design import CONTROLS, NumericControl
from constraintlab.model.explain import layout_name, megawatts
from constraintlab.model.strategies import STRATEGIES
from constraintlab.views.html import esc, join, tag, text
from constraintlab.views.questions import REGION_LOCKED, CensusFacts, region_summary

INVARIANT_FAMILIES = (
    ("Memory", "Memory wall · roofline · data, algorithm, machine", "cl-fam-memory"),
    ("Scale", "Amdahl · the parallelism paradox", "cl-fam-scale"),
    ("Reliability", "Young-Daly · Little's law", "cl-fam-reliability"),
    ("Ethics", "Chouldechova · the DP ε-δ trade-off", "cl-fam-ethics"),
)

PLANS_BUILDING_TITLE = (
    "Sizing the serving fleet of every model size and strategy (once per scenario)..."
)
STRATEGY_NAMES = {s.key: s.name for s in STRATEGIES}


def context_labels() -> dict[str, str]:
    """Radio labels for the deployment context, with each grid's intensity."""
    return {
        f"Global fleet (mixed grid, {sc.GRID_FLEET_G_PER_KWH:.0f} g CO₂/kWh)": "fleet",
        f"Carbon-optimised (renewable PPA, {sc.GRID_RENEWABLE_G_PER_KWH:.0f} g CO₂/kWh)": (
            "renewable"
        ),
    }


def strategy_label(strategy: str) -> str:
    """``Full 3D (TP 8 × PP 4 over 4 nodes)``: the layout from the scenario's node size."""
    return f"{STRATEGY_NAMES[strategy]} ({layout_name(strategy, times='×')})"


def strategy_labels() -> dict[str, str]:
    """Radio labels for the parallelism strategy: the text shown -> the strategy."""
    return {strategy_label(key): key for key in STRATEGY_NAMES}


def control_label(name: str) -> str:
    """``Model size (billion parameters)``: the control's label and unit."""
    control = CONTROLS[name]
    if isinstance(control, NumericControl):
        return f"{control.label} ({control.unit})"
    return control.label


# units short enough for ticks and running text (the controls' own units are phrases)
SHORT_UNITS = {
    "model_size_b": "B",
    "dp_epsilon": "",
    "adv_weight": "",
    "checkpoint_interval_min": "min",
    "flexible_job_pct": "%",
}


def format_value(name: str, value: object, unit: bool = True) -> str:
    """A control value as the slider shows it (``14 B``, ``0.80``, ``30 min``, ``tp_dp``)."""
    control = CONTROLS[name]
    if isinstance(control, NumericControl) and isinstance(value, int | float):
        number = f"{float(value):.{control.decimals}f}"
        suffix = SHORT_UNITS.get(name, "")
        if not unit or not suffix:
            return number
        return f"{number}%" if suffix == "%" else f"{number} {suffix}"
    return str(value)


def header_html() -> str:
    """The title block with the four invariant families."""
    families = join(
        tag(
            "div",
            text("div", name, cls="cl-fam-name") + text("div", laws, cls="cl-fam-laws"),
            cls=f"cl-fam {css}",
        )
        for name, laws, css in INVARIANT_FAMILIES
    )
    pills = join(
        text("span", label, cls="cl-pill")
        for label in (
            "Act I: Design Ledger archaeology",
            "Act II: a medical-imaging fleet",
            "35-40 minutes",
            "Builds on every lab of Volumes I and II",
            "Six live constraint scorecards",
        )
    )
    intro = (
        "Two volumes of ML systems come down to one idea: constraints drive architecture."
        " The memory wall, Amdahl's law, Young-Daly, Little's law, Chouldechova's impossibility"
        " result, the privacy budget ε, adversarial robustness: none of them can be wished"
        " away, only navigated. First you audit your own journey; then you design a system"
        " that has to respect all of them at once."
    )
    return tag(
        "header",
        text("div", "Machine Learning Systems · Volume II · Lab 17 · Capstone", cls="cl-kicker")
        + text("h1", "The Constraints Never Lie")
        + text("p", intro, cls="cl-intro")
        + tag("div", pills, cls="cl-pills")
        + tag("div", families, cls="cl-families"),
        cls="cl-hero",
    )


def message_html(sender: str, body_html: str, tone: str = "blue") -> str:
    """A stakeholder message (``body_html`` is built by the caller from escaped parts)."""
    return tag(
        "div",
        text("div", f"Incoming message · {sender}", cls="cl-msg-from")
        + tag("div", body_html, cls="cl-msg-body"),
        cls=f"cl-msg cl-msg-{tone}",
    )


def act1_message_html() -> str:
    body = esc(
        "You have spent two volumes designing ML systems. Before I put you up for Principal"
        " Engineer, audit the constraints you yourself ran into. Open your Design Ledger and"
        " tell me which constraints came up most often, and which architectural habit would"
        " have prevented the most failures."
    )
    return message_html("Chief Architect, AI Infrastructure", body)


def act2_message_html() -> str:
    """The scenario, every figure from :mod:`constraintlab.model.scenario`."""
    asks = [
        f"{sc.HOSPITAL_COUNT:,} hospitals",
        f"{sc.INFERENCES_PER_HOSPITAL_PER_DAY:,} studies a day at each"
        f" (about {sc.ARRIVAL_RATE_PER_S:,.0f} requests per second)",
        f"accuracy ≥ {sc.ACCURACY_TARGET:.0%}",
        f"P99 latency < {sc.P99_SLO_MS:.0f} ms",
        f"differential privacy with ε ≤ {sc.DP_EPSILON_LIMIT:g} (HIPAA-grade)",
        f"more than {sc.CARBON_REDUCTION_TARGET:.0%} less carbon than the baseline",
        f"{sc.UPTIME_TARGET:.1%} uptime",
        f"at least {sc.ROBUSTNESS_TARGET:.0%} accuracy under PGD attack",
    ]
    body = (
        esc("Design the production system for real-time medical image classification: ")
        + ", ".join(tag("strong", esc(a)) for a in asks)
        + esc(". You have at most ")
        + tag("strong", esc(f"{sc.GPU_BUDGET:,} H100s"))
        + esc(
            f" ({sc.GPU_BUDGET:,} × {sc.H100_TDP_W:g} W = {megawatts(sc.FLEET_POWER_BUDGET_W)}"
            " at full draw). Nothing ships until every constraint passes at the same time."
        )
    )
    return message_html("Chief Architect, Medical AI Division · urgent", body, tone="orange")


def governing_equations_md() -> str:
    """The Act I MathPeek: the equations behind the invariant families (markdown)."""
    ridge = sc.RIDGE_POINT_FLOP_PER_BYTE
    size = CONTROLS["model_size_b"]
    assert isinstance(size, NumericControl)
    writes = " to ".join(
        f"{training.checkpoint_write_s(b):,.1f} s at {b:g} B" for b in (size.low, size.high)
    )
    return f"""
**Iron law of latency.** `T = D / BW + O / R + L`: data moved over bandwidth, operations over
throughput, plus fixed latency. Whichever term is largest is your bottleneck.

**Training memory.** `M = weights + gradients + optimizer state + activations`: with mixed
precision and Adam that is at least 2 + 2 + 8 = 12 bytes per parameter before activations.

**Roofline.** `attainable FLOP/s = min(peak, bandwidth × arithmetic intensity)`. For the H100
the ridge is {sc.H100_DENSE_FP16_TFLOPS:.0f} TFLOPS / {sc.H100_HBM_BANDWIDTH_GB_PER_S:,.0f} GB/s
≈ {ridge:.0f} FLOP/byte; below it a kernel is bandwidth-bound.

**Amdahl's law.** `speedup(N) = 1 / (s + (1 - s) / N)`: the serial share `s` caps speedup at
`1 / s` whatever `N` is.

**Little's law.** `L = λ × W`: requests in flight equal arrival rate times time in the system.

**Young-Daly.** `T* ≈ sqrt(2 C / λ)`: the checkpoint interval that balances the write cost `C`
against rework after failures at rate `λ`. Here `C` is a fixed {sc.CHECKPOINT_WRITE_S:g} s plus
the model's training state over the storage's bandwidth, {writes}. This lab sizes
the fine-tuning job with the exact renewal goodput `(T - C) / ((1/λ + R)(e^(λT) - 1))`, whose
optimum is `λT* = 1 + λC + W₀(-e^-(1 + λC))`; Young's formula is its first-order form.

**Jevons and carbon.** `CO₂ = GPUs × power × PUE × hours × grid intensity + embodied`: an
efficiency gain that invites more GPUs can raise the total.

**SLO composition.** `P(request fails) = 1 - Π (1 - pᵢ)` over independent services: every hop
spends part of the error budget.
"""


def dp_vs_adversarial_md(census: CensusFacts, earned: bool = True) -> str:
    """The Act II MathPeek; the closing paragraph is the census, never a typed claim, and only
    once the student has earned the region's facts (``earned``)."""
    closing = region_summary(census) if earned else REGION_LOCKED
    w_gain = sc.ROBUSTNESS_GAIN_AT_FULL_WEIGHT * 100
    return f"""
**Differential privacy smooths.** DP-SGD clips every example's gradient to norm `S` and adds
noise: `g̃ = clip(g, S) + N(0, σ² S² I)`, with `σ` growing as `ε` shrinks. No single example,
clean or adversarial, can move the model much.

**Adversarial training sharpens.** It minimises the worst-case loss in a ball around each input:
`min_θ E[ max_(‖δ‖ ≤ r) L(x + δ, y; θ) ]`. The decision boundary is pushed away from exactly the
points an attacker would use.

**The conflict.** DP noise drowns part of the adversarial signal, and both cost clean accuracy.
This lab models it explicitly: robustness = {sc.ROBUSTNESS_UNDEFENDED:.0%} + {w_gain:.0f} points ×
weight × ε / (ε + {sc.DP_WASHOUT_EPSILON:g}), and accuracy loses
{sc.DP_ACCURACY_COST_AT_EPSILON_1 * 100:.0f} points at ε = 1 (growing as 1/ε) plus up to
{sc.ADV_ACCURACY_COST_AT_FULL_WEIGHT * 100:.0f} points for all-adversarial training.
A bigger model pays the accuracy bill; nothing pays off the conflict itself.

**What the census says.** {closing}
"""
