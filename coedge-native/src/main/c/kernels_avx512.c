/* AVX-512F variants; this file alone is compiled with -mavx512f. */
#include <immintrin.h>
#include <stdint.h>
#include "conv_direct.h"

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

/*
 * Packed GEMM: micro-tiles of up to 8 rows x 32 columns held in 16 zmm accumulators, the A values
 * broadcast straight from memory. Loop order per KC block: groups of row tiles (A block in L2), then
 * the column panels, each read once from memory per row group and kept in L1 across its row tiles.
 * Rows are dealt to tiles as evenly as possible (49 rows = 7 tiles of 7), so no tile is a thin,
 * latency-bound remainder.
 */
#ifndef GEMM_MR
#define GEMM_MR 12
#endif
#define GEMM_TILES_PER_GROUP (384 / GEMM_MR)

/*
 * indirect (a compile-time constant at every call): A's row i, element kk is a[i * lda + koff[kk]]
 * (the direct convolution's padded strip) instead of a[i * lda + kk]. stream: a full panel (nb = NR),
 * 64-byte aligned, written with non-temporal stores (the caller fences).
 */
static inline __attribute__((always_inline)) void gemm_tile(const int mr, const int kc, const float *a, const int lda,
        const int indirect, const int32_t *koff, const float *b, float *c, const int ldc, const int first, const int last, const __mmask16 m0,
        const __mmask16 m1, const __m512 bias0, const __m512 bias1, const float *res, const int ldr, const int relu,
        const int stream) {
    __m512 c0[GEMM_MR], c1[GEMM_MR];
    for (int i = 0; i < mr; i++) {
        c0[i] = _mm512_setzero_ps();
        c1[i] = _mm512_setzero_ps();
    }
    for (int kk = 0; kk < kc; kk++) {
        const __m512 b0 = _mm512_load_ps(b + (size_t)kk * COEDGE_GEMM_NR);
        const __m512 b1 = _mm512_load_ps(b + (size_t)kk * COEDGE_GEMM_NR + 16);
        const float *ak = indirect ? a + koff[kk] : a + kk;
        for (int i = 0; i < mr; i++) {
            const __m512 ai = _mm512_set1_ps(ak[(size_t)i * lda]);
            c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    for (int i = 0; i < mr; i++) {
        float *ci = c + (size_t)i * ldc;
        __m512 v0 = c0[i], v1 = c1[i];
        if (!first) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, ci));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, ci + 16));
        }
        if (last) {
            v0 = _mm512_add_ps(v0, bias0);
            v1 = _mm512_add_ps(v1, bias1);
            if (res != NULL) {
                const float *ri = res + (size_t)i * ldr;
                v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, ri));
                v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, ri + 16));
            }
            if (relu) {
                v0 = _mm512_max_ps(v0, zero);
                v1 = _mm512_max_ps(v1, zero);
            }
        }
        if (stream) {
            _mm512_stream_ps(ci, v0);
            _mm512_stream_ps(ci + 16, v1);
        } else {
            _mm512_mask_storeu_ps(ci, m0, v0);
            _mm512_mask_storeu_ps(ci + 16, m1, v1);
        }
    }
}

/* The lane masks of a panel of nb <= 32 output columns starting at column j (two 16-lane halves) and
 * its bias, zero without one. */
static inline void panel_masks_bias(int nb, const float *bias, int j, __mmask16 *m0, __mmask16 *m1,
                                    __m512 *bias0, __m512 *bias1) {
    *m0 = nb >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nb) - 1);
    *m1 = nb >= 32 ? (__mmask16)0xFFFF : nb > 16 ? (__mmask16)((1u << (nb - 16)) - 1) : (__mmask16)0;
    *bias0 = bias != NULL ? _mm512_maskz_loadu_ps(*m0, bias + j) : _mm512_setzero_ps();
    *bias1 = bias != NULL ? _mm512_maskz_loadu_ps(*m1, bias + j + 16) : _mm512_setzero_ps();
}

#define GEMM_TILE_CASE(r) case r: gemm_tile(r, kc, at, lda, 0, NULL, bpan, ct, ldc, first, last, m0, m1, bias0, bias1, rt, ldr, relu, 0); break;

