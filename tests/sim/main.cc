// Catch2 entry point of test_sim, in its own file so the (slow to compile) Catch main is built
// once and the test files recompile quickly.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
