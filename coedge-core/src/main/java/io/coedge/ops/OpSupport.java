package io.coedge.ops;

import io.coedge.graph.ShapeContext;
import java.util.Arrays;

/** Checks shared by operator shape inference. */
final class OpSupport {
    private OpSupport() {
    }

    static int[] requireRank(ShapeContext ctx, int input, int rank) {
        int[] s = ctx.inputShape(input);
        if (s.length != rank) {
            throw ctx.error("input " + input + " must have rank " + rank + ", got shape " + Arrays.toString(s));
        }
        return s;
    }

    static long[] ints(long[] v, int n, long dflt) {
        if (v != null) {
            return v;
        }
        long[] out = new long[n];
        Arrays.fill(out, dflt);
        return out;
    }
}
