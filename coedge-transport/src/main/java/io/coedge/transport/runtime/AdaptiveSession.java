package io.coedge.transport.runtime;

import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.planner.DeviceProfile;
import io.coedge.planner.LayerCostTable;
import io.coedge.planner.Replanner;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A partitioned session whose plan follows the cluster: after every inference it reads the devices' live
 * counters through {@link PlannerCounters}, lets the {@link Replanner} smooth them and decide (EWMA, gain
 * threshold, confirming ticks), and when a new plan version is published, pushes it to the workers before the
 * next inference. A plan never changes in the middle of an inference.
 *
 * <p>A worker the underlying {@link PartitionedSession} lost (it re-ran the request without it) leaves the
 * planner's membership at the next tick, so the planner re-plans for the rest at once; a worker of the cluster
 * that is not in use and answers a join again (checked at most every {@code rejoinIntervalNs}) joins it, which
 * re-plans too.
 *
 * <pre>{@code
 * try (var s = AdaptiveSession.deploy(cluster, model, profiles, Replanner.Config.defaults(LATENCY, 1.0), Sync.every())) {
 *     Tensor out = s.infer(arena, input);
 * }
 * }</pre>
 *
 * Not thread-safe, like the cluster it drives.
 */
public final class AdaptiveSession implements AutoCloseable {
    private final CoEdgeCluster cluster;
    private final ModelSpec model;
    private final Sync sync;
    private final Replanner replanner;
    private final PlannerCounters counters;
    private final Map<String, io.coedge.transport.stat.LiveCounters> readers = new HashMap<>();
    private final Map<String, String> left = new LinkedHashMap<>();
    private final long rejoinIntervalNs;
    private long lastRejoinNs;
    private PartitionedSession session;
    private long appliedVersion = -1;
    private long switches;

    private AdaptiveSession(CoEdgeCluster cluster, ModelSpec model, Map<String, DeviceProfile> profiles,
                            Replanner.Config config, Sync sync, boolean measureLinks, long rejoinIntervalNs) {
        this.cluster = cluster;
        this.model = model;
        this.sync = sync;
        this.rejoinIntervalNs = rejoinIntervalNs;
        this.lastRejoinNs = System.nanoTime();
        Map<String, String> processNames = new HashMap<>();
        processNames.put(CoEdgeCluster.LOCAL_DEVICE, cluster.counterName());
        this.counters = new PlannerCounters(this::present, processNames, measureLinks, TimeUnit.MILLISECONDS.toNanos(1));
        for (String w : cluster.workers()) {
            if (!profiles.containsKey(w)) {
                left.put(w, "no device profile");
            }
        }
        if (!profiles.containsKey(CoEdgeCluster.LOCAL_DEVICE)) {
            throw new IllegalArgumentException("give a device profile named '" + CoEdgeCluster.LOCAL_DEVICE
                    + "' for this process's own device (the initiator)");
        }
        LayerCostTable table = LayerCostTable.fromGraph(Models.build(model));
        this.replanner = new Replanner(table, profiles, CoEdgeCluster.LOCAL_DEVICE, counters, config);
    }

    /**
     * Deploys {@code model} across the cluster's workers and this process under the planner's initial plan.
     *
     * @param profiles profiles of {@value CoEdgeCluster#LOCAL_DEVICE} and of the workers that may take part
     *                 (a worker without a profile is not used)
     */
    public static AdaptiveSession deploy(CoEdgeCluster cluster, ModelSpec model, Map<String, DeviceProfile> profiles,
                                         Replanner.Config config, Sync sync) {
        return deploy(cluster, model, profiles, config, sync, false, TimeUnit.SECONDS.toNanos(10));
    }

