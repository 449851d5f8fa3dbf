// The run configuration: every key a user may set in a TOML config or with --set, already
// validated and resolved to its default where absent. The schema (names, types, defaults,
// units, ranges, help text, and where each lands here) lives in config_schema.cpp and is the
// single source of truth for parsing, validation, overrides, the resolved TOML, `aimarket keys`
// and docs/CONFIG.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "model/dimensions.hpp"

namespace aimarket {

struct RunSettings {
  std::int64_t steps = 120;       // months simulated
  std::int64_t replicates = 1;    // independent Monte Carlo replicates, advanced together
  std::uint64_t seed = 1;         // master seed of the counter-based RNG
  std::string start = "2024-01";  // calendar month of step 0 (YYYY-MM)
  std::int64_t record_every = 1;  // write the state every this many steps
  double flush_seconds = 2.0;     // the output file is flushed at least this often
  // true: each replicate draws its own value of every key given a prior (Config::priors);
  // false: every replicate uses each such key's `value`.
  bool parameter_uncertainty = true;
};

struct PopulationSettings {
  std::int64_t customers = 100000;   // customer agents per replicate
  std::int64_t synthetic_firms = 0;  // synthetic service firms added to the named ones
  double real_customers = 100000.0;  // real customers the population stands for, per replicate
  std::array<double, kSegments> segment_shares{};    // fraction of customers per segment
  std::array<double, kRegions> region_shares{};      // fraction of customers per region
  std::array<double, kSegments> initial_adoption{};  // fraction using a service at step 0
  // Archetype shares of synthetic firms (all consumer_ai by default).
  std::array<double, kArchetypes> synthetic_mix{0, 0, 0, 0, 0, 0, 0, 0, 1.0, 0};

  // Real customers one agent stands for. Derived, so that the agent count sets only the
  // sampling precision, never the size of the economy.
  double customer_weight() const { return real_customers / static_cast<double>(customers); }
};

struct FirmsSettings {
  bool frozen = false;                  // true: quality and price fixed at config values
  double synthetic_quality_mean = 0.0;  // Arena Elo points
  double synthetic_quality_sd = 86.0;   // Arena Elo points
  double synthetic_price_median = 1.0;  // price units (relative, per customer-month)
  double synthetic_price_log_sd = 0.3;
  double synthetic_awareness = 1.0;   // marketing awareness weight
  double foreign_language_fit = 0.5;  // language fit of a firm outside its home region
  double synthetic_cash = 5.0;        // USD M, starting cash of a synthetic firm
  // Spending: each step a venture firm spends spend_rate * its cash after its last round (plus
  // its operating cash flow), split by these shares (per firm overridable); shares sum to 1.
  double spend_rate = 0.05;  // per step
  double compute_share = 0.4;
  double data_share = 0.1;
  double rd_share = 0.3;
  double marketing_share = 0.2;
  double markup = 0.3;  // price markup over AI unit cost
  // Share of a lab's compute, after its own customers, kept for training (the rest is offered
  // in the model-API market); a strategy parameter.
  double training_share = 0.67;
  // Share of a service's users who pay its (paid tier's) price, for named firms that do not set
  // their own and for synthetic firms and entrants; 1: every user pays.
  double paid_conversion = 1.0;
  // Service quality in dynamic mode (Arena Elo points): base + the change since the start of
  // capability, data and R&D terms; the data and R&D gains saturate at these bounds.
  double quality_per_capability = 165.0;  // Elo per capability unit
  double data_quality_gain = 23.0;        // Elo, bound of G (1 - exp(-data / scale))
  double rd_quality_gain = 90.0;          // Elo, bound of G (1 - exp(-R&D / scale))
  double domain_data_scale = 0.01;        // T tokens
  double rd_scale = 100.0;                // USD M
  double rd_depreciation = 0.02;          // per step
  double awareness_max = 16.5;            // awareness a saturating marketing stock adds
  double marketing_scale = 625.0;  // USD M: marketing stock scale of the saturating awareness
  double awareness_decay = 0.02;   // per step, of the marketing stock
  double fixed_cost = 0.0;         // USD M per step per live firm
  // Budgets and funding rounds (MODEL.md "Budgets and funding").
  double reinvestment_rate = 0.5;      // share of operating cash flow a cash-flow firm spends
  double raise_runway_months = 6.0;    // a venture firm raises when its runway falls below this
  double round_success = 0.11;         // chance per month that a raise closes, at full traction
  double revenue_trend_months = 12.0;  // time constant of the revenue trend investors compare
};

// The compute layers: HBM, accelerators, cloud.
struct ComputeSettings {
  double hbm_per_accelerator = 6.0;                 // HBM stacks per accelerator unit
  double hbm_unit_cost = 250.0;                     // USD per stack (production cost)
  double hbm_initial_price = 400.0;                 // USD per stack
  double accelerator_unit_cost = 3000.0;            // USD per unit, excluding HBM
  double accelerator_initial_price = 25000.0;       // USD per unit
  double cloud_operating_cost = 300.0;              // USD per H100e-month
  double cloud_initial_price = 1500.0;              // USD per H100e-month
  double price_performance_doubling_months = 24.8;  // compute per accelerator unit
  double depreciation = 1.0 / 60.0;                 // per step, installed compute
  double price_adjustment_speed = 0.2;              // eta in p' = p (D/S)^eta
  double max_price_change = 1.2;                    // per step factor bound
  double capacity_cost_accelerator = 40000.0;       // USD per unit/month of added fab capacity
  double capacity_cost_hbm = 2000.0;                // USD per stack/month of added HBM capacity
  double capacity_depreciation = 0.01;              // per step, fab and HBM capacity
  double cloud_self_use_share = 0.5;     // share of a cloud-owning model firm's compute kept
  double buyer_price_sensitivity = 2.0;  // theta: buyers split spend by (price/perf)^-theta

