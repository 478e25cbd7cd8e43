# One bounded fuzzing run, the body of a ctest test `fuzz_<name>` (cmake/HServerFuzz.cmake):
#   cmake -DFUZZER=<binary> -DSEEDS=<repo corpus dir> -DWORK=<writable corpus dir>
#         -DARTIFACTS=<dir for crash files> -DSECONDS=<n> -P run_fuzzer.cmake
# libFuzzer writes new inputs only to the first corpus directory (WORK, in the build tree), and reads the
# seeds of the repository (SEEDS) without touching them. A crash, a timeout, a leak or a UBSan report fails
# the test; the input that caused it is left in ARTIFACTS.
foreach(var FUZZER SEEDS WORK ARTIFACTS SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: ${var} not given")
  endif()
endforeach()
if(NOT EXISTS ${FUZZER})
  message(FATAL_ERROR "${FUZZER} not built (the hserver_fuzz external project builds it)")
endif()
file(MAKE_DIRECTORY ${WORK} ${ARTIFACTS})
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
          -artifact_prefix=${ARTIFACTS}/ ${WORK} ${SEEDS}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); the input is in ${ARTIFACTS}. Reproduce: ${FUZZER} <input>")
endif()
