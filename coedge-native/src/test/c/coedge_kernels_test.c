/*
 * Differential test of every kernel variant this CPU runs against naive C written straight from the
 * operator definitions, over random shapes, odd sizes, one-row bands and bands at the borders. Built
 * for each platform; the aarch64 build runs under qemu-aarch64 so the NEON code is executed.
 * Prints one line per failure and "coedge_kernels_test: N passed, F failed"; exit code 1 on failure.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "coedge_kernels.h"

typedef void (*dw_fn)(COEDGE_DWCONV_ARGS);
typedef void (*max_fn)(COEDGE_MAXPOOL_ARGS);
typedef void (*avg_fn)(COEDGE_AVGPOOL_ARGS);

typedef void (*relu_fn)(COEDGE_RELU_ARGS);
typedef void (*add_fn)(COEDGE_ADD_ARGS);
typedef void (*gap_fn)(COEDGE_GAP_ARGS);
typedef void (*bias_act_fn)(COEDGE_BIAS_ACT_ARGS);

typedef struct {
    const char *name;
    int bit;
    dw_fn dw;
    max_fn maxp;
    avg_fn avgp;
    relu_fn relu;
    add_fn add;
    gap_fn gap;
    bias_act_fn bias_act;
} variant;

static const variant VARIANTS[] = {
    {"scalar", COEDGE_ISA_SCALAR, coedge_f32_dwconv_rows__scalar, coedge_f32_maxpool_rows__scalar, coedge_f32_avgpool_rows__scalar,
     coedge_f32_relu__scalar, coedge_f32_add__scalar, coedge_f32_gap__scalar,
     coedge_f32_bias_act__scalar},
#if defined(__x86_64__)
    {"avx2", COEDGE_ISA_AVX2, coedge_f32_dwconv_rows__avx2, coedge_f32_maxpool_rows__avx2, coedge_f32_avgpool_rows__avx2,
     coedge_f32_relu__avx2, coedge_f32_add__avx2, coedge_f32_gap__avx2,
     coedge_f32_bias_act__avx2},
    {"avx512", COEDGE_ISA_AVX512, coedge_f32_dwconv_rows__avx512, coedge_f32_maxpool_rows__avx512, coedge_f32_avgpool_rows__avx512,
     coedge_f32_relu__avx512, coedge_f32_add__avx512, coedge_f32_gap__avx512,
     coedge_f32_bias_act__avx512},
#endif
#if defined(__aarch64__)
    {"neon", COEDGE_ISA_NEON, coedge_f32_dwconv_rows__neon, coedge_f32_maxpool_rows__neon, coedge_f32_avgpool_rows__neon,
     coedge_f32_relu__neon, coedge_f32_add__neon, coedge_f32_gap__neon,
     coedge_f32_bias_act__neon},
#endif
};

static unsigned long long rng = 88172645463325252ULL;
static unsigned next(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}
static int rnd(int lo, int hi) { return lo + (int)(next() % (unsigned)(hi - lo + 1)); }
static float rndf(void) { return (float)(next() % 20001) / 10000.0f - 1.0f; }

static int passed, failed;

static int out_size(int in, int k, int s, int d, int pb, int pe, int ceil_mode) {
    int span = in + pb + pe - d * (k - 1) - 1;
    if (span < 0) return 0;
    int out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (out - 1) * s >= in + pb) out--;
    return out;
}

/* Value of the full map at (y, x, c), or NAN for padding. */
static float at(const coedge_window *g, const float *full, int y, int x, int c) {
    if (y < 0 || y >= g->in_h || x < 0 || x >= g->in_w) return NAN;
    return full[((size_t)y * g->in_w + x) * g->in_c + c];
}

static void ref_dw(const coedge_window *g, const float *full, const float *w, const float *b, float *y) {
    for (int oy = 0; oy < g->out_h; oy++)
        for (int ox = 0; ox < g->out_w; ox++)
            for (int c = 0; c < g->in_c; c++) {
                double acc = b[c];
                for (int ky = 0; ky < g->kh; ky++)
                    for (int kx = 0; kx < g->kw; kx++) {
                        float v = at(g, full, oy * g->sh - g->pad_top + ky * g->dh, ox * g->sw - g->pad_left + kx * g->dw, c);
                        if (!isnan(v)) acc += (double)v * w[(ky * g->kw + kx) * g->in_c + c];
                    }
                y[((size_t)oy * g->out_w + ox) * g->in_c + c] = (float)acc;
            }
}

