# Exports XFC's libraries and headers so that out-of-tree passes and plugins
# (see examples/pass-plugin) build with `find_package(XFC)`, against either
# this build tree or an installed prefix.
include(CMakePackageConfigHelpers)

get_property(xfc_targets GLOBAL PROPERTY XFC_EXPORTED_TARGETS)
install(TARGETS ${xfc_targets} EXPORT XFCTargets
  LIBRARY DESTINATION lib ARCHIVE DESTINATION lib RUNTIME DESTINATION bin)
install(EXPORT XFCTargets NAMESPACE XFC:: DESTINATION lib/cmake/xfc)
export(TARGETS ${xfc_targets} NAMESPACE XFC::
  FILE ${CMAKE_BINARY_DIR}/lib/cmake/xfc/XFCTargets.cmake)

foreach(dir ${XFC_INCLUDE_ROOTS})
  if(IS_DIRECTORY ${dir})
    install(DIRECTORY ${dir}/ DESTINATION include
      FILES_MATCHING PATTERN "*.h" PATTERN "*.inc" PATTERN "*.td")
  endif()
endforeach()

set(XFC_CONFIG_MLIR_DIR "${MLIR_DIR}")
configure_package_config_file(cmake/XFCConfig.cmake.in
  ${CMAKE_BINARY_DIR}/lib/cmake/xfc/XFCConfig.cmake
  INSTALL_DESTINATION lib/cmake/xfc)
write_basic_package_version_file(
  ${CMAKE_BINARY_DIR}/lib/cmake/xfc/XFCConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/lib/cmake/xfc/XFCConfig.cmake
              ${CMAKE_BINARY_DIR}/lib/cmake/xfc/XFCConfigVersion.cmake
        DESTINATION lib/cmake/xfc)
