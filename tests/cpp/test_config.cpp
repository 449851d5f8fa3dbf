// The config loader: defaults, a full file, every kind of error (each naming file, line and
// key, or the command-line option), overrides, the resolved-TOML round trip, and that
// docs/CONFIG.md carries the reference generated from the schema.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "kernels/layout.hpp"
#include "kernels/value_chain_state.hpp"
#include "population/population.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ =
        fs::temp_directory_path() / ("aimarket_test_config_" + std::string(info->name()) + "_" +
                                     std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(directory_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }

  // Writes a config file and returns its path.
  std::string write(const std::string& text, const std::string& name = "config.toml") {
    const fs::path path = directory_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  // The error message load_config gives, or a test failure if it accepts the config.
  static std::string error_of(const std::string& path,
                              const std::vector<ConfigOverride>& overrides = {}) {
    try {
      load_config(path, overrides);
    } catch (const ConfigError& error) {
      return error.what();
    }
    ADD_FAILURE() << "load_config accepted " << path;
    return "";
  }

  static std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  // A market needs a firm; tests of settings add this one.
  static constexpr const char* kOneFirm =
      "\n[[firm]]\nname = \"A\"\narchetype = \"model_lab\"\nregion = \"US\"\n";

  fs::path directory_;
};

// Config{} holds the struct's own initializers; the schema's defaults must agree with them.
TEST_F(ConfigTest, NoSettingsGiveSchemaDefaultsMatchingTheStructs) {
  const std::string path = write(kOneFirm);
  const Config config = load_config(path, {});
  const Config plain;
  EXPECT_EQ(config.source_path, path);
  EXPECT_EQ(config.run.steps, plain.run.steps);
  EXPECT_EQ(config.run.replicates, plain.run.replicates);
  EXPECT_EQ(config.run.seed, plain.run.seed);
  EXPECT_EQ(config.run.start, plain.run.start);
  EXPECT_EQ(config.run.record_every, plain.run.record_every);
  EXPECT_EQ(config.run.flush_seconds, plain.run.flush_seconds);
  EXPECT_EQ(config.population.customers, plain.population.customers);
  EXPECT_EQ(config.population.synthetic_firms, plain.population.synthetic_firms);
  EXPECT_EQ(config.population.real_customers, plain.population.real_customers);
  EXPECT_EQ(config.firms.frozen, plain.firms.frozen);
  EXPECT_EQ(config.population.synthetic_mix, plain.population.synthetic_mix);
  EXPECT_EQ(config.firms.synthetic_quality_mean, plain.firms.synthetic_quality_mean);
  EXPECT_EQ(config.firms.synthetic_quality_sd, plain.firms.synthetic_quality_sd);
  EXPECT_EQ(config.firms.synthetic_price_median, plain.firms.synthetic_price_median);
  EXPECT_EQ(config.firms.synthetic_price_log_sd, plain.firms.synthetic_price_log_sd);
  EXPECT_EQ(config.firms.synthetic_awareness, plain.firms.synthetic_awareness);
  EXPECT_EQ(config.firms.foreign_language_fit, plain.firms.foreign_language_fit);
  EXPECT_EQ(config.firms.synthetic_cash, plain.firms.synthetic_cash);
  EXPECT_EQ(config.firms.spend_rate, plain.firms.spend_rate);
  EXPECT_EQ(config.firms.compute_share, plain.firms.compute_share);
  EXPECT_EQ(config.firms.data_share, plain.firms.data_share);
  EXPECT_EQ(config.firms.rd_share, plain.firms.rd_share);
  EXPECT_EQ(config.firms.marketing_share, plain.firms.marketing_share);
  EXPECT_EQ(config.firms.markup, plain.firms.markup);
  EXPECT_EQ(config.firms.paid_conversion, plain.firms.paid_conversion);
  EXPECT_EQ(config.firms.quality_per_capability, plain.firms.quality_per_capability);
  EXPECT_EQ(config.firms.data_quality_gain, plain.firms.data_quality_gain);
  EXPECT_EQ(config.firms.rd_quality_gain, plain.firms.rd_quality_gain);
  EXPECT_EQ(config.firms.domain_data_scale, plain.firms.domain_data_scale);
  EXPECT_EQ(config.firms.rd_scale, plain.firms.rd_scale);
  EXPECT_EQ(config.firms.rd_depreciation, plain.firms.rd_depreciation);
  EXPECT_EQ(config.firms.awareness_max, plain.firms.awareness_max);
  EXPECT_EQ(config.firms.marketing_scale, plain.firms.marketing_scale);
  EXPECT_EQ(config.firms.awareness_decay, plain.firms.awareness_decay);
  EXPECT_FALSE(config.firms.frozen);  // dynamic unless a config says otherwise
  EXPECT_EQ(config.demand.bass_p, plain.demand.bass_p);
  EXPECT_EQ(config.demand.bass_q, plain.demand.bass_q);
  EXPECT_EQ(config.demand.reconsider_rate, plain.demand.reconsider_rate);
  EXPECT_EQ(config.demand.consideration_set, plain.demand.consideration_set);
  EXPECT_EQ(config.demand.awareness_installed_base, plain.demand.awareness_installed_base);
  EXPECT_EQ(config.demand.elo_discernment, plain.demand.elo_discernment);
  EXPECT_EQ(config.demand.beta_price, plain.demand.beta_price);
  EXPECT_EQ(config.demand.beta_home, plain.demand.beta_home);
  EXPECT_EQ(config.demand.beta_network, plain.demand.beta_network);
  EXPECT_EQ(config.demand.beta_language, plain.demand.beta_language);
  EXPECT_EQ(config.demand.switching_cost, plain.demand.switching_cost);
  EXPECT_EQ(config.demand.price_taste_sd, plain.demand.price_taste_sd);
  EXPECT_EQ(config.compute.hbm_per_accelerator, plain.compute.hbm_per_accelerator);
  EXPECT_EQ(config.compute.hbm_unit_cost, plain.compute.hbm_unit_cost);
  EXPECT_EQ(config.compute.hbm_initial_price, plain.compute.hbm_initial_price);
  EXPECT_EQ(config.compute.accelerator_unit_cost, plain.compute.accelerator_unit_cost);
  EXPECT_EQ(config.compute.accelerator_initial_price, plain.compute.accelerator_initial_price);
  EXPECT_EQ(config.compute.cloud_operating_cost, plain.compute.cloud_operating_cost);
  EXPECT_EQ(config.compute.cloud_initial_price, plain.compute.cloud_initial_price);
  EXPECT_EQ(config.compute.price_performance_doubling_months,
            plain.compute.price_performance_doubling_months);
  EXPECT_EQ(config.compute.depreciation, plain.compute.depreciation);
  EXPECT_EQ(config.compute.price_adjustment_speed, plain.compute.price_adjustment_speed);
  EXPECT_EQ(config.compute.max_price_change, plain.compute.max_price_change);
  EXPECT_EQ(config.compute.capacity_cost_accelerator, plain.compute.capacity_cost_accelerator);
  EXPECT_EQ(config.compute.capacity_cost_hbm, plain.compute.capacity_cost_hbm);
  EXPECT_EQ(config.compute.capacity_depreciation, plain.compute.capacity_depreciation);
  EXPECT_EQ(config.compute.cloud_self_use_share, plain.compute.cloud_self_use_share);
  EXPECT_EQ(config.data.flywheel_tokens_per_customer, plain.data.flywheel_tokens_per_customer);
  EXPECT_EQ(config.data.public_data_rate, plain.data.public_data_rate);
  EXPECT_EQ(config.data.depreciation, plain.data.depreciation);
  EXPECT_EQ(config.data.data_unit_cost, plain.data.data_unit_cost);
  EXPECT_EQ(config.data.data_initial_price, plain.data.data_initial_price);
  EXPECT_EQ(config.models.chinchilla_E, plain.models.chinchilla_E);
  EXPECT_EQ(config.models.chinchilla_A, plain.models.chinchilla_A);
  EXPECT_EQ(config.models.chinchilla_B, plain.models.chinchilla_B);
  EXPECT_EQ(config.models.chinchilla_alpha, plain.models.chinchilla_alpha);
  EXPECT_EQ(config.models.chinchilla_beta, plain.models.chinchilla_beta);
  EXPECT_EQ(config.models.tokens_per_parameter, plain.models.tokens_per_parameter);
  EXPECT_EQ(config.models.flop_per_h100e_month, plain.models.flop_per_h100e_month);
  EXPECT_EQ(config.models.algorithmic_doubling_months, plain.models.algorithmic_doubling_months);
  EXPECT_EQ(config.models.reference_compute, plain.models.reference_compute);
  EXPECT_EQ(config.firms.training_share, plain.firms.training_share);
  EXPECT_EQ(config.models.finetune_gain, plain.models.finetune_gain);
  EXPECT_EQ(config.models.tokens_per_customer, plain.models.tokens_per_customer);
  EXPECT_EQ(config.models.inference_flop_per_h100e_month,
            plain.models.inference_flop_per_h100e_month);
  EXPECT_EQ(config.models.api_initial_price, plain.models.api_initial_price);
  EXPECT_EQ(config.models.api_price_sensitivity, plain.models.api_price_sensitivity);
  EXPECT_EQ(config.models.api_partner_bonus, plain.models.api_partner_bonus);
  EXPECT_TRUE(config.scenario.export_controls.empty());

  const std::array<double, kSegments> segments = {0.40, 0.30, 0.08, 0.08, 0.06, 0.08};
  const std::array<double, kRegions> regions = {0.30, 0.05, 0.25, 0.20, 0.20};
  EXPECT_EQ(config.population.segment_shares, segments);
  EXPECT_EQ(config.population.region_shares, regions);
  EXPECT_EQ(config.named_firms.size(), 1u);
  EXPECT_NE(config.resolved_toml.find("bass_p = 0.01"), std::string::npos);
}

const char* const kFullConfig = R"(# Every section, every key.
[run]
steps = 24
replicates = 3
seed = 9223372036854775807
start = "2025-03"
record_every = 2
flush_seconds = 0.5

[population]
customers = 5000
synthetic_firms = 40
real_customers = 5000000
segment_shares = { consumer = 0.5, enterprise = 0.5 }
region_shares = { US = 0.25, KR = 0.25, EU = 0.2, CN = 0.2, ROW = 0.1 }
synthetic_mix = { vertical_ai = 1.0 }

[firms]
frozen = true
synthetic_quality_mean = -0.5
synthetic_quality_sd = 0.25
synthetic_price_median = 2.5
synthetic_price_log_sd = 0.1
synthetic_awareness = 3
foreign_language_fit = 0.25
synthetic_cash = 12.5
spend_rate = 0.125
training_share = 0.625
compute_share = 0.5
data_share = 0.125
rd_share = 0.25
marketing_share = 0.125
markup = 0.75
paid_conversion = 0.5
quality_per_capability = 2.5
data_quality_gain = 22.25
rd_quality_gain = 84.375
domain_data_scale = 0.5
rd_scale = 250
rd_depreciation = 0.0625
awareness_max = 12.5
marketing_scale = 300
awareness_decay = 0.1

[demand]
bass_p = 0.02
bass_q = 0.4
reconsider_rate = 0.1
consideration_set = 0
awareness_installed_base = 0.75
elo_discernment = 2.0
beta_price = 1.5
beta_home = 0.25
beta_network = -0.5
beta_language = 0.125
switching_cost = 0.0
price_taste_sd = 0.2

[compute]
hbm_per_accelerator = 8
hbm_unit_cost = 300
hbm_initial_price = 500
accelerator_unit_cost = 3500
accelerator_initial_price = 30000
cloud_operating_cost = 250
cloud_initial_price = 1800
price_performance_doubling_months = 30
depreciation = 0.02
price_adjustment_speed = 0.5
max_price_change = 1.5
capacity_cost_accelerator = 50000
capacity_cost_hbm = 2500
capacity_depreciation = 0.005
cloud_self_use_share = 0.75

[data]
flywheel_tokens_per_customer = 1e-7
public_data_rate = 0.5
depreciation = 0.03
data_unit_cost = 3e5
data_initial_price = 2e6

[models]
chinchilla_E = 1.8
chinchilla_A = 400
chinchilla_B = 400.5
chinchilla_alpha = 0.3
chinchilla_beta = 0.3125
tokens_per_parameter = 25
flop_per_h100e_month = 8e20
algorithmic_doubling_months = 10
reference_compute = 1e22
finetune_gain = 0.2
tokens_per_customer = 1e-3
inference_flop_per_h100e_month = 3e20
api_initial_price = 3
api_price_sensitivity = 1.5
api_partner_bonus = 0.5

[scenario]
export_controls = [["US", "CN"], ["EU", "CN"]]

[[firm]]
name = "Naver"
archetype = "kr_service"
region = "KR"
layers = ["service", "cloud", "model"]
sells_data = true
quality = { consumer = 1.0, enterprise = 0.5 }
price = { enterprise = 3.0 }
paid_conversion = { consumer = 0.25 }
awareness = 2.0
language_fit = { US = 0.3 }
cash = 2500
installed_compute = 20000
data_stock = 1.5
training_compute = 5e23
open_weights = true
markup = 0.5
spend_rate = 0.1

[[firm]]
name = "OpenAI \"ChatGPT\""
archetype = "model_lab"
region = "US"
quality = 1.25
price = 2

[[firm]]
name = "SK hynix"
archetype = "memory_vendor"
region = "KR"
hbm_capacity = 400000
cash = 10000

[[firm]]
name = "NVIDIA"
archetype = "chip_vendor"
region = "US"
fab_capacity = 300000
chip_performance = 1.5
markup = 0

[[firm]]
name = "Wrtn"
archetype = "consumer_ai"
region = "KR"
quality = { consumer = 0.5 }
model_source = "Naver"

[[firm]]
name = "Scale AI"
archetype = "data_vendor"
region = "US"
data_stock = 50
model_source = "open"
)";

