"""The reduced aimarket customer market as a Mesa 3 model: the peer for speed comparisons.

What it simulates is aimarket's textbook reduction (docs/MODEL.md, configs/textbook/logit.toml
and bass.toml), one customer agent per customer in one replicate:

* a non-adopter adopts with the Bass hazard h = p + q F, where F is the adopted fraction at
  the end of the previous step;
* an adopter reconsiders with probability r;
* an adopting or reconsidering customer (a "chooser") picks among all firms by multinomial
  logit on beta_quality * quality, beta_quality = elo_discernment * ln(10) / 400
  (quality in Arena Elo points): P(j) = exp(v_j) / sum_l exp(v_l).

The update is synchronous, as in aimarket: F, and so h, is computed once per step before any
agent acts, and with no network effect or switching cost no agent's choice depends on what
another agent did in the same step. The logit probabilities are computed once per step (they
do not differ between customers here), and each chooser draws from them with the model's
seeded generator. It is written as a Mesa user would write it: a `mesa.Agent` subclass with a
`step()`, `model.agents.shuffle_do("step")`, the model's own `random`, and a DataCollector.

Run from a program: ``ReducedMarket.from_config("configs/textbook/logit.toml")``.
"""
from __future__ import annotations

import itertools
import math
import tomllib
from pathlib import Path
from typing import Sequence

import mesa
import numpy as np

NO_PROVIDER = -1

# aimarket's defaults for the keys this model reads (src/config/config_schema.cpp), used when a
# config leaves them out, as aimarket does.
DEMAND_DEFAULTS = {
    "bass_p": 0.01,
    "bass_q": 0.3,
    "reconsider_rate": 0.05,
    "elo_discernment": 1.0,
    "consideration_set": 8,
    "beta_network": 0.5,
    "switching_cost": 1.0,
    "price_taste_sd": 0.9,
    "taste_sd": 1.0,
}
FIRMS_DEFAULTS = {"synthetic_quality_mean": 0.0, "synthetic_quality_sd": 86.0}


class ConfigNotReducible(ValueError):
    """The config uses a mechanism the reduced model does not have."""


class Customer(mesa.Agent):
    """A customer: adopts by the Bass hazard, then now and then reconsiders its provider."""

    def __init__(self, model: "ReducedMarket") -> None:
        super().__init__(model)
        self.provider = NO_PROVIDER  # index of the firm it buys from

    def step(self) -> None:
        market = self.model
        chance = (market.adoption_hazard if self.provider == NO_PROVIDER
                  else market.reconsider_rate)
        if self.random.random() >= chance:
            return
        chosen = self.random.choices(market.firm_indices,
                                     cum_weights=market.cumulative_choice_weights)[0]
        if chosen != self.provider:
            if self.provider != NO_PROVIDER:
                market.customers_of[self.provider] -= 1
            market.customers_of[chosen] += 1
            self.provider = chosen


