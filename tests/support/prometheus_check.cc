#include "support/prometheus_check.h"

#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>
#include <vector>

namespace peerstore::test {
namespace {

const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");

bool parse_number(const std::string& s, double* out) {
  if (s == "+Inf" || s == "Inf") return *out = INFINITY, true;
  if (s == "-Inf") return *out = -INFINITY, true;
  if (s == "NaN") return *out = NAN, true;
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// NAME{LABELS} VALUE [TIMESTAMP]; false with *why.
bool parse_sample(const std::string& line, PrometheusSample* out, std::string* why) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  out->name = line.substr(0, i);
  if (!std::regex_match(out->name, kName)) return *why = "bad metric name", false;
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t eq = line.find('=', i);
      if (eq == std::string::npos) return *why = "label without '='", false;
      std::string key = line.substr(i, eq - i);
      if (!std::regex_match(key, kLabelName)) return *why = "bad label name '" + key + "'", false;
      if (out->labels.count(key)) return *why = "label '" + key + "' twice", false;
      i = eq + 1;
      if (i >= line.size() || line[i] != '"') return *why = "label value not quoted", false;
      ++i;
      std::string value;
      for (;;) {
        if (i >= line.size()) return *why = "unterminated label value", false;
        char c = line[i++];
        if (c == '"') break;
        if (c == '\n') return *why = "raw newline in a label value", false;
        if (c == '\\') {
          if (i >= line.size()) return *why = "dangling backslash", false;
          char e = line[i++];
          if (e == 'n')
            value += '\n';
          else if (e == '\\' || e == '"')
            value += e;
          else
            return *why = "bad escape in a label value", false;
        } else {
          value += c;
        }
      }
      out->labels[key] = value;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return *why = "unterminated label set", false;
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') return *why = "no value", false;
  std::string rest = line.substr(i + 1);
  std::string value = rest.substr(0, rest.find(' '));
  if (!parse_number(value, &out->value)) return *why = "bad value '" + value + "'", false;
  if (value.size() < rest.size()) {
    double ts;
    if (!parse_number(rest.substr(value.size() + 1), &ts)) return *why = "bad timestamp", false;
  }
  return true;
}

}  // namespace

std::optional<std::vector<PrometheusSample>> check_prometheus_text(const std::string& text,
                                                                   std::string* problem) {
  if (!text.empty() && text.back() != '\n') return *problem = "no final newline", std::nullopt;
  std::vector<PrometheusSample> out;
  std::map<std::string, std::string> types;  // family -> type
  std::set<std::string> helped;
  std::string family, type;
  size_t start = 0, line_no = 0;
  // For histograms: per label set (le removed), the buckets seen so far.
  struct Hist {
    double last = -1;
    bool inf = false;
    std::optional<double> count;
    double inf_value = 0;
  };
  std::map<std::string, Hist> hists;
  auto fail = [&](const std::string& line, const std::string& why) {
    *problem = "line " + std::to_string(line_no) + " '" + line + "': " + why;
    return std::nullopt;
  };
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::smatch m;
      static const std::regex kMeta("# (HELP|TYPE) ([^ ]+) ?(.*)");
      if (!std::regex_match(line, m, kMeta)) continue;  // a plain comment
      std::string name = m[2];
      if (!std::regex_match(name, kName)) return fail(line, "bad metric name");
      if (m[1] == "HELP") {
        if (!helped.insert(name).second) return fail(line, "second HELP");
        continue;
      }
      static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                   "untyped"};
      if (!kTypes.count(m[3])) return fail(line, "unknown type");
      if (types.count(name)) return fail(line, "second TYPE");
      types[name] = m[3];
      family = name;
      type = m[3];
      continue;
    }
    PrometheusSample s;
    std::string why;
    if (!parse_sample(line, &s, &why)) return fail(line, why);
    std::string suffix =
        s.name.size() > family.size() && s.name.compare(0, family.size(), family) == 0
            ? s.name.substr(family.size())
        : s.name == family ? ""
                           : "?";
    if (family.empty() || (suffix != "" && type != "histogram") ||
        (type == "histogram" && suffix != "_bucket" && suffix != "_sum" && suffix != "_count"))
      return fail(line, "not a sample of the family declared before it ('" + family + "')");
    if (type == "counter" && !(s.value >= 0)) return fail(line, "negative counter");
    if (type == "histogram") {
      auto labels = s.labels;
      labels.erase("le");
      std::string key = family;
      for (auto& [k, v] : labels) key += "\x01" + k + "=" + v;
      Hist& h = hists[key];
      if (suffix == "_bucket") {
        auto le = s.labels.find("le");
        if (le == s.labels.end()) return fail(line, "bucket without le");
        if (h.inf) return fail(line, "bucket after le=\"+Inf\"");
        if (s.value < h.last) return fail(line, "buckets not cumulative");
        h.last = s.value;
        if (le->second == "+Inf") h.inf = true, h.inf_value = s.value;
      } else if (suffix == "_count") {
        h.count = s.value;
      }
    }
    out.push_back(std::move(s));
  }
  for (auto& [key, h] : hists) {
    std::string name = key.substr(0, key.find('\x01'));
    if (!h.inf) return *problem = name + ": no le=\"+Inf\" bucket", std::nullopt;
    if (!h.count || *h.count != h.inf_value)
      return *problem = name + ": _count is not the +Inf bucket", std::nullopt;
  }
  return out;
}

std::optional<double> sample_value(const std::vector<PrometheusSample>& samples,
                                   const std::string& name,
                                   const std::map<std::string, std::string>& labels) {
  for (auto& s : samples) {
    if (s.name != name) continue;
    bool all = true;
    for (auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      all &= it != s.labels.end() && it->second == v;
    }
    if (all) return s.value;
  }
  return std::nullopt;
}

}  // namespace peerstore::test
