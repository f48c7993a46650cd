// doctest's main() for every test suite (each suite's executable links test_main_lib). It is
// compiled without the suites' precompiled header, which includes doctest without its
// implementation.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
