# Runs `madoguchi-bench portal --quick` (200 attempts at 20 places, a 2-second throughput run at 16
# connections against the hub and nginx) and checks what it printed: one JSON object per line,
# every metric present with a numeric value, and the rush EXACT: accepted == places == bookings in
# the hub's database, no slot over capacity, no accepted receipt missing, no failed attempt.
# Never checks a speed (see docs/performance.md for why).
#   cmake -DBENCH=path/to/madoguchi-bench -DOUT=file.jsonl -P check_portal_output.cmake
cmake_minimum_required(VERSION 3.25)

execute_process(COMMAND ${BENCH} portal --quick OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "madoguchi-bench portal --quick exited with '${rc}'; its stdout is in ${OUT}")
endif()

file(STRINGS ${OUT} lines ENCODING UTF-8)
list(LENGTH lines count)
if(count EQUAL 0)
  message(FATAL_ERROR "madoguchi-bench printed nothing")
endif()

set(seen "")
foreach(line IN LISTS lines)
  string(JSON type ERROR_VARIABLE err TYPE "${line}")
  if(err OR NOT type STREQUAL "OBJECT")
    message(FATAL_ERROR "not a JSON object: ${line}")
  endif()
  string(JSON metric ERROR_VARIABLE err GET "${line}" metric)
  if(err)
    message(FATAL_ERROR "no \"metric\" in: ${line}")
  endif()
  list(APPEND seen ${metric})
  if(metric STREQUAL "machine")
    continue()
  endif()
  string(JSON vtype ERROR_VARIABLE err TYPE "${line}" value)
  string(JSON unit ERROR_VARIABLE uerr GET "${line}" unit)
  if(err OR uerr OR NOT vtype STREQUAL "NUMBER" OR unit STREQUAL "")
    message(FATAL_ERROR "metric ${metric} needs a numeric \"value\" and a \"unit\": ${line}")
  endif()
  string(JSON value GET "${line}" value)
  set(value_${metric} ${value})
  if(metric STREQUAL "portal.slot_page_rps" OR metric STREQUAL "portal.slot_page_p99_ms")
    foreach(field baseline ratio)
      string(JSON ftype ERROR_VARIABLE err TYPE "${line}" ${field})
      if(err OR NOT ftype STREQUAL "NUMBER")
        message(FATAL_ERROR "${metric} needs a numeric \"${field}\" (nginx): ${line}")
      endif()
    endforeach()
  endif()
  if(metric STREQUAL "portal.slot_page_rps" OR metric STREQUAL "portal.nginx_static_rps")
    string(JSON errors GET "${line}" errors)
    string(JSON requests GET "${line}" requests)
    string(JSON alike GET "${line}" bodies_alike_in_size)
    if(NOT errors EQUAL 0 OR requests EQUAL 0 OR NOT alike)
      message(FATAL_ERROR "${metric}: ${errors} errors, ${requests} answered, bodies alike: ${alike}: ${line}")
    endif()
  endif()
  if(metric STREQUAL "portal.rush_verified_bookings")
    foreach(field places accepted over_capacity_slots receipts_missing booking_load_places exact)
      string(JSON f_${field} GET "${line}" ${field})
    endforeach()
  endif()
endforeach()

foreach(required machine portal.seed_seconds portal.nginx_static_rps portal.slot_page_rps portal.slot_page_p99_ms
                 portal.rush_accepted portal.rush_refused_full portal.rush_errors portal.rush_bookings_per_s
                 portal.rush_confirm_p99_ms portal.rush_verified_bookings)
  if(NOT required IN_LIST seen)
    message(FATAL_ERROR "metric ${required} missing from the output (${OUT})")
  endif()
endforeach()

# The rush is exact: every place taken once, by an accepted booking the database holds.
if(NOT f_exact OR NOT value_portal.rush_accepted EQUAL f_places OR NOT value_portal.rush_verified_bookings EQUAL f_places
   OR NOT f_booking_load_places EQUAL f_places OR NOT f_over_capacity_slots EQUAL 0 OR NOT f_receipts_missing EQUAL 0)
  message(FATAL_ERROR "the rush is not exact: accepted ${value_portal.rush_accepted}, in the database "
                      "${value_portal.rush_verified_bookings}, places ${f_places}, over capacity ${f_over_capacity_slots}, "
                      "receipts missing ${f_receipts_missing}")
endif()
if(NOT value_portal.rush_errors EQUAL 0)
  message(FATAL_ERROR "${value_portal.rush_errors} rush attempts failed (see the reasons in ${OUT})")
endif()
message(STATUS "madoguchi-bench portal --quick: ${count} lines, all metrics present, "
               "${value_portal.rush_accepted} accepted of ${f_places} places, exact")
