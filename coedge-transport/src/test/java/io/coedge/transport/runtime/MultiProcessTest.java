package io.coedge.transport.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.tensor.Tensor;
import io.coedge.transport.TestNodes;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Coordinator in this JVM, workers in their own JVMs, talking UDP over loopback. */
@Tag("multiprocess")
class MultiProcessTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void register() {
        TestModels.registerAll();
    }

    private Path key() throws Exception {
        Path k = dir.resolve("cluster.key");
        Files.writeString(k, "test-cluster-key-0123456789\n");
        return k;
    }

    private ClusterConfig config(Path key, String... nameEndpoint) {
        ClusterConfig c = new ClusterConfig().clusterKeyFile(key).transport(TestNodes.context(dir, "coordinator")
                .receiveTimeoutNs(TimeUnit.SECONDS.toNanos(30)).connectTimeoutNs(TimeUnit.SECONDS.toNanos(3)));
        for (int i = 0; i < nameEndpoint.length; i += 2) {
            c.worker(nameEndpoint[i], nameEndpoint[i + 1]);
        }
        return c;
    }

    private static Tensor input(Arena arena, long seed) {
        Random r = new Random(seed);
        float[] v = new float[3 * 20 * 16];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.fromLogical(arena, v, 1, 3, 20, 16);
    }

    /** The project's exactness rule: max |diff| <= 1e-5 of max |reference| (kernels may differ per process). */
    static void assertSame(Tensor got, Tensor want) {
        assertThat(got.shape()).isEqualTo(want.shape());
        float[] g = got.toLogicalArray();
        float[] w = want.toLogicalArray();
        float maxRef = 0;
        float maxDiff = 0;
        for (int i = 0; i < w.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(w[i]));
            maxDiff = Math.max(maxDiff, Math.abs(g[i] - w[i]));
        }
        assertThat(maxDiff).isLessThanOrEqualTo(1e-5f * maxRef);
    }

    @Test
    void workerRunsManyInferencesExactlyAsOneDeviceAndStopsCleanlyOnSigterm() throws Exception {
        Path key = key();
        String ep = WorkerProcesses.freeEndpoint();
        try (WorkerProcesses procs = new WorkerProcesses(dir, key); Arena arena = Arena.ofConfined()) {
            Process w = procs.start("w1", ep);
            Graph g = TestModels.tiny();
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(config(key, "w1", ep))) {
                CoEdgeSession s = cluster.deploy(ModelSpec.registered(TestModels.TINY), "w1");
                for (int i = 0; i < 5; i++) {
                    Tensor in = input(arena, i);
                    assertSame(s.infer(arena, in), Executor.reference(g).run(arena, in));
                }
                assertThat(cluster.staleResults()).isZero();
            }
            // A JVM stopped by SIGTERM exits with 143 even when its shutdown hook finished cleanly.
            assertThat(WorkerProcesses.stop(w)).isIn(0, 143);
            assertThat(dir.resolve("w1")).doesNotExist(); // driver directory removed on a clean stop
        }
    }

    @Test
    void aModelThatFailedToBuildOnAWorkerFailsAgainOnTheNextDeploymentInsteadOfCountingAsThere() throws Exception {
        Path key = key();
        String ep = WorkerProcesses.freeEndpoint();
        // the vector kernels without their incubator module: the worker parses the model but cannot build its executor
        try (WorkerProcesses procs = new WorkerProcesses(dir, key)) {
            procs.start("w-nokernels", ep, List.of("-Dcoedge.kernels=vector"));
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(config(key, "w-nokernels", ep))) {
                for (int attempt = 0; attempt < 2; attempt++) {
                    assertThatThrownBy(() -> cluster.deploy(ModelSpec.registered(TestModels.TINY), "w-nokernels"))
                            .as("deployment %d", attempt + 1)
                            .hasMessageContaining("kernel provider 'vector' is not available");
                }
            }
        }
    }

    @Test
    void twoSessionsOnOneWorkerTakeTurnsWithoutFailingEachOther() throws Exception {
        Path key = key();
        String ep = WorkerProcesses.freeEndpoint();
        Graph g = TestModels.tiny();
        try (WorkerProcesses procs = new WorkerProcesses(dir, key); Arena arena = Arena.ofConfined()) {
            procs.start("w-shared", ep);
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(config(key, "w-shared", ep))) {
                CoEdgeSession first = cluster.deploy(ModelSpec.registered(TestModels.TINY), "w-shared");
                CoEdgeSession second = cluster.deploy(ModelSpec.registered(TestModels.TINY), "w-shared");
                for (int i = 0; i < 3; i++) {
                    Tensor in = input(arena, i);
                    Tensor want = Executor.reference(g).run(arena, in);
                    assertSame(first.infer(arena, in), want); // the worker holds the second's plan here
                    assertSame(second.infer(arena, in), want);
                }
                assertThat(first.replans()).as("taking the worker back is no re-plan").isZero();
                assertThat(second.replans()).isZero();
            }
        }
    }

    @Test
    void unreachableWorkerIsAClearErrorWithinTheConnectTimeout() throws Exception {
        Path key = key();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> CoEdgeCluster.connect(config(key, "ghost", WorkerProcesses.freeEndpoint())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("worker 'ghost'")
                .hasMessageContaining("not reachable");
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(30));
    }

    @Test
    void workerWithAnotherClusterKeyIsRefused() throws Exception {
        Path key = key();
        Path other = dir.resolve("other.key");
        Files.writeString(other, "a-different-key-0123456789\n");
        String ep = WorkerProcesses.freeEndpoint();
        try (WorkerProcesses procs = new WorkerProcesses(dir, other)) {
            procs.start("w2", ep);
            assertThatThrownBy(() -> CoEdgeCluster.connect(config(key, "w2", ep)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("same cluster key");
        }
    }

    @Test
    void restartOfTheWorkerBetweenInferencesIsSurvived() throws Exception {
        Path key = key();
        String ep = WorkerProcesses.freeEndpoint();
        Graph g = TestModels.tiny();
        try (WorkerProcesses procs = new WorkerProcesses(dir, key); Arena arena = Arena.ofConfined()) {
            Process w = procs.start("w3", ep);
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(config(key, "w3", ep))) {
                CoEdgeSession s = cluster.deploy(ModelSpec.registered(TestModels.TINY), "w3");
                Tensor in = input(arena, 7);
                Tensor want = Executor.reference(g).run(arena, in);
                assertSame(s.infer(arena, in), want);
                long plan = s.planVersion();

                WorkerProcesses.stop(w);
                procs.start("w3", ep);

                assertSame(s.infer(arena, in), want);
                assertThat(s.planVersion()).isGreaterThan(plan);
                assertThat(s.replans()).isEqualTo(1);
            }
        }
    }

    @Test
    void requestWhoseWorkerDiesIsRerunOnANewPlanAndDeliveredOnce() throws Exception {
        Path key = key();
        String ep1 = WorkerProcesses.freeEndpoint();
        String ep2 = WorkerProcesses.freeEndpoint();
        Graph g = TestModels.tiny();
        try (WorkerProcesses procs = new WorkerProcesses(dir, key); Arena arena = Arena.ofConfined()) {
            Process w1 = procs.start("a", ep1);
            procs.start("b", ep2);
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(config(key, "a", ep1, "b", ep2))) {
                CoEdgeSession s = cluster.deploy(ModelSpec.registered(TestModels.TINY), "a", "b");
                Tensor in = input(arena, 9);
                Tensor want = Executor.reference(g).run(arena, in);
                assertSame(s.infer(arena, in), want);
                assertThat(s.activeWorker()).isEqualTo("a");

                w1.destroyForcibly().waitFor();

                assertSame(s.infer(arena, in), want);
                assertThat(s.activeWorker()).isEqualTo("b");
                assertSame(s.infer(arena, in), want);
                assertThat(cluster.staleResults()).isZero();
            }
        }
    }
}
