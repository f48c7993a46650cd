// merge_text: hand-written cases (their expected results checked against `git merge-file -p`
// 2.39), refusal of non-text, and seeded random runs for symmetry, equal sides and edits kept
// apart by an unchanged line. The random runs print their seed on failure; set
// PEERSTORE_TEXT_MERGE_SEED to replay one.
#include "fs/text_merge.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace peerstore {
namespace {

// The merge of (base, ours, theirs), checked to be the same with the sides swapped.
std::optional<std::string> merge(std::string_view base, std::string_view ours,
                                 std::string_view theirs) {
  auto a = merge_text(as_bytes(base), as_bytes(ours), as_bytes(theirs));
  auto b = merge_text(as_bytes(base), as_bytes(theirs), as_bytes(ours));
  REQUIRE(a.has_value() == b.has_value());
  if (!a) return std::nullopt;
  REQUIRE(*a == *b);
  return std::string(as_chars(*a));
}

// Text of the given words, one a line, each line ending in '\n'.
std::string lines(std::string_view words) {
  std::string s;
  for (size_t at = 0; at <= words.size();) {
    size_t end = std::min(words.find(' ', at), words.size());
    s.append(words.substr(at, end - at)).push_back('\n');
    at = end + 1;
  }
  return s;
}

// A merge and its expected result (nullopt: a conflict), checked both ways round.
struct Case {
  const char* what;
  std::string base, ours, theirs;
  std::optional<std::string> want;
};

void check_cases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    CAPTURE(c.what);
    CHECK(merge(c.base, c.ours, c.theirs) == c.want);
  }
}

const std::string kBase = lines("one two three four five six seven");
constexpr std::nullopt_t kConflict = std::nullopt;

TEST_CASE("text merge: edits apart from each other merge, at the start, middle and end") {
  check_cases({
      {"start and middle", kBase, lines("ONE two three four five six seven"),
       lines("one two three FOUR five six seven"), lines("ONE two three FOUR five six seven")},
      {"middle and end", kBase, lines("one two three FOUR five six seven"),
       lines("one two three four five six SEVEN"), lines("one two three FOUR five six SEVEN")},
      {"insertions at both ends, two lines replaced", kBase,
       lines("zero one two three four five six seven eight"),
       lines("one two THREE FOUR five six seven"),
       lines("zero one two THREE FOUR five six seven eight")},
      {"one unchanged line between", kBase, lines("one TWO three four five six seven"),
       lines("one two three FOUR five six seven"), lines("one TWO three FOUR five six seven")},
  });
}

TEST_CASE("text merge: a side without changes gives the other side") {
  std::string edited = lines("one TWO three");
  check_cases({
      {"theirs edited", kBase, kBase, edited, edited},
      {"ours edited", kBase, edited, kBase, edited},
      {"nothing edited", kBase, kBase, kBase, kBase},
      {"from empty", "", "", "new\n", "new\n"},
      {"to empty", "old\n", "", "old\n", ""},
  });
}

TEST_CASE("text merge: identical edits on both sides are taken once") {
  std::string both = lines("one two THREE four five six seven");
  check_cases({
      {"same replacement", kBase, both, both, both},
      {"same replacement, one more on one side", kBase, both,
       lines("one two THREE four five six SEVEN"), lines("one two THREE four five six SEVEN")},
      {"same insertion", kBase, lines("one two new three four five six seven"),
       lines("one two new three four five six seven"),
       lines("one two new three four five six seven")},
  });
}

TEST_CASE("text merge: overlapping or touching different edits conflict") {
  check_cases({
      {"one line, two ways", kBase, lines("one two THREE four five six seven"),
       lines("one two three! four five six seven"), kConflict},
      // Edits of consecutive lines touch: git reports a conflict.
      {"consecutive lines", kBase, lines("one two THREE four five six seven"),
       lines("one two three FOUR five six seven"), kConflict},
      {"a range and a part of it", kBase, lines("one X Y five six seven"),
       lines("one two three FOUR five six seven"), kConflict},
      {"an edit and a deletion", kBase, lines("one two three FOUR five six seven"),
       lines("one two three five six seven"), kConflict},
  });
}

TEST_CASE("text merge: different insertions at the same place conflict") {
  check_cases({
      {"middle", kBase, lines("one two ours three four five six seven"),
       lines("one two theirs three four five six seven"), kConflict},
      {"end", kBase, kBase + "ours\n", kBase + "theirs\n", kConflict},
      {"empty base", "", "ours\n", "theirs\n", kConflict},
      // An insertion right before a line the other side changed touches it.
      {"next to an edit", kBase, lines("one two new three four five six seven"),
       lines("one two THREE four five six seven"), kConflict},
  });
}

