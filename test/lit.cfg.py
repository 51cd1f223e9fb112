# -*- Python -*-
# lit configuration for XFC's IR tests (dialect round trips, verifier
# diagnostics, passes) and tool tests.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "XFC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.xfc_obj_root, "test")
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt", "unit",
                   "Inputs", "reference", "fuzz"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%shlibext", config.xfc_shlib_ext))
config.substitutions.append(("%xfc_libs", config.xfc_lib_dir))
# Debian's interpreter, which has python3-numpy (a pyenv python may not).
config.substitutions.append(("%python", "/usr/bin/python3"))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# Tools: FileCheck and friends from LLVM 22, xfc-opt and xfc from this build.
tool_dirs = [config.xfc_tools_dir, config.llvm_tools_dir]
tools = ["xfc-opt", "xfc", "xfc-eval", "mlir-opt", "mlir-translate", "llc",
         "llvm-readelf", "llvm-nm", "llvm-size"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# CPU features some tests depend on: with AMX, forcing it succeeds.
with open("/proc/cpuinfo") as cpuinfo:
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo
                  if line.startswith("flags")), [])
if "amx_tile" in flags and "amx_int8" in flags:
    config.available_features.add("amx")
# The kernels' AVX-512 levels, which a test may force only where they run.
for level, needs in {"avx512": ["avx512f", "avx512bw", "avx512vl"],
                     "avx512_vnni": ["avx512_vnni"],
                     "avx512_bf16": ["avx512_bf16"]}.items():
    if all(flag in flags for flag in needs) and \
            (level == "avx512" or "cpu-avx512" in config.available_features):
        config.available_features.add("cpu-" + level)

# Built with the oneDNN glue (runtime/onednn): models may use --kernels=onednn.
if config.xfc_has_onednn:
    config.available_features.add("onednn")

# Open MPI (the setup script installs it): %mpirun starts ranks on this
# machine, as root too, with more ranks than cores if need be. No test is
# skipped without it: the MPI tests fail, naming the missing mpirun.
config.substitutions.append((
    "%mpirun",
    "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
    "OMPI_MCA_btl_vader_single_copy_mechanism=none mpirun --oversubscribe"))