void coedge_f32_gemm_packed__avx512(COEDGE_GEMM_ARGS) {
    if (m <= 0 || j1 <= j0) return;
    const int npad = (n + COEDGE_GEMM_NR - 1) / COEDGE_GEMM_NR * COEDGE_GEMM_NR;
    const int tiles = (m + GEMM_MR - 1) / GEMM_MR;
    const int base = m / tiles, extra = m % tiles; /* tile t has base + (t < extra) rows */
    for (int k0 = 0; k0 < k; k0 += COEDGE_GEMM_KSTEP(k)) {
        const int kc = k - k0 < COEDGE_GEMM_KSTEP(k) ? k - k0 : COEDGE_GEMM_KSTEP(k);
        const int first = k0 == 0, last = k0 + kc == k;
        for (int t0 = 0; t0 < tiles; t0 += GEMM_TILES_PER_GROUP) {
            const int t1 = t0 + GEMM_TILES_PER_GROUP < tiles ? t0 + GEMM_TILES_PER_GROUP : tiles;
            for (int j = j0; j < j1; j += COEDGE_GEMM_NR) {
                const int nb = j1 - j < COEDGE_GEMM_NR ? j1 - j : COEDGE_GEMM_NR;
                __mmask16 m0, m1;
                __m512 bias0, bias1;
                panel_masks_bias(nb, bias, j, &m0, &m1, &bias0, &bias1);
                const float *bpan = bp + (size_t)k0 * npad + (size_t)(j / COEDGE_GEMM_NR) * kc * COEDGE_GEMM_NR;
                for (int t = t0; t < t1; t++) {
                    const int r0 = t * base + (t < extra ? t : extra);
                    const int mr = base + (t < extra);
                    const float *at = a + (size_t)r0 * lda + k0;
                    float *ct = c + (size_t)r0 * ldc + j;
                    const float *rt = res != NULL ? res + (size_t)r0 * ldr + j : NULL;
                    switch (mr) {
#if GEMM_MR >= 12
                        GEMM_TILE_CASE(12)
                        GEMM_TILE_CASE(11)
                        GEMM_TILE_CASE(10)
                        GEMM_TILE_CASE(9)
#endif
                        GEMM_TILE_CASE(8)
                        GEMM_TILE_CASE(7)
                        GEMM_TILE_CASE(6)
                        GEMM_TILE_CASE(5)
                        GEMM_TILE_CASE(4)
                        GEMM_TILE_CASE(3)
                        GEMM_TILE_CASE(2)
                        default: gemm_tile(1, kc, at, lda, 0, NULL, bpan, ct, ldc, first, last, m0, m1, bias0, bias1, rt, ldr, relu, 0); break;
                    }
                }
            }
        }
    }
}

/* Output maps at least this large are written with streaming stores where K is one block. */
#define CONV_STREAM_BYTES ((size_t)4 << 20)

#define CONV_TILE_CASE(r) case r: gemm_tile(r, kc, at, lda, 1, ko, bpan, ct, N, first, last, m0, m1, bias0, bias1, rt, N, relu, st); break;

/*
 * The packed GEMM's loops over a padded input strip instead of an im2col matrix: row tiles of up to
 * GEMM_MR pixels never cross an output row (pixels of a row are sw * in_c floats apart in the strip),
 * a row's pixels dealt to its tiles as evenly as possible.
 */