TEST_CASE("text merge: a deletion on one side and an edit elsewhere on the other") {
  check_cases({
      {"deletion and edit", kBase, lines("one four five six seven"),
       lines("one two three four five SIX seven"), lines("one four five SIX seven")},
      {"same deletion, one more on one side", kBase, lines("one four five six seven"),
       lines("one four five six"), lines("one four five six")},
      {"everything deleted", kBase, "", kBase, ""},
  });
}

TEST_CASE("text merge: a missing final newline is a change of the last line") {
  check_cases({
      {"newline added", "a\nb\nc\nd", "A\nb\nc\nd", "a\nb\nc\nd\n", "A\nb\nc\nd\n"},
      {"last line edited", "a\nb\nc\nd", "A\nb\nc\nd", "a\nb\nc\nD", "A\nb\nc\nD"},
      {"newline removed", "a\nb\nc\nd\n", "A\nb\nc\nd\n", "a\nb\nc\nd", "A\nb\nc\nd"},
      // Text added after a last line without newline: the same is taken once, different conflict.
      {"same text added", "a\nb\nc\nd", "a\nb\nc\nd\ne\n", "a\nb\nc\nd\ne\n", "a\nb\nc\nd\ne\n"},
      {"different text added", "a\nb\nc\nd", "a\nb\nc\nd\ne\n", "a\nb\nc\nd\n", kConflict},
      {"newline removed next to an edit", "a\nb\nc\n", "a\nB\nc\n", "a\nb\nc", kConflict},
  });
}

TEST_CASE("text merge: CRLF lines keep their \\r") {
  std::string base = "one\r\ntwo\r\nthree\r\nfour\r\n";
  check_cases({
      {"apart", base, "ONE\r\ntwo\r\nthree\r\nfour\r\n", "one\r\ntwo\r\nthree\r\nFOUR\r\n",
       "ONE\r\ntwo\r\nthree\r\nFOUR\r\n"},
      // A line ending changed from CRLF to LF is a changed line.
      {"ending changed", base, "ONE\r\ntwo\r\nthree\r\nfour\r\n", "one\r\ntwo\r\nthree\r\nfour\n",
       "ONE\r\ntwo\r\nthree\r\nfour\n"},
      {"ending changed next to an insertion", base, "one\r\ntwo\r\nthree\r\nfour\n",
       "one\r\ntwo\r\nthree\r\nfour\r\nfive\r\n", kConflict},
  });
}

TEST_CASE("text merge: lines that repeat slide like git's") {
  std::string base = lines("a b b c d");
  check_cases({
      // The added "b" can sit at three places; git puts it last, after the other side's edit...
      {"apart after sliding", base, lines("a b b b c d"), lines("A b b c d"), lines("A b b b c d")},
      // ... and so next to an edit of "c".
      {"touching after sliding", base, lines("a b b b c d"), lines("a b b C d"), kConflict},
      {"a blank line removed from a run", "x\n\n\n\ny\nz\n", "x\n\n\ny\nz\n", "X\n\n\n\ny\nz\n",
       "X\n\n\ny\nz\n"},
  });
}

TEST_CASE("text merge: binary, NUL, invalid UTF-8 and oversized inputs are refused") {
  std::string ok = "text\n";
  std::string nul("a\0b\n", 4);
  std::vector<std::string> bad = {nul,
                                  "\xff\xfe\n",
                                  "\xc3\n",
                                  "\xc0\xaf\n",
                                  "\xed\xa0\x80\n",
                                  "\xf4\x90\x80\x80\n",
                                  std::string(kMaxTextMerge + 1, 'x')};
  for (const std::string& b : bad) {
    CAPTURE(b.substr(0, 8));
    CHECK_FALSE(is_mergeable_text(as_bytes(b)));
    CHECK(merge(b, ok, ok + "more\n") == std::nullopt);
    CHECK(merge(ok, b, ok) == std::nullopt);
    CHECK(merge(ok, ok, b) == std::nullopt);
  }
  CHECK(is_mergeable_text(as_bytes("")));
  CHECK(is_mergeable_text(as_bytes("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\n")));
  CHECK(is_mergeable_text(as_bytes(std::string(kMaxTextMerge, 'x'))));
}

