// The content of one regular file as a whole, for merges: reading a small file's bytes from its
// record (inline or chunk tree), giving a record new bytes, and the three-way text merge of a
// file both computers edited. Stateless functions; thread-safe if the BlockIo is.
#pragma once

#include "fs/block_io.h"
#include "fs/inode_record.h"

namespace peerstore {

// The file's bytes; nullopt if it is larger than `max` (without reading it).
Result<std::optional<Bytes>> read_small_file(BlockIo& io, const InodeRecord& r, size_t max);
// Gives `r` the content `bytes`: inline up to InodeRecord::kInlineMax, else a new chunk tree.
Status set_file_content(BlockIo& io, InodeRecord& r, ByteView bytes);
// When base, w and l are UTF-8 text files under 1 MiB whose edits do not overlap, sets `out`'s
// content to the line-based three-way merge and returns true; false leaves `out` alone (the
// caller keeps both versions).
Result<bool> merge_text_content(BlockIo& io, const InodeRecord& base, const InodeRecord& w,
                                const InodeRecord& l, InodeRecord& out);

}  // namespace peerstore
