// e2e_tests: end-to-end tests of the real binaries ($PEERSTOREFS, $PEERSTORE_NODE,
// $PEERSTORE_CLI) on 127.0.0.1: rings of peerstore-node processes, peerstorefs mounts joined to
// them, node loss and bad input (see tests/support/node_cluster.h for the environment). This file
// holds doctest's main.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
