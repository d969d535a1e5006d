package io.coedge.transport.runtime;

import static io.coedge.transport.runtime.MultiProcessTest.assertSame;
import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.ops.Conv;
import io.coedge.ops.Unary;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.planner.DeviceProfile;
import io.coedge.planner.DeviceProfiles;
import io.coedge.planner.Planner;
import io.coedge.planner.Replanner;
import io.coedge.tensor.Tensor;
import io.coedge.transport.TestNodes;
import io.coedge.transport.TransportConfiguration;
import io.coedge.transport.halo.AeronHaloExchangeTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Live re-planning across two worker JVMs and this process: a slow worker loses rows between inferences. */
@Tag("multiprocess")
class AdaptiveSessionTest {
    static final String MODEL = "test-adaptive-cnn";

    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();

    @BeforeAll
    static void register() {
        TestModels.registerAll();
        Models.register(MODEL, AdaptiveSessionTest::model);
    }

    /** Three 3x3 convolutions on 1x3x48x48: about 18 MFLOP, enough that compute time dominates the counters. */
    static Graph model() {
        Random r = new Random(7);
        GraphBuilder b = new GraphBuilder(MODEL);
        String x = b.input("input", 1, 3, 48, 48);
        String c1 = b.node("conv1", Conv.of(3, 1, 1, 1), x, b.constant("w1", TestModels.random(r, 16 * 3 * 9), 16, 3, 3, 3));
        String a1 = b.node("relu1", Unary.relu(), c1);
        String c2 = b.node("conv2", Conv.of(3, 1, 1, 1), a1, b.constant("w2", TestModels.random(r, 16 * 16 * 9), 16, 16, 3, 3));
        String a2 = b.node("relu2", Unary.relu(), c2);
        String c3 = b.node("conv3", Conv.of(3, 1, 1, 1), a2, b.constant("w3", TestModels.random(r, 8 * 16 * 9), 8, 16, 3, 3));
        return b.output(c3).build();
    }

    private Process startWorker(Path key, String name, String endpoint, List<String> flags) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"));
        if (Runtime.version().feature() >= 23) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        cmd.addAll(flags);
        cmd.addAll(List.of("-D" + TransportConfiguration.BASE_DIR_PROP + "=" + dir,
                "-D" + TransportConfiguration.TERM_LENGTH_PROP + "=" + (1 << 20),
                "-D" + TransportConfiguration.CONTROL_MAX_MESSAGE_PROP + "=" + (64 * 1024),
                "-cp", System.getProperty("java.class.path"), AdaptiveWorkerMain.class.getName(),
                "--name", name, "--endpoint", endpoint, "--model-cache", dir.resolve("models-" + name).toString(),
                "--cluster-key-file", key.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null && System.nanoTime() < deadline) {
            seen.append(line).append('\n');
            if (line.startsWith("worker " + name + " listening")) {
                Thread drain = new Thread(() -> {
                    try {
                        out.lines().forEach(l -> System.out.println("  | " + l));
                    } catch (java.io.UncheckedIOException ended) {
                        // the process was stopped
                    }
                }, "drain-" + name);
                drain.setDaemon(true);
                drain.start();
                return p;
            }
        }
        throw new IOException("worker " + name + " did not start:\n" + seen);
    }

    private void stopAll() throws InterruptedException {
        for (Process p : started) {
            WorkerProcesses.stop(p);
        }
    }

    private ClusterConfig config(Path key, Map<String, String> workers) {
        ClusterConfig c = new ClusterConfig().clusterKeyFile(key).transport(TestNodes.context(dir, "coordinator")
                .termLengthBytes(4 << 20).controlMaxMessageBytes(256 * 1024)
                .receiveTimeoutNs(TimeUnit.SECONDS.toNanos(20)).connectTimeoutNs(TimeUnit.SECONDS.toNanos(3)));
        workers.forEach(c::worker);
        return c;
    }