static void ref_pool(const coedge_window *g, const float *full, float *y, int avg, int include_pad) {
    for (int oy = 0; oy < g->out_h; oy++)
        for (int ox = 0; ox < g->out_w; ox++)
            for (int c = 0; c < g->in_c; c++) {
                double acc = avg ? 0 : -FLT_MAX;
                int n = 0, npad = 0;
                for (int ky = 0; ky < g->kh; ky++)
                    for (int kx = 0; kx < g->kw; kx++) {
                        int iy = oy * g->sh - g->pad_top + ky * g->dh, ix = ox * g->sw - g->pad_left + kx * g->dw;
                        if (iy < g->in_h + g->pad_bottom && ix < g->in_w + g->pad_right) npad++;
                        float v = at(g, full, iy, ix, c);
                        if (isnan(v)) continue;
                        n++;
                        if (avg) acc += v; else if (v > acc) acc = v;
                    }
                if (avg) acc /= include_pad ? npad : n;
                y[((size_t)oy * g->out_w + ox) * g->in_c + c] = (float)acc;
            }
}

static void check(const char *what, const char *isa, const coedge_window *g, int r0, int r1,
                  const float *expect_full, const float *got_band) {
    size_t row = (size_t)g->out_w * g->out_c;
    double max_ref = 1e-30;
    for (size_t i = (size_t)r0 * row; i < (size_t)r1 * row; i++) max_ref = fmax(max_ref, fabs(expect_full[i]));
    for (size_t i = 0; i < (size_t)(r1 - r0) * row; i++) {
        double e = expect_full[(size_t)r0 * row + i], a = got_band[i];
        if (!(fabs(e - a) <= 1e-5 * fmax(1.0, max_ref))) {
            printf("FAIL %s__%s c=%d %dx%d k=%dx%d s=%d,%d d=%d,%d pads=%d,%d,%d,%d rows[%d,%d) at %zu: %g != %g\n",
                   what, isa, g->in_c, g->in_h, g->in_w, g->kh, g->kw, g->sh, g->sw, g->dh, g->dw,
                   g->pad_top, g->pad_left, g->pad_bottom, g->pad_right, r0, r1, i, a, e);
            failed++;
            return;
        }
    }
    passed++;
}

/* Runs one variant on output rows [r0, r1) given only the input rows they need, as a device would. */
static void run_case(const variant *v, int op, int include_pad, const coedge_window *g, const float *full,
                     const float *w, const float *b, const float *expect, int r0, int r1) {
    int lo = r0 * g->sh - g->pad_top, hi = (r1 - 1) * g->sh - g->pad_top + (g->kh - 1) * g->dh + 1;
    if (lo < 0) lo = 0;
    if (hi > g->in_h) hi = g->in_h;
    if (hi < lo) hi = lo;
    size_t in_row = (size_t)g->in_w * g->in_c, out_row = (size_t)g->out_w * g->out_c;
    float *band = malloc((hi - lo + 1) * in_row * sizeof(float));
    memcpy(band, full + (size_t)lo * in_row, (size_t)(hi - lo) * in_row * sizeof(float));
    float *out = malloc(((size_t)(r1 - r0) * out_row + 1) * sizeof(float));
    const char *what;
    if (op == 0) { v->dw(g, band, lo, w, b, out, r0, r0, r1); what = "coedge_f32_dwconv_rows"; }
    else if (op == 1) { v->maxp(g, band, lo, out, r0, r0, r1); what = "coedge_f32_maxpool_rows"; }
    else { v->avgp(g, band, lo, out, r0, r0, r1, include_pad); what = "coedge_f32_avgpool_rows"; }
    check(what, v->name, g, r0, r1, expect, out);
    free(band);
    free(out);
}

