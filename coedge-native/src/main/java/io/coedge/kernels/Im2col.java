package io.coedge.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Packs the windows of output rows {@code [t0, t1)} of one group into a {@code [pixels, kH*kW*C/group]}
 * matrix; window positions in the padding become zeros.
 */
interface Im2col {
    /**
     * @param x the NHWC input band, holding full-map rows {@code [xRow0, xRow0 + xRows)}
     * @param col destination, at least {@code (t1 - t0) * W_out * patch} floats
     */
    void pack(ConvGeometry g, MemorySegment x, int xRow0, int xRows, int t0, int t1, int group, MemorySegment col);

    /** Plain Java packing with bulk copies of each window row. */
    Im2col JAVA = (g, x, xRow0, xRows, t0, t1, grp, col) -> {
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT_UNALIGNED;
        int cpg = g.cpg(), c = g.inC(), w = g.inW(), kw = g.kw(), k = g.patch();
        long dst = 0;
        for (int oy = t0; oy < t1; oy++) {
            for (int ox = 0; ox < g.outW(); ox++) {
                for (int ky = 0; ky < g.kh(); ky++) {
                    int iy = oy * g.sh() - g.padTop() + ky * g.dh();
                    boolean rowInside = iy >= 0 && iy < g.inH();
                    long rowBase = ((long) (iy - xRow0) * w) * c + (long) grp * cpg;
                    for (int kx = 0; kx < kw; kx++) {
                        int ix = ox * g.sw() - g.padLeft() + kx * g.dw();
                        if (rowInside && ix >= 0 && ix < w) {
                            MemorySegment.copy(x, (rowBase + (long) ix * c) * Float.BYTES, col, dst * Float.BYTES,
                                    (long) cpg * Float.BYTES);
                        } else {
                            for (int i = 0; i < cpg; i++) {
                                col.setAtIndex(f, dst + i, 0f);
                            }
                        }
                        dst += cpg;
                    }
                }
            }
        }
        assert dst == (long) (t1 - t0) * g.outW() * k;
    };
}