    /**
     * Both workers alike (rates near what reference kernels reach, so that the model is worth splitting over
     * loopback); this process's device profiled far slower, so that it keeps zero rows and the split is between
     * the two workers only (this JVM's kernels are not the workers').
     */
    private static Map<String, DeviceProfile> profiles() {
        DeviceProfile base = DeviceProfiles.preset("desktop").scaleRates(0.005);
        Map<String, DeviceProfile> m = new LinkedHashMap<>();
        m.put(CoEdgeCluster.LOCAL_DEVICE, base.withName(CoEdgeCluster.LOCAL_DEVICE).scaleRates(0.001));
        m.put("fast", base.withName("fast"));
        m.put("slow", base.withName("slow"));
        return m;
    }

    /**
     * Runs the model a few times under a fixed even split, so that the workers' kernels are compiled before the
     * planner measures them: a cold worker's first inferences run several times slower than its later ones, and
     * how many it takes to warm up depends on the machine, not on the planner.
     */
    private static void warmUp(Arena arena, CoEdgeCluster cluster, Graph g) {
        Plan even = new Plan(0, List.of(CoEdgeCluster.LOCAL_DEVICE, "fast", "slow"), new int[] {0, 24, 24},
                Sync.every(), CoEdgeCluster.LOCAL_DEVICE);
        try (PartitionedSession warm = cluster.deploy(ModelSpec.registered(MODEL), even)) {
            for (int i = 0; i < 8; i++) {
                Tensor in = AeronHaloExchangeTest.randomInput(arena, new int[] {1, 3, 48, 48}, 100 + i);
                assertSame(warm.infer(arena, in), Executor.reference(g).run(arena, in));
            }
        }
    }

