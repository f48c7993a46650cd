// mount_tests: real-FUSE tests of the peerstorefs binary named by $PEERSTOREFS (see
// tests/support/mount_fixture.h for the environment variables). This file holds doctest's main.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
