"""Constraint 2, P99 latency: the serving fleet's 99th-percentile response time < 200 ms.

The serving model, step by step (each number appears in the scorecard's derivation):

1. **Replica layout** from the parallelism strategy (tensor-parallel x pipeline-parallel
   GPUs, :func:`replica_layout`): ``dp`` = 1 GPU, ``tp_dp`` = TP over one node's
   ``hardware.gpus_per_node`` GPUs (8 in a DGX H100) over NVLink, ``3d`` = that TP x PP 4,
   one node per stage, over InfiniBand. Data parallelism is the number of replicas.
2. **Memory**: FP16 weights, 2 bytes/param, must fit in 90 % of each GPU's 80 GB.
3. **Roofline time of one study on one pipeline stage** (Williams et al. 2009): the study's
   4 images go through as one batch, ``max(2 (P/PP) n_tok k / (TP F mfu), 2 (P/PP) / (TP BW))``
   with n_tok = 1,024 tokens per image and k = 4 images. Arithmetic intensity is far above
   the H100 ridge (989 TFLOPS / 3,350 GB/s ~ 295 FLOP/byte): the pass is compute-bound.
4. **Tensor-parallel collectives** (Shoeybi et al. 2019): two ring all-reduces of the
   activations per layer, each ``2 (TP-1)/TP x bytes / 450 GB/s + latency``: NVLink 4 moves
   450 GB/s per direction (900 GB/s is both directions together), plus a stated start-up
   latency per collective. Depth L and width d from P = 12 L d^2, d = 128 L (assumption).
   A pipeline stage hands the study's activations to the next over InfiniBand (50 GB/s).
5. **Pipeline streaming**: a PP-stage replica holds up to one study per stage in flight, so
   its throughput is one study per stage time (the bottleneck stage, D) and a study's latency
   is PP stage times: ``fixed delay = (PP - 1) D`` beyond the queue at the first stage.
6. **Queueing**: Poisson arrivals at lambda ~ 1,157 studies/s, service time with mean D and
   the scenario's squared coefficient of variation (SCV = 0: a fixed-shape forward pass,
   M/D/c), and a stated routing policy (``serving.routing_policy``, :func:`queue_seen`):

   * ``pooled`` (the default): one FCFS queue in front of the c replicas, M/G/c. It is
     exactly a load balancer that sends each study to the replica with the least work left
     (the Kiefer-Wolfowitz recursion: a study starts on the server that frees first; J.
     Kiefer and J. Wolfowitz, Trans. AMS 78, 1955). Join-the-shortest-queue, which counts
     studies instead of work, sits close to it: it is the optimal routing for identical
     servers whose service time has a non-decreasing hazard rate (W. Winston, J. Appl. Prob.
     14, 1977, exponential; R. R. Weber, J. Appl. Prob. 15, 1978, which covers deterministic
     and gamma service with SCV <= 1, every SCV the scenario allows), and its delays vanish
     as the fleet grows, as in a centralised queue (M. van der Boor, S. Borst, J. van
     Leeuwaarden, D. Mukherjee, SIAM Review 64, 2022). ``constraintlab validate`` simulates
     join-the-shortest-queue and shows the gap.
   * ``random``: a balancer that sees no queue sends each study to a replica drawn uniformly;
     by Poisson thinning each replica is its own M/G/1 queue with arrival rate lambda / c, so
     the fleet's P99 is that single-server queue's (the same exact M/D/1 at SCV 0 and the
     same Whitt approximation otherwise, at c = 1). It needs more replicas for the same P99.

   ``P99 = fixed delay + the response quantile of that queue`` (:mod:`queueing`: exact M/D/c
   by Crommelin's method; M/M/c; Whitt's approximation otherwise). It is never a fixed
   multiple of D: it depends on c, the load and the routing.
7. **Replicas**: r = the fewest replicas whose P99 is under the SLO (if even an unloaded
   replica is too slow, no count is: the design fails latency). The fleet keeps r plus the
   spares that availability needs (:mod:`uptime`); the P99 shown is with all of them up.

Everything here depends only on (model size, strategy): plans are cached per scenario.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Final

from constraintlab.model import scenario as sc
from constraintlab.model.decide import meets
from constraintlab.model.planstore import PlanStore, Progress
from constraintlab.model.queueing import (
    Quantile,
    mdc_p99_bracket_s,
    response_quantile,
    unloaded_quantile_s,
)
from constraintlab.model.strategies import BY_KEY
from constraintlab.model.uptime import AvailabilityPlan, availability_plan, unavailable_plan

P99_QUANTILE: Final = 0.99


@dataclass(frozen=True)
class ServingPlan:
    """The serving fleet of one (model size, strategy): layout, timing, replicas and P99."""

    strategy: str
    tensor_parallel: int
    pipeline_parallel: int
    gpus_per_replica: int
    weights_gb: float
    memory_per_gpu_gb: float
    fits_in_memory: bool
    layers: float
    d_model: float
    arithmetic_intensity_flop_per_byte: float
    compute_ms: float  # one study, one stage: roofline compute (or weight-read) time
    tensor_parallel_comm_ms: float  # one study, one stage: the all-reduces
    collectives_per_stage: float
    pipeline_hop_ms: float
    service_mean_ms: float  # D: one study's time on the bottleneck stage
    service_scv: float
    fixed_delay_ms: float  # (PP - 1) D: the stages after the first
    arrival_rate_per_s: float
    offered_load: float  # a = lambda D, in replicas' worth of work
    slo_feasible: bool  # some replica count keeps the P99 under the SLO
    replicas_required: int  # r
    availability: AvailabilityPlan
    p99_ms: float  # with all n replicas up
    p99_at_required_ms: float  # with exactly r up
    p99_method: str = "exact"  # "exact", "bounded" (Kingman, within D) or "approximation"
    routing_policy: str = "pooled"  # serving.routing_policy: "pooled" or "random"

    @property
    def replicas(self) -> int:
        """c: every provisioned replica, spares included (all serve while up)."""
        return self.availability.n_replicas

    @property
    def spare_replicas(self) -> int:
        return self.availability.spare_replicas

    @property
    def serving_gpus(self) -> int:
        """GPUs of the r replicas the SLO needs."""
        return self.replicas_required * self.gpus_per_replica

    @property
    def spare_gpus(self) -> int:
        return self.availability.spare_gpus

    @property
    def utilization(self) -> float:
        return self.offered_load / self.replicas

    @property
    def service_ms(self) -> float:
        """A study's latency through an idle replica: fixed delay + D."""
        return self.fixed_delay_ms + self.service_mean_ms

    @property
    def latency_met(self) -> bool:
        return self.fits_in_memory and self.slo_feasible and bool(meets("p99_latency", self.p99_ms))


