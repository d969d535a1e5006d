/* Portable variants: the fallback on any CPU, and the twin the SIMD variants are tested against. */
#include <string.h>
#include "conv_direct.h"

#define COEDGE_ISA scalar
#define VEC float
#define VLEN 1
#define VLOAD(p) (*(p))
#define VSTORE(p, v) (*(p) = (v))
#define VSET1(f) (f)
#define VADD(a, b) ((a) + (b))
#define VMUL(a, b) ((a) * (b))
#define VFMA(a, b, acc) ((a) * (b) + (acc))
#define VMAX(a, b) ((a) > (b) ? (a) : (b))
#include "kernels_template.h"

void coedge_f32_im2col_rows__scalar(COEDGE_IM2COL_ARGS) {
    const int C = g->in_c, W = g->in_w;
    const size_t bytes = (size_t)cpg * sizeof(float);
    float *dst = col;
    for (int oy = r0; oy < r1; oy++) {
        for (int ox = 0; ox < g->out_w; ox++) {
            for (int ky = 0; ky < g->kh; ky++) {
                const int iy = oy * g->sh - g->pad_top + ky * g->dh;
                const int row_inside = iy >= 0 && iy < g->in_h;
                const float *src_row = x + ((size_t)(iy - x_row0) * W) * C + (size_t)group * cpg;
                const int ix0 = ox * g->sw - g->pad_left;
                if (row_inside && cpg == C && g->dw == 1 && ix0 >= 0 && ix0 + g->kw <= W) {
                    /* Ungrouped, window row inside the map: its kw pixels are one contiguous run. */
                    memcpy(dst, src_row + (size_t)ix0 * C, bytes * g->kw);
                    dst += (size_t)cpg * g->kw;
                    continue;
                }
                for (int kx = 0; kx < g->kw; kx++) {
                    const int ix = ox * g->sw - g->pad_left + kx * g->dw;
                    if (row_inside && ix >= 0 && ix < W) {
                        memcpy(dst, src_row + (size_t)ix * C, bytes);
                    } else {
                        memset(dst, 0, bytes);
                    }
                    dst += cpg;
                }
            }
        }
    }
}

void coedge_f32_gemm_packed__scalar(COEDGE_GEMM_ARGS) {
    const int npad = (n + COEDGE_GEMM_NR - 1) / COEDGE_GEMM_NR * COEDGE_GEMM_NR;
    for (int i = 0; i < m; i++) {
        for (int j = j0; j < j1; j++) {
            const int p = j / COEDGE_GEMM_NR;
            float acc = 0.0f;
            for (int k0 = 0; k0 < k; k0 += COEDGE_GEMM_KSTEP(k)) {
                const int kc = k - k0 < COEDGE_GEMM_KSTEP(k) ? k - k0 : COEDGE_GEMM_KSTEP(k);
                const float *b = bp + (size_t)k0 * npad + (size_t)p * kc * COEDGE_GEMM_NR + (j - p * COEDGE_GEMM_NR);
                for (int kk = 0; kk < kc; kk++) acc += a[(size_t)i * lda + k0 + kk] * b[(size_t)kk * COEDGE_GEMM_NR];
            }
            if (bias != NULL) acc += bias[j];
            if (res != NULL) acc += res[(size_t)i * ldr + j];
            if (relu && acc < 0.0f) acc = 0.0f;
            c[(size_t)i * ldc + j] = acc;
        }
    }
}

void coedge_f32_copy_rows__scalar(COEDGE_COPY_ROWS_ARGS) {
    const size_t bytes = (size_t)n * sizeof(float);
    for (int64_t r = 0; r < rows; r++) memcpy(dst + (size_t)r * ldd, src + (size_t)r * lds, bytes);
}

void coedge_f32_gemv_rows__scalar(COEDGE_GEMV_ARGS) {
    for (int j = 0; j < rows; j++) {
        const float *wj = w + (size_t)j * ldw;
        float acc = 0.0f;
        for (int p = 0; p < k; p++) acc += wj[p] * x[p];
        y[j] += alpha * acc;
    }
}

int64_t coedge_f32_conv_scratch_bytes(const coedge_window *g) {
    return (int64_t)(conv_koff_bytes(g)
            + (size_t)conv_strip_in_rows(g, conv_strip_rows(g)) * conv_pad_width(g) * g->in_c * sizeof(float));
}

void coedge_f32_conv_packed__scalar(COEDGE_CONV_ARGS) {
    const int C = g->in_c, OW = g->out_w, N = g->out_c, k = g->kh * g->kw * C, wp = conv_pad_width(g);
    const int npad = (N + COEDGE_GEMM_NR - 1) / COEDGE_GEMM_NR * COEDGE_GEMM_NR;
    int32_t *koff = scratch;
    float *pad = (float *)((char *)scratch + conv_koff_bytes(g));
    conv_fill_koff(g, koff);
    const int strip = conv_strip_rows(g);
    for (int s0 = r0; s0 < r1; s0 += strip) {
        const int s1 = s0 + strip < r1 ? s0 + strip : r1;
        conv_fill_strip(g, x, x_row0, s0, s1, pad);
        for (int oy = s0; oy < s1; oy++) {
            for (int ox = 0; ox < OW; ox++) {
                const float *a = pad + ((size_t)(oy - s0) * g->sh * wp + (size_t)ox * g->sw) * C;
                for (int j = j0; j < j1; j++) {
                    const int p = j / COEDGE_GEMM_NR;
                    float acc = 0.0f;
                    for (int k0 = 0; k0 < k; k0 += COEDGE_GEMM_KSTEP(k)) {
                        const int kc = k - k0 < COEDGE_GEMM_KSTEP(k) ? k - k0 : COEDGE_GEMM_KSTEP(k);
                        const float *b = bp + (size_t)k0 * npad + (size_t)p * kc * COEDGE_GEMM_NR + (j - p * COEDGE_GEMM_NR);
                        for (int kk = 0; kk < kc; kk++) acc += a[koff[k0 + kk]] * b[(size_t)kk * COEDGE_GEMM_NR];
                    }
                    if (bias != NULL) acc += bias[j];
                    if (res != NULL) acc += res[((size_t)(oy - res_row0) * OW + ox) * N + j];
                    if (relu && acc < 0.0f) acc = 0.0f;
                    y[((size_t)(oy - y_row0) * OW + ox) * N + j] = acc;
                }
            }
        }
    }
}
