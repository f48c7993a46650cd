// The dashboard's page (GET /): one self-contained HTML document (no external script, style,
// font or image) that fetches /api/status every two seconds and draws the ring (this node, its
// predecessor, successors and fingers at their places on the id circle) beside tables of
// replication health, uploads, live sync, conflicts and shares. Peer-supplied text is inserted
// as text, never as markup. Once a status is drawn, <body> carries data-drawn="N" (N: the nodes
// drawn); a script error is shown on the page and in <body data-error>. Stateless.
#pragma once

#include <string_view>

namespace peerstore::host {

std::string_view dashboard_page();

}  // namespace peerstore::host
