// The [[firm]] tables: each key declared in the schema is read by the generic reader into its
// FirmSpec member, or by a dedicated reader where its default or rules depend on other keys
// (required names, layers by archetype, per-segment quality and price, language fit by region,
// model partners); then the checks across keys and firms (layers a value needs, budget shares,
// partners, unique names, starting shares).
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "config/config_internal.hpp"

namespace aimarket::config_internal {

namespace {

std::optional<toml::table> default_node(const KeySpec& spec) {
  return parse_value(spec.default_toml, kDefaultSource);
}

// quality or price of one firm: a number for every segment, or a table of some.
std::optional<Reader::NamedValues> read_per_segment(const toml::node& node, const std::string& key,
                                                    const KeySpec& spec, Reader& reader) {
  if (const toml::table* table = node.as_table()) {
    return reader.named_values(*table, key, spec.names, spec.range);
  }
  if (node.is_number()) {
    const auto value = reader.number(node, key, spec.range);
    if (!value) return std::nullopt;
    return Reader::NamedValues{std::vector<double>(kSegments, *value),
                               std::vector<bool>(kSegments, true)};
  }
  reader.problems().add(node, key,
                        "expected a float or a table {segment = float}, got " + describe(node));
  return std::nullopt;
}

// Layers as a list for messages: "accelerator, cloud", or "none".
std::string layers_text(const std::array<bool, kLayers>& layers) {
  std::string text;
  for (int layer = 0; layer < kLayers; ++layer) {
    if (layers[layer]) text += std::string(text.empty() ? "" : ", ") + kLayerNames[layer];
  }
  return text.empty() ? "none" : text;
}

// What read_named_firms needs to check a firm against the others once all are read.
struct FirmFacts {
  bool layers_known = false;            // spec.layers holds the firm's layers
  const toml::node* partner = nullptr;  // model_source naming another firm
};

FirmFacts read_firm(const toml::table& firm, std::size_t index, const Config& config,
                    Reader& reader, FirmSpec& spec) {
  Problems& problems = reader.problems();
  FirmFacts facts;
  const toml::node* name_node = firm_name_node(firm);
  const bool named = name_node != nullptr && !name_node->value<std::string>()->empty();
  const std::string label =
      named ? "firm." + *name_node->value<std::string>() : "firm[" + std::to_string(index) + "]";
  const std::string who = named ? "firm " + quoted(*name_node->value<std::string>()) : label;
  const auto key_of = [&](std::string_view name) { return label + "." + std::string(name); };

  for (auto&& [name, value] : firm) {
    if (config_schema::find_firm_key(name.str()) == nullptr) {
      problems.add(name, key_of(name.str()),
                   "unknown key " + quoted(key_of(name.str())) +
                       suggestion(name.str(), firm_key_names(), label + "."));
    }
  }
  const auto required = [&](const char* name) -> const toml::node* {
    const toml::node* node = firm.get(name);
    if (node == nullptr) {
      problems.add(firm, key_of(name), std::string("missing: every [[firm]] needs a ") + name);
    }
    return node;
  };

  if (const toml::node* node = required("name")) {
    if (const auto name = reader.string(*node, key_of("name"))) {
      if (name->empty()) problems.add(*node, key_of("name"), "a firm name must not be empty");
      for (const auto& [prefix, generated] :
           {std::pair{kSyntheticFirmPrefix, "synthetic firms (population.synthetic_firms)"},
            std::pair{kFreeSlotPrefix, "free firm slots (entry.free_slots)"}}) {
        if (name->rfind(prefix, 0) == 0) {
          problems.add(*node, key_of("name"),
                       "names starting with " + quoted(prefix) + " are reserved for " + generated +
                           ", so that no two firms share a name; choose another name");
        }
      }
      spec.name = *name;
    }
  }
  std::optional<int> archetype;
  if (const toml::node* node = required("archetype")) {
    const KeySpec& key_spec = *config_schema::find_firm_key("archetype");
    archetype = reader.choice(*node, key_of("archetype"), key_spec.names);
    if (archetype) spec.archetype = kArchetypeNames[*archetype];
  }
  bool region_known = false;
  if (const toml::node* node = required("region")) {
    const KeySpec& key_spec = *config_schema::find_firm_key("region");
    if (const auto region = reader.choice(*node, key_of("region"), key_spec.names)) {
      spec.region = *region;
      region_known = true;
    }
  }

  // A key absent from the table takes the schema's default, read like a value from the file.
  const auto value_or_default = [&](const char* name, std::optional<toml::table>& holder,
                                    const KeySpec& key_spec) -> const toml::node* {
    if (const toml::node* node = firm.get(name)) return node;
    holder = default_node(key_spec);
    return holder ? holder->get("v") : nullptr;
  };

  // Layers: listed, or the archetype's. Rules that depend on them apply only once they are
  // known, so that a misspelt archetype or layer gives one error, not a cascade.
  const KeySpec& layers_spec = *config_schema::find_firm_key("layers");
  if (const toml::node* node = firm.get("layers")) {
    if (const auto layers = reader.name_set(*node, key_of("layers"), layers_spec.names)) {
      for (int layer = 0; layer < kLayers; ++layer) spec.layers[layer] = (*layers)[layer];
      facts.layers_known = true;
    }
  } else if (archetype) {
    spec.layers = config_schema::default_layers(*archetype);
    facts.layers_known = true;
  }
  const auto lacks = [&](int layer) { return facts.layers_known && !spec.layers[layer]; };
  const auto no_layer = [&](int layer) {
    return who + " has no " + kLayerNames[layer] +
           " layer (its layers: " + layers_text(spec.layers) + ")";
  };

  // Defaults that depend on other keys; the generic reader below keeps them unless the key is
  // given.
  spec.sells_data = archetype && std::string_view(kArchetypeNames[*archetype]) == "data_vendor";

  if (lacks(config_schema::kLayerService)) {
    // No service: no customer segment, and canonical quality and price (never used).
    for (const char* name : {"quality", "price"}) {
      if (const toml::node* node = firm.get(name)) {
        problems.add(*node, key_of(name),
                     no_layer(config_schema::kLayerService) +
                         ", so it sells to no segment and "
                         "takes no " +
                         name + "; list \"service\" in its layers to give it one");
      }
    }
    spec.serves.fill(false);
    spec.quality.fill(0.0);
    spec.price.fill(1.0);
  } else {
    const KeySpec& quality_spec = *config_schema::find_firm_key("quality");
    std::optional<toml::table> quality_default;
    const toml::node* quality_node = value_or_default("quality", quality_default, quality_spec);
    bool serves_known = false;
    if (quality_node != nullptr) {
      if (const auto quality =
              read_per_segment(*quality_node, key_of("quality"), quality_spec, reader)) {
        for (int s = 0; s < kSegments; ++s) {
          spec.serves[s] = quality->listed[s];
          // Quality in a segment the firm does not serve is never used; 0 keeps it canonical.
          spec.quality[s] = quality->listed[s] ? quality->values[s] : 0.0;
        }
        serves_known = true;
        if (std::none_of(spec.serves.begin(), spec.serves.end(), [](bool b) { return b; })) {
          problems.add(*quality_node, key_of("quality"),
                       "the firm serves no segment: list at least one segment");
        }
      }
    }

    const KeySpec& price_spec = *config_schema::find_firm_key("price");
    std::optional<toml::table> price_default;
    const toml::node* price_node = value_or_default("price", price_default, price_spec);
    if (price_node != nullptr) {
      if (const auto price = read_per_segment(*price_node, key_of("price"), price_spec, reader)) {
        const bool per_segment = price_node->is_table();
        for (int s = 0; s < kSegments; ++s) {
          // A segment the firm does not serve gets 1.0 whatever was given: it is never used,
          // and a canonical value lets the resolved TOML (which prices only served segments)
          // read back to the same Config.
          const bool served = serves_known ? spec.serves[s] : true;
          spec.price[s] = served && price->listed[s] ? price->values[s] : 1.0;
          if (per_segment && price->listed[s] && serves_known && !spec.serves[s]) {
            const std::string entry_key = key_of("price") + "." + kSegmentNames[s];
            const toml::node* entry = price_node->as_table()->get(kSegmentNames[s]);
            problems.add(*entry, entry_key,
                         std::string("prices segment '") + kSegmentNames[s] +
                             "', which the firm does not serve (its quality table does not list "
                             "it)");
          }
        }
      }
    }
  }

  // Every key without a dedicated reader: its value in the table, else the schema's default
  // (read like a value from the file), else what FirmSpec holds (a default resolved above, or
  // an absent optional).
  for (const KeySpec& key_spec : config_schema::firm_keys()) {
    if (key_spec.field.dedicated) continue;
    std::optional<toml::table> holder;
    const toml::node* node = key_spec.default_toml != nullptr
                                 ? value_or_default(key_spec.name, holder, key_spec)
                                 : firm.get(key_spec.name);
    if (node == nullptr) continue;
    store_value(key_spec, *node, key_of(key_spec.name), key_spec.field.firm(spec), reader);
  }

  const KeySpec& fit_spec = *config_schema::find_firm_key("language_fit");
  for (int r = 0; r < kRegions; ++r) {
    spec.language_fit[r] =
        region_known && r == spec.region ? 1.0 : config.firms.foreign_language_fit;
  }
  if (const toml::node* node = firm.get("language_fit")) {
    if (const toml::table* table = node->as_table()) {
      if (const auto fit =
              reader.named_values(*table, key_of("language_fit"), fit_spec.names, fit_spec.range)) {
        for (int r = 0; r < kRegions; ++r) {
          if (fit->listed[r]) spec.language_fit[r] = fit->values[r];
        }
      }
    } else {
      problems.add(*node, key_of("language_fit"),
                   "expected a table {region = float}, got " + describe(*node));
    }
  }

  // Value-chain state at step 0: a capacity needs the layer that uses it, and so does an open
  // model. Checked on values given in the table and accepted (a default breaks no rule).
  const std::pair<const char*, int> needs_layer[] = {
      {"fab_capacity", config_schema::kLayerAccelerator},
      {"hbm_capacity", config_schema::kLayerHbm},
      {"training_compute", config_schema::kLayerModel},
  };
  for (const auto& [name, layer] : needs_layer) {
    const toml::node* node = firm.get(name);
    if (node == nullptr || !lacks(layer)) continue;
    const auto value = std::get<double*>(config_schema::find_firm_key(name)->field.firm(spec));
    if (*value > 0.0) {
      problems.add(*node, key_of(name),
                   no_layer(layer) + ", so its " + name + " must be 0; list \"" +
                       kLayerNames[layer] + "\" in its layers to give it one");
    }
  }
  if (const toml::node* node = firm.get("open_weights")) {
    if (spec.open_weights && lacks(config_schema::kLayerModel)) {
      problems.add(*node, key_of("open_weights"),
                   no_layer(config_schema::kLayerModel) +
                       ", so it has no model to release: open_weights must be false");
    }
  }

  // model_source: "own", "open", or a partner, which read_named_firms checks.
  spec.model_source = lacks(config_schema::kLayerModel) ? "open" : "own";
  if (const toml::node* node = firm.get("model_source")) {
    if (const auto source = reader.string(*node, key_of("model_source"))) {
      spec.model_source = *source;
      if (source->empty()) {
        problems.add(*node, key_of("model_source"),
                     "must not be empty: use \"own\", \"open\" or the name of a partner firm");
      } else if (*source == "own") {
        if (lacks(config_schema::kLayerModel)) {
          problems.add(*node, key_of("model_source"),
                       no_layer(config_schema::kLayerModel) +
                           ", so it has no own model: model_source must be \"open\" or the "
                           "name of a partner firm with layer model");
        }
      } else if (*source != "open") {
        facts.partner = node;
      }
    }
  }

  // Budget shares come as a set: all four, summing to 1, or none.
  int shares_given = 0;
  const toml::node* first_share = nullptr;
  for (const char* name : {"compute_share", "data_share", "rd_share", "marketing_share"}) {
    if (const toml::node* node = firm.get(name)) {
      ++shares_given;
      if (first_share == nullptr) first_share = node;
    }
  }
  if (shares_given > 0) {
    const toml::node& where = *first_share;
    const bool all_read =
        spec.compute_share && spec.data_share && spec.rd_share && spec.marketing_share;
    const double sum =
        all_read ? *spec.compute_share + *spec.data_share + *spec.rd_share + *spec.marketing_share
                 : 0.0;
    if (shares_given < 4) {
      problems.add(where, key_of("compute_share"),
                   "give all four budget shares (compute_share, data_share, rd_share, "
                   "marketing_share) or none (then its strategy's apply)");
    } else if (all_read && std::fabs(sum - 1.0) > kShareSumTolerance) {
      problems.add(
          where, key_of("compute_share"),
          "the four budget shares must sum to 1; they sum to " + config_schema::number_text(sum));
    }
  }
  if (const toml::node* node = firm.get("initial_share")) {
    const KeySpec& key_spec = *config_schema::find_firm_key("initial_share");
    if (lacks(config_schema::kLayerService)) {
      problems.add(
          *node, key_of("initial_share"),
          no_layer(config_schema::kLayerService) + ", so it has no customers to start with");
    } else if (const auto shares =
                   read_per_segment(*node, key_of("initial_share"), key_spec, reader)) {
      for (int s = 0; s < kSegments; ++s) {
        if (!shares->listed[static_cast<std::size_t>(s)] || !spec.serves[s]) continue;
        spec.initial_share[s] = shares->values[static_cast<std::size_t>(s)];
      }
    }
  }
  if (const toml::node* node = firm.get("home_share")) {
    const KeySpec& key_spec = *config_schema::find_firm_key("home_share");
    if (lacks(config_schema::kLayerService)) {
      problems.add(
          *node, key_of("home_share"),
          no_layer(config_schema::kLayerService) + ", so it has no customers to start with");
    } else if (const auto shares =
                   read_per_segment(*node, key_of("home_share"), key_spec, reader)) {
      for (int s = 0; s < kSegments; ++s) {
        if (!shares->listed[static_cast<std::size_t>(s)] || !spec.serves[s]) continue;
        spec.home_share[s] = shares->values[static_cast<std::size_t>(s)];
        spec.home_share_given[s] = true;
      }
    }
  }
  // paid_conversion: a number for every segment the firm serves, or a table of some; a segment
  // not given takes firms.paid_conversion when the firm table is built, so that an override of
  // that setting reaches the firm.
  if (const toml::node* node = firm.get("paid_conversion")) {
    const KeySpec& key_spec = *config_schema::find_firm_key("paid_conversion");
    if (lacks(config_schema::kLayerService)) {
      problems.add(*node, key_of("paid_conversion"),
                   no_layer(config_schema::kLayerService) +
                       ", so it has no users to convert to a paid tier; list \"service\" in its "
                       "layers to give it one");
    } else if (const auto conversion =
                   read_per_segment(*node, key_of("paid_conversion"), key_spec, reader)) {
      // No segment served: its quality was not read, which has been reported already.
      const bool serves_any =
          std::any_of(spec.serves.begin(), spec.serves.end(), [](bool b) { return b; });
      for (int s = 0; s < kSegments; ++s) {
        if (!conversion->listed[static_cast<std::size_t>(s)]) continue;
        if (spec.serves[s]) {
          spec.paid_conversion[s] = conversion->values[static_cast<std::size_t>(s)];
          spec.paid_conversion_given[s] = true;
        } else if (node->is_table() && serves_any) {
          const std::string entry_key = key_of("paid_conversion") + "." + kSegmentNames[s];
          problems.add(*node->as_table()->get(kSegmentNames[s]), entry_key,
                       std::string("gives a paid conversion in segment '") + kSegmentNames[s] +
                           "', which the firm does not serve (its quality table does not list "
                           "it)");
        }
      }
    }
  }
  return facts;
}

// A firm's model partner must be another named firm with layer model.
void check_partners(const std::vector<FirmSpec>& firms, const std::vector<FirmFacts>& facts,
                    Problems& problems) {
  std::map<std::string, std::size_t> index_of;
  std::vector<std::string> candidates = {"open", "own"};
  for (std::size_t i = 0; i < firms.size(); ++i) {
    if (firms[i].name.empty()) continue;
    if (index_of.emplace(firms[i].name, i).second) candidates.push_back(firms[i].name);
  }
  for (std::size_t i = 0; i < firms.size(); ++i) {
    if (facts[i].partner == nullptr) continue;
    const FirmSpec& firm = firms[i];
    const std::string key =
        (firm.name.empty() ? "firm[" + std::to_string(i) + "]" : "firm." + firm.name) +
        ".model_source";
    const toml::node& node = *facts[i].partner;
    const std::string& partner = firm.model_source;
    const auto found = index_of.find(partner);
    if (partner == firm.name) {
      problems.add(node, key,
                   "a firm cannot be its own model partner: use \"own\" for its own model");
    } else if (found == index_of.end()) {
      problems.add(node, key,
                   "unknown firm " + quoted(partner) + suggestion(partner, candidates) +
                       "; model_source is \"own\", \"open\" or the name of another [[firm]]");
    } else if (facts[found->second].layers_known &&
               !firms[found->second].layers[config_schema::kLayerModel]) {
      problems.add(node, key,
                   "partner firm " + quoted(partner) + " has no model layer (its layers: " +
                       layers_text(firms[found->second].layers) +
                       "), so it has no model to "
                       "license");
    }
  }
}

}  // namespace

const toml::node* firm_name_node(const toml::table& firm) {
  const toml::node* name = firm.get("name");
  return name != nullptr && name->is_string() ? name : nullptr;
}

void read_named_firms(const toml::table& root, Config& config, Reader& reader) {
  const toml::node* node = root.get(config_schema::firm_section().name);
  if (node == nullptr) return;
  Problems& problems = reader.problems();
  const toml::array* firms = node->as_array();
  if (firms == nullptr) {
    problems.add(*node, "firm",
                 "expected [[firm]] tables (an array of tables), got " + describe(*node));
    return;
  }
  std::map<std::string, const toml::node*> first_with_name;
  std::vector<FirmFacts> facts;
  for (std::size_t i = 0; i < firms->size(); ++i) {
    const toml::table* firm = firms->get(i)->as_table();
    if (firm == nullptr) {
      problems.add(*firms->get(i), "firm[" + std::to_string(i) + "]",
                   "expected a table, got " + describe(*firms->get(i)));
      continue;
    }
    FirmSpec spec;
    facts.push_back(read_firm(*firm, i, config, reader, spec));
    if (const toml::node* name_node = firm_name_node(*firm)) {
      const std::string name = *name_node->value<std::string>();
      const auto [first, inserted] = first_with_name.emplace(name, name_node);
      if (!inserted) {
        problems.add(*name_node, "firm." + name + ".name",
                     "duplicate firm name " + quoted(name) + ", first defined at " +
                         problems.at(*first->second).text);
      }
    }
    config.named_firms.push_back(spec);
  }
  check_partners(config.named_firms, facts, problems);
  // The named firms' starting shares of a segment's adopters leave at most all of them.
  for (int s = 0; s < kSegments; ++s) {
    double sum = 0.0;
    for (const FirmSpec& firm : config.named_firms) sum += firm.initial_share[s];
    if (sum > 1.0 + kShareSumTolerance) {
      problems.add(*node, std::string("firm.*.initial_share.") + kSegmentNames[s],
                   std::string("the named firms' initial_share in segment '") + kSegmentNames[s] +
                       "' sum to " + config_schema::number_text(sum) + ", more than 1");
    }
    // The home shares of the firms of one region in one segment likewise.
    for (int r = 0; r < kRegions; ++r) {
      double home = 0.0;
      for (const FirmSpec& firm : config.named_firms) {
        if (firm.region == r && firm.home_share_given[s]) home += firm.home_share[s];
      }
      if (home > 1.0 + kShareSumTolerance) {
        problems.add(*node, std::string("firm.*.home_share.") + kSegmentNames[s],
                     std::string("the home_share of the named firms of region '") +
                         kRegionNames[r] + "' in segment '" + kSegmentNames[s] + "' sum to " +
                         config_schema::number_text(home) + ", more than 1");
      }
    }
  }
}

// A market needs firms: named ones, synthetic ones, or free slots for entrants. Without any the
// run has an empty firm table and fails after it started; refuse it here instead.
void check_has_firms(const Config& config, const SettingNodes& nodes, Problems& problems) {
  if (!config.named_firms.empty() || config.population.synthetic_firms > 0 ||
      config.entry.free_slots > 0) {
    return;
  }
  const std::string text =
      "the config has no firms: it names no [[firm]], and population.synthetic_firms and "
      "entry.free_slots are 0; add a [[firm]] table or set population.synthetic_firms above 0";
  // Where the count was set to 0, if it was; else the config as a whole.
  const auto found = nodes.valid.find("population.synthetic_firms");
  if (found != nodes.valid.end()) {
    problems.add(*found->second, "population.synthetic_firms", text);
  } else {
    problems.add(problems.whole_file(), "firm", text);
  }
}

}  // namespace aimarket::config_internal
