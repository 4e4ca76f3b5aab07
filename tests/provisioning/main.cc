// Catch2 v2 runner for test_provisioning. Kept apart so the test files compile faster.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
