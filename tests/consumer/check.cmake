# check.cmake: installs the build in BUILD_DIR to a scratch prefix, then configures, builds and
# runs tests/consumer against it (find_package(micrograd REQUIRED), micrograd::micrograd).
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -P check.cmake
file(REMOVE_RECURSE "${WORK_DIR}")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()
run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix" --component Unspecified)
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${WORK_DIR}/build"
    "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix")
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/consumer")
if(NOT last_output MATCHES "Value\\(data=-8.0, grad=1.0\\)\nValue\\(data=2.0, grad=6.0\\)")
  message(FATAL_ERROR "unexpected output:\n${last_output}")
endif()
message("the installed package works: ${last_output}")
file(REMOVE_RECURSE "${WORK_DIR}")
