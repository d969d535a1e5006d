package io.coedge.planner;

/**
 * A device's network link as the planner sees it: the bandwidth and one-way latency of the device's
 * access link to the LAN, the fixed time one request costs the device beyond its bytes, and the burst the
 * link passes at line speed. A transfer between two devices runs at the smaller bandwidth and the larger
 * latency of the two links.
 *
 * <p>The burst is the depth of a token bucket: a shaped link ({@code tc tbf}, a rate-limited switch port,
 * a metered uplink) lets that many bytes through at line speed after an idle spell and paces the rest at
 * its rate. Scatter and gather messages come after the link sat idle through a layer sequence, so the
 * cost model charges them {@code max(0, bytes - burst) / bandwidth}; halos come in quick succession and are
 * charged at the rate. 0 (the default) for a link that paces every byte, such as Wi-Fi.
 *
 * <p>The request cost is what a device adds to every inference it takes part in whatever its share:
 * receiving the request and its plan version, waking its compute thread, reporting back. It is measured
 * over the transport ({@code coedge profile --link}, the evaluation's probe); 0 when not known. The initiator's is
 * what each worker beyond the first adds to the initiator's own time (it sends the workers' requests and bands and
 * takes their results in one after another); the evaluation fits it on a split between the initiator and two
 * workers.
 *
 * <p>The halo bandwidth is the rate the cost model charges halos at, the link's bandwidth unless measured
 * otherwise. The model charges each stage's halos on their own; a model with many small halos in quick
 * succession (GoogLeNet's inception blocks) keeps a shaped link busy across stages, and its bucket lets some of
 * them through at line speed, so they take less time in all than that charge. A calibration that times a
 * split can fit it (the evaluation does, when the split runs faster than the model predicts even without any
 * per-exchange cost).
 *
 * @param bandwidthBytesPerSecond     sustained payload bandwidth, bytes/s
 * @param latencySeconds              one-way latency of one message, seconds
 * @param requestSeconds              fixed seconds one request costs the device beyond its messages' bytes (the
 *                                    initiator's: per worker beyond the first)
 * @param burstBytes                  bytes the link passes at line speed after an idle spell (token bucket depth)
 * @param haloBandwidthBytesPerSecond the rate the cost model charges halos at, bytes/s
 */
