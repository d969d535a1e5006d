package io.coedge.transport.runtime;

import io.aeron.Publication;
import io.aeron.Subscription;
import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.partition.Accounting;
import io.coedge.partition.Geometry;
import io.coedge.partition.PartitionedExecutor;
import io.coedge.partition.Plan;
import io.coedge.planner.LayerCostTable;
import io.coedge.transport.halo.AeronHaloExchange;
import java.util.ArrayList;
import java.util.List;
import io.coedge.tensor.Tensor;
import io.coedge.transport.AdaptiveIdleStrategy;
import io.coedge.transport.ControlInbox;
import io.coedge.transport.ControlPublisher;
import io.coedge.transport.TransportConfiguration;
import io.coedge.transport.TransportContext;
import io.coedge.transport.TransportNode;
import io.coedge.transport.protocol.BodyReader;
import io.coedge.transport.protocol.BodyWriter;
import io.coedge.transport.protocol.ClusterKey;
import io.coedge.transport.protocol.ControlCodec;
import io.coedge.transport.protocol.ControlHeader;
import io.coedge.transport.protocol.FrameCheck;
import io.coedge.transport.protocol.MessageType;
import io.coedge.transport.stat.WorkerCounters;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.concurrent.ConcurrentHashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;

/**
 * One device as a process: an Aeron driver, a control subscription on its endpoint, and the models and
 * plans a coordinator deploys to it. It stays up across many inferences and plans until {@link #close()}
 * (SIGTERM through {@link WorkerMain}).
 *
 * <p>Threads: the control loop ({@link #run()}) owns the control subscription and all session state; a
 * single compute thread runs inferences and publishes their results, so the control loop keeps answering
 * heartbeats while a long layer computes.
 */
public final class Worker implements AutoCloseable, Runnable {
    /** Error codes in ERROR messages. */
    public static final int ERR_MODEL = 1;
    public static final int ERR_PLAN = 2;
    public static final int ERR_INFERENCE = 3;
    public static final int ERR_NO_SESSION = 4;

    /** Settings of a worker; the CLI maps its options here. */
    public static final class Config {
        String name;
        String endpoint;
        Path clusterKeyFile;
        int threads = 1;
        Path modelCacheDir = Path.of(System.getProperty("user.home"), ".cache", "coedge", "models");
        TransportContext transport = new TransportContext();
        boolean exitWithParent;

        /** Device name: unique in the cluster; also the name of its Aeron directory. */
        public Config name(String n) {
            this.name = n;
            return this;
        }

        /** {@code HOST:PORT} this worker listens on (UDP). */
        public Config endpoint(String e) {
            this.endpoint = e;
            return this;
        }

        /** File holding the cluster key; null uses the public development key (with a warning). */
        public Config clusterKeyFile(Path f) {
            this.clusterKeyFile = f;
            return this;
        }

        /** Compute threads this device may use (reported to the coordinator and the planner). */
        public Config threads(int n) {
            this.threads = n;
            return this;
        }

        /** Where ONNX models received by hash are kept, so a restarted worker need not receive them again. */
        public Config modelCacheDir(Path d) {
            this.modelCacheDir = d;
            return this;
        }

        /**
         * Stop when the process that started this one ends, however it ends ({@link WorkerMain} only): for workers
         * another program starts for its own run ({@link LocalWorkers}), which must not outlive it when it is killed.
         */
        public Config exitWithParent(boolean exit) {
            this.exitWithParent = exit;
            return this;
        }

        public Config transport(TransportContext t) {
            this.transport = t;
            return this;
        }

