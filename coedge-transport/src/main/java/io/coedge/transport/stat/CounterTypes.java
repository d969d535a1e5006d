package io.coedge.transport.stat;

/**
 * Type ids of the CoEdge counters in a process's Aeron counters file (the CnC of its driver). Labels start
 * with {@code "coedge "} and the worker name. Totals only: readers derive rates from two samples (as
 * AeronStat does), so writers never compute averages on the hot path.
 */
public final class CounterTypes {
    private CounterTypes() {
    }

    /** Inferences (requests) this worker finished. */
    public static final int INFERENCES_DONE = 7001;
    /** Control and halo frames dropped (malformed, forged, stale or unexpected). */
    public static final int FRAMES_DROPPED = 7002;
    /**
     * Nanoseconds spent computing (halo waits excluded). Label subject "all": per-layer-type timing needs a
     * per-step hook in the partitioned executor, which it does not offer yet.
     */
    public static final int COMPUTE_NS = 7003;
    /**
     * Floating point operations computed, per layer class as the planner names them ({@code conv3x3}, {@code fc},
     * {@code pool}, ...; {@code LayerCostTable.typeOf}) and "all" for the total.
     */
    public static final int FLOPS = 7004;
    /** Payload bytes sent on a link (label names the peer). */
    public static final int LINK_BYTES_SENT = 7010;
    /** Payload bytes received on a link (label names the peer). */
    public static final int LINK_BYTES_RECEIVED = 7011;
    /** Nanoseconds spent waiting for a link's halos (label names the peer). */
    public static final int LINK_WAIT_NS = 7012;
    /** Last measured control round trip from the coordinator to a worker, nanoseconds (a gauge, not a total). */
    public static final int LINK_RTT_NS = 7013;

    /** True for the type ids above. */
    public static boolean isCoEdge(int typeId) {
        return typeId >= 7000 && typeId < 7100;
    }
}
