// Tests of the host helpers shared by the config reader, the trajectory writer and reader, and
// `aimarket compare` (src/common/): months, quoting and trimming, the exit statuses, and how
// an HDF5 failure's cause is told.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/exit_codes.hpp"
#include "common/hdf5_support.hpp"
#include "common/months.hpp"
#include "common/text.hpp"
#include "config/config.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

using testing::load_repo_config;

TEST(Months, ParseCountsMonthsSinceYearZero) {
  EXPECT_EQ(parse_month("0000-01"), std::optional<std::int64_t>(0));
  EXPECT_EQ(parse_month("2024-01"), std::optional<std::int64_t>(2024 * 12));
  EXPECT_EQ(parse_month("2024-12"), std::optional<std::int64_t>(2024 * 12 + 11));
  EXPECT_EQ(parse_month("9999-12"), std::optional<std::int64_t>(9999 * 12 + 11));
}

TEST(Months, ParseRefusesWhatIsNotYyyyMm) {
  for (const char* text :
       {"", "2024", "2024-1", "2024-001", "2024/01", "20x4-01", "2024-1x", "2024-00", "2024-13",
        " 2024-01", "2024-01 ", "-024-01", "+024-01", "2024--1"}) {
    EXPECT_FALSE(parse_month(text).has_value()) << text;
  }
}

TEST(Months, MonthIndexNamesTheTextItRefuses) {
  EXPECT_EQ(month_index("2025-03"), 2025 * 12 + 2);
  try {
    month_index("2025-3");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "'2025-3' is not a month YYYY-MM");
  }
}

TEST(Months, FormatIsTheInverseOfParse) {
  for (std::int64_t index = std::int64_t{1900} * 12; index < std::int64_t{2101} * 12; ++index) {
    const std::string text = format_month(index);
    ASSERT_EQ(parse_month(text), std::optional<std::int64_t>(index)) << text;
  }
  EXPECT_EQ(format_month(std::int64_t{2024} * 12 + 11), "2024-12");
  EXPECT_EQ(format_month(5), "0000-06");
  EXPECT_EQ(format_month(std::int64_t{10000} * 12), "10000-01");
}

// The config reader takes run.start through parse_month, and bounds it to 1900-01..2999-12.
TEST(Months, ConfigStartIsAMonthFrom1900To2999) {
  EXPECT_EQ(load_repo_config("configs/baseline.toml", {"run.start=1900-01"}).run.start, "1900-01");
  EXPECT_EQ(load_repo_config("configs/baseline.toml", {"run.start=2999-12"}).run.start, "2999-12");
  for (const char* text : {"1899-12", "3000-01", "2024-13", "2024-00", "2024-1x", "24-01"}) {
    try {
      load_repo_config("configs/baseline.toml", {std::string("run.start=") + text});
      ADD_FAILURE() << "run.start=" << text << " was accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("run.start: expected a month \"YYYY-MM\" from 1900-01 "
                                           "to 2999-12, got \"" +
                                           std::string(text) + "\""),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(Text, QuotedWrapsInSingleQuotes) {
  EXPECT_EQ(quoted(std::string("a b")), "'a b'");
  EXPECT_EQ(quoted("x"), "'x'");
  EXPECT_EQ(quoted(std::string_view("")), "''");
}

TEST(Text, TrimDropsSpacesAndTabsAtBothEnds) {
  EXPECT_EQ(trim(" \t2024-01\t "), "2024-01");
  EXPECT_EQ(trim("a b"), "a b");
  EXPECT_EQ(trim(" \t "), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("\nx\n"), "\nx\n");  // only blanks: a newline is content
}

TEST(ExitCodes, AreTheDocumentedStatuses) {
  // README.md, "Exit status": scripts depend on these numbers.
  EXPECT_EQ(kExitSuccess, 0);
  EXPECT_EQ(kExitRunFailed, 1);
  EXPECT_EQ(kExitBadInput, 2);
  EXPECT_EQ(kExitInterrupted, 130);
}

TEST(Hdf5Errors, ASystemErrorIsSaidPlainly) {
  // HDF5 1.10's text of a failed write, which spans lines in the original.
  const std::string message =
      "file write failed: time = Mon Jan  1 00:00:00 2024\n, filename = 'x.h5', file "
      "descriptor = 3, errno = 28, error message = 'No space left on device', buf = 0x1";
  EXPECT_EQ(hdf5::system_error_in(message), "No space left on device");
  EXPECT_EQ(hdf5::cause_suffix(message), " (No space left on device)");
}

TEST(Hdf5Errors, OtherwiseHdf5sMessageIsTheCause) {
  EXPECT_EQ(hdf5::system_error_in("bad symbol table node signature"), "");
  EXPECT_EQ(hdf5::cause_suffix("bad symbol table node signature"),
            " (HDF5: bad symbol table node signature)");
  EXPECT_EQ(hdf5::cause_suffix("errno = 0, error message = ''"),
            " (HDF5: errno = 0, error message = '')");
  EXPECT_EQ(hdf5::cause_suffix(""), "");
}

TEST(Hdf5Errors, FailureCauseReadsAndClearsTheErrorStack) {
  H5E_auto2_t function = nullptr;
  void* data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &function, &data);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  EXPECT_LT(H5Fopen("/nonexistent-folder/none.h5", H5F_ACC_RDONLY, H5P_DEFAULT), 0);
  const std::string cause = hdf5::failure_cause();
  H5Eset_auto2(H5E_DEFAULT, function, data);
  EXPECT_EQ(cause, " (No such file or directory)");
  EXPECT_EQ(hdf5::failure_cause(), "");  // the stack was cleared
}

}  // namespace
}  // namespace aimarket
