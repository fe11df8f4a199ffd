"""The lab's four questions, their options, which option is right, and what each answer teaches.

Wording is the project's own; the published lab fixed the facts, the options' meaning and the
correct letter. Feedback that quotes the model takes its numbers from the scorecard, the census
or :mod:`constraintlab.model.scenario` at run time. Feedback is plain text: render it with
:func:`feedback_html`, which escapes it (ledger domain names reach some of it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from constraintlab.model import scenario as sc
from constraintlab.model.engine import Scorecard
from constraintlab.model.explain import gpu_use_phrase, megawatts
from constraintlab.views.html import callout, paragraphs

Wording = str | Callable[[], str]  # a callable words an option from the scenario when shown


@dataclass(frozen=True)
class Question:
    """A multiple-choice question: ``options`` are (letter, wording) pairs; a wording that
    quotes the scenario is a function, read when the question is shown (contract claim 12:
    an instructor's edited budget or epsilon limit reaches the option text)."""

    key: str
    prompt: str
    options: tuple[tuple[str, Wording], ...]
    correct: str

    def labels(self) -> dict[str, str]:
        """Radio options: the text shown -> the letter stored."""
        return {f"{letter}) {_worded(wording)}": letter for letter, wording in self.options}

    def label_for(self, letter: str) -> str:
        return next(label for label, value in self.labels().items() if value == letter)

    def is_correct(self, letter: str | None) -> bool:
        return letter == self.correct


@dataclass(frozen=True)
class Feedback:
    """What the student reads after answering: ``kind`` is success, info or warn."""

    kind: str
    title: str
    paragraphs: tuple[str, ...]


def _worded(wording: Wording) -> str:
    return wording() if callable(wording) else wording


def _privacy_wall() -> str:
    return (
        f"Privacy is the wall: ε ≤ {sc.DP_EPSILON_LIMIT:g} costs too much accuracy for clinical use"
    )


def _budget_is_enough() -> str:
    return f"{sc.GPU_BUDGET:,} H100s are enough to satisfy every constraint at this scale"


def feedback_html(feedback: Feedback) -> str:
    """The feedback as an escaped callout."""
    return callout(feedback.kind, feedback.title, paragraphs(*feedback.paragraphs))


ACT1_PREDICTION = Question(
    key="act1_prediction",
    prompt=(
        "Before you open your ledger: which family of constraints do you expect to have hit"
        " most often across the labs?"
    ),
    options=(
        ("A", "Memory bandwidth: the memory wall stopped my designs more than anything else"),
        ("B", "Communication: moving data between GPUs was the recurring limit"),
        ("C", "Power and heat: energy and thermal limits dominated at fleet scale"),
        (
            "D",
            "None in particular: the binding constraint kept changing with scale and deployment",
        ),
    ),
    correct="D",
)

ACT1_REFLECTION = Question(
    key="act1_reflection",
    prompt="Which principle ties together every invariant you met in the course?",
    options=(
        ("A", "Enough hardware removes any bottleneck: scale cures everything"),
        (
            "B",
            "A system is ruled by its scarcest resource: the laws stay fixed while the"
            " bottleneck moves",
        ),
        ("C", "Optimising software always beats adding hardware"),
        ("D", "Every constraint is temporary and will eventually be engineered away"),
    ),
    correct="B",
)

ACT2_PREDICTION = Question(
    key="act2_prediction",
    prompt="Before you touch a control: which statement best describes this challenge?",
    options=(
        ("A", _privacy_wall),
        (
            "B",
            "No architecture meets them all without trading one constraint against another:"
            " it has to be negotiated",
        ),
        ("C", _budget_is_enough),
        ("D", "Carbon is the easy one: it can be met independently of the others"),
    ),
    correct="B",
)

ACT2_REFLECTION = Question(
    key="act2_reflection",
    prompt=(
        "Which two constraints are in fundamental conflict, not merely hard to satisfy together?"
    ),
    options=(
        ("A", "P99 latency and accuracy: bigger models are slower"),
        (
            "B",
            "Differential privacy and adversarial robustness: both train with deliberate"
            " perturbation, and they push the model's sensitivity in opposite directions",
        ),
        ("C", "Carbon reduction and fault tolerance: checkpoints burn energy"),
        ("D", "Parallel efficiency and checkpoint overhead: communication against recovery"),
    ),
    correct="B",
)


class CensusFacts(Protocol):
    """The census figures the feedback quotes (``constraintlab.explore.Census`` has them)."""

    @property
    def grid_size(self) -> int: ...

    @property
    def approved(self) -> int: ...

    @property
    def min_model_size_b(self) -> float | None: ...

    @property
    def max_model_size_b(self) -> float | None: ...

    @property
    def epsilon_band(self) -> tuple[float, float] | None: ...

    @property
    def approved_by_context(self) -> Mapping[str, int]: ...

    @property
    def best_fleet_reduction_pct(self) -> float | None: ...

    @property
    def ppa_outgrown(self) -> int: ...

    @property
    def budget_only_refusals(self) -> int: ...


@dataclass(frozen=True)
class LedgerFacts:
    """What the Act I reveal quotes from the student's own ledger (names are untrusted)."""

    labs_done: int
    top_hit_domains: Sequence[tuple[str, float]]  # (domain, hit rate 0..1), highest first
    most_hit: tuple[str, float] | None  # only when one domain is clearly highest
    weakest: tuple[str, float] | None  # (domain, prediction accuracy 0..1), when decidable
    is_sample: bool = False  # the figures come from the sample journey, not the student
    # every domain as (name, labs that recorded a hit flag, of which hit a constraint)
    domain_hits: Sequence[tuple[str, int, int]] = ()


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _ledger_note(facts: LedgerFacts) -> str:
    if facts.labs_done == 0:
        return (
            "Your ledger has no labs recorded yet, so it cannot show you this pattern; the"
            " sample journey (clearly marked) shows what a full record looks like."
        )
    where, whose = ("the sample journey", "Its") if facts.is_sample else ("your ledger", "Your")
    parts = []
    if facts.top_hit_domains:
        listed = ", ".join(f"{name} ({_pct(rate)})" for name, rate in facts.top_hit_domains)
        if len(facts.top_hit_domains) == 1:
            parts.append(f"In {where} the domain with the highest hit rate is {listed}.")
        else:
            parts.append(f"In {where} the domains with the highest hit rates are {listed}.")
    if facts.most_hit is not None:
        name, rate = facts.most_hit
        parts.append(
            f"{whose} most-violated domain is {name}: {_pct(rate)} of its labs hit a limit."
        )
    if facts.weakest is not None:
        name, rate = facts.weakest
        parts.append(
            f"{whose} predictions were weakest in {name} ({_pct(rate)} correct): that is where"
            " the course had the most to teach."
        )
    if not parts:
        parts.append(f"{where.capitalize()} does not yet single out one domain: record more labs.")
    return " ".join(parts)


# Act I is judged by the student's own ledger. The rule, stated to the student in the reveal:
# a domain counts when at least MIN_LABS of its labs recorded whether a constraint was hit; the
# "leaders" are the counted domains whose hit rate is within LEAD_MARGIN of the highest. One
# leader: that domain dominated. Two: a tie, not graded. Three or more: the hits are spread,
# the bottleneck moved (D). Fewer than two counted domains, or no hit at all: not graded.
MIN_LABS = 2
LEAD_MARGIN = 0.25
MIN_DOMAINS = 2
# which ledger domain each single-family option names
OPTION_DOMAIN = {"A": "Memory", "B": "Networking", "C": "Economics"}
SPREAD_OPTION = "D"


@dataclass(frozen=True)
class Act1Judgement:
    """What the student's ledger says about the Act I question.

    ``kind`` is "dominant", "spread", "tie", "no_data", "no_hits" or "unlisted" (a domain
    dominates that no option names); ``right`` is the option the data support, or None when
    the data cannot grade the answer."""

    kind: str
    right: str | None
    leaders: tuple[tuple[str, float], ...]  # (domain, hit rate), highest first
    counted: int  # domains with enough labs to count

    @property
    def graded(self) -> bool:
        return self.right is not None


def judge_act1(facts: LedgerFacts) -> Act1Judgement:
    """Apply the stated rule to the ledger's per-domain hit counts."""
    counted = [
        (name, hits / recorded)
        for name, recorded, hits in facts.domain_hits
        if recorded >= MIN_LABS
    ]
    counted.sort(key=lambda pair: pair[1], reverse=True)
    if len(counted) < MIN_DOMAINS:
        return Act1Judgement("no_data", None, (), len(counted))
    top = counted[0][1]
    if top == 0:
        return Act1Judgement("no_hits", None, (), len(counted))
    leaders = tuple(pair for pair in counted if pair[1] >= top - LEAD_MARGIN)
    if len(leaders) >= 3:
        return Act1Judgement("spread", SPREAD_OPTION, leaders, len(counted))
    if len(leaders) == 2:
        return Act1Judgement("tie", None, leaders, len(counted))
    option = next((k for k, d in OPTION_DOMAIN.items() if d == leaders[0][0]), None)
    return Act1Judgement("dominant" if option else "unlisted", option, leaders, len(counted))


def _rule_sentence() -> str:
    return (
        f"The rule: a domain counts once at least {MIN_LABS} of its labs recorded whether a"
        f" constraint was hit; a domain dominates when its hit rate beats every other counted"
        f" domain's by more than {LEAD_MARGIN * 100:.0f} points; when two domains lead within"
        f" {LEAD_MARGIN * 100:.0f} points of each other the data cannot choose; when three or more"
        " do, the hits are spread."
    )


def _judgement_sentence(j: Act1Judgement, facts: LedgerFacts) -> str:
    whose = "the sample journey's" if facts.is_sample else "your"
    listed = ", ".join(f"{name} ({_pct(rate)})" for name, rate in j.leaders)
    if j.kind == "no_data":
        counted = {0: "no domain has", 1: "only one domain has"}.get(
            j.counted, f"only {j.counted} domains have"
        )
        return (
            f"There is not enough in {whose} ledger to grade this: {counted} {MIN_LABS} or more"
            " labs that recorded whether a constraint was hit. The answer stays open."
        )
    if j.kind == "no_hits":
        return (
            f"None of {whose} recorded labs hit a constraint, so no family dominated and none"
            " moved: the data cannot grade this answer."
        )
    if j.kind == "tie":
        return (
            f"In {whose} data two domains lead together, {listed}: neither dominates and the"
            " hits are not spread widely either, so this answer is not graded."
        )
    if j.kind == "spread":
        return (
            f"In {whose} data the hits are spread: {listed} are all within"
            f" {LEAD_MARGIN * 100:.0f} points of the top. No single family dominated."
        )
    name, rate = j.leaders[0]
    if j.kind == "unlisted":
        return (
            f"In {whose} data {name} dominates ({_pct(rate)} of its labs hit a limit), a family"
            " none of the options names, so this answer is not graded."
        )
    return (
        f"In {whose} data {name} dominates: {_pct(rate)} of its labs hit a limit (option"
        f" {j.right} names that family)."
    )


def act1_reveal(choice: str, facts: LedgerFacts) -> Feedback:
    """Feedback on the Act I prediction, judged by the student's own ledger (or not graded)."""
    ridge = sc.RIDGE_POINT_FLOP_PER_BYTE
    ratio = sc.NVLINK_GB_PER_S / sc.INFINIBAND_GB_PER_S
    texts = {
        "A": (
            "Memory bandwidth is the most persistent wall on a single accelerator: an H100"
            f" reaches its dense FP16 peak only above {ridge:.0f} FLOP per byte of HBM traffic"
            f" ({sc.H100_DENSE_FP16_TFLOPS:.0f} TFLOPS / {sc.H100_HBM_BANDWIDTH_GB_PER_S:,.0f}"
            " GB/s), and batch-1 inference sits far below that. Once work spreads over many"
            " machines, the network and recovery from failures usually bind first."
        ),
        "B": (
            "Communication dominates once training spans nodes: each GPU's"
            f" {sc.INFINIBAND_GBIT_PER_S:.0f} Gb/s InfiniBand port is about {ratio:.0f}x slower"
            f" than its {sc.NVLINK_GB_PER_S:.0f} GB/s of NVLink inside the node. In the"
            " single-node labs of Volume I it barely registers."
        ),
        "C": (
            f"Power binds at the cluster level: {sc.GPU_BUDGET:,} H100s at {sc.H100_TDP_W:g} W"
            f" draw {megawatts(sc.FLEET_POWER_BUDGET_W)}. In the ledger this is the Economics"
            " domain, which holds the fleet energy and sustainability labs."
        ),
        "D": (
            "Which constraint binds depends on scale, workload and deployment tier: memory for"
            " single-node inference, the network for multi-node training, privacy and fairness"
            " wherever populations are compared."
        ),
    }
    j = judge_act1(facts)
    judged = _judgement_sentence(j, facts) + " " + _rule_sentence()
    whose = "the sample journey's" if facts.is_sample else "your own"
    if not j.graded:
        title, kind = f"{whose.capitalize()} data cannot grade this one", "info"
    elif choice == j.right:
        title, kind = f"Right, by {whose} data", "success"
    else:
        title, kind = f"Not what {whose} data say: they point to {j.right}", "info"
    return Feedback(kind, title, (judged, texts.get(choice, ""), _ledger_note(facts)))


_ACT1_REFLECTION_TEXT = {
    "A": (
        "More hardware moves the bottleneck; it does not remove it. Amdahl's serial"
        " fraction caps the speedup whatever the cluster size, all-reduce traffic grows with the"
        " number of workers, and every added GPU adds energy and carbon. Hardware is a tool,"
        " not a cure."
    ),
    "B": (
        "The bottleneck moves but never vanishes. The Iron Law names the terms that can"
        " limit latency, the roofline the two ceilings on compute, Amdahl the ceiling on"
        " parallel speedup, Young-Daly the best checkpoint interval, Chouldechova the fairness"
        " gap you must accept. None of them expires: physics and mathematics set the"
        " architecture."
    ),
    "C": (
        "Fusing kernels, batching continuously and lowering precision raise"
        " utilisation a lot, but no software lifts the roofline's ceilings or shrinks Amdahl's"
        " serial fraction. Past a point the physics decides."
    ),
    "D": (
        "These limits are not waiting to be engineered away: the memory wall comes"
        " from signalling physics and has lasted decades, Chouldechova's result is a theorem of"
        " conditional probability, Young-Daly is the solution of a minimisation. Only the"
        " architecture that respects them changes."
    ),
}


def act1_reflection_feedback(choice: str) -> Feedback:
    right = ACT1_REFLECTION.is_correct(choice)
    return Feedback(
        "success" if right else "warn",
        "Right" if right else "Not quite",
        (_ACT1_REFLECTION_TEXT.get(choice, ""),),
    )


def region_summary(census: CensusFacts) -> str:
    """The approved region in one sentence, from the census."""
    if census.approved == 0:
        return f"None of the {census.grid_size:,} designs on the control grid is approved."
    share = census.approved / census.grid_size
    band = census.epsilon_band
    parts = [
        f"{census.approved:,} of the {census.grid_size:,} designs on the control grid"
        f" ({share:.4%}) pass every constraint and fit the budget"
    ]
    if census.min_model_size_b is not None and census.max_model_size_b is not None:
        parts.append(
            f"they use models from {census.min_model_size_b:g} to {census.max_model_size_b:g} B"
            " parameters"
        )
    if band is not None:
        parts.append(f"ε from {band[0]:g} to {band[1]:g}")
    return "; ".join(parts) + "."


def fleet_context_sentence(census: CensusFacts) -> str:
    """What each deployment context costs, from the census (never a typed figure)."""
    fleet = census.approved_by_context.get("fleet", 0)
    green = census.approved_by_context.get("renewable", 0)
    best = census.best_fleet_reduction_pct
    if fleet > 0:
        text = (
            f"On the global-fleet grid {fleet:,} designs are approved (renewable: {green:,}):"
            " they buy their reduction with a smaller fleet, a leaner fine-tuning job and"
            " deferral, which costs GPUs."
        )
    else:
        text = (
            "On the global-fleet grid no design is approved: the best reduction any design"
            f" reaches there is {best if best is not None else float('nan'):.2f}%."
        )
    return (
        text + f" With the renewable PPA, {census.ppa_outgrown:,} designs pass everything else"
        " but outgrow the contract and fail carbon."
    )


REGION_LOCKED = (
    "How many designs pass, which model sizes and which epsilons: these figures open once you"
    " submit an approved design, or ask to be shown the nearest one."
)


def act2_reveal(choice: str, card: Scorecard, census: CensusFacts, earned: bool = True) -> Feedback:
    """Feedback on the Act II prediction: the student's current design, and the census's
    region facts (counts, size range, epsilon band) only once ``earned``."""
    if not earned:
        return _act2_reveal_unearned(choice, card)
    dp_cost = card.constraints["dp_privacy"].derivation.get("dp_accuracy_cost_pct", 0.0)
    band = census.epsilon_band
    band_text = f"from {band[0]:g} to {band[1]:g}" if band else "nowhere on the grid"
    b = card.budget
    texts = {
        "A": (
            f"Privacy is costly but it is not the wall. At your ε of {card.design.dp_epsilon:g}"
            f" DP costs {dp_cost:.1f} accuracy points, and approved designs exist with ε"
            f" {band_text}. What makes ε hard is its effect on the others: DP noise also washes"
            " out part of the adversarial training signal, so privacy and robustness pull"
            " against each other."
        ),
        "B": (
            region_summary(census)
            + " The model must be big enough for accuracy and small enough for latency, and"
            " privacy, robustness and carbon compete for the same GPUs."
        ),
        "C": (
            f"The budget is necessary, not sufficient. Your design {gpu_use_phrase(b)}"
            f" and passes {card.n_met} of {len(card.constraints)}"
            " constraints; across the grid only "
            f"{census.approved:,} of {census.grid_size:,} designs pass everything. More GPUs"
            " also cost carbon."
        ),
        "D": (
            "Carbon is tied to everything else through the GPU count (Jevons): every GPU added"
            " for latency, spares or fine-tuning draws power and carries embodied carbon. "
            + fleet_context_sentence(census)
        ),
    }
    right = ACT2_PREDICTION.is_correct(choice)
    status = f"Your current design passes {card.n_met} of {len(card.constraints)} constraints."
    if card.failing:
        failing = ", ".join(card.constraints[n].label for n in card.failing)
        status += f" Failing now: {failing}."
    return Feedback(
        "success" if right else "info",
        "Right: every architecture is a negotiation" if right else "Not quite",
        (status, texts.get(choice, "")),
    )


def _act2_reveal_unearned(choice: str, card: Scorecard) -> Feedback:
    """The Act II reveal before the region is earned: the mechanisms, no region facts."""
    texts = {
        "A": (
            "Privacy is costly, but watch what it does to the others: the noise that buys a low"
            " ε also washes out part of the adversarial training signal, so privacy and"
            " robustness pull against each other. Whether designs with"
            f" ε ≤ {sc.DP_EPSILON_LIMIT:g} can pass"
            " everything is for you to find."
        ),
        "B": (
            "The model must be big enough for accuracy and small enough for latency, and"
            " privacy, robustness and carbon compete for the same GPUs."
        ),
        "C": (
            "The budget is necessary, not sufficient: your design"
            f" {gpu_use_phrase(card.budget)} and passes {card.n_met} of {len(card.constraints)}"
            " constraints. More"
            " GPUs also cost carbon."
        ),
        "D": (
            "Carbon is tied to everything else through the GPU count (Jevons): every GPU added"
            " for latency, spares or fine-tuning draws power, and the grid you run on sets what"
            " each one emits."
        ),
    }
    right = ACT2_PREDICTION.is_correct(choice)
    status = f"Your current design passes {card.n_met} of {len(card.constraints)} constraints."
    return Feedback(
        "success" if right else "info",
        "Right: every architecture is a negotiation" if right else "Not quite",
        (status, texts.get(choice, ""), REGION_LOCKED),
    )


def act2_reflection_feedback(
    choice: str, card: Scorecard, census: CensusFacts, earned: bool = True
) -> Feedback:
    """Feedback on the Act II reflection, quoting the model's own coupling terms (the size
    window of approved designs only once ``earned``)."""
    retained = card.constraints["adversarial_robustness"].derivation.get("dp_signal_retained", 1.0)
    lo, hi = census.min_model_size_b, census.max_model_size_b
    if not earned:
        window = "a window of model sizes can pass both (find it, or earn the census's figures)"
    elif lo is not None and hi is not None:
        window = f"approved designs use models from {lo:g} to {hi:g} B parameters"
    else:
        window = "the census finds no approved window"
    texts = {
        "A": (
            "A trade-off, not a contradiction. Bigger models are slower, but in this model "
            + window
            + ": the window exists, and the parallelism strategy moves its upper edge. No"
            " theorem forbids meeting both."
        ),
        "B": (
            "DP-SGD clips each example's gradient and adds Gaussian noise so no single"
            " input matters much; adversarial training concentrates the loss on worst-case"
            " perturbations to sharpen the boundary exactly where an attacker pushes. In this"
            f" model, at your ε of {card.design.dp_epsilon:g} DP leaves {retained:.0%} of the"
            " adversarial signal, so robustness needs a heavier adversarial weight, and both"
            " cost clean accuracy. A bigger model absorbs the accuracy cost, not the conflict:"
            " a tension of the same kind as Chouldechova's result in fairness."
        ),
        "C": (
            "Coupled, but not contradictory. Here checkpoints do cost carbon indirectly: time"
            " spent writing checkpoints and redoing lost work adds GPUs to the fine-tuning job,"
            " and every GPU emits. But an interval near Young-Daly's T* minimises that waste"
            " and helps both at once."
        ),
        "D": (
            "A trade-off, not a contradiction. The parallelism strategy sets each replica's"
            " latency and failure domain; the checkpoint interval sets the fine-tuning job's"
            " waste. Asynchronous checkpoints and topology-aware collectives reduce both."
        ),
    }
    right = ACT2_REFLECTION.is_correct(choice)
    return Feedback(
        "success" if right else "warn",
        "Right: a fundamental conflict" if right else "Not quite",
        (texts.get(choice, ""),),
    )
