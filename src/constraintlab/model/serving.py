"""Constraint 2, P99 latency: the serving fleet's 99th-percentile response time < 200 ms.

The serving model, step by step (each number appears in the scorecard's derivation):

1. **Replica layout** from the parallelism strategy (tensor-parallel x pipeline-parallel GPUs):
   ``dp`` = 1 GPU, ``tp_dp`` = TP 8 inside one DGX node over NVLink, ``3d`` = TP 8 x PP 4
   across four nodes over InfiniBand. Data parallelism is the number of replicas.
2. **Memory**: FP16 weights, 2 bytes/param, must fit in 90 % of the replica's HBM
   (80 GB per GPU); a model that does not fit cannot be served with that layout.
3. **Roofline time of one image** on one pipeline stage (Williams et al. 2009):
   ``t = max(2 P n_tok / (TP PP F mfu), 2 P / (TP PP BW))`` with P parameters and
   n_tok = 1,024 tokens per image. Arithmetic intensity is n_tok FLOP/byte, above the H100
   ridge of 989 TFLOPS / 3,350 GB/s ~ 295 FLOP/byte, so the forward pass is compute-bound.
   Tensor parallelism adds two ring all-reduces of the activations per layer
   (Shoeybi et al. 2019): ``2 (L/PP) x 2 (TP-1)/TP x n_tok d 2 B / NVLink``, with depth L and
   width d from P = 12 L d^2 and d = 128 L (assumed aspect ratio). Each pipeline stage hands
   its activations to the next over InfiniBand: ``n_tok d 2 B / 50 GB/s``.
4. **Service time of one study** (4 images): the pipeline fills and drains,
   ``S = (images + PP - 1) x stage time`` (GPipe, Huang et al. 2019). More stages cut the
   study's latency but leave the bubble idle: 3d costs more GPU-time per study.
5. **Replicas**: enough for 70 % utilisation, ``c = ceil(lambda S / 0.7)`` (assumption).
6. **P99** of an M/M/c queue (Erlang 1917; Kleinrock 1975): Poisson arrivals at
   lambda ~ 1,157 studies/s, exponential service with mean S (assumption: study sizes and
   preprocessing vary; exponential is the standard conservative choice), FCFS over c replicas.
   Response time T = W + S with ``P(W > 0) = C(c, a)`` (Erlang C, a = lambda S) and, given a
   wait, W ~ Exp(c mu - lambda). Then, with theta = c mu - lambda,
   ``P(T > t) = (1 - C) e^{-mu t} + C (theta e^{-mu t} - mu e^{-theta t}) / (theta - mu)``
   and the P99 solves P(T > t) = 0.01. It is never a fixed multiple of the mean: with no
   queueing it is ln(100) S ~ 4.6 S.

Everything here depends only on (model size, strategy), so plans are cached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from constraintlab.model import scenario as sc

# strategy -> (tensor-parallel degree, pipeline-parallel degree)
REPLICA_LAYOUT: Final[dict[str, tuple[int, int]]] = {"dp": (1, 1), "tp_dp": (8, 1), "3d": (8, 4)}
P99_QUANTILE_TAIL: Final = 0.01


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
    compute_ms: float  # one image, one stage, roofline compute time
    tensor_parallel_comm_ms: float
    pipeline_hop_ms: float
    stage_ms: float
    service_ms: float  # one study: (images + PP - 1) stage times
    offered_load: float  # a = lambda * S, in replicas' worth of work
    replicas: int
    utilization: float
    wait_probability: float  # Erlang C
    mean_response_ms: float
    p99_ms: float

    @property
    def serving_gpus(self) -> int:
        return self.replicas * self.gpus_per_replica


def model_shape(params: float) -> tuple[float, float]:
    """Depth and width of a transformer of ``params`` parameters: P = 12 L d^2, d = 128 L."""
    layers = (params / (12.0 * sc.MODEL_ASPECT_RATIO**2)) ** (1.0 / 3.0)
    return layers, sc.MODEL_ASPECT_RATIO * layers


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in M/M/c: Erlang C from the Erlang B recursion.

    B(0) = 1; B(k) = a B(k-1) / (k + a B(k-1)); C = B / (1 - rho (1 - B)), rho = a / c.
    The recursion is numerically stable for any c (Jagerman 1974).
    """
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    rho = offered_load / servers
    return blocking / (1.0 - rho * (1.0 - blocking))


