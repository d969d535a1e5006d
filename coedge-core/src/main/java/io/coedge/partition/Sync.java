package io.coedge.partition;

/**
 * Where devices exchange halos. {@link #every()} (CoEdge): the output of every layer is split among
 * the devices and halos are exchanged before each layer that needs them. {@link #fused(int)}
 * (DeepThings/AOFL style): the split is enforced only after every {@code K} windowed layers (layers
 * whose output row reads other input rows than its own: Conv and pooling with a window taller than
 * one row or a stride, ConvTranspose, Resize; a 1x1 stride-1 conv or an activation does not count),
 * counted along the deepest path from the input, and at the values a global pooling or the tail reads;
 * in between each device computes the wider band its later layers need, redundantly, instead of
 * exchanging halos. Fewer, larger messages for more FLOPs: on inception blocks the halo then falls on
 * the wide block input rather than the narrow 1x1 reductions, so it can even move more bytes.
 *
 * @param fusedLayers 0 for {@code every}, else K >= 1
 */
public record Sync(int fusedLayers) {
    private static final Sync EVERY = new Sync(0);

    public Sync {
        if (fusedLayers < 0) {
            throw new IllegalArgumentException("fused layer count must be >= 1, got " + fusedLayers);
        }
    }

    public static Sync every() {
        return EVERY;
    }

    public static Sync fused(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("fused:K needs K >= 1, got " + k);
        }
        return new Sync(k);
    }

    public boolean isEvery() {
        return fusedLayers == 0;
    }

    /** Parses {@code every} or {@code fused:K}. */
    public static Sync parse(String text) {
        String s = text.trim();
        if (s.equals("every")) {
            return EVERY;
        }
        if (s.startsWith("fused:")) {
            try {
                return fused(Integer.parseInt(s.substring("fused:".length()).trim()));
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException("unknown sync mode '" + text + "'; use 'every' or 'fused:K' with K >= 1");
    }

    @Override
    public String toString() {
        return isEvery() ? "every" : "fused:" + fusedLayers;
    }
}
