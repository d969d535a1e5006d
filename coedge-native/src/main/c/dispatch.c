/* CPU feature detection; the choice of variant itself happens once on the Java side at load. */
#include "coedge_kernels.h"

int32_t coedge_abi_version(void) { return COEDGE_ABI_VERSION; }

int32_t coedge_cpu_isas(void) {
    int32_t isas = COEDGE_ISA_SCALAR;
#if defined(__x86_64__)
    __builtin_cpu_init();
    /* libgcc checks the OS enabled the register state (XCR0) as well as CPUID. */
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) isas |= COEDGE_ISA_AVX2;
    if (__builtin_cpu_supports("avx512f")) isas |= COEDGE_ISA_AVX512;
#elif defined(__aarch64__)
    isas |= COEDGE_ISA_NEON;
#endif
    return isas;
}
