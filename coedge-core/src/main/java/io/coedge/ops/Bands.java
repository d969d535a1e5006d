package io.coedge.ops;

import io.coedge.tensor.Layout;
import io.coedge.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/** Bulk copies between rank-4 tensors (any layout) and {@code float[]} rows in NHWC order. */
final class Bands {
    private Bands() {
    }

    /**
     * Copies {@code rows} rows starting at local row {@code row} of image {@code n} of {@code x} into
     * {@code dst} as {@code [rows][W][C]}. One bulk copy when {@code x} is NHWC.
     */
    static void readRows(Tensor x, int n, int row, int rows, float[] dst) {
        if (rows <= 0) {
            return;
        }
        int c = x.dim(1), w = x.dim(3);
        if (x.layout() == Layout.NHWC) {
            MemorySegment.copy(x.segment(), Tensor.FLOAT, x.offset4(n, 0, row, 0) * Float.BYTES, dst, 0, rows * w * c);
            return;
        }
        int i = 0;
        for (int y = row; y < row + rows; y++) {
            for (int xx = 0; xx < w; xx++) {
                for (int ch = 0; ch < c; ch++) {
                    dst[i++] = x.at4(n, ch, y, xx);
                }
            }
        }
    }

    /** Writes one row {@code [W][C]} from {@code src} into local row {@code row} of image {@code n}. */
    static void writeRow(Tensor out, int n, int row, float[] src) {
        int c = out.dim(1), w = out.dim(3);
        if (out.layout() == Layout.NHWC) {
            MemorySegment.copy(src, 0, out.segment(), Tensor.FLOAT, out.offset4(n, 0, row, 0) * Float.BYTES, w * c);
            return;
        }
        int i = 0;
        for (int xx = 0; xx < w; xx++) {
            for (int ch = 0; ch < c; ch++) {
                out.set(out.offset4(n, ch, row, xx), src[i++]);
            }
        }
    }
}
