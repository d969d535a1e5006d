package io.coedge.planner;

/**
 * A device's network link as the planner sees it: the bandwidth and one-way latency of the device's
 * access link to the LAN. A transfer between two devices runs at the smaller bandwidth and the larger
 * latency of the two links.
 *
 * @param bandwidthBytesPerSecond sustained payload bandwidth, bytes/s
 * @param latencySeconds          one-way latency of one message, seconds
 */
public record LinkProfile(double bandwidthBytesPerSecond, double latencySeconds) {
    /**
     * The link assumed when none is given: 100 Mbit/s and 1 ms one way, a switched LAN where the boards
     * reach it through 802.11ac Wi-Fi or a 100 Mbit/s port (the Raspberry Pi 3B+'s gigabit port sits
     * behind USB 2.0 and delivers about 300 Mbit/s; Wi-Fi-class links are the common deployment).
     */
    public static final LinkProfile DEFAULT = new LinkProfile(100e6 / 8, 1e-3);

    public LinkProfile {
        if (!(bandwidthBytesPerSecond > 0) || Double.isInfinite(bandwidthBytesPerSecond)) {
            throw new IllegalArgumentException("link bandwidth must be a positive number of bytes/s, got "
                    + bandwidthBytesPerSecond);
        }
        if (!(latencySeconds >= 0) || Double.isInfinite(latencySeconds)) {
            throw new IllegalArgumentException("link latency must be >= 0 s, got " + latencySeconds);
        }
    }

    /** The effective link between two devices: the slower bandwidth and the larger latency. */
    public LinkProfile pairWith(LinkProfile other) {
        return new LinkProfile(Math.min(bandwidthBytesPerSecond, other.bandwidthBytesPerSecond),
                Math.max(latencySeconds, other.latencySeconds));
    }

    /** Seconds to send {@code bytes} in one message over this link. */
    public double transferSeconds(double bytes) {
        return bytes / bandwidthBytesPerSecond + latencySeconds;
    }

    /** This link with the bandwidth scaled by {@code factor} (live re-planning). */
    public LinkProfile scaleBandwidth(double factor) {
        return new LinkProfile(bandwidthBytesPerSecond * factor, latencySeconds);
    }

    @Override
    public String toString() {
        return Units.formatBandwidth(bandwidthBytesPerSecond) + " " + Units.formatSeconds(latencySeconds);
    }
}