TEST_F(ConfigTest, FullFileIsReadIntoEveryField) {
  const Config config = load_config(write(kFullConfig), {});
  EXPECT_EQ(config.run.steps, 24);
  EXPECT_EQ(config.run.replicates, 3);
  EXPECT_EQ(config.run.seed, 9223372036854775807ULL);
  EXPECT_EQ(config.run.start, "2025-03");
  EXPECT_EQ(config.run.record_every, 2);
  EXPECT_EQ(config.run.flush_seconds, 0.5);
  EXPECT_EQ(config.population.customers, 5000);
  EXPECT_EQ(config.population.synthetic_firms, 40);
  EXPECT_EQ(config.population.real_customers, 5e6);        // an integer where a float is due
  EXPECT_EQ(config.population.customer_weight(), 1000.0);  // real customers per agent
  const std::array<double, kSegments> segments = {0.5, 0.5, 0.0, 0.0, 0.0, 0.0};
  EXPECT_EQ(config.population.segment_shares, segments);
  const std::array<double, kRegions> regions = {0.25, 0.25, 0.2, 0.2, 0.1};
  EXPECT_EQ(config.population.region_shares, regions);
  EXPECT_TRUE(config.firms.frozen);
  EXPECT_EQ(config.population.synthetic_mix[7], 1.0) << "vertical_ai";
  EXPECT_EQ(config.firms.synthetic_quality_mean, -0.5);
  EXPECT_EQ(config.firms.synthetic_quality_sd, 0.25);
  EXPECT_EQ(config.firms.synthetic_price_median, 2.5);
  EXPECT_EQ(config.firms.synthetic_price_log_sd, 0.1);
  EXPECT_EQ(config.firms.synthetic_awareness, 3.0);
  EXPECT_EQ(config.firms.foreign_language_fit, 0.25);
  EXPECT_EQ(config.demand.bass_p, 0.02);
  EXPECT_EQ(config.demand.bass_q, 0.4);
  EXPECT_EQ(config.demand.reconsider_rate, 0.1);
  EXPECT_EQ(config.demand.consideration_set, 0);
  EXPECT_EQ(config.demand.awareness_installed_base, 0.75);
  EXPECT_EQ(config.demand.elo_discernment, 2.0);
  EXPECT_EQ(config.demand.beta_price, 1.5);
  EXPECT_EQ(config.demand.beta_home, 0.25);
  EXPECT_EQ(config.demand.beta_network, -0.5);
  EXPECT_EQ(config.demand.beta_language, 0.125);
  EXPECT_EQ(config.demand.switching_cost, 0.0);
  EXPECT_EQ(config.demand.price_taste_sd, 0.2);
  EXPECT_EQ(config.firms.synthetic_cash, 12.5);
  EXPECT_EQ(config.firms.spend_rate, 0.125);
  EXPECT_EQ(config.firms.compute_share, 0.5);
  EXPECT_EQ(config.firms.data_share, 0.125);
  EXPECT_EQ(config.firms.rd_share, 0.25);
  EXPECT_EQ(config.firms.marketing_share, 0.125);
  EXPECT_EQ(config.firms.markup, 0.75);
  EXPECT_EQ(config.firms.paid_conversion, 0.5);
  EXPECT_EQ(config.firms.quality_per_capability, 2.5);
  EXPECT_EQ(config.firms.data_quality_gain, 22.25);
  EXPECT_EQ(config.firms.rd_quality_gain, 84.375);
  EXPECT_EQ(config.firms.domain_data_scale, 0.5);
  EXPECT_EQ(config.firms.rd_scale, 250.0);
  EXPECT_EQ(config.firms.rd_depreciation, 0.0625);
  EXPECT_EQ(config.firms.awareness_max, 12.5);
  EXPECT_EQ(config.firms.marketing_scale, 300.0);
  EXPECT_EQ(config.firms.awareness_decay, 0.1);
  EXPECT_EQ(config.compute.hbm_per_accelerator, 8.0);
  EXPECT_EQ(config.compute.hbm_unit_cost, 300.0);
  EXPECT_EQ(config.compute.hbm_initial_price, 500.0);
  EXPECT_EQ(config.compute.accelerator_unit_cost, 3500.0);
  EXPECT_EQ(config.compute.accelerator_initial_price, 30000.0);
  EXPECT_EQ(config.compute.cloud_operating_cost, 250.0);
  EXPECT_EQ(config.compute.cloud_initial_price, 1800.0);
  EXPECT_EQ(config.compute.price_performance_doubling_months, 30.0);
  EXPECT_EQ(config.compute.depreciation, 0.02);
  EXPECT_EQ(config.compute.price_adjustment_speed, 0.5);
  EXPECT_EQ(config.compute.max_price_change, 1.5);
  EXPECT_EQ(config.compute.capacity_cost_accelerator, 50000.0);
  EXPECT_EQ(config.compute.capacity_cost_hbm, 2500.0);
  EXPECT_EQ(config.compute.capacity_depreciation, 0.005);
  EXPECT_EQ(config.compute.cloud_self_use_share, 0.75);
  EXPECT_EQ(config.data.flywheel_tokens_per_customer, 1e-7);
  EXPECT_EQ(config.data.public_data_rate, 0.5);
  EXPECT_EQ(config.data.depreciation, 0.03);
  EXPECT_EQ(config.data.data_unit_cost, 3e5);
  EXPECT_EQ(config.data.data_initial_price, 2e6);
  EXPECT_EQ(config.models.chinchilla_E, 1.8);
  EXPECT_EQ(config.models.chinchilla_A, 400.0);
  EXPECT_EQ(config.models.chinchilla_B, 400.5);
  EXPECT_EQ(config.models.chinchilla_alpha, 0.3);
  EXPECT_EQ(config.models.chinchilla_beta, 0.3125);
  EXPECT_EQ(config.models.tokens_per_parameter, 25.0);
  EXPECT_EQ(config.models.flop_per_h100e_month, 8e20);
  EXPECT_EQ(config.models.algorithmic_doubling_months, 10.0);
  EXPECT_EQ(config.models.reference_compute, 1e22);
  EXPECT_EQ(config.models.finetune_gain, 0.2);
  EXPECT_EQ(config.firms.training_share, 0.625);
  EXPECT_EQ(config.models.tokens_per_customer, 1e-3);
  EXPECT_EQ(config.models.inference_flop_per_h100e_month, 3e20);
  EXPECT_EQ(config.models.api_initial_price, 3.0);
  EXPECT_EQ(config.models.api_price_sensitivity, 1.5);
  EXPECT_EQ(config.models.api_partner_bonus, 0.5);
  // Seller region, buyer region: US -> CN and EU -> CN.
  EXPECT_EQ(config.scenario.export_controls, (std::vector<std::pair<int, int>>{{0, 3}, {2, 3}}));

  ASSERT_EQ(config.named_firms.size(), 6u);
  const FirmSpec& naver = config.named_firms[0];
  EXPECT_EQ(naver.name, "Naver");
  EXPECT_EQ(naver.archetype, "kr_service");
  EXPECT_EQ(naver.region, 1);  // KR
  const std::array<bool, kSegments> consumer_and_enterprise = {true,  true,  false,
                                                               false, false, false};
  EXPECT_EQ(naver.serves, consumer_and_enterprise);
  const std::array<double, kSegments> naver_quality = {1.0, 0.5, 0.0, 0.0, 0.0, 0.0};
  EXPECT_EQ(naver.quality, naver_quality);
  const std::array<double, kSegments> naver_price = {1.0, 3.0, 1.0, 1.0, 1.0, 1.0};
  EXPECT_EQ(naver.price, naver_price);
  // Given for the consumer segment only; the others take firms.paid_conversion in the table.
  EXPECT_EQ(naver.paid_conversion[0], 0.25);
  EXPECT_EQ(naver.paid_conversion_given,
            (std::array<bool, kSegments>{true, false, false, false, false, false}));
  EXPECT_EQ(naver.awareness, 2.0);
  // Listed: US. Home (KR): 1.0. Elsewhere: firms.foreign_language_fit.
  const std::array<double, kRegions> naver_fit = {0.3, 1.0, 0.25, 0.25, 0.25};
  EXPECT_EQ(naver.language_fit, naver_fit);
  // Listed in any order; kept in kLayerNames order (hbm, accelerator, cloud, model, service).
  EXPECT_EQ(naver.layers, (std::array<bool, kLayers>{false, false, true, true, true}));
  EXPECT_TRUE(naver.sells_data);
  EXPECT_EQ(naver.cash, 2500.0);
  EXPECT_EQ(naver.installed_compute, 20000.0);
  EXPECT_EQ(naver.data_stock, 1.5);
  EXPECT_EQ(naver.training_compute, 5e23);
  EXPECT_TRUE(naver.open_weights);
  EXPECT_EQ(naver.model_source, "own");  // it has layer model
  EXPECT_EQ(naver.markup, 0.5);
  EXPECT_EQ(naver.spend_rate, 0.1);
  EXPECT_EQ(naver.fab_capacity, 0.0);
  EXPECT_EQ(naver.hbm_capacity, 0.0);
  EXPECT_EQ(naver.chip_performance, 1.0);

  const FirmSpec& lab = config.named_firms[1];
  EXPECT_EQ(lab.name, "OpenAI \"ChatGPT\"");
  EXPECT_EQ(lab.region, 0);  // US
  const std::array<bool, kSegments> all = {true, true, true, true, true, true};
  EXPECT_EQ(lab.serves, all);
  EXPECT_EQ(lab.quality, (std::array<double, kSegments>{1.25, 1.25, 1.25, 1.25, 1.25, 1.25}));
  EXPECT_EQ(lab.price, (std::array<double, kSegments>{2, 2, 2, 2, 2, 2}));
  EXPECT_EQ(lab.awareness, 1.0);
  EXPECT_EQ(lab.language_fit, (std::array<double, kRegions>{1.0, 0.25, 0.25, 0.25, 0.25}));
  EXPECT_EQ(lab.layers, (std::array<bool, kLayers>{false, false, false, true, true}));
  EXPECT_EQ(lab.model_source, "own");
  EXPECT_EQ(lab.markup, std::nullopt);                                    // firms.markup
  EXPECT_EQ(lab.paid_conversion_given, (std::array<bool, kSegments>{}));  // firms.paid_conversion
  EXPECT_EQ(lab.spend_rate, std::nullopt);
  EXPECT_EQ(lab.cash, 100.0);

  const FirmSpec& hynix = config.named_firms[2];
  EXPECT_EQ(hynix.layers, (std::array<bool, kLayers>{true, false, false, false, false}));
  EXPECT_EQ(hynix.hbm_capacity, 400000.0);
  EXPECT_EQ(hynix.cash, 10000.0);
  EXPECT_EQ(hynix.model_source, "open");  // no layer model
  // No service layer: no segment served, canonical quality and price.
  EXPECT_EQ(hynix.serves, (std::array<bool, kSegments>{}));
  EXPECT_EQ(hynix.quality, (std::array<double, kSegments>{}));
  EXPECT_EQ(hynix.price, (std::array<double, kSegments>{1, 1, 1, 1, 1, 1}));

  const FirmSpec& nvidia = config.named_firms[3];
  EXPECT_EQ(nvidia.layers, (std::array<bool, kLayers>{false, true, false, false, false}));
  EXPECT_EQ(nvidia.fab_capacity, 300000.0);
  EXPECT_EQ(nvidia.chip_performance, 1.5);
  EXPECT_EQ(nvidia.markup, 0.0);

  const FirmSpec& wrtn = config.named_firms[4];
  EXPECT_EQ(wrtn.layers, (std::array<bool, kLayers>{false, false, false, false, true}));
  EXPECT_EQ(wrtn.model_source, "Naver");
  EXPECT_FALSE(wrtn.sells_data);

  const FirmSpec& scale = config.named_firms[5];
  EXPECT_EQ(scale.layers, (std::array<bool, kLayers>{}));
  EXPECT_TRUE(scale.sells_data);  // data_vendor's default
  EXPECT_EQ(scale.data_stock, 50.0);
  EXPECT_EQ(scale.model_source, "open");
}

TEST_F(ConfigTest, MalformedTomlNamesFileLineAndColumn) {
  const std::string path = write("[run]\nsteps = = 3\n");
  const std::string error = error_of(path);
  EXPECT_EQ(error.rfind(path + ":2:", 0), 0u) << error;
  EXPECT_NE(error.find("malformed TOML: "), std::string::npos) << error;
  EXPECT_EQ(lines_of(error).size(), 1u);
}

TEST_F(ConfigTest, UnknownKeySuggestsTheClosestKnownOne) {
  const std::string path = write("[demand]\nbass_p = 0.01\nbass_pp = 0.2\n");
  EXPECT_EQ(error_of(path), path +
                                ":3:1: demand.bass_pp: unknown key 'demand.bass_pp' (did you "
                                "mean 'demand.bass_p'?)");
}

