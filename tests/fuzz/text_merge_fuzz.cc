// Fuzz target: merge_text, the three-way text merge of live sync. The input is base, ours and
// theirs joined by 0xff bytes (never part of UTF-8 text; a missing part is empty). Checks that the
// merge is symmetric, that a side without changes yields the other side, that a merge succeeds
// only on mergeable text, and that a merged text is valid UTF-8 without NUL (whole lines of the
// inputs).
#include <algorithm>
#include <string>

#include "fs/text_merge.h"
#include "fuzz_support.h"

using namespace peerstore;

namespace peerstore::fuzz {
// Small merges of each kind: clean, identical on both sides, conflicting, missing final newline,
// CRLF, repeated lines, non-text.
void make_seeds(Seeds& seeds) {
  auto add = [&](const std::string& name, const std::string& b, const std::string& o,
                 const std::string& t) { seeds.add(name, as_bytes(b + "\xff" + o + "\xff" + t)); };
  std::string base = "one\ntwo\nthree\nfour\nfive\n";
  add("clean", base, "ONE\ntwo\nthree\nfour\nfive\n", "one\ntwo\nthree\nfour\nFIVE\n");
  add("same-edit", base, "one\nTWO\nthree\nfour\nfive\n", "one\nTWO\nthree\nfour\nfive\n");
  add("conflict", base, "one\nTWO\nthree\nfour\nfive\n", "one\ntwo!\nthree\nfour\nfive\n");
  add("touching", base, "one\nTWO\nthree\nfour\nfive\n", "one\ntwo\nTHREE\nfour\nfive\n");
  add("insertions", base, "zero\n" + base, base + "six\n");
  add("no-final-newline", "a\nb\nc", "A\nb\nc", "a\nb\nc\n");
  add("crlf", "a\r\nb\r\nc\r\n", "A\r\nb\r\nc\r\n", "a\r\nb\r\nc\n");
  add("repeats", "a\nb\nb\nc\nd\n", "a\nb\nb\nb\nc\nd\n", "A\nb\nb\nc\nd\n");
  add("utf8", "h\xc3\xa9\n\xe2\x82\xac\n", "H\xc3\xa9\n\xe2\x82\xac\n",
      "h\xc3\xa9\n\xf0\x9f\x98\x80\n");
  add("nul", "a\nb\n", std::string("a\0\nb\n", 5), "a\nB\n");
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  ByteView part[3];
  for (int i = 0; i < 3; ++i) {
    auto sep = std::find(in.begin(), in.end(), uint8_t(0xff));
    part[i] = in.first(size_t(sep - in.begin()));
    in = in.subspan(sep == in.end() ? in.size() : part[i].size() + 1);
  }
  const ByteView base = part[0], ours = part[1], theirs = part[2];
  auto merged = merge_text(base, ours, theirs);
  auto swapped = merge_text(base, theirs, ours);
  fuzz::check(merged.has_value() == swapped.has_value(), "a merge that is clean one way only");
  if (merged) fuzz::check(*merged == *swapped, "a merge that depends on the order of the sides");
  bool text = is_mergeable_text(base) && is_mergeable_text(ours) && is_mergeable_text(theirs);
  if (!text) {
    fuzz::check(!merged, "a merge of non-text");
    return 0;
  }
  auto equal = [](ByteView a, ByteView b) { return std::ranges::equal(a, b); };
  if (equal(base, ours)) fuzz::check(merged && equal(*merged, theirs), "unchanged ours");
  if (equal(ours, theirs)) fuzz::check(merged && equal(*merged, ours), "identical sides");
  if (merged && merged->size() <= kMaxTextMerge)
    fuzz::check(is_mergeable_text(*merged), "a merge that is not text");
  return 0;
}
