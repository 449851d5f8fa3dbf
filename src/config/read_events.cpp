// The [[event]] tables: scenario levers that change from a date on, each event the complete
// lever set in force from its date.
#include <algorithm>
#include <string>
#include <vector>

#include "config/config_internal.hpp"

namespace aimarket::config_internal {

// [[event]] tables: `date = "YYYY-MM"`, an optional `note`, and a `scenario` table of
// [scenario] keys that take new values from that month on. Events apply in date order (the
// file's order among equal dates), each on top of the levers before it.
void read_events(const toml::table& root, Config& config, Reader& reader) {
  const toml::node* node = root.get(kEventSection);
  if (node == nullptr) return;
  Problems& problems = reader.problems();
  const toml::array* events = node->as_array();
  if (events == nullptr || !events->is_array_of_tables()) {
    problems.add(*node, "event",
                 "expected [[event]] tables (an array of tables), got " + describe(*node));
    return;
  }
  const std::int64_t start = month_index(config.run.start);
  struct Parsed {
    std::int64_t month;
    std::size_t order;
    const toml::table* table;
  };
  std::vector<Parsed> parsed;
  for (std::size_t i = 0; i < events->size(); ++i) {
    const toml::table& event = *events->get(i)->as_table();
    const std::string label = "event[" + std::to_string(i) + "]";
    for (auto&& [name, value] : event) {
      if (name.str() != "date" && name.str() != "note" && name.str() != "scenario") {
        problems.add(name, label + "." + std::string(name.str()),
                     "unknown key: an [[event]] has date, note and a scenario table");
      }
    }
    const toml::node* date = event.get("date");
    if (date == nullptr) {
      problems.add(event, label + ".date", "missing: every [[event]] needs a date \"YYYY-MM\"");
      continue;
    }
    const auto month = reader.month(*date, label + ".date");
    if (!month) continue;
    parsed.push_back({month_index(*month), i, &event});
  }
  std::stable_sort(parsed.begin(), parsed.end(),
                   [](const Parsed& a, const Parsed& b) { return a.month < b.month; });
  ScenarioSettings levers = config.scenario;
  for (const Parsed& p : parsed) {
    const std::string label = "event[" + std::to_string(p.order) + "]";
    ScenarioEvent event;
    event.date = *p.table->get("date")->value<std::string>();
    event.step = std::max<std::int64_t>(0, p.month - start);
    if (const toml::node* note = p.table->get("note")) {
      if (const auto text = reader.string(*note, label + ".note")) event.note = *text;
    }
    const toml::node* changes = p.table->get("scenario");
    const toml::table* table = changes != nullptr ? changes->as_table() : nullptr;
    if (table == nullptr) {
      problems.add(
          changes != nullptr ? *changes : static_cast<const toml::node&>(*p.table),
          label + ".scenario",
          "expected a table of [scenario] keys, e.g. scenario = { rd_subsidy = { KR = 0.5 } }");
      continue;
    }
    Config scratch;
    scratch.scenario = levers;
    for (auto&& [name, value] : *table) {
      const KeySpec* spec = config_schema::find_setting("scenario", name.str());
      const std::string key = label + ".scenario." + std::string(name.str());
      if (spec == nullptr) {
        problems.add(name, key,
                     "unknown [scenario] key " + quoted(name.str()) +
                         suggestion(name.str(), setting_names_in("scenario")));
        continue;
      }
      if (store_setting(*spec, value, scratch, reader)) event.changed.emplace_back(name.str());
    }
    levers = scratch.scenario;
    event.scenario = levers;
    config.events.push_back(std::move(event));
  }
}

}  // namespace aimarket::config_internal