  // Demand-led capacity (docs/MODEL.md, "Capacity"): target utilisation u*, smoothing of the
  // growth estimate, lead times from order to capacity in steps, and packaging capacity at
  // the start in accelerator units per step (0: packaging does not limit output).
  double target_utilization = 0.8;
  double demand_smoothing = 0.3;
  std::int64_t lead_time_hbm = 12;
  std::int64_t lead_time_fab = 18;
  std::int64_t lead_time_packaging = 12;
  std::int64_t lead_time_cloud = 3;
  double packaging_capacity = 0.0;
};

struct DataSettings {
  double flywheel_tokens_per_customer = 8.07e-9;  // T tokens per real customer per step
  double public_data_rate = 0.2;                  // T tokens per step to every model developer
  double depreciation = 0.01;                     // per step
  double data_unit_cost = 2e5;                    // USD per T tokens (data vendors' cost)
  double data_initial_price = 1e6;                // USD per T tokens
  double public_text_stock = 300.0;               // T tokens of public human text at step 0
  double public_text_growth = 0.07;               // per year
  double vendor_corpus = 0.08;                    // T tokens each data vendor may license
};

struct ModelsSettings {
  double chinchilla_E = 1.69;
  double chinchilla_A = 406.4;
  double chinchilla_B = 410.7;
  double chinchilla_alpha = 0.34;
  double chinchilla_beta = 0.28;
  double tokens_per_parameter = 20.0;    // compute-optimal D / N
  double flop_per_h100e_month = 1.0e21;  // effective training FLOP per H100e-month
  double algorithmic_doubling_months = 8.0;
  double reference_compute = 1.0e21;               // FLOP where capability is 0
  double finetune_gain = 0.1;                      // capability, bound of the fine-tuning gain
  double tokens_per_customer = 0.05;               // M tokens a real customer uses per month
  double inference_flop_per_h100e_month = 2.6e20;  // FLOP per H100e-month at inference
  double max_served_parameters = 4.05e11;          // active parameters of the largest served model
  double api_initial_price = 0.75;                 // USD per M tokens (3:1 blend of in/out)
  double api_price_sensitivity = 1.0;              // sigma: utility per log of the API price
  double api_partner_bonus = 2.0;                  // utility of a model_source partner's API
};

// Policy levers (MODEL.md section 5), per region of the firm (or customer) they act on.
struct ScenarioSettings {
  // Forbidden (seller region, buyer region) pairs for accelerators and HBM.
  std::vector<std::pair<int, int>> export_controls;
  std::array<double, kRegions> compute_subsidy{};  // top-up of compute budgets, fraction
  std::array<double, kRegions> rd_subsidy{};       // top-up of R&D budgets, fraction
  std::array<double, kRegions> public_data{};      // T tokens per step per model/service firm
  std::array<double, kRegions> regulation_cost{};  // USD M per step per model/service firm
  std::array<double, kRegions> global_model_access{1.0, 1.0, 1.0, 1.0,
                                                   1.0};  // foreign models' weight
  std::array<double, kRegions> closed_stack{};            // 1: the region trades only at home
  std::array<double, kRegions> home_procurement{};  // utility for home firms, per customer region
  std::array<double, kRegions> entry_boost{};       // extra entrants per step per region
  // Archetypes the boosted entrants come from (above 0); all 0: any archetype.
  std::array<double, kArchetypes> entry_boost_archetypes{};
  double closed_stack_penalty = 1.0;  // utility lost abroad by a closed stack
};

// A change of scenario levers from a date on ([[event]] tables): `scenario` is the complete
// lever set in force from `date` (earlier events and the [scenario] section included).
struct ScenarioEvent {
  std::string date;       // YYYY-MM
  std::int64_t step = 0;  // step index of the date (before the run starts: 0)
  std::string note;
  ScenarioSettings scenario;
  std::vector<std::string> changed;  // the keys the event sets, for the resolved TOML
};

// Strategy presets ([strategy] section; configs/strategies/presets.toml) and adaptation.
struct StrategySettings {
  // presets[k - 1] holds the parameters of kStrategyChoiceNames[k] (StrategyParameter order).
  std::array<std::array<double, kStrategyParameters>, kStrategies> presets{};
  std::array<std::string, kArchetypes> by_archetype;  // preset of firms of each archetype
  std::int64_t adapt_every = 0;                       // steps between strategy reviews; 0: off
  double imitation_probability = 0.5;                 // chance to copy a better-performing peer
  double mutation_sd = 0.1;                           // log-sd of a mutation
};

// Entry of start-ups into free firm slots (MODEL.md section 4 step 9). Firm capacity is
// fixed at start: `free_slots` extra slots are dead at step 0 and entrants revive dead slots.
struct EntrySettings {
  std::int64_t free_slots = 0;  // extra firm slots, dead at start, for entrants
  double rate = 0.0;            // expected entrants per step per replicate (Poisson)
  double funding = 5.0;         // USD M, median venture funding (starting cash)
  double funding_log_sd = 1.0;  // log-sd of the log-normal funding
  // Archetype shares of the entry slots (each slot draws its own); consumer_ai alone by default.
  std::array<double, kArchetypes> archetype_mix{0, 0, 0, 0, 0, 0, 0, 0, 1.0, 0};
  double acquisition_rate = 0.0;               // chance per step that a big-tech firm bids
  double acquisition_max_cash_share = 0.1;     // price at most this share of the bidder's cash
  double acquisition_revenue_multiple = 60.0;  // price = cash + multiple * monthly revenue
  std::int64_t acquisition_candidates = 8;     // start-ups a bidder looks at
};

struct DemandSettings {
  double bass_p = 0.01;                   // innovation coefficient, per step
  double bass_q = 0.3;                    // imitation coefficient, per step
  double reconsider_rate = 0.05;          // probability an adopter reconsiders in a step
  std::int64_t max_services = 1;          // services a customer uses at once (multi-homing)
  double add_service_rate = 0.0;          // per step: an adopter adds a service
  double drop_service_rate = 0.0;         // per step: a multi-homer drops a non-primary service
  std::int64_t consideration_set = 8;     // candidates sampled per chooser (0 = all firms)
  double awareness_installed_base = 0.5;  // weight of installed base in awareness sampling
  double elo_discernment = 1.0;           // kappa: utility per Elo point in units of ln(10) / 400
  double beta_price = 1.0;
  double reference_price = 1.0;  // p_ref of the price term log(1 + p / p_ref), USD per month
  double beta_home = 0.5;
  double beta_network = 0.5;
  double beta_language = 0.5;
  double switching_cost = 1.0;
  double price_taste_sd = 0.9;          // log-sd of a customer's personal price sensitivity
  double taste_sd = 1.0;                // sd of a customer's persistent taste for each firm
  std::int64_t calibration_rounds = 0;  // rounds of the utility inversion before step 0 (0: off)

