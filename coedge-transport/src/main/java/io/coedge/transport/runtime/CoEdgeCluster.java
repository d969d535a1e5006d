package io.coedge.transport.runtime;

import io.aeron.Publication;
import io.aeron.Subscription;
import io.coedge.tensor.Tensor;
import io.coedge.transport.ControlInbox;
import io.coedge.transport.ControlPublisher;
import io.coedge.transport.TransportConfiguration;
import io.coedge.transport.TransportContext;
import io.coedge.transport.TransportNode;
import io.coedge.transport.protocol.BodyReader;
import io.coedge.transport.protocol.ClusterKey;
import io.coedge.transport.protocol.ControlCodec;
import io.coedge.transport.protocol.ControlHeader;
import io.coedge.transport.protocol.FrameCheck;
import io.coedge.transport.protocol.MessageType;
import java.lang.foreign.Arena;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;

/**
 * The coordinator, inside the application: connects to workers, deploys models (once, verified by hash),
 * pushes plan versions, sends requests and collects results. No extra process.
 *
 * <pre>{@code
 * try (var cluster = CoEdgeCluster.connect(ClusterConfig.read(Path.of("cluster.conf")))) {
 *     var session = cluster.deploy(ModelSpec.zoo("resnet18", 0), "pi4-a", "jetson");
 *     Tensor out = session.infer(arena, input);
 * }
 * }</pre>
 *
 * Not thread-safe: one application thread drives a cluster (replies are polled while it waits).
 */
public final class CoEdgeCluster implements AutoCloseable {
    private static final int COORDINATOR_ID = -1;

    final TransportNode node;
    final TransportContext ctx;
    private final ClusterKey key;
    private final Subscription replies;
    private final ControlInbox inbox;
    private final String replyEndpoint;
    private final String replyChannel;
    private final String name;
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final Member[] byId;
    private final IdleStrategy idle = TransportNode.waitIdleStrategy();
    private final Map<Long, Pending> pending = new HashMap<>();
    private Subscription haloSubscription;
    private long nextRequestId = 1;
    // From the clock, so that a restarted coordinator's plans are newer than anything still in flight from
    // the previous one (receivers park frames of newer plans and drop older ones).
    private long nextPlanVersion = System.currentTimeMillis() * 1000L;
    private final io.coedge.transport.stat.WorkerCounters counters;
    private long staleResults;
    private long modelBytesSent;

    /** Coordinator-side state of one worker. */
    static final class Member {
        final int id;
        final String name;
        final String endpoint;
        ControlPublisher control;
        boolean joined;
        long incarnation;
        long lastHeardNs;
        long joinNonce;
        String aeronDir = "";
        int threads;
        long inferencesDone;
        // replies to the deployment and plan currently awaited
        int modelStatus = -1;
        long ackPlan = -1;
        long ackInferRequest = -1;
        long lastComputeNs;
        long lastEcho;
        long rttNs = -1;
        long lastPingNs;
        long lastFlops;
        String error;
        // the partitioned request this worker computes now, and the error it reported for it (null: none)
        long partitionedPlan;
        long partitionedRequest;
        String partitionedError;

        Member(int id, String name, String endpoint) {
            this.id = id;
            this.name = name;
            this.endpoint = endpoint;
        }
    }

    /** A request in flight on one worker. */
    static final class Pending {
        final long planVersion;
        final Member member;
        final TensorChunks.Assembly result;
        String error;

        Pending(long planVersion, Member member, Arena arena) {
            this.planVersion = planVersion;
            this.member = member;
            this.result = new TensorChunks.Assembly(arena);
        }
    }

