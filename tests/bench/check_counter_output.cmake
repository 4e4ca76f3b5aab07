# Runs `madoguchi-bench counter --quick` and checks what it printed: one JSON object per line,
# every metric of the counter benchmark present with a numeric value and a unit, the search
# figures with their sample count, the goal where there is one, and the correctness counters at 0
# (every imported card stored, every code on the pages decoded to its bytes). Never checks a speed
# (see docs/performance.md for why).
#   cmake -DBENCH=path/to/madoguchi-bench -DOUT=file.jsonl -P check_counter_output.cmake
cmake_minimum_required(VERSION 3.25)

execute_process(COMMAND ${BENCH} counter --quick OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "madoguchi-bench counter --quick exited with '${rc}'; its stdout is in ${OUT}")
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
    foreach(field cpus model memory_gb load_1m)
      string(JSON ftype ERROR_VARIABLE err TYPE "${line}" ${field})
      if(err)
        message(FATAL_ERROR "the machine line needs \"${field}\": ${line}")
      endif()
    endforeach()
    continue()
  endif()
  string(JSON vtype ERROR_VARIABLE err TYPE "${line}" value)
  string(JSON unit ERROR_VARIABLE uerr GET "${line}" unit)
  if(err OR uerr OR NOT vtype STREQUAL "NUMBER" OR unit STREQUAL "")
    message(FATAL_ERROR "metric ${metric} needs a numeric \"value\" and a \"unit\": ${line}")
  endif()
  string(JSON value GET "${line}" value)
  set(value_${metric} ${value})
  # Every figure of a sample (search kinds and the mix) says how many samples it has.
  if(metric MATCHES "^(counter|hub)\\.search_")
    string(JSON n ERROR_VARIABLE err GET "${line}" n)
    if(err OR n LESS_EQUAL 0)
      message(FATAL_ERROR "${metric} needs a positive \"n\": ${line}")
    endif()
  endif()
  if(metric STREQUAL "counter.search_p99" OR metric STREQUAL "hub.search_p99")
    string(JSON goal ERROR_VARIABLE err GET "${line}" goal)
    if(err OR goal STREQUAL "")
      message(FATAL_ERROR "${metric} needs its \"goal\": ${line}")
    endif()
  endif()
  if(metric MATCHES "^counter\\.export_")
    foreach(field bytes rows_per_s peak_rss_growth_mb n)
      string(JSON ftype ERROR_VARIABLE err TYPE "${line}" ${field})
      if(err OR NOT ftype STREQUAL "NUMBER")
        message(FATAL_ERROR "${metric} needs a numeric \"${field}\": ${line}")
      endif()
    endforeach()
    string(JSON bytes GET "${line}" bytes)
    if(bytes LESS_EQUAL 0)
      message(FATAL_ERROR "${metric} wrote nothing: ${line}")
    endif()
  endif()
  if(metric MATCHES "^counter\\.decode_(page|code)_ms$")
    foreach(field baseline ratio)
      string(JSON ftype ERROR_VARIABLE err TYPE "${line}" ${field})
      if(err OR NOT ftype STREQUAL "NUMBER")
        message(FATAL_ERROR "${metric} needs a numeric \"${field}\": ${line}")
      endif()
    endforeach()
  endif()
endforeach()

foreach(required machine counter.import_seconds counter.import_rate counter.import_missing counter.load_seconds
                 counter.index_build_seconds counter.search_name_kana_ms counter.search_name_kanji_ms
                 counter.search_name_halfwidth_ms counter.search_manufacture_prefix_ms
                 counter.search_status_by_booking_desc_ms counter.search_booking_week_ms counter.search_deep_page_ms
                 counter.search_counter_by_receipt_ms counter.search_p50 counter.search_p99 counter.search_max
                 counter.export_csv_utf8_seconds counter.export_csv_cp932_seconds counter.export_xlsx_seconds
                 counter.decode_page_ms counter.decode_code_ms counter.decode_png_load_ms counter.decode_codes_missing
                 hub.load_seconds hub.search_name_kana_ms hub.search_name_kanji_ms hub.search_name_halfwidth_ms
                 hub.search_manufacture_prefix_ms hub.search_status_by_booking_desc_ms hub.search_booking_week_ms
                 hub.search_deep_page_ms hub.search_counter_by_receipt_ms hub.search_p50 hub.search_p99 hub.search_max)
  if(NOT required IN_LIST seen)
    message(FATAL_ERROR "metric ${required} missing from the output (${OUT})")
  endif()
endforeach()

foreach(zero counter.import_missing counter.decode_codes_missing)
  if(NOT value_${zero} EQUAL 0)
    message(FATAL_ERROR "${zero} is ${value_${zero}}, must be 0")
  endif()
endforeach()
message(STATUS "madoguchi-bench counter --quick: ${count} lines, all metrics present, 0 cards missing, 0 codes missing")