static void im2col_case(void) {
    coedge_window g = {0};
    g.in_c = rnd(1, 9); g.in_h = rnd(1, 9); g.in_w = rnd(1, 9);
    g.kh = rnd(1, 3); g.kw = rnd(1, 3); g.sh = rnd(1, 2); g.sw = rnd(1, 2); g.dh = 1; g.dw = 1;
    g.pad_top = rnd(0, g.kh - 1); g.pad_left = rnd(0, g.kw - 1); g.pad_bottom = g.pad_top; g.pad_right = g.pad_left;
    g.out_h = out_size(g.in_h, g.kh, g.sh, 1, g.pad_top, g.pad_bottom, 0);
    g.out_w = out_size(g.in_w, g.kw, g.sw, 1, g.pad_left, g.pad_right, 0);
    if (g.out_h <= 0 || g.out_w <= 0) return;
    int groups = g.in_c % 3 == 0 ? 3 : 1, cpg = g.in_c / groups, grp = groups - 1;
    size_t n = (size_t)g.in_h * g.in_w * g.in_c;
    float *x = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = rndf();
    int k = g.kh * g.kw * cpg;
    float *col = malloc((size_t)g.out_h * g.out_w * k * sizeof(float));
    coedge_f32_im2col_rows__scalar(&g, x, 0, cpg, grp, 0, g.out_h, col);
    int bad = 0;
    for (int oy = 0; oy < g.out_h; oy++)
        for (int ox = 0; ox < g.out_w; ox++)
            for (int ky = 0; ky < g.kh; ky++)
                for (int kx = 0; kx < g.kw; kx++)
                    for (int c = 0; c < cpg; c++) {
                        float e = at(&g, x, oy * g.sh - g.pad_top + ky, ox * g.sw - g.pad_left + kx, grp * cpg + c);
                        if (isnan(e)) e = 0;
                        if (col[((size_t)oy * g.out_w + ox) * k + (ky * g.kw + kx) * cpg + c] != e) bad = 1;
                    }
    if (bad) { printf("FAIL coedge_f32_im2col_rows__scalar c=%d %dx%d\n", g.in_c, g.in_h, g.in_w); failed++; }
    else passed++;
    free(x);
    free(col);
}

/* Element-wise kernels over odd lengths (vector body plus tail), against plain loops. */
static void elementwise_case(const variant *v) {
    int c = rnd(1, 70), n = rnd(c, 300), pixels = rnd(1, 50);
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    for (int i = 0; i < n; i++) { a[i] = rndf(); b[i] = rndf(); }
    int bad = 0;
    v->relu(a, y, n);
    for (int i = 0; i < n; i++) bad |= y[i] != (a[i] > 0 ? a[i] : 0.0f);
    for (int relu = 0; relu <= 1; relu++) {
        v->add(a, b, y, n, relu);
        for (int i = 0; i < n; i++) {
            float e = a[i] + b[i];
            if (relu && e < 0) e = 0;
            bad |= y[i] != e;
        }
    }
    float *x = malloc((size_t)pixels * c * sizeof(float)), *g = malloc(c * sizeof(float));
    for (int i = 0; i < pixels * c; i++) x[i] = rndf();
    v->gap(x, g, pixels, c);
    for (int ch = 0; ch < c; ch++) {
        double acc = 0;
        for (int p = 0; p < pixels; p++) acc += x[p * c + ch];
        bad |= fabs(acc / pixels - g[ch]) > 1e-5;
    }
    /* Epilogue on a [pixels][c] block inside rows of stride c + 3, every bias/relu combination. */
    int ld = c + 3;
    float *m = malloc((size_t)pixels * ld * sizeof(float)), *m0 = malloc((size_t)pixels * ld * sizeof(float));
    for (int i = 0; i < pixels * ld; i++) m0[i] = rndf();
    for (int mode = 0; mode < 4; mode++) {
        const int with_bias = mode & 1, relu = mode >> 1;
        for (int i = 0; i < pixels * ld; i++) m[i] = m0[i];
        v->bias_act(m, pixels, c, ld, with_bias ? b : NULL, relu);
        for (int p = 0; p < pixels; p++) {
            for (int j = 0; j < ld; j++) {
                float e = m0[p * ld + j];
                if (j < c) {
                    if (with_bias) e += b[j];
                    if (relu && e < 0) e = 0;
                }
                bad |= m[p * ld + j] != e;
            }
        }
    }
    if (bad) { printf("FAIL elementwise__%s n=%d c=%d pixels=%d\n", v->name, n, c, pixels); failed++; }
    else passed++;
    free(a); free(b); free(y); free(x); free(g); free(m); free(m0);
}

