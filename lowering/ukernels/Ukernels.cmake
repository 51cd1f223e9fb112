# Included by lowering/CMakeLists.txt (the bitcode is a source of
# XFCLowering, and generated sources are visible only in their directory).
# The microkernel library (C, one ABI in include/xfk/Kernels.h), compiled by
# clang-22 to LLVM 22 bitcode, which is used twice:
#  - embedded in XFCLowering, which links it into every compiled model so
#    that calls are specialized and inlined;
#  - compiled on to a native object (xfk_native), for unit tests against a
#    naive reference, the kernel benchmark and packing at compile time. So
#    the tests and the benchmark run the code models run, from the same
#    compiler (gcc's build of the same sources differs by up to 15%).
set(XFK_DIR ${CMAKE_CURRENT_LIST_DIR})
set(XFK_SOURCES ${XFK_DIR}/Activation.c ${XFK_DIR}/CPU.c ${XFK_DIR}/Decode.c ${XFK_DIR}/Embedding.c
                ${XFK_DIR}/Linear.c ${XFK_DIR}/Pack.c ${XFK_DIR}/PackedLinear.c
                ${XFK_DIR}/QuantizedLinear.c ${XFK_DIR}/Bf16Linear.c
                ${XFK_DIR}/SparseCodes.c ${XFK_DIR}/SparseLinear.c
                ${XFK_DIR}/SparseTiles.c)

find_program(XFC_CLANG_22 clang-22
  HINTS /usr/lib/llvm-22/bin REQUIRED
  DOC "clang 22, which compiles the microkernels to bitcode (scripts/setup.sh)")
find_program(XFC_LLVM_LINK llvm-link HINTS /usr/lib/llvm-22/bin REQUIRED
  NO_DEFAULT_PATH)

set(bitcodes)
foreach(source ${XFK_SOURCES})
  get_filename_component(stem ${source} NAME)
  set(bc ${CMAKE_CURRENT_BINARY_DIR}/ukernels/${stem}.bc)
  add_custom_command(OUTPUT ${bc}
    COMMAND ${XFC_CLANG_22} -O2 -std=c11 -fPIC -fno-stack-protector
            -I${XFK_DIR}/include -emit-llvm -c ${source} -o ${bc}
    DEPENDS ${source} ${XFK_DIR}/include/xfk/Kernels.h ${XFK_DIR}/Decode.h
            ${XFK_DIR}/Packed.h ${XFK_DIR}/Epilogue.h ${XFK_DIR}/Amx.h
            ${XFK_DIR}/Activation.h ${XFK_DIR}/PanelTiles.h
    COMMENT "Compiling microkernel ${stem} to bitcode")
  list(APPEND bitcodes ${bc})
endforeach()

set(linked ${CMAKE_CURRENT_BINARY_DIR}/ukernels/xfk.bc)
add_custom_command(OUTPUT ${linked}
  COMMAND ${XFC_LLVM_LINK} ${bitcodes} -o ${linked}
  DEPENDS ${bitcodes}
  COMMENT "Linking the microkernel bitcode")

set(native ${CMAKE_CURRENT_BINARY_DIR}/ukernels/xfk_native.o)
add_custom_command(OUTPUT ${native}
  COMMAND ${XFC_CLANG_22} -O2 -fPIC -c ${linked} -o ${native}
  DEPENDS ${linked}
  COMMENT "Compiling the microkernel bitcode to a native object")
add_library(xfk_native STATIC ${native})
set_source_files_properties(${native} PROPERTIES EXTERNAL_OBJECT TRUE
  GENERATED TRUE)
set_target_properties(xfk_native PROPERTIES LINKER_LANGUAGE C)
target_include_directories(xfk_native PUBLIC
  $<BUILD_INTERFACE:${XFK_DIR}/include>)

set(embedded ${CMAKE_CURRENT_BINARY_DIR}/ukernels/KernelBitcode.cpp)
add_custom_command(OUTPUT ${embedded}
  COMMAND ${CMAKE_COMMAND} -DINPUT=${linked} -DOUTPUT=${embedded}
          -DSYMBOL=xfcKernelBitcode -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFile.cmake
  DEPENDS ${linked} ${PROJECT_SOURCE_DIR}/cmake/EmbedFile.cmake
  COMMENT "Embedding the microkernel bitcode")
set(XFC_KERNEL_BITCODE_SOURCE ${embedded})
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/ukernels)
