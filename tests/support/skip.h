// Reporting a test that cannot run here as skipped, never as passed.
//
// A Catch2 test case that lacks what it needs (the shared data beside the checkout, Chromium, a
// device) calls skip_test(why) and returns. The line it prints matches the SKIP_REGULAR_EXPRESSION
// that every ctest test of this project carries (root CMakeLists.txt), so ctest lists the test as
// skipped with its reason. Standalone drivers (e2e, integration mains) exit with kSkipExitCode,
// their ctest SKIP_RETURN_CODE.
#pragma once

#include <iostream>
#include <string_view>

namespace madoguchi::testing {

inline constexpr int kSkipExitCode = 77;

inline void skip_test(std::string_view why) { std::cout << "MADOGUCHI-SKIP: " << why << std::endl; }

}  // namespace madoguchi::testing
