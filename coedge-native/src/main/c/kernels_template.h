/*
 * Row kernels written once against a small vector vocabulary; each ISA file defines the vocabulary
 * and COEDGE_ISA, then includes this file, so every variant is compiled with its own flags.
 *
 * Needs: VEC, VLEN, VLOAD(p), VSTORE(p, v), VSET1(f), VADD(a, b), VMUL(a, b), VFMA(a, b, acc) = a*b+acc,
 * VMAX(a, b).
 */
#include <float.h>
#include <stddef.h>
#include "coedge_kernels.h"

#define COEDGE_CAT_(a, b) a##__##b
#define COEDGE_CAT(a, b) COEDGE_CAT_(a, b)
#define COEDGE_NAME(k) COEDGE_CAT(k, COEDGE_ISA)

void COEDGE_NAME(coedge_f32_dwconv_rows)(COEDGE_DWCONV_ARGS) {
    const int C = g->in_c, W = g->in_w, OW = g->out_w;
    for (int oy = r0; oy < r1; oy++) {
        /* Rows of the window inside the map, found once per output row. */
        int ky0 = 0, ky1 = g->kh;
        while (ky0 < ky1 && oy * g->sh - g->pad_top + ky0 * g->dh < 0) ky0++;
        while (ky1 > ky0 && oy * g->sh - g->pad_top + (ky1 - 1) * g->dh >= g->in_h) ky1--;
        for (int ox = 0; ox < OW; ox++) {
            float *o = y + ((size_t)(oy - y_row0) * OW + ox) * C;
            int kx0 = 0, kx1 = g->kw;
            while (kx0 < kx1 && ox * g->sw - g->pad_left + kx0 * g->dw < 0) kx0++;
            while (kx1 > kx0 && ox * g->sw - g->pad_left + (kx1 - 1) * g->dw >= W) kx1--;
            int c = 0;
            for (; c + VLEN <= C; c += VLEN) {
                VEC acc = VLOAD(bias + c);
                for (int ky = ky0; ky < ky1; ky++) {
                    const int iy = oy * g->sh - g->pad_top + ky * g->dh - x_row0;
                    for (int kx = kx0; kx < kx1; kx++) {
                        const int ix = ox * g->sw - g->pad_left + kx * g->dw;
                        acc = VFMA(VLOAD(x + ((size_t)iy * W + ix) * C + c), VLOAD(w + (size_t)(ky * g->kw + kx) * C + c), acc);
                    }
                }
                VSTORE(o + c, acc);
            }
            for (; c < C; c++) {
                float acc = bias[c];
                for (int ky = ky0; ky < ky1; ky++) {
                    const int iy = oy * g->sh - g->pad_top + ky * g->dh - x_row0;
                    for (int kx = kx0; kx < kx1; kx++) {
                        const int ix = ox * g->sw - g->pad_left + kx * g->dw;
                        acc += x[((size_t)iy * W + ix) * C + c] * w[(size_t)(ky * g->kw + kx) * C + c];
                    }
                }
                o[c] = acc;
            }
        }
    }
}

