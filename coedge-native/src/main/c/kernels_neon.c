/* AArch64 Advanced SIMD variants (NEON is part of every AArch64 CPU). */
#include <arm_neon.h>

#define COEDGE_ISA neon
#define VEC float32x4_t
#define VLEN 4
#define VLOAD(p) vld1q_f32(p)
#define VSTORE(p, v) vst1q_f32((p), (v))
#define VSET1(f) vdupq_n_f32(f)
#define VADD(a, b) vaddq_f32((a), (b))
#define VMUL(a, b) vmulq_f32((a), (b))
#define VFMA(a, b, acc) vfmaq_f32((acc), (a), (b))
#define VMAX(a, b) vmaxq_f32((a), (b))
#include "kernels_template.h"