// The weight per agent is derived from population.real_customers now; a config that still
// sets it (in the file or with --set) is refused with the replacement, never ignored.
TEST_F(ConfigTest, RetiredCustomerWeightNamesItsReplacement) {
  const std::string path = write("[population]\ncustomers = 1000\ncustomer_weight = 2000.0\n");
  const std::string replacement =
      "population.customer_weight was replaced by population.real_customers (the real "
      "customers of each replicate; the weight per agent is now real_customers / customers): "
      "set population.real_customers = customers x the old weight";
  EXPECT_EQ(error_of(path), path + ":3:1: population.customer_weight: " + replacement);
  const std::string plain = write("[population]\ncustomers = 1000\n", "plain.toml");
  const std::string by_set =
      error_of(plain, {{"population.customer_weight=2000", "--set population.customer_weight"}});
  EXPECT_NE(by_set.find(replacement), std::string::npos) << by_set;
}

TEST_F(ConfigTest, KeyUnderTheWrongSectionSuggestsItsSection) {
  const std::string path = write("[run]\nbass_q = 0.2\n");
  EXPECT_EQ(error_of(path),
            path + ":2:1: run.bass_q: unknown key 'run.bass_q' (did you mean 'demand.bass_q'?)");
}

TEST_F(ConfigTest, UnknownKeyFarFromAnyKnownOneHasNoSuggestion) {
  const std::string path = write("[demand]\nelasticity = 0.2\n");
  EXPECT_EQ(error_of(path), path + ":2:1: demand.elasticity: unknown key 'demand.elasticity'");
}

TEST_F(ConfigTest, UnknownSectionSuggestsTheClosestSection) {
  const std::string path = write("[damand]\nbass_p = 0.1\n");
  EXPECT_EQ(error_of(path),
            path + ":1:2: damand: unknown section [damand] (did you mean 'demand'?)");
}

TEST_F(ConfigTest, SectionsNotImplementedYetAreNamedSo) {
  const std::string path = write("[run]\nsteps = 2\n\n[finance]\nsubsidy = 3\n[strategy]\n");
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], path + ":4:2: finance: section [finance] is not implemented in this version");
}

TEST_F(ConfigTest, ValueChainSectionsAreAccepted) {
  const Config config =
      load_config(write("[compute]\nmax_price_change = 2\n[data]\npublic_data_rate = 0\n[models]\n"
                        "tokens_per_customer = 1\n[scenario]\nexport_controls = []\n" +
                        std::string(kOneFirm)),
                  {});
  EXPECT_EQ(config.compute.max_price_change, 2.0);
  EXPECT_EQ(config.data.public_data_rate, 0.0);
  EXPECT_EQ(config.models.tokens_per_customer, 1.0);
  EXPECT_TRUE(config.scenario.export_controls.empty());
}

TEST_F(ConfigTest, FirmKeyInASettingsSectionSaysWhereItBelongs) {
  const std::string path = write("[compute]\nfab_capacity = 3\n");
  EXPECT_EQ(error_of(path), path +
                                ":2:1: compute.fab_capacity: unknown key 'compute.fab_capacity' "
                                "('fab_capacity' is a [[firm]] key: set it in a firm's table)");
}

TEST_F(ConfigTest, WrongTypeNamesExpectedAndGivenType) {
  const std::string path = write("[run]\nsteps = \"ten\"\n[firms]\nfrozen = 1\n");
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], path + ":2:9: run.steps: expected an integer, got a string (\"ten\")");
  EXPECT_EQ(lines[1], path + ":4:10: firms.frozen: expected a boolean, got an integer (1)");
}

TEST_F(ConfigTest, FloatIsRefusedWhereAnIntegerIsDue) {
  const std::string path = write("[population]\ncustomers = 1000.0\n");
  EXPECT_EQ(error_of(path),
            path + ":2:13: population.customers: expected an integer, got a float (1000.0)");
}

TEST_F(ConfigTest, OutOfRangeValueNamesTheRange) {
  const std::string path = write("[demand]\nreconsider_rate = 1.5\nconsideration_set = 65\n");
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            path + ":2:19: demand.reconsider_rate: out of range: got 1.5, valid range [0, 1]");
  EXPECT_EQ(lines[1],
            path + ":3:21: demand.consideration_set: out of range: got 65, valid range [0, 64]");
}

TEST_F(ConfigTest, ConsiderationSetBoundIsTheDeviceStackLimit) {
  // The customer kernel keeps the candidates on a fixed stack array of kMaxConsiderationSet
  // (+ the current provider): the config accepts exactly what fits.
  const std::string at_limit = std::to_string(kMaxConsiderationSet);
  EXPECT_EQ(load_config(write("[demand]\nconsideration_set = " + at_limit + "\n" + kOneFirm), {})
                .demand.consideration_set,
            kMaxConsiderationSet);
  const std::string over = std::to_string(kMaxConsiderationSet + 1);
  const std::string path = write("[demand]\nconsideration_set = " + over + "\n");
  EXPECT_EQ(error_of(path), path + ":2:21: demand.consideration_set: out of range: got " + over +
                                ", valid range [0, " + at_limit + "]");
}

TEST_F(ConfigTest, NegativeValuesAreRefused) {
  const std::string path =
      write("[population]\nsynthetic_firms = -3\n[firms]\nsynthetic_awareness = -0.5\n");
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], path +
                          ":2:19: population.synthetic_firms: must not be negative, got -3 "
                          "(valid range [0, 1000000])");
  EXPECT_EQ(lines[1], path +
                          ":4:23: firms.synthetic_awareness: must not be negative, got -0.5 "
                          "(valid range [0, 1e9])");
}

TEST_F(ConfigTest, OpenLowerBoundExcludesZero) {
  const std::string path = write("[run]\nflush_seconds = 0\n");
  EXPECT_EQ(error_of(path),
            path + ":2:17: run.flush_seconds: out of range: got 0, valid range (0, 3600]");
}

TEST_F(ConfigTest, NanAndInfinityAreRefused) {
  const std::string path =
      write("[demand]\nelo_discernment = nan\nbeta_home = inf\nbeta_network = -inf\n");
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], path + ":2:19: demand.elo_discernment: must be a finite number, got nan");
  EXPECT_EQ(lines[1], path + ":3:13: demand.beta_home: must be a finite number, got inf");
  EXPECT_EQ(lines[2], path + ":4:16: demand.beta_network: must be a finite number, got -inf");
}

TEST_F(ConfigTest, MissingFileNamesPathAndReason) {
  const std::string path = (directory_ / "absent.toml").string();
  EXPECT_EQ(error_of(path), path + ": cannot read the config file: No such file or directory");
}

TEST_F(ConfigTest, DirectoryIsNotAConfigFile) {
  const std::string path = directory_.string();
  EXPECT_EQ(error_of(path), path + ": cannot read the config file: Is a directory");
}

// A config without firms used to be valid, and its run then failed (exit status 1) on an empty
// firm table. Named firms, synthetic firms or free slots for entrants each make a market.
TEST_F(ConfigTest, AConfigWithoutFirmsIsRefused) {
  const std::string empty = write("[run]\nsteps = 3\n");
  EXPECT_EQ(error_of(empty), empty +
                                 ": firm: the config has no firms: it names no [[firm]], and "
                                 "population.synthetic_firms and entry.free_slots are 0; add a "
                                 "[[firm]] table or set population.synthetic_firms above 0");
  const std::string zero = write("[population]\nsynthetic_firms = 0\n", "zero.toml");
  EXPECT_EQ(error_of(zero).rfind(zero + ":2:19: population.synthetic_firms: the config has no "
                                        "firms",
                                 0),
            0u);
  EXPECT_EQ(load_config(write(kOneFirm, "one.toml"), {{"population.synthetic_firms=0", "--set"}})
                .named_firms.size(),
            1u);
  EXPECT_EQ(load_config(empty, {{"population.synthetic_firms=2", "--set"}}).named_firms.size(), 0u);
  EXPECT_EQ(load_config(empty, {{"entry.free_slots=1", "--set"}}).entry.free_slots, 1);
  const std::string empty_array = write("firm = []\n", "empty_array.toml");
  EXPECT_NE(error_of(empty_array).find("the config has no firms"), std::string::npos);
  // Other problems come first: the firm count is judged only in an otherwise valid config.
  const std::string other = write("[run]\nsteps = 0\n", "other.toml");
  EXPECT_EQ(lines_of(error_of(other)).size(), 1u);
}

// A named firm could take the name of a generated one ("synthetic-00000", "slot-00000"): the
// firm table then held two firms of one name. The generated prefixes are reserved.
TEST_F(ConfigTest, GeneratedFirmNamesAreReserved) {
  const std::string path = write(
      "[population]\nsynthetic_firms = 1\n[entry]\nfree_slots = 1\n\n"
      "[[firm]]\nname = \"synthetic-00000\"\narchetype = \"model_lab\"\nregion = \"US\"\n\n"
      "[[firm]]\nname = \"slot-00000\"\narchetype = \"model_lab\"\nregion = \"US\"\n");
  EXPECT_EQ(error_of(path),
            path +
                ":7:8: firm.synthetic-00000.name: names starting with 'synthetic-' are "
                "reserved for synthetic firms (population.synthetic_firms), so that no two "
                "firms share a name; choose another name\n" +
                path +
                ":12:8: firm.slot-00000.name: names starting with 'slot-' are reserved "
                "for free firm slots (entry.free_slots), so that no two firms share a "
                "name; choose another name");
  // Whatever the counts: a later override of them must not make the names clash.
  const std::string alone = write(std::string(kOneFirm), "alone.toml");
  EXPECT_NE(error_of(alone, {{"firm.A.name=synthetic-7", "--set firm.A.name=synthetic-7"}})
                .find("--set firm.A.name=synthetic-7: firm.synthetic-7.name: names starting "
                      "with 'synthetic-' are reserved"),
            std::string::npos);
  // Only the prefix as written: other names with these words are fine.
  const Config config = load_config(
      write("[[firm]]\nname = \"Synthetic-1\"\narchetype = \"model_lab\"\nregion = \"US\"\n"
            "[[firm]]\nname = \"slots\"\narchetype = \"model_lab\"\nregion = \"US\"\n",
            "fine.toml"),
      {});
  EXPECT_EQ(config.named_firms.size(), 2u);
}

TEST_F(ConfigTest, DuplicateFirmNamesNameBothLines) {
  const std::string path = write(
      "[[firm]]\nname = \"Kakao\"\narchetype = \"kr_service\"\nregion = \"KR\"\n\n"
      "[[firm]]\nname = \"Kakao\"\narchetype = \"kr_service\"\nregion = \"KR\"\n");
  EXPECT_EQ(error_of(path), path +
                                ":7:8: firm.Kakao.name: duplicate firm name 'Kakao', first "
                                "defined at " +
                                path + ":2:8");
}

TEST_F(ConfigTest, BassHazardMustBeAProbability) {
  const std::string path = write("[demand]\nbass_p = 0.6\nbass_q = 0.5\n");
  EXPECT_EQ(error_of(path), path +
                                ":3:10: demand.bass_q: bass_p + bass_q = 0.6 + 0.5 = 1.1 "
                                "exceeds 1: the adoption hazard bass_p + bass_q*F must be a "
                                "probability");
}

TEST_F(ConfigTest, FrozenTakesBothValues) {
  EXPECT_FALSE(load_config(write(kOneFirm), {}).firms.frozen);
  EXPECT_TRUE(
      load_config(write(std::string("[firms]\nfrozen = true\n") + kOneFirm), {}).firms.frozen);
  EXPECT_FALSE(
      load_config(write(std::string("[firms]\nfrozen = false\n") + kOneFirm), {}).firms.frozen);
  const std::string path = write(std::string("[firms]\nfrozen = true\n") + kOneFirm);
  EXPECT_FALSE(load_config(path, {{"firms.frozen=false", "--set"}}).firms.frozen);
  EXPECT_TRUE(load_config(write(kOneFirm), {{"firms.frozen=true", "--set"}}).firms.frozen);
}

TEST_F(ConfigTest, StartMustBeAMonth) {
  for (const char* bad : {"2024-13", "2024-1", "1899-12", "24-01", "2024/01"}) {
    const std::string path = write(std::string("[run]\nstart = \"") + bad + "\"\n");
    EXPECT_NE(error_of(path).find(path + ":2:9: run.start: expected a month \"YYYY-MM\""),
              std::string::npos)
        << bad;
  }
  const std::string valid = write(std::string("[run]\nstart = \"2999-12\"\n") + kOneFirm);
  EXPECT_EQ(load_config(valid, {}).run.start, "2999-12");
}

TEST_F(ConfigTest, SharesMustSumToOneAndNameKnownSegments) {
  const std::string path = write(
      "[population]\nsegment_shares = { consumer = 0.5, enterprise = 0.4 }\n"
      "region_shares = { US = 0.5, KOR = 0.5 }\n");
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], path +
                          ":2:18: population.segment_shares: shares must sum to 1 (within "
                          "1e-9), they sum to 0.9");
  EXPECT_EQ(lines[1].rfind(path + ":3:29: population.region_shares.KOR: unknown region 'KOR' (did "
                                  "you mean 'KR'?); regions are: US, KR, EU, CN, ROW",
                           0),
            0u)
      << lines[1];
}