def replica_layout(strategy: str) -> tuple[int, int]:
    """(TP, PP) of one replica: TP = ``hardware.gpus_per_node`` where the strategy splits
    layers over a node's NVLink (else 1); PP = its pipeline stages, one node each."""
    layout = BY_KEY[strategy]
    return (int(sc.GPUS_PER_NODE) if layout.over_node else 1), layout.stages


def model_shape(params: float) -> tuple[float, float]:
    """Depth and width of a transformer of ``params`` parameters: P = 12 L d^2, d = 128 L."""
    layers = (params / (12.0 * sc.MODEL_ASPECT_RATIO**2)) ** (1.0 / 3.0)
    return layers, sc.MODEL_ASPECT_RATIO * layers


def stage_times_s(params: float, tp: int, pp: int) -> tuple[float, float, float, float]:
    """(roofline compute, TP all-reduces, pipeline hop, collectives) for one study, one stage."""
    images = sc.IMAGES_PER_STUDY
    stage_params = params / pp
    flops = 2.0 * stage_params * sc.TOKENS_PER_IMAGE * images
    compute = flops / (tp * sc.H100_DENSE_FP16_TFLOPS * 1e12 * sc.SERVING_MFU)
    weight_read = (
        sc.BYTES_PER_PARAM_SERVING * stage_params / (tp * sc.H100_HBM_BANDWIDTH_GB_PER_S * 1e9)
    )
    layers, d_model = model_shape(params)
    activation_bytes = images * sc.TOKENS_PER_IMAGE * d_model * 2.0
    collectives = 2.0 * layers / pp if tp > 1 else 0.0
    tp_comm = 0.0
    if tp > 1:
        ring = 2.0 * (tp - 1) / tp * activation_bytes / (sc.NVLINK_GB_PER_S_PER_DIRECTION * 1e9)
        tp_comm = collectives * (ring + sc.TP_COLLECTIVE_LATENCY_US * 1e-6)
    hop = 0.0
    if pp > 1:
        hop = activation_bytes / (sc.INFINIBAND_GB_PER_S * 1e9) + sc.PIPELINE_HOP_LATENCY_US * 1e-6
    return max(compute, weight_read), tp_comm, hop, collectives