typedef void (*gemm_fn)(COEDGE_GEMM_ARGS);

/* Packs [k][n] row-major b as coedge_kernels.h lays it out for the packed GEMM. */
static float *pack_gemm_weights(const float *b, int k, int n) {
    const int npad = (n + COEDGE_GEMM_NR - 1) / COEDGE_GEMM_NR * COEDGE_GEMM_NR;
    float *bp = aligned_alloc(64, ((size_t)k * npad * sizeof(float) + 63) / 64 * 64);
    for (int k0 = 0; k0 < k; k0 += COEDGE_GEMM_KSTEP(k)) {
        const int kc = k - k0 < COEDGE_GEMM_KSTEP(k) ? k - k0 : COEDGE_GEMM_KSTEP(k);
        for (int p = 0; p < npad / COEDGE_GEMM_NR; p++)
            for (int kk = 0; kk < kc; kk++)
                for (int jj = 0; jj < COEDGE_GEMM_NR; jj++) {
                    const int j = p * COEDGE_GEMM_NR + jj;
                    bp[(size_t)k0 * npad + (size_t)p * kc * COEDGE_GEMM_NR + (size_t)kk * COEDGE_GEMM_NR + jj] =
                        j < n ? b[(size_t)(k0 + kk) * n + j] : 0.0f;
                }
    }
    return bp;
}

/* One random GEMM (sizes around the tile and block edges), a column range, every bias/relu mode. */
static void gemm_case(const char *isa, gemm_fn f) {
    const int m = rnd(1, 40), k = rnd(1, 3) == 1 ? rnd(COEDGE_GEMM_KC - 2, 2 * COEDGE_GEMM_KC + 3) : rnd(1, 70);
    const int n = rnd(1, 100), lda = k + rnd(0, 3), ldc = n + rnd(0, 3);
    const int j0 = COEDGE_GEMM_NR * rnd(0, (n - 1) / COEDGE_GEMM_NR), j1 = rnd(j0 + 1, n);
    float *a = malloc((size_t)m * lda * sizeof(float)), *b = malloc((size_t)k * n * sizeof(float));
    float *bias = malloc(n * sizeof(float)), *c = malloc((size_t)m * ldc * sizeof(float));
    for (int i = 0; i < m * lda; i++) a[i] = rndf();
    for (int i = 0; i < k * n; i++) b[i] = rndf();
    for (int i = 0; i < n; i++) bias[i] = rndf();
    float *bp = pack_gemm_weights(b, k, n);
    int bad = 0;
    const int ldr = n + rnd(0, 2);
    float *res = malloc((size_t)m * ldr * sizeof(float));
    for (int i = 0; i < m * ldr; i++) res[i] = rndf();
    for (int mode = 0; mode < 8; mode++) {
        const int with_bias = mode & 1, relu = (mode >> 1) & 1, with_res = mode >> 2;
        for (int i = 0; i < m * ldc; i++) c[i] = 7.0f;
        f(m, k, a, lda, bp, n, j0, j1, c, ldc, with_bias ? bias : NULL, with_res ? res : NULL, ldr, relu);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < ldc; j++) {
                const float got = c[(size_t)i * ldc + j];
                if (j < j0 || j >= j1) { bad |= got != 7.0f; continue; }
                double e = (with_bias ? bias[j] : 0.0) + (with_res ? res[(size_t)i * ldr + j] : 0.0);
                for (int p = 0; p < k; p++) e += (double)a[(size_t)i * lda + p] * b[(size_t)p * n + j];
                if (relu && e < 0) e = 0;
                bad |= fabs(e - got) > 1e-5 * (1.0 + sqrt((double)k));
            }
        }
    }
    if (bad) { printf("FAIL gemm_packed__%s m=%d k=%d n=%d cols=[%d,%d)\n", isa, m, k, n, j0, j1); failed++; }
    else passed++;
    free(a); free(b); free(bias); free(c); free(bp); free(res);
}