TEST_F(ConfigTest, FirmTablesAreChecked) {
  const std::string path = write(
      "[[firm]]\n"                               // 1
      "name = \"Upstage\"\n"                     // 2
      "archetype = \"kr_servce\"\n"              // 3
      "region = \"KR\"\n"                        // 4
      "quality = { legal = 1.0 }\n"              // 5
      "price = { legal = 2.0, finance = -1 }\n"  // 6
      "qualty = 3\n"                             // 7
      "\n"                                       // 8
      "[[firm]]\n"                               // 9
      "archetype = \"model_lab\"\n"              // 10
      "quality = {}\n"                           // 11
      "language_fit = { EU = 2 }\n");            // 12
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0], path +
                          ":3:13: firm.Upstage.archetype: unknown archetype 'kr_servce' (did "
                          "you mean 'kr_service'?); archetypes are: big_tech, model_lab, "
                          "chip_vendor, memory_vendor, npu_startup, cloud, kr_service, "
                          "vertical_ai, consumer_ai, data_vendor");
  EXPECT_EQ(lines[1], path +
                          ":6:34: firm.Upstage.price.finance: must not be negative, got -1 "
                          "(valid range [0, 1e9])");
  EXPECT_EQ(lines[2], path +
                          ":7:1: firm.Upstage.qualty: unknown key 'firm.Upstage.qualty' (did "
                          "you mean 'firm.Upstage.quality'?)");
  EXPECT_EQ(lines[3], path + ":9:1: firm[1].name: missing: every [[firm]] needs a name");
  EXPECT_EQ(lines[4], path + ":9:1: firm[1].region: missing: every [[firm]] needs a region");
  EXPECT_EQ(lines[5], path +
                          ":11:11: firm[1].quality: the firm serves no segment: list at least "
                          "one segment");
  EXPECT_EQ(lines[6], path +
                          ":12:23: firm[1].language_fit.EU: out of range: got 2, valid range "
                          "[0, 1]");
}

TEST_F(ConfigTest, FirmMayNotPriceASegmentItDoesNotServe) {
  const std::string path = write(
      "[[firm]]\nname = \"Harvey\"\narchetype = \"vertical_ai\"\nregion = \"US\"\n"
      "quality = { legal = 2.0 }\nprice = { legal = 4.0, finance = 3.0 }\n");
  EXPECT_EQ(error_of(path), path +
                                ":6:34: firm.Harvey.price.finance: prices segment 'finance', "
                                "which the firm does not serve (its quality table does not "
                                "list it)");
}

TEST_F(ConfigTest, FirmMustBeAnArrayOfTables) {
  const std::string path = write("[firm]\nname = \"Kakao\"\n");
  EXPECT_EQ(error_of(path),
            path + ":1:1: firm: expected [[firm]] tables (an array of tables), got a table");
}

TEST_F(ConfigTest, EveryProblemIsReportedInFileOrder) {
  const std::string path = write(
      "[demand]\nbeta_price = -1\n[run]\nsteps = 0\nreplicates = 1.5\n[population]\n"
      "customers = \"many\"\n");
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].rfind(path + ":2:", 0), 0u);
  EXPECT_EQ(lines[1].rfind(path + ":4:", 0), 0u);
  EXPECT_EQ(lines[2].rfind(path + ":5:", 0), 0u);
  EXPECT_EQ(lines[3].rfind(path + ":7:", 0), 0u);
}

// ---------------------------------------------------------------------------------------------
// The value chain: [firms] spending and quality, [compute], [data], [models], [scenario]

TEST_F(ConfigTest, ValueChainRangesAreChecked) {
  const std::string path = write(
      "[firms]\n"                                   // 1
      "synthetic_cash = -1\n"                       // 2
      "markup = 101\n"                              // 3
      "domain_data_scale = 0\n"                     // 4
      "awareness_decay = 1.5\n"                     // 5
      "[compute]\n"                                 // 6
      "hbm_unit_cost = 0\n"                         // 7
      "price_adjustment_speed = 6\n"                // 8
      "max_price_change = 0.5\n"                    // 9
      "price_performance_doubling_months = 1300\n"  // 10
      "[data]\n"                                    // 11
      "public_data_rate = -0.1\n"                   // 12
      "[models]\n"                                  // 13
      "chinchilla_alpha = 2.5\n"                    // 14
      "flop_per_h100e_month = 1e41\n"               // 15
      "tokens_per_customer = -1\n"                  // 16
      "chinchilla_E = 0\n");                        // 17
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 13u);
  EXPECT_EQ(lines[0], path +
                          ":2:18: firms.synthetic_cash: must not be negative, got -1 (valid "
                          "range [0, 1e7])");
  EXPECT_EQ(lines[1], path + ":3:10: firms.markup: out of range: got 101, valid range [0, 100]");
  EXPECT_EQ(lines[2], path +
                          ":4:21: firms.domain_data_scale: out of range: got 0, valid range "
                          "(0, 1e12]");
  EXPECT_EQ(lines[3],
            path + ":5:19: firms.awareness_decay: out of range: got 1.5, valid range [0, 1]");
  EXPECT_EQ(lines[4],
            path + ":7:17: compute.hbm_unit_cost: out of range: got 0, valid range (0, 1e12]");
  EXPECT_EQ(lines[5], path +
                          ":8:26: compute.price_adjustment_speed: out of range: got 6, valid "
                          "range [0, 5]");
  EXPECT_EQ(lines[6], path +
                          ":9:20: compute.max_price_change: out of range: got 0.5, valid range "
                          "[1, 10]");
  EXPECT_EQ(lines[7], path +
                          ":10:37: compute.price_performance_doubling_months: out of range: got "
                          "1300, valid range (0, 1200]");
  EXPECT_EQ(lines[8], path +
                          ":12:20: data.public_data_rate: must not be negative, got -0.1 (valid "
                          "range [0, 1e12])");
  EXPECT_EQ(lines[9], path +
                          ":14:20: models.chinchilla_alpha: out of range: got 2.5, valid range "
                          "(0, 2]");
  EXPECT_EQ(lines[10], path +
                           ":15:24: models.flop_per_h100e_month: out of range: got 1e41, valid "
                           "range (0, 1e40]");
  EXPECT_EQ(lines[11], path +
                           ":16:23: models.tokens_per_customer: must not be "
                           "negative, got -1 (valid range [0, 1e12])");
  EXPECT_EQ(lines[12],
            path + ":17:16: models.chinchilla_E: out of range: got 0, valid range (0, 100]");
}

TEST_F(ConfigTest, SpendingSharesMustSumToOne) {
  const std::string path =
      write("[firms]\ncompute_share = 0.5\ndata_share = 0.1\nmarketing_share = 0.2\n");
  // The report goes where the last share was set, and names all four.
  EXPECT_EQ(error_of(path), path +
                                ":4:19: firms.marketing_share: compute_share + data_share + "
                                "rd_share + marketing_share = 0.5 + 0.1 + 0.3 + 0.2 = 1.1 but "
                                "must be 1 (within 1e-9): the four shares split a firm's "
                                "spending");
  EXPECT_EQ(error_of(write(kOneFirm), {{"firms.rd_share=0", "--set firms.rd_share=0"}}),
            "--set firms.rd_share=0: firms.rd_share: compute_share + data_share + rd_share + "
            "marketing_share = 0.4 + 0.1 + 0 + 0.2 = 0.7 but must be 1 (within 1e-9): the four "
            "shares split a firm's spending");
  const Config config =
      load_config(write("[firms]\ncompute_share = 0.7\ndata_share = 0.1\nrd_share = 0.1\n"
                        "marketing_share = 0.1\n" +
                        std::string(kOneFirm)),
                  {});
  EXPECT_EQ(config.firms.compute_share, 0.7);
}

TEST_F(ConfigTest, ARefusedShareIsNotSummed) {
  // compute_share keeps its default when refused; summing that would blame the wrong key.
  const std::string path = write("[firms]\ncompute_share = 1.5\nrd_share = 0.2\n");
  EXPECT_EQ(error_of(path),
            path + ":2:17: firms.compute_share: out of range: got 1.5, valid range [0, 1]");
}

TEST_F(ConfigTest, ExportControlsAreRegionPairs) {
  const Config config =
      load_config(write("[scenario]\nexport_controls = [[\"US\", \"CN\"], [\"KR\", \"CN\"]]\n" +
                        std::string(kOneFirm)),
                  {{"scenario.export_controls=[[\"US\", \"CN\"], [\"CN\", \"US\"]]", "--set"}});
  EXPECT_EQ(config.scenario.export_controls, (std::vector<std::pair<int, int>>{{0, 3}, {3, 0}}));
  EXPECT_NE(config.resolved_toml.find("export_controls = [[\"US\", \"CN\"], [\"CN\", \"US\"]]"),
            std::string::npos)
      << config.resolved_toml;
}

TEST_F(ConfigTest, ExportControlErrorsNameTheElement) {
  const std::string path = write(
      "[scenario]\n"
      "export_controls = [[\"US\", \"CN\"], \"KR\", [\"US\", \"CN\", \"EU\"], [\"US\", \"CHN\"], "
      "[\"KR\", \"KR\"], [\"US\", \"CN\"], [1, \"CN\"]]\n");
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], path +
                          ":2:34: scenario.export_controls[1]: expected a pair [region, region] "
                          "such as [\"US\", \"ROW\"], got a string (\"KR\")");
  EXPECT_EQ(lines[1], path +
                          ":2:40: scenario.export_controls[2]: expected a pair [region, region] "
                          "such as [\"US\", \"ROW\"], got an array of 3 elements");
  EXPECT_EQ(lines[2], path +
                          ":2:67: scenario.export_controls[3][1]: unknown region 'CHN' (did you "
                          "mean 'CN'?); regions are: US, KR, EU, CN, ROW");
  EXPECT_EQ(lines[3], path +
                          ":2:75: scenario.export_controls[4]: the two regions must differ, got "
                          "'KR' twice");
  EXPECT_EQ(lines[4], path +
                          ":2:89: scenario.export_controls[5]: ['US', 'CN'] is listed twice, "
                          "first at " +
                          path + ":2:20");
  EXPECT_EQ(lines[5],
            path + ":2:104: scenario.export_controls[6][0]: expected a string, got an integer (1)");
  const std::string not_array = write("[scenario]\nexport_controls = \"US\"\n", "b.toml");
  EXPECT_EQ(error_of(not_array), not_array +
                                     ":2:19: scenario.export_controls: expected an array of "
                                     "pairs [region, region], e.g. [[\"US\", \"ROW\"]], got a "
                                     "string (\"US\")");
}

// ---------------------------------------------------------------------------------------------
// [[firm]] layers and the keys that depend on them

std::string firm_toml(const std::string& name, const std::string& archetype,
                      const std::string& extra = "") {
  return "[[firm]]\nname = \"" + name + "\"\narchetype = \"" + archetype + "\"\nregion = \"US\"\n" +
         extra;
}

TEST_F(ConfigTest, LayersDefaultByArchetype) {
  std::string text;
  for (int a = 0; a < kArchetypes; ++a) {
    text += firm_toml(std::string("firm") + std::to_string(a), kArchetypeNames[a]);
  }
  const Config config = load_config(write(text), {});
  ASSERT_EQ(config.named_firms.size(), static_cast<std::size_t>(kArchetypes));
  // hbm, accelerator, cloud, model, service
  const std::array<std::array<bool, kLayers>, kArchetypes> expected = {{
      {false, true, true, true, true},      // big_tech
      {false, false, false, true, true},    // model_lab
      {false, true, false, false, false},   // chip_vendor
      {true, false, false, false, false},   // memory_vendor
      {false, true, false, false, false},   // npu_startup
      {false, false, true, false, false},   // cloud
      {false, false, false, false, true},   // kr_service
      {false, false, false, false, true},   // vertical_ai
      {false, false, false, false, true},   // consumer_ai
      {false, false, false, false, false},  // data_vendor
  }};
  const FirmSpec plain;
  for (int a = 0; a < kArchetypes; ++a) {
    const FirmSpec& firm = config.named_firms[a];
    SCOPED_TRACE(kArchetypeNames[a]);
    EXPECT_EQ(firm.layers, expected[a]);
    EXPECT_EQ(firm.sells_data, std::string(kArchetypeNames[a]) == "data_vendor");
    EXPECT_EQ(firm.model_source, expected[a][3] ? "own" : "open");
    const bool service = expected[a][4];
    EXPECT_EQ(firm.serves,
              (std::array<bool, kSegments>{service, service, service, service, service, service}));
    // The schema's defaults agree with FirmSpec's initializers.
    EXPECT_EQ(firm.cash, plain.cash);
    EXPECT_EQ(firm.fab_capacity, plain.fab_capacity);
    EXPECT_EQ(firm.hbm_capacity, plain.hbm_capacity);
    EXPECT_EQ(firm.installed_compute, plain.installed_compute);
    EXPECT_EQ(firm.data_stock, plain.data_stock);
    EXPECT_EQ(firm.training_compute, plain.training_compute);
    EXPECT_EQ(firm.chip_performance, plain.chip_performance);
    EXPECT_EQ(firm.open_weights, plain.open_weights);
    EXPECT_EQ(firm.markup, plain.markup);
    EXPECT_EQ(firm.spend_rate, plain.spend_rate);
    EXPECT_EQ(firm.awareness, plain.awareness);
  }
}

