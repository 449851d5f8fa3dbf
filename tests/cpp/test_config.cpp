// The config loader: defaults, a full file, every kind of error (each naming file, line and
// key, or the command-line option), overrides, the resolved-TOML round trip, and that
// docs/CONFIG.md carries the reference generated from the schema.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.hpp"

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

  fs::path directory_;
};

// Config{} holds the struct's own initializers; the schema's defaults must agree with them.
TEST_F(ConfigTest, EmptyFileGivesSchemaDefaultsMatchingTheStructs) {
  const std::string path = write("");
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
  EXPECT_EQ(config.population.customer_weight, plain.population.customer_weight);
  EXPECT_EQ(config.firms.frozen, plain.firms.frozen);
  EXPECT_EQ(config.firms.synthetic_archetype, plain.firms.synthetic_archetype);
  EXPECT_EQ(config.firms.synthetic_quality_mean, plain.firms.synthetic_quality_mean);
  EXPECT_EQ(config.firms.synthetic_quality_sd, plain.firms.synthetic_quality_sd);
  EXPECT_EQ(config.firms.synthetic_price_median, plain.firms.synthetic_price_median);
  EXPECT_EQ(config.firms.synthetic_price_log_sd, plain.firms.synthetic_price_log_sd);
  EXPECT_EQ(config.firms.synthetic_awareness, plain.firms.synthetic_awareness);
  EXPECT_EQ(config.firms.foreign_language_fit, plain.firms.foreign_language_fit);
  EXPECT_EQ(config.demand.bass_p, plain.demand.bass_p);
  EXPECT_EQ(config.demand.bass_q, plain.demand.bass_q);
  EXPECT_EQ(config.demand.reconsider_rate, plain.demand.reconsider_rate);
  EXPECT_EQ(config.demand.consideration_set, plain.demand.consideration_set);
  EXPECT_EQ(config.demand.awareness_installed_base, plain.demand.awareness_installed_base);
  EXPECT_EQ(config.demand.beta_quality, plain.demand.beta_quality);
  EXPECT_EQ(config.demand.beta_price, plain.demand.beta_price);
  EXPECT_EQ(config.demand.beta_home, plain.demand.beta_home);
  EXPECT_EQ(config.demand.beta_network, plain.demand.beta_network);
  EXPECT_EQ(config.demand.beta_language, plain.demand.beta_language);
  EXPECT_EQ(config.demand.switching_cost, plain.demand.switching_cost);
  EXPECT_EQ(config.demand.price_taste_sd, plain.demand.price_taste_sd);

  const std::array<double, kSegments> segments = {0.40, 0.30, 0.08, 0.08, 0.06, 0.08};
  const std::array<double, kRegions> regions = {0.30, 0.05, 0.25, 0.20, 0.20};
  EXPECT_EQ(config.population.segment_shares, segments);
  EXPECT_EQ(config.population.region_shares, regions);
  EXPECT_TRUE(config.named_firms.empty());
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
customer_weight = 1000
segment_shares = { consumer = 0.5, enterprise = 0.5 }
region_shares = { US = 0.25, KR = 0.25, EU = 0.2, CN = 0.2, ROW = 0.1 }

[firms]
frozen = true
synthetic_archetype = "vertical_ai"
synthetic_quality_mean = -0.5
synthetic_quality_sd = 0.25
synthetic_price_median = 2.5
synthetic_price_log_sd = 0.1
synthetic_awareness = 3
foreign_language_fit = 0.25

[demand]
bass_p = 0.02
bass_q = 0.4
reconsider_rate = 0.1
consideration_set = 0
awareness_installed_base = 0.75
beta_quality = 2.0
beta_price = 1.5
beta_home = 0.25
beta_network = -0.5
beta_language = 0.125
switching_cost = 0.0
price_taste_sd = 0.2

[[firm]]
name = "Naver"
archetype = "kr_service"
region = "KR"
quality = { consumer = 1.0, enterprise = 0.5 }
price = { enterprise = 3.0 }
awareness = 2.0
language_fit = { US = 0.3 }

[[firm]]
name = "OpenAI \"ChatGPT\""
archetype = "model_lab"
region = "US"
quality = 1.25
price = 2
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
  EXPECT_EQ(config.population.customer_weight, 1000.0);  // an integer where a float is due
  const std::array<double, kSegments> segments = {0.5, 0.5, 0.0, 0.0, 0.0, 0.0};
  EXPECT_EQ(config.population.segment_shares, segments);
  const std::array<double, kRegions> regions = {0.25, 0.25, 0.2, 0.2, 0.1};
  EXPECT_EQ(config.population.region_shares, regions);
  EXPECT_TRUE(config.firms.frozen);
  EXPECT_EQ(config.firms.synthetic_archetype, "vertical_ai");
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
  EXPECT_EQ(config.demand.beta_quality, 2.0);
  EXPECT_EQ(config.demand.beta_price, 1.5);
  EXPECT_EQ(config.demand.beta_home, 0.25);
  EXPECT_EQ(config.demand.beta_network, -0.5);
  EXPECT_EQ(config.demand.beta_language, 0.125);
  EXPECT_EQ(config.demand.switching_cost, 0.0);
  EXPECT_EQ(config.demand.price_taste_sd, 0.2);

  ASSERT_EQ(config.named_firms.size(), 2u);
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
  EXPECT_EQ(naver.awareness, 2.0);
  // Listed: US. Home (KR): 1.0. Elsewhere: firms.foreign_language_fit.
  const std::array<double, kRegions> naver_fit = {0.3, 1.0, 0.25, 0.25, 0.25};
  EXPECT_EQ(naver.language_fit, naver_fit);

  const FirmSpec& lab = config.named_firms[1];
  EXPECT_EQ(lab.name, "OpenAI \"ChatGPT\"");
  EXPECT_EQ(lab.region, 0);  // US
  const std::array<bool, kSegments> all = {true, true, true, true, true, true};
  EXPECT_EQ(lab.serves, all);
  EXPECT_EQ(lab.quality, (std::array<double, kSegments>{1.25, 1.25, 1.25, 1.25, 1.25, 1.25}));
  EXPECT_EQ(lab.price, (std::array<double, kSegments>{2, 2, 2, 2, 2, 2}));
  EXPECT_EQ(lab.awareness, 1.0);
  EXPECT_EQ(lab.language_fit, (std::array<double, kRegions>{1.0, 0.25, 0.25, 0.25, 0.25}));
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
  const std::string path = write("[run]\nsteps = 2\n\n[compute]\nfab_capacity = 3\n");
  const std::string error = error_of(path);
  EXPECT_NE(error.find(path + ":4:"), std::string::npos) << error;
  EXPECT_NE(error.find("compute: section [compute] is not implemented in this version"),
            std::string::npos)
      << error;
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
      write("[demand]\nbeta_quality = nan\nbeta_home = inf\nbeta_network = -inf\n");
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], path + ":2:16: demand.beta_quality: must be a finite number, got nan");
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

