// Where a config comes from: files read whole within their size and nesting limits, a config
// laid onto its `base =` chain, and the command-line overrides (`--set section.key=value`,
// `--set firm.NAME.key=value`) written into the parsed document, so that a value from --set
// goes through exactly the checks a value from the file does.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "config/config_internal.hpp"

namespace aimarket::config_internal {

namespace {

// ---------------------------------------------------------------------------------------------
// Limits of config input, checked before toml++ sees the text.

// toml++ reads dotted keys and table headers recursively, one stack frame per part, so a key
// of tens of thousands of parts overflows the stack (a crash, not an error); and a file is read
// whole into memory, so an endless one (/dev/zero) would exhaust it. The shipped baseline is 15 KB
// and nests 6 levels
// ([[event]] scenario = { export_controls = [["US", "CN"]] }); the limits are far above any
// real config and far below what would harm the reader.
constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;  // 1 MiB, per file and per --set
constexpr int kMaxNesting = 16;

std::string size_limit_text() { return "1 MiB (" + std::to_string(kMaxConfigBytes) + " bytes)"; }

// Where a TOML text nests deeper than kMaxNesting levels. Each part of a dotted key or table
// header counts one level, and so does an array of tables ([[...]]) and each array a value
// is in; an inline table counts through the keys inside it. The scan follows TOML's lexical
// rules (strings, quoted keys, comments) without recursing, and only as far as needed to
// count: a malformed text is left for the parser to report.
class NestingScan {
 public:
  struct Excess {
    std::size_t line;
    std::size_t column;
  };

  explicit NestingScan(std::string_view text) : text_(text) {}

  std::optional<Excess> first_excess() {
    int table_depth = 0;  // levels of the last [header]
    while (pos_ < text_.size() && !excess_) {
      const std::size_t before = pos_;
      skip_space_and_comments();
      if (pos_ >= text_.size()) break;
      const char c = text_[pos_];
      if (frames_.empty()) {
        const Excess start = here();
        if (c == '[') {  // [table] or [[array.of.tables]]
          const bool array = peek(1) == '[';
          advance(array ? 2 : 1);
          table_depth = key_parts("]\n") + (array ? 1 : 0);
          check(table_depth, start);
          while (peek(0) == ']') advance(1);
        } else {
          const int depth = table_depth + key_parts("=\n");
          check(depth, start);
          if (peek(0) == '=') advance(1);
          value(depth);
        }
      } else if (c == ']' || c == '}') {
        frames_.pop_back();
        advance(1);
      } else if (c == ',') {
        advance(1);
      } else if (frames_.back().array) {
        value(frames_.back().depth + 1);
      } else {
        const Excess start = here();
        const int depth = frames_.back().depth + key_parts("=,}\n");
        check(depth, start);
        if (peek(0) == '=') advance(1);
        value(depth);
      }
      if (pos_ == before) advance(1);  // a stray character: step over it
    }
    return excess_;
  }

 private:
  struct Frame {
    bool array;  // else an inline table
    int depth;   // levels of the key that holds it
  };

  char peek(std::size_t ahead) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void advance(std::size_t count) {
    for (std::size_t i = 0; i < count && pos_ < text_.size(); ++i, ++pos_) {
      if (text_[pos_] == '\n') {
        ++line_;
        line_start_ = pos_ + 1;
      }
    }
  }
  Excess here() const { return Excess{line_, pos_ - line_start_ + 1}; }
  void check(int depth, const Excess& where) {
    if (depth > kMaxNesting && !excess_) excess_ = where;
  }