    private CoEdgeCluster(ClusterConfig config) {
        this.key = ClusterKey.fromFileOrDevelopment(config.clusterKeyFile());
        this.name = "coordinator-" + ProcessHandle.current().pid();
        this.ctx = config.transport().clone().name(name);
        this.node = TransportNode.start(ctx);
        this.counters = new io.coedge.transport.stat.WorkerCounters(node.aeron(), name);
        try {
            // Port 0 is resolved here, not by Aeron: the halo subscription must name the very same channel
            // to share the socket, and Aeron binds a new ephemeral port for each "port 0" subscription.
            this.replyChannel = node.udpChannel(explicitPort(config.coordinatorEndpoint()));
            this.replies = node.aeron().addSubscription(replyChannel, TransportConfiguration.REPLY_STREAM_ID);
            String resolved = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (resolved == null && System.nanoTime() < deadline) {
                resolved = replies.resolvedEndpoint();
                if (resolved == null) {
                    idle.idle(node.driverDutyCycle());
                }
            }
            if (resolved == null) {
                throw new IllegalStateException("could not bind the coordinator endpoint " + config.coordinatorEndpoint());
            }
            this.replyEndpoint = resolved;
            this.inbox = new ControlInbox(replies, new ControlCodec(key), this::onReply, null);
            List<ClusterConfig.Member> list = config.workers();
            this.byId = new Member[list.size()];
            for (int i = 0; i < list.size(); i++) {
                ClusterConfig.Member m = list.get(i);
                Member mm = new Member(i, m.name(), m.endpoint());
                Publication p = node.aeron().addPublication(node.udpChannel(m.endpoint()), TransportConfiguration.CONTROL_STREAM_ID);
                mm.control = new ControlPublisher(p, new ControlCodec(key), COORDINATOR_ID, ctx.controlMaxMessageBytes(),
                        ctx.sendTimeoutNs()).onSent(node::wakeDriver)
                        .whileWaiting(node::driverDutyCycle);
                members.put(m.name(), mm);
                byId[i] = mm;
            }
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
    }

    /**
     * Starts the coordinator's transport and joins every worker of {@code config}. A worker that does not
     * answer within the connect timeout is an {@link IllegalStateException} naming it and what to check.
     */
    public static CoEdgeCluster connect(ClusterConfig config) {
        CoEdgeCluster c = new CoEdgeCluster(config);
        try {
            for (Member m : c.members.values()) {
                c.join(m);
            }
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static String explicitPort(String endpoint) {
        if (Endpoints.parse(endpoint, "coordinator endpoint") != 0) {
            return endpoint;
        }
        String host = Endpoints.host(endpoint);
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, java.net.InetAddress.getByName(host))) {
            return host + ":" + s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot find a free UDP port on " + host + ": " + e.getMessage());
        }
    }

    /** Worker names in cluster order. */
    public List<String> workers() {
        return new ArrayList<>(members.keySet());
    }

    /** Where the coordinator receives replies (HOST:PORT, port resolved). */
    public String replyEndpoint() {
        return replyEndpoint;
    }

    /** The Aeron directory of each joined worker (for {@code coedge stat} and {@link io.coedge.transport.stat.LiveCounters}). */
    public Map<String, String> workerDirectories() {
        Map<String, String> m = new LinkedHashMap<>();
        members.values().forEach(x -> m.put(x.name, x.aeronDir));
        return m;
    }

    /** Results that arrived for a request already delivered or re-planned (dropped, never delivered twice). */
    public long staleResults() {
        return staleResults;
    }

    Member member(String worker) {
        Member m = members.get(worker);
        if (m == null) {
            throw new IllegalArgumentException("no worker named '" + worker + "' in the cluster; known: " + members.keySet());
        }
        return m;
    }

    /**
     * Deploys {@code model} for whole-model inference on the first of {@code workers} that is reachable; the
     * others are fall-backs used, in order, if that worker dies (the request is re-run on a new plan).
     */
    public CoEdgeSession deploy(ModelSpec model, String... workers) {
        if (workers.length == 0) {
            throw new IllegalArgumentException("name at least one worker to deploy to; known: " + members.keySet());
        }
        List<Member> list = new ArrayList<>();
        for (String w : workers) {
            list.add(member(w));
        }
        CoEdgeSession s = new CoEdgeSession(this, model, list);
        s.activate(null);
        return s;
    }

    /** Name of the coordinator's own device in partitioned plans; it must be the plan's tail (the initiator). */
    public static final String LOCAL_DEVICE = "local";

    /**
     * Deploys {@code model} split by {@code plan}: the plan's devices are worker names and
     * {@value #LOCAL_DEVICE} (this process, which holds the input, runs the tail and may own rows or none);
     * the plan's tail must be {@value #LOCAL_DEVICE}.
     */
    public PartitionedSession deploy(ModelSpec model, io.coedge.partition.Plan plan) {
        if (!plan.tailDevice().equals(LOCAL_DEVICE)) {
            throw new IllegalArgumentException("the plan's tail device must be '" + LOCAL_DEVICE
                    + "' (the coordinator holds the input and returns the result); use plan.withTail(\"" + LOCAL_DEVICE + "\")");
        }
        for (String d : plan.devices()) {
            if (!d.equals(LOCAL_DEVICE)) {
                member(d);
            }
        }
        PartitionedSession s = new PartitionedSession(this, model, Models.build(model));
        s.activate(plan);
        return s;
    }

    /** The subscription on which this process's own device receives transfers (made on first use). */
    Subscription haloSubscription() {
        if (haloSubscription == null) {
            // The same channel string as the replies: Aeron then shares the bound socket (with port 0, another
            // string would bind another port).
            haloSubscription = node.aeron().addSubscription(replyChannel, TransportConfiguration.HALO_STREAM_ID);
        }
        return haloSubscription;
    }

    /** Sends a partitioned plan to {@code m} (device {@code me}) and waits for its acknowledgement. */
    void planPartition(Member m, ModelSpec model, io.coedge.partition.Plan plan, int me, String[] endpoints) {
        long deadline = System.nanoTime() + ctx.receiveTimeoutNs();
        m.error = null;
        byte[] sha = model.sha256();
        String text = plan.toText();
        long v = plan.version();
        check(m, m.control.send(MessageType.PLAN, 0, v, 0, w -> {
            w.putRaw(sha).putString(text).putInt(me).putInt(endpoints.length);
            for (String e : endpoints) {
                w.putString(e);
            }
        }));
        awaitOrFail(m, () -> m.ackPlan == v, deadline, "plan " + v);
    }

    /** Sends request {@code requestId} of a partitioned plan to {@code m} (its input comes by scatter). */
    void startPartitioned(Member m, long planVersion, long requestId) {
        m.partitionedPlan = planVersion;
        m.partitionedRequest = requestId;
        m.partitionedError = null;
        check(m, m.control.send(MessageType.INFER, 0, planVersion, requestId, null));
    }

    /**
     * The error {@code m} reported for the partitioned request it computes now (its kernel failed, or it had
     * another plan), or null. The waiting session fails the request with it at once, instead of waiting out the
     * receive timeout for transfers that will not come.
     */
    String partitionedError(Member m) {
        return m.partitionedError;
    }

    /** Polls replies without waiting; returns fragments read. */
    int pollReplies() {
        return inbox.poll(64);
    }

    /** True if {@code m} sent nothing (not even a heartbeat) for four heartbeat intervals. */
    boolean silent(Member m, long nowNs) {
        return nowNs - m.lastHeardNs > 4 * ctx.heartbeatIntervalNs();
    }

    /** An error a worker reported for {@code requestId}, or null. */
    String takeError(Member m) {
        String e = m.error;
        m.error = null;
        return e;
    }

    long newPlanVersion() {
        return nextPlanVersion++;
    }

    long newRequestId() {
        return nextRequestId++;
    }

    // ---- joining, deployment, plans ----

    void join(Member m) {
        long deadline = System.nanoTime() + ctx.connectTimeoutNs();
        if (!m.control.awaitConnected(ctx.connectTimeoutNs())) {
            throw new IllegalStateException("worker '" + m.name + "' at " + m.endpoint + " is not reachable (no answer within "
                    + TimeUnit.NANOSECONDS.toMillis(ctx.connectTimeoutNs()) + " ms); check that it runs "
                    + "('coedge worker --name " + m.name + " --endpoint " + m.endpoint + "'), the address, and the firewall");
        }
        m.joined = false;
        m.joinNonce = System.nanoTime();
        long nonce = m.joinNonce;
        int rc = m.control.send(MessageType.JOIN, 0, 0, nonce, w -> w.putString(replyEndpoint).putInt(m.id).putString(name));
        if (rc != ControlPublisher.SENT || !await(() -> m.joined, deadline)) {
            throw new IllegalStateException("worker '" + m.name + "' at " + m.endpoint + " is up but did not answer the join within "
                    + TimeUnit.NANOSECONDS.toMillis(ctx.connectTimeoutNs()) + " ms; check that it uses the same cluster key file"
                    + " and that it can reach " + replyEndpoint);
        }
    }

    /** Deploys {@code model} to {@code m} (skipped by the worker if it has the hash); throws on refusal. */
    void deployTo(Member m, ModelSpec model, long planVersion) {
        long deadline = System.nanoTime() + ctx.receiveTimeoutNs();
        m.modelStatus = -1;
        m.error = null;
        byte[] sha = model.sha256();
        long total = model.bytes().length;
        check(m, m.control.send(MessageType.DEPLOY_MODEL, 0, planVersion, 0, w -> w.putRaw(sha).putInt(model.kind().code())
                .putString(model.name()).putLong(model.seed()).putLong(total).putLong(0).putBytes(new byte[0], 0, 0)));
        awaitOrFail(m, () -> m.modelStatus >= 0, deadline, "deployment of " + model);
        if (m.modelStatus == 1) {
            return;
        }
        byte[] bytes = model.bytes();
        int maxChunk = m.control.maxBodyBytes() - (32 + 4 + 4 + model.name().length() * 4 + 8 + 8 + 8 + 4);
        m.modelStatus = -1;
        for (int at = 0; at < bytes.length; at += maxChunk) {
            int offset = at;
            int len = Math.min(maxChunk, bytes.length - at);
            boolean last = at + len == bytes.length;
            modelBytesSent += len;
            check(m, m.control.send(MessageType.DEPLOY_MODEL, last ? ControlHeader.FLAG_LAST_CHUNK : 0, planVersion, 0,
                    w -> w.putRaw(sha).putInt(model.kind().code()).putString(model.name()).putLong(model.seed()).putLong(total)
                            .putLong(offset).putBytes(bytes, offset, len)));
            inbox.poll(16);
        }
        // The upload's own time is bounded chunk by chunk (each send waits at most the send timeout for the link);
        // the receive timeout is for the worker's answer after it, not for a large model on a slow link.
        deadline = System.nanoTime() + ctx.receiveTimeoutNs();
        awaitOrFail(m, () -> m.modelStatus == 1, deadline, "deployment of " + model);
    }

    /** Sends plan {@code planVersion} (whole model on {@code m}) and waits for its acknowledgement. */
    void planOn(Member m, ModelSpec model, long planVersion) {
        long deadline = System.nanoTime() + ctx.receiveTimeoutNs();
        m.error = null;
        byte[] sha = model.sha256();
        check(m, m.control.send(MessageType.PLAN, 0, planVersion, 0, w -> w.putRaw(sha).putString(Worker.SINGLE_DEVICE_PLAN)));
        awaitOrFail(m, () -> m.ackPlan == planVersion, deadline, "plan " + planVersion);
    }

    private void check(Member m, int rc) {
        if (rc != ControlPublisher.SENT) {
            throw new WorkerLostException(m.name, "worker '" + m.name + "' at " + m.endpoint + " stopped accepting messages");
        }
    }

    private void awaitOrFail(Member m, BooleanSupplier done, long deadline, String what) {
        boolean ok = await(() -> done.getAsBoolean() || m.error != null, deadline);
        if (m.error != null) {
            String e = m.error;
            m.error = null;
            throw new IllegalStateException(what + " failed on worker '" + m.name + "': " + e);
        }
        if (!ok) {
            throw new WorkerLostException(m.name, "worker '" + m.name + "' did not answer " + what + " within "
                    + TimeUnit.NANOSECONDS.toMillis(ctx.receiveTimeoutNs()) + " ms");
        }
    }

    /** Polls replies until {@code done} or the deadline; true if done. */
    boolean await(BooleanSupplier done, long deadlineNs) {
        idle.reset();
        while (!done.getAsBoolean()) {
            int n = inbox.poll(32);
            if (n == 0) {
                if (System.nanoTime() - deadlineNs > 0) {
                    return done.getAsBoolean();
                }
                idle.idle(node.driverDutyCycle());
            }
        }
        return true;
    }

    /**
     * True if {@code m} is joined and alive: heard from within 1.5 heartbeat intervals, or answering a
     * heartbeat now (within the connect timeout). A restarted worker does not answer (it has no session), so
     * it is detected here, before a request is sent to it.
     */
    boolean recentlyHeard(Member m) {
        inbox.poll(64);
        if (!m.joined) {
            return false;
        }
        long now = System.nanoTime();
        if (now - m.lastHeardNs < ctx.heartbeatIntervalNs() * 3 / 2) {
            return true;
        }
        long sentAt = System.nanoTime();
        m.lastPingNs = sentAt;
        if (m.control.send(MessageType.HEARTBEAT, 0, 0, 0, w -> w.putLong(sentAt)) != ControlPublisher.SENT) {
            return false;
        }
        return await(() -> m.lastHeardNs - sentAt > 0 || !m.joined, sentAt + ctx.connectTimeoutNs()) && m.joined;
    }

    // ---- requests ----

    /** Sends request {@code requestId} of {@code planVersion} to {@code m}; the result is collected by {@link #awaitResult}. */
    Pending startRequest(Member m, long planVersion, long requestId, Tensor input, Arena arena) {
        Pending p = new Pending(planVersion, m, arena);
        pending.put(requestId, p);
        int rc = TensorChunks.send(m.control, MessageType.INFER, planVersion, requestId, input);
        if (rc != ControlPublisher.SENT) {
            pending.remove(requestId);
            throw new WorkerLostException(m.name, "worker '" + m.name + "' did not accept request " + requestId);
        }
        return p;
    }

    /** Waits for the result of {@code requestId}; on success the request is retired so a late duplicate is dropped. */
    Tensor awaitResult(long requestId, Pending p) {
        long deadline = System.nanoTime() + ctx.receiveTimeoutNs();
        // Workers heartbeat while they compute; silence for 4 intervals means the process is gone.
        long silentNs = 4 * ctx.heartbeatIntervalNs();
        Member m = p.member;
        boolean done = await(() -> p.result.complete() || p.error != null || p.result.failed()
                || System.nanoTime() - m.lastHeardNs > silentNs || !m.joined, deadline);
        pending.remove(requestId);
        if (!p.result.complete() && p.error == null && !p.result.failed()) {
            throw new WorkerLostException(m.name, "worker '" + m.name + "' " + (done ? "went silent (no heartbeat for "
                    + TimeUnit.NANOSECONDS.toMillis(silentNs) + " ms)" : "did not return the result") + " of request " + requestId
                    + (done ? "" : " within " + TimeUnit.NANOSECONDS.toMillis(ctx.receiveTimeoutNs()) + " ms"));
        }
        if (p.error != null) {
            throw new IllegalStateException(p.error);
        }
        if (p.result.failed()) {
            throw new IllegalStateException("worker '" + p.member.name + "' sent a malformed result for request " + requestId);
        }
        return p.result.tensor();
    }

    /** Forgets a request (re-planned elsewhere): anything that still arrives for it is dropped as stale. */
    void retire(long requestId) {
        pending.remove(requestId);
    }

    private void onReply(ControlHeader h, BodyReader body, DirectBuffer buffer) {
        int id = h.senderId();
        if (id < 0 || id >= byId.length) {
            inbox.drop(FrameCheck.UNEXPECTED);
            return;
        }
        Member m = byId[id];
        m.lastHeardNs = System.nanoTime();
        switch (h.type()) {
            case HELLO -> {
                String n = body.getString(256);
                long inc = body.getLong();
                int threads = body.getInt();
                String dir = body.getString(4096);
                if (!body.complete() || !n.equals(m.name) || h.requestId() != m.joinNonce) {
                    inbox.drop(FrameCheck.UNEXPECTED);
                    return;
                }
                m.incarnation = inc;
                m.threads = threads;
                m.aeronDir = dir;
                m.joined = true;
            }
            case HEARTBEAT -> {
                long inc = body.getLong();
                long done = body.getLong();
                long echo = body.getLong();
                if (!body.complete()) {
                    inbox.drop(FrameCheck.BAD_BODY);
                    return;
                }
                if (m.joined && inc != m.incarnation) {
                    m.joined = false; // a different process answers under this name: it must be joined again
                }
                m.inferencesDone = done;
                if (echo != 0 && echo != m.lastEcho) {
                    m.lastEcho = echo;
                    m.rttNs = System.nanoTime() - echo;
                    counters.rttNs(m.name).setOrdered(m.rttNs);
                }
            }
            case MODEL_STATUS -> {
                body.getRaw(32);
                int have = body.getInt();
                if (!body.complete()) {
                    inbox.drop(FrameCheck.BAD_BODY);
                    return;
                }
                m.modelStatus = have;
            }
            case ACK -> {
                int type = body.getInt();
                if (body.complete() && type == MessageType.PLAN.code()) {
                    m.ackPlan = h.planVersion();
                } else if (type == MessageType.INFER.code()) {
                    long ns = body.getLong();
                    long flops = body.getLong();
                    body.getLong();
                    if (body.complete()) {
                        m.ackInferRequest = h.requestId();
                        m.lastComputeNs = ns;
                        m.lastFlops = flops;
                    }
                }
            }
            case RESULT -> {
                Pending p = pending.get(h.requestId());
                if (p == null || p.member != m || p.planVersion != h.planVersion()) {
                    staleResults++;
                    inbox.drop(FrameCheck.STALE);
                    return;
                }
                if (!p.result.add(body, buffer)) {
                    inbox.drop(FrameCheck.BAD_BODY);
                }
            }
            case ERROR -> {
                int code = body.getInt();
                String msg = body.getString(1 << 16);
                if (!body.complete()) {
                    inbox.drop(FrameCheck.BAD_BODY);
                    return;
                }
                Pending p = pending.get(h.requestId());
                if (p != null && p.member == m && h.requestId() != 0) {
                    p.error = msg;
                } else if (h.requestId() != 0 && h.requestId() == m.partitionedRequest
                        && h.planVersion() == m.partitionedPlan) {
                    m.partitionedError = msg + " (code " + code + ")";
                } else if (h.requestId() != 0) {
                    // A partitioned request the coordinator already abandoned (its own exchange failed first, and it
                    // is re-planning): not an answer to the deployment or plan being pushed now, so it must not
                    // fail that push.
                    staleResults++;
                    inbox.drop(FrameCheck.STALE);
                } else {
                    m.error = msg + " (code " + code + ")";
                }
            }
            default -> inbox.drop(FrameCheck.UNEXPECTED);
        }
    }

    /** Last measured round trip to {@code worker} in nanoseconds (heartbeat echo), or -1 before the first. */
    public long rttNs(String worker) {
        return member(worker).rttNs;
    }

    /** Sends {@code m} a heartbeat to time the round trip, at most once a heartbeat interval; never waits. */
    void pingForRtt(Member m) {
        long now = System.nanoTime();
        if (now - m.lastPingNs > ctx.heartbeatIntervalNs()) {
            m.lastPingNs = now;
            m.control.send(MessageType.HEARTBEAT, 0, 0, 0, w -> w.putLong(now));
        }
    }

    /** The coordinator's own counters: its device {@value #LOCAL_DEVICE} counts compute and halo waits there. */
    io.coedge.transport.stat.WorkerCounters counters() {
        return counters;
    }

    /** The process name the coordinator's counters carry in their labels. */
    public String counterName() {
        return name;
    }

    /** The coordinator's Aeron directory (where {@link io.coedge.transport.stat.LiveCounters} finds its counters). */
    public String aeronDirectory() {
        return node.aeronDir();
    }

    /** Model bytes sent to workers so far (zero for a model every worker already had by hash). */
    public long modelBytesSent() {
        return modelBytesSent;
    }

    /** Messages dropped by the coordinator's inbox. */
    public long droppedMessages() {
        return inbox.droppedTotal();
    }

    @Override
    public void close() {
        for (Member m : members.values()) {
            if (m.control != null) {
                if (m.joined && m.control.isConnected()) {
                    m.control.send(MessageType.BYE, 0, 0, 0, null);
                }
                m.control.close();
            }
        }
        if (haloSubscription != null) {
            haloSubscription.close();
        }
        counters.close();
        if (replies != null) {
            replies.close();
        }
        node.close();
    }

    /** A worker stopped answering; the session may re-plan around it. */
    public static final class WorkerLostException extends IllegalStateException {
        private final String worker;

        public WorkerLostException(String worker, String message) {
            super(message);
            this.worker = worker;
        }

        public String worker() {
            return worker;
        }
    }

    static boolean sameHash(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }
}
