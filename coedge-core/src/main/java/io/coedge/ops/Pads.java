package io.coedge.ops;

import io.coedge.graph.ShapeContext;

/** Spatial window geometry shared by Conv and pooling: kernel, stride, dilation, resolved pads. */
public record Pads(int top, int left, int bottom, int right) {

    /** Output length of one spatial dimension (floor, or ceil for pooling with ceil_mode). */
    public static int outputSize(int in, int k, int stride, int dilation, int padBegin, int padEnd, boolean ceil) {
        // long: a huge dilation times the kernel would wrap around in int and look like a small window
        long span = (long) in + padBegin + padEnd - (long) dilation * (k - 1) - 1;
        if (span < 0) {
            return 0;
        }
        long out = (ceil ? Math.floorDiv(span + stride - 1, stride) : Math.floorDiv(span, stride)) + 1;
        // ONNX/PyTorch: with ceil_mode the last window must start inside the input or left padding.
        if (ceil && (out - 1) * stride >= (long) in + padBegin) {
            out--;
        }
        if (out > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("output length " + out + " is too large");
        }
        return (int) out;
    }

    /**
     * Resolves ONNX {@code auto_pad} / {@code pads} for a 2-D window into explicit pads.
     *
     * @param pads ONNX order {@code [top, left, bottom, right]}, may be null
     */
    public static Pads resolve(ShapeContext ctx, String autoPad, long[] pads, int inH, int inW, int kh, int kw,
                               int sh, int sw, int dh, int dw) {
        switch (autoPad) {
            case "NOTSET", "" -> {
                if (pads == null) {
                    return new Pads(0, 0, 0, 0);
                }
                if (pads.length != 4) {
                    throw ctx.error("pads must have 4 values for a 2-D window, got " + pads.length);
                }
                for (long p : pads) {
                    if (p < 0) {
                        throw ctx.error("negative pads are not supported");
                    }
                }
                return new Pads((int) pads[0], (int) pads[1], (int) pads[2], (int) pads[3]);
            }
            case "VALID" -> {
                return new Pads(0, 0, 0, 0);
            }
            case "SAME_UPPER", "SAME_LOWER" -> {
                int[] ph = same(inH, kh, sh, dh);
                int[] pw = same(inW, kw, sw, dw);
                boolean upper = autoPad.equals("SAME_UPPER");
                return upper ? new Pads(ph[0], pw[0], ph[1], pw[1]) : new Pads(ph[1], pw[1], ph[0], pw[0]);
            }
            default -> throw ctx.error("unknown auto_pad '" + autoPad + "'");
        }
    }

    /**
     * Resolves a window's pads from an explicit {@link Pads} value (null means no padding) or
     * {@code auto_pad}.
     */
    public static Pads resolve(ShapeContext ctx, String autoPad, Pads explicit, int inH, int inW, int kh, int kw,
                               int sh, int sw, int dh, int dw) {
        long[] p = explicit == null ? null : new long[] {explicit.top, explicit.left, explicit.bottom, explicit.right};
        return resolve(ctx, autoPad, p, inH, inW, kh, kw, sh, sw, dh, dw);
    }

    /**
     * Top padding of a window along the row axis, without a shape context (for row geometry).
     * Mirrors {@link #resolve} for the vertical direction.
     */
    static int top(String autoPad, long[] pads, int inH, int kh, int sh, int dh) {
        return switch (autoPad) {
            case "SAME_UPPER" -> same(inH, kh, sh, dh)[0];
            case "SAME_LOWER" -> same(inH, kh, sh, dh)[1];
            case "VALID" -> 0;
            default -> pads == null ? 0 : (int) pads[0];
        };
    }

    /** Pads from ONNX order {@code [top, left, bottom, right]}; null when absent. */
    public static Pads of(long[] onnxPads) {
        if (onnxPads == null) {
            return null;
        }
        int[] p = OpSupport.windowInts("pads", onnxPads, 4, 0);
        return new Pads(p[0], p[1], p[2], p[3]);
    }

    /** Same padding on all four sides. */
    public static Pads uniform(int p) {
        return new Pads(p, p, p, p);
    }

    /**
     * Input rows {@code [a, b)} that output rows {@code [r0, r1)} of a sliding window read, clipped to
     * {@code [0, inH)}: {@code [r0*s - top, (r1-1)*s - top + (k-1)*d + 1)}. An empty output band gives
     * an empty input band.
     */
    public static int[] windowInputRows(int r0, int r1, int inH, int k, int s, int d, int top) {
        if (r1 <= r0) {
            return new int[] {0, 0};
        }
        int a = r0 * s - top;
        int b = (r1 - 1) * s - top + (k - 1) * d + 1;
        a = Math.max(0, Math.min(a, inH));
        b = Math.max(a, Math.min(b, inH));
        return new int[] {a, b};
    }

    /** {small, large} halves of the total SAME padding. */
    private static int[] same(int in, int k, int s, int d) {
        int out = (in + s - 1) / s;
        int total = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - in);
        return new int[] {total / 2, total - total / 2};
    }
}
