package io.coedge.transport.runtime;

import io.coedge.planner.LiveCounters;
import io.coedge.transport.stat.CounterTypes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The planner's view ({@link io.coedge.planner.LiveCounters}) of the Agrona counters every device publishes
 * ({@link io.coedge.transport.stat.LiveCounters}): per device, the FLOP/s it achieved and the bytes/s at which it
 * received halos, both over the interval since the previous {@link #read()}.
 *
 * <p><b>Rates.</b> Counters are totals; a rate is a difference of two reads: FLOPs delta over compute-time delta
 * ({@code flops all}, {@code compute-ns all}). A device that computed nothing in the interval (zero rows, or no
 * inference ran) is unmeasured (NaN); the planner keeps its previous estimate, which drifts back toward the
 * device's profile while the device has no rows ({@link io.coedge.planner.Replanner}).
 *
 * <p><b>Bandwidth.</b> Received halo bytes delta over the time spent waiting for them. That wait also contains
 * the neighbour's compute skew, so it is only a lower bound of the link's bandwidth; it is reported only when
 * the device waited at least {@code minWaitNs} in the interval (otherwise halos hid behind compute, the link is
 * not the bottleneck, and NaN keeps the configured link), and only when link measurement is enabled.
 *
 * <p><b>Warm-up.</b> A process's first inferences are slower than the rest (JIT compilation, first touch of
 * weights and buffers): an interval that holds any of a device's first {@value #WARM_UP_INFERENCES_DEFAULT}
 * inferences (its {@code inferences} counter, which a restart sets back to zero) is unmeasured, so a fresh or
 * restarted worker is planned by its estimate until it runs warm, not judged slow for being new.
 *
 * <p><b>Membership.</b> A device is present when the presence check says so and its counters can be read; a
 * device missing from {@link #read()} has left.
 */
public final class PlannerCounters implements LiveCounters {
    /** Reads one device's counters now; throws or returns null when they cannot be read (process gone). */
    @FunctionalInterface
    public interface Source {
        List<io.coedge.transport.stat.LiveCounters.Sample> snapshot();
    }

    /** Totals of one device at one read. */
    record Totals(long flops, long computeNs, long bytesReceived, long waitNs, long inferences) {
        static Totals of(List<io.coedge.transport.stat.LiveCounters.Sample> samples, String process) {
            long f = 0;
            long ns = 0;
            long bytes = 0;
            long wait = 0;
            long done = 0;
            for (io.coedge.transport.stat.LiveCounters.Sample s : samples) {
                if (process != null && !s.process().equals(process)) {
                    continue;
                }
                switch (s.typeId()) {
                    case CounterTypes.FLOPS -> f += "all".equals(s.subject()) ? s.value() : 0;
                    case CounterTypes.COMPUTE_NS -> ns += "all".equals(s.subject()) ? s.value() : 0;
                    case CounterTypes.LINK_BYTES_RECEIVED -> bytes += s.value();
                    case CounterTypes.LINK_WAIT_NS -> wait += s.value();
                    case CounterTypes.INFERENCES_DONE -> done += s.value();
                    default -> {
                    }
                }
            }
            return new Totals(f, ns, bytes, wait, done);
        }
    }

    /**
     * Default {@code warmUpInferences}: a process's first three inferences are no measurement. Measured on a
     * fresh worker JVM, the first samples ran at about 0.1, 0.4 and 0.7 of the warm rate with the Java kernels
     * (the JIT compiling them) and the first at about 0.7 with the C kernels (weights and buffers touched for the
     * first time); a planner that believed them would take rows from a worker for being new.
     */
    public static final int WARM_UP_INFERENCES_DEFAULT = 3;

    private final Supplier<Map<String, Source>> devices;
    private final int warmUpInferences;
    private final Map<String, String> processNames;
    private final boolean measureLinks;
    private final long minWaitNs;
    private final Map<String, Totals> previous = new HashMap<>();

    /**
     * @param devices      the devices present now, each with its counter source (called at every read)
     * @param processNames the process name each device's counters carry in their labels (absent: the device name)
     * @param measureLinks whether to report halo bandwidth (false: the configured links are kept)
     * @param minWaitNs    the least halo wait in an interval for a bandwidth to be reported
     */
    public PlannerCounters(Supplier<Map<String, Source>> devices, Map<String, String> processNames, boolean measureLinks,
                           long minWaitNs) {
        this(devices, processNames, measureLinks, minWaitNs, WARM_UP_INFERENCES_DEFAULT);
    }

    /**
     * As {@link #PlannerCounters(Supplier, Map, boolean, long)}, with {@code warmUpInferences}: an interval that
     * holds any of a process's first {@code warmUpInferences} inferences is unmeasured (0: every interval counts).
     */
    public PlannerCounters(Supplier<Map<String, Source>> devices, Map<String, String> processNames, boolean measureLinks,
                           long minWaitNs, int warmUpInferences) {
        if (warmUpInferences < 0) {
            throw new IllegalArgumentException("warmUpInferences must be >= 0, got " + warmUpInferences);
        }
        this.warmUpInferences = warmUpInferences;
        this.devices = Objects.requireNonNull(devices, "devices");
        this.processNames = Map.copyOf(processNames);
        this.measureLinks = measureLinks;
        this.minWaitNs = minWaitNs;
    }

    @Override
    public synchronized List<Sample> read() {
        Map<String, Source> now = devices.get();
        List<Sample> out = new ArrayList<>();
        Map<String, Totals> seen = new LinkedHashMap<>();
        for (Map.Entry<String, Source> e : now.entrySet()) {
            String device = e.getKey();
            List<io.coedge.transport.stat.LiveCounters.Sample> snap;
            try {
                snap = e.getValue().snapshot();
            } catch (RuntimeException gone) {
                snap = null;
            }
            if (snap == null) {
                continue; // its counters cannot be read: it left
            }
            Totals t = Totals.of(snap, processNames.getOrDefault(device, device));
            seen.put(device, t);
            out.add(sample(device, previous.get(device), t));
        }
        previous.clear();
        previous.putAll(seen);
        return out;
    }

    /** The sample for {@code device} between two reads ({@code before} null: first read, unmeasured). */
    Sample sample(String device, Totals before, Totals after) {
        // A restarted process starts its totals again from zero (fewer inferences than before): no measurement,
        // and neither are its first inferences, which run cold.
        if (before == null || after.inferences() < before.inferences() || before.inferences() < warmUpInferences) {
            return Sample.unmeasured(device);
        }
        long dFlops = after.flops() - before.flops();
        long dNs = after.computeNs() - before.computeNs();
        double rate = dFlops > 0 && dNs > 0 ? dFlops * 1e9 / dNs : Double.NaN;
        long dBytes = after.bytesReceived() - before.bytesReceived();
        long dWait = after.waitNs() - before.waitNs();
        double link = measureLinks && dBytes > 0 && dWait >= Math.max(1, minWaitNs) ? dBytes * 1e9 / dWait : Double.NaN;
        return new Sample(device, rate, link);
    }
}