def mmc_response_tail(
    t_s: float, arrival_rate: float, service_s: float, servers: int, wait_probability: float
) -> float:
    """P(T > t) for the M/M/c response time (wait + exponential service), FCFS."""
    mu = 1.0 / service_s
    theta = servers * mu - arrival_rate
    served = math.exp(-mu * t_s)
    if abs(theta - mu) < 1e-12 * mu:
        waited = math.exp(-mu * t_s) * (1.0 + mu * t_s)
    else:
        waited = (theta * math.exp(-mu * t_s) - mu * math.exp(-theta * t_s)) / (theta - mu)
    return (1.0 - wait_probability) * served + wait_probability * waited


def mmc_response_quantile(
    tail: float, arrival_rate: float, service_s: float, servers: int, wait_probability: float
) -> float:
    """The t with P(T > t) = tail, by bisection on the monotone tail (seconds)."""
    low, high = 0.0, service_s * math.log(1.0 / tail)
    while mmc_response_tail(high, arrival_rate, service_s, servers, wait_probability) > tail:
        low, high = high, high * 2.0
    for _ in range(60):
        mid = 0.5 * (low + high)
        if mmc_response_tail(mid, arrival_rate, service_s, servers, wait_probability) > tail:
            low = mid
        else:
            high = mid
    return high


def _stage_times_s(params: float, tp: int, pp: int) -> tuple[float, float, float]:
    """(roofline compute, TP all-reduce, pipeline hop) seconds for one image on one stage."""
    gpus = tp * pp
    flops = 2.0 * params * sc.TOKENS_PER_IMAGE
    compute = flops / (gpus * sc.H100_DENSE_FP16_TFLOPS * 1e12 * sc.SERVING_MFU)
    bandwidth = gpus * sc.H100_HBM_BANDWIDTH_GB_PER_S * 1e9
    weight_read = sc.BYTES_PER_PARAM_SERVING * params / bandwidth
    layers, d_model = model_shape(params)
    activation_bytes = sc.TOKENS_PER_IMAGE * d_model * 2.0
    tp_comm = 0.0
    if tp > 1:
        ring = 2.0 * (tp - 1) / tp * activation_bytes / (sc.NVLINK_GB_PER_S * 1e9)
        tp_comm = 2.0 * (layers / pp) * ring
    hop = activation_bytes / (sc.INFINIBAND_GB_PER_S * 1e9) if pp > 1 else 0.0
    return max(compute, weight_read), tp_comm, hop


@lru_cache(maxsize=4096)
def serving_plan(model_size_b: float, strategy: str) -> ServingPlan:
    """Size the serving fleet for one model and strategy and compute its P99 (see module doc)."""
    tp, pp = REPLICA_LAYOUT[strategy]
    params = model_size_b * 1e9
    weights_gb = sc.BYTES_PER_PARAM_SERVING * params / 1e9
    per_gpu_gb = weights_gb / (tp * pp)
    compute_s, tp_comm_s, hop_s = _stage_times_s(params, tp, pp)
    stage_s = compute_s + tp_comm_s + hop_s
    service_s = (sc.IMAGES_PER_STUDY + pp - 1) * stage_s
    load = sc.ARRIVAL_RATE_PER_S * service_s
    replicas = max(1, math.ceil(load / sc.SERVING_TARGET_UTILIZATION))
    wait_p = erlang_c(replicas, load)
    theta = replicas / service_s - sc.ARRIVAL_RATE_PER_S
    p99_s = mmc_response_quantile(
        P99_QUANTILE_TAIL, sc.ARRIVAL_RATE_PER_S, service_s, replicas, wait_p
    )
    layers, d_model = model_shape(params)
    return ServingPlan(
        strategy=strategy,
        tensor_parallel=tp,
        pipeline_parallel=pp,
        gpus_per_replica=tp * pp,
        weights_gb=weights_gb,
        memory_per_gpu_gb=per_gpu_gb,
        fits_in_memory=per_gpu_gb <= sc.SERVING_MEMORY_USABLE_FRACTION * sc.H100_MEMORY_GB,
        layers=layers,
        d_model=d_model,
        arithmetic_intensity_flop_per_byte=sc.TOKENS_PER_IMAGE * 2.0 / sc.BYTES_PER_PARAM_SERVING,
        compute_ms=compute_s * 1e3,
        tensor_parallel_comm_ms=tp_comm_s * 1e3,
        pipeline_hop_ms=hop_s * 1e3,
        stage_ms=stage_s * 1e3,
        service_ms=service_s * 1e3,
        offered_load=load,
        replicas=replicas,
        utilization=load / replicas,
        wait_probability=wait_p,
        mean_response_ms=(service_s + wait_p / theta) * 1e3,
        p99_ms=p99_s * 1e3,
    )