TEST_F(ConfigTest, FirmDynamicsAreNotImplemented) {
  const std::string path = write("[firms]\nfrozen = false\n");
  const std::string error = error_of(path);
  EXPECT_EQ(error.rfind(path + ":2:10: firms.frozen: ", 0), 0u) << error;
  EXPECT_NE(error.find("firm dynamics are not implemented in this version"), std::string::npos);
}

TEST_F(ConfigTest, StartMustBeAMonth) {
  for (const char* bad : {"2024-13", "2024-1", "1899-12", "24-01", "2024/01"}) {
    const std::string path = write(std::string("[run]\nstart = \"") + bad + "\"\n");
    EXPECT_NE(error_of(path).find(path + ":2:9: run.start: expected a month \"YYYY-MM\""),
              std::string::npos)
        << bad;
  }
  EXPECT_EQ(load_config(write("[run]\nstart = \"2999-12\"\n"), {}).run.start, "2999-12");
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
      "[[firm]]\n"                              // 1
      "name = \"Upstage\"\n"                    // 2
      "archetype = \"kr_servce\"\n"             // 3
      "region = \"KR\"\n"                       // 4
      "quality = { legal = 1.0 }\n"             // 5
      "price = { legal = 2.0, finance = 0 }\n"  // 6
      "qualty = 3\n"                            // 7
      "\n"                                      // 8
      "[[firm]]\n"                              // 9
      "archetype = \"model_lab\"\n"             // 10
      "quality = {}\n"                          // 11
      "language_fit = { EU = 2 }\n");           // 12
  const auto lines = lines_of(error_of(path));
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0], path +
                          ":3:13: firm.Upstage.archetype: unknown archetype 'kr_servce' (did "
                          "you mean 'kr_service'?); archetypes are: big_tech, model_lab, "
                          "chip_vendor, memory_vendor, npu_startup, cloud, kr_service, "
                          "vertical_ai, consumer_ai, data_vendor");
  EXPECT_EQ(lines[1], path +
                          ":6:34: firm.Upstage.price.finance: out of range: got 0, valid range "
                          "(0, 1e9]");
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
// Overrides

