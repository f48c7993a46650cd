// doctest's main() for every unit suite (one executable per layer links this).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
