// The status parser: see node_status.h. A small recursive-descent reader over the text; every
// error names the offset so a test failure shows what the tool printed wrong.
#include "support/node_status.h"

#include <map>
#include <variant>

namespace peerstore::test {
namespace {

using Array = std::vector<std::string>;
using Value = std::variant<std::nullptr_t, bool, int64_t, std::string, Array>;

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool object(std::map<std::string, Value>& out) {
    skip_space();
    if (!expect('{')) return false;
    skip_space();
    if (peek() == '}') return ++pos_, true;
    for (;;) {
      skip_space();
      std::string key;
      if (!string(key)) return false;
      skip_space();
      if (!expect(':')) return false;
      skip_space();
      Value v;
      if (!value(v)) return false;
      if (!out.emplace(key, std::move(v)).second) return fail("duplicate key \"" + key + "\"");
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      return expect('}');
    }
  }

  bool at_end() {
    skip_space();
    return pos_ == s_.size() || fail("unexpected text after the object");
  }

  const std::string& error() const { return error_; }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

  bool fail(const std::string& what) {
    if (error_.empty()) error_ = what + " at offset " + std::to_string(pos_);
    return false;
  }

  bool expect(char c) {
    if (peek() != c) return fail(std::string("expected '") + c + "'");
    ++pos_;
    return true;
  }

  void skip_space() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return fail("bad literal");
    pos_ += word.size();
    return true;
  }

  bool value(Value& v) {
    char c = peek();
    if (c == '"') {
      std::string s;
      if (!string(s)) return false;
      v = std::move(s);
      return true;
    }
    if (c == '[') return array(v);
    if (c == 'n') return literal("null") && (v = nullptr, true);
    if (c == 't') return literal("true") && (v = true, true);
    if (c == 'f') return literal("false") && (v = false, true);
    if (c == '-' || (c >= '0' && c <= '9')) return integer(v);
    if (c == '{') return fail("nested objects are not expected");
    return fail("expected a value");
  }

  bool array(Value& v) {
    ++pos_;  // '['
    Array items;
    skip_space();
    if (peek() == ']') {
      ++pos_;
      v = std::move(items);
      return true;
    }
    for (;;) {
      skip_space();
      std::string s;
      if (peek() != '"') return fail("expected a string in the array");
      if (!string(s)) return false;
      items.push_back(std::move(s));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (!expect(']')) return false;
      v = std::move(items);
      return true;
    }
  }

  bool integer(Value& v) {
    size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (!(peek() >= '0' && peek() <= '9')) return fail("expected a digit");
    if (peek() == '0' && pos_ + 1 < s_.size() && s_[pos_ + 1] >= '0' && s_[pos_ + 1] <= '9')
      return fail("leading zero");
    while (peek() >= '0' && peek() <= '9') ++pos_;
    if (peek() == '.' || peek() == 'e' || peek() == 'E') return fail("expected an integer");
    std::string digits(s_.substr(start, pos_ - start));
    if (digits.size() > 18) return fail("integer out of range");
    v = static_cast<int64_t>(std::stoll(digits));
    return true;
  }

  bool string(std::string& out) {
    if (!expect('"')) return false;
    for (;;) {
      if (pos_ >= s_.size()) return fail("unterminated string");
      char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      char e = peek();
      ++pos_;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          // Only ASCII is expected (ids, addresses, states); others are kept as '?'.
          if (pos_ + 4 > s_.size()) return fail("short \\u escape");
          unsigned code = 0;
          for (int i = 0; i < 4; ++i) {
            char h = s_[pos_++];
            unsigned d = h >= '0' && h <= '9'   ? unsigned(h - '0')
                         : h >= 'a' && h <= 'f' ? unsigned(h - 'a' + 10)
                         : h >= 'A' && h <= 'F' ? unsigned(h - 'A' + 10)
                                                : 16;
            if (d == 16) return fail("bad \\u escape");
            code = code * 16 + d;
          }
          out += code < 0x80 ? static_cast<char>(code) : '?';
          break;
        }
        default:
          return fail("bad escape");
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

// Moves field `key` of type T out of `fields` into `out`; false with *error otherwise.
template <class T>
bool take(std::map<std::string, Value>& fields, const std::string& key, T& out,
          std::string* error) {
  auto it = fields.find(key);
  if (it == fields.end()) {
    if (error) *error = "field \"" + key + "\" is missing";
    return false;
  }
  if (!std::holds_alternative<T>(it->second)) {
    if (error) *error = "field \"" + key + "\" has the wrong type";
    return false;
  }
  out = std::move(std::get<T>(it->second));
  return true;
}

}  // namespace

std::optional<NodeStatus> parse_node_status(std::string_view text, std::string* error) {
  Reader r(text);
  std::map<std::string, Value> fields;
  if (!r.object(fields) || !r.at_end()) {
    if (error) *error = "not one flat JSON object: " + r.error();
    return std::nullopt;
  }
  NodeStatus st;
  bool ok =
      take(fields, "id", st.id, error) && take(fields, "address", st.address, error) &&
      take(fields, "state", st.state, error) && take(fields, "successors", st.successors, error) &&
      take(fields, "blocks", st.blocks, error) && take(fields, "head_sets", st.head_sets, error) &&
      take(fields, "below_target", st.below_target, error) &&
      take(fields, "pending_uploads", st.pending_uploads, error) &&
      take(fields, "uptime_ms", st.uptime_ms, error);
  if (!ok) return std::nullopt;
  auto pred = fields.find("predecessor");
  if (pred == fields.end()) {
    if (error) *error = "field \"predecessor\" is missing";
    return std::nullopt;
  }
  if (auto* s = std::get_if<std::string>(&pred->second)) {
    st.predecessor = *s;
  } else if (!std::holds_alternative<std::nullptr_t>(pred->second)) {
    if (error) *error = "field \"predecessor\" is neither a string nor null";
    return std::nullopt;
  }
  size_t b = text.find_first_not_of(" \t\r\n"), e = text.find_last_not_of(" \t\r\n");
  st.json = std::string(text.substr(b, e - b + 1));
  return st;
}

std::string ref_id(std::string_view ref) {
  return std::string(ref.substr(0, ref.find('@')));
}

std::string ref_address(std::string_view ref) {
  size_t at = ref.find('@');
  return at == std::string_view::npos ? std::string() : std::string(ref.substr(at + 1));
}

}  // namespace peerstore::test
