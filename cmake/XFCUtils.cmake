# Helpers shared by every layer's CMakeLists.txt.

set(XFC_WARNING_FLAGS -Wall -Wextra)

# xfc_add_library(name src... [NO_MLIR] [DEPENDS tgt...] [LINK lib...])
#
# Builds one layer as a shared library. Shared, so that xfc-opt and the
# pass/dialect plugins it loads see one copy of every TypeID and registry.
# NO_MLIR libraries (file formats, tokenizers) link neither MLIR nor LLVM.
function(xfc_add_library name)
  cmake_parse_arguments(ARG "NO_MLIR" "" "DEPENDS;LINK" ${ARGN})
  add_library(${name} SHARED ${ARG_UNPARSED_ARGUMENTS})
  add_library(XFC::${name} ALIAS ${name})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_compile_options(${name} PRIVATE ${XFC_WARNING_FLAGS})
  target_link_libraries(${name} PUBLIC ${ARG_LINK})
  if(NOT ARG_NO_MLIR)
    target_link_libraries(${name} PUBLIC MLIR LLVM)
  endif()
  # The layer's own headers (sources and generated); dependencies bring theirs.
  foreach(dir ${CMAKE_CURRENT_SOURCE_DIR}/include
              ${CMAKE_CURRENT_BINARY_DIR}/include)
    if(IS_DIRECTORY ${dir})
      target_include_directories(${name} PUBLIC $<BUILD_INTERFACE:${dir}>)
    endif()
  endforeach()
  target_include_directories(${name} PUBLIC $<INSTALL_INTERFACE:include>)
  set_property(GLOBAL APPEND PROPERTY XFC_EXPORTED_TARGETS ${name})
endfunction()

# xfc_add_tool(name src... [LINK lib...])
function(xfc_add_tool name)
  cmake_parse_arguments(ARG "" "" "LINK" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  target_compile_options(${name} PRIVATE ${XFC_WARNING_FLAGS})
  target_link_libraries(${name} PRIVATE ${ARG_LINK} MLIR LLVM)
  install(TARGETS ${name} RUNTIME DESTINATION bin)
endfunction()