TEST_F(ConfigTest, LayersMustBeDistinctLayerNames) {
  const std::string path =
      write(firm_toml("A", "big_tech", "layers = [\"model\", \"servce\", \"model\", 3]\n") +
            firm_toml("B", "cloud", "layers = \"cloud\"\n"));
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], path +
                          ":5:20: firm.A.layers[1]: unknown layer 'servce' (did you mean "
                          "'service'?); layers are: hbm, accelerator, cloud, model, service");
  EXPECT_EQ(lines[1], path + ":5:30: firm.A.layers[2]: layer 'model' is listed twice, first at " +
                          path + ":5:11");
  EXPECT_EQ(lines[2], path + ":5:39: firm.A.layers[3]: expected a string, got an integer (3)");
  EXPECT_EQ(lines[3], path +
                          ":10:10: firm.B.layers: expected an array of layer names, e.g. "
                          "[\"service\"], got a string (\"cloud\")");
}

TEST_F(ConfigTest, PaidConversionIsPerServedSegmentAndFallsBackToTheFirmsSetting) {
  // A table gives the segments listed; a number, every segment the firm serves; a segment it
  // does not serve, or a firm without a service layer, is refused.
  const std::string good = write(
      firm_toml("Chat", "consumer_ai",
                "quality = { consumer = 1.0, enterprise = 1.0 }\nprice = 20\n"
                "paid_conversion = { consumer = 0.04 }\n") +
          firm_toml("Free", "consumer_ai", "quality = { consumer = 1.0 }\npaid_conversion = 0\n") +
          firm_toml("Plain", "consumer_ai"),
      "good.toml");
  const Config config = load_config(good, {{"firms.paid_conversion=0.5", "--set"}});
  EXPECT_EQ(config.firms.paid_conversion, 0.5);
  EXPECT_EQ(config.named_firms[0].paid_conversion[0], 0.04);
  EXPECT_EQ(config.named_firms[0].paid_conversion_given,
            (std::array<bool, kSegments>{true, false, false, false, false, false}));
  EXPECT_EQ(config.named_firms[1].paid_conversion[0], 0.0);
  EXPECT_EQ(config.named_firms[1].paid_conversion_given,
            (std::array<bool, kSegments>{true, false, false, false, false, false}));
  EXPECT_EQ(config.named_firms[2].paid_conversion_given, (std::array<bool, kSegments>{}));
  // The firm table: given values where given, firms.paid_conversion elsewhere.
  const FirmTable table = build_firm_table(config);
  const auto cell = [&](int s, std::int32_t j) {
    return static_cast<std::size_t>(layout::segment_firm(s, j, table.size()));
  };
  EXPECT_EQ(table.paid_conversion[cell(0, 0)], 0.04);
  EXPECT_EQ(table.paid_conversion[cell(1, 0)], 0.5);
  EXPECT_EQ(table.paid_conversion[cell(0, 1)], 0.0);
  EXPECT_EQ(table.paid_conversion[cell(0, 2)], 0.5);

  const std::string bad = write(
      firm_toml("Harvey", "vertical_ai",
                "quality = { legal = 2.0 }\npaid_conversion = { legal = 0.1, finance = 0.2 }\n") +
          firm_toml("NVIDIA", "chip_vendor", "paid_conversion = 0.5\n") +
          firm_toml("Over", "consumer_ai", "paid_conversion = 1.5\n"),
      "bad.toml");
  const auto lines = lines_of(error_of(bad));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], bad +
                          ":6:44: firm.Harvey.paid_conversion.finance: gives a paid conversion in "
                          "segment 'finance', which the firm does not serve (its quality table "
                          "does not list it)");
  EXPECT_EQ(lines[1], bad +
                          ":11:19: firm.NVIDIA.paid_conversion: firm 'NVIDIA' has no service layer "
                          "(its layers: accelerator), so it has no users to convert to a paid "
                          "tier; list \"service\" in its layers to give it one");
  EXPECT_EQ(lines[2].rfind(bad + ":16:19: firm.Over.paid_conversion: out of range: got 1.5", 0),
            0u);
}

TEST_F(ConfigTest, OnlyAServiceFirmTakesQualityAndPrice) {
  const std::string path = write(firm_toml("NVIDIA", "chip_vendor", "quality = 1.0\nprice = 2\n") +
                                 firm_toml("Azure", "cloud",
                                           "layers = [\"cloud\", \"service\"]\n"
                                           "quality = 0.5\n"));
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], path +
                          ":5:11: firm.NVIDIA.quality: firm 'NVIDIA' has no service layer (its "
                          "layers: accelerator), so it sells to no segment and takes no quality; "
                          "list \"service\" in its layers to give it one");
  EXPECT_EQ(lines[1], path +
                          ":6:9: firm.NVIDIA.price: firm 'NVIDIA' has no service layer (its "
                          "layers: accelerator), so it sells to no segment and takes no price; "
                          "list \"service\" in its layers to give it one");
  // Adding the layer by override makes the firm a service firm.
  const Config config =
      load_config(path, {{"firm.NVIDIA.layers=[\"accelerator\", \"service\"]", "--set"}});
  EXPECT_EQ(config.named_firms[0].quality, (std::array<double, kSegments>{1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(config.named_firms[1].serves,
            (std::array<bool, kSegments>{true, true, true, true, true, true}));
}

TEST_F(ConfigTest, LayerDependentKeysNeedTheirLayer) {
  const std::string path = write(
      firm_toml("Kakao", "kr_service",
                "fab_capacity = 10\nhbm_capacity = 5\nopen_weights = true\nmodel_source = \"own\"\n"
                "training_compute = 1e24\n"));
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], path +
                          ":5:16: firm.Kakao.fab_capacity: firm 'Kakao' has no accelerator "
                          "layer (its layers: service), so its fab_capacity must be 0; list "
                          "\"accelerator\" in its layers to give it one");
  EXPECT_EQ(lines[1], path +
                          ":6:16: firm.Kakao.hbm_capacity: firm 'Kakao' has no hbm layer (its "
                          "layers: service), so its hbm_capacity must be 0; list \"hbm\" in its "
                          "layers to give it one");
  EXPECT_EQ(lines[2], path +
                          ":7:16: firm.Kakao.open_weights: firm 'Kakao' has no model layer (its "
                          "layers: service), so it has no model to release: open_weights must "
                          "be false");
  EXPECT_EQ(lines[3], path +
                          ":8:16: firm.Kakao.model_source: firm 'Kakao' has no model layer (its "
                          "layers: service), so it has no own model: model_source must be "
                          "\"open\" or the name of a partner firm with layer model");
  EXPECT_EQ(lines[4], path +
                          ":9:20: firm.Kakao.training_compute: firm 'Kakao' has no model layer "
                          "(its layers: service), so its training_compute must be 0; list "
                          "\"model\" in its layers to give it one");
  // Zero capacities and false are fine without the layer; with it, all are accepted.
  EXPECT_NO_THROW(load_config(
      write(firm_toml("Kakao", "kr_service", "fab_capacity = 0\nopen_weights = false\n"),
            "zero.toml"),
      {}));
  const Config config = load_config(
      path, {{"firm.Kakao.layers=[\"hbm\", \"accelerator\", \"model\", \"service\"]", "--set"}});
  EXPECT_EQ(config.named_firms[0].fab_capacity, 10.0);
  EXPECT_EQ(config.named_firms[0].hbm_capacity, 5.0);
  EXPECT_TRUE(config.named_firms[0].open_weights);
  EXPECT_EQ(config.named_firms[0].training_compute, 1e24);
}

TEST_F(ConfigTest, AnUnknownArchetypeGivesOneErrorNotACascade) {
  const std::string path = write(firm_toml("X", "chip_vndor", "quality = 1\nfab_capacity = 9\n"));
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind(path + ":3:13: firm.X.archetype: unknown archetype 'chip_vndor' (did "
                                  "you mean 'chip_vendor'?)",
                           0),
            0u)
      << lines[0];
}

TEST_F(ConfigTest, ModelSourceNamesAPartnerWithAModel) {
  const Config config =
      load_config(write(firm_toml("OpenAI", "model_lab") +
                        firm_toml("Wrtn", "consumer_ai", "model_source = \"OpenAI\"\n") +
                        firm_toml("Lab", "model_lab", "model_source = \"open\"\n")),
                  {});
  EXPECT_EQ(config.named_firms[1].model_source, "OpenAI");
  EXPECT_EQ(config.named_firms[2].model_source, "open");

  const std::string path =
      write(firm_toml("OpenAI", "model_lab") + firm_toml("Naver", "kr_service") +
            firm_toml("A", "consumer_ai", "model_source = \"OpenAl\"\n") +  // 13
            firm_toml("B", "consumer_ai", "model_source = \"Naver\"\n") +   // 18
            firm_toml("C", "model_lab", "model_source = \"C\"\n") +         // 23
            firm_toml("D", "consumer_ai", "model_source = \"opne\"\n") +    // 28
            firm_toml("E", "consumer_ai", "model_source = \"\"\n"));        // 33
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], path +
                          ":13:16: firm.A.model_source: unknown firm 'OpenAl' (did you mean "
                          "'OpenAI'?); model_source is \"own\", \"open\" or the name of another "
                          "[[firm]]");
  EXPECT_EQ(lines[1], path +
                          ":18:16: firm.B.model_source: partner firm 'Naver' has no model layer "
                          "(its layers: service), so it has no model to license");
  EXPECT_EQ(lines[2], path +
                          ":23:16: firm.C.model_source: a firm cannot be its own model partner: "
                          "use \"own\" for its own model");
  EXPECT_EQ(lines[3], path +
                          ":28:16: firm.D.model_source: unknown firm 'opne' (did you mean "
                          "'open'?); model_source is \"own\", \"open\" or the name of another "
                          "[[firm]]");
  EXPECT_EQ(lines[4], path +
                          ":33:16: firm.E.model_source: must not be empty: use \"own\", \"open\" "
                          "or the name of a partner firm");
}

TEST_F(ConfigTest, FirmValueChainKeysAreRangeChecked) {
  const std::string path = write(
      firm_toml("NVIDIA", "chip_vendor",
                "cash = -5\nchip_performance = 0\nmarkup = -1\nspend_rate = 1.5\nsells_data = 1\n"
                "installed_compute = \"lots\"\ntraining_compute = 1e41\n"));
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0], path +
                          ":5:8: firm.NVIDIA.cash: must not be negative, got -5 (valid range "
                          "[0, 1e7])");
  EXPECT_EQ(lines[1], path +
                          ":6:20: firm.NVIDIA.chip_performance: out of range: got 0, valid "
                          "range (0, 1000]");
  EXPECT_EQ(lines[2], path +
                          ":7:10: firm.NVIDIA.markup: must not be negative, got -1 (valid range "
                          "[0, 100])");
  EXPECT_EQ(lines[3], path +
                          ":8:14: firm.NVIDIA.spend_rate: out of range: got 1.5, valid range "
                          "[0, 1]");
  EXPECT_EQ(lines[4],
            path + ":9:14: firm.NVIDIA.sells_data: expected a boolean, got an integer (1)");
  EXPECT_EQ(lines[5], path +
                          ":10:21: firm.NVIDIA.installed_compute: expected a float, got a "
                          "string (\"lots\")");
  EXPECT_EQ(lines[6], path +
                          ":11:20: firm.NVIDIA.training_compute: out of range: got 1e41, valid "
                          "range [0, 1e40]");
}

TEST_F(ConfigTest, OverridesReachTheValueChainKeys) {
  const std::string path = write(kFullConfig);
  const Config config = load_config(path, {{"firm.Wrtn.layers=[\"model\",\"service\"]", "--set"},
                                           {"firm.Wrtn.model_source=own", "--set"},
                                           {"firm.Wrtn.markup=0.25", "--set"},
                                           {"firm.NVIDIA.fab_capacity=1e6", "--set"},
                                           {"firm.Naver.open_weights=false", "--set"},
                                           {"compute.max_price_change=1", "--set"},
                                           {"data.depreciation=0", "--set"},
                                           {"models.chinchilla_beta=0.5", "--set"},
                                           {"scenario.export_controls=[]", "--set"}});
  const FirmSpec& wrtn = config.named_firms[4];
  EXPECT_EQ(wrtn.layers, (std::array<bool, kLayers>{false, false, false, true, true}));
  EXPECT_EQ(wrtn.model_source, "own");
  EXPECT_EQ(wrtn.markup, 0.25);
  EXPECT_EQ(config.named_firms[3].fab_capacity, 1e6);
  EXPECT_FALSE(config.named_firms[0].open_weights);
  EXPECT_EQ(config.compute.max_price_change, 1.0);
  EXPECT_EQ(config.data.depreciation, 0.0);
  EXPECT_EQ(config.models.chinchilla_beta, 0.5);
  EXPECT_TRUE(config.scenario.export_controls.empty());

  // An override that breaks layer rules: each is reported where the key it breaks was set.
  const auto lines = lines_of(
      error_of(path, {{"firm.Naver.layers=[\"service\"]", "--set firm.Naver.layers=..."}}));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], path +
                          ":117:20: firm.Naver.training_compute: firm 'Naver' has no model layer "
                          "(its layers: service), so its training_compute must be 0; list "
                          "\"model\" in its layers to give it one");
  EXPECT_EQ(lines[1], path +
                          ":118:16: firm.Naver.open_weights: firm 'Naver' has no model layer (its "
                          "layers: service), so it has no model to release: open_weights must be "
                          "false");
  EXPECT_EQ(lines[2], path +
                          ":149:16: firm.Wrtn.model_source: partner firm 'Naver' has no model "
                          "layer (its layers: service), so it has no model to license");
}

