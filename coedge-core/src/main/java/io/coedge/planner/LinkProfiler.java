package io.coedge.planner;

import java.util.Arrays;

/**
 * Derives a {@link LinkProfile} from round trips measured through a {@link LinkProbe}: the latency from
 * tiny messages (half the median round trip), the bandwidth from the extra time a large message takes
 * over a tiny one.
 */
public final class LinkProfiler {
    /** Payload of the latency probe. */
    public static final int SMALL_BYTES = 64;
    /** Default payload of the bandwidth probe (about a VGG-16 halo of two rows at 56x256). */
    public static final int LARGE_BYTES = 1 << 20;

    private LinkProfiler() {
    }

    /** Measures with {@code repeats} probes of each size (median of each). */
    public static LinkProfile measure(LinkProbe probe, String device, int repeats, int largeBytes) {
        if (repeats < 1) {
            throw new IllegalArgumentException("repeats must be >= 1");
        }
        if (largeBytes <= SMALL_BYTES) {
            throw new IllegalArgumentException("the bandwidth probe must be larger than " + SMALL_BYTES + " bytes");
        }
        double[] small = new double[repeats];
        double[] large = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            small[r] = probe.roundTripSeconds(device, SMALL_BYTES);
            large[r] = probe.roundTripSeconds(device, largeBytes);
        }
        double s = median(small);
        double l = median(large);
        if (!(s >= 0) || !(l >= 0)) {
            throw new IllegalArgumentException("probe of '" + device + "' returned a negative or NaN time");
        }
        double extra = l - s;
        // A large message no slower than a tiny one means the link is faster than the probe can see:
        // charge the large payload at least one microsecond rather than assume infinite bandwidth.
        double bandwidth = (largeBytes - SMALL_BYTES) / Math.max(extra, 1e-6);
        return new LinkProfile(bandwidth, s / 2);
    }

    public static LinkProfile measure(LinkProbe probe, String device) {
        return measure(probe, device, 5, LARGE_BYTES);
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }
}
