# Configures and builds a project against XFC's exported package; fails the
# test if either step fails. Run with cmake -P.
file(REMOVE_RECURSE ${BINARY_DIR})
execute_process(
  COMMAND ${CMAKE_COMMAND} -G Ninja -S ${SOURCE_DIR} -B ${BINARY_DIR}
          -DXFC_DIR=${XFC_DIR} -DCMAKE_BUILD_TYPE=Release
  RESULT_VARIABLE configure_result)
if(NOT configure_result EQUAL 0)
  message(FATAL_ERROR "configuring ${SOURCE_DIR} against ${XFC_DIR} failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR}
  RESULT_VARIABLE build_result)
if(NOT build_result EQUAL 0)
  message(FATAL_ERROR "building ${SOURCE_DIR} failed")
endif()
