package io.coedge.partition;

import io.coedge.graph.Graph;
import java.util.Arrays;

/**
 * FLOPs computed and bytes sent and received by each device at each stage of one inference, and the
 * peak bytes of feature-map buffers each device holds. Stages are the graph's nodes in topological
 * order ({@code Graph.nodes()} index); a transfer is attributed to the node that produced the value it
 * carries (the input scatter to the first node that reads the input).
 *
 * <p>{@link Geometry#predicted()} gives the figures the geometry implies; a partitioned run counts
 * them as it goes ({@code PartitionedExecutor.Result.counted()}). The two are equal, field by field.
 * Weights are not included in the peak: every device holds the weights of the split layers, the tail
 * device also those of the tail.
 */
public final class Accounting {
    private final int devices;
    private final int stages;
    private final long[][] flops;
    private final long[][] sent;
    private final long[][] received;
    /** Measured wall time of each device's compute per stage; not predicted, so not part of equality. */
    private final long[][] computeNs;
    private final long[] peak;
    private final long[] live;

    Accounting(int devices, int stages) {
        this.devices = devices;
        this.stages = stages;
        this.flops = new long[devices][stages];
        this.sent = new long[devices][stages];
        this.received = new long[devices][stages];
        this.computeNs = new long[devices][stages];
        this.peak = new long[devices];
        this.live = new long[devices];
    }

    /** Back to nothing counted, for the next inference: a device that counts every request reuses one. */
    public synchronized void clear() {
        for (int d = 0; d < devices; d++) {
            Arrays.fill(flops[d], 0);
            Arrays.fill(sent[d], 0);
            Arrays.fill(received[d], 0);
            Arrays.fill(computeNs[d], 0);
        }
        Arrays.fill(peak, 0);
        Arrays.fill(live, 0);
    }

    synchronized void addFlops(int device, int stage, long f) {
        flops[device][stage] += f;
    }

    synchronized void addComputeNs(int device, int stage, long ns) {
        computeNs[device][stage] += ns;
    }

    synchronized void addTransfer(Transfer t, boolean sending) {
        if (sending) {
            sent[t.from()][t.stage()] += t.bytes();
        } else {
            received[t.to()][t.stage()] += t.bytes();
        }
    }

    synchronized void allocate(int device, long bytes) {
        live[device] += bytes;
        peak[device] = Math.max(peak[device], live[device]);
    }

    synchronized void free(int device, long bytes) {
        live[device] -= bytes;
    }

    public int devices() {
        return devices;
    }

    public int stages() {
        return stages;
    }

    public synchronized long flops(int device, int stage) {
        return flops[device][stage];
    }

    /**
     * Nanoseconds device {@code device} spent computing stage {@code stage} in the runs counted here
     * (zero in a prediction). With {@link #flops(int, int)} it gives the measured rate per layer.
     */
    public synchronized long computeNs(int device, int stage) {
        return computeNs[device][stage];
    }

    public synchronized long bytesSent(int device, int stage) {
        return sent[device][stage];
    }

    public synchronized long bytesReceived(int device, int stage) {
        return received[device][stage];
    }

    /** FLOPs device {@code device} computes over the whole inference. */
    public synchronized long flops(int device) {
        return sum(flops[device]);
    }

    public synchronized long bytesSent(int device) {
        return sum(sent[device]);
    }

    public synchronized long bytesReceived(int device) {
        return sum(received[device]);
    }

    /** A plain loop: a worker sums these after every request, and a stream would allocate each time. */
    private static long sum(long[] values) {
        long s = 0;
        for (long v : values) {
            s += v;
        }
        return s;
    }

    /** Largest sum of feature-map buffers the device holds at once. */
    public synchronized long peakBytes(int device) {
        return peak[device];
    }

    public synchronized long totalFlops() {
        long s = 0;
        for (int d = 0; d < devices; d++) {
            s += flops(d);
        }
        return s;
    }

    public synchronized long totalBytesSent() {
        long s = 0;
        for (int d = 0; d < devices; d++) {
            s += bytesSent(d);
        }
        return s;
    }

    /** A per-stage table of one device: stage name, FLOPs, bytes sent, bytes received (non-zero stages). */
    public String table(Graph graph, int device) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-28s %16s %12s %12s%n", "layer", "FLOPs", "sent B", "received B"));
        for (int s = 0; s < stages; s++) {
            if (flops(device, s) == 0 && bytesSent(device, s) == 0 && bytesReceived(device, s) == 0) {
                continue;
            }
            sb.append(String.format("%-28s %,16d %,12d %,12d%n", graph.nodes().get(s).name(), flops(device, s),
                    bytesSent(device, s), bytesReceived(device, s)));
        }
        return sb.toString();
    }

    /** Describes the first field where the two differ, or null when they are equal. */
    public synchronized String difference(Accounting other) {
        if (devices != other.devices || stages != other.stages) {
            return "different sizes: " + devices + "x" + stages + " vs " + other.devices + "x" + other.stages;
        }
        for (int d = 0; d < devices; d++) {
            for (int s = 0; s < stages; s++) {
                if (flops[d][s] != other.flops(d, s)) {
                    return "device " + d + " stage " + s + " FLOPs " + flops[d][s] + " vs " + other.flops(d, s);
                }
                if (sent[d][s] != other.bytesSent(d, s)) {
                    return "device " + d + " stage " + s + " sent " + sent[d][s] + " vs " + other.bytesSent(d, s);
                }
                if (received[d][s] != other.bytesReceived(d, s)) {
                    return "device " + d + " stage " + s + " received " + received[d][s] + " vs "
                            + other.bytesReceived(d, s);
                }
            }
            if (peak[d] != other.peakBytes(d)) {
                return "device " + d + " peak bytes " + peak[d] + " vs " + other.peakBytes(d);
            }
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Accounting a && difference(a) == null;
    }

    @Override
    public synchronized int hashCode() {
        return Arrays.deepHashCode(flops) * 31 + Arrays.hashCode(peak);
    }
}