// ---------------------------------------------------------------------------------------------
// Overrides

TEST_F(ConfigTest, OverridesReplaceFileValuesAndDefaults) {
  const std::string path = write(std::string("[demand]\nbass_p = 0.05\n") + kOneFirm);
  const Config config =
      load_config(path, {{"demand.bass_p=0.03", "--set demand.bass_p=0.03"},
                         {"run.start=2025-03", "--set run.start=2025-03"},  // a bare string
                         {" run.steps = 12 ", "--steps 12"},
                         {"population.segment_shares={consumer=1}", "--set ..."},
                         {"population.synthetic_mix={kr_service=1}", "--set ..."},
                         {"run.seed=7", "--seed 7"},
                         {"run.seed=8", "--set run.seed=8"}});  // the last one wins
  EXPECT_EQ(config.demand.bass_p, 0.03);
  EXPECT_EQ(config.run.start, "2025-03");
  EXPECT_EQ(config.run.steps, 12);
  EXPECT_EQ(config.population.segment_shares, (std::array<double, kSegments>{1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(config.population.synthetic_mix[6], 1.0) << "kr_service";
  EXPECT_EQ(config.run.seed, 8u);
}

TEST_F(ConfigTest, OverrideErrorsNameTheirOrigin) {
  const std::string path = write("[run]\nsteps = 10\n");
  const auto lines = lines_of(error_of(
      path, {{"demand.bass_p=2", "--set demand.bass_p=2"},
             {"run.steps=0", "--steps 0"},
             {"demand.bass_pp=0.1", "--set demand.bass_pp=0.1"},
             {"demand.bass_p", "--set demand.bass_p"},
             {"run.replicates=2.0", "--replicates 2.0"},
             {"finance.fabs=3", "--set finance.fabs=3"},
             {"demand=1", "--set demand=1"},
             {"population.segment_shares.consumer=0.5", "--set population.segment_shares.c"},
             {"damand.bass_p=0.1", "--set damand.bass_p=0.1"},
             {"demand.beta_home=nan", "--set demand.beta_home=nan"}}));
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(lines[0],
            "--set demand.bass_p=2: demand.bass_p: out of range: got 2, valid range [0, 1]");
  EXPECT_EQ(lines[1], "--steps 0: run.steps: out of range: got 0, valid range [1, 10000000]");
  EXPECT_EQ(lines[2],
            "--set demand.bass_pp=0.1: demand.bass_pp: unknown key "
            "'demand.bass_pp' (did you mean 'demand.bass_p'?)");
  EXPECT_EQ(lines[3],
            "--set demand.bass_p: demand.bass_p: missing '=': expected section.key=value");
  EXPECT_EQ(lines[4], "--replicates 2.0: run.replicates: expected an integer, got a float (2.0)");
  EXPECT_EQ(lines[5],
            "--set finance.fabs=3: finance.fabs: section [finance] is not "
            "implemented in this version");
  EXPECT_EQ(lines[6],
            "--set demand=1: demand: a whole section cannot be set: use "
            "section.key=value");
  EXPECT_EQ(lines[7],
            "--set population.segment_shares.c: population.segment_shares.consumer: "
            "'population.segment_shares' is a table: set it whole, e.g. "
            "population.segment_shares={name = value, ...}");
  EXPECT_EQ(lines[8],
            "--set damand.bass_p=0.1: damand.bass_p: unknown key 'damand.bass_p' "
            "(did you mean 'demand.bass_p'?)");
  EXPECT_EQ(lines[9],
            "--set demand.beta_home=nan: demand.beta_home: must be a finite number, got nan");
}

TEST_F(ConfigTest, OverrideErrorsFollowFileErrors) {
  const std::string path = write("[run]\nsteps = -1\n");
  const auto lines =
      lines_of(error_of(path, {{"demand.bass_q=0.995", "--set demand.bass_q=0.995"}}));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind(path + ":2:9: run.steps: ", 0), 0u);
  EXPECT_EQ(lines[1].rfind("--set demand.bass_q=0.995: demand.bass_q: bass_p + bass_q", 0), 0u);
}

TEST_F(ConfigTest, OverrideReachesANamedFirm) {
  const std::string path = write(kFullConfig);
  const Config config =
      load_config(path, {{"firm.Naver.quality=1.5", "--set firm.Naver.quality=1.5"},
                         {"firm.OpenAI \"ChatGPT\".region=EU", "--set ..."},
                         {"firm.Naver.language_fit={KR = 0.5}", "--set ..."}});
  const FirmSpec& naver = config.named_firms[0];
  // A number for quality: every segment, served; the price table's one entry stays.
  EXPECT_EQ(naver.quality, (std::array<double, kSegments>{1.5, 1.5, 1.5, 1.5, 1.5, 1.5}));
  EXPECT_EQ(naver.serves, (std::array<bool, kSegments>{true, true, true, true, true, true}));
  EXPECT_EQ(naver.price, (std::array<double, kSegments>{1.0, 3.0, 1.0, 1.0, 1.0, 1.0}));
  EXPECT_EQ(naver.language_fit, (std::array<double, kRegions>{0.25, 0.5, 0.25, 0.25, 0.25}));
  EXPECT_EQ(config.named_firms[1].region, 2);  // EU
}

TEST_F(ConfigTest, FirmOverrideErrors) {
  const std::string path = write(kFullConfig);
  const auto lines = lines_of(
      error_of(path, {{"firm.Nava.quality=1", "--set firm.Nava.quality=1"},
                      {"firm.Naver.qualty=1", "--set firm.Naver.qualty=1"},
                      {"firm.Naver.quality=-100000", "--set firm.Naver.quality=-100000"},
                      {"firm.Naver=1", "--set firm.Naver=1"},
                      {"firm.Naver.archetype=kr_serv", "--set firm.Naver.archetype=kr_serv"}}));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0],
            "--set firm.Nava.quality=1: firm.Nava.quality: unknown firm 'Nava' (did "
            "you mean 'Naver'?); the config names: Naver, OpenAI \"ChatGPT\", SK hynix, NVIDIA, "
            "Wrtn, Scale AI");
  EXPECT_EQ(lines[1],
            "--set firm.Naver.qualty=1: firm.Naver.qualty: unknown key "
            "'firm.Naver.qualty' (did you mean 'firm.Naver.quality'?)");
  EXPECT_EQ(lines[2],
            "--set firm.Naver.quality=-100000: firm.Naver.quality: out of range: got "
            "-1e5, valid range [-10000, 10000]");
  EXPECT_EQ(lines[3], "--set firm.Naver=1: firm.Naver: expected firm.NAME.key=value");
  EXPECT_EQ(lines[4].rfind("--set firm.Naver.archetype=kr_serv: firm.Naver.archetype: unknown "
                           "archetype 'kr_serv' (did you mean 'kr_service'?)",
                           0),
            0u)
      << lines[4];
}

TEST_F(ConfigTest, OverrideCannotReachAFirmTheConfigDoesNotName) {
  const std::string path = write("");
  EXPECT_EQ(error_of(path, {{"firm.Naver.quality=1", "--set firm.Naver.quality=1"}}),
            "--set firm.Naver.quality=1: firm.Naver.quality: unknown firm 'Naver'; the config "
            "names no [[firm]]");
}

TEST_F(ConfigTest, FirmNameInAnOverrideMayBeQuoted) {
  const std::string path = write(
      "[[firm]]\nname = \"Naver Cloud\"\narchetype = \"cloud\"\nregion = \"KR\"\n"
      "layers = [\"cloud\", \"service\"]\n");
  const Config config = load_config(path, {{"firm.\"Naver Cloud\".awareness=3", "--set ..."},
                                           {"firm.Naver Cloud.price=2", "--set ..."}});
  EXPECT_EQ(config.named_firms[0].awareness, 3.0);
  EXPECT_EQ(config.named_firms[0].price, (std::array<double, kSegments>{2, 2, 2, 2, 2, 2}));
}

TEST_F(ConfigTest, EmptyPathIsRefused) {
  EXPECT_EQ(error_of(""), "cannot read the config file: no path given");
}

// ---------------------------------------------------------------------------------------------
// Limits of config input: size and nesting, checked before the TOML parser reads the text.

std::string dotted_key(int parts) {
  std::string key = "a";
  for (int i = 1; i < parts; ++i) key += ".a";
  return key;
}

// A key of 50,000 parts made the TOML parser recurse until the stack overflowed (a crash).
TEST_F(ConfigTest, DeeplyDottedKeyIsRefusedAtItsLine) {
  const std::string path = write("[run]\nsteps = 3\n" + dotted_key(50000) + " = 1\n");
  const std::string error = error_of(path);
  EXPECT_EQ(error.rfind(path + ":3:1: ", 0), 0u) << error.substr(0, 300);
  EXPECT_NE(error.find("nests deeper than 16 levels"), std::string::npos) << error.substr(0, 300);
  EXPECT_EQ(lines_of(error).size(), 1u);
}

TEST_F(ConfigTest, DeeplyDottedTableHeaderIsRefusedAtItsLine) {
  const std::string table = write("# a header\n[" + dotted_key(50000) + "]\n", "table.toml");
  EXPECT_EQ(error_of(table).rfind(table + ":2:1: ", 0), 0u);
  const std::string array = write("\n\n[[" + dotted_key(50000) + "]]\n", "array.toml");
  EXPECT_EQ(error_of(array).rfind(array + ":3:1: ", 0), 0u);
}

// Sixteen levels are allowed (the schema then judges the key); seventeen are not. Arrays,
// arrays of tables and inline tables count as well as dotted keys.
TEST_F(ConfigTest, NestingLimitIsSixteenLevels) {
  const auto nesting_error = [&](const std::string& text) {
    return error_of(write(text)).find("nests deeper") != std::string::npos;
  };
  EXPECT_FALSE(nesting_error(dotted_key(16) + " = 1\n"));
  EXPECT_TRUE(nesting_error(dotted_key(17) + " = 1\n"));
  EXPECT_FALSE(nesting_error("[" + dotted_key(14) + "]\nb.c = 1\n"));
  EXPECT_TRUE(nesting_error("[" + dotted_key(14) + "]\nb.c.d = 1\n"));
  EXPECT_FALSE(nesting_error("[[" + dotted_key(15) + "]]\n"));
  EXPECT_TRUE(nesting_error("[[" + dotted_key(16) + "]]\n"));
  // a (1) + 15 arrays = 16; one more array is 17.
  EXPECT_FALSE(nesting_error("a = " + std::string(15, '[') + std::string(15, ']') + "\n"));
  EXPECT_TRUE(nesting_error("a = " + std::string(16, '[') + std::string(16, ']') + "\n"));
  // a (1) + b (1) + 14 parts inside the inline table = 16.
  EXPECT_FALSE(nesting_error("a.b = { " + dotted_key(14) + " = 1 }\n"));
  EXPECT_TRUE(nesting_error("a.b = { " + dotted_key(15) + " = 1 }\n"));
  // a (1) + array (1) + b (1) + array (1) + 13 arrays = 17.
  EXPECT_TRUE(
      nesting_error("a = [{ b = [" + std::string(13, '[') + std::string(13, ']') + "] }]\n"));
}

// Dots and brackets inside strings, quoted keys and comments are not nesting.
TEST_F(ConfigTest, NestingIgnoresStringsQuotedKeysAndComments) {
  const std::string many_dots = dotted_key(40);
  const std::string brackets(40, '[');
  const std::string path = write(
      "# " + many_dots + " " + brackets + "\n" + "[[firm]] # " + brackets + "\n" + "name = \"" +
      many_dots + brackets + "\"\n" + "archetype = 'kr_service'\nregion = \"KR\"\n" +
      "[[event]]\ndate = \"2025-01\"\n" + "note = '''\n" + brackets + "\n''''\n" +
      "\"scenario\" = { \"rd_subsidy\" = { \"KR\" = 0.5 } } # " + brackets + "\n" +
      "[[event]]\ndate = \"2026-01\"\nnote = \"\"\"\n\\\"\"\" " + many_dots + "\"\"\"\n" +
      "scenario = { export_controls = [[\"US\", \"CN\"]] }\n");
  const Config config = load_config(path, {});
  ASSERT_EQ(config.named_firms.size(), 1u);
  EXPECT_EQ(config.named_firms[0].name, many_dots + brackets);
  ASSERT_EQ(config.events.size(), 2u);
  EXPECT_EQ(config.events[0].note, brackets + "\n'");
  EXPECT_EQ(config.events[1].note, "\"\"\" " + many_dots);
}

TEST_F(ConfigTest, ConfigFilesAreCappedAtOneMebibyte) {
  const std::size_t limit = std::size_t{1} << 20;
  const std::string firm = "[[firm]]\nname = \"A\"\narchetype = \"model_lab\"\nregion = \"US\"\n";
  // A comment pads the file to exactly the limit: accepted.
  std::string text = firm + "#";
  text += std::string(limit - text.size() - 1, 'x') + "\n";
  ASSERT_EQ(text.size(), limit);
  EXPECT_EQ(load_config(write(text), {}).named_firms.size(), 1u);
  const std::string path = write(text + "\n", "big.toml");
  EXPECT_EQ(error_of(path), path +
                                ": cannot read the config file: larger than 1 MiB (1048576 "
                                "bytes), the limit for a config file");
}

