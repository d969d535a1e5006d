package io.coedge.transport.runtime;

import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.List;

/**
 * A deployed model with its current plan. {@link #infer} runs one request; if the worker running it dies,
 * the request is re-run under a new plan on the next reachable worker, and a result of the old plan that
 * arrives late is dropped: every request is delivered at most once.
 */
public final class CoEdgeSession {
    private final CoEdgeCluster cluster;
    private final ModelSpec model;
    private final List<CoEdgeCluster.Member> candidates;
    private CoEdgeCluster.Member active;
    private long planVersion = -1;
    private long replans;

    CoEdgeSession(CoEdgeCluster cluster, ModelSpec model, List<CoEdgeCluster.Member> candidates) {
        this.cluster = cluster;
        this.model = model;
        this.candidates = List.copyOf(candidates);
    }

    /** Chooses the first reachable candidate (other than {@code avoid}), deploys and plans there. */
    void activate(CoEdgeCluster.Member avoid) {
        RuntimeException last = null;
        for (CoEdgeCluster.Member m : candidates) {
            if (m == avoid) {
                continue;
            }
            try {
                if (!cluster.recentlyHeard(m)) {
                    cluster.join(m);
                }
                planOn(m);
                return;
            } catch (IllegalStateException e) {
                last = e;
            }
        }
        throw last != null ? last : new IllegalStateException("no worker left to run " + model);
    }

    /** The worker running the current plan. */
    public String activeWorker() {
        return active.name;
    }

    public long planVersion() {
        return planVersion;
    }

    /** How many times the session moved to a new plan because a worker was lost or restarted. */
    public long replans() {
        return replans;
    }

    /**
     * Runs one inference; the output lives in {@code arena}. A worker that restarted since the last request is
     * joined again and gets the model and plan again (by hash: no transfer if it kept the model); so does one that
     * another session of the cluster gave its plan meanwhile.
     */
    public Tensor infer(Arena arena, Tensor input) {
        long requestId = cluster.newRequestId();
        if (!cluster.recentlyHeard(active)) {
            replan(null);
        } else if (active.ackPlan != planVersion) {
            // Another session gave this worker its own plan since (a worker holds one): ours again.
            planOn(active);
        }
        for (int attempt = 0; ; attempt++) {
            try {
                CoEdgeCluster.Pending p = cluster.startRequest(active, planVersion, requestId, input, arena);
                return cluster.awaitResult(requestId, p);
            } catch (CoEdgeCluster.WorkerLostException e) {
                cluster.retire(requestId);
                if (attempt >= candidates.size()) {
                    throw e;
                }
                replan(e);
            }
        }
    }

    private void replan(CoEdgeCluster.WorkerLostException cause) {
        replans++;
        CoEdgeCluster.Member was = active;
        try {
            // Same worker first: it may only have restarted.
            cluster.join(was);
            planOn(was);
        } catch (IllegalStateException e) {
            activate(was);
        }
    }

    /**
     * Makes {@code m} run this session's model under a new plan version: the model goes by hash, so nothing is
     * sent again if the worker kept it.
     */
    private void planOn(CoEdgeCluster.Member m) {
        long v = cluster.newPlanVersion();
        cluster.deployTo(m, model, v);
        cluster.planOn(m, model, v);
        active = m;
        planVersion = v;
    }
}