typedef void (*conv_fn)(COEDGE_CONV_ARGS);

/*
 * One random ungrouped convolution through the direct kernel against the naive definition: odd sizes,
 * strides 1-4, height dilation, every padding up to kernel - 1 (bottom/right independent of top/left),
 * patches past one K block, input bands holding only the rows needed (top, bottom, one-row and middle
 * bands), a column range, every bias/residual/relu mode.
 */
static void conv_case(const char *isa, conv_fn f, const coedge_window *fixed) {
    coedge_window g = {0};
    const int wide = rnd(0, 3) == 0;
    if (fixed != NULL) {
        g = *fixed;
    } else {
        g.in_c = wide ? rnd(20, 40) : rnd(1, 9); g.in_h = rnd(1, 14); g.in_w = rnd(1, 27);
        g.kh = rnd(1, wide ? 3 : 11); g.kw = rnd(1, wide ? 3 : 11);
        g.sh = rnd(1, 4); g.sw = rnd(1, 4); g.dh = rnd(1, 3) == 1 ? 2 : 1; g.dw = 1;
        g.pad_top = rnd(0, g.kh - 1); g.pad_left = rnd(0, g.kw - 1);
        g.pad_bottom = rnd(0, g.kh - 1); g.pad_right = rnd(0, g.kw - 1);
        g.out_h = out_size(g.in_h, g.kh, g.sh, g.dh, g.pad_top, g.pad_bottom, 0);
        g.out_w = out_size(g.in_w, g.kw, g.sw, 1, g.pad_left, g.pad_right, 0);
        g.out_c = rnd(1, 100);
    }
    if (g.out_h <= 0 || g.out_w <= 0) { conv_case(isa, f, NULL); return; }
    const int k = g.kh * g.kw * g.in_c, n = g.out_c, OW = g.out_w;
    size_t nx = (size_t)g.in_h * g.in_w * g.in_c, ny = (size_t)g.out_h * OW * n;
    float *x = malloc(nx * sizeof(float)), *w = malloc((size_t)k * n * sizeof(float)), *bias = malloc(n * sizeof(float));
    /* 64-byte aligned output, as the Java side allocates it (the streamed stores need it). */
    float *res = malloc(ny * sizeof(float)), *y = aligned_alloc(64, (ny * sizeof(float) + 63) / 64 * 64);
    double *expect = malloc(ny * sizeof(double));
    for (size_t i = 0; i < nx; i++) x[i] = rndf();
    for (int i = 0; i < k * n; i++) w[i] = rndf();
    for (int i = 0; i < n; i++) bias[i] = rndf();
    for (size_t i = 0; i < ny; i++) res[i] = rndf();
    for (int oy = 0; oy < g.out_h; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int j = 0; j < n; j++) {
                double e = 0;
                for (int ky = 0; ky < g.kh; ky++)
                    for (int kx = 0; kx < g.kw; kx++)
                        for (int c = 0; c < g.in_c; c++) {
                            float v = at(&g, x, oy * g.sh - g.pad_top + ky * g.dh, ox * g.sw - g.pad_left + kx, c);
                            if (!isnan(v)) e += (double)v * w[(size_t)((ky * g.kw + kx) * g.in_c + c) * n + j];
                        }
                expect[((size_t)oy * OW + ox) * n + j] = e;
            }
    float *bp = pack_gemm_weights(w, k, n);
    void *scratch = aligned_alloc(64, ((size_t)coedge_f32_conv_scratch_bytes(&g) + 63) / 64 * 64);
    const int mid = rnd(0, g.out_h - 1);
    const int bands[5][2] = {{0, g.out_h}, {0, 1}, {g.out_h - 1, g.out_h}, {mid, g.out_h}, {mid, mid + 1}};
    int bad = 0;
    for (int bnd = 0; bnd < 5; bnd++) {
        const int r0 = bands[bnd][0], r1 = bands[bnd][1];
        /* The input band holds just the rows the output rows read (clipped to the map). */
        int lo = r0 * g.sh - g.pad_top, hi = (r1 - 1) * g.sh - g.pad_top + (g.kh - 1) * g.dh + 1;
        if (lo < 0) lo = 0;
        if (hi > g.in_h) hi = g.in_h;
        if (hi < lo) hi = lo;
        float *band = malloc(((size_t)(hi - lo) * g.in_w * g.in_c + 1) * sizeof(float));
        memcpy(band, x + (size_t)lo * g.in_w * g.in_c, (size_t)(hi - lo) * g.in_w * g.in_c * sizeof(float));
        const int j0 = COEDGE_GEMM_NR * rnd(0, (n - 1) / COEDGE_GEMM_NR), j1 = rnd(j0 + 1, n);
        const int mode = rnd(0, 7), with_bias = mode & 1, relu = (mode >> 1) & 1, with_res = mode >> 2;
        float *yb = y + (size_t)r0 * OW * n;
        for (size_t i = 0; i < (size_t)(r1 - r0) * OW * n; i++) yb[i] = 7.0f;
        f(&g, band, lo, bp, with_bias ? bias : NULL, yb, r0, with_res ? res + (size_t)r0 * OW * n : NULL, r0, relu,
          r0, r1, j0, j1, scratch);
        for (int oy = r0; oy < r1; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int j = 0; j < n; j++) {
                    const size_t i = ((size_t)oy * OW + ox) * n + j;
                    if (j < j0 || j >= j1) { bad |= y[i] != 7.0f; continue; }
                    double e = expect[i] + (with_bias ? bias[j] : 0.0) + (with_res ? res[i] : 0.0);
                    if (relu && e < 0) e = 0;
                    bad |= fabs(e - y[i]) > 1e-5 * (1.0 + sqrt((double)k));
                }
        free(band);
    }
    if (bad) {
        printf("FAIL conv_packed__%s c=%d %dx%d m=%d k=%dx%d s=%d,%d d=%d pads=%d,%d,%d,%d\n", isa, g.in_c, g.in_h, g.in_w,
               n, g.kh, g.kw, g.sh, g.sw, g.dh, g.pad_top, g.pad_left, g.pad_bottom, g.pad_right);
        failed++;
    } else {
        passed++;
    }
    free(x); free(w); free(bias); free(res); free(y); free(expect); free(bp); free(scratch);
}

