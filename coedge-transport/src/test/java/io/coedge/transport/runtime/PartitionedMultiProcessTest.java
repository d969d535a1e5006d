package io.coedge.transport.runtime;

import static io.coedge.transport.runtime.MultiProcessTest.assertSame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.partition.Accounting;
import io.coedge.partition.Geometry;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.tensor.Tensor;
import io.coedge.transport.TestNodes;
import io.coedge.transport.halo.AeronHaloExchangeTest;
import io.coedge.transport.stat.CounterTypes;
import io.coedge.transport.stat.LiveCounters;
import io.coedge.zoo.ModelZoo;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Row-partitioned inference across worker JVMs and this process (the initiator), over UDP on loopback. */
@Tag("multiprocess")
class PartitionedMultiProcessTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void register() {
        TestModels.registerAll();
    }

    private ClusterConfig config(Path key, List<String> names, List<String> endpoints) {
        ClusterConfig c = new ClusterConfig().clusterKeyFile(key).transport(TestNodes.context(dir, "coordinator")
                .termLengthBytes(4 << 20).controlMaxMessageBytes(256 * 1024)
                .receiveTimeoutNs(TimeUnit.SECONDS.toNanos(20)).connectTimeoutNs(TimeUnit.SECONDS.toNanos(3)));
        for (int i = 0; i < names.size(); i++) {
            c.worker(names.get(i), endpoints.get(i));
        }
        return c;
    }

    private static long sum(List<LiveCounters.Sample> snap, int type) {
        return snap.stream().filter(x -> x.typeId() == type).mapToLong(LiveCounters.Sample::value).sum();
    }

    /** Rows 5, 8, 7 of the tiny model: this process (also the tail), then the two workers. */
    private static Plan thisProcessAndTwoWorkers(String first, String second) {
        return Plan.explicit(List.of(CoEdgeCluster.LOCAL_DEVICE, first, second), new int[] {5, 8, 7}, Sync.every())
                .withTail(CoEdgeCluster.LOCAL_DEVICE);
    }

    private Path key() throws Exception {
        Path k = dir.resolve("cluster.key");
        Files.writeString(k, "partition-cluster-key-0123456789\n");
        return k;
    }

    static int[] top5(Tensor logits) {
        float[] v = logits.toLogicalArray();
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Float.compare(v[b], v[a]));
        return Arrays.stream(idx, 0, 5).mapToInt(Integer::intValue).toArray();
    }

    private void runZoo(String model, int workers, int[] rows, Sync sync) throws Exception {
        runZoo(model, workers, rows, sync, false);
    }

    /** With {@code headSplit}, also runs the plan with its first FC layer split by output neurons: the same bits. */
    private void runZoo(String model, int workers, int[] rows, Sync sync, boolean headSplit) throws Exception {
        Path key = key();
        List<String> names = new ArrayList<>();
        List<String> eps = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            names.add("w" + i);
            eps.add(WorkerProcesses.freeEndpoint());
        }
        List<String> devices = new ArrayList<>(names);
        devices.add(0, CoEdgeCluster.LOCAL_DEVICE);
        Graph g = ModelZoo.build(model);
        try (WorkerProcesses procs = new WorkerProcesses(dir, key); Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < workers; i++) {
                procs.start(names.get(i), eps.get(i));
            }
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(config(key, names, eps))) {
                Plan plan = Plan.explicit(devices, rows, sync).withTail(CoEdgeCluster.LOCAL_DEVICE);
                try (PartitionedSession s = cluster.deploy(ModelSpec.zoo(model, 0), plan)) {
                    Tensor in = AeronHaloExchangeTest.randomInput(arena, g.inputs().get(0).shape(), 11);
                    Tensor want = Executor.create(g).run(arena, in);
                    Tensor got = s.infer(arena, in);
                    assertSame(got, want);
                    assertThat(top5(got)).containsExactly(top5(want));
                    if (headSplit) {
                        try (PartitionedSession split = cluster.deploy(ModelSpec.zoo(model, 0), plan.withHeadSplit(true))) {
                            assertThat(Geometry.of(g, split.plan()).headNode()).isNotNegative();
                            assertThat(split.infer(arena, in).toLogicalArray()).containsExactly(got.toLogicalArray());
                            // and again, after the other session's plan was pushed back and forth
                            assertThat(s.infer(arena, in).toLogicalArray()).containsExactly(got.toLogicalArray());
                            assertThat(split.infer(arena, in).toLogicalArray()).containsExactly(got.toLogicalArray());
                        }
                    }
                }
            }
        }
    }

    @Test
    void tinyModelAcrossTwoWorkersAndTheInitiatorEqualsOneDeviceOverManyRequests() throws Exception {
        Path key = key();
        List<String> names = List.of("p1", "p2");
        List<String> eps = List.of(WorkerProcesses.freeEndpoint(), WorkerProcesses.freeEndpoint());
        Graph g = TestModels.tiny();
        try (WorkerProcesses procs = new WorkerProcesses(dir, key); Arena arena = Arena.ofConfined()) {
            procs.start("p1", eps.get(0));
            procs.start("p2", eps.get(1));
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(config(key, names, eps))) {
                Plan plan = Plan.explicit(List.of("p1", CoEdgeCluster.LOCAL_DEVICE, "p2"), new int[] {7, 0, 13}, Sync.every())
                        .withTail(CoEdgeCluster.LOCAL_DEVICE);
                try (PartitionedSession s = cluster.deploy(ModelSpec.registered(TestModels.TINY), plan)) {
                    for (int i = 0; i < 4; i++) {
                        Tensor in = AeronHaloExchangeTest.randomInput(arena, new int[] {1, 3, 20, 16}, i);
                        assertSame(s.infer(arena, in), Executor.reference(g).run(arena, in));
                    }
                    assertThat(s.replans()).isZero();
                    // The workers' live counters agree with what the geometry predicts, exactly.
                    Accounting predicted = Geometry.of(g, s.plan()).predicted();
                    for (String w : names) {
                        int d = s.plan().devices().indexOf(w);
                        try (LiveCounters live = LiveCounters.open(cluster.workerDirectories().get(w))) {
                            List<LiveCounters.Sample> snap = live.snapshot();
                            assertThat(sum(snap, CounterTypes.LINK_BYTES_SENT)).isEqualTo(4 * predicted.bytesSent(d));
                            assertThat(sum(snap, CounterTypes.LINK_BYTES_RECEIVED)).isEqualTo(4 * predicted.bytesReceived(d));
                            assertThat(snap.stream().filter(x -> x.typeId() == CounterTypes.FLOPS && x.subject().equals("all"))
                                    .mapToLong(LiveCounters.Sample::value).sum()).isEqualTo(4 * predicted.flops(d));
                            assertThat(sum(snap, CounterTypes.INFERENCES_DONE)).isEqualTo(4);
                            // Every layer class the worker computed has its own compute time, so a rate per class.
                            List<String> classes = snap.stream().filter(x -> x.typeId() == CounterTypes.FLOPS
                                    && !x.subject().equals("all") && x.value() > 0).map(LiveCounters.Sample::subject).toList();
                            assertThat(classes).isNotEmpty();
                            for (String c : classes) {
                                assertThat(snap.stream().filter(x -> x.typeId() == CounterTypes.COMPUTE_NS
                                        && x.subject().equals(c)).mapToLong(LiveCounters.Sample::value).sum())
                                        .as("compute-ns of layer class %s on %s", c, w).isPositive();
                            }
                            assertThat(live.computeRates()).containsKeys(classes.toArray(String[]::new));
                        }
                    }
                }
            }
        }
    }

    @Test
    void alexnetAcrossThreeWorkersEqualsOneDeviceAndSplittingItsFirstFcLayerKeepsTheBits() throws Exception {
        runZoo("alexnet", 3, new int[] {50, 60, 60, 54}, Sync.every(), true);
    }

    @Test
    void resnet18AcrossTwoWorkersFusedEqualsOneDevice() throws Exception {
        runZoo("resnet18", 2, new int[] {0, 112, 112}, Sync.fused(2));
    }

    @Test
    void googlenetAcrossTwoWorkersEqualsOneDevice() throws Exception {
        runZoo("googlenet", 2, new int[] {80, 1, 143}, Sync.every());
    }

    @Test
    void vgg16AcrossTwoWorkersEqualsOneDeviceAndSplittingItsFirstFcLayerKeepsTheBits() throws Exception {
        runZoo("vgg16", 2, new int[] {74, 75, 75}, Sync.every(), true);
    }

    @Test
    void workerThatDiesMidSessionIsPlannedAroundAndTheRequestDeliveredOnce() throws Exception {
        Path key = key();
        List<String> names = List.of("d1", "d2");
        List<String> eps = List.of(WorkerProcesses.freeEndpoint(), WorkerProcesses.freeEndpoint());
        Graph g = TestModels.tiny();
        try (WorkerProcesses procs = new WorkerProcesses(dir, key); Arena arena = Arena.ofConfined()) {
            procs.start("d1", eps.get(0));
            Process d2 = procs.start("d2", eps.get(1));
            ClusterConfig cfg = config(key, names, eps);
            cfg.transport().receiveTimeoutNs(TimeUnit.SECONDS.toNanos(5));
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(cfg)) {
                Plan plan = thisProcessAndTwoWorkers("d1", "d2");
                try (PartitionedSession s = cluster.deploy(ModelSpec.registered(TestModels.TINY), plan)) {
                    Tensor in = AeronHaloExchangeTest.randomInput(arena, new int[] {1, 3, 20, 16}, 3);
                    Tensor want = Executor.reference(g).run(arena, in);
                    assertSame(s.infer(arena, in), want);
                    d2.destroyForcibly().waitFor();
                    assertSame(s.infer(arena, in), want);
                    assertThat(s.plan().devices()).containsExactly(CoEdgeCluster.LOCAL_DEVICE, "d1");
                    assertThat(s.plan().rows()).containsExactly(5, 15);
                    assertThat(s.replans()).isEqualTo(1);
                    assertSame(s.infer(arena, in), want);
                }
            }
        }
    }

    @Test
    void aWorkersOwnErrorFailsTheRequestWithItsMessageInsteadOfATimeout() throws Exception {
        Path key = key();
        List<String> names = List.of("e1", "e2");
        List<String> eps = List.of(WorkerProcesses.freeEndpoint(), WorkerProcesses.freeEndpoint());
        try (WorkerProcesses procs = new WorkerProcesses(dir, key); Arena arena = Arena.ofConfined()) {
            procs.start("e1", eps.get(0));
            procs.start("e2", eps.get(1), List.of("-Dcoedge.kernels=failing-for-tests",
                    "-D" + FailingKernelsForTests.PROPERTY + "=1")); // its first kernel call fails, then it works
            ClusterConfig cfg = config(key, names, eps);
            // Without the worker's error the request would fail only when this runs out, saying nothing of why; and
            // shorter than the workers' own (30 s), so that the next request must not wait for e1 to give the
            // failed one up by itself.
            cfg.transport().receiveTimeoutNs(TimeUnit.SECONDS.toNanos(15));
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(cfg)) {
                Plan plan = thisProcessAndTwoWorkers("e2", "e1"); // e2 in the middle: e1 waits for its halos
                try (PartitionedSession s = cluster.deploy(ModelSpec.registered(TestModels.TINY), plan)) {
                    Tensor in = AeronHaloExchangeTest.randomInput(arena, new int[] {1, 3, 20, 16}, 3);
                    assertThatThrownBy(() -> s.infer(arena, in))
                            .hasMessageContaining("worker 'e2' failed the request")
                            .hasMessageContaining(FailingKernelsForTests.MESSAGE);
                    assertThat(s.replans()).as("a worker that answers is not planned around").isZero();
                    // e1 was left waiting for e2's halos of the failed request; the next request goes through
                    assertSame(s.infer(arena, in), Executor.reference(TestModels.tiny()).run(arena, in));
                    assertThat(s.replans()).isZero();
                }
            }
        }
    }

    @Test
    void aWorkerRestartedDuringARequestGetsModelAndPlanAgainAndTheRequestIsDeliveredOnce() throws Exception {
        Path key = key();
        List<String> names = List.of("r1", "r2");
        List<String> eps = List.of(WorkerProcesses.freeEndpoint(), WorkerProcesses.freeEndpoint());
        Graph g = TestModels.tiny();
        try (WorkerProcesses procs = new WorkerProcesses(dir, key); Arena arena = Arena.ofConfined()) {
            procs.start("r1", eps.get(0));
            // r2 computes slowly, so that a request is still running on it when it is killed
            Process r2 = procs.start("r2", eps.get(1), List.of("-Dcoedge.kernels=slow-for-tests",
                    "-D" + SlowKernelsForTests.EXTRA_MS_PROPERTY + "=300"));
            ClusterConfig cfg = config(key, names, eps);
            cfg.transport().receiveTimeoutNs(TimeUnit.SECONDS.toNanos(20));
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(cfg)) {
                Plan plan = thisProcessAndTwoWorkers("r1", "r2");
                try (PartitionedSession s = cluster.deploy(ModelSpec.registered(TestModels.TINY), plan)) {
                    Tensor in = AeronHaloExchangeTest.randomInput(arena, new int[] {1, 3, 20, 16}, 5);
                    Tensor want = Executor.reference(g).run(arena, in);
                    long t0 = System.nanoTime();
                    assertSame(s.infer(arena, in), want);
                    long slowMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                    assertThat(slowMs).as("the slow worker's request must outlast the kill below").isGreaterThan(800);
                    long versionBefore = s.plan().version();
                    // Killed 300 ms into the next request and started again at once (same name and endpoint, now
                    // with normal kernels): the session finds it silent, joins it again, and must give it model and
                    // plan before it runs the request again.
                    Thread restart = new Thread(() -> {
                        try {
                            Thread.sleep(300);
                            r2.destroyForcibly().waitFor();
                            procs.start("r2", eps.get(1));
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }, "restart-r2");
                    restart.start();
                    Tensor out = s.infer(arena, in);
                    restart.join();
                    assertSame(out, want);
                    assertThat(s.replans()).as("re-planned once, for the restart").isEqualTo(1);
                    assertThat(s.plan().devices()).as("the restarted worker keeps its rows")
                            .containsExactly(CoEdgeCluster.LOCAL_DEVICE, "r1", "r2");
                    assertThat(s.plan().rows()).containsExactly(5, 8, 7);
                    assertThat(s.plan().version()).isGreaterThan(versionBefore);
                    assertSame(s.infer(arena, in), want);
                }
            }
        }
    }
}
