// The schema table and what is generated from it: range and type texts, TOML literals, and
// the Markdown reference of docs/CONFIG.md.
#include "config/config_schema.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <sstream>

namespace aimarket::config_schema {
namespace {

// Field accessors as plain function pointers, so the table stays a constant aggregate.
constexpr Destination Setting(FieldRef (*field)(Config&)) {
  return Destination{field, nullptr, false, nullptr};
}
constexpr Destination Firm(FieldRef (*field)(FirmSpec&), bool dedicated, const char* absent_note) {
  return Destination{nullptr, field, dedicated, absent_note};
}
#define AIMARKET_FIELD(member) Setting([](Config& c) -> FieldRef { return &c.member; })
#define AIMARKET_SPAN(member, count) \
  Setting([](Config& c) -> FieldRef { return DoubleSpan{c.member.data(), count}; })
// [[firm]] keys: read by the generic reader (an optional member with the note the resolved TOML
// writes when it is absent), or by a dedicated reader (OWN).
#define AIMARKET_FIRM(member) \
  Firm([](FirmSpec& f) -> FieldRef { return &f.member; }, false, nullptr)
#define AIMARKET_FIRM_OPTIONAL(member, note) \
  Firm([](FirmSpec& f) -> FieldRef { return &f.member; }, false, note)
#define AIMARKET_FIRM_OWN(member) \
  Firm([](FirmSpec& f) -> FieldRef { return &f.member; }, true, nullptr)
#define AIMARKET_FIRM_OWN_SPAN(member, count) \
  Firm([](FirmSpec& f) -> FieldRef { return DoubleSpan{f.member.data(), count}; }, true, nullptr)
#define AIMARKET_FIRM_OWN_LISTED_SPAN(member, listed, count)        \
  Firm(                                                             \
      [](FirmSpec& f) -> FieldRef {                                 \
        return DoubleSpan{f.member.data(), count, f.listed.data()}; \
      },                                                            \
      true, nullptr)
#define AIMARKET_FIRM_OWN_LAYERS() \
  Firm([](FirmSpec& f) -> FieldRef { return BoolSpan{f.layers.data(), kLayers}; }, true, nullptr)

constexpr double kMaxPrice = 1e9;
constexpr double kMaxAwareness = 1e9;
constexpr double kMaxRealCustomers = 1e13;
constexpr double kMaxQuality = 10000.0;  // Arena Elo points
constexpr double kMaxBeta = 1000.0;
constexpr double kMaxCash = 1e7;       // USD M
constexpr double kMaxCost = 1e12;      // USD per unit of anything
constexpr double kMaxQuantity = 1e12;  // units, stacks, H100e, T tokens
constexpr double kMaxMonths = 1200.0;  // doubling times
constexpr double kMaxFlop = 1e40;
// Outside income a firm receives every step. Cash is an int64 count of USD, and over the
// longest run the schema allows (run.steps <= 1e7) income alone must not overflow it:
//   kMaxCash * 1e6 + 1e7 steps * kMaxIncome * 1e6 = 1e13 + 1e7 * 1e11 = 1.00001e18 USD
// < 2^63 - 1 = 9.22e18 USD, which leaves headroom for what the run itself earns (a synthetic
// firm starts with at most synthetic_cash x 1e4 = 1e17 USD and has no outside income). Revenue
// (customers x price) cannot be bounded this way; the kernels check that arithmetic instead.
constexpr double kMaxIncome = 1e5;  // USD M per step (1.2e6 USD M a year)

const std::vector<SectionSpec> kSettingsSections = {
    {"run", "Length, replication, randomness and recording of a run."},
    {"population",
     "How many customer and firm agents a replicate holds, and how customers "
     "split across segments and regions."},
    {"firms",
     "Settings for all firms: frozen or dynamic, spending, markup, how service quality follows "
     "the value chain, and the distributions synthetic firms are drawn from."},
    {"demand",
     "Customer adoption (Bass hazard) and choice (multinomial logit on the utility "
     "`u = kappa*ln(10)/400*quality - beta_price*log(1+price/reference_price) + "
     "beta_home*[home region] + beta_network*log(1+share) + beta_language*fit - "
     "switching_cost*[switch] + "
     "taste_sd*z + Gumbel noise`, with the customer's price taste multiplying beta_price and "
     "z its persistent taste for the firm)."},
    {"compute",
     "The compute layers: HBM, accelerators and cloud. Each market's price starts at its "
     "`*_initial_price` and then moves toward clearing, `p' = p*(D/S)^price_adjustment_speed`, "
     "by at most a factor `max_price_change` per step; short supply is rationed in proportion "
     "to demand."},
    {"data",
     "Data: a firm's data stock grows with its customers' use (the flywheel), purchases from "
     "data vendors and public data, and depreciates."},
    {"models",
     "Foundation models: capability from effective training compute and data through the "
     "Chinchilla scaling law `L = E + A/N^alpha + B/D^beta` (N parameters, D training tokens; "
     "Hoffmann et al. 2022), with algorithmic progress."},
    {"scenario",
     "Policy levers (MODEL.md section 5), each a table by region of the firms (or customers) "
     "it acts on, regions not listed keeping the default. `[[event]]` tables change them from "
     "a date on (see the Events section below)."},
    {"entry",
     "Entry of start-ups (dynamic mode only): each step a replicate draws K ~ Poisson(`rate`) "
     "entrants, who take the lowest-index free slots (the `free_slots` extra slots, dead at "
     "start, and the slots of exited synthetic firms once their customers have left). An "
     "entrant is a firm of its slot's archetype like a synthetic one (its layers and segments; "
     "quality, price and awareness from `[firms] synthetic_*`; capacity, compute and model "
     "built from nothing) whose starting cash is its venture funding, "
     "`funding*exp(funding_log_sd*z)`, z standard normal. Entrants beyond the "
     "free slots are lost. Big-tech firms acquire start-ups (the synthetic and entry slots) "
     "when `acquisition_rate` > 0: see docs/MODEL.md."},
    {"strategy",
     "Firm strategies (MODEL.md section 5): nine presets, each a table of spending and pricing "
     "parameters (configs/strategies/presets.toml holds the calibrated ones), assigned to a firm "
     "by its `strategy` key or to every firm of an archetype by the archetype's key here; and "
     "optional adaptation (every `adapt_every` steps a firm imitates a better-performing peer "
     "or mutates its parameters)."},
};

const std::vector<KeySpec> kSettingsKeys = {
    // [run]
    {"run", "steps", KeyKind::kInteger, "120", "months", Integers(1, 10000000), kNoNames,
     "Steps simulated; one step is one month.", AIMARKET_FIELD(run.steps), nullptr, nullptr},
    {"run", "replicates", KeyKind::kInteger, "1", "replicates", Integers(1, kMaxReplicates),
     kNoNames, "Independent Monte Carlo replicates, advanced together.",
     AIMARKET_FIELD(run.replicates), nullptr, nullptr},
    {"run", "seed", KeyKind::kInteger, "1", "-", Integers(0, INT64_MAX), kNoNames,
     "Master seed of the counter-based random number generator: same seed, same results.",
     AIMARKET_FIELD(run.seed), nullptr, nullptr},
    {"run", "start", KeyKind::kMonth, "\"2024-01\"", "calendar month", NoRange(), kNoNames,
     "Calendar month of step 0.", AIMARKET_FIELD(run.start), nullptr, nullptr},
    {"run", "record_every", KeyKind::kInteger, "1", "steps", Integers(1, 10000000), kNoNames,
     "Write the state to the output file every this many steps.", AIMARKET_FIELD(run.record_every),
     nullptr, nullptr},
    {"run", "flush_seconds", KeyKind::kFloat, "2.0", "seconds", OpenClosed(0.0, 3600.0), kNoNames,
     "The output file is flushed to disk at least this often (wall-clock time).",
     AIMARKET_FIELD(run.flush_seconds), nullptr, nullptr},
    {"run", "parameter_uncertainty", KeyKind::kBool, "true", "-", NoRange(), kNoNames,
     "true: each replicate draws its own value of every key given a prior (a table with a "
     "`distribution`; see \"Parameter uncertainty\" below); false: every replicate uses each such "
     "key's `value`.",
     AIMARKET_FIELD(run.parameter_uncertainty), nullptr, nullptr},

    // [population]
    {"population", "customers", KeyKind::kInteger, "100000", "agents per replicate",
     Integers(1, 2000000000), kNoNames, "Customer agents simulated in each replicate.",
     AIMARKET_FIELD(population.customers), nullptr, nullptr},
    {"population", "synthetic_firms", KeyKind::kInteger, "0", "firms", Integers(0, 1000000),
     kNoNames,
     "Synthetic service firms added to the named `[[firm]]` ones, drawn from the `synthetic_*` "
     "settings of `[firms]`.",
     AIMARKET_FIELD(population.synthetic_firms), nullptr, nullptr},
    {"population", "real_customers", KeyKind::kFloat, "1e5", "real customers per replicate",
     OpenClosed(0.0, kMaxRealCustomers), kNoNames,
     "Real customers (people and organisations) the customer agents stand for in each "
     "replicate. Each agent stands for real_customers / customers of them (the output's "
     "`customer_weight`), so the agent count sets sampling precision, not market size.",
     AIMARKET_FIELD(population.real_customers), nullptr, nullptr},
    {"population", "segment_shares", KeyKind::kShares,
     "{ consumer = 0.40, enterprise = 0.30, finance = 0.08, healthcare = 0.08, legal = 0.06, "
     "manufacturing = 0.08 }",
     "fractions", Closed(0.0, 1.0), kSegmentList,
     "Fraction of customers in each segment; segments not listed get 0. The default is a "
     "placeholder until calibration.",
     AIMARKET_SPAN(population.segment_shares, kSegments), nullptr, nullptr},
    {"population", "region_shares", KeyKind::kShares,
     "{ US = 0.30, KR = 0.05, EU = 0.25, CN = 0.20, ROW = 0.20 }", "fractions", Closed(0.0, 1.0),
     kRegionList,
     "Fraction of customers in each region; regions not listed get 0. The default is a "
     "placeholder until calibration.",
     AIMARKET_SPAN(population.region_shares, kRegions), nullptr, nullptr},
    {"population", "initial_adoption", KeyKind::kTable, "{}", "fraction", Closed(0.0, 1.0),
     kSegmentList,
     "Fraction of each segment's customers who already use an AI service at step 0; they are "
     "spread over the firms by the firms' `initial_share` (the rest over the synthetic "
     "firms serving the segment). Segments not listed: 0.",
     AIMARKET_SPAN(population.initial_adoption, kSegments), nullptr, nullptr},
    {"population", "synthetic_mix", KeyKind::kShares, "{ consumer_ai = 1.0 }", "fractions",
     Closed(0.0, 1.0), kArchetypeList,
     "Archetype shares of the synthetic firms; each archetype's firms are drawn from its "
     "distribution (docs/MODEL.md, synthetic population).",
     AIMARKET_SPAN(population.synthetic_mix, kArchetypes), nullptr, nullptr},

    // [firms]
    {"firms", "frozen", KeyKind::kBool, "false", "-", NoRange(), kNoNames,
     "true: every firm's quality, price and awareness stay at their config values (the "
     "textbook reductions); false: they follow the value chain (compute, data, models, R&D, "
     "marketing).",
     AIMARKET_FIELD(firms.frozen), nullptr, nullptr},
    {"firms", "synthetic_quality_mean", KeyKind::kFloat, "0.0", "Arena Elo points",
     Closed(-kMaxQuality, kMaxQuality), kNoNames,
     "Mean of the normal distribution synthetic firms' (and entrants') quality is drawn from.",
     AIMARKET_FIELD(firms.synthetic_quality_mean), nullptr, nullptr},
    {"firms", "synthetic_quality_sd", KeyKind::kFloat, "86.0", "Arena Elo points",
     Closed(0.0, kMaxQuality), kNoNames,
     "Standard deviation of the normal distribution of synthetic firms' quality.",
     AIMARKET_FIELD(firms.synthetic_quality_sd), nullptr, nullptr},
    {"firms", "synthetic_price_median", KeyKind::kFloat, "1.0", "USD per customer-month",
     OpenClosed(0.0, kMaxPrice), kNoNames,
     "Median of the log-normal distribution synthetic firms' price is drawn from.",
     AIMARKET_FIELD(firms.synthetic_price_median), nullptr, nullptr},
    {"firms", "synthetic_price_log_sd", KeyKind::kFloat, "0.3", "log price units", Closed(0.0, 5.0),
     kNoNames, "Standard deviation of the log price of synthetic firms.",
     AIMARKET_FIELD(firms.synthetic_price_log_sd), nullptr, nullptr},
    {"firms", "synthetic_awareness", KeyKind::kFloat, "1.0", "awareness weight",
     Closed(0.0, kMaxAwareness), kNoNames,
     "Marketing awareness weight of each synthetic firm, on the scale of `[[firm]]` awareness.",
     AIMARKET_FIELD(firms.synthetic_awareness), nullptr, nullptr},
    {"firms", "foreign_language_fit", KeyKind::kFloat, "0.5", "fraction", Closed(0.0, 1.0),
     kNoNames,
     "Language fit of a firm to customers outside its home region, unless its `language_fit` "
     "says otherwise.",
     AIMARKET_FIELD(firms.foreign_language_fit), nullptr, nullptr},
    {"firms", "synthetic_cash", KeyKind::kFloat, "5.0", "USD M", Closed(0.0, kMaxCash), kNoNames,
     "Cash of each synthetic firm at step 0.", AIMARKET_FIELD(firms.synthetic_cash), nullptr,
     nullptr},
    {"firms", "spend_rate", KeyKind::kFloat, "0.05", "per step", Closed(0.0, 1.0), kNoNames,
     "Fraction of the cash it held after its last funding round (or at the start, or its entry) "
     "that a venture-funded firm spends in a step on top of its operating cash flow: 1 / the "
     "months of runway it plans when it raises, so its runway shortens until it raises again. "
     "Split by the four `*_share` keys; a `[[firm]]` may set its own. Not used by cash-flow "
     "firms (`reinvestment_rate`).",
     AIMARKET_FIELD(firms.spend_rate), nullptr, nullptr},
    {"firms", "compute_share", KeyKind::kFloat, "0.4", "fraction", Closed(0.0, 1.0), kNoNames,
     "Share of a firm's spending on compute (accelerators, HBM, cloud). `compute_share + "
     "data_share + rd_share + marketing_share` must be 1.",
     AIMARKET_FIELD(firms.compute_share), nullptr, nullptr},
    {"firms", "data_share", KeyKind::kFloat, "0.1", "fraction", Closed(0.0, 1.0), kNoNames,
     "Share of a firm's spending on data bought from data vendors.",
     AIMARKET_FIELD(firms.data_share), nullptr, nullptr},
    {"firms", "rd_share", KeyKind::kFloat, "0.3", "fraction", Closed(0.0, 1.0), kNoNames,
     "Share of a firm's spending on R&D and talent, which builds its R&D stock.",
     AIMARKET_FIELD(firms.rd_share), nullptr, nullptr},
    {"firms", "marketing_share", KeyKind::kFloat, "0.2", "fraction", Closed(0.0, 1.0), kNoNames,
     "Share of a firm's spending on marketing, which builds its awareness.",
     AIMARKET_FIELD(firms.marketing_share), nullptr, nullptr},
    {"firms", "markup", KeyKind::kFloat, "0.3", "fraction of unit cost", Closed(0.0, 100.0),
     kNoNames,
     "Markup of a firm's prices over its unit cost (for a service: inference compute and model "
     "fees); a `[[firm]]` may set its own.",
     AIMARKET_FIELD(firms.markup), nullptr, nullptr},
    {"firms", "training_share", KeyKind::kFloat, "0.67", "fraction", Closed(0.0, 1.0), kNoNames,
     "Share of a model developer's compute, after serving its own customers, kept for "
     "training; the rest is offered in the model-API market, and what that market does not "
     "take trains too. A strategy parameter; a `[[firm]]` may set its own.",
     AIMARKET_FIELD(firms.training_share), nullptr, nullptr},
    {"firms", "paid_conversion", KeyKind::kFloat, "1.0", "fraction of users", Closed(0.0, 1.0),
     kNoNames,
     "Share of a service's users who pay its price (the paid tier's list price); the others use "
     "its free tier. Applies to synthetic firms, entrants and every named firm that does not set "
     "its own `paid_conversion`; 1 = every user pays the price.",
     AIMARKET_FIELD(firms.paid_conversion), nullptr, nullptr},
    {"firms", "quality_per_capability", KeyKind::kFloat, "165.0", "Elo per capability unit",
     Closed(-kMaxQuality, kMaxQuality), kNoNames,
     "Service quality gained per unit of capability of the model the service runs on; in "
     "dynamic mode a firm's quality is its `quality` plus the change since the start (or since "
     "its entry) of the capability, data and R&D terms.",
     AIMARKET_FIELD(firms.quality_per_capability), nullptr, nullptr},
    {"firms", "data_quality_gain", KeyKind::kFloat, "23.0", "Arena Elo points",
     Closed(0.0, kMaxQuality), kNoNames,
     "Bound of the quality a firm gains in a segment from its domain data there: "
     "`data_quality_gain * (1 - exp(-domain data / domain_data_scale))`.",
     AIMARKET_FIELD(firms.data_quality_gain), nullptr, nullptr},
    {"firms", "rd_quality_gain", KeyKind::kFloat, "90.0", "Arena Elo points",
     Closed(0.0, kMaxQuality), kNoNames,
     "Bound of the quality a firm gains from its R&D stock: `rd_quality_gain * (1 - exp(-R&D / "
     "rd_scale))`.",
     AIMARKET_FIELD(firms.rd_quality_gain), nullptr, nullptr},
    {"firms", "domain_data_scale", KeyKind::kFloat, "0.01", "T tokens",
     OpenClosed(0.0, kMaxQuantity), kNoNames,
     "Domain data (in one segment) at which the data gain (and the fine-tuning gain) reaches "
     "1 - 1/e (63 %) of its bound.",
     AIMARKET_FIELD(firms.domain_data_scale), nullptr, nullptr},
    {"firms", "rd_scale", KeyKind::kFloat, "100.0", "USD M", OpenClosed(0.0, kMaxCash), kNoNames,
     "R&D stock at which the R&D gain reaches 1 - 1/e (63 %) of `rd_quality_gain`.",
     AIMARKET_FIELD(firms.rd_scale), nullptr, nullptr},
    {"firms", "rd_depreciation", KeyKind::kFloat, "0.02", "per step", Closed(0.0, 1.0), kNoNames,
     "Fraction of a firm's R&D stock lost each step (staff turnover, obsolescence).",
     AIMARKET_FIELD(firms.rd_depreciation), nullptr, nullptr},
    {"firms", "awareness_max", KeyKind::kFloat, "16.5", "awareness", Closed(0.0, kMaxAwareness),
     kNoNames,
     "Awareness weight marketing adds at most: awareness = base + awareness_max (1 - exp(-M / "
     "marketing_scale)), M the marketing stock. 0: marketing buys no awareness.",
     AIMARKET_FIELD(firms.awareness_max), nullptr, nullptr},
    {"firms", "marketing_scale", KeyKind::kFloat, "625.0", "USD M", OpenClosed(0.0, kMaxCash),
     kNoNames,
     "Marketing stock at which marketing has bought 1 - 1/e (63 %) of `awareness_max`; sets "
     "where returns to marketing diminish.",
     AIMARKET_FIELD(firms.marketing_scale), nullptr, nullptr},
    {"firms", "awareness_decay", KeyKind::kFloat, "0.02", "per step", Closed(0.0, 1.0), kNoNames,
     "Fraction of the marketing stock (accumulated marketing spend, USD M) lost each step.",
     AIMARKET_FIELD(firms.awareness_decay), nullptr, nullptr},
    {"firms", "fixed_cost", KeyKind::kFloat, "0.0", "USD M per step", Closed(0.0, kMaxCash),
     kNoNames,
     "Fixed cost of running a firm (staff, offices) every live firm pays each step, outside the "
     "economy; with the planned burn (`spend_rate`), it is what makes a firm without revenue "
     "or funding run out of cash and exit.",
     AIMARKET_FIELD(firms.fixed_cost), nullptr, nullptr},
    {"firms", "reinvestment_rate", KeyKind::kFloat, "0.5", "fraction of operating cash flow",
     Closed(0.0, 10.0), kNoNames,
     "Budget of a firm with `financing = \"cash_flow\"` per step: this share of last step's "
     "operating cash flow (`other_income` plus its AI revenue, less production and input costs; "
     "docs/MODEL.md, Budgets and funding); a `[[firm]]` may set its own. Unsourced default "
     "(table of unsourced parameters).",
     AIMARKET_FIELD(firms.reinvestment_rate), nullptr, nullptr},
    {"firms", "raise_runway_months", KeyKind::kFloat, "6.0", "months", Closed(0.0, 1000.0),
     kNoNames,
     "A venture-funded firm tries to raise a round in a step that leaves it with less than this "
     "many months of its net burn in cash; a closed round brings its cash to 1 / spend_rate "
     "months of that burn. 0: no rounds.",
     AIMARKET_FIELD(firms.raise_runway_months), nullptr, nullptr},
    {"firms", "round_success", KeyKind::kFloat, "0.11", "probability per step", Closed(0.0, 1.0),
     kNoNames,
     "Chance that a raise closes in a step for a typical firm of its markets (quality at "
     "their mean) with revenue at its trend; the odds scale with 10^(edge / 400), edge its "
     "Elo margin over that mean, and with revenue / trend (docs/MODEL.md, Budgets and "
     "funding).",
     AIMARKET_FIELD(firms.round_success), nullptr, nullptr},
    {"firms", "revenue_trend_months", KeyKind::kFloat, "12.0", "steps", Closed(1.0, 1000.0),
     kNoNames,
     "Time constant of the exponential average of a firm's revenue that investors compare this "
     "step's revenue with.",
     AIMARKET_FIELD(firms.revenue_trend_months), nullptr, nullptr},

    // [demand]
    {"demand", "bass_p", KeyKind::kFloat, "0.01", "per step", Closed(0.0, 1.0), kNoNames,
     "Bass innovation coefficient: adoption hazard of a non-adopter when nobody has adopted. "
     "`bass_p + bass_q` must not exceed 1.",
     AIMARKET_FIELD(demand.bass_p), nullptr, nullptr},
    {"demand", "bass_q", KeyKind::kFloat, "0.3", "per step", Closed(0.0, 1.0), kNoNames,
     "Bass imitation coefficient: the adoption hazard is `bass_p + bass_q*F`, F the adopted "
     "fraction of the customer's segment.",
     AIMARKET_FIELD(demand.bass_q), nullptr, nullptr},
    {"demand", "reconsider_rate", KeyKind::kFloat, "0.05", "per step", Closed(0.0, 1.0), kNoNames,
     "Probability that an adopter chooses its provider again in a step.",
     AIMARKET_FIELD(demand.reconsider_rate), nullptr, nullptr},
    {"demand", "max_services", KeyKind::kInteger, "1", "services", Integers(1, kMaxServices),
     kNoNames,
     "Most AI services a customer uses at once (multi-homing): its primary provider, chosen by "
     "adoption and reconsideration, and up to max_services - 1 others it adds and drops at "
     "`add_service_rate` and `drop_service_rate`. Shares count uses (docs/MODEL.md). 1: every "
     "customer single-homes.",
     AIMARKET_FIELD(demand.max_services), nullptr, nullptr},
    {"demand", "add_service_rate", KeyKind::kFloat, "0.0", "per step", Closed(0.0, 1.0), kNoNames,
     "Probability that an adopter using fewer than `max_services` services chooses one more in a "
     "step, as a newcomer would (a pick it already uses adds nothing).",
     AIMARKET_FIELD(demand.add_service_rate), nullptr, nullptr},
    {"demand", "drop_service_rate", KeyKind::kFloat, "0.0", "per step", Closed(0.0, 1.0), kNoNames,
     "Probability that a customer using more than one service stops using one of its "
     "non-primary services (drawn uniformly) in a step.",
     AIMARKET_FIELD(demand.drop_service_rate), nullptr, nullptr},
    {"demand", "consideration_set", KeyKind::kInteger, "8", "firms",
     Integers(0, kMaxConsiderationSet), kNoNames,
     "Candidate firms a chooser samples by awareness; 0 = every firm.",
     AIMARKET_FIELD(demand.consideration_set), nullptr, nullptr},
    {"demand", "awareness_installed_base", KeyKind::kFloat, "0.5", "fraction", Closed(0.0, 1.0),
     kNoNames,
     "Weight of a firm's installed base, against its marketing awareness, in sampling the "
     "consideration set.",
     AIMARKET_FIELD(demand.awareness_installed_base), nullptr, nullptr},
    {"demand", "elo_discernment", KeyKind::kFloat, "1.0", "multiple of ln(10)/400 per Elo point",
     Closed(0.0, kMaxBeta), kNoNames,
     "kappa: customers' weight of quality, as a multiple of the Arena raters' (1 = a 400-point "
     "lead gives 10:1 odds). Utility per Elo point is `kappa * ln(10) / 400`.",
     AIMARKET_FIELD(demand.elo_discernment), nullptr, nullptr},
    {"demand", "beta_price", KeyKind::kFloat, "1.0", "utility per unit of the price term",
     Closed(0.0, kMaxBeta), kNoNames,
     "Weight of the price term `log(1 + price/reference_price)` in utility (subtracted); "
     "price is what a user of the firm pays on average, its `paid_conversion` x its list "
     "price.",
     AIMARKET_FIELD(demand.beta_price), nullptr, nullptr},
    {"demand", "reference_price", KeyKind::kFloat, "1.0", "USD per customer-month",
     OpenClosed(0.0, kMaxPrice), kNoNames,
     "p_ref of the price term `log(1 + price/p_ref)`: well above it the term is log(price) up "
     "to a constant, and a price of 0 (a free tier) is finite.",
     AIMARKET_FIELD(demand.reference_price), nullptr, nullptr},
    {"demand", "beta_home", KeyKind::kFloat, "0.5", "utility", Closed(-kMaxBeta, kMaxBeta),
     kNoNames, "Utility of a firm from the customer's own region (home bias).",
     AIMARKET_FIELD(demand.beta_home), nullptr, nullptr},
    {"demand", "beta_network", KeyKind::kFloat, "0.5", "utility per unit log(1+share)",
     Closed(-kMaxBeta, kMaxBeta), kNoNames,
     "Weight of log(1 + the firm's share of the segment) in utility (network effect).",
     AIMARKET_FIELD(demand.beta_network), nullptr, nullptr},
    {"demand", "beta_language", KeyKind::kFloat, "0.5", "utility per unit fit",
     Closed(-kMaxBeta, kMaxBeta), kNoNames,
     "Weight of the firm's language fit to the customer's region in utility.",
     AIMARKET_FIELD(demand.beta_language), nullptr, nullptr},
    {"demand", "switching_cost", KeyKind::kFloat, "1.0", "utility", Closed(0.0, kMaxBeta), kNoNames,
     "Utility lost by changing from a current provider to another firm.",
     AIMARKET_FIELD(demand.switching_cost), nullptr, nullptr},
    {"demand", "price_taste_sd", KeyKind::kFloat, "0.9", "log units", Closed(0.0, 5.0), kNoNames,
     "Log-sd of a customer's persistent price sensitivity, a log-normal multiplier of "
     "beta_price (0 = every customer alike).",
     AIMARKET_FIELD(demand.price_taste_sd), nullptr, nullptr},
    {"demand", "taste_sd", KeyKind::kFloat, "1.0", "utility", Closed(0.0, 10.0), kNoNames,
     "Standard deviation of a customer's persistent taste for each firm, `taste_sd*z` added to "
     "the firm's utility with z standard normal, fixed for the customer and firm over the run "
     "(0 = no durable taste; the logit's own noise has sd pi/sqrt(6) = 1.28).",
     AIMARKET_FIELD(demand.taste_sd), nullptr, nullptr},
    {"demand", "calibration_rounds", KeyKind::kInteger, "0", "rounds", Integers(0, 1000), kNoNames,
     "Rounds of the utility inversion before the first step (docs/MODEL.md, \"Utilities "
     "calibrated from shares\"): each named firm's utility offset in each segment, and one "
     "offset for the other firms of the segment, are moved until the starting customers are a "
     "rest point of the model's own choice; 0 = off (utilities as configured).",
     AIMARKET_FIELD(demand.calibration_rounds), nullptr, nullptr},

    // [compute]
    {"compute", "hbm_per_accelerator", KeyKind::kFloat, "6.0", "stacks per accelerator unit",
     OpenClosed(0.0, 1000.0), kNoNames,
     "HBM stacks one accelerator unit needs: accelerators made in a step are at most min(fab "
     "capacity, HBM obtained / hbm_per_accelerator).",
     AIMARKET_FIELD(compute.hbm_per_accelerator), nullptr, nullptr},
    {"compute", "hbm_unit_cost", KeyKind::kFloat, "250.0", "USD per stack",
     OpenClosed(0.0, kMaxCost), kNoNames, "Memory vendors' cost of producing one HBM stack.",
     AIMARKET_FIELD(compute.hbm_unit_cost), nullptr, nullptr},
    {"compute", "hbm_initial_price", KeyKind::kFloat, "400.0", "USD per stack",
     OpenClosed(0.0, kMaxCost), kNoNames, "HBM price at step 0.",
     AIMARKET_FIELD(compute.hbm_initial_price), nullptr, nullptr},
    {"compute", "accelerator_unit_cost", KeyKind::kFloat, "3000.0", "USD per unit",
     OpenClosed(0.0, kMaxCost), kNoNames,
     "Chip makers' cost of producing one accelerator unit, excluding its HBM.",
     AIMARKET_FIELD(compute.accelerator_unit_cost), nullptr, nullptr},
    {"compute", "accelerator_initial_price", KeyKind::kFloat, "25000.0", "USD per unit",
     OpenClosed(0.0, kMaxCost), kNoNames, "Accelerator price at step 0.",
     AIMARKET_FIELD(compute.accelerator_initial_price), nullptr, nullptr},
    {"compute", "cloud_operating_cost", KeyKind::kFloat, "300.0", "USD per H100e-month",
     OpenClosed(0.0, kMaxCost), kNoNames,
     "Cloud providers' cost of operating one H100e for a month (power, facilities, staff).",
     AIMARKET_FIELD(compute.cloud_operating_cost), nullptr, nullptr},
    {"compute", "cloud_initial_price", KeyKind::kFloat, "1500.0", "USD per H100e-month",
     OpenClosed(0.0, kMaxCost), kNoNames, "Cloud compute rental price at step 0.",
     AIMARKET_FIELD(compute.cloud_initial_price), nullptr, nullptr},
    {"compute", "price_performance_doubling_months", KeyKind::kFloat, "24.8", "months",
     OpenClosed(0.0, kMaxMonths), kNoNames,
     "Months for the compute delivered per new accelerator unit to double (Epoch AI: GPU "
     "price-performance doubles every 2.07 years for ML GPUs).",
     AIMARKET_FIELD(compute.price_performance_doubling_months), nullptr, nullptr},
    {"compute", "depreciation", KeyKind::kFloat, "0.016666666666666666", "per step",
     Closed(0.0, 1.0), kNoNames,
     "Fraction of installed compute retired each step (1/60: a five-year life).",
     AIMARKET_FIELD(compute.depreciation), nullptr, nullptr},
    {"compute", "price_adjustment_speed", KeyKind::kFloat, "0.2", "-", Closed(0.0, 5.0), kNoNames,
     "Exponent eta of the price update `p' = p*(D/S)^eta` in the HBM, accelerator and cloud "
     "markets; 0 holds prices fixed.",
     AIMARKET_FIELD(compute.price_adjustment_speed), nullptr, nullptr},
    {"compute", "max_price_change", KeyKind::kFloat, "1.2", "factor per step", Closed(1.0, 10.0),
     kNoNames,
     "Largest factor by which a price may rise or fall in one step (1 holds prices fixed).",
     AIMARKET_FIELD(compute.max_price_change), nullptr, nullptr},
    {"compute", "capacity_cost_accelerator", KeyKind::kFloat, "40000.0",
     "USD per accelerator unit per step of capacity", OpenClosed(0.0, kMaxCost), kNoNames,
     "Investment cost of one accelerator unit per step of added fab capacity.",
     AIMARKET_FIELD(compute.capacity_cost_accelerator), nullptr, nullptr},
    {"compute", "capacity_cost_hbm", KeyKind::kFloat, "2000.0",
     "USD per stack per step of capacity", OpenClosed(0.0, kMaxCost), kNoNames,
     "Investment cost of one HBM stack per step of added HBM capacity.",
     AIMARKET_FIELD(compute.capacity_cost_hbm), nullptr, nullptr},
    {"compute", "capacity_depreciation", KeyKind::kFloat, "0.01", "per step", Closed(0.0, 1.0),
     kNoNames, "Fraction of fab and HBM capacity lost each step.",
     AIMARKET_FIELD(compute.capacity_depreciation), nullptr, nullptr},
    {"compute", "target_utilization", KeyKind::kFloat, "0.8", "fraction", OpenClosed(0.0, 1.0),
     kNoNames,
     "u*: memory makers, merchant chip makers and clouds order capacity for their expected "
     "demand / u* (docs/MODEL.md, \"Capacity\"); with capacity and orders above that, they "
     "order nothing.",
     AIMARKET_FIELD(compute.target_utilization), nullptr, nullptr},
    {"compute", "demand_smoothing", KeyKind::kFloat, "0.3", "-", Closed(0.0, 1.0), kNoNames,
     "lambda of the adaptive growth estimate g <- (1 - lambda) g + lambda (D_t / D_{t-1} - 1) "
     "from which capacity holders expect demand D (1 + g)^h at the step an order arrives.",
     AIMARKET_FIELD(compute.demand_smoothing), nullptr, nullptr},
    {"compute", "lead_time_hbm", KeyKind::kInteger, "12", "months", Integers(0, 120), kNoNames,
     "Steps from ordering HBM (TSV) capacity to its first output; paid when ordered.",
     AIMARKET_FIELD(compute.lead_time_hbm), nullptr, nullptr},
    {"compute", "lead_time_fab", KeyKind::kInteger, "18", "months", Integers(0, 120), kNoNames,
     "Steps from a merchant chip maker's ordering fab capacity to its first output; paid when "
     "ordered.",
     AIMARKET_FIELD(compute.lead_time_fab), nullptr, nullptr},
    {"compute", "lead_time_packaging", KeyKind::kInteger, "12", "months", Integers(0, 120),
     kNoNames, "Steps from reserving packaging (CoWoS-class) capacity to its first output.",
     AIMARKET_FIELD(compute.lead_time_packaging), nullptr, nullptr},
    {"compute", "lead_time_cloud", KeyKind::kInteger, "3", "months", Integers(0, 120), kNoNames,
     "Steps from a cloud's buying accelerators to their being installed (0: installed at the "
     "end of the step bought, rented from the next).",
     AIMARKET_FIELD(compute.lead_time_cloud), nullptr, nullptr},
    {"compute", "packaging_capacity", KeyKind::kFloat, "0.0", "accelerator units per step",
     Closed(0.0, kMaxQuantity), kNoNames,
     "Packaging (CoWoS-class) capacity at the start, split across accelerator makers by fab "
     "capacity; a maker's accelerator output is at most min(fab, HBM / hbm_per_accelerator, "
     "its packaging). 0: packaging does not limit output.",
     AIMARKET_FIELD(compute.packaging_capacity), nullptr, nullptr},
    {"compute", "cloud_self_use_share", KeyKind::kFloat, "0.5", "fraction", Closed(0.0, 1.0),
     kNoNames,
     "Share of its installed compute a firm active in both cloud and model keeps for its own "
     "models; it rents out the rest.",
     AIMARKET_FIELD(compute.cloud_self_use_share), nullptr, nullptr},
    {"compute", "buyer_price_sensitivity", KeyKind::kFloat, "2.0", "-", Closed(0.0, 100.0),
     kNoNames,
     "theta: a buyer splits its demand across the sellers it may trade with in proportion to "
     "(price / performance)^-theta (0 = evenly).",
     AIMARKET_FIELD(compute.buyer_price_sensitivity), nullptr, nullptr},

    // [data]
    {"data", "flywheel_tokens_per_customer", KeyKind::kFloat, "8.07e-9",
     "T tokens per real customer per step", Closed(0.0, kMaxQuantity), kNoNames,
     "Domain data a firm gathers each step from each real customer using its service in a "
     "segment (the data flywheel), added to its domain data in that segment only.",
     AIMARKET_FIELD(data.flywheel_tokens_per_customer), nullptr, nullptr},
    {"data", "public_data_rate", KeyKind::kFloat, "0.2", "T tokens per step",
     Closed(0.0, kMaxQuantity), kNoNames,
     "Public text every model developer (a firm with layer `model`) scrapes each step; what it "
     "holds never exceeds the public text that exists (`public_text_stock`).",
     AIMARKET_FIELD(data.public_data_rate), nullptr, nullptr},
    {"data", "depreciation", KeyKind::kFloat, "0.01", "per step", Closed(0.0, 1.0), kNoNames,
     "Fraction of every data stock (public, licensed and domain) that goes stale each step.",
     AIMARKET_FIELD(data.depreciation), nullptr, nullptr},
    {"data", "data_unit_cost", KeyKind::kFloat, "2e5", "USD per T tokens",
     OpenClosed(0.0, kMaxCost), kNoNames,
     "Data vendors' cost of licensing and delivering one trillion tokens (paid outside the "
     "economy; the floor of the data price).",
     AIMARKET_FIELD(data.data_unit_cost), nullptr, nullptr},
    {"data", "data_initial_price", KeyKind::kFloat, "1e6", "USD per T tokens",
     OpenClosed(0.0, kMaxCost), kNoNames,
     "Price of licensed data at step 0; it then moves toward clearing like compute prices.",
     AIMARKET_FIELD(data.data_initial_price), nullptr, nullptr},
    {"data", "public_text_stock", KeyKind::kFloat, "300.0", "T tokens",
     OpenClosed(0.0, kMaxQuantity), kNoNames,
     "Stock of public human text in the world at step 0; no firm holds more public text than "
     "exists.",
     AIMARKET_FIELD(data.public_text_stock), nullptr, nullptr},
    {"data", "public_text_growth", KeyKind::kFloat, "0.07", "per year", Closed(0.0, 10.0), kNoNames,
     "Growth of the public text stock, and of each data vendor's corpus: stock x (1 + "
     "growth)^(months / 12).",
     AIMARKET_FIELD(data.public_text_growth), nullptr, nullptr},
    {"data", "vendor_corpus", KeyKind::kFloat, "0.08", "T tokens", Closed(0.0, kMaxQuantity),
     kNoNames,
     "Text each data vendor (a firm that sells data) may license at step 0, growing like the "
     "public stock; each token is licensed once, so a vendor's capacity on the data market is "
     "what is left of its corpus.",
     AIMARKET_FIELD(data.vendor_corpus), nullptr, nullptr},

    // [models]
    {"models", "chinchilla_E", KeyKind::kFloat, "1.69", "loss (nats per token)",
     OpenClosed(0.0, 100.0), kNoNames,
     "Irreducible loss E of the scaling law (Hoffmann et al. 2022: 1.69).",
     AIMARKET_FIELD(models.chinchilla_E), nullptr, nullptr},
    {"models", "chinchilla_A", KeyKind::kFloat, "406.4", "loss", OpenClosed(0.0, 1e6), kNoNames,
     "Coefficient A of the parameter term A/N^alpha (Hoffmann et al. 2022: 406.4).",
     AIMARKET_FIELD(models.chinchilla_A), nullptr, nullptr},
    {"models", "chinchilla_B", KeyKind::kFloat, "410.7", "loss", OpenClosed(0.0, 1e6), kNoNames,
     "Coefficient B of the data term B/D^beta (Hoffmann et al. 2022: 410.7).",
     AIMARKET_FIELD(models.chinchilla_B), nullptr, nullptr},
    {"models", "chinchilla_alpha", KeyKind::kFloat, "0.34", "-", OpenClosed(0.0, 2.0), kNoNames,
     "Exponent alpha of the parameter term (Hoffmann et al. 2022: 0.34).",
     AIMARKET_FIELD(models.chinchilla_alpha), nullptr, nullptr},
    {"models", "chinchilla_beta", KeyKind::kFloat, "0.28", "-", OpenClosed(0.0, 2.0), kNoNames,
     "Exponent beta of the data term (Hoffmann et al. 2022: 0.28).",
     AIMARKET_FIELD(models.chinchilla_beta), nullptr, nullptr},
    {"models", "tokens_per_parameter", KeyKind::kFloat, "20.0", "tokens per parameter",
     OpenClosed(0.0, 1e6), kNoNames,
     "Compute-optimal ratio D/N of training tokens to parameters (about 20 in Hoffmann et al. "
     "2022).",
     AIMARKET_FIELD(models.tokens_per_parameter), nullptr, nullptr},
    {"models", "flop_per_h100e_month", KeyKind::kFloat, "1.0e21", "FLOP per H100e-month",
     OpenClosed(0.0, kMaxFlop), kNoNames,
     "Effective training FLOP one H100e delivers in a month (peak throughput times "
     "utilisation), at 2024 algorithms.",
     AIMARKET_FIELD(models.flop_per_h100e_month), nullptr, nullptr},
    {"models", "algorithmic_doubling_months", KeyKind::kFloat, "8.0", "months",
     OpenClosed(0.0, kMaxMonths), kNoNames,
     "Months for algorithmic progress to double effective training compute (Epoch AI: the "
     "compute needed for a fixed performance halves about every 8 months).",
     AIMARKET_FIELD(models.algorithmic_doubling_months), nullptr, nullptr},
    {"models", "reference_compute", KeyKind::kFloat, "1.0e21", "FLOP", OpenClosed(0.0, kMaxFlop),
     kNoNames,
     "Effective training compute of a model of capability 0: the origin of the "
     "capability scale.",
     AIMARKET_FIELD(models.reference_compute), nullptr, nullptr},
    {"models", "finetune_gain", KeyKind::kFloat, "0.1", "capability units", Closed(0.0, kMaxBeta),
     kNoNames,
     "Bound of the capability a firm adds to an adopted open base model by fine-tuning on its "
     "domain data in a segment: `finetune_gain * (1 - exp(-domain data / "
     "firms.domain_data_scale))`, in that segment.",
     AIMARKET_FIELD(models.finetune_gain), nullptr, nullptr},
    {"models", "tokens_per_customer", KeyKind::kFloat, "0.05", "M tokens per real customer-month",
     Closed(0.0, kMaxQuantity), kNoNames,
     "Usage: tokens (prompt and response) one real customer of a service uses in a month. Its "
     "inference compute is this times `2 x active parameters` FLOP per token.",
     AIMARKET_FIELD(models.tokens_per_customer), nullptr, nullptr},
    {"models", "inference_flop_per_h100e_month", KeyKind::kFloat, "2.6e20", "FLOP per H100e-month",
     OpenClosed(0.0, kMaxFlop), kNoNames,
     "FLOP one H100e delivers in a month when serving a model (peak throughput times inference "
     "utilisation).",
     AIMARKET_FIELD(models.inference_flop_per_h100e_month), nullptr, nullptr},
    {"models", "max_served_parameters", KeyKind::kFloat, "4.05e11", "parameters",
     OpenClosed(0.0, 1e15), kNoNames,
     "Most active parameters of a model a lab serves: the served model is the scaling law's "
     "size at the lab's training compute, at most this (labs distil their frontier runs and "
     "serve mixtures of experts rather than serve ever larger models; docs/MODEL.md, \"The "
     "model-API market\"). Sets the inference compute per token, 2 N FLOP.",
     AIMARKET_FIELD(models.max_served_parameters), nullptr, nullptr},
    {"models", "api_initial_price", KeyKind::kFloat, "0.75", "USD per M tokens",
     OpenClosed(0.0, kMaxCost), kNoNames,
     "API price of a model developer at step 0 (a 3:1 blend of input and output prices) unless "
     "the firm sets its own `api_price`; it then moves toward clearing like the compute prices.",
     AIMARKET_FIELD(models.api_initial_price), nullptr, nullptr},
    {"models", "api_price_sensitivity", KeyKind::kFloat, "1.0", "utility per log USD",
     Closed(0.0, 100.0), kNoNames,
     "sigma: a service firm's utility from a model supplier falls by sigma times the log of its "
     "price per M tokens (logit supplier choice).",
     AIMARKET_FIELD(models.api_price_sensitivity), nullptr, nullptr},
    {"models", "api_partner_bonus", KeyKind::kFloat, "2.0", "utility", Closed(0.0, 100.0), kNoNames,
     "Utility a service firm adds to the API of its `model_source` partner: a preference, not "
     "exclusivity.",
     AIMARKET_FIELD(models.api_partner_bonus), nullptr, nullptr},

    // [scenario]
    {"scenario", "export_controls", KeyKind::kNamePairs, "[]", "-", NoRange(), kRegionList,
     "Forbidden trades in accelerators and HBM: `[[\"US\", \"CN\"]]` means sellers in US may "
     "not sell to buyers in CN.",
     AIMARKET_FIELD(scenario.export_controls), nullptr, nullptr},
    {"scenario", "compute_subsidy", KeyKind::kTable, "{}", "fraction of own compute budget",
     Closed(0.0, 10.0), kRegionList,
     "Government top-up of the compute (or capacity) budget of the region's firms: 0.3 adds "
     "30 % to what a firm spends itself.",
     AIMARKET_SPAN(scenario.compute_subsidy, kRegions), nullptr, nullptr},
    {"scenario", "rd_subsidy", KeyKind::kTable, "{}", "fraction of own R&D budget",
     Closed(0.0, 10.0), kRegionList, "Government top-up of the R&D budget of the region's firms.",
     AIMARKET_SPAN(scenario.rd_subsidy, kRegions), nullptr, nullptr},
    {"scenario", "public_data", KeyKind::kTable, "{}", "T tokens per step",
     Closed(0.0, kMaxQuantity), kRegionList,
     "Public data the region opens to each of its model and service firms every step (on top of "
     "`data.public_data_rate` for model developers).",
     AIMARKET_SPAN(scenario.public_data, kRegions), nullptr, nullptr},
    {"scenario", "regulation_cost", KeyKind::kTable, "{}", "USD M per step", Closed(0.0, kMaxCash),
     kRegionList, "Compliance cost each model or service firm of the region pays every step.",
     AIMARKET_SPAN(scenario.regulation_cost, kRegions), nullptr, nullptr},
    {"scenario", "global_model_access", KeyKind::kTable,
     "{ US = 1.0, KR = 1.0, EU = 1.0, CN = 1.0, ROW = 1.0 }", "fraction", Closed(0.0, 1.0),
     kRegionList,
     "Access of the region's firms to foreign models: the weight of a foreign lab's API and of "
     "a foreign open-weight model in their supplier choice (docs/MODEL.md, \"The model-API "
     "market\"). 1: the same access as a home firm (every region's default: access is "
     "symmetric, no region gets a model others cannot); 0: home models only. It applies to "
     "every firm of the region alike and grants no capability beyond what the models offer.",
     AIMARKET_SPAN(scenario.global_model_access, kRegions), nullptr, nullptr},
    {"scenario", "closed_stack", KeyKind::kTable, "{}", "0 or 1", Closed(0.0, 1.0), kRegionList,
     "1 closes the region's stack (the Galapagos case): its firms buy only from home sellers in "
     "every market, adopt only home open models, and lose `closed_stack_penalty` of utility "
     "with customers abroad. Values other than 0 and 1 count as 1 when at least 0.5.",
     AIMARKET_SPAN(scenario.closed_stack, kRegions), nullptr, nullptr},
    {"scenario", "closed_stack_penalty", KeyKind::kFloat, "1.0", "utility", Closed(0.0, kMaxBeta),
     kNoNames,
     "Utility a closed-stack region's firm loses with customers of other regions "
     "(incompatibility with global standards).",
     AIMARKET_FIELD(scenario.closed_stack_penalty), nullptr, nullptr},
    {"scenario", "home_procurement", KeyKind::kTable, "{}", "utility", Closed(0.0, kMaxBeta),
     kRegionList,
     "Extra utility customers of the region get from firms of the region (home-preferring "
     "procurement), on top of `demand.beta_home`.",
     AIMARKET_SPAN(scenario.home_procurement, kRegions), nullptr, nullptr},
    {"scenario", "entry_boost", KeyKind::kTable, "{}", "entrants per step per replicate",
     Closed(0.0, 1e6), kRegionList,
     "Extra start-ups entering the region's free slots every step (Poisson), on top of "
     "`entry.rate` (needs `entry.free_slots` in the region).",
     AIMARKET_SPAN(scenario.entry_boost, kRegions), nullptr, nullptr},
    {"scenario", "entry_boost_archetypes", KeyKind::kTable, "{}", "1 = from this archetype",
     Closed(0.0, 1.0), kArchetypeList,
     "Archetypes the `entry_boost` entrants come from: they take only free slots of the "
     "archetypes listed with a value of at least 0.5 (slots are drawn from "
     "`entry.archetype_mix`); none listed: any archetype.",
     AIMARKET_SPAN(scenario.entry_boost_archetypes, kArchetypes), nullptr, nullptr},

    // [entry]
    {"entry", "free_slots", KeyKind::kInteger, "0", "firms", Integers(0, 1000000), kNoNames,
     "Extra firm slots after the synthetic firms, dead at start, that entrants fill; named "
     "`slot-00000`, ... in the firm table. Device memory is sized for them at start.",
     AIMARKET_FIELD(entry.free_slots), nullptr, nullptr},
    {"entry", "rate", KeyKind::kFloat, "0.0", "entrants per step per replicate", Closed(0.0, 1e6),
     kNoNames,
     "Expected number of entrants per step in each replicate (Poisson). 0 turns entry off. "
     "Placeholder: about 20 % of firms enter or exit per year (Bartelsman, Scarpetta and "
     "Schivardi 2005), to be calibrated.",
     AIMARKET_FIELD(entry.rate), nullptr, nullptr},
    {"entry", "funding", KeyKind::kFloat, "5.0", "USD M", OpenClosed(0.0, kMaxCash), kNoNames,
     "Median venture funding of an entrant, which is its starting cash (outside money).",
     AIMARKET_FIELD(entry.funding), nullptr, nullptr},
    {"entry", "funding_log_sd", KeyKind::kFloat, "1.0", "log USD", Closed(0.0, 5.0), kNoNames,
     "Standard deviation of the log of an entrant's funding (log-normal); a draw is capped at "
     "the largest cash a config may give a firm, 1e7 USD M.",
     AIMARKET_FIELD(entry.funding_log_sd), nullptr, nullptr},
    {"entry", "archetype_mix", KeyKind::kShares, "{ consumer_ai = 1.0 }", "fractions",
     Closed(0.0, 1.0), kArchetypeList,
     "Archetype shares of the `free_slots` slots: each slot draws its archetype (and a "
     "`kr_service` slot sits in KR, like a synthetic one), and an entrant there is a firm of "
     "that archetype: its layers and segments, with fresh stocks (docs/MODEL.md, entry).",
     AIMARKET_SPAN(entry.archetype_mix, kArchetypes), nullptr, nullptr},
    {"entry", "acquisition_rate", KeyKind::kFloat, "0.0", "per step", Closed(0.0, 1.0), kNoNames,
     "Probability per step that a big-tech firm bids for a start-up; 0 turns acquisition off.",
     AIMARKET_FIELD(entry.acquisition_rate), nullptr, nullptr},
    {"entry", "acquisition_max_cash_share", KeyKind::kFloat, "0.1", "fraction", Closed(0.0, 1.0),
     kNoNames, "A bidder pays at most this share of its cash.",
     AIMARKET_FIELD(entry.acquisition_max_cash_share), nullptr, nullptr},
    {"entry", "acquisition_revenue_multiple", KeyKind::kFloat, "60.0", "months of revenue",
     Closed(0.0, 1e4), kNoNames,
     "Price of a start-up: its cash plus this many months of its customer revenue.",
     AIMARKET_FIELD(entry.acquisition_revenue_multiple), nullptr, nullptr},
    {"entry", "acquisition_candidates", KeyKind::kInteger, "8", "firms", Integers(1, 1024),
     kNoNames,
     "Start-up slots a bidder looks at (uniformly drawn); it bids for the one with the "
     "most customers.",
     AIMARKET_FIELD(entry.acquisition_candidates), nullptr, nullptr},

// [strategy]: the presets, then the preset of each archetype, then adaptation.
#define AIMARKET_PRESET(index, key, defaults, meaning)                                            \
  {                                                                                               \
    "strategy", key, KeyKind::kTable, defaults, "see meaning", Closed(0.0, 100.0),                \
        kStrategyParameterList, meaning,                                                          \
        AIMARKET_SPAN(strategy.presets[index], kStrategyParameters), nullptr,                     \
        "spend_rate in [0, 1] (per step), the four shares in [0, 1] summing to 1, markup in [0, " \
        "100], training_share in [0, 1]"                                                          \
  }
    AIMARKET_PRESET(0, "vertical_integration",
                    "{ spend_rate = 0.03, compute_share = 0.5, data_share = 0.1, rd_share = 0.25, "
                    "marketing_share = 0.15, markup = 0.5, training_share = 0.67 }",
                    "All-round player: invests across the chain, spends steadily (big tech)."),
    AIMARKET_PRESET(
        1, "open_weight",
        "{ spend_rate = 0.03, compute_share = 0.6, data_share = 0.15, rd_share = 0.2, "
        "marketing_share = 0.05, markup = 0.2, training_share = 0.67 }",
        "Releases open weights: compute and data for ecosystem reach, low API margins."),
    AIMARKET_PRESET(2, "closed_frontier",
                    "{ spend_rate = 0.06, compute_share = 0.7, data_share = 0.1, rd_share = 0.15, "
                    "marketing_share = 0.05, markup = 1.0, training_share = 0.67 }",
                    "Closed frontier lab: heavy compute, API pricing."),
    AIMARKET_PRESET(
        3, "partner",
        "{ spend_rate = 0.04, compute_share = 0.2, data_share = 0.2, rd_share = 0.2, "
        "marketing_share = 0.4, markup = 0.5, training_share = 0.67 }",
        "Licenses a lab's model (set `model_source` to the partner) and competes on reach."),
    AIMARKET_PRESET(4, "adopt_global_base",
                    "{ spend_rate = 0.04, compute_share = 0.2, data_share = 0.35, rd_share = 0.2, "
                    "marketing_share = 0.25, markup = 0.3, training_share = 0.67 }",
                    "Fast follower: adopts a global or open base model, fine-tunes on local data."),
    AIMARKET_PRESET(5, "sovereign_full_stack",
                    "{ spend_rate = 0.04, compute_share = 0.5, data_share = 0.2, rd_share = 0.2, "
                    "marketing_share = 0.1, markup = 0.4, training_share = 0.67 }",
                    "Builds its own stack (models on home infrastructure)."),
    AIMARKET_PRESET(6, "vertical_niche",
                    "{ spend_rate = 0.04, compute_share = 0.15, data_share = 0.4, rd_share = 0.25, "
                    "marketing_share = 0.2, markup = 0.6, training_share = 0.67 }",
                    "One industry, domain data."),
    AIMARKET_PRESET(7, "memory_specialist",
                    "{ spend_rate = 0.03, compute_share = 0.8, data_share = 0.0, rd_share = 0.15, "
                    "marketing_share = 0.05, markup = 0.3, training_share = 0.67 }",
                    "Memory maker: puts its budget into HBM capacity."),
    AIMARKET_PRESET(8, "npu_challenger",
                    "{ spend_rate = 0.05, compute_share = 0.6, data_share = 0.0, rd_share = 0.3, "
                    "marketing_share = 0.1, markup = 0.2, training_share = 0.67 }",
                    "AI-chip start-up: fab capacity and R&D, low margins."),
#undef AIMARKET_PRESET
#define AIMARKET_ARCHETYPE_STRATEGY(index, key)                                   \
  {                                                                               \
    "strategy", key, KeyKind::kChoice, "\"none\"", "-", NoRange(), kStrategyList, \
        "Strategy preset of every " key                                           \
        " firm without a `strategy` of its own (synthetic firms "                 \
        "and entry slots included); \"none\": the [firms] settings.",             \
        AIMARKET_FIELD(strategy.by_archetype[index]), nullptr, nullptr            \
  }
    AIMARKET_ARCHETYPE_STRATEGY(0, "big_tech"),
    AIMARKET_ARCHETYPE_STRATEGY(1, "model_lab"),
    AIMARKET_ARCHETYPE_STRATEGY(2, "chip_vendor"),
    AIMARKET_ARCHETYPE_STRATEGY(3, "memory_vendor"),
    AIMARKET_ARCHETYPE_STRATEGY(4, "npu_startup"),
    AIMARKET_ARCHETYPE_STRATEGY(5, "cloud"),
    AIMARKET_ARCHETYPE_STRATEGY(6, "kr_service"),
    AIMARKET_ARCHETYPE_STRATEGY(7, "vertical_ai"),
    AIMARKET_ARCHETYPE_STRATEGY(8, "consumer_ai"),
    AIMARKET_ARCHETYPE_STRATEGY(9, "data_vendor"),
#undef AIMARKET_ARCHETYPE_STRATEGY
    {"strategy", "adapt_every", KeyKind::kInteger, "0", "steps", Integers(0, 10000000), kNoNames,
     "Every this many steps each firm reviews its strategy (imitate a better-performing peer "
     "with the same layers, else mutate); 0 turns adaptation off.",
     AIMARKET_FIELD(strategy.adapt_every), nullptr, nullptr},
    {"strategy", "imitation_probability", KeyKind::kFloat, "0.5", "probability", Closed(0.0, 1.0),
     kNoNames, "Chance that a firm whose sampled peer grew faster copies the peer's parameters.",
     AIMARKET_FIELD(strategy.imitation_probability), nullptr, nullptr},
    {"strategy", "mutation_sd", KeyKind::kFloat, "0.1", "log units", Closed(0.0, 5.0), kNoNames,
     "Log-sd of the multiplicative noise of a mutation (shares renormalised to sum to 1).",
     AIMARKET_FIELD(strategy.mutation_sd), nullptr, nullptr},
};

const SectionSpec kFirmSection = {
    "firm",
    "One named firm per `[[firm]]` table, active in one or more layers of the value chain."};

// Defaults of [[firm]] keys are literals the loader reads like a value from the file; the
// language fit default depends on the firm's region, so it is resolved in code.
const std::vector<KeySpec> kFirmKeys = {
    {"firm", "name", KeyKind::kString, nullptr, "-", NoRange(), kNoNames,
     "Name of the firm, unique in the config; `--set firm.NAME.key=value` reaches it. Names "
     "starting with `synthetic-` or `slot-` are reserved for generated firms.",
     AIMARKET_FIRM_OWN(name), "required", "non-empty, unique, no `synthetic-` or `slot-` prefix"},
    {"firm", "archetype", KeyKind::kChoice, nullptr, "-", NoRange(), kArchetypeList,
     "Archetype of the firm.", AIMARKET_FIRM_OWN(archetype), "required", nullptr},
    {"firm", "region", KeyKind::kChoice, nullptr, "-", NoRange(), kRegionList,
     "Home region of the firm.", AIMARKET_FIRM_OWN(region), "required", nullptr},
    {"firm", "layers", KeyKind::kNameSet, nullptr, "-", NoRange(), kLayerList,
     "Layers of the value chain the firm is active in (it may be several: vertical "
     "integration).",
     AIMARKET_FIRM_OWN_LAYERS(), "by archetype (table below)", nullptr},
    {"firm", "sells_data", KeyKind::kBool, nullptr, "-", NoRange(), kNoNames,
     "The firm sells data to other firms (a data vendor).", AIMARKET_FIRM(sells_data),
     "true for `data_vendor`, else false", nullptr},
    {"firm", "quality", KeyKind::kPerSegment, "0.0", "Arena Elo points",
     Closed(-kMaxQuality, kMaxQuality), kSegmentList,
     "Service quality (only with layer `service`). A number: the same in every segment, and "
     "the firm serves every segment. A table: the firm serves exactly the segments listed.",
     AIMARKET_FIRM_OWN_SPAN(quality, kSegments), nullptr, nullptr},
    {"firm", "price", KeyKind::kPerSegment, "1.0", "USD per paying customer-month",
     Closed(0.0, kMaxPrice), kSegmentList,
     "Price (only with layer `service`; 0 = free): the list price of the paid tier, which the "
     "`paid_conversion` share of its users pay, before the value chain adds the unit cost it "
     "passes on to them (docs/MODEL.md, service offer). A number: the same in every segment. A "
     "table: per segment, segments not listed cost 1.0; it may list "
     "only segments the firm serves.",
     AIMARKET_FIRM_OWN_SPAN(price, kSegments), nullptr, nullptr},
    {"firm", "paid_conversion", KeyKind::kPerSegment, nullptr, "fraction of users",
     Closed(0.0, 1.0), kSegmentList,
     "Share of the firm's users in a segment who pay its `price` (only with layer `service`, "
     "segments it serves); the others use a free tier. Its users pay on average paid_conversion "
     "x the list price (`price` plus the unit cost passed on to the payers, docs/MODEL.md); 0 = "
     "a free service, which earns nothing from customers. A number: the same in every segment "
     "it serves. A table: the segments listed; the others take "
     "`firms.paid_conversion`.",
     AIMARKET_FIRM_OWN_LISTED_SPAN(paid_conversion, paid_conversion_given, kSegments),
     "`firms.paid_conversion`", nullptr},
    {"firm", "awareness", KeyKind::kFloat, "1.0", "awareness weight", Closed(0.0, kMaxAwareness),
     kNoNames, "Marketing awareness weight: how often the firm enters consideration sets.",
     AIMARKET_FIRM(awareness), nullptr, nullptr},
    {"firm", "language_fit", KeyKind::kPerRegion, nullptr, "fraction", Closed(0.0, 1.0),
     kRegionList,
     "Language fit to customers of each region; regions not listed get 1.0 at home and "
     "`firms.foreign_language_fit` elsewhere.",
     AIMARKET_FIRM_OWN_SPAN(language_fit, kRegions),
     "1.0 at home, `firms.foreign_language_fit` elsewhere", nullptr},
    {"firm", "cash", KeyKind::kFloat, "100.0", "USD M", Closed(0.0, kMaxCash), kNoNames,
     "Cash at step 0.", AIMARKET_FIRM(cash), nullptr, nullptr},
    {"firm", "fab_capacity", KeyKind::kFloat, "0.0", "accelerator units per step",
     Closed(0.0, kMaxQuantity), kNoNames,
     "Accelerator production capacity at step 0; above 0 only with layer `accelerator`.",
     AIMARKET_FIRM(fab_capacity), nullptr, nullptr},
    {"firm", "hbm_capacity", KeyKind::kFloat, "0.0", "stacks per step", Closed(0.0, kMaxQuantity),
     kNoNames, "HBM production capacity at step 0; above 0 only with layer `hbm`.",
     AIMARKET_FIRM(hbm_capacity), nullptr, nullptr},
    {"firm", "installed_compute", KeyKind::kFloat, "0.0", "H100e", Closed(0.0, kMaxQuantity),
     kNoNames,
     "Compute the firm owns at step 0 (H100-equivalent accelerators): a cloud rents it out, a "
     "model developer trains and serves on it.",
     AIMARKET_FIRM(installed_compute), nullptr, nullptr},
    {"firm", "data_stock", KeyKind::kFloat, "0.0", "T tokens", Closed(0.0, kMaxQuantity), kNoNames,
     "General text the firm holds at step 0 (public text up to `data.public_text_stock`, "
     "licensed text beyond it); its domain data starts at 0.",
     AIMARKET_FIRM(data_stock), nullptr, nullptr},
    {"firm", "other_income", KeyKind::kFloat, "0.0", "USD M per step", Closed(0.0, kMaxIncome),
     kNoNames,
     "Operating cash flow from businesses outside the model (advertising, devices, non-AI "
     "software), received every step: outside money. Venture money comes from funding rounds, "
     "not from here.",
     AIMARKET_FIRM(other_income), nullptr, nullptr},
    {"firm", "financing", KeyKind::kChoice, nullptr, "-", NoRange(), kFinancingList,
     "How the firm pays for its spending: `\"venture\"` spends `spend_rate` of the cash it held "
     "after its last round plus its operating cash flow and raises funding rounds; "
     "`\"cash_flow\"` spends "
     "`reinvestment_rate` of its operating cash flow (docs/MODEL.md, Budgets and funding).",
     AIMARKET_FIRM_OPTIONAL(financing, nullptr),
     "`\"cash_flow\"` for big_tech, chip_vendor, memory_vendor and cloud, else `\"venture\"`",
     nullptr},
    {"firm", "reinvestment_rate", KeyKind::kFloat, nullptr, "fraction of operating cash flow",
     Closed(0.0, 10.0), kNoNames,
     "The firm's own reinvestment rate (with `financing = \"cash_flow\"`), in place of "
     "`firms.reinvestment_rate`.",
     AIMARKET_FIRM_OPTIONAL(reinvestment_rate, "firms.reinvestment_rate"),
     "`firms.reinvestment_rate`", nullptr},
    {"firm", "training_compute", KeyKind::kFloat, "0.0", "FLOP", Closed(0.0, kMaxFlop), kNoNames,
     "Cumulative effective training compute behind the firm's model at step 0; with its "
     "`data_stock` it sets the starting capability. Above 0 only with layer `model`.",
     AIMARKET_FIRM(training_compute), nullptr, nullptr},
    {"firm", "chip_performance", KeyKind::kFloat, "1.0", "H100e per accelerator unit",
     OpenClosed(0.0, 1000.0), kNoNames,
     "Compute one accelerator unit of the firm's design delivers in 2024, relative to an NVIDIA "
     "H100 (meaningful with layer `accelerator`).",
     AIMARKET_FIRM(chip_performance), nullptr, nullptr},
    {"firm", "open_weights", KeyKind::kBool, "false", "-", NoRange(), kNoNames,
     "The firm releases its models as open weights, which any firm may adopt; true only with "
     "layer `model`.",
     AIMARKET_FIRM(open_weights), nullptr, nullptr},
    {"firm", "model_source", KeyKind::kString, nullptr, "-", NoRange(), kNoNames,
     "Where the firm's model comes from: `\"own\"` (it trains its own), `\"open\"` (the best "
     "open-weight model, fine-tuned on its data), or the name of a partner firm whose model it "
     "licenses.",
     AIMARKET_FIRM_OWN(model_source), "`\"own\"` with layer `model`, else `\"open\"`",
     "\"own\" (needs layer model), \"open\", or another [[firm]]'s name (a firm with layer "
     "model)"},
    {"firm", "markup", KeyKind::kFloat, nullptr, "fraction of unit cost", Closed(0.0, 100.0),
     kNoNames, "The firm's own markup, in place of `firms.markup`.",
     AIMARKET_FIRM_OPTIONAL(markup, "firms.markup"), "`firms.markup`", nullptr},
    {"firm", "training_share", KeyKind::kFloat, nullptr, "fraction", Closed(0.0, 1.0), kNoNames,
     "The firm's own training share (of its compute after its own customers), in place of its "
     "strategy's (or `firms.training_share`).",
     AIMARKET_FIRM_OPTIONAL(training_share, "its strategy's or firms.training_share"),
     "its strategy's, else `firms.training_share`", nullptr},
    {"firm", "spend_rate", KeyKind::kFloat, nullptr, "per step", Closed(0.0, 1.0), kNoNames,
     "The firm's own spending rate, in place of its strategy's (or `firms.spend_rate`).",
     AIMARKET_FIRM_OPTIONAL(spend_rate, "its strategy's or firms.spend_rate"),
     "its strategy's, else `firms.spend_rate`", nullptr},
    {"firm", "compute_share", KeyKind::kFloat, nullptr, "fraction of budget", Closed(0.0, 1.0),
     kNoNames,
     "Share of the budget spent on compute (capacity for chip and memory makers). The four "
     "shares are given together and sum to 1.",
     AIMARKET_FIRM_OPTIONAL(compute_share, nullptr), "its strategy's, else `firms.compute_share`",
     nullptr},
    {"firm", "data_share", KeyKind::kFloat, nullptr, "fraction of budget", Closed(0.0, 1.0),
     kNoNames, "Share of the budget spent on data.", AIMARKET_FIRM_OPTIONAL(data_share, nullptr),
     "its strategy's, else `firms.data_share`", nullptr},
    {"firm", "rd_share", KeyKind::kFloat, nullptr, "fraction of budget", Closed(0.0, 1.0), kNoNames,
     "Share of the budget spent on R&D and talent.", AIMARKET_FIRM_OPTIONAL(rd_share, nullptr),
     "its strategy's, else `firms.rd_share`", nullptr},
    {"firm", "marketing_share", KeyKind::kFloat, nullptr, "fraction of budget", Closed(0.0, 1.0),
     kNoNames, "Share of the budget spent on marketing.",
     AIMARKET_FIRM_OPTIONAL(marketing_share, nullptr),
     "its strategy's, else `firms.marketing_share`", nullptr},
    {"firm", "api_price", KeyKind::kFloat, nullptr, "USD per M tokens", OpenClosed(0.0, kMaxCost),
     kNoNames,
     "The firm's API price at step 0 (a 3:1 blend of input and output prices), in place of "
     "`models.api_initial_price` (meaningful with layer `model`).",
     AIMARKET_FIRM_OPTIONAL(api_price, "models.api_initial_price"), "`models.api_initial_price`",
     nullptr},
    {"firm", "api_share", KeyKind::kFloat, nullptr, "fraction", Closed(0.0, 1.0), kNoNames,
     "The lab's share of API spending at the start: its supplier-logit offset is set so that a "
     "service firm without partner or self-hosting spends this share with it (labs without one "
     "share the rest at offset 0). Meaningful with layer `model`; the shares must sum below 1.",
     AIMARKET_FIRM_OPTIONAL(api_share, "none: offset 0"), "none (offset 0)", nullptr},
    {"firm", "cloud_self_use", KeyKind::kFloat, nullptr, "fraction", Closed(0.0, 1.0), kNoNames,
     "Share of the firm's installed compute it keeps for itself (training with layer model) "
     "rather than renting out on the cloud market (meaningful with layer `cloud`).",
     AIMARKET_FIRM_OPTIONAL(cloud_self_use, nullptr),
     "`compute.cloud_self_use_share` with layer `model`, else 0", nullptr},
    {"firm", "strategy", KeyKind::kChoice, nullptr, "-", NoRange(), kStrategyList,
     "The firm's strategy preset ([strategy] tables): its spending rate, budget shares and "
     "markup, unless the firm sets them itself.",
     AIMARKET_FIRM_OPTIONAL(strategy, nullptr), "`strategy.<archetype>`", nullptr},
    {"firm", "initial_share", KeyKind::kPerSegment, "0.0", "fraction", Closed(0.0, 1.0),
     kSegmentList,
     "The firm's share of each segment's customers at step 0 (of the `population."
     "initial_adoption` adopters; only with layer `service`, segments it serves). A number: "
     "the same in every segment it serves. The named firms' shares in a segment sum to at most 1.",
     AIMARKET_FIRM_OWN_SPAN(initial_share, kSegments), nullptr, nullptr},
    {"firm", "home_share", KeyKind::kPerSegment, nullptr, "fraction", Closed(0.0, 1.0),
     kSegmentList,
     "The firm's share of each segment's customers at step 0 among the adopters of its home "
     "`region`, where it differs from `initial_share` (which then applies in the other "
     "regions). In a (segment, region) market the firms with a home share there take it and "
     "the other firms share the rest in proportion to what they would have without it "
     "(docs/MODEL.md, \"Starting customers by region\"). Only with layer `service`, segments "
     "it serves; the home shares in one market sum to at most 1.",
     AIMARKET_FIRM_OWN_LISTED_SPAN(home_share, home_share_given, kSegments),
     "`initial_share` in every region", nullptr},
};

#undef AIMARKET_FIELD
#undef AIMARKET_SPAN
#undef AIMARKET_FIRM
#undef AIMARKET_FIRM_OPTIONAL
#undef AIMARKET_FIRM_OWN
#undef AIMARKET_FIRM_OWN_SPAN
#undef AIMARKET_FIRM_OWN_LAYERS

// The layers of each archetype when its [[firm]] table lists none, in kArchetypeNames order.
struct ArchetypeLayers {
  const char* archetype;
  std::vector<int> layers;
};
const std::vector<ArchetypeLayers> kArchetypeLayers = {
    {"big_tech", {kLayerAccelerator, kLayerCloud, kLayerModel, kLayerService}},
    {"model_lab", {kLayerModel, kLayerService}},
    {"chip_vendor", {kLayerAccelerator}},
    {"memory_vendor", {kLayerHbm}},
    {"npu_startup", {kLayerAccelerator}},
    {"cloud", {kLayerCloud}},
    {"kr_service", {kLayerService}},
    {"vertical_ai", {kLayerService}},
    {"consumer_ai", {kLayerService}},
    {"data_vendor", {}},
};

const std::vector<const char*> kUnimplementedSections = {"finance"};

struct RetiredKey {
  const char* section;
  const char* name;
  const char* replacement;
};
// A retired key is refused with its replacement rather than silently ignored: its old meaning
// would change the economy unnoticed.
const std::vector<RetiredKey> kRetiredKeys = {
    {"population", "customer_weight",
     "population.customer_weight was replaced by population.real_customers (the real "
     "customers of each replicate; the weight per agent is now real_customers / customers): "
     "set population.real_customers = customers x the old weight"},
    {"firms", "marketing_awareness_per_musd",
     "firms.marketing_awareness_per_musd was replaced by firms.awareness_max and "
     "firms.marketing_scale (awareness saturates in the marketing stock: awareness_max (1 - "
     "exp(-stock / marketing_scale)))"},
};

std::string join_names(const NameList& list) {
  std::string text;
  for (int i = 0; i < list.count; ++i) {
    if (i > 0) text += ", ";
    text += list.names[i];
  }
  return text;
}

std::string bounds_text(const Range& range) {
  return std::string(range.min_open ? "(" : "[") + number_text(range.min) + ", " +
         number_text(range.max) + (range.max_open ? ")" : "]");
}

// A Markdown table cell may not hold a raw '|'.
std::string cell(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    if (c == '|') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

void append_key_table(std::ostringstream& out, const std::vector<KeySpec>& keys,
                      const char* section) {
  out << "| Key | Type | Default | Unit | Range | Meaning |\n";
  out << "|---|---|---|---|---|---|\n";
  for (const KeySpec& spec : keys) {
    if (std::string_view(spec.section) != section) continue;
    const std::string default_text = spec.default_toml != nullptr
                                         ? "`" + std::string(spec.default_toml) + "`"
                                         : std::string(spec.doc_default);
    out << "| `" << spec.name << "` | " << cell(type_text(spec)) << " | " << cell(default_text)
        << " | " << cell(spec.unit) << " | " << cell(range_text(spec)) << " | "
        << cell(spec.meaning) << " |\n";
  }
}

}  // namespace

const std::vector<SectionSpec>& settings_sections() { return kSettingsSections; }
const std::vector<KeySpec>& settings_keys() { return kSettingsKeys; }
const SectionSpec& firm_section() { return kFirmSection; }
const std::vector<KeySpec>& firm_keys() { return kFirmKeys; }
const std::vector<const char*>& unimplemented_sections() { return kUnimplementedSections; }

std::array<bool, kLayers> default_layers(int archetype) {
  std::array<bool, kLayers> layers{};
  if (archetype < 0 || archetype >= kArchetypes) return layers;
  for (const ArchetypeLayers& entry : kArchetypeLayers) {
    if (std::string_view(entry.archetype) != kArchetypeNames[archetype]) continue;
    for (int layer : entry.layers) layers[layer] = true;
  }
  return layers;
}

bool is_settings_section(std::string_view name) {
  return std::any_of(kSettingsSections.begin(), kSettingsSections.end(),
                     [&](const SectionSpec& section) { return name == section.name; });
}

bool is_unimplemented_section(std::string_view name) {
  return std::any_of(kUnimplementedSections.begin(), kUnimplementedSections.end(),
                     [&](const char* section) { return name == section; });
}

const char* retired_setting(std::string_view section, std::string_view name) {
  for (const RetiredKey& key : kRetiredKeys) {
    if (section == key.section && name == key.name) return key.replacement;
  }
  return nullptr;
}

const KeySpec* find_setting(std::string_view section, std::string_view name) {
  for (const KeySpec& spec : kSettingsKeys) {
    if (section == spec.section && name == spec.name) return &spec;
  }
  return nullptr;
}

const KeySpec* find_firm_key(std::string_view name) {
  for (const KeySpec& spec : kFirmKeys) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

std::string type_text(const KeySpec& spec) {
  switch (spec.kind) {
    case KeyKind::kInteger:
      return "integer";
    case KeyKind::kFloat:
      return "float";
    case KeyKind::kBool:
      return "boolean";
    case KeyKind::kMonth:
      return "string \"YYYY-MM\"";
    case KeyKind::kChoice:
      return std::string("string (") + spec.names.noun + ")";
    case KeyKind::kString:
      return "string";
    case KeyKind::kShares:
      return std::string("table {") + spec.names.noun + " = float}";
    case KeyKind::kPerSegment:
      return "float, or table {segment = float}";
    case KeyKind::kPerRegion:
      return "table {region = float}";
    case KeyKind::kNameSet:
      return std::string("array of ") + spec.names.noun + " names";
    case KeyKind::kNamePairs:
      return std::string("array of [") + spec.names.noun + ", " + spec.names.noun + "]";
    case KeyKind::kTable:
      return std::string("table {") + spec.names.noun + " = float}";
  }
  return "";
}

std::string range_text(const KeySpec& spec) {
  if (spec.doc_range != nullptr) return spec.doc_range;
  switch (spec.kind) {
    case KeyKind::kInteger:
      return "[" + std::to_string(spec.range.int_min) + ", " + std::to_string(spec.range.int_max) +
             "]";
    case KeyKind::kFloat:
      return bounds_text(spec.range);
    case KeyKind::kBool:
      return "true, false";
    case KeyKind::kMonth:
      return "1900-01 to 2999-12";
    case KeyKind::kChoice:
      return "one of: " + join_names(spec.names);
    case KeyKind::kString:
      return "non-empty";
    case KeyKind::kShares:
      return std::string("each in ") + bounds_text(spec.range) + ", summing to 1; " +
             spec.names.noun + "s: " + join_names(spec.names);
    case KeyKind::kPerSegment:
    case KeyKind::kPerRegion:
      return std::string("each in ") + bounds_text(spec.range) + "; " + spec.names.noun +
             "s: " + join_names(spec.names);
    case KeyKind::kNameSet:
      return "each one of: " + join_names(spec.names) + "; no repeats";
    case KeyKind::kNamePairs:
      return std::string(spec.names.noun) + "s: " + join_names(spec.names) + "; the two differ";
    case KeyKind::kTable:
      return std::string("each in ") + bounds_text(spec.range) + "; " + spec.names.noun +
             "s: " + join_names(spec.names) + " (not listed: unchanged)";
  }
  return "";
}

std::string number_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string shortest(buffer, result.ptr);
  // to_chars writes exponents as "e+09"; "1e9" reads better and is still valid TOML.
  const auto e = shortest.find('e');
  if (e == std::string::npos) return shortest;
  std::string mantissa = shortest.substr(0, e);
  std::string exponent = shortest.substr(e + 1);
  std::string sign;
  if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) {
    if (exponent[0] == '-') sign = "-";
    exponent.erase(0, 1);
  }
  exponent.erase(0, std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
  return mantissa + "e" + sign + exponent;
}

std::string toml_float(double value) {
  std::string text = number_text(value);
  // A TOML float needs a fraction or an exponent, or it reads back as an integer.
  if (text.find_first_of(".eni") == std::string::npos) text += ".0";
  return text;
}

std::string toml_string(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\t':
        quoted += "\\t";
        break;
      case '\r':
        quoted += "\\r";
        break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(byte));
          quoted += escape;
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

std::string closest_name(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const std::string& candidate : candidates) {
    // Levenshtein distance, one row at a time.
    std::vector<std::size_t> row(candidate.size() + 1);
    for (std::size_t j = 0; j <= candidate.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= word.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= candidate.size(); ++j) {
        const std::size_t above = row[j];
        const std::size_t substitution = diagonal + (word[i - 1] == candidate[j - 1] ? 0 : 1);
        row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
        diagonal = above;
      }
    }
    const std::size_t distance = row[candidate.size()];
    // A third of the longer word, so that a truncated name ("kr_serv") still finds its match.
    const bool close = distance <= 2 || distance * 3 <= std::max(word.size(), candidate.size());
    if (close && distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

}  // namespace aimarket::config_schema

namespace aimarket {

std::string config_reference_markdown() {
  using namespace config_schema;
  std::ostringstream out;
  for (const SectionSpec& section : settings_sections()) {
    out << "### `[" << section.name << "]`\n\n" << section.meaning << "\n\n";
    append_key_table(out, settings_keys(), section.name);
    out << "\n";
  }
  out << "### `[[" << firm_section().name << "]]`\n\n" << firm_section().meaning << "\n\n";
  append_key_table(out, firm_keys(), firm_section().name);
  out << "\nLayers of a firm whose `[[firm]]` table does not list them:\n\n"
         "| Archetype | Default layers |\n|---|---|\n";
  for (int a = 0; a < kArchetypes; ++a) {
    const std::array<bool, kLayers> layers = default_layers(a);
    std::string text;
    for (int layer = 0; layer < kLayers; ++layer) {
      if (!layers[layer]) continue;
      text += std::string(text.empty() ? "" : ", ") + "`" + kLayerNames[layer] + "`";
    }
    out << "| `" << kArchetypeNames[a] << "` | " << (text.empty() ? "none" : text) << " |\n";
  }
  out << "\nSections the model names but this version does not implement (an error if "
         "present): ";
  for (std::size_t i = 0; i < unimplemented_sections().size(); ++i) {
    out << (i > 0 ? ", " : "") << "`[" << unimplemented_sections()[i] << "]`";
  }
  out << ".\n";
  return out.str();
}

std::array<bool, kLayers> archetype_default_layers(int archetype) {
  return config_schema::default_layers(archetype);
}

}  // namespace aimarket