void COEDGE_NAME(coedge_f32_maxpool_rows)(COEDGE_MAXPOOL_ARGS) {
    const int C = g->in_c, W = g->in_w, OW = g->out_w;
    const ptrdiff_t row_stride = (ptrdiff_t)g->dh * W * C, cell_stride = (ptrdiff_t)g->dw * C;
    for (int oy = r0; oy < r1; oy++) {
        int ky0 = 0, ky1 = g->kh;
        while (ky0 < ky1 && oy * g->sh - g->pad_top + ky0 * g->dh < 0) ky0++;
        while (ky1 > ky0 && oy * g->sh - g->pad_top + (ky1 - 1) * g->dh >= g->in_h) ky1--;
        const int iy0 = oy * g->sh - g->pad_top + ky0 * g->dh - x_row0;
        for (int ox = 0; ox < OW; ox++) {
            float *o = y + ((size_t)(oy - y_row0) * OW + ox) * C;
            int kx0 = 0, kx1 = g->kw;
            while (kx0 < kx1 && ox * g->sw - g->pad_left + kx0 * g->dw < 0) kx0++;
            while (kx1 > kx0 && ox * g->sw - g->pad_left + (kx1 - 1) * g->dw >= W) kx1--;
            const int ny = ky1 - ky0, nx = kx1 - kx0;
            /* First cell of the window inside the map; the rest are whole rows/cells away. */
            const float *first = x + ((ptrdiff_t)iy0 * W + ox * g->sw - g->pad_left + kx0 * g->dw) * C;
            int c = 0;
            /* Four vectors of channels at a time, their maxima kept in registers over the window. */
            for (; c + 4 * VLEN <= C; c += 4 * VLEN) {
                VEC a0 = VSET1(-FLT_MAX), a1 = a0, a2 = a0, a3 = a0;
                for (int ky = 0; ky < ny; ky++) {
                    const float *p = first + ky * row_stride + c;
                    for (int kx = 0; kx < nx; kx++, p += cell_stride) {
                        a0 = VMAX(a0, VLOAD(p));
                        a1 = VMAX(a1, VLOAD(p + VLEN));
                        a2 = VMAX(a2, VLOAD(p + 2 * VLEN));
                        a3 = VMAX(a3, VLOAD(p + 3 * VLEN));
                    }
                }
                VSTORE(o + c, a0);
                VSTORE(o + c + VLEN, a1);
                VSTORE(o + c + 2 * VLEN, a2);
                VSTORE(o + c + 3 * VLEN, a3);
            }
            for (; c + VLEN <= C; c += VLEN) {
                VEC acc = VSET1(-FLT_MAX);
                for (int ky = 0; ky < ny; ky++) {
                    const float *p = first + ky * row_stride + c;
                    for (int kx = 0; kx < nx; kx++, p += cell_stride) acc = VMAX(acc, VLOAD(p));
                }
                VSTORE(o + c, acc);
            }
            for (; c < C; c++) {
                float acc = -FLT_MAX;
                for (int ky = 0; ky < ny; ky++) {
                    const float *p = first + ky * row_stride + c;
                    for (int kx = 0; kx < nx; kx++, p += cell_stride) acc = *p > acc ? *p : acc;
                }
                o[c] = acc;
            }
        }
    }
}

void COEDGE_NAME(coedge_f32_avgpool_rows)(COEDGE_AVGPOOL_ARGS) {
    const int C = g->in_c, W = g->in_w, OW = g->out_w;
    for (int oy = r0; oy < r1; oy++) {
        const int y0 = oy * g->sh - g->pad_top;
        int ky0 = 0, ky1 = g->kh;
        while (ky0 < ky1 && y0 + ky0 * g->dh < 0) ky0++;
        while (ky1 > ky0 && y0 + (ky1 - 1) * g->dh >= g->in_h) ky1--;
        /* Cells inside the padded map, for count_include_pad. */
        int py1 = g->kh;
        while (py1 > 0 && y0 + (py1 - 1) * g->dh >= g->in_h + g->pad_bottom) py1--;
        for (int ox = 0; ox < OW; ox++) {
            float *o = y + ((size_t)(oy - y_row0) * OW + ox) * C;
            const int x0 = ox * g->sw - g->pad_left;
            int kx0 = 0, kx1 = g->kw;
            while (kx0 < kx1 && x0 + kx0 * g->dw < 0) kx0++;
            while (kx1 > kx0 && x0 + (kx1 - 1) * g->dw >= W) kx1--;
            int px1 = g->kw;
            while (px1 > 0 && x0 + (px1 - 1) * g->dw >= W + g->pad_right) px1--;
            const int cells = count_include_pad ? py1 * px1 : (ky1 - ky0) * (kx1 - kx0);
            const float scale = cells > 0 ? 1.0f / (float)cells : 0.0f;
            const VEC vscale = VSET1(scale);
            int c = 0;
            for (; c + VLEN <= C; c += VLEN) {
                VEC acc = VSET1(0.0f);
                for (int ky = ky0; ky < ky1; ky++) {
                    const int iy = y0 + ky * g->dh - x_row0;
                    for (int kx = kx0; kx < kx1; kx++) {
                        acc = VADD(acc, VLOAD(x + ((size_t)iy * W + x0 + kx * g->dw) * C + c));
                    }
                }
                VSTORE(o + c, VMUL(acc, vscale));
            }
            for (; c < C; c++) {
                float acc = 0.0f;
                for (int ky = ky0; ky < ky1; ky++) {
                    const int iy = y0 + ky * g->dh - x_row0;
                    for (int kx = kx0; kx < kx1; kx++) {
                        acc += x[((size_t)iy * W + x0 + kx * g->dw) * C + c];
                    }
                }
                o[c] = acc * scale;
            }
        }
    }
}