        void validate() {
            if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw new IllegalArgumentException("--name '" + name + "' must be 1-64 letters, digits, '.', '_' or '-'");
            }
            if (Endpoints.parse(endpoint, "--endpoint") == 0) {
                // the control and halo subscriptions would each bind another ephemeral port, and none is announced
                throw new IllegalArgumentException("--endpoint '" + endpoint + "' needs a fixed port: coordinators send to it");
            }
            if (threads < 1 || threads > 1024) {
                throw new IllegalArgumentException("--threads must be between 1 and 1024, got " + threads);
            }
        }
    }

    private final Config config;
    private final ClusterKey key;
    private final TransportNode node;
    private final WorkerCounters counters;
    private final ControlInbox inbox;
    private final Subscription controlSubscription;
    private final ComputeThread compute;
    /** Partitioned requests handed to the compute thread, reused in turn (a power of two). Control loop only. */
    private final PartitionedRequest[] requests = new PartitionedRequest[8];
    private int nextRequest;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final long incarnation = System.nanoTime() ^ System.currentTimeMillis() << 20;
    private final IdleStrategy idle = TransportNode.waitIdleStrategy();
    /**
     * How the control loop idles while the compute thread runs an inference, when waits idle the default adaptive
     * way: the same, but parking up to {@value #COMPUTING_MAX_PARK_MS} ms instead of 1. Why: the loop then has
     * only heartbeats to answer, and each of its wake-ups (a thousand a second) takes the core from the compute
     * thread on a board with one core per device. A message still gets an answer within that park.
     */
    private final IdleStrategy computingIdle;
    /** Longest park of the control loop while an inference computes. */
    static final long COMPUTING_MAX_PARK_MS = 5;
    /** Inferences the compute thread is running (0 or 1): while one is, the control loop idles with {@link #computingIdle}. */
    private final AtomicInteger computing = new AtomicInteger();
    /** The thread running the control loop, woken when an inference ends so that it idles the short way again. */
    private volatile Thread controlThread;

    // Session state: owned by the control loop.
    private volatile ControlPublisher reply;
    private String replyEndpoint;
    private int memberId = -1;
    // Written by the compute thread (models are built there, so heartbeats go on during a long build).
    private final Map<String, Graph> models = new ConcurrentHashMap<>();
    private final Map<String, Executor> executors = new ConcurrentHashMap<>();
    private ModelUpload upload;
    private volatile long planVersion = -1;
    private volatile String planModel;
    private final Subscription haloSubscription;
    // Written by the compute thread: the partitioned plan this worker runs a device of, or null.
    private volatile PartitionState partition;
    private long inferRequest = -1;
    private long inferPlan = -1;
    private TensorChunks.Assembly inferAssembly;
    private Arena inferArena;
    private long lastHeartbeatNs;
    private long echoNs;

    /** Starts the driver, the control subscription and the compute thread. */
    public Worker(Config config) {
        config.validate();
        this.config = config;
        this.key = ClusterKey.fromFileOrDevelopment(config.clusterKeyFile);
        if (key.isDevelopment()) {
            System.err.println("[" + config.name + "] warning: no --cluster-key-file given; using the public development key."
                    + " Anyone on the network can control this worker.");
        }
        this.node = TransportNode.start(config.transport.name(config.name)
                .defaultThreadingMode(TransportConfiguration.WORKER_THREADING_MODE_DEFAULT));
        try {
            this.counters = new WorkerCounters(node.aeron(), config.name);
            this.controlSubscription = node.aeron().addSubscription(node.udpChannel(config.endpoint),
                    TransportConfiguration.CONTROL_STREAM_ID);
            this.haloSubscription = node.aeron().addSubscription(node.udpChannel(config.endpoint),
                    TransportConfiguration.HALO_STREAM_ID);
        } catch (RuntimeException e) {
            // The transport's threads would keep the JVM up: a worker that cannot listen must end, not hang.
            node.close();
            throw new IllegalStateException("worker " + config.name + " cannot listen on " + config.endpoint + ": "
                    + bindFailure(e));
        }
        this.inbox = new ControlInbox(controlSubscription, new ControlCodec(key), this::onMessage, counters.dropped());
        this.computingIdle = idle instanceof AdaptiveIdleStrategy
                ? new AdaptiveIdleStrategy(TimeUnit.MICROSECONDS.toNanos(1),
                        TimeUnit.MILLISECONDS.toNanos(COMPUTING_MAX_PARK_MS))
                : idle;
        this.compute = new ComputeThread("coedge-compute-" + config.name);
        for (int i = 0; i < requests.length; i++) {
            requests[i] = new PartitionedRequest();
        }
    }

    /** The reason in Aeron's registration error, without its channel and stack details ("Address already in use"). */
    static String bindFailure(RuntimeException e) {
        String m = String.valueOf(e.getMessage());
        int at = m.lastIndexOf("channel error - ");
        if (at >= 0) {
            m = m.substring(at + "channel error - ".length());
            int cut = m.indexOf(" (at ");
            if (cut < 0) {
                cut = m.indexOf(": aeron:");
            }
            if (cut >= 0) {
                m = m.substring(0, cut);
            }
        }
        return m.contains("in use") ? m + " (another process has this port; give the worker another --endpoint)" : m;
    }

    public String name() {
        return config.name;
    }

    public String endpoint() {
        return config.endpoint;
    }

    /** The Aeron directory holding this worker's counters. */
    public String aeronDir() {
        return node.aeronDir();
    }

    public WorkerCounters counters() {
        return counters;
    }

    /** Runs the control loop until {@link #stop()}. */
    @Override
    public void run() {
        controlThread = Thread.currentThread();
        node.driverDutyCycleInLoop(true); // doWork runs it
        try {
            while (running.get()) {
                int work = doWork();
                if (work > 0) {
                    idle.reset();
                    computingIdle.reset();
                } else if (computing.get() > 0) {
                    computingIdle.idle();
                } else {
                    idle.idle();
                }
            }
        } finally {
            node.driverDutyCycleInLoop(false);
        }
    }

    /** One duty cycle: poll control, send a heartbeat when due. Returns work done (0 lets the caller idle). */
    public int doWork() {
        // The driver's own work (timers, status messages) does not count: it would restart the idle strategy's
        // spinning every millisecond. What it takes off the socket for this loop, the poll below counts.
        node.driverDutyCycle();
        int work = inbox.poll(16);
        long now = System.nanoTime();
        ControlPublisher r = reply;
        if (r != null && now - lastHeartbeatNs > node.context().heartbeatIntervalNs()) {
            lastHeartbeatNs = now;
            long done = counters.inferences().get();
            long echo = echoNs;
            r.send(MessageType.HEARTBEAT, 0, planVersion, 0, w -> w.putLong(incarnation).putLong(done).putLong(echo));
            work++;
        }
        return work;
    }

    /** Asks the control loop to end (safe from any thread, e.g. a shutdown hook). */
    public void stop() {
        running.set(false);
    }

    private void onMessage(ControlHeader h, BodyReader body, DirectBuffer buffer) {
        MessageType type = h.type();
        switch (type) {
            case JOIN -> onJoin(h, body);
            case DEPLOY_MODEL -> onDeploy(h, body, buffer);
            case PLAN -> onPlan(h, body);
            case INFER -> onInfer(h, body, buffer);
            case HEARTBEAT -> {
                long ts = body.getLong();
                if (body.valid()) {
                    echoNs = ts;
                    lastHeartbeatNs = 0; // answer at once: the coordinator is checking that we are alive
                }
            }
            case BYE -> closeSession();
            default -> inbox.drop(FrameCheck.UNEXPECTED);
        }
    }

    private void onJoin(ControlHeader h, BodyReader body) {
        String endpoint = body.getString(256);
        int member = body.getInt();
        String coordinator = body.getString(256);
        if (!body.complete()) {
            inbox.drop(FrameCheck.BAD_BODY);
            return;
        }
        try {
            Endpoints.parse(endpoint, "reply endpoint");
        } catch (IllegalArgumentException e) {
            inbox.drop(FrameCheck.BAD_BODY);
            return;
        }
        if (reply == null || !endpoint.equals(replyEndpoint)) {
            closeSession();
            Publication p = node.aeron().addPublication(node.udpChannel(endpoint), TransportConfiguration.REPLY_STREAM_ID);
            reply = new ControlPublisher(p, new ControlCodec(key), member, node.context().controlMaxMessageBytes(),
                    node.context().sendTimeoutNs()).onSent(node::wakeDriver)
                    .whileWaiting(node::driverDutyCycle);
            replyEndpoint = endpoint;
            System.err.println("[" + config.name + "] joined by " + coordinator + " (reply to " + endpoint + ")");
        }
        memberId = member;
        reply.awaitConnected(node.context().connectTimeoutNs());
        String dir = node.aeronDir();
        reply.send(MessageType.HELLO, 0, planVersion, h.requestId(), w -> w.putString(config.name).putLong(incarnation)
                .putInt(config.threads).putString(dir));
    }

    private void closeSession() {
        if (reply != null) {
            reply.close();
            reply = null;
            replyEndpoint = null;
        }
    }

    /** An ONNX model arriving in chunks. */
    private static final class ModelUpload {
        final byte[] sha;
        final String name;
        final byte[] bytes;
        long received;

        ModelUpload(byte[] sha, String name, int total) {
            this.sha = sha;
            this.name = name;
            this.bytes = new byte[total];
        }
    }

    private void onDeploy(ControlHeader h, BodyReader body, DirectBuffer buffer) {
        byte[] sha = body.getRaw(32);
        ModelSpec.Kind kind = ModelSpec.Kind.ofCode(body.getInt());
        String name = body.getString(1024);
        long seed = body.getLong();
        long total = body.getLong();
        long offset = body.getLong();
        int at = body.skipBlock();
        int len = body.lastBlockLength();
        if (!body.complete() || kind == null || total < 0 || offset < 0) {
            inbox.drop(FrameCheck.BAD_BODY);
            return;
        }
        ControlPublisher r = reply;
        if (r == null) {
            inbox.drop(FrameCheck.UNEXPECTED);
            return;
        }
        String hex = HexFormat.of().formatHex(sha);
        boolean offer = offset == 0 && len == 0 && (h.flags() & ControlHeader.FLAG_LAST_CHUNK) == 0;
        if (offer) {
            if (models.containsKey(hex)) {
                modelStatus(r, h, sha, true);
                return;
            }
            if (kind == ModelSpec.Kind.ONNX) {
                byte[] cached = readCached(hex);
                if (cached != null) {
                    install(r, h, sha, new ModelSpec(kind, name, 0, cached, sha));
                    return;
                }
                if (total > Integer.MAX_VALUE - 8) {
                    error(r, h, ERR_MODEL, "model of " + total + " bytes is larger than this worker accepts (2 GiB)");
                    return;
                }
                upload = new ModelUpload(sha, name, (int) total);
                modelStatus(r, h, sha, false);
                return;
            }
            install(r, h, sha, new ModelSpec(kind, name, seed, new byte[0], sha));
            return;
        }
        ModelUpload u = upload;
        if (u == null || !MessageDigest.isEqual(u.sha, sha) || offset > u.bytes.length - len) {
            inbox.drop(FrameCheck.UNEXPECTED);
            return;
        }
        buffer.getBytes(at, u.bytes, (int) offset, len);
        u.received += len;
        if ((h.flags() & ControlHeader.FLAG_LAST_CHUNK) != 0) {
            upload = null;
            if (u.received != u.bytes.length || !MessageDigest.isEqual(ModelSpec.sha256(u.bytes), sha)) {
                error(r, h, ERR_MODEL, "model bytes do not match their SHA-256 " + hex + "; deployment refused");
                return;
            }
            writeCached(hex, u.bytes);
            install(r, h, sha, new ModelSpec(ModelSpec.Kind.ONNX, u.name, 0, u.bytes, sha));
        }
    }

    private void install(ControlPublisher r, ControlHeader h, byte[] sha, ModelSpec spec) {
        long plan = h.planVersion();
        long request = h.requestId();
        compute.execute(() -> build(r, sha, spec, plan, request));
    }

    private void build(ControlPublisher r, byte[] sha, ModelSpec spec, long plan, long request) {
        String hex = HexFormat.of().formatHex(sha);
        try {
            Graph g = Models.build(spec);
            Executor exec = Executor.create(g);
            // both or neither: a model whose executor failed must not be reported present to the next deployment
            executors.put(hex, exec);
            models.put(hex, g);
            r.send(MessageType.MODEL_STATUS, 0, plan, request, w -> w.putRaw(sha).putInt(1));
        } catch (RuntimeException e) {
            error(r, plan, request, ERR_MODEL, "cannot build model " + spec + ": " + e.getMessage());
        }
    }

    private void modelStatus(ControlPublisher r, ControlHeader h, byte[] sha, boolean have) {
        r.send(MessageType.MODEL_STATUS, 0, h.planVersion(), h.requestId(), w -> w.putRaw(sha).putInt(have ? 1 : 0));
    }

    private byte[] readCached(String hex) {
        Path f = config.modelCacheDir.resolve(hex + ".onnx");
        try {
            if (Files.isRegularFile(f)) {
                byte[] b = Files.readAllBytes(f);
                if (HexFormat.of().formatHex(ModelSpec.sha256(b)).equals(hex)) {
                    return b;
                }
            }
        } catch (IOException e) {
            System.err.println("[" + config.name + "] model cache unreadable: " + e.getMessage());
        }
        return null;
    }

    private void writeCached(String hex, byte[] bytes) {
        Path tmp = null;
        try {
            Files.createDirectories(config.modelCacheDir);
            tmp = Files.createTempFile(config.modelCacheDir, hex, ".part");
            Files.write(tmp, bytes);
            Files.move(tmp, config.modelCacheDir.resolve(hex + ".onnx"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("[" + config.name + "] cannot cache model " + hex + ": " + e.getMessage());
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp); // a full card must not fill up further with each deployment
                } catch (IOException ignored) {
                    // nothing more to do about it here
                }
            }
        }
    }

    private void onPlan(ControlHeader h, BodyReader body) {
        byte[] sha = body.getRaw(32);
        String planText = body.getString(1 << 16);
        if (!body.valid()) {
            inbox.drop(FrameCheck.BAD_BODY);
            return;
        }
        ControlPublisher r = reply;
        if (r == null) {
            inbox.drop(FrameCheck.UNEXPECTED);
            return;
        }
        String hex = HexFormat.of().formatHex(sha);
        if (!models.containsKey(hex)) {
            error(r, h, ERR_PLAN, "plan " + h.planVersion() + " uses model " + hex + " which was not deployed here");
            return;
        }
        if (planText.equals(SINGLE_DEVICE_PLAN)) {
            if (!body.complete()) {
                inbox.drop(FrameCheck.BAD_BODY);
                return;
            }
            long v = h.planVersion();
            long request = h.requestId();
            planVersion = v;
            planModel = hex;
            compute.execute(() -> {
                closePartition();
                r.send(MessageType.ACK, 0, v, request, w -> w.putInt(MessageType.PLAN.code()));
            });
            return;
        }
        int me = body.getInt();
        int n = body.getInt();
        if (!body.valid() || n < 1 || n > 4096 || me < 0 || me >= n) {
            inbox.drop(FrameCheck.BAD_BODY);
            return;
        }
        String[] endpoints = new String[n];
        for (int i = 0; i < n; i++) {
            endpoints[i] = body.getString(256);
        }
        if (!body.complete()) {
            inbox.drop(FrameCheck.BAD_BODY);
            return;
        }
        Plan plan;
        try {
            plan = Plan.parse(planText);
            if (plan.deviceCount() != n || !plan.devices().get(me).equals(config.name)) {
                throw new IllegalArgumentException("device " + me + " of the plan is '" + plan.devices().get(Math.min(me,
                        plan.deviceCount() - 1)) + "', not this worker '" + config.name + "'");
            }
            for (String e : endpoints) {
                Endpoints.parse(e, "halo endpoint");
            }
        } catch (IllegalArgumentException e) {
            error(r, h, ERR_PLAN, "plan " + h.planVersion() + " refused: " + e.getMessage());
            return;
        }
        long v = h.planVersion();
        long request = h.requestId();
        Graph graph = models.get(hex);
        PartitionState running = partition;
        if (running != null) {
            running.exchange.abort(); // a request still waiting under the old plan gives up now
        }
        planVersion = v;
        planModel = hex;
        compute.execute(() -> {
            try {
                closePartition();
                partition = new PartitionState(graph, plan, me, endpoints);
                r.send(MessageType.ACK, 0, v, request, w -> w.putInt(MessageType.PLAN.code()));
            } catch (RuntimeException e) {
                error(r, v, request, ERR_PLAN, "plan " + v + " failed on " + config.name + ": " + e.getMessage());
            }
        });
    }

    /**
     * A partitioned request handed to the compute thread. The control loop reuses these from a ring
     * ({@link #requests}) instead of a lambda per request; the compute thread copies the fields out before it
     * frees the slot.
     */
    private final class PartitionedRequest implements Runnable {
        ControlPublisher reply;
        long plan;
        long request;
        volatile boolean queued;

        @Override
        public void run() {
            ControlPublisher r = reply;
            long p = plan;
            long q = request;
            queued = false;
            PartitionState ps = partition;
            if (ps == null) {
                error(r, p, q, ERR_PLAN, "request " + q + " needs a partitioned plan; this worker has none");
                return;
            }
            try {
                ps.run(r, p, q);
            } catch (RuntimeException e) {
                error(r, p, q, ERR_INFERENCE, "request " + q + " failed on " + config.name + ": " + e.getMessage());
            }
        }
    }

    /** The body of a partitioned request's ACK, reused by the compute thread instead of a lambda per request. */
    private static final class InferAck implements java.util.function.Consumer<BodyWriter> {
        long computeNs;
        long flops;
        long sent;

        @Override
        public void accept(BodyWriter w) {
            w.putInt(MessageType.INFER.code()).putLong(computeNs).putLong(flops).putLong(sent);
        }
    }

    /** The device this worker runs in a partitioned plan: executor, exchange and the publications to its peers. */
    private final class PartitionState {
        final int me;
        final Geometry geometry;
        final PartitionedExecutor executor;
        final AeronHaloExchange exchange;
        final List<Publication> publications = new ArrayList<>();
        final String[] opTypes;
        private final io.aeron.Counter[] flopsByNode;
        private final io.aeron.Counter[] computeNsByNode;
        private final io.aeron.Counter flopsAll;
        private final io.aeron.Counter computeNsAll;
        private final io.aeron.Counter[] waitCounters;
        /** Reused by every request: only the compute thread runs them, one at a time. */
        private final Accounting acc;
        private final InferAck ack = new InferAck();

        PartitionState(Graph graph, Plan plan, int me, String[] endpoints) {
            this.me = me;
            this.geometry = Geometry.of(graph, plan);
            this.executor = new PartitionedExecutor(geometry, Executor.providers(System.getProperty(Executor.KERNELS_PROPERTY, "")), me);
            this.exchange = new AeronHaloExchange(geometry, Map.of(me, haloSubscription), (from, to) -> {
                Publication p = node.aeron().addExclusivePublication(node.udpChannel(endpoints[to]),
                        TransportConfiguration.HALO_STREAM_ID);
                publications.add(p);
                return p;
            }, node.context(), counters);
            exchange.afterSend(node::wakeDriver);
            exchange.driverDutyCycle(node::driverDutyCycle);
            exchange.aroundWaits(node::expect, node::expectDone);
            // Layer classes as the planner's profiles name them (conv3x3, fc, pool, ...).
            this.opTypes = graph.nodes().stream().map(x -> LayerCostTable.typeOf(graph, x).key()).toArray(String[]::new);
            // Looked up once per plan: counting a request then neither builds counter names nor allocates.
            this.flopsByNode = new io.aeron.Counter[opTypes.length];
            this.computeNsByNode = new io.aeron.Counter[opTypes.length];
            for (int i = 0; i < opTypes.length; i++) {
                flopsByNode[i] = counters.flops(opTypes[i]);
                computeNsByNode[i] = counters.computeNs(opTypes[i]);
            }
            this.flopsAll = counters.flops("all");
            this.computeNsAll = counters.computeNs("all");
            List<io.aeron.Counter> waits = new ArrayList<>();
            for (String d : plan.devices()) {
                if (!d.equals(config.name)) {
                    waits.add(counters.waitNs(d));
                }
            }
            this.waitCounters = waits.toArray(io.aeron.Counter[]::new);
            this.acc = executor.newAccounting();
        }

        void run(ControlPublisher r, long plan, long request) {
            computing.incrementAndGet();
            try {
                runCounted(r, plan, request);
            } finally {
                computationEnded();
            }
        }

        private void runCounted(ControlPublisher r, long plan, long request) {
            exchange.begin(plan, request);
            acc.clear();
            long wait0 = totalWaitNs();
            long t0 = System.nanoTime();
            if (me == geometry.plan().tail()) {
                // the initiator is the tail in the plans the coordinator sends; were a worker one, its copy of
                // the output (which it does not send back) would go at once
                try (Arena arena = Arena.ofConfined()) {
                    executor.runDevice(me, null, exchange, acc, arena);
                }
            } else {
                executor.runDevice(me, null, exchange, acc, Arena.global()); // no output is copied there
            }
            long ns = System.nanoTime() - t0 - (totalWaitNs() - wait0);
            long flops = 0;
            for (int i = 0; i < opTypes.length; i++) {
                long f = acc.flops(me, i);
                if (f != 0) {
                    flopsByNode[i].getAndAddOrdered(f);
                    // per layer class, so the planner sees conv3x3, fc, pool ... rates, not one blend
                    computeNsByNode[i].getAndAddOrdered(acc.computeNs(me, i));
                    flops += f;
                }
            }
            flopsAll.getAndAddOrdered(flops);
            computeNsAll.getAndAddOrdered(Math.max(0, ns));
            counters.inferences().incrementOrdered();
            ack.computeNs = Math.max(0, ns);
            ack.flops = flops;
            ack.sent = acc.bytesSent(me);
            r.send(MessageType.ACK, 0, plan, request, ack);
        }

        private long totalWaitNs() {
            long t = 0;
            for (io.aeron.Counter c : waitCounters) {
                t += c.get();
            }
            return t;
        }

        void close() {
            publications.forEach(Publication::close);
        }
    }

    private void closePartition() {
        if (partition != null) {
            partition.close();
            partition = null;
        }
    }

    /** Plan text for "this worker runs the whole model" (the initiator delegates everything to one device). */
    public static final String SINGLE_DEVICE_PLAN = "whole-model";

    private void onInfer(ControlHeader h, BodyReader body, DirectBuffer buffer) {
        ControlPublisher r = reply;
        if (r == null) {
            inbox.drop(FrameCheck.UNEXPECTED);
            return;
        }
        if (h.planVersion() != planVersion || planModel == null) {
            error(r, h, ERR_PLAN, "request " + h.requestId() + " names plan " + h.planVersion() + " but this worker has plan "
                    + planVersion);
            return;
        }
        if (!body.valid()) {
            inbox.drop(FrameCheck.BAD_BODY);
            return;
        }
        if (h.bodyLength() == 0) {
            // A partitioned plan: the input arrives as scatter transfers, the output leaves as gathers.
            PartitionedRequest task = requests[nextRequest++ & (requests.length - 1)];
            if (task.queued) {
                task = new PartitionedRequest(); // the whole ring still queued: unlikely, and never overwrite one
            }
            task.reply = r;
            task.plan = planVersion;
            task.request = h.requestId();
            task.queued = true;
            compute.execute(task);
            return;
        }
        // A request sent again under a new plan (its first try broke off mid-input) starts a new assembly: the
        // chunks of the first try must not count toward the second.
        if (inferAssembly == null || h.requestId() != inferRequest || h.planVersion() != inferPlan) {
            if (inferArena != null && inferAssembly != null && !inferAssembly.complete()) {
                inferArena.close();
            }
            inferRequest = h.requestId();
            inferPlan = h.planVersion();
            inferArena = Arena.ofShared();
            inferAssembly = new TensorChunks.Assembly(inferArena);
        }
        if (!inferAssembly.add(body, buffer)) {
            inbox.drop(FrameCheck.BAD_BODY);
            error(r, h, ERR_INFERENCE, "request " + h.requestId() + ": malformed input chunk");
            inferAssembly = null;
            inferArena.close();
            inferArena = null;
            return;
        }
        if ((h.flags() & ControlHeader.FLAG_LAST_CHUNK) == 0) {
            return;
        }
        if (!inferAssembly.complete()) {
            error(r, h, ERR_INFERENCE, "request " + h.requestId() + ": input incomplete");
            return;
        }
        Tensor input = inferAssembly.tensor();
        Arena arena = inferArena;
        inferAssembly = null;
        inferArena = null;
        long plan = planVersion;
        long request = h.requestId();
        Executor exec = executors.get(planModel);
        Graph graph = models.get(planModel);
        compute.execute(() -> runInference(r, exec, graph, arena, input, plan, request));
    }

    /** Back to the control loop's short parks at once: the next request may follow within a millisecond. */
    private void computationEnded() {
        computing.decrementAndGet();
        Thread t = controlThread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    private void runInference(ControlPublisher r, Executor exec, Graph graph, Arena arena, Tensor input, long plan, long request) {
        computing.incrementAndGet();
        try (arena) {
            long t0 = System.nanoTime();
            Tensor out = exec.run(arena, input);
            long ns = System.nanoTime() - t0;
            counters.computeNs("all").getAndAddOrdered(ns);
            counters.flops("all").getAndAddOrdered(graph.totalFlops());
            counters.inferences().incrementOrdered();
            int rc = TensorChunks.send(r, MessageType.RESULT, plan, request, out);
            if (rc != ControlPublisher.SENT) {
                System.err.println("[" + config.name + "] could not deliver the result of request " + request);
            }
        } catch (RuntimeException e) {
            error(r, plan, request, ERR_INFERENCE, "request " + request + " failed on " + config.name + ": " + e.getMessage());
        } finally {
            computationEnded();
        }
    }

    private void error(ControlPublisher r, ControlHeader h, int code, String message) {
        error(r, h.planVersion(), h.requestId(), code, message);
    }

    private void error(ControlPublisher r, long plan, long request, int code, String message) {
        System.err.println("[" + config.name + "] error: " + message);
        r.send(MessageType.ERROR, 0, plan, request, w -> w.putInt(code).putString(message));
    }

    /** Stops the loop (if running elsewhere, call {@link #stop()} and let {@link #run()} return first), then frees everything. */
    @Override
    public void close() {
        stop();
        PartitionState running = partition;
        if (running != null) {
            running.exchange.abort("the worker is stopping"); // a halo wait would hold the stop up to its timeout
        }
        compute.shutdown();
        try {
            compute.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeSession();
        closePartition();
        counters.close();
        haloSubscription.close();
        controlSubscription.close();
        node.close();
    }
}
