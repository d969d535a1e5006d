package io.coedge.tensor;

import java.util.Arrays;

/** Small helpers for shapes given as {@code int[]}. */
public final class Shapes {
    private Shapes() {
    }

    /** Number of elements; throws on overflow past what a JVM can address. */
    public static long size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, (long) d);
        }
        return n;
    }

    public static String format(int[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append('x');
            }
            sb.append(shape[i]);
        }
        return shape.length == 0 ? "scalar" : sb.toString();
    }

    /** Parses {@code 1x3x224x224}. */
    public static int[] parse(String text) {
        String[] parts = text.trim().toLowerCase().split("[x,]");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad shape '" + text + "': expected dimensions like 1x3x224x224");
            }
            if (out[i] <= 0) {
                throw new IllegalArgumentException("bad shape '" + text + "': dimensions must be positive");
            }
        }
        return out;
    }

    /** Numpy-style broadcast of two shapes, or an exception naming both. */
    public static int[] broadcast(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
            int db = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " cannot be broadcast");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }
}