TEST_CASE("text merge: 1 MiB with a few edits, and a diff past the work cap") {
  std::string base;
  for (int i = 0; base.size() < kMaxTextMerge - 64; ++i)
    base += "line " + std::to_string(i) + " of a large text\n";
  std::string ours = base, theirs = base;
  ours.replace(ours.find("line 10 of"), 4, "LINE");
  ours.insert(ours.find("line 20000 of"), "inserted by ours\n");
  theirs.replace(theirs.find("line 30000 of"), 4, "LINE");
  theirs.erase(theirs.find("line 5000 of"), std::string("line 5000 of a large text\n").size());
  std::string expected = ours;
  expected.replace(expected.find("line 30000 of"), 4, "LINE");
  expected.erase(expected.find("line 5000 of"), std::string("line 5000 of a large text\n").size());
  auto start = std::chrono::steady_clock::now();
  CHECK(merge(base, ours, theirs) == expected);
  // Generous ceilings for a loaded machine, not budgets (a quiet one: a few ms here).
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));

  // Lines of a few values in another order on each side: the diff needs far more than the cap
  // of edits, so the merge gives up (a conflict) instead of running long.
  std::mt19937 rng(7);
  auto shuffled = [&] {
    std::string s;
    while (s.size() < kMaxTextMerge - 8) s += std::string(1, char('a' + rng() % 4)) + "\n";
    return s;
  };
  std::string b2 = shuffled(), o2 = shuffled(), t2 = shuffled();
  start = std::chrono::steady_clock::now();
  CHECK(merge(b2, o2, t2) == std::nullopt);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

uint64_t random_seed() {
  const char* env = std::getenv("PEERSTORE_TEXT_MERGE_SEED");
  return env ? std::strtoull(env, nullptr, 10) : 20261205;
}

using Text = std::vector<std::string>;

std::string join(const Text& lines) {
  std::string s;
  for (const std::string& l : lines) s += l;
  return s;
}

// Up to four random line edits (insert, delete, replace) of `lines`; new lines come from
// `alphabet` when it is set, or are unique otherwise.
Text edit(Text lines, std::mt19937_64& rng, const std::string& alphabet, int& fresh) {
  for (int n = int(rng() % 5); n > 0; --n) {
    size_t at = rng() % (lines.size() + 1);
    std::string line = alphabet.empty() ? "new " + std::to_string(fresh++) + "\n"
                                        : std::string(1, alphabet[rng() % alphabet.size()]) + "\n";
    switch (rng() % 3) {
      case 0:
        lines.insert(lines.begin() + long(at), line);
        break;
      case 1:
        if (at < lines.size()) lines.erase(lines.begin() + long(at));
        break;
      default:
        if (at < lines.size()) lines[at] = line;
    }
  }
  return lines;
}

TEST_CASE("text merge: random edits are symmetric, equal sides give that side") {
  const uint64_t seed = random_seed();
  INFO("PEERSTORE_TEXT_MERGE_SEED=" << seed);
  std::mt19937_64 rng(seed);
  int fresh = 0, clean = 0;
  for (int i = 0; i < 500; ++i) {
    CAPTURE(i);
    // Few distinct lines, so that diffs are ambiguous and edits collide.
    std::string alphabet = i % 2 ? "abc" : "abcdefgh";
    Text base;
    for (size_t n = rng() % 14; n > 0; --n)
      base.push_back(std::string(1, alphabet[rng() % alphabet.size()]) + "\n");
    std::string b = join(base), o = join(edit(base, rng, alphabet, fresh));
    std::string t = join(edit(base, rng, alphabet, fresh));
    if (rng() % 8 == 0 && !b.empty()) b.pop_back();  // no final newline
    CAPTURE(b);
    CAPTURE(o);
    CAPTURE(t);
    auto m = merge(b, o, t);  // checks the symmetry
    clean += m.has_value();
    if (o == t) CHECK(m == o);
    if (o == b) CHECK(m == t);
  }
  CHECK(clean > 100);  // the runs are not all conflicts
}

TEST_CASE("text merge: random edits kept apart by an unchanged line merge to both") {
  const uint64_t seed = random_seed();
  INFO("PEERSTORE_TEXT_MERGE_SEED=" << seed);
  std::mt19937_64 rng(seed);
  int fresh = 0;
  for (int i = 0; i < 500; ++i) {
    CAPTURE(i);
    // Distinct lines, so each diff is the edits made; ours edits lines [0, k), theirs the lines
    // after line k, which neither touches.
    Text base;
    for (size_t n = 1 + rng() % 16; n > 0; --n) base.push_back("base " + std::to_string(n) + "\n");
    size_t k = rng() % base.size();
    Text before(base.begin(), base.begin() + long(k)),
        after(base.begin() + long(k) + 1, base.end());
    Text ours_before = edit(before, rng, "", fresh), theirs_after = edit(after, rng, "", fresh);
    std::string sep = base[k];
    std::string b = join(base);
    std::string o = join(ours_before) + sep + join(after);
    std::string t = join(before) + sep + join(theirs_after);
    CAPTURE(b);
    CAPTURE(o);
    CAPTURE(t);
    CHECK(merge(b, o, t) == join(ours_before) + sep + join(theirs_after));
  }
}

}  // namespace
}  // namespace peerstore
