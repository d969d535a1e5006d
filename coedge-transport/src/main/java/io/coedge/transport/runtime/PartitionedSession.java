package io.coedge.transport.runtime;

import io.aeron.Publication;
import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.partition.Accounting;
import io.coedge.partition.Geometry;
import io.coedge.partition.HaloExchangeException;
import io.coedge.partition.PartitionedExecutor;
import io.coedge.partition.Plan;
import io.coedge.tensor.Tensor;
import io.coedge.transport.TransportConfiguration;
import io.coedge.transport.halo.AeronHaloExchange;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A model split by rows across workers and this process ({@link CoEdgeCluster#LOCAL_DEVICE}, the initiator:
 * it scatters the input, gathers the tail's input, runs the tail and returns the result). Built by
 * {@link CoEdgeCluster#deploy(ModelSpec, Plan)}.
 *
 * <p>When a worker dies during a request, the request is re-run under a new plan version without it (its
 * rows go to a neighbour); a worker that restarted is joined again and gets the model (by hash) and the
 * plan again. The result only ever comes from this process's own device, once per {@link #infer} call;
 * frames of an abandoned plan version are dropped as stale by every receiver.
 */
public final class PartitionedSession implements AutoCloseable {
    private final CoEdgeCluster cluster;
    private final ModelSpec model;
    private final Graph graph;
    private Plan plan;
    private int local;
    private PartitionedExecutor executor;
    private AeronHaloExchange exchange;
    private final List<Publication> publications = new ArrayList<>();
    private long replans = -1;
    /** Set by {@link #recover} when it joined a worker again that had stopped answering. */
    private boolean rejoined;
    /** The last request failed, and workers may still be waiting in it: the next one pushes the plan again first. */
    private boolean abandoned;
    private Accounting lastCounted;
    /** Counts every request of the plan in force, cleared at each: {@link #lastCounted} holds until the next one. */
    private Accounting accounting;
    private io.aeron.Counter[] waitCounters = new io.aeron.Counter[0];
    private io.aeron.Counter flopsCounter;
    private io.aeron.Counter computeCounter;

    PartitionedSession(CoEdgeCluster cluster, ModelSpec model, Graph graph) {
        this.cluster = cluster;
        this.model = model;
        this.graph = graph;
    }

    /** Deploys the model and {@code p} (with a fresh version) to every worker device, and prepares the local device. */
    void activate(Plan p) {
        replans++;
        Plan versioned = p.withVersion(cluster.newPlanVersion());
        String[] endpoints = new String[versioned.deviceCount()];
        for (int d = 0; d < endpoints.length; d++) {
            String name = versioned.devices().get(d);
            endpoints[d] = name.equals(CoEdgeCluster.LOCAL_DEVICE) ? cluster.replyEndpoint() : cluster.member(name).endpoint;
        }
        for (int d = 0; d < endpoints.length; d++) {
            String name = versioned.devices().get(d);
            if (name.equals(CoEdgeCluster.LOCAL_DEVICE)) {
                continue;
            }
            CoEdgeCluster.Member m = cluster.member(name);
            if (!cluster.recentlyHeard(m)) {
                cluster.join(m);
            }
            cluster.deployTo(m, model, versioned.version());
            cluster.planPartition(m, model, versioned, d, endpoints);
        }
        closeLocal();
        int me = versioned.devices().indexOf(CoEdgeCluster.LOCAL_DEVICE);
        Geometry geometry = Geometry.of(graph, versioned);
        executor = new PartitionedExecutor(geometry, Executor.providers(System.getProperty(Executor.KERNELS_PROPERTY, "")), me);
        exchange = new AeronHaloExchange(geometry, Map.of(me, cluster.haloSubscription()), (from, to) -> {
            Publication pub = cluster.node.aeron().addExclusivePublication(cluster.node.udpChannel(endpoints[to]),
                    TransportConfiguration.HALO_STREAM_ID);
            publications.add(pub);
            return pub;
        }, cluster.ctx, cluster.counters());
        exchange.afterSend(cluster.node::wakeDriver);
        exchange.driverDutyCycle(cluster.node::driverDutyCycle);
        exchange.aroundWaits(cluster.node::expect, cluster.node::expectDone);
        List<CoEdgeCluster.Member> remote = new ArrayList<>();
        for (String name : versioned.devices()) {
            if (!name.equals(CoEdgeCluster.LOCAL_DEVICE)) {
                remote.add(cluster.member(name));
            }
        }
        CoEdgeCluster.Member[] watched = remote.toArray(CoEdgeCluster.Member[]::new);
        AeronHaloExchange ex = exchange;
        // While this process waits for a transfer, keep reading control replies: a worker that stops sending
        // heartbeats fails the request in a few heartbeat intervals instead of the whole receive timeout.
        ex.whileWaiting(() -> {
            int work = cluster.pollReplies();
            long now = System.nanoTime();
            for (CoEdgeCluster.Member m : watched) {
                String failed = cluster.partitionedError(m);
                if (failed != null) {
                    ex.abort("worker '" + m.name + "' failed the request: " + failed);
                }
                if (cluster.silent(m, now)) {
                    ex.abort("device " + m.name + " went silent (no heartbeat), the request is re-planned");
                }
            }
            return work;
        });
        // Looked up once per plan: the per-request accounting of this device then allocates nothing.
        List<io.aeron.Counter> waits = new ArrayList<>();
        for (String name : versioned.devices()) {
            if (!name.equals(CoEdgeCluster.LOCAL_DEVICE)) {
                waits.add(cluster.counters().waitNs(name));
            }
        }
        waitCounters = waits.toArray(io.aeron.Counter[]::new);
        flopsCounter = cluster.counters().flops("all");
        computeCounter = cluster.counters().computeNs("all");
        accounting = executor.newAccounting();
        plan = versioned;
        local = me;
    }

    private void closeLocal() {
        publications.forEach(Publication::close);
        publications.clear();
    }

    /**
     * Pushes this session's plan again under a new version (e.g. before timing it, when another session used
     * the same workers). {@link #infer} does this by itself when needed.
     */
    public void refresh() {
        activate(plan);
        replans--;
    }

    /** The plan in force (its version changes when the session re-plans). */
    public Plan plan() {
        return plan;
    }

    /** How many times the session re-planned because a worker was lost or restarted. */
    public long replans() {
        return replans;
    }

    /**
     * What this process's device counted in the last request (FLOPs, bytes) as the geometry predicts. The next
     * {@link #infer} counts into the same object: read it before then.
     */
    public Accounting lastCounted() {
        return lastCounted;
    }

    /** Runs one inference; the output lives in {@code arena}. */
    public Tensor infer(Arena arena, Tensor input) {
        long requestId = cluster.newRequestId();
        if (abandoned) {
            // The last request failed: the workers that had no part in the failure may still wait for its halos,
            // up to their receive timeout. A new plan version makes them give it up now.
            abandoned = false;
            refresh(); // same plan, new version: no re-plan
        }
        // Indexed loops over the plan's devices here and below: this runs on every request, and an
        // iterator per loop is garbage.
        for (int i = 0; i < plan.deviceCount(); i++) {
            String d = plan.devices().get(i);
            if (d.equals(CoEdgeCluster.LOCAL_DEVICE)) {
                continue;
            }
            CoEdgeCluster.Member m = cluster.member(d);
            if (!cluster.recentlyHeard(m)) {
                activate(recover(plan));
                break;
            }
            if (m.ackPlan != plan.version()) {
                activate(plan); // another session gave this worker its plan since: push ours again
                break;
            }
        }
        for (int attempt = 0; ; attempt++) {
            Accounting counted = accounting;
            counted.clear();
            try {
                // A worker that dies just before the request is found here (its control stream refuses the
                // message): the same recovery as a death during the request.
                for (int i = 0; i < plan.deviceCount(); i++) {
                    String d = plan.devices().get(i);
                    if (!d.equals(CoEdgeCluster.LOCAL_DEVICE)) {
                        cluster.startPartitioned(cluster.member(d), plan.version(), requestId);
                        cluster.pingForRtt(cluster.member(d));
                    }
                }
                exchange.begin(plan.version(), requestId);
                long wait0 = localWaitNs();
                long t0 = System.nanoTime();
                Map<String, Tensor> out = executor.runDevice(local, input, exchange, counted, arena);
                // As a worker does: compute time without halo waits, so the planner can measure this device too.
                long ns = System.nanoTime() - t0 - (localWaitNs() - wait0);
                flopsCounter.getAndAddOrdered(counted.flops(local));
                computeCounter.getAndAddOrdered(Math.max(0, ns));
                cluster.counters().inferences().incrementOrdered();
                lastCounted = counted;
                cluster.pollReplies();
                return out.get(graph.outputs().get(0));
            } catch (HaloExchangeException | CoEdgeCluster.WorkerLostException e) {
                cluster.pollReplies();
                if (attempt >= plan.deviceCount()) {
                    abandoned = true;
                    throw e;
                }
                rejoined = false;
                Plan next = recover(plan);
                if (next.equals(plan) && !rejoined && allAlive()) {
                    abandoned = true;
                    throw e; // nobody died: a real failure, not a lost device
                }
                activate(next); // also for a worker that restarted: it has lost the model and the plan
            }
        }
    }

    private long localWaitNs() {
        long t = 0;
        for (io.aeron.Counter c : waitCounters) {
            t += c.get();
        }
        return t;
    }

    private boolean allAlive() {
        for (String d : plan.devices()) {
            if (!d.equals(CoEdgeCluster.LOCAL_DEVICE) && !cluster.recentlyHeard(cluster.member(d))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The plan to continue with: workers that answer (again) stay; a worker that cannot be joined leaves, its
     * rows going to the device above it (or below, for the first).
     */
    private Plan recover(Plan p) {
        List<String> names = new ArrayList<>(p.devices());
        int[] rows = p.rows();
        List<Integer> rowList = new ArrayList<>();
        for (int r : rows) {
            rowList.add(r);
        }
        for (int d = names.size() - 1; d >= 0; d--) {
            String name = names.get(d);
            if (name.equals(CoEdgeCluster.LOCAL_DEVICE)) {
                continue;
            }
            CoEdgeCluster.Member m = cluster.member(name);
            if (cluster.recentlyHeard(m)) {
                continue;
            }
            try {
                cluster.join(m);
                rejoined = true;
                continue; // it restarted: same rows, it gets model and plan again
            } catch (IllegalStateException gone) {
                int to = d > 0 ? d - 1 : d + 1;
                rowList.set(to, rowList.get(to) + rowList.get(d));
                rowList.remove(d);
                names.remove(d);
            }
        }
        if (names.size() == p.deviceCount()) {
            return p;
        }
        int[] r = rowList.stream().mapToInt(Integer::intValue).toArray();
        return new Plan(p.version(), names, r, p.sync(), CoEdgeCluster.LOCAL_DEVICE, p.headSplit());
    }

    @Override
    public void close() {
        closeLocal();
    }

    @Override
    public String toString() {
        return "PartitionedSession" + Arrays.toString(plan.rows()) + " " + plan;
    }
}