TEST_F(ConfigTest, OverridesReplaceFileValuesAndDefaults) {
  const std::string path = write("[demand]\nbass_p = 0.05\n");
  const Config config =
      load_config(path, {{"demand.bass_p=0.03", "--set demand.bass_p=0.03"},
                         {"run.start=2025-03", "--set run.start=2025-03"},  // a bare string
                         {" run.steps = 12 ", "--steps 12"},
                         {"population.segment_shares={consumer=1}", "--set ..."},
                         {"firms.synthetic_archetype=kr_service", "--set ..."},
                         {"run.seed=7", "--seed 7"},
                         {"run.seed=8", "--set run.seed=8"}});  // the last one wins
  EXPECT_EQ(config.demand.bass_p, 0.03);
  EXPECT_EQ(config.run.start, "2025-03");
  EXPECT_EQ(config.run.steps, 12);
  EXPECT_EQ(config.population.segment_shares, (std::array<double, kSegments>{1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(config.firms.synthetic_archetype, "kr_service");
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
             {"compute.fabs=3", "--set compute.fabs=3"},
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
            "--set compute.fabs=3: compute.fabs: section [compute] is not "
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
                      {"firm.Naver.quality=-1000", "--set firm.Naver.quality=-1000"},
                      {"firm.Naver=1", "--set firm.Naver=1"},
                      {"firm.Naver.archetype=kr_serv", "--set firm.Naver.archetype=kr_serv"}}));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0],
            "--set firm.Nava.quality=1: firm.Nava.quality: unknown firm 'Nava' (did "
            "you mean 'Naver'?); the config names: Naver, OpenAI \"ChatGPT\"");
  EXPECT_EQ(lines[1],
            "--set firm.Naver.qualty=1: firm.Naver.qualty: unknown key "
            "'firm.Naver.qualty' (did you mean 'firm.Naver.quality'?)");
  EXPECT_EQ(lines[2],
            "--set firm.Naver.quality=-1000: firm.Naver.quality: out of range: got "
            "-1000, valid range [-100, 100]");
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
  const std::string path =
      write("[[firm]]\nname = \"Naver Cloud\"\narchetype = \"cloud\"\nregion = \"KR\"\n");
  const Config config = load_config(path, {{"firm.\"Naver Cloud\".awareness=3", "--set ..."},
                                           {"firm.Naver Cloud.price=2", "--set ..."}});
  EXPECT_EQ(config.named_firms[0].awareness, 3.0);
  EXPECT_EQ(config.named_firms[0].price, (std::array<double, kSegments>{2, 2, 2, 2, 2, 2}));
}