typedef void (*gemv_fn)(COEDGE_GEMV_ARGS);

static void gemv_case(const char *isa, gemv_fn f) {
    const int rows = rnd(1, 13), k = rnd(1, 100), ldw = k + rnd(0, 3);
    const float alpha = rndf();
    float *w = malloc((size_t)rows * ldw * sizeof(float)), *x = malloc(k * sizeof(float));
    float *y = malloc(rows * sizeof(float)), *y0 = malloc(rows * sizeof(float));
    for (int i = 0; i < rows * ldw; i++) w[i] = rndf();
    for (int i = 0; i < k; i++) x[i] = rndf();
    for (int i = 0; i < rows; i++) y[i] = y0[i] = rndf();
    f(w, ldw, x, k, y, rows, alpha);
    int bad = 0;
    for (int j = 0; j < rows; j++) {
        double e = 0;
        for (int p = 0; p < k; p++) e += (double)w[(size_t)j * ldw + p] * x[p];
        e = y0[j] + alpha * e;
        bad |= fabs(e - y[j]) > 1e-5 * (1.0 + sqrt((double)k));
    }
    if (bad) { printf("FAIL gemv_rows__%s rows=%d k=%d\n", isa, rows, k); failed++; }
    else passed++;
    free(w); free(x); free(y); free(y0);
}