void coedge_f32_conv_packed__avx512(COEDGE_CONV_ARGS) {
    if (r1 <= r0 || j1 <= j0) return;
    const int C = g->in_c, OW = g->out_w, N = g->out_c, k = g->kh * g->kw * C, wp = conv_pad_width(g);
    const int npad = (N + COEDGE_GEMM_NR - 1) / COEDGE_GEMM_NR * COEDGE_GEMM_NR;
    const int lda = g->sw * C;
    int32_t *koff = scratch;
    float *pad = (float *)((char *)scratch + conv_koff_bytes(g));
    conv_fill_koff(g, koff);
    const int tpr = (OW + GEMM_MR - 1) / GEMM_MR; /* tiles per output row */
    const int base = OW / tpr, extra = OW % tpr;
    const int strip = conv_strip_rows(g);
    /*
     * Few input channels (one K block) and a large output map (VGG conv1_1: K = 27, 12.8 MB out): the
     * layer is bound by writing its output, and with ordinary stores every line is first read from
     * memory (the map is long gone from the caches by the next inference). Streaming stores skip that
     * read: 2.0-2.2 ms -> 0.85-1.0 ms for conv1_1 with the output not in cache. Full, aligned panels only.
     */
    const int stream = k <= COEDGE_GEMM_KC && N % 16 == 0 && ((uintptr_t)y & 63) == 0
            && (size_t)g->out_h * OW * N * sizeof(float) >= CONV_STREAM_BYTES;
    for (int s0 = r0; s0 < r1; s0 += strip) {
        const int s1 = s0 + strip < r1 ? s0 + strip : r1;
        conv_fill_strip(g, x, x_row0, s0, s1, pad);
        const int tiles = (s1 - s0) * tpr;
        for (int k0 = 0; k0 < k; k0 += COEDGE_GEMM_KSTEP(k)) {
            const int kc = k - k0 < COEDGE_GEMM_KSTEP(k) ? k - k0 : COEDGE_GEMM_KSTEP(k);
            const int first = k0 == 0, last = k0 + kc == k;
            const int32_t *ko = koff + k0;
            for (int t0 = 0; t0 < tiles; t0 += GEMM_TILES_PER_GROUP) {
                const int t1 = t0 + GEMM_TILES_PER_GROUP < tiles ? t0 + GEMM_TILES_PER_GROUP : tiles;
                for (int j = j0; j < j1; j += COEDGE_GEMM_NR) {
                    const int nb = j1 - j < COEDGE_GEMM_NR ? j1 - j : COEDGE_GEMM_NR;
                    __mmask16 m0, m1;
                    __m512 bias0, bias1;
                    panel_masks_bias(nb, bias, j, &m0, &m1, &bias0, &bias1);
                    const float *bpan = bp + (size_t)k0 * npad + (size_t)(j / COEDGE_GEMM_NR) * kc * COEDGE_GEMM_NR;
                    const int st = stream && nb == COEDGE_GEMM_NR;
                    for (int t = t0; t < t1; t++) {
                        const int oy = s0 + t / tpr, tt = t % tpr;
                        const int ox0 = tt * base + (tt < extra ? tt : extra);
                        const int mr = base + (tt < extra);
                        const float *at = pad + ((size_t)(oy - s0) * g->sh * wp + (size_t)ox0 * g->sw) * C;
                        float *ct = y + ((size_t)(oy - y_row0) * OW + ox0) * N + j;
                        const float *rt = res != NULL ? res + ((size_t)(oy - res_row0) * OW + ox0) * N + j : NULL;
                        switch (mr) {
#if GEMM_MR >= 12
                            CONV_TILE_CASE(12)
                            CONV_TILE_CASE(11)
                            CONV_TILE_CASE(10)
                            CONV_TILE_CASE(9)
#endif
                            CONV_TILE_CASE(8)
                            CONV_TILE_CASE(7)
                            CONV_TILE_CASE(6)
                            CONV_TILE_CASE(5)
                            CONV_TILE_CASE(4)
                            CONV_TILE_CASE(3)
                            CONV_TILE_CASE(2)
                            default: gemm_tile(1, kc, at, lda, 1, ko, bpan, ct, N, first, last, m0, m1, bias0, bias1, rt, N, relu, st); break;
                        }
                    }
                }
            }
        }
    }
}

static inline float gemv_dot_tail(const float *wj, const float *x, int p, int k, __m512 acc) {
    if (p < k) {
        const __mmask16 m = (__mmask16)((1u << (k - p)) - 1);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, wj + p), _mm512_maskz_loadu_ps(m, x + p), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

void coedge_f32_gemv_rows__avx512(COEDGE_GEMV_ARGS) {
    int j = 0;
    for (; j + 4 <= rows; j += 4) {
        const float *w0 = w + (size_t)j * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        int p = 0;
        for (; p + 16 <= k; p += 16) {
            const __m512 xv = _mm512_loadu_ps(x + p);
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + p), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + p), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + p), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + p), xv, a3);
        }
        y[j] += alpha * gemv_dot_tail(w0, x, p, k, a0);
        y[j + 1] += alpha * gemv_dot_tail(w1, x, p, k, a1);
        y[j + 2] += alpha * gemv_dot_tail(w2, x, p, k, a2);
        y[j + 3] += alpha * gemv_dot_tail(w3, x, p, k, a3);
    }
    for (; j < rows; j++) {
        const float *wj = w + (size_t)j * ldw;
        __m512 a = _mm512_setzero_ps();
        int p = 0;
        for (; p + 16 <= k; p += 16) a = _mm512_fmadd_ps(_mm512_loadu_ps(wj + p), _mm512_loadu_ps(x + p), a);
        y[j] += alpha * gemv_dot_tail(wj, x, p, k, a);
    }
}