    /**
     * As {@link #deploy(CoEdgeCluster, ModelSpec, Map, Replanner.Config, Sync)}, choosing whether halo bandwidth
     * is measured (see {@link PlannerCounters}) and how often an unused worker is asked to join again.
     */
    public static AdaptiveSession deploy(CoEdgeCluster cluster, ModelSpec model, Map<String, DeviceProfile> profiles,
                                         Replanner.Config config, Sync sync, boolean measureLinks, long rejoinIntervalNs) {
        AdaptiveSession s = new AdaptiveSession(cluster, model, profiles, config, sync, measureLinks, rejoinIntervalNs);
        try {
            s.apply(s.replanner.beginInference());
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** The devices present now, each with a reader of its counters. */
    private Map<String, PlannerCounters.Source> present() {
        Map<String, PlannerCounters.Source> m = new LinkedHashMap<>();
        m.put(CoEdgeCluster.LOCAL_DEVICE, reader(CoEdgeCluster.LOCAL_DEVICE, cluster.aeronDirectory()));
        for (String w : cluster.workers()) {
            if (left.containsKey(w)) {
                continue;
            }
            String dir = cluster.workerDirectories().get(w);
            if (dir != null && !dir.isEmpty()) {
                m.put(w, reader(w, dir));
            }
        }
        return m;
    }

    private PlannerCounters.Source reader(String device, String dir) {
        return () -> {
            io.coedge.transport.stat.LiveCounters r = readers.get(device);
            if (r == null || !r.directory().equals(dir)) {
                if (r != null) {
                    r.close();
                }
                r = io.coedge.transport.stat.LiveCounters.open(dir);
                readers.put(device, r);
            }
            return r.snapshot();
        };
    }

    /** Runs one inference under the latest plan version, then lets the planner look at the counters. */
    public Tensor infer(Arena arena, Tensor input) {
        Replanner.PlanVersion v = replanner.beginInference();
        if (v.version() != appliedVersion) {
            apply(v);
        }
        long replansBefore = session.replans();
        Tensor out = session.infer(arena, input);
        if (session.replans() != replansBefore) {
            // The session re-ran the request without a lost worker: it leaves the planner's cluster.
            for (String w : cluster.workers()) {
                if (!left.containsKey(w) && v.rowsOf(w) > 0 && !session.plan().devices().contains(w)) {
                    left.put(w, "lost");
                }
            }
        }
        rejoin();
        replanner.tick();
        return out;
    }

    /** Workers that left may come back: try them now and then (a join waits up to the connect timeout). */
    private void rejoin() {
        long now = System.nanoTime();
        if (left.isEmpty() || now - lastRejoinNs < rejoinIntervalNs) {
            return;
        }
        lastRejoinNs = now;
        for (String w : new ArrayList<>(left.keySet())) {
            if (!"lost".equals(left.get(w))) {
                continue;
            }
            try {
                CoEdgeCluster.Member m = cluster.member(w);
                if (!cluster.recentlyHeard(m)) {
                    cluster.join(m);
                }
                left.remove(w);
                io.coedge.transport.stat.LiveCounters r = readers.remove(w);
                if (r != null) {
                    r.close();
                }
            } catch (IllegalStateException stillGone) {
                // stays out until the next try
            }
        }
    }

    /** Pushes a published plan version: devices with rows, and always this process (the tail). */
    private void apply(Replanner.PlanVersion v) {
        List<String> names = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        for (String d : v.devices()) {
            int r = v.rowsOf(d);
            if (r > 0 || d.equals(CoEdgeCluster.LOCAL_DEVICE)) {
                names.add(d);
                rows.add(r);
            }
        }
        Plan p = new Plan(0, names, rows.stream().mapToInt(Integer::intValue).toArray(), sync, CoEdgeCluster.LOCAL_DEVICE);
        if (session == null) {
            session = cluster.deploy(model, p);
        } else {
            session.activate(p);
            switches++;
        }
        appliedVersion = v.version();
    }

    /** The planner (estimates, the plan in effect and the latest published). */
    public Replanner replanner() {
        return replanner;
    }

    /** The plan the workers run now. */
    public Plan plan() {
        return session.plan();
    }

    /** How many times a new plan version was pushed after the first. */
    public long planSwitches() {
        return switches;
    }

    /** The session that runs the current plan. */
    public PartitionedSession session() {
        return session;
    }

    @Override
    public void close() {
        if (session != null) {
            session.close();
        }
        readers.values().forEach(io.coedge.transport.stat.LiveCounters::close);
        readers.clear();
    }
}