TEST_F(ConfigTest, EmptyPathIsRefused) {
  EXPECT_EQ(error_of(""), "cannot read the config file: no path given");
}

TEST_F(ConfigTest, OverrideCanTurnFrozenOffOnlyToBeRefused) {
  const std::string path = write("");
  const std::string error = error_of(path, {{"firms.frozen=false", "--set firms.frozen=false"}});
  EXPECT_EQ(error.rfind("--set firms.frozen=false: firms.frozen: false is not supported", 0), 0u)
      << error;
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
  EXPECT_EQ(a.population.customer_weight, b.population.customer_weight);
  EXPECT_EQ(a.population.segment_shares, b.population.segment_shares);
  EXPECT_EQ(a.population.region_shares, b.population.region_shares);
  EXPECT_EQ(a.firms.frozen, b.firms.frozen);
  EXPECT_EQ(a.firms.synthetic_archetype, b.firms.synthetic_archetype);
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
  EXPECT_EQ(a.demand.beta_quality, b.demand.beta_quality);
  EXPECT_EQ(a.demand.beta_price, b.demand.beta_price);
  EXPECT_EQ(a.demand.beta_home, b.demand.beta_home);
  EXPECT_EQ(a.demand.beta_network, b.demand.beta_network);
  EXPECT_EQ(a.demand.beta_language, b.demand.beta_language);
  EXPECT_EQ(a.demand.switching_cost, b.demand.switching_cost);
  EXPECT_EQ(a.demand.price_taste_sd, b.demand.price_taste_sd);
  ASSERT_EQ(a.named_firms.size(), b.named_firms.size());
  for (std::size_t i = 0; i < a.named_firms.size(); ++i) {
    const FirmSpec& x = a.named_firms[i];
    const FirmSpec& y = b.named_firms[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.archetype, y.archetype);
    EXPECT_EQ(x.region, y.region);
    EXPECT_EQ(x.quality, y.quality);
    EXPECT_EQ(x.price, y.price);
    EXPECT_EQ(x.serves, y.serves);
    EXPECT_EQ(x.awareness, y.awareness);
    EXPECT_EQ(x.language_fit, y.language_fit);
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
  const Config original =
      load_config(path, {{"demand.beta_quality=0.1", "--set"},
                         {"population.customer_weight=123456789.123", "--set"},
                         {"demand.beta_home=1e-300", "--set"},
                         {"firm.Naver.awareness=0.30000000000000004", "--set"}});
  const std::string resolved_path = write(original.resolved_toml, "resolved.toml");
  const Config again = load_config(resolved_path, {});
  expect_same_config(original, again);
  EXPECT_EQ(again.source_path, resolved_path);
  EXPECT_EQ(again.demand.beta_home, 1e-300);
  EXPECT_EQ(again.named_firms[0].awareness, 0.30000000000000004);
}

TEST_F(ConfigTest, ResolvedTomlOfDefaultsReadsBackToTheSameConfig) {
  const Config original = load_config(write(""), {});
  const Config again = load_config(write(original.resolved_toml, "resolved.toml"), {});
  expect_same_config(original, again);
}

// ---------------------------------------------------------------------------------------------
// The reference docs

TEST(ConfigReference, NamesEverySectionAndKey) {
  const std::string reference = config_reference_markdown();
  for (const char* section :
       {"### `[run]`", "### `[population]`", "### `[firms]`", "### `[demand]`", "### `[[firm]]`"}) {
    EXPECT_NE(reference.find(section), std::string::npos) << section;
  }
  for (const char* key : {"| `steps` |", "| `bass_p` |", "| `segment_shares` |", "| `frozen` |",
                          "| `language_fit` |", "| `price_taste_sd` |"}) {
    EXPECT_NE(reference.find(key), std::string::npos) << key;
  }
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