// /dev/zero never ends: it was read until memory ran out (an abort). A FIFO would block.
TEST_F(ConfigTest, DevicesAndPipesAreNotConfigFiles) {
  EXPECT_EQ(error_of("/dev/zero"),
            "/dev/zero: cannot read the config file: not a regular file (a device, pipe or "
            "socket); give the path of a TOML file");
  const std::string fifo = (directory_ / "fifo.toml").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_NE(error_of(fifo).find(fifo + ": cannot read the config file: not a regular file"),
            std::string::npos);
  const std::string base = write("base = \"/dev/zero\"\n[run]\nsteps = 3\n");
  EXPECT_EQ(error_of(base), base +
                                ":1:1: base: cannot read the config file '/dev/zero': not a "
                                "regular file (a device, pipe or socket); give the path of a "
                                "TOML file");
}

TEST_F(ConfigTest, OverridesAreCappedInSizeAndNesting) {
  const std::string path =
      write("[[firm]]\nname = \"A\"\narchetype = \"model_lab\"\nregion = \"US\"\n");
  const std::string long_value(std::size_t{1} << 20, 'x');
  const std::string error =
      error_of(path, {{"run.start=" + long_value, "--set run.start=" + long_value}});
  EXPECT_EQ(lines_of(error).size(), 1u);
  EXPECT_LT(error.size(), 400u) << "the message shows the start of the override only";
  EXPECT_EQ(error.rfind("--set run.start=xxx", 0), 0u) << error;
  EXPECT_NE(error.find(": run.start: the override is longer than 1 MiB"), std::string::npos)
      << error;
  const std::string deep = "{" + dotted_key(50000) + " = 1}";
  EXPECT_EQ(error_of(path, {{"demand.bass_p=" + deep, "--set deep"}}),
            "--set deep: demand.bass_p: the value nests deeper than 16 levels (each part of a "
            "dotted key or table header, and each array, counts one); the keys of a valid "
            "config nest at most 6");
}

// ---------------------------------------------------------------------------------------------
// The resolved config

void expect_same_config(const Config& a, const Config& b) {
  EXPECT_EQ(a.run.steps, b.run.steps);
  EXPECT_EQ(a.run.replicates, b.run.replicates);
  EXPECT_EQ(a.run.seed, b.run.seed);
  EXPECT_EQ(a.run.start, b.run.start);
  EXPECT_EQ(a.run.record_every, b.run.record_every);
  EXPECT_EQ(a.run.flush_seconds, b.run.flush_seconds);
  EXPECT_EQ(a.population.customers, b.population.customers);
  EXPECT_EQ(a.population.synthetic_firms, b.population.synthetic_firms);
  EXPECT_EQ(a.population.real_customers, b.population.real_customers);
  EXPECT_EQ(a.population.segment_shares, b.population.segment_shares);
  EXPECT_EQ(a.population.region_shares, b.population.region_shares);
  EXPECT_EQ(a.firms.frozen, b.firms.frozen);
  EXPECT_EQ(a.population.synthetic_mix, b.population.synthetic_mix);
  EXPECT_EQ(a.population.initial_adoption, b.population.initial_adoption);
  EXPECT_EQ(a.strategy.presets, b.strategy.presets);
  EXPECT_EQ(a.strategy.by_archetype, b.strategy.by_archetype);
  EXPECT_EQ(a.strategy.adapt_every, b.strategy.adapt_every);
  EXPECT_EQ(a.scenario.rd_subsidy, b.scenario.rd_subsidy);
  EXPECT_EQ(a.scenario.global_model_access, b.scenario.global_model_access);
  EXPECT_EQ(a.scenario.closed_stack, b.scenario.closed_stack);
  EXPECT_EQ(a.scenario.entry_boost, b.scenario.entry_boost);
  ASSERT_EQ(a.events.size(), b.events.size());
  for (std::size_t e = 0; e < a.events.size(); ++e) {
    EXPECT_EQ(a.events[e].step, b.events[e].step);
    EXPECT_EQ(a.events[e].scenario.rd_subsidy, b.events[e].scenario.rd_subsidy);
    EXPECT_EQ(a.events[e].scenario.export_controls, b.events[e].scenario.export_controls);
  }
  EXPECT_EQ(a.firms.synthetic_quality_mean, b.firms.synthetic_quality_mean);
  EXPECT_EQ(a.firms.synthetic_quality_sd, b.firms.synthetic_quality_sd);
  EXPECT_EQ(a.firms.synthetic_price_median, b.firms.synthetic_price_median);
  EXPECT_EQ(a.firms.synthetic_price_log_sd, b.firms.synthetic_price_log_sd);
  EXPECT_EQ(a.firms.synthetic_awareness, b.firms.synthetic_awareness);
  EXPECT_EQ(a.firms.foreign_language_fit, b.firms.foreign_language_fit);
  EXPECT_EQ(a.demand.bass_p, b.demand.bass_p);
  EXPECT_EQ(a.demand.bass_q, b.demand.bass_q);
  EXPECT_EQ(a.demand.reconsider_rate, b.demand.reconsider_rate);
  EXPECT_EQ(a.demand.consideration_set, b.demand.consideration_set);
  EXPECT_EQ(a.demand.awareness_installed_base, b.demand.awareness_installed_base);
  EXPECT_EQ(a.demand.elo_discernment, b.demand.elo_discernment);
  EXPECT_EQ(a.demand.beta_price, b.demand.beta_price);
  EXPECT_EQ(a.demand.beta_home, b.demand.beta_home);
  EXPECT_EQ(a.demand.beta_network, b.demand.beta_network);
  EXPECT_EQ(a.demand.beta_language, b.demand.beta_language);
  EXPECT_EQ(a.demand.switching_cost, b.demand.switching_cost);
  EXPECT_EQ(a.demand.price_taste_sd, b.demand.price_taste_sd);
  EXPECT_EQ(a.firms.synthetic_cash, b.firms.synthetic_cash);
  EXPECT_EQ(a.firms.spend_rate, b.firms.spend_rate);
  EXPECT_EQ(a.firms.compute_share, b.firms.compute_share);
  EXPECT_EQ(a.firms.data_share, b.firms.data_share);
  EXPECT_EQ(a.firms.rd_share, b.firms.rd_share);
  EXPECT_EQ(a.firms.marketing_share, b.firms.marketing_share);
  EXPECT_EQ(a.firms.markup, b.firms.markup);
  EXPECT_EQ(a.firms.quality_per_capability, b.firms.quality_per_capability);
  EXPECT_EQ(a.firms.data_quality_gain, b.firms.data_quality_gain);
  EXPECT_EQ(a.firms.rd_quality_gain, b.firms.rd_quality_gain);
  EXPECT_EQ(a.firms.domain_data_scale, b.firms.domain_data_scale);
  EXPECT_EQ(a.firms.rd_scale, b.firms.rd_scale);
  EXPECT_EQ(a.firms.rd_depreciation, b.firms.rd_depreciation);
  EXPECT_EQ(a.firms.awareness_max, b.firms.awareness_max);
  EXPECT_EQ(a.firms.marketing_scale, b.firms.marketing_scale);
  EXPECT_EQ(a.firms.awareness_decay, b.firms.awareness_decay);
  EXPECT_EQ(a.compute.hbm_per_accelerator, b.compute.hbm_per_accelerator);
  EXPECT_EQ(a.compute.hbm_unit_cost, b.compute.hbm_unit_cost);
  EXPECT_EQ(a.compute.hbm_initial_price, b.compute.hbm_initial_price);
  EXPECT_EQ(a.compute.accelerator_unit_cost, b.compute.accelerator_unit_cost);
  EXPECT_EQ(a.compute.accelerator_initial_price, b.compute.accelerator_initial_price);
  EXPECT_EQ(a.compute.cloud_operating_cost, b.compute.cloud_operating_cost);
  EXPECT_EQ(a.compute.cloud_initial_price, b.compute.cloud_initial_price);
  EXPECT_EQ(a.compute.price_performance_doubling_months,
            b.compute.price_performance_doubling_months);
  EXPECT_EQ(a.compute.depreciation, b.compute.depreciation);
  EXPECT_EQ(a.compute.price_adjustment_speed, b.compute.price_adjustment_speed);
  EXPECT_EQ(a.compute.max_price_change, b.compute.max_price_change);
  EXPECT_EQ(a.compute.capacity_cost_accelerator, b.compute.capacity_cost_accelerator);
  EXPECT_EQ(a.compute.capacity_cost_hbm, b.compute.capacity_cost_hbm);
  EXPECT_EQ(a.compute.capacity_depreciation, b.compute.capacity_depreciation);
  EXPECT_EQ(a.compute.cloud_self_use_share, b.compute.cloud_self_use_share);
  EXPECT_EQ(a.data.flywheel_tokens_per_customer, b.data.flywheel_tokens_per_customer);
  EXPECT_EQ(a.data.public_data_rate, b.data.public_data_rate);
  EXPECT_EQ(a.data.depreciation, b.data.depreciation);
  EXPECT_EQ(a.data.data_unit_cost, b.data.data_unit_cost);
  EXPECT_EQ(a.data.data_initial_price, b.data.data_initial_price);
  EXPECT_EQ(a.models.chinchilla_E, b.models.chinchilla_E);
  EXPECT_EQ(a.models.chinchilla_A, b.models.chinchilla_A);
  EXPECT_EQ(a.models.chinchilla_B, b.models.chinchilla_B);
  EXPECT_EQ(a.models.chinchilla_alpha, b.models.chinchilla_alpha);
  EXPECT_EQ(a.models.chinchilla_beta, b.models.chinchilla_beta);
  EXPECT_EQ(a.models.tokens_per_parameter, b.models.tokens_per_parameter);
  EXPECT_EQ(a.models.flop_per_h100e_month, b.models.flop_per_h100e_month);
  EXPECT_EQ(a.models.algorithmic_doubling_months, b.models.algorithmic_doubling_months);
  EXPECT_EQ(a.models.reference_compute, b.models.reference_compute);
  EXPECT_EQ(a.firms.training_share, b.firms.training_share);
  EXPECT_EQ(a.models.finetune_gain, b.models.finetune_gain);
  EXPECT_EQ(a.models.tokens_per_customer, b.models.tokens_per_customer);
  EXPECT_EQ(a.models.inference_flop_per_h100e_month, b.models.inference_flop_per_h100e_month);
  EXPECT_EQ(a.models.api_initial_price, b.models.api_initial_price);
  EXPECT_EQ(a.models.api_price_sensitivity, b.models.api_price_sensitivity);
  EXPECT_EQ(a.models.api_partner_bonus, b.models.api_partner_bonus);
  EXPECT_EQ(a.scenario.export_controls, b.scenario.export_controls);
  ASSERT_EQ(a.named_firms.size(), b.named_firms.size());
  for (std::size_t i = 0; i < a.named_firms.size(); ++i) {
    const FirmSpec& x = a.named_firms[i];
    const FirmSpec& y = b.named_firms[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.archetype, y.archetype);
    EXPECT_EQ(x.region, y.region);
    EXPECT_EQ(x.quality, y.quality);
    EXPECT_EQ(x.price, y.price);
    EXPECT_EQ(x.paid_conversion_given, y.paid_conversion_given);
    for (int s = 0; s < kSegments; ++s) {
      if (x.paid_conversion_given[s]) {
        EXPECT_EQ(x.paid_conversion[s], y.paid_conversion[s]);
      }
    }
    EXPECT_EQ(x.serves, y.serves);
    EXPECT_EQ(x.awareness, y.awareness);
    EXPECT_EQ(x.language_fit, y.language_fit);
    EXPECT_EQ(x.layers, y.layers);
    EXPECT_EQ(x.sells_data, y.sells_data);
    EXPECT_EQ(x.cash, y.cash);
    EXPECT_EQ(x.fab_capacity, y.fab_capacity);
    EXPECT_EQ(x.hbm_capacity, y.hbm_capacity);
    EXPECT_EQ(x.installed_compute, y.installed_compute);
    EXPECT_EQ(x.data_stock, y.data_stock);
    EXPECT_EQ(x.training_compute, y.training_compute);
    EXPECT_EQ(x.chip_performance, y.chip_performance);
    EXPECT_EQ(x.open_weights, y.open_weights);
    EXPECT_EQ(x.model_source, y.model_source);
    EXPECT_EQ(x.markup, y.markup);
    EXPECT_EQ(x.spend_rate, y.spend_rate);
  }
  EXPECT_EQ(a.resolved_toml, b.resolved_toml);
}

