package io.coedge.transport.stat;

import io.aeron.Aeron;
import io.aeron.Counter;
import java.util.HashMap;
import java.util.Map;

/**
 * The counters one process publishes in its driver's counters file, so that {@code coedge stat} and the
 * planner ({@link LiveCounters}) can read them from another process. Created at start (per-type and per-link
 * counters on first use, which happens at plan time, not per frame).
 */
public final class WorkerCounters implements AutoCloseable {
    private final Aeron aeron;
    private final String name;
    private final Counter inferences;
    private final Counter dropped;
    private final Map<String, Counter> byKey = new HashMap<>();

    public WorkerCounters(Aeron aeron, String name) {
        this.aeron = aeron;
        this.name = name;
        this.inferences = aeron.addCounter(CounterTypes.INFERENCES_DONE, "coedge " + name + " inferences");
        this.dropped = aeron.addCounter(CounterTypes.FRAMES_DROPPED, "coedge " + name + " frames-dropped");
    }

    public Counter inferences() {
        return inferences;
    }

    public Counter dropped() {
        return dropped;
    }

    /** Compute nanoseconds for layer type {@code opType} ("all" for the whole). */
    public synchronized Counter computeNs(String opType) {
        return counter(CounterTypes.COMPUTE_NS, "compute-ns " + opType);
    }

    /** FLOPs for layer type {@code opType} ("all" for the whole). */
    public synchronized Counter flops(String opType) {
        return counter(CounterTypes.FLOPS, "flops " + opType);
    }

    public synchronized Counter bytesSent(String peer) {
        return counter(CounterTypes.LINK_BYTES_SENT, "bytes-sent " + peer);
    }

    public synchronized Counter bytesReceived(String peer) {
        return counter(CounterTypes.LINK_BYTES_RECEIVED, "bytes-received " + peer);
    }

    public synchronized Counter waitNs(String peer) {
        return counter(CounterTypes.LINK_WAIT_NS, "wait-ns " + peer);
    }

    public synchronized Counter rttNs(String peer) {
        return counter(CounterTypes.LINK_RTT_NS, "rtt-ns " + peer);
    }

    private Counter counter(int type, String what) {
        return byKey.computeIfAbsent(type + " " + what, k -> aeron.addCounter(type, "coedge " + name + " " + what));
    }

    @Override
    public synchronized void close() {
        byKey.values().forEach(Counter::close);
        byKey.clear();
        inferences.close();
        dropped.close();
    }
}