void COEDGE_NAME(coedge_f32_relu)(COEDGE_RELU_ARGS) {
    const VEC zero = VSET1(0.0f);
    int64_t i = 0;
    for (; i + VLEN <= n; i += VLEN) VSTORE(y + i, VMAX(VLOAD(x + i), zero));
    for (; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void COEDGE_NAME(coedge_f32_add)(COEDGE_ADD_ARGS) {
    int64_t i = 0;
    if (relu) {
        const VEC zero = VSET1(0.0f);
        for (; i + VLEN <= n; i += VLEN) VSTORE(y + i, VMAX(VADD(VLOAD(a + i), VLOAD(b + i)), zero));
        for (; i < n; i++) {
            const float v = a[i] + b[i];
            y[i] = v > 0.0f ? v : 0.0f;
        }
    } else {
        for (; i + VLEN <= n; i += VLEN) VSTORE(y + i, VADD(VLOAD(a + i), VLOAD(b + i)));
        for (; i < n; i++) y[i] = a[i] + b[i];
    }
}

void COEDGE_NAME(coedge_f32_gap)(COEDGE_GAP_ARGS) {
    const float scale = pixels > 0 ? 1.0f / (float)pixels : 0.0f;
    int ch = 0;
    for (; ch + VLEN <= c; ch += VLEN) {
        VEC acc = VSET1(0.0f);
        for (int p = 0; p < pixels; p++) acc = VADD(acc, VLOAD(x + (size_t)p * c + ch));
        VSTORE(y + ch, VMUL(acc, VSET1(scale)));
    }
    for (; ch < c; ch++) {
        float acc = 0.0f;
        for (int p = 0; p < pixels; p++) acc += x[(size_t)p * c + ch];
        y[ch] = acc * scale;
    }
}

void COEDGE_NAME(coedge_f32_bias_act)(COEDGE_BIAS_ACT_ARGS) {
    const VEC zero = VSET1(0.0f);
    for (int64_t r = 0; r < rows; r++) {
        float *o = y + (size_t)r * (size_t)ldy;
        int j = 0;
        if (bias != NULL && relu) {
            for (; j + VLEN <= n; j += VLEN) VSTORE(o + j, VMAX(VADD(VLOAD(o + j), VLOAD(bias + j)), zero));
            for (; j < n; j++) {
                const float v = o[j] + bias[j];
                o[j] = v > 0.0f ? v : 0.0f;
            }
        } else if (bias != NULL) {
            for (; j + VLEN <= n; j += VLEN) VSTORE(o + j, VADD(VLOAD(o + j), VLOAD(bias + j)));
            for (; j < n; j++) o[j] += bias[j];
        } else if (relu) {
            for (; j + VLEN <= n; j += VLEN) VSTORE(o + j, VMAX(VLOAD(o + j), zero));
            for (; j < n; j++) o[j] = o[j] > 0.0f ? o[j] : 0.0f;
        }
    }
}
