/* AVX-512F variants; this file alone is compiled with -mavx512f. */
#include <immintrin.h>

#define COEDGE_ISA avx512
#define VEC __m512
#define VLEN 16
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VSET1(f) _mm512_set1_ps(f)
#define VADD(a, b) _mm512_add_ps((a), (b))
#define VMUL(a, b) _mm512_mul_ps((a), (b))
#define VFMA(a, b, acc) _mm512_fmadd_ps((a), (b), (acc))
#define VMAX(a, b) _mm512_max_ps((a), (b))
#include "kernels_template.h"