class ReducedMarket(mesa.Model):
    """Bass adoption and multinomial-logit choice among firms of fixed quality."""

    def __init__(self, customers: int, quality: Sequence[float], *, bass_p: float,
                 bass_q: float, reconsider_rate: float, beta_quality: float = 1.0,
                 seed: int | None = None) -> None:
        super().__init__(seed=seed)
        if customers < 1:
            raise ValueError(f"customers must be at least 1, got {customers}")
        if len(quality) < 1:
            raise ValueError("the market needs at least one firm")
        for name, value in (("bass_p", bass_p), ("bass_q", bass_q),
                            ("reconsider_rate", reconsider_rate)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        self.customer_count = customers
        self.quality = [float(q) for q in quality]
        self.beta_quality = float(beta_quality)
        self.bass_p = float(bass_p)
        self.bass_q = float(bass_q)
        self.reconsider_rate = float(reconsider_rate)
        self.firm_indices = list(range(len(self.quality)))
        self.customers_of = [0] * len(self.quality)  # tally, kept as customers switch
        self.adoption_hazard = 0.0
        self.cumulative_choice_weights: list[float] = []
        Customer.create_agents(self, customers)
        self.datacollector = mesa.DataCollector(model_reporters={
            "adopters": lambda m: m.adopters,
            "customers_of": lambda m: list(m.customers_of),
        })

    @property
    def adopters(self) -> int:
        return sum(self.customers_of)

    def choice_probabilities(self) -> list[float]:
        """softmax(beta_quality * quality), with the largest utility subtracted first."""
        utility = [self.beta_quality * q for q in self.quality]
        top = max(utility)
        weight = [math.exp(v - top) for v in utility]
        total = sum(weight)
        return [w / total for w in weight]

    def step(self) -> None:
        # Everything a customer needs from the market is fixed before any customer acts.
        adopted_fraction = self.adopters / self.customer_count
        self.adoption_hazard = self.bass_p + self.bass_q * adopted_fraction
        self.cumulative_choice_weights = list(itertools.accumulate(self.choice_probabilities()))
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)

    @classmethod
    def from_config(cls, path: str | Path, *, customers: int | None = None,
                    firms: int | None = None, seed: int | None = None) -> "ReducedMarket":
        """The reduced model of an aimarket config (a textbook one: one segment, every firm
        considered, no network effect or switching cost).

        `firms` pads the config's named firms with synthetic ones whose quality is drawn from
        Normal(synthetic_quality_mean, synthetic_quality_sd), as aimarket's population does
        (the same distribution; the draws themselves come from numpy, not aimarket's
        generator). `customers` and `seed` default to the config's.
        """
        params = read_reduced_config(path)
        quality = params["quality"]
        if firms is not None:
            if firms < len(quality):
                raise ConfigNotReducible(
                    f"{path}: names {len(quality)} firms; ask for at least that many")
            draws = np.random.default_rng(params["seed"]).normal(
                params["synthetic_quality_mean"], params["synthetic_quality_sd"],
                size=firms - len(quality))
            quality = quality + [float(q) for q in draws]
        return cls(customers if customers is not None else params["customers"], quality,
                   bass_p=params["bass_p"], bass_q=params["bass_q"],
                   reconsider_rate=params["reconsider_rate"],
                   beta_quality=params["beta_quality"],
                   seed=seed if seed is not None else params["seed"])


def read_reduced_config(path: str | Path) -> dict:
    """The parameters of the reduced model from an aimarket TOML config.

    Raises FileNotFoundError, tomllib.TOMLDecodeError, or ConfigNotReducible for a config
    that uses a mechanism this model leaves out.
    """
    with open(path, "rb") as f:
        config = tomllib.load(f)
    demand = {**DEMAND_DEFAULTS, **config.get("demand", {})}
    firms_section = {**FIRMS_DEFAULTS, **config.get("firms", {})}
    problems = []
    if demand["consideration_set"] != 0:
        problems.append("demand.consideration_set must be 0 (every firm considered)")
    for key in ("beta_network", "switching_cost", "price_taste_sd", "taste_sd"):
        if demand[key] != 0:
            problems.append(f"demand.{key} must be 0")
    # aimarket's default spreads customers over six segments, so the share must be set.
    shares = config.get("population", {}).get("segment_shares", {})
    segments = {name for name, share in shares.items() if share > 0}
    if len(segments) != 1:
        problems.append("population.segment_shares must put every customer in one segment")
    if firms_section.get("frozen", True) is not True:
        problems.append("firms.frozen must be true (firm state fixed)")
    quality, partial_firms = [], []
    for firm in config.get("firm", []):
        q = firm.get("quality", 0.0)
        if isinstance(q, dict):
            if set(q) != segments:
                partial_firms.append(str(firm.get("name")))
                continue
            q = next(iter(q.values()))
        quality.append(float(q))
    if partial_firms:
        problems.append("every firm must serve the one segment (not so: " +
                        ", ".join(partial_firms) + ")")
    if problems:
        raise ConfigNotReducible(f"{path}: not a textbook reduction: " + "; ".join(problems))
    return {
        "customers": int(config.get("population", {}).get("customers", 100000)),
        "seed": int(config.get("run", {}).get("seed", 1)),
        "steps": int(config.get("run", {}).get("steps", 120)),
        "quality": quality,
        "bass_p": float(demand["bass_p"]),
        "bass_q": float(demand["bass_q"]),
        "reconsider_rate": float(demand["reconsider_rate"]),
        # Utility per Elo point, as aimarket derives it (DemandSettings::beta_quality).
        "beta_quality": float(demand["elo_discernment"]) * math.log(10.0) / 400.0,
        "synthetic_quality_mean": float(firms_section["synthetic_quality_mean"]),
        "synthetic_quality_sd": float(firms_section["synthetic_quality_sd"]),
    }
