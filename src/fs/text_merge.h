// Line-based three-way merge of small text files, with `git merge-file` semantics: the tree merge
// of live sync uses it when both computers edited one text file. Stateless functions; thread-safe.
// Pure and deterministic: the result depends only on the three inputs.
#pragma once

#include <cstddef>
#include <optional>

#include "common/bytes.h"

namespace peerstore {

// The largest input merge_text accepts, in bytes.
inline constexpr size_t kMaxTextMerge = 1 << 20;

// Merges the changes from `base` to `ours` and from `base` to `theirs`, line by line (lines keep
// their '\n'; the last may lack one, "\r\n" is part of a line): a region changed on one side takes
// that side, a region changed identically on both takes it once. nullopt when the merge has a
// conflict (changes that overlap or touch, i.e. with no unchanged line between them, and differ),
// when a diff is too large to compute within the work cap (see text_merge.cc), or when any input
// is not mergeable text (is_mergeable_text). Symmetric: merge_text(b, o, t) == merge_text(b, t, o).
std::optional<Bytes> merge_text(ByteView base, ByteView ours, ByteView theirs);

// True when `b` is at most kMaxTextMerge bytes of valid UTF-8 without a NUL byte.
bool is_mergeable_text(ByteView b);

}  // namespace peerstore
