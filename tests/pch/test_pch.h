// The precompiled header of every test suite (meson's cpp_pch: compiled once per executable
// and included before each of its files). It holds what nearly every test file includes and
// that costs a second or more to parse each time: doctest, the standard library's containers,
// threads and functions. No product header: the mount and e2e suites test the binaries from
// outside and see none. A test file that forgets one of these includes still builds; the
// product's own files do not use this header, so their includes stay checked.

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>