  void skip_space_and_comments() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        advance(1);
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') advance(1);
      } else {
        break;
      }
    }
  }

  // A string at pos_ (basic, literal, or either multi-line), up to its closing quote.
  void skip_string() {
    const char quote = text_[pos_];
    const bool multi_line = peek(1) == quote && peek(2) == quote;
    advance(multi_line ? 3 : 1);
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\\' && quote == '"') {
        advance(2);
      } else if (c == '\n' && !multi_line) {
        return;  // unterminated: the parser reports it
      } else if (c == quote && (!multi_line || (peek(1) == quote && peek(2) == quote))) {
        advance(multi_line ? 3 : 1);
        // A multi-line string may end with one or two quotes of its own before the closing three.
        for (int extra = 0; multi_line && extra < 2 && peek(0) == quote; ++extra) advance(1);
        return;
      } else {
        advance(1);
      }
    }
  }

  // The parts of a (possibly dotted, possibly quoted) key, read up to one of `stops`.
  int key_parts(std::string_view stops) {
    int parts = 1;
    while (pos_ < text_.size() && stops.find(text_[pos_]) == std::string_view::npos) {
      const char c = text_[pos_];
      if (c == '"' || c == '\'') {
        skip_string();
      } else {
        if (c == '.') ++parts;
        advance(1);
      }
    }
    return parts;
  }

  // One value whose key is `depth` levels deep: an array or inline table opens a frame; a
  // string or a bare value (number, boolean, date) is stepped over.
  void value(int depth) {
    while (peek(0) == ' ' || peek(0) == '\t') advance(1);
    const char c = peek(0);
    if (c == '[' || c == '{') {
      frames_.push_back(Frame{c == '[', depth});
      if (c == '[') check(depth + 1, here());
      advance(1);
    } else if (c == '"' || c == '\'') {
      skip_string();
    } else {
      while (pos_ < text_.size() &&
             std::string_view(",]}[{#\n\"'").find(text_[pos_]) == std::string_view::npos) {
        advance(1);
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;
  std::vector<Frame> frames_;
  std::optional<Excess> excess_;
};

std::string nesting_message() {
  return "nests deeper than " + std::to_string(kMaxNesting) +
         " levels (each part of a dotted key or table header, and each array, counts one); "
         "the keys of a valid config nest at most 6";
}

// ---------------------------------------------------------------------------------------------
// Overrides: each `section.key=value` or `firm.NAME.key=value` replaces the value in the
// parsed document before anything is read from it.

// The override's value as a node: TOML syntax if the text is one TOML value, else the text
// itself as a string (so that `run.start=2025-03` needs no quotes).
std::optional<toml::table> parse_override_value(const std::string& text, std::size_t index) {
  const std::string source = std::string(1, kOverrideSource) + std::to_string(index);
  if (auto value = parse_value(text, source)) return value;
  return parse_value(config_schema::toml_string(text), source);
}

toml::table* find_firm_table(toml::table& root, std::string_view name) {
  toml::array* firms = root[config_schema::firm_section().name].as_array();
  if (firms == nullptr) return nullptr;
  for (toml::node& element : *firms) {
    toml::table* firm = element.as_table();
    if (firm == nullptr) continue;
    const toml::node* name_node = firm_name_node(*firm);
    if (name_node != nullptr && *name_node->value<std::string>() == name) return firm;
  }
  return nullptr;
}

std::vector<std::string> firm_names(toml::table& root) {
  std::vector<std::string> names;
  if (toml::array* firms = root[config_schema::firm_section().name].as_array()) {
    for (toml::node& element : *firms) {
      if (toml::table* firm = element.as_table()) {
        if (const toml::node* name_node = firm_name_node(*firm)) {
          names.push_back(*name_node->value<std::string>());
        }
      }
    }
  }
  return names;
}

bool is_table_kind(KeyKind kind) {
  return kind == KeyKind::kShares || kind == KeyKind::kPerSegment || kind == KeyKind::kPerRegion ||
         kind == KeyKind::kTable;
}

std::string whole_table_message(const std::string& key) {
  return quoted(key) + " is a table: set it whole, e.g. " + key + "={name = value, ...}";
}

void apply_firm_override(toml::table& root, const std::string& key_path, toml::node&& value,
                         const Where& where, Problems& problems) {
  const std::string rest = key_path.substr(std::string("firm.").size());
  const auto dot = rest.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == rest.size()) {
    problems.add(where, key_path, "expected firm.NAME.key=value");
    return;
  }
  std::string name = rest.substr(0, dot);
  const std::string key = rest.substr(dot + 1);
  // firm."Naver Cloud".quality: TOML-style quotes around the name are allowed, not needed.
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  if (config_schema::find_firm_key(key) == nullptr) {
    // firm.NAME.quality.finance: one entry of a table-valued key.
    const auto inner_dot = name.rfind('.');
    const KeySpec* table_spec = inner_dot == std::string::npos
                                    ? nullptr
                                    : config_schema::find_firm_key(name.substr(inner_dot + 1));
    if (table_spec != nullptr && is_table_kind(table_spec->kind)) {
      problems.add(
          where, key_path,
          whole_table_message("firm." + name.substr(0, inner_dot) + "." + table_spec->name));
    } else {
      problems.add(where, key_path,
                   "unknown key " + quoted(key_path) +
                       suggestion(key, firm_key_names(), "firm." + name + "."));
    }
    return;
  }
  toml::table* firm = find_firm_table(root, name);
  if (firm == nullptr) {
    const std::vector<std::string> names = firm_names(root);
    std::string known;
    for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
    problems.add(
        where, key_path,
        "unknown firm " + quoted(name) + suggestion(name, names) +
            (names.empty() ? "; the config names no [[firm]]" : "; the config names: " + known));
    return;
  }
  firm->insert_or_assign(key, std::move(value));
}

// The whole file as text, at most kMaxConfigBytes; nothing (and `reason` set) when it cannot
// be read. Only a regular file is read: a device or a pipe could be endless or block forever.
// The file is opened without blocking (a FIFO without a writer would otherwise hang the open)
// and checked on the open descriptor, so that what is checked is what is read.
std::optional<std::string> read_file(const std::string& path, std::string& reason) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    reason = std::strerror(errno);
    return std::nullopt;
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    reason = std::strerror(errno);
    ::close(fd);
    return std::nullopt;
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    reason = S_ISDIR(info.st_mode)
                 ? std::strerror(EISDIR)
                 : "not a regular file (a device, pipe or socket); give the path of a TOML file";
    return std::nullopt;
  }
  std::string text;
  char buffer[65536];
  // A regular file may still grow while it is read: read one byte past the limit to tell.
  while (text.size() <= kMaxConfigBytes) {
    const std::size_t want = std::min(sizeof buffer, kMaxConfigBytes + 1 - text.size());
    const ssize_t count = ::read(fd, buffer, want);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      reason = std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (count == 0) break;
    text.append(buffer, static_cast<std::size_t>(count));
  }
  ::close(fd);
  if (text.size() > kMaxConfigBytes) {
    reason = "larger than " + size_limit_text() + ", the limit for a config file";
    return std::nullopt;
  }
  return text;
}