TEST_F(ConfigTest, ResolvedTomlReadsBackToTheSameConfig) {
  // Values that need all their digits, and a firm whose price is a number while it serves
  // only some segments.
  const std::string path = write(std::string(kFullConfig) +
                                 "\n[[firm]]\nname = \"Abridge\"\narchetype = \"vertical_ai\"\n"
                                 "region = \"ROW\"\nquality = { healthcare = 0.1 }\n"
                                 "price = 7.25\nawareness = 0\n");
  const Config original = load_config(
      path, {{"demand.elo_discernment=0.1", "--set"},
             {"population.real_customers=123456789.123", "--set"},
             {"demand.beta_home=1e-300", "--set"},
             {"firm.Naver.awareness=0.30000000000000004", "--set"},
             {"firms.frozen=false", "--set"},
             {"compute.depreciation=0.1", "--set"},
             {"models.reference_compute=1.2345678901234567e25", "--set"},
             {"scenario.export_controls=[[\"CN\", \"US\"], [\"US\", \"ROW\"]]", "--set"},
             {"firm.Wrtn.layers=[\"model\", \"service\"]", "--set"},
             {"firm.Wrtn.model_source=open", "--set"},
             {"firm.Wrtn.spend_rate=0.3", "--set"},
             {"firm.NVIDIA.open_weights=false", "--set"},
             {"firm.Scale AI.sells_data=false", "--set"},
             {"firm.SK hynix.installed_compute=1e-9", "--set"},
             {"firm.OpenAI \"ChatGPT\".training_compute=2.5e25", "--set"}});
  EXPECT_EQ(original.named_firms[4].layers,
            (std::array<bool, kLayers>{false, false, false, true, true}));
  EXPECT_EQ(original.scenario.export_controls, (std::vector<std::pair<int, int>>{{3, 0}, {0, 4}}));
  const std::string resolved_path = write(original.resolved_toml, "resolved.toml");
  const Config again = load_config(resolved_path, {});
  expect_same_config(original, again);
  EXPECT_EQ(again.source_path, resolved_path);
  EXPECT_EQ(again.demand.beta_home, 1e-300);
  EXPECT_EQ(again.named_firms[0].awareness, 0.30000000000000004);
  EXPECT_EQ(again.models.reference_compute, 1.2345678901234567e25);
  EXPECT_EQ(again.named_firms[4].spend_rate, 0.3);
  EXPECT_FALSE(again.named_firms[5].sells_data);
  // A firm's absent markup stays absent, so that firms.markup still reaches it.
  EXPECT_EQ(again.named_firms[1].markup, std::nullopt);
  EXPECT_EQ(load_config(resolved_path, {{"firms.markup=2", "--set"}}).named_firms[1].markup,
            std::nullopt);
}

TEST_F(ConfigTest, ResolvedTomlOfDefaultsReadsBackToTheSameConfig) {
  const Config original = load_config(write(kOneFirm), {});
  const Config again = load_config(write(original.resolved_toml, "resolved.toml"), {});
  expect_same_config(original, again);
}

// ---------------------------------------------------------------------------------------------
// The reference docs

TEST(ConfigReference, NamesEverySectionAndKey) {
  const std::string reference = config_reference_markdown();
  for (const char* section :
       {"### `[run]`", "### `[population]`", "### `[firms]`", "### `[demand]`", "### `[compute]`",
        "### `[data]`", "### `[models]`", "### `[scenario]`", "### `[[firm]]`"}) {
    EXPECT_NE(reference.find(section), std::string::npos) << section;
  }
  for (const char* key :
       {"| `steps` |", "| `bass_p` |", "| `segment_shares` |", "| `frozen` |", "| `language_fit` |",
        "| `price_taste_sd` |", "| `export_controls` |", "| `chinchilla_alpha` |",
        "| `model_source` |", "| `layers` |", "| `data_vendor` | none |"}) {
    EXPECT_NE(reference.find(key), std::string::npos) << key;
  }
}

// The example at the top of docs/CONFIG.md is a valid config.
TEST(ConfigReference, DocsExampleLoads) {
  const std::string docs_path = std::string(AIMARKET_SOURCE_DIR) + "/docs/CONFIG.md";
  std::ifstream in(docs_path);
  ASSERT_TRUE(in) << "cannot read " << docs_path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string docs = buffer.str();
  const std::string fence = "```toml\n";
  const auto begin = docs.find(fence);
  ASSERT_NE(begin, std::string::npos) << "no TOML example in " << docs_path;
  const auto end = docs.find("```", begin + fence.size());
  ASSERT_NE(end, std::string::npos);
  const fs::path path = fs::temp_directory_path() / "aimarket_test_config_docs_example.toml";
  std::ofstream(path) << docs.substr(begin + fence.size(), end - begin - fence.size());
  try {
    const Config config = load_config(path.string(), {});
    EXPECT_FALSE(config.named_firms.empty());
  } catch (const ConfigError& error) {
    ADD_FAILURE() << "the example in " << docs_path << " is refused:\n" << error.what();
  }
  std::error_code ignored;
  fs::remove(path, ignored);
}

TEST(ConfigReference, DocsCarryTheGeneratedReference) {
  const std::string docs_path = std::string(AIMARKET_SOURCE_DIR) + "/docs/CONFIG.md";
  std::ifstream in(docs_path);
  ASSERT_TRUE(in) << "cannot read " << docs_path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string docs = buffer.str();
  const std::string begin = "<!-- BEGIN GENERATED REFERENCE -->\n";
  const std::string end = "<!-- END GENERATED REFERENCE -->";
  const auto first = docs.find(begin);
  const auto last = docs.find(end);
  ASSERT_NE(first, std::string::npos) << "no begin marker in " << docs_path;
  ASSERT_NE(last, std::string::npos) << "no end marker in " << docs_path;
  ASSERT_LT(first, last);
  const std::string in_docs = docs.substr(first + begin.size(), last - first - begin.size());
  const std::string generated = config_reference_markdown();
  if (in_docs != generated) {
    const fs::path fresh = fs::temp_directory_path() / "aimarket_CONFIG_reference.md";
    std::ofstream(fresh) << generated;
    FAIL() << docs_path << " is out of date with config_schema.cpp: replace the text between "
           << "the markers with " << fresh.string();
  }
}

}  // namespace
}  // namespace aimarket

// ---------------------------------------------------------------------------------------------
// `base = "..."`: a config as a set of changes laid on another (scenarios on the baseline).
namespace {

std::string write_in(const std::filesystem::path& folder, const std::string& name,
                     const std::string& text) {
  std::filesystem::create_directories(folder);
  const auto path = folder / name;
  std::ofstream(path) << text;
  return path.string();
}

const char* kBaseConfig = R"([run]
steps = 24
seed = 7

[demand]
bass_p = 0.02
bass_q = 0.3

[[firm]]
name = "Naver"
archetype = "kr_service"
region = "KR"
quality = 1.0

[[firm]]
name = "OpenAI"
archetype = "model_lab"
region = "US"
quality = 1.5
)";

TEST(ConfigBase, ScenarioChangesOnlyWhatItSets) {
  const auto folder = std::filesystem::temp_directory_path() / "aimarket_base_ok";
  write_in(folder, "baseline.toml", kBaseConfig);
  const std::string scenario = write_in(folder / "scenarios", "s.toml", R"(base = "../baseline.toml"

[demand]
bass_q = 0.4

[[firm]]
name = "Naver"
model_source = "OpenAI"

[[firm]]
name = "Upstage"
archetype = "kr_service"
region = "KR"
)");
  const aimarket::Config config = aimarket::load_config(scenario, {});
  EXPECT_EQ(config.run.steps, 24);  // from the base
  EXPECT_EQ(config.run.seed, 7u);
  EXPECT_EQ(config.demand.bass_p, 0.02);     // from the base
  EXPECT_EQ(config.demand.bass_q, 0.4);      // changed by the scenario
  ASSERT_EQ(config.named_firms.size(), 3u);  // Naver and OpenAI kept, Upstage added
  EXPECT_EQ(config.named_firms[0].name, "Naver");
  EXPECT_EQ(config.named_firms[0].model_source, "OpenAI");  // the scenario's change
  EXPECT_EQ(config.named_firms[0].quality[0], 1.0);         // the base's value kept
  EXPECT_EQ(config.named_firms[2].name, "Upstage");
  // The resolved config stands alone: it loads to the same settings with no base.
  const std::string resolved = write_in(folder, "resolved.toml", config.resolved_toml);
  const aimarket::Config again = aimarket::load_config(resolved, {});
  EXPECT_EQ(again.resolved_toml, config.resolved_toml);
}

TEST(ConfigBase, SourceFilesListTheConfigAndItsBases) {
  const auto folder = std::filesystem::temp_directory_path() / "aimarket_base_sources";
  const std::string base = write_in(folder, "baseline.toml", kBaseConfig);
  const std::string middle = write_in(folder / "scenarios", "middle.toml",
                                      "base = \"../baseline.toml\"\n[demand]\nbass_q = 0.4\n");
  const std::string top =
      write_in(folder / "scenarios", "top.toml", "base = \"middle.toml\"\n[run]\nsteps = 3\n");
  const aimarket::Config config = aimarket::load_config(top, {});
  ASSERT_EQ(config.source_files.size(), 3u);
  EXPECT_EQ(config.source_files[0], top);
  EXPECT_TRUE(std::filesystem::equivalent(config.source_files[1], middle));
  EXPECT_TRUE(std::filesystem::equivalent(config.source_files[2], base));
  EXPECT_EQ(aimarket::load_config(base, {}).source_files, std::vector<std::string>{base});
}

TEST(ConfigBase, ErrorsNameTheFileTheValueCameFrom) {
  const auto folder = std::filesystem::temp_directory_path() / "aimarket_base_errors";
  const std::string base = write_in(
      folder, "baseline.toml", std::string(kBaseConfig) + "\n[compute]\nhbm_unit_cost = -1.0\n");
  const std::string scenario =
      write_in(folder, "s.toml", "base = \"baseline.toml\"\n[demand]\nbass_q = 7.0\n");
  try {
    aimarket::load_config(scenario, {});
    FAIL() << "expected a ConfigError";
  } catch (const aimarket::ConfigError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find(base + ":22:"), std::string::npos) << what;  // hbm_unit_cost line
    EXPECT_NE(what.find("compute.hbm_unit_cost"), std::string::npos) << what;
    EXPECT_NE(what.find(scenario + ":3:"), std::string::npos) << what;  // bass_q
    EXPECT_NE(what.find("demand.bass_q"), std::string::npos) << what;
  }
}

// The error names the missing file and, as FILE:LINE:COLUMN, the `base` key that names it.
TEST(ConfigBase, MissingBaseIsLocatedAtTheKeyNamingIt) {
  const auto folder = std::filesystem::temp_directory_path() / "aimarket_base_missing";
  const std::string middle = write_in(folder / "scenarios", "middle.toml",
                                      "# middle\n\n  base = \"../nope.toml\"\n[run]\nsteps = 3\n");
  const std::string top =
      write_in(folder, "top.toml", "# changes\nbase = \"scenarios/middle.toml\"\n");
  const std::string missing = (folder / "scenarios" / "../nope.toml").string();
  for (const std::string& path : {top, middle}) {
    try {
      aimarket::load_config(path, {});
      ADD_FAILURE() << "expected a ConfigError";
    } catch (const aimarket::ConfigError& error) {
      EXPECT_EQ(std::string(error.what()), middle + ":3:3: base: cannot read the config file '" +
                                               missing + "': No such file or directory");
    }
  }
}

TEST(ConfigBase, MissingOrCircularBaseIsAnError) {
  const auto folder = std::filesystem::temp_directory_path() / "aimarket_base_bad";
  const std::string missing = write_in(folder, "missing.toml", "base = \"nope.toml\"\n");
  try {
    aimarket::load_config(missing, {});
    FAIL() << "expected a ConfigError";
  } catch (const aimarket::ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("nope.toml"), std::string::npos) << error.what();
  }
  write_in(folder, "a.toml", "base = \"b.toml\"\n");
  const std::string b = write_in(folder, "b.toml", "base = \"a.toml\"\n");
  try {
    aimarket::load_config(b, {});
    FAIL() << "expected a ConfigError";
  } catch (const aimarket::ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("base:"), std::string::npos) << error.what();
  }
  const std::string not_text = write_in(folder, "number.toml", "base = 3\n");
  EXPECT_THROW(aimarket::load_config(not_text, {}), aimarket::ConfigError);
}

}  // namespace

namespace aimarket {
namespace {

TEST(ConfigTables, AnOverrideOfATableChangesOnlyTheEntriesItNames) {
  // kTable settings (strategy presets, scenario levers) keep the entries an override does not
  // name, whether it is written as a table or as one dotted entry. The baseline sets
  // regulation costs for EU, KR and US (the default is none), so a lost entry would show.
  const Config plain = testing::load_repo_config("configs/baseline.toml");
  ASSERT_GT(plain.scenario.regulation_cost[2], 0.0) << "the baseline sets an EU cost";
  const Config dotted = testing::load_repo_config(
      "configs/baseline.toml",
      {"strategy.closed_frontier.markup=2.5", "scenario.regulation_cost.KR=0.5"});
  const Config table = testing::load_repo_config(
      "configs/baseline.toml",
      {"strategy.closed_frontier={markup = 2.5}", "scenario.regulation_cost={KR = 0.5}"});
  for (const Config* c : {&dotted, &table}) {
    auto expected = plain.strategy.presets[2];  // closed_frontier
    expected[kMarkup] = 2.5;
    EXPECT_EQ(c->strategy.presets[2], expected);
    auto costs = plain.scenario.regulation_cost;
    costs[1] = 0.5;  // KR
    EXPECT_EQ(c->scenario.regulation_cost, costs);
  }
}

}  // namespace
}  // namespace aimarket
