/*
 * CoEdge kernel library: the whole ABI Java sees (bound through Panama FFM in
 * io.coedge.kernels.NativeLibrary; keep the two in step and bump COEDGE_ABI_VERSION on any change).
 *
 * Feature maps are float32 NHWC with batch 1. A kernel computes output rows [r0, r1) of a layer from
 * an input band: x holds full-map rows [x_row0, x_row0 + rows), y holds rows from y_row0 on. Window
 * positions outside the full map are padding. Every kernel exists once per instruction set, named
 * coedge_f32_<op>_rows__<isa>; the Java side picks one variant at load from coedge_cpu_isas().
 */
#ifndef COEDGE_KERNELS_H
#define COEDGE_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COEDGE_ABI_VERSION 4

/* Bits of coedge_cpu_isas(). */
#define COEDGE_ISA_SCALAR 1
#define COEDGE_ISA_AVX2 2   /* AVX2 + FMA */
#define COEDGE_ISA_AVX512 4 /* AVX-512F */
#define COEDGE_ISA_NEON 8   /* AArch64 Advanced SIMD */

/* Geometry of a sliding-window layer (conv, pooling). Sixteen int32 values, in this order. */
typedef struct coedge_window {
    int32_t in_c, in_h, in_w;
    int32_t out_c, out_h, out_w;
    int32_t kh, kw;
    int32_t sh, sw;
    int32_t dh, dw;
    int32_t pad_top, pad_left, pad_bottom, pad_right;
} coedge_window;

int32_t coedge_abi_version(void);

/* ISAs compiled into this library that this CPU (and OS) can run. */
int32_t coedge_cpu_isas(void);

/*
 * Depthwise convolution (group == in_c == out_c). w is [kh * kw][c], bias [c] (zeros when absent).
 */
#define COEDGE_DWCONV_ARGS const coedge_window *g, const float *x, int32_t x_row0, const float *w, \
    const float *bias, float *y, int32_t y_row0, int32_t r0, int32_t r1

/* Max pooling; padding never wins. */
#define COEDGE_MAXPOOL_ARGS const coedge_window *g, const float *x, int32_t x_row0, float *y, \
    int32_t y_row0, int32_t r0, int32_t r1

/*
 * Average pooling. count_include_pad != 0: divide by the window's cells inside the padded map
 * (ONNX/PyTorch rule, cells past the bottom/right padding from ceil_mode excluded); else by the
 * cells inside the map.
 */
#define COEDGE_AVGPOOL_ARGS const coedge_window *g, const float *x, int32_t x_row0, float *y, \
    int32_t y_row0, int32_t r0, int32_t r1, int32_t count_include_pad

/*
 * im2col of output rows [r0, r1) for one group: col is [(r1 - r0) * out_w][kh * kw * cpg] with the
 * window in (ky, kx, c) order; padding becomes zero. cpg = channels per group.
 */
#define COEDGE_IM2COL_ARGS const coedge_window *g, const float *x, int32_t x_row0, int32_t cpg, \
    int32_t group, int32_t r0, int32_t r1, float *col

/* y[i] = max(x[i], 0) for n contiguous floats (x == y allowed). */
#define COEDGE_RELU_ARGS const float *x, float *y, int64_t n

/* y[i] = a[i] + b[i], then max(., 0) when relu != 0 (same-shape residual adds). */
#define COEDGE_ADD_ARGS const float *a, const float *b, float *y, int64_t n, int32_t relu

/* Global average pooling of an NHWC map: y[c] = mean over pixels of x[p][c]. */
#define COEDGE_GAP_ARGS const float *x, float *y, int32_t pixels, int32_t c

/*
 * Convolution epilogue on a [rows][n] block of a matrix with row stride ldy (floats):
 * y[r][j] = y[r][j] + bias[j] (bias may be NULL), then max(., 0) when relu != 0. One pass over a tile
 * the GEMM has just written, while it is still in cache.
 */
#define COEDGE_BIAS_ACT_ARGS float *y, int64_t rows, int32_t n, int32_t ldy, const float *bias, int32_t relu

/*
 * Convolution GEMM on weights packed once: C[i][j] = act(sum_k A[i][k] * B[k][j] + bias[j]) for
 * i < m and j in [j0, j1). A is [m][k] with row stride lda; C has row stride ldc and c, bias point at
 * column 0. B ([k][n]) is packed in blocks of kstep = COEDGE_GEMM_KSTEP(k) rows (the last may be
 * shorter), each block holding panels of COEDGE_GEMM_NR columns: B[k][j] is at
 * bp[k0 * npad + p * kc * NR + (k - k0) * NR + (j - p * NR)] with k0 = k - k % kstep,
 * kc = min(kstep, K - k0), p = j / NR, npad = n rounded up to NR, zeros past n. j0 is a multiple of
 * NR. res, when not NULL, is added before the clamp: res[i * ldr + j] (a residual connection fused in).
 * bias may be NULL; relu != 0 clamps at zero.
 */