// Reads and parses one config file; errors name the file (and line for malformed TOML). A
// file that cannot be read is also located at `named_by` (the `base` key naming it), if given.
toml::table parse_config_file(const std::string& path, const std::string& named_by = "") {
  std::string reason;
  const auto text = read_file(path, reason);
  if (!text) {
    throw ConfigError(named_by.empty() ? path + ": cannot read the config file: " + reason
                                       : named_by + ": base: cannot read the config file " +
                                             quoted(path) + ": " + reason);
  }
  if (const auto excess = NestingScan(*text).first_excess()) {
    throw ConfigError(path + ":" + std::to_string(excess->line) + ":" +
                      std::to_string(excess->column) + ": the TOML " + nesting_message());
  }
  try {
    return toml::parse(*text, path);
  } catch (const toml::parse_error& error) {
    std::string description(error.description());
    if (!description.empty() && description[0] >= 'A' && description[0] <= 'Z') {
      description[0] = static_cast<char>(description[0] - 'A' + 'a');
    }
    throw ConfigError(path + ":" + std::to_string(error.source().begin.line) + ":" +
                      std::to_string(error.source().begin.column) +
                      ": malformed TOML: " + description);
  }
}

// Lays `over` onto `base`: tables merge key by key, recursively; any other value replaces the
// base's. [[firm]] tables are matched by name: one naming a firm of the base changes only the
// keys it sets, one with a new name adds a firm. Nodes are moved, not copied, because toml++
// keeps a node's source location (file, line) only when it is moved: every value then still
// names the file it was read from in error messages.
void merge_config_onto(toml::table& base, toml::table& over) {
  for (auto&& [key, node] : over) {
    toml::node* existing = base.get(key.str());
    if (key.str() == kEventSection && existing != nullptr && existing->is_array_of_tables() &&
        node.is_array_of_tables()) {
      // A scenario's events join the base's timeline.
      for (toml::node& entry : *node.as_array()) existing->as_array()->push_back(std::move(entry));
      continue;
    }
    if (key.str() == "firm" && existing != nullptr && existing->is_array_of_tables() &&
        node.is_array_of_tables()) {
      toml::array& firms = *existing->as_array();
      for (toml::node& entry : *node.as_array()) {
        toml::table& firm = *entry.as_table();
        toml::table* match = nullptr;
        if (const auto name = firm["name"].value<std::string>()) {
          for (toml::node& candidate : firms) {
            if (candidate.as_table() &&
                (*candidate.as_table())["name"].value<std::string>() == name) {
              match = candidate.as_table();
            }
          }
        }
        if (match != nullptr) {
          merge_config_onto(*match, firm);
        } else {
          firms.push_back(std::move(firm));
        }
      }
    } else if (existing != nullptr && existing->is_table() && node.is_table()) {
      merge_config_onto(*existing->as_table(), *node.as_table());
    } else {
      base.insert_or_assign(key, std::move(node));
    }
  }
}

}  // namespace

