"""The Mesa peer model (tools/bench/mesa_peer.py) against the closed forms aimarket is tested
against (tests/cpp/test_textbook.cpp): softmax shares and the discrete Bass recursion. Each
tolerance is a multiple of the sampling standard deviation, written next to the check; seeds
are fixed, so a pass or a fail is reproducible.

Mesa is not a Debian package: these tests run under .venv-bench/bin/python (made by
tools/setup.sh) and skip elsewhere.
"""
import math
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

try:
    import mesa  # noqa: F401  (only whether it imports matters here)
except ImportError:
    pytest.skip("mesa is not importable by this Python; tools/setup.sh installs it in "
                ".venv-bench (run these tests with .venv-bench/bin/python -m pytest)",
                allow_module_level=True)

sys.path.insert(0, str(REPO / "tools" / "bench"))
import mesa_peer  # noqa: E402

LOGIT = REPO / "configs" / "textbook" / "logit.toml"
BASS = REPO / "configs" / "textbook" / "bass.toml"


def softmax(values):
    top = max(values)
    weight = [math.exp(v - top) for v in values]
    total = sum(weight)
    return [w / total for w in weight]


def test_config_is_read_as_aimarket_reads_it():
    params = mesa_peer.read_reduced_config(LOGIT)
    assert params["quality"] == [0.0, 100.0, 200.0, 300.0]
    assert (params["bass_p"], params["bass_q"], params["reconsider_rate"]) == (1.0, 0.0, 1.0)
    assert params["beta_quality"] == pytest.approx(math.log(10.0) / 400.0, rel=1e-15)
    bass = mesa_peer.read_reduced_config(BASS)
    assert (bass["bass_p"], bass["bass_q"], bass["reconsider_rate"]) == (0.03, 0.38, 0.0)
    assert bass["quality"] == [0.0]


def test_a_config_with_other_mechanisms_is_refused():
    with pytest.raises(mesa_peer.ConfigNotReducible, match="consideration_set"):
        mesa_peer.read_reduced_config(REPO / "configs" / "baseline.toml")


def test_firms_pads_named_firms_with_synthetic_ones():
    market = mesa_peer.ReducedMarket.from_config(LOGIT, customers=10, firms=10)
    assert len(market.quality) == 10
    assert market.quality[:4] == [0.0, 100.0, 200.0, 300.0]
    with pytest.raises(mesa_peer.ConfigNotReducible, match="at least"):
        mesa_peer.ReducedMarket.from_config(LOGIT, customers=10, firms=3)


def test_logit_shares_equal_softmax_of_quality():
    customers = 20000
    market = mesa_peer.ReducedMarket.from_config(LOGIT, customers=customers)
    expected = softmax([market.beta_quality * q for q in market.quality])
    assert expected == pytest.approx([0.0865, 0.1538, 0.2735, 0.4863], abs=1e-4)
    steps = mesa_peer.read_reduced_config(LOGIT)["steps"]
    for step in range(steps):
        market.step()
        # bass_p = 1 and reconsider_rate = 1: every customer draws afresh each step, so the
        # counts are multinomial(N, expected). Pearson's chi-square with K-1 = 3 degrees of
        # freedom exceeds 21.11 with probability 1e-4.
        counts = market.customers_of
        assert sum(counts) == customers
        chi_square = sum((o - customers * e) ** 2 / (customers * e)
                         for o, e in zip(counts, expected))
        assert chi_square < 21.11, f"step {step}: counts {counts}"
        for j, (o, e) in enumerate(zip(counts, expected)):
            # Per firm: binomial sd of the share; 4.5 sd.
            sd = math.sqrt(e * (1 - e) / customers)
            assert abs(o / customers - e) < 4.5 * sd, f"step {step} firm {j}"


def test_bass_adoption_follows_the_discrete_recursion():
    customers = 20000
    params = mesa_peer.read_reduced_config(BASS)
    p, q = params["bass_p"], params["bass_q"]
    market = mesa_peer.ReducedMarket.from_config(BASS, customers=customers)
    f = 0.0         # closed-form adopter fraction F(t)
    variance = 0.0  # sampling variance of the simulated F(t), by linearisation
    for step in range(params["steps"]):
        # F(t+1) = F + (p + qF)(1 - F). Given F, the new adopters are binomial with N(1-F)
        # trials and hazard h, adding h(1-h)(1-F)/N to the variance; earlier deviations
        # propagate through dG/dF = 1 + q - p - 2qF.
        h = p + q * f
        slope = 1.0 + q - p - 2.0 * q * f
        variance = slope * slope * variance + h * (1.0 - h) * (1.0 - f) / customers
        f = f + h * (1.0 - f)
        market.step()
        simulated = market.adopters / customers
        # 5 sd: over 36 steps the chance of a false alarm is below 1e-4.
        assert abs(simulated - f) < 5.0 * math.sqrt(variance) + 1e-12, f"step {step}"
    assert f > 0.99  # the horizon covers the whole S-curve
    assert market.datacollector.get_model_vars_dataframe()["adopters"].iloc[-1] == \
        market.adopters


def test_hazard_is_fixed_before_customers_act():
    # Synchronous update, as in aimarket: the hazard of a step uses the adopters at the end
    # of the previous step, however many adopt during the step.
    market = mesa_peer.ReducedMarket.from_config(BASS, customers=5000)
    for _ in range(5):
        before = market.adopters
        market.step()
        assert market.adoption_hazard == pytest.approx(
            market.bass_p + market.bass_q * before / 5000, rel=1e-15)


def test_adopters_reconsider_at_the_configured_rate():
    customers, rate = 20000, 0.3
    # Two firms of equal quality: a reconsidering customer switches with probability 1/2.
    market = mesa_peer.ReducedMarket(customers, [0.0, 0.0], bass_p=1.0, bass_q=0.0,
                                     reconsider_rate=rate, seed=11)
    market.step()
    assert market.adopters == customers  # hazard 1: everyone adopts in the first step
    for step in range(3):
        before = {a.unique_id: a.provider for a in market.agents}
        market.step()
        switched = sum(a.provider != before[a.unique_id] for a in market.agents)
        # Binomial(N, rate / 2); 5 sd.
        e = rate / 2
        assert abs(switched - customers * e) < 5.0 * math.sqrt(customers * e * (1 - e)), \
            f"step {step}: {switched} switched"


def test_same_seed_same_trajectory():
    runs = []
    for _ in range(2):
        market = mesa_peer.ReducedMarket.from_config(LOGIT, customers=2000, firms=10, seed=5)
        for _ in range(3):
            market.step()
        runs.append(list(market.customers_of))
    assert runs[0] == runs[1]