#define COEDGE_GEMM_KC 256
/* Rows per block: at most KC, the blocks as even as possible (576 = 3 x 192, not 256 + 256 + 64). */
#define COEDGE_GEMM_KSTEP(k) (((k) + ((k) + COEDGE_GEMM_KC - 1) / COEDGE_GEMM_KC - 1) / (((k) + COEDGE_GEMM_KC - 1) / COEDGE_GEMM_KC))
#define COEDGE_GEMM_NR 32
#define COEDGE_GEMM_ARGS int32_t m, int32_t k, const float *a, int32_t lda, const float *bp, int32_t n, \
    int32_t j0, int32_t j1, float *c, int32_t ldc, const float *bias, const float *res, int32_t ldr, int32_t relu

/*
 * Convolution without im2col (ungrouped, dw == 1) on weights packed as for the packed GEMM, B being
 * the [kh * kw * in_c][out_c] weight matrix with the window in (ky, kx, c) order: output rows [r0, r1),
 * columns [j0, j1) (j0 a multiple of NR) of y, which holds rows from y_row0 with row stride
 * out_w * out_c. The kernel copies the input rows a strip of output rows reads into scratch, padded
 * with zeros, and multiplies straight from there: every output pixel's window is then one run of
 * kw * in_c floats per window row, so there is no im2col matrix to write and read back. res, when not
 * NULL, holds rows from res_row0 (same shape as y) and is added before the clamp. scratch must hold
 * coedge_f32_conv_scratch_bytes(g) bytes, 64-byte aligned.
 */
#define COEDGE_CONV_ARGS const coedge_window *g, const float *x, int32_t x_row0, const float *bp, const float *bias, \
    float *y, int32_t y_row0, const float *res, int32_t res_row0, int32_t relu, int32_t r0, int32_t r1, int32_t j0, \
    int32_t j1, void *scratch
int64_t coedge_f32_conv_scratch_bytes(const coedge_window *g);
void coedge_f32_conv_packed__scalar(COEDGE_CONV_ARGS);
#if defined(__x86_64__)
void coedge_f32_conv_packed__avx512(COEDGE_CONV_ARGS);
#endif

#define COEDGE_DECLARE_ISA(isa) \
    void coedge_f32_dwconv_rows__##isa(COEDGE_DWCONV_ARGS); \
    void coedge_f32_maxpool_rows__##isa(COEDGE_MAXPOOL_ARGS); \
    void coedge_f32_avgpool_rows__##isa(COEDGE_AVGPOOL_ARGS); \
    void coedge_f32_relu__##isa(COEDGE_RELU_ARGS); \
    void coedge_f32_add__##isa(COEDGE_ADD_ARGS); \
    void coedge_f32_gap__##isa(COEDGE_GAP_ARGS); \
    void coedge_f32_bias_act__##isa(COEDGE_BIAS_ACT_ARGS);

COEDGE_DECLARE_ISA(scalar)
#if defined(__x86_64__)
COEDGE_DECLARE_ISA(avx2)
COEDGE_DECLARE_ISA(avx512)
#endif
#if defined(__aarch64__)
COEDGE_DECLARE_ISA(neon)
#endif

/*
 * Fully connected layer with one input row: y[j] += alpha * sum_k w[j * ldw + k] * x[k] for j < rows
 * (w row-major [rows][k], as ONNX/PyTorch store a Gemm weight with transB = 1). Memory-bound on w,
 * which is streamed once, four rows at a time.
 */
#define COEDGE_GEMV_ARGS const float *w, int32_t ldw, const float *x, int32_t k, float *y, int32_t rows, float alpha
void coedge_f32_gemv_rows__scalar(COEDGE_GEMV_ARGS);
#if defined(__x86_64__)
void coedge_f32_gemv_rows__avx512(COEDGE_GEMV_ARGS);
#endif

/* The packed GEMM exists as the portable twin and for AVX-512 (other ISAs use OpenBLAS). */
void coedge_f32_gemm_packed__scalar(COEDGE_GEMM_ARGS);
#if defined(__x86_64__)
void coedge_f32_gemm_packed__avx512(COEDGE_GEMM_ARGS);
#endif

/* Memory-bound packing: one portable variant. */
void coedge_f32_im2col_rows__scalar(COEDGE_IM2COL_ARGS);

/*
 * Strided copy of rows floats-runs: dst[r * ldd + j] = src[r * lds + j] for r < rows, j < n. A
 * channel concat of NHWC maps is one call per input (rows = pixels). Memory-bound: one variant.
 */
#define COEDGE_COPY_ROWS_ARGS float *dst, int32_t ldd, const float *src, int32_t lds, int64_t rows, int32_t n
void coedge_f32_copy_rows__scalar(COEDGE_COPY_ROWS_ARGS);

#ifdef __cplusplus
}
#endif
#endif