def queue_seen(servers: int, policy: str | None = None) -> tuple[float, int]:
    """(arrival rate, servers) of the queue a study joins among ``servers`` replicas under the
    routing ``policy`` (default the scenario's ``serving.routing_policy``).

    ``pooled``: the one FCFS queue of all replicas, (lambda, c). ``random``: the study's own
    replica, which uniform random routing feeds a Poisson stream of rate lambda / c, (lambda /
    c, 1). Every replica's queue is the same, so its response time is the fleet's."""
    if (policy or sc.ROUTING_POLICY) == "random":
        return sc.ARRIVAL_RATE_PER_S / servers, 1
    return sc.ARRIVAL_RATE_PER_S, servers


def p99(servers: int, service_s: float, fixed_s: float, policy: str | None = None) -> Quantile:
    """fixed delay + the response-time P99 of the queue the routing policy makes
    (:func:`queue_seen`, :mod:`queueing`), in seconds."""
    rate, queue_servers = queue_seen(servers, policy)
    found = response_quantile(rate, queue_servers, service_s, sc.SERVICE_TIME_SCV, P99_QUANTILE)
    return Quantile(
        fixed_s + found.value_s, fixed_s + found.low_s, fixed_s + found.high_s, found.method
    )


def p99_ms(servers: int, service_s: float, fixed_s: float, policy: str | None = None) -> float:
    """fixed delay + the response-time P99 under the routing policy (ms); inf if unstable."""
    return p99(servers, service_s, fixed_s, policy).value_s * 1e3


def unloaded_p99_ms(service_s: float, fixed_s: float) -> float:
    """The P99 with no queue at all: fixed delay + the service time's own P99 (ms).

    No replica count can do better. With SCV = 0 it is fixed delay + D; otherwise the
    floor of the queue model's response time as c grows without bound (:mod:`queueing`).
    """
    return (fixed_s + unloaded_quantile_s(service_s, sc.SERVICE_TIME_SCV, P99_QUANTILE)) * 1e3


def _meets_ms(value_s: float) -> bool:
    return bool(meets("p99_latency", value_s * 1e3))


