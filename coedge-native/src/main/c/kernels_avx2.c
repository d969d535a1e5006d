/* AVX2 + FMA variants; this file alone is compiled with -mavx2 -mfma. */
#include <immintrin.h>

#define COEDGE_ISA avx2
#define VEC __m256
#define VLEN 8
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VSET1(f) _mm256_set1_ps(f)
#define VADD(a, b) _mm256_add_ps((a), (b))
#define VMUL(a, b) _mm256_mul_ps((a), (b))
#define VFMA(a, b, acc) _mm256_fmadd_ps((a), (b), (acc))
#define VMAX(a, b) _mm256_max_ps((a), (b))
#include "kernels_template.h"