void apply_overrides(toml::table& root, const std::vector<ConfigOverride>& overrides,
                     Problems& problems) {
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    const Where where = problems.at_override(i);
    const std::string& assignment = overrides[i].assignment;
    if (assignment.size() > kMaxConfigBytes) {
      problems.add(where,
                   trim(std::string_view(assignment).substr(0, assignment.find('='))).substr(0, 60),
                   "the override is longer than " + size_limit_text() + ", the limit for a value");
      continue;
    }
    const auto equals = assignment.find('=');
    if (equals == std::string::npos) {
      problems.add(where, trim(assignment), "missing '=': expected section.key=value");
      continue;
    }
    const std::string key_path = trim(std::string_view(assignment).substr(0, equals));
    const std::string value_text = trim(std::string_view(assignment).substr(equals + 1));
    if (key_path.empty()) {
      problems.add(where, "(no key)", "expected section.key=value");
      continue;
    }
    if (NestingScan("v = " + value_text).first_excess()) {
      problems.add(where, key_path, "the value " + nesting_message());
      continue;
    }
    auto holder = parse_override_value(value_text, i);
    if (!holder) {
      problems.add(where, key_path, "the value is neither TOML nor valid UTF-8 text");
      continue;
    }
    toml::node& value = *holder->get("v");

    if (key_path.rfind("firm.", 0) == 0) {
      apply_firm_override(root, key_path, std::move(value), where, problems);
      continue;
    }
    const auto dot = key_path.find('.');
    const std::string section = key_path.substr(0, dot);
    if (dot == std::string::npos) {
      const bool is_section = config_schema::is_settings_section(section) ||
                              section == config_schema::firm_section().name;
      problems.add(where, key_path,
                   is_section
                       ? "a whole section cannot be set: use section.key=value"
                       : "unknown key " + quoted(key_path) + setting_suggestion("", section));
      continue;
    }
    const std::string name = key_path.substr(dot + 1);
    if (config_schema::is_unimplemented_section(section)) {
      problems.add(where, key_path, "section [" + section + "] is not implemented in this version");
      continue;
    }
    if (!config_schema::is_settings_section(section)) {
      problems.add(where, key_path,
                   "unknown key " + quoted(key_path) + suggestion(key_path, all_setting_keys()));
      continue;
    }
    const KeySpec* spec = config_schema::find_setting(section, name);
    if (const char* retired = config_schema::retired_setting(section, name)) {
      problems.add(where, key_path, retired);
      continue;
    }
    if (spec == nullptr) {
      const auto inner_dot = name.find('.');
      const KeySpec* table_spec =
          inner_dot == std::string::npos
              ? nullptr
              : config_schema::find_setting(section, name.substr(0, inner_dot));
      if (table_spec != nullptr && table_spec->kind == KeyKind::kTable) {
        // section.table.entry=value: one entry of a table whose other entries keep their value.
        if (!root.contains(section)) root.insert(section, toml::table{});
        toml::table* settings = root[section].as_table();
        const std::string table_name = name.substr(0, inner_dot);
        if (settings != nullptr && !settings->contains(table_name)) {
          settings->insert(table_name, toml::table{});
        }
        toml::table* entries = settings != nullptr ? (*settings)[table_name].as_table() : nullptr;
        if (entries == nullptr) {
          problems.add(where, key_path,
                       "cannot be set: " + section + "." + table_name +
                           " in the config file is not a table");
        } else {
          entries->insert_or_assign(name.substr(inner_dot + 1), std::move(value));
        }
      } else if (table_spec != nullptr && is_table_kind(table_spec->kind)) {
        problems.add(where, key_path, whole_table_message(setting_key(*table_spec)));
      } else {
        problems.add(where, key_path,
                     "unknown key " + quoted(key_path) + setting_suggestion(section, name));
      }
      continue;
    }
    if (!root.contains(section)) root.insert(section, toml::table{});
    toml::table* table = root[section].as_table();
    if (table == nullptr) {
      problems.add(where, key_path,
                   "cannot be set: " + section + " in the config file is not a table");
      continue;
    }
    // A table of kind kTable changes only the entries it lists (like a table in the file).
    toml::node* existing = table->get(name);
    if (spec->kind == KeyKind::kTable && existing != nullptr && existing->is_table() &&
        value.is_table()) {
      for (auto&& [entry, entry_value] : *value.as_table()) {
        existing->as_table()->insert_or_assign(entry, std::move(entry_value));
      }
      continue;
    }
    table->insert_or_assign(name, std::move(value));
  }
}