    @Test
    void rowsMoveAwayFromASlowWorkerWithinTheHysteresisWindowAndResultsStayEqualToOneDevice() throws Exception {
        Path key = dir.resolve("cluster.key");
        Files.writeString(key, "adaptive-cluster-key-0123456789\n");
        Map<String, String> workers = new LinkedHashMap<>();
        workers.put("fast", WorkerProcesses.freeEndpoint());
        workers.put("slow", WorkerProcesses.freeEndpoint());
        Graph g = model();
        try (Arena arena = Arena.ofConfined()) {
            startWorker(key, "fast", workers.get("fast"), List.of("-Dcoedge.kernels=reference"));
            startWorker(key, "slow", workers.get("slow"), List.of("-Dcoedge.kernels=slow-for-tests",
                    "-D" + SlowKernelsForTests.FACTOR_PROPERTY + "=4"));
            Replanner.Config cfg = Replanner.Config.defaults(Planner.Objective.LATENCY, 10.0);
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(config(key, workers))) {
                warmUp(arena, cluster, g);
                try (AdaptiveSession s = AdaptiveSession.deploy(cluster, ModelSpec.registered(MODEL),
                        profiles(), cfg, Sync.every())) {
                    int slowAtStart = s.plan().rows()[s.plan().devices().indexOf("slow")];
                    assertThat(slowAtStart).as("identical profiles: the slow worker starts with a share").isPositive();
                    int movedAt = -1;
                    StringBuilder log = new StringBuilder();
                    for (int i = 0; i < 10; i++) {
                        Tensor in = AeronHaloExchangeTest.randomInput(arena, new int[] {1, 3, 48, 48}, i);
                        Tensor out = s.infer(arena, in);
                        assertSame(out, Executor.reference(g).run(arena, in));
                        int slowNow = s.replanner().current().rowsOf("slow");
                        log.append("inference ").append(i).append(": rows ")
                                .append(Arrays.toString(s.replanner().current().rows()))
                                .append(" estimates fast=").append(s.replanner().rateEstimate("fast"))
                                .append(" slow=").append(s.replanner().rateEstimate("slow"))
                                .append(" (").append(s.replanner().latest().reason()).append(")\n");
                        if (movedAt < 0 && slowNow < slowAtStart) {
                            movedAt = i;
                        }
                    }
                    System.out.print(log);
                    Replanner.PlanVersion last = s.replanner().current();
                    assertThat(movedAt).as("rows moved away from the slow worker\n%s", log).isNotNegative();
                    // The first measurement comes after inference 0; confirmTicks ticks of gain publish a plan, in
                    // effect at the next inference: inference confirmTicks at the earliest, up to two later for noise.
                    assertThat(movedAt).as("within the hysteresis window\n%s", log)
                            .isBetween(cfg.confirmTicks(), cfg.confirmTicks() + 2);
                    assertThat(last.rowsOf("slow")).isLessThan(last.rowsOf("fast"));
                    assertThat(s.planSwitches()).as("no flapping\n%s", log).isLessThanOrEqualTo(3);
                }
            }
        } finally {
            stopAll();
        }
    }

    @Test
    void aWorkerThatLeavesIsPlannedAroundAtOnceAndJoinsAgainAfterARestart() throws Exception {
        Path key = dir.resolve("cluster.key");
        Files.writeString(key, "adaptive-cluster-key-0123456789\n");
        Map<String, String> workers = new LinkedHashMap<>();
        workers.put("fast", WorkerProcesses.freeEndpoint());
        workers.put("slow", WorkerProcesses.freeEndpoint());
        Graph g = model();
        try (Arena arena = Arena.ofConfined()) {
            startWorker(key, "fast", workers.get("fast"), List.of("-Dcoedge.kernels=reference"));
            Process second = startWorker(key, "slow", workers.get("slow"), List.of("-Dcoedge.kernels=reference"));
            Replanner.Config cfg = Replanner.Config.defaults(Planner.Objective.LATENCY, 10.0);
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(config(key, workers));
                 AdaptiveSession s = AdaptiveSession.deploy(cluster, ModelSpec.registered(MODEL), profiles(), cfg,
                         Sync.every(), false, 0)) {
                Tensor in0 = AeronHaloExchangeTest.randomInput(arena, new int[] {1, 3, 48, 48}, 0);
                assertSame(s.infer(arena, in0), Executor.reference(g).run(arena, in0));
                assertThat(s.plan().devices()).contains("slow");
                long before = s.replanner().latest().version();
                assertThat(WorkerProcesses.stop(second)).isNotEqualTo(-1);
                Tensor in1 = AeronHaloExchangeTest.randomInput(arena, new int[] {1, 3, 48, 48}, 1);
                // the session re-runs this request without the worker; the planner hears of it after it
                assertSame(s.infer(arena, in1), Executor.reference(g).run(arena, in1));
                Replanner.PlanVersion next = s.replanner().latest();
                assertThat(next.version()).isGreaterThan(before);
                assertThat(next.reason()).startsWith("membership changed");
                assertThat(next.devices()).doesNotContain("slow");
                Tensor in2 = AeronHaloExchangeTest.randomInput(arena, new int[] {1, 3, 48, 48}, 2);
                assertSame(s.infer(arena, in2), Executor.reference(g).run(arena, in2));
                assertThat(s.replanner().current().version()).isEqualTo(next.version());
                assertThat(s.plan().devices()).doesNotContain("slow").contains("fast");

                startWorker(key, "slow", workers.get("slow"), List.of("-Dcoedge.kernels=reference"));
                Tensor in3 = AeronHaloExchangeTest.randomInput(arena, new int[] {1, 3, 48, 48}, 3);
                assertSame(s.infer(arena, in3), Executor.reference(g).run(arena, in3));
                Replanner.PlanVersion rejoined = s.replanner().latest();
                assertThat(rejoined.version()).isGreaterThan(next.version());
                assertThat(rejoined.reason()).startsWith("membership changed");
                assertThat(rejoined.devices()).contains("slow", "fast");
                Tensor in4 = AeronHaloExchangeTest.randomInput(arena, new int[] {1, 3, 48, 48}, 4);
                assertSame(s.infer(arena, in4), Executor.reference(g).run(arena, in4));
                assertThat(s.replanner().current().version()).isGreaterThanOrEqualTo(rejoined.version());
            }
        } finally {
            stopAll();
        }
    }
}
