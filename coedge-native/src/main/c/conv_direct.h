/*
 * Shared by the coedge_f32_conv_packed variants: the zero-padded input strip they multiply from, and
 * the offsets of the window's elements inside it. Internal to the library.
 */
#ifndef COEDGE_CONV_DIRECT_H
#define COEDGE_CONV_DIRECT_H

#include <stddef.h>
#include <string.h>
#include "coedge_kernels.h"

/* Columns of the padded strip: exactly those the windows of one output row cover (dw == 1). */
static inline int conv_pad_width(const coedge_window *g) { return (g->out_w - 1) * g->sw + g->kw; }

/* Input rows the output rows [s0, s0 + rows) read, padding rows included. */
static inline int conv_strip_in_rows(const coedge_window *g, int rows) {
    return (rows - 1) * g->sh + (g->kh - 1) * g->dh + 1;
}

/*
 * Output rows per strip: enough pixels (384) for the packed B to be reused across many row tiles, then
 * more while the strip stays small enough (192 KiB) to live in L2 next to a block of B.
 */
static inline int conv_strip_rows(const coedge_window *g) {
    const size_t row_bytes = (size_t)conv_pad_width(g) * g->in_c * sizeof(float);
    int rows = (384 + g->out_w - 1) / g->out_w;
    if (rows > g->out_h) rows = g->out_h;
    if (rows < 1) rows = 1;
    while (rows < g->out_h && (size_t)conv_strip_in_rows(g, rows + 1) * row_bytes <= ((size_t)192 << 10)) rows++;
    return rows;
}

static inline size_t conv_koff_bytes(const coedge_window *g) {
    return ((size_t)g->kh * g->kw * g->in_c * sizeof(int32_t) + 63) / 64 * 64;
}

/* Offset (floats) of each element of the (ky, kx, c)-ordered window from the window's first cell. */
static inline void conv_fill_koff(const coedge_window *g, int32_t *koff) {
    const int run = g->kw * g->in_c, k = g->kh * run;
    const int row = g->dh * conv_pad_width(g) * g->in_c;
    for (int kk = 0; kk < k; kk++) koff[kk] = (kk / run) * row + kk % run;
}

/* The input rows of output rows [s0, s1), zero where the window hangs over the map. */
static inline void conv_fill_strip(const coedge_window *g, const float *x, int x_row0, int s0, int s1, float *pad) {
    const int C = g->in_c, W = g->in_w, wp = conv_pad_width(g);
    const int left = g->pad_left < wp ? g->pad_left : wp;
    int inside = wp - left < W ? wp - left : W;
    if (inside < 0) inside = 0;
    const int right = wp - left - inside;
    const int rows = conv_strip_in_rows(g, s1 - s0), iy0 = s0 * g->sh - g->pad_top;
    for (int r = 0; r < rows; r++) {
        const int iy = iy0 + r;
        float *dst = pad + (size_t)r * wp * C;
        if (iy < 0 || iy >= g->in_h) {
            memset(dst, 0, (size_t)wp * C * sizeof(float));
            continue;
        }
        memset(dst, 0, (size_t)left * C * sizeof(float));
        memcpy(dst + (size_t)left * C, x + (size_t)(iy - x_row0) * W * C, (size_t)inside * C * sizeof(float));
        memset(dst + (size_t)(left + inside) * C, 0, (size_t)right * C * sizeof(float));
    }
}

#endif