public record LinkProfile(double bandwidthBytesPerSecond, double latencySeconds, double requestSeconds,
                          double burstBytes, double haloBandwidthBytesPerSecond) {
    /**
     * The link assumed when none is given: 100 Mbit/s and 1 ms one way, a switched LAN where the boards
     * reach it through 802.11ac Wi-Fi or a 100 Mbit/s port (the Raspberry Pi 3B+'s gigabit port sits
     * behind USB 2.0 and delivers about 300 Mbit/s; Wi-Fi-class links are the common deployment).
     */
    public static final LinkProfile DEFAULT = new LinkProfile(100e6 / 8, 1e-3);

    /** A link with no per-request cost beyond its messages. */
    public LinkProfile(double bandwidthBytesPerSecond, double latencySeconds) {
        this(bandwidthBytesPerSecond, latencySeconds, 0);
    }

    /** A link that paces every byte (no burst). */
    public LinkProfile(double bandwidthBytesPerSecond, double latencySeconds, double requestSeconds) {
        this(bandwidthBytesPerSecond, latencySeconds, requestSeconds, 0);
    }

    /** A link whose halos are charged at its bandwidth. */
    public LinkProfile(double bandwidthBytesPerSecond, double latencySeconds, double requestSeconds, double burstBytes) {
        this(bandwidthBytesPerSecond, latencySeconds, requestSeconds, burstBytes, bandwidthBytesPerSecond);
    }

    public LinkProfile {
        if (!(bandwidthBytesPerSecond > 0) || Double.isInfinite(bandwidthBytesPerSecond)) {
            throw new IllegalArgumentException("link bandwidth must be a positive number of bytes/s, got "
                    + bandwidthBytesPerSecond);
        }
        if (!(latencySeconds >= 0) || Double.isInfinite(latencySeconds)) {
            throw new IllegalArgumentException("link latency must be >= 0 s, got " + latencySeconds);
        }
        if (!(requestSeconds >= 0) || Double.isInfinite(requestSeconds)) {
            throw new IllegalArgumentException("per-request cost must be >= 0 s, got " + requestSeconds);
        }
        if (!(burstBytes >= 0) || Double.isInfinite(burstBytes)) {
            throw new IllegalArgumentException("link burst must be >= 0 bytes, got " + burstBytes);
        }
        if (!(haloBandwidthBytesPerSecond > 0) || Double.isInfinite(haloBandwidthBytesPerSecond)) {
            throw new IllegalArgumentException("link halo bandwidth must be a positive number of bytes/s, got "
                    + haloBandwidthBytesPerSecond);
        }
    }

    /**
     * The effective link between two devices: the slower bandwidth and the larger latency; the burst of the
     * slower link, which paces the transfer (the smaller burst when both are as fast). The request cost
     * stays this link's: it belongs to the device, not to the pair.
     */
    public LinkProfile pairWith(LinkProfile other) {
        double burst = bandwidthBytesPerSecond < other.bandwidthBytesPerSecond ? burstBytes
                : other.bandwidthBytesPerSecond < bandwidthBytesPerSecond ? other.burstBytes
                : Math.min(burstBytes, other.burstBytes);
        return new LinkProfile(Math.min(bandwidthBytesPerSecond, other.bandwidthBytesPerSecond),
                Math.max(latencySeconds, other.latencySeconds), requestSeconds, burst,
                Math.min(haloBandwidthBytesPerSecond, other.haloBandwidthBytesPerSecond));
    }

    /** This link with a fixed per-request cost of {@code seconds}. */
    public LinkProfile withRequestSeconds(double seconds) {
        return new LinkProfile(bandwidthBytesPerSecond, latencySeconds, seconds, burstBytes, haloBandwidthBytesPerSecond);
    }

    /** This link with a burst of {@code bytes} at line speed. */
    public LinkProfile withBurstBytes(double bytes) {
        return new LinkProfile(bandwidthBytesPerSecond, latencySeconds, requestSeconds, bytes, haloBandwidthBytesPerSecond);
    }

    /** This link with halos charged at {@code bytesPerSecond}. */
    public LinkProfile withHaloBandwidth(double bytesPerSecond) {
        return new LinkProfile(bandwidthBytesPerSecond, latencySeconds, requestSeconds, burstBytes, bytesPerSecond);
    }

    /** Seconds to send {@code bytes} in one message over this link, paced at its rate. */
    public double transferSeconds(double bytes) {
        return bytes / bandwidthBytesPerSecond + latencySeconds;
    }

    /** Seconds of pacing of one message of {@code bytes} sent after the link sat idle: the part beyond the burst. */
    public double pacedSecondsAfterIdle(double bytes) {
        return Math.max(0, bytes - burstBytes) / bandwidthBytesPerSecond;
    }

    /** This link with the bandwidth scaled by {@code factor} (live re-planning). */
    public LinkProfile scaleBandwidth(double factor) {
        return new LinkProfile(bandwidthBytesPerSecond * factor, latencySeconds, requestSeconds, burstBytes,
                haloBandwidthBytesPerSecond * factor);
    }

    @Override
    public String toString() {
        return Units.formatBandwidth(bandwidthBytesPerSecond) + " " + Units.formatSeconds(latencySeconds)
                + (requestSeconds > 0 ? " +" + Units.formatSeconds(requestSeconds) + "/request" : "")
                + (burstBytes > 0 ? " burst " + Units.fmt(burstBytes / 1e3) + " kB" : "")
                + (haloBandwidthBytesPerSecond != bandwidthBytesPerSecond
                        ? " halos " + Units.formatBandwidth(haloBandwidthBytesPerSecond) : "");
    }
}