// A config whose top level says `base = "other.toml"` (a path relative to the config's own
// folder) is that config with its own settings laid on top: a scenario as a set of changes to
// the baseline. Bases may chain, up to kMaxBaseDepth; a cycle is an error.
constexpr int kMaxBaseDepth = 8;

// `named_by` locates the `base` key that names `path` (empty for the config itself), so that a
// base which cannot be read is reported at the line that names it as well.
toml::table load_with_bases(const std::string& path, std::vector<std::string>& chain,
                            const std::string& named_by) {
  toml::table root = parse_config_file(path, named_by);
  const auto base_entry = root.find("base");
  if (base_entry == root.end()) return root;
  const toml::node* base_node = &base_entry->second;
  // Problems with the base are located at its key: FILE:LINE:COLUMN of `base =`.
  const toml::source_region& key_source = base_entry->first.source();
  const std::string base_key_at = path + ":" + std::to_string(key_source.begin.line) + ":" +
                                  std::to_string(key_source.begin.column);
  const auto base_name = base_node->value<std::string>();
  if (!base_node->is_string() || !base_name || base_name->empty()) {
    throw ConfigError(base_key_at + ": base: expected the path of a config file (a string)");
  }
  // Relative to the folder of the config that names it (std::filesystem is avoided here: its
  // std::quoted would collide with this file's quoted() by argument-dependent lookup).
  const std::size_t slash = path.find_last_of('/');
  const std::string base_text = (*base_name)[0] == '/' || slash == std::string::npos
                                    ? *base_name
                                    : path.substr(0, slash + 1) + *base_name;
  if (std::find(chain.begin(), chain.end(), base_text) != chain.end() ||
      static_cast<int>(chain.size()) >= kMaxBaseDepth) {
    throw ConfigError(base_key_at + ": base: '" + *base_name +
                      "' leads back to itself or nests deeper than " +
                      std::to_string(kMaxBaseDepth) + " configs");
  }
  chain.push_back(base_text);
  toml::table merged = load_with_bases(base_text, chain, base_key_at);
  root.erase("base");
  merged.erase("base");
  merge_config_onto(merged, root);
  return merged;
}

}  // namespace aimarket::config_internal