  // Utility per Elo point of quality: kappa ln(10) / 400, the Bradley-Terry scale on which
  // 400 points are 10:1 odds; the one place the weight of quality is defined.
  double beta_quality() const { return elo_discernment * 0.005756462732485115; }
};

// Generated firms are named with these prefixes and a number: "synthetic-00000", ... for
// population.synthetic_firms and "slot-00000", ... for entry.free_slots. A named firm may not
// start with either, so that every name in the firm table is unique.
inline constexpr const char* kSyntheticFirmPrefix = "synthetic-";
inline constexpr const char* kFreeSlotPrefix = "slot-";

// One firm named in the config ([[firm]] array of tables).
struct FirmSpec {
  std::string name;
  std::string archetype;
  int region = 0;                           // index into kRegionNames
  std::array<double, kSegments> quality{};  // per segment
  std::array<double, kSegments> price{};    // per segment, >= 0: the paid tier's list price
  // Share of the firm's users in a segment who pay `price`, where given
  // (paid_conversion_given); elsewhere firms.paid_conversion (applied where the firm table is
  // built, src/population).
  std::array<double, kSegments> paid_conversion{};
  std::array<bool, kSegments> paid_conversion_given{};
  std::array<bool, kSegments> serves{};  // segments the firm sells to
  // Value chain (dynamic mode). Layers default by archetype (see docs/CONFIG.md).
  std::array<bool, kLayers> layers{};  // active layers, kLayerNames order
  bool sells_data = false;             // data vendor
  double cash = 100.0;                 // USD M
  double fab_capacity = 0.0;           // accelerator units per step
  double hbm_capacity = 0.0;           // HBM stacks per step
  double installed_compute = 0.0;      // H100e
  double data_stock = 0.0;             // T tokens
  double training_compute = 0.0;       // FLOP, cumulative effective, at start
  double chip_performance = 1.0;       // H100e per accelerator unit (2024)
  bool open_weights = false;           // releases its models openly
  std::string model_source = "own";    // "own", "open", or a partner firm name
  // Absent (std::nullopt): the firm's strategy preset's value, else the [firms] setting of the
  // same name (applied where the firm table is built, src/population).
  std::optional<double> markup;
  std::optional<double> training_share;  // absent: its strategy's, else firms.training_share
  std::optional<double> spend_rate;
  double other_income = 0.0;  // USD M per step from outside the model
  // "venture" or "cash_flow" (kFinancingNames); absent: by archetype.
  std::optional<std::string> financing;
  std::optional<double> reinvestment_rate;  // absent: firms.reinvestment_rate
  double awareness = 1.0;
  std::array<double, kRegions> language_fit{};  // fit to customers of each region, [0,1]
  std::optional<std::string> strategy;          // preset name; absent: by archetype
  std::optional<double> compute_share;          // the four budget shares: all or none
  std::optional<double> data_share;
  std::optional<double> rd_share;
  std::optional<double> marketing_share;
  // Absent: compute.cloud_self_use_share with layer model, else 0.
  std::optional<double> cloud_self_use;
  std::optional<double> api_price;  // USD per M tokens at step 0; absent: models.api_initial_price
  std::optional<double> api_share;  // share of API spending at the start (offset calibration)
  std::array<double, kSegments> initial_share{};  // share of each segment's adopters at step 0
  // Share of each segment's adopters in the firm's home region at step 0, where given
  // (home_share_given); elsewhere, and where not given, initial_share applies.
  std::array<double, kSegments> home_share{};
  std::array<bool, kSegments> home_share_given{};
};

// A prior of an uncertain parameter (docs/CONFIG.md, "Parameter uncertainty"): a float key
// given as a table, e.g. `awareness_max = { distribution = "log_uniform", low = 8.25,
// high = 33, source = "..." }`. Each replicate draws its own value (src/uncertainty).
struct ParameterPrior {
  std::string key;           // "section.name"
  std::string distribution;  // one of kPriorDistributions
  double low = 0.0;          // uniform, log_uniform, triangular: the support [low, high]
  double high = 0.0;
  double mode = 0.0;  // triangular
  double mean = 0.0;  // normal (redrawn outside the key's valid range)
  double sd = 0.0;
  std::string source;  // where the range comes from, or why it is this wide
};

inline constexpr const char* kPriorDistributions[] = {"uniform", "log_uniform", "normal",
                                                      "triangular"};

// The keys that may be given a prior: every float key whose value reaches the kernels only
// through each replicate's value-chain parameters (kernels/value_chain_params.hpp). Keys that
// also shape the state every replicate starts from (initial capability, prices and offsets,
// utility terms, the utility inversion) or the size of arrays are not among them yet.
const std::vector<std::string>& replicate_parameter_keys();

// An external design (`aimarket run CONFIG --parameters FILE.csv`): one row per replicate, one
// column per key of replicate_parameter_keys(). A column replaces that key's prior.
struct ParameterDesign {
  std::string path;               // the file as given; empty: no design
  std::vector<std::string> keys;  // "section.name", the file's columns in order
  std::vector<double> values;     // [row][column]
  std::int64_t rows = 0;
};

struct Config {
  RunSettings run;
  PopulationSettings population;
  FirmsSettings firms;
  DemandSettings demand;
  ComputeSettings compute;
  DataSettings data;
  ModelsSettings models;
  ScenarioSettings scenario;
  EntrySettings entry;
  StrategySettings strategy;
  std::vector<ScenarioEvent> events;  // in date order
  std::vector<FirmSpec> named_firms;
  std::vector<ParameterPrior> priors;  // in the order of replicate_parameter_keys()
  ParameterDesign design;              // --parameters FILE.csv, else empty
  std::string source_path;             // the config file as given
  // Every file the config was read from: the config file as given, then its base chain
  // (`base = ...`), each path as it was opened. A run refuses to write over any of them.
  std::vector<std::string> source_files;
  std::string resolved_toml;  // every key with its effective value, as TOML text
};

// A configuration or command-line value the program refuses. what() is one or more lines,
// each naming where (file:line or the command-line option), the key, and what is wrong.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One command-line change to the config: `assignment` is "section.key=value" (the value in
// TOML syntax, or a bare string); `origin` names where it came from in error messages,
// e.g. "--set demand.bass_p=2" or "--steps 0".
struct ConfigOverride {
  std::string assignment;
  std::string origin;
};

// Reads, overrides, validates and resolves a config.
// Throws ConfigError (never anything else for bad input) listing every problem found.
Config load_config(const std::string& path, const std::vector<ConfigOverride>& overrides);

// Reads a design file (CSV: a header of keys, then one row of numbers per replicate; lines
// starting with '#' and blank lines are skipped) into config.design and sets run.replicates to
// its row count. With `replicates_given` (--replicates on the command line) the counts must
// agree. Throws ConfigError naming file:line, the key and what is wrong for every problem
// found (an unknown key, a key that cannot vary by replicate, a repeated column, a field that
// is not a number or out of the key's range, a row of the wrong length, no rows).
void read_parameter_file(const std::string& path, bool replicates_given, Config& config);

// Sets a key of replicate_parameter_keys() in `config` (a replicate's draw).
void set_parameter(Config& config, const std::string& key, double value);
// The value of a key of replicate_parameter_keys() in `config`.
double parameter_value(const Config& config, const std::string& key);
// True when `value` is a valid value of the key (its schema range).
bool parameter_in_range(const std::string& key, double value);

// The layers a firm of archetype kArchetypeNames[archetype] is active in unless it lists its own.
std::array<bool, kLayers> archetype_default_layers(int archetype);

// Markdown reference of every key (default, unit, range, meaning), as in docs/CONFIG.md.
std::string config_reference_markdown();

}  // namespace aimarket