int main(void) {
    int isas = coedge_cpu_isas();
    if (coedge_abi_version() != COEDGE_ABI_VERSION) { printf("FAIL abi version\n"); return 1; }
    for (size_t i = 0; i < sizeof VARIANTS / sizeof VARIANTS[0]; i++)
        if (!(isas & VARIANTS[i].bit)) printf("SKIP %s: this CPU lacks it\n", VARIANTS[i].name);
    for (int iter = 0; iter < 60; iter++) {
        coedge_window g = {0};
        int op = iter % 3;
        g.in_c = iter < 6 ? 64 : rnd(1, 37);
        g.in_h = rnd(1, 13); g.in_w = rnd(1, 13);
        g.kh = rnd(1, 5); g.kw = rnd(1, 5);
        g.sh = rnd(1, 3); g.sw = rnd(1, 3);
        g.dh = op == 0 ? rnd(1, 2) : 1; g.dw = op == 0 ? rnd(1, 2) : 1;
        g.pad_top = rnd(0, g.kh - 1); g.pad_left = rnd(0, g.kw - 1);
        g.pad_bottom = rnd(0, g.kh - 1); g.pad_right = rnd(0, g.kw - 1);
        int ceil_mode = op != 0 && rnd(0, 1);
        g.out_h = out_size(g.in_h, g.kh, g.sh, g.dh, g.pad_top, g.pad_bottom, ceil_mode);
        g.out_w = out_size(g.in_w, g.kw, g.sw, g.dw, g.pad_left, g.pad_right, ceil_mode);
        g.out_c = g.in_c;
        if (g.out_h <= 0 || g.out_w <= 0) { iter--; continue; }
        int include_pad = rnd(0, 1);
        size_t n = (size_t)g.in_h * g.in_w * g.in_c, no = (size_t)g.out_h * g.out_w * g.out_c;
        float *x = malloc(n * sizeof(float)), *w = malloc((size_t)g.kh * g.kw * g.in_c * sizeof(float));
        float *b = malloc(g.in_c * sizeof(float)), *expect = malloc(no * sizeof(float));
        for (size_t i = 0; i < n; i++) x[i] = rndf();
        for (int i = 0; i < g.kh * g.kw * g.in_c; i++) w[i] = rndf();
        for (int i = 0; i < g.in_c; i++) b[i] = rndf();
        if (op == 0) ref_dw(&g, x, w, b, expect); else ref_pool(&g, x, expect, op == 2, include_pad);
        int mid = rnd(0, g.out_h - 1);
        int bands[4][2] = {{0, g.out_h}, {0, 1}, {g.out_h - 1, g.out_h}, {mid, g.out_h}};
        for (size_t i = 0; i < sizeof VARIANTS / sizeof VARIANTS[0]; i++) {
            if (!(isas & VARIANTS[i].bit)) continue;
            for (int bnd = 0; bnd < 4; bnd++)
                run_case(&VARIANTS[i], op, include_pad, &g, x, w, b, expect, bands[bnd][0], bands[bnd][1]);
        }
        free(x); free(w); free(b); free(expect);
    }
    for (int i = 0; i < 20; i++) im2col_case();
    for (size_t i = 0; i < sizeof VARIANTS / sizeof VARIANTS[0]; i++)
        if (isas & VARIANTS[i].bit)
            for (int k = 0; k < 20; k++) elementwise_case(&VARIANTS[i]);
    for (int i = 0; i < 30; i++) gemm_case("scalar", coedge_f32_gemm_packed__scalar);
    for (int i = 0; i < 30; i++) gemv_case("scalar", coedge_f32_gemv_rows__scalar);
    for (int i = 0; i < 40; i++) conv_case("scalar", coedge_f32_conv_packed__scalar, NULL);
#if defined(__x86_64__)
    if (isas & COEDGE_ISA_AVX512) for (int i = 0; i < 30; i++) gemm_case("avx512", coedge_f32_gemm_packed__avx512);
    if (isas & COEDGE_ISA_AVX512) for (int i = 0; i < 30; i++) gemv_case("avx512", coedge_f32_gemv_rows__avx512);
    if (isas & COEDGE_ISA_AVX512) {
        for (int i = 0; i < 80; i++) conv_case("avx512", coedge_f32_conv_packed__avx512, NULL);
        /* A 3-channel stem with a 4.3 MB output: the kernel writes it with streaming stores. */
        const coedge_window stem = {.in_c = 3, .in_h = 130, .in_w = 130, .out_c = 64, .out_h = 130, .out_w = 130,
            .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
        conv_case("avx512", coedge_f32_conv_packed__avx512, &stem);
    }
#endif
    printf("coedge_kernels_test: %d passed, %d failed (isas=0x%x)\n", passed, failed, isas);
    return failed ? 1 : 0;
}
