# One interface target carries the warning flags; every madoguchi target links it.
add_library(madoguchi_warnings INTERFACE)
target_compile_options(madoguchi_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
  # -Wnull-dereference is left out: GCC 12 reports false positives inside Asio after inlining.
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
option(MADOGUCHI_WERROR "Treat warnings as errors" OFF)
if(MADOGUCHI_WERROR)
  target_compile_options(madoguchi_warnings INTERFACE -Werror)
endif()