def fewest_replicas(service_s: float, fixed_s: float, policy: str | None = None) -> int | None:
    """r: the fewest replicas whose P99 meets the SLO (by the verdict's rule) under the routing
    ``policy`` (default the scenario's), or None.

    No count can when even an idle replica is too slow (the unloaded floor fails: the same
    for both policies, as the load on each replica vanishes). Otherwise the P99 falls as c
    grows, so r is found by bisection between the stability floor floor(a) + 1 and a count
    that passes. At SCV = 0 Kingman's bracket (:mod:`queueing`) decides every count whose
    bracket lies on one side of the SLO, with no FFT: only the few counts whose bracket
    straddles it are solved exactly.
    """
    if not meets("p99_latency", unloaded_p99_ms(service_s, fixed_s) * (1.0 + 1e-9)):
        return None
    load = sc.ARRIVAL_RATE_PER_S * service_s
    lowest = math.floor(load) + 1
    deterministic = sc.SERVICE_TIME_SCV == 0.0

    def ok(c: int) -> bool:
        if deterministic:
            low, high = mdc_p99_bracket_s(*queue_seen(c, policy), service_s, P99_QUANTILE)
            if not _meets_ms(fixed_s + low):
                return False
            if _meets_ms(fixed_s + high):
                return True
        return _meets_ms(p99(c, service_s, fixed_s, policy).value_s)

    high, step = lowest, 1
    while not ok(high):  # gallop up from the stability floor to a passing count
        high, step = high + step, 2 * step
    low = max(lowest - 1, high - step // 2 if step > 1 else lowest - 1)
    while high - low > 1:  # ok(high); not ok(low), or low = lowest - 1 (unstable)
        middle = (low + high) // 2
        if ok(middle):
            high = middle
        else:
            low = middle
    return int(high)


def _encode(plan: ServingPlan) -> dict[str, object]:
    return asdict(plan)


def _decode(data: dict[str, object]) -> ServingPlan:
    fields = dict(data)
    availability = fields.pop("availability")
    assert isinstance(availability, dict)
    return ServingPlan(availability=AvailabilityPlan(**availability), **fields)  # type: ignore[arg-type]


def serving_plan(model_size_b: float, strategy: str) -> ServingPlan:
    """Size the serving fleet for one model and strategy and compute its P99 (module doc).

    Every caller asks this one function; the plans' owner is :data:`PLANS` (memory and
    disk, keyed by the constants a plan reads: :mod:`constraintlab.model.planstore`).
    """
    plan = PLANS.get(model_size_b, strategy)
    assert isinstance(plan, ServingPlan)
    return plan


def grid_pairs() -> list[tuple[float, str]]:
    """Every (model size, strategy) pair of the design grid: what the census reads."""
    from constraintlab.model.design import CONTROLS

    sizes = [float(m) for m in CONTROLS["model_size_b"].grid()]
    return [(m, str(s)) for m in sizes for s in CONTROLS["parallelism"].grid()]


def sweep_pairs(model_size_b: float, strategy: str) -> list[tuple[float, str]]:
    """The pairs one design's advice sweeps read: every grid size at its strategy, and its
    own size at every strategy."""
    from constraintlab.model.design import CONTROLS

    pairs = [(float(m), strategy) for m in CONTROLS["model_size_b"].grid()]
    pairs += [(float(model_size_b), str(s)) for s in CONTROLS["parallelism"].grid()]
    return list(dict.fromkeys(pairs))


def warm_grid_plans(
    sizes: list[float], strategies: list[str], progress: Progress | None = None
) -> None:
    """Make the plans of a grid of pairs available (from disk where they are already there)."""
    PLANS.warm([(float(m), s) for m in sizes for s in strategies], progress)


def _serving_plan(model_size_b: float, strategy: str) -> ServingPlan:
    tp, pp = replica_layout(strategy)
    gpus = tp * pp
    params = model_size_b * 1e9
    weights_gb = sc.BYTES_PER_PARAM_SERVING * params / 1e9
    per_gpu_gb = weights_gb / gpus
    fits = per_gpu_gb <= sc.SERVING_MEMORY_USABLE_FRACTION * sc.H100_MEMORY_GB
    compute_s, tp_s, hop_s, collectives = stage_times_s(params, tp, pp)
    service_s = compute_s + tp_s + hop_s
    fixed_s = (pp - 1) * service_s
    load = sc.ARRIVAL_RATE_PER_S * service_s
    required = fewest_replicas(service_s, fixed_s) if fits else None
    method = "exact"
    if required is None:  # no count holds the SLO: show the unloaded floor of the P99
        avail = unavailable_plan(math.floor(load) + 1, gpus)
        shown_p99 = at_required = unloaded_p99_ms(service_s, fixed_s)
    else:
        avail = availability_plan(required, gpus)
        at_required = p99_ms(required, service_s, fixed_s)
        shown = p99(avail.n_replicas, service_s, fixed_s)
        shown_p99, method = shown.value_s * 1e3, shown.method
    layers, d_model = model_shape(params)
    return ServingPlan(
        strategy=strategy,
        tensor_parallel=tp,
        pipeline_parallel=pp,
        gpus_per_replica=gpus,
        weights_gb=weights_gb,
        memory_per_gpu_gb=per_gpu_gb,
        fits_in_memory=fits,
        layers=layers,
        d_model=d_model,
        arithmetic_intensity_flop_per_byte=sc.TOKENS_PER_IMAGE
        * sc.IMAGES_PER_STUDY
        * 2.0
        / sc.BYTES_PER_PARAM_SERVING,
        compute_ms=compute_s * 1e3,
        tensor_parallel_comm_ms=tp_s * 1e3,
        collectives_per_stage=collectives,
        pipeline_hop_ms=hop_s * 1e3,
        service_mean_ms=service_s * 1e3,
        service_scv=sc.SERVICE_TIME_SCV,
        fixed_delay_ms=fixed_s * 1e3,
        arrival_rate_per_s=sc.ARRIVAL_RATE_PER_S,
        offered_load=load,
        slo_feasible=required is not None,
        replicas_required=avail.replicas_required,
        availability=avail,
        p99_ms=shown_p99,
        p99_at_required_ms=at_required,
        p99_method=method,
        routing_policy=sc.ROUTING_POLICY,
    )


PLANS = PlanStore(_serving_plan, _encode, _decode)
