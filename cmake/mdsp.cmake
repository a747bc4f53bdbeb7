# One helper per kind of target, so every module is declared the same way.

# mdsp_library(NAME [DATA_PATH] SRCS a.cc b.cc DEPS mdsp::base fmt::fmt)
# Declares the static library mdsp_NAME with the alias mdsp::NAME; includes are
# by full path from src/.
#
# DATA_PATH marks a module every tick goes through (parsing, log, bus, engine,
# store, processing). The sanitized Debug build (preset debug) compiles
# everything else at -O0 and these at -O1: the tests push millions of ticks
# through them, and ASan at -O0 made the engine's tests about 5 times slower,
# while -O1 on the rest (Asio and Beast templates, the tests, the CLI) cost
# about a third of a cold build's time for code the tests run little of.
function(mdsp_library name)
  cmake_parse_arguments(ARG "DATA_PATH" "" "SRCS;DEPS" ${ARGN})
  add_library(mdsp_${name} STATIC ${ARG_SRCS})
  add_library(mdsp::${name} ALIAS mdsp_${name})
  target_include_directories(mdsp_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(mdsp_${name} PUBLIC ${ARG_DEPS})
  target_compile_definitions(mdsp_${name} PUBLIC
    MDSP_SCHEMA_DIR="${MDSP_SCHEMA_DIR}")
  if(ARG_DATA_PATH AND MDSP_SANITIZE)
    target_compile_options(mdsp_${name} PRIVATE $<$<CONFIG:Debug>:-O1>)
  endif()
endfunction()

# mdsp_test(NAME [DATA_PATH] SRCS a_test.cc DEPS mdsp::log LABELS unit)
# A GoogleTest executable registered with CTest; tests see MDSP_SHARED_DIR,
# MDSP_SOURCE_DIR and MDSP_TESTDATA_DIR (the tests/ folder beside the source).
# DATA_PATH, as for mdsp_library: -O1 in the sanitized build, for tests whose
# own code does heavy work (the engine's, which fold millions of candles into
# maps to compare restarts: 90 s at -O0 against 19 s).
function(mdsp_test name)
  if(NOT MDSP_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "DATA_PATH" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  if(ARG_DATA_PATH AND MDSP_SANITIZE)
    target_compile_options(${name} PRIVATE $<$<CONFIG:Debug>:-O1>)
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    MDSP_SHARED_DIR="${MDSP_SHARED_DIR}"
    MDSP_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    MDSP_BINARY_DIR="${PROJECT_BINARY_DIR}"
    MDSP_TESTDATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}"
    ENVIRONMENT "MDSP_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()

# mdsp_fuzz(NAME SRCS a_fuzz.cc DEPS mdsp::model CORPUS dir)
# A libFuzzer-style entry point (LLVMFuzzerTestOneInput). With clang and
# MDSP_FUZZ=ON it links -fsanitize=fuzzer; otherwise a replay driver runs every
# file of the corpus once, as an ordinary test.
function(mdsp_fuzz name)
  cmake_parse_arguments(ARG "" "CORPUS" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  if(MDSP_FUZZ)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    # For scripts/fuzz: name, corpus and binary of every target (mdsp_fuzz_manifest).
    set_property(GLOBAL APPEND PROPERTY MDSP_FUZZ_TARGETS "${name}\t${ARG_CORPUS}\t$<TARGET_FILE:${name}>")
  else()
    target_link_libraries(${name} PRIVATE mdsp_fuzz_replay)
    if(MDSP_BUILD_TESTS AND ARG_CORPUS)
      add_test(NAME ${name}_corpus COMMAND ${name} ${ARG_CORPUS})
      set_tests_properties(${name}_corpus PROPERTIES LABELS fuzz)
    endif()
  endif()
endfunction()

# Writes fuzz_targets.txt in the build folder, one line per fuzz target:
# name TAB corpus folder TAB binary. Called once, after every module.
function(mdsp_fuzz_manifest)
  get_property(lines GLOBAL PROPERTY MDSP_FUZZ_TARGETS)
  list(JOIN lines "\n" content)
  file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/fuzz_targets.txt CONTENT "${content}\n")
endfunction()

# mdsp_bench(NAME SRCS a_bench.cc DEPS mdsp::stream)
function(mdsp_bench name)
  if(NOT MDSP_BUILD_BENCH)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  find_package(benchmark REQUIRED)
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark benchmark::benchmark_main)
endfunction()
