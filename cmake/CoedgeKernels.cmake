# Shared CMake code for the CoEdge kernel library: which source files exist for which processor, and
# the per-file ISA flags. Never -march=native: one library must run on every board of its platform.
include_guard(GLOBAL)

function(coedge_kernel_sources out_var src_dir)
  set(sources ${src_dir}/dispatch.c ${src_dir}/kernels_scalar.c)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    list(APPEND sources ${src_dir}/kernels_avx2.c ${src_dir}/kernels_avx512.c)
    set_source_files_properties(${src_dir}/kernels_avx2.c PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
    set_source_files_properties(${src_dir}/kernels_avx512.c PROPERTIES COMPILE_OPTIONS "-mavx512f;-mfma")
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
    # Advanced SIMD is baseline on AArch64: no flag needed, and none that would exclude a board.
    list(APPEND sources ${src_dir}/kernels_neon.c)
  endif()
  set(${out_var} ${sources} PARENT_SCOPE)
endfunction()

# The folder name the Java loader looks for inside the jar.
function(coedge_platform out_var)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    set(${out_var} linux-x86_64 PARENT_SCOPE)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
    set(${out_var} linux-aarch64 PARENT_SCOPE)
  else()
    set(${out_var} linux-${CMAKE_SYSTEM_PROCESSOR} PARENT_SCOPE)
  endif()
endfunction()
