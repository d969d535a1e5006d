package io.coedge.transport.runtime;

import static io.coedge.transport.runtime.MultiProcessTest.assertSame;
import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.onnx.OnnxExporter;
import io.coedge.onnx.OnnxImporter;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.tensor.Tensor;
import io.coedge.transport.TransportConfiguration;
import io.coedge.transport.halo.AeronHaloExchangeTest;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plain worker processes (no test models) as the CLI starts them, with an ONNX model sent once by hash. */
@Tag("multiprocess")
class LocalWorkersTest {
    @TempDir
    Path dir;

    @Test
    void onnxModelIsSentOnceAndSplitAcrossLocalWorkers() throws Exception {
        Path onnx = dir.resolve("tiny.onnx");
        OnnxExporter.write(TestModels.tiny(), onnx);
        byte[] bytes = Files.readAllBytes(onnx);
        Graph g = OnnxImporter.load(onnx, null);
        Path key = dir.resolve("k");
        Files.writeString(key, "local-workers-key-0123456789");
        String oldBase = System.getProperty(TransportConfiguration.BASE_DIR_PROP);
        System.setProperty(TransportConfiguration.BASE_DIR_PROP, dir.resolve("shm").toString());
        try (LocalWorkers workers = LocalWorkers.start(2, key, List.of("-Xmx512m", "-Duser.home=" + dir));
                Arena arena = Arena.ofConfined()) {
            ClusterConfig cfg = workers.clusterConfig();
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(cfg)) {
                Plan plan = Plan.explicit(List.of("local", "worker1", "worker2"), new int[] {4, 8, 8}, Sync.every())
                        .withTail("local");
                ModelSpec spec = ModelSpec.onnx("tiny.onnx", bytes);
                Tensor in = AeronHaloExchangeTest.randomInput(arena, new int[] {1, 3, 20, 16}, 1);
                try (PartitionedSession s = cluster.deploy(spec, plan)) {
                    assertSame(s.infer(arena, in), Executor.reference(g).run(arena, in));
                }
                // Both workers share one model cache here (same home): the second may find the first's copy.
                long sent = cluster.modelBytesSent();
                assertThat(sent).isIn((long) bytes.length, 2L * bytes.length);
                // The workers keep the model by hash: deploying again is an offer they answer "have it".
                try (PartitionedSession s = cluster.deploy(spec, plan.withVersion(9))) {
                    assertSame(s.infer(arena, in), Executor.reference(g).run(arena, in));
                }
                assertThat(cluster.modelBytesSent()).isEqualTo(sent);
            }
            assertThat(dir.resolve(".cache/coedge/models/" + spec(bytes).hashHex() + ".onnx")).exists();
        } finally {
            if (oldBase == null) {
                System.clearProperty(TransportConfiguration.BASE_DIR_PROP);
            } else {
                System.setProperty(TransportConfiguration.BASE_DIR_PROP, oldBase);
            }
        }
    }

    @Test
    void aLocalWorkerStopsWhenTheProgramThatStartedItIsKilled() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(javaBin, "-Xmx256m", "--enable-native-access=ALL-UNNAMED",
                "-D" + TransportConfiguration.BASE_DIR_PROP + "=" + dir.resolve("shm"), "-Duser.home=" + dir,
                "-cp", System.getProperty("java.class.path"), LocalWorkersParentMain.class.getName()));
        Process parent = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ProcessHandle worker = null;
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(parent.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            StringBuilder seen = new StringBuilder();
            for (String line; (line = out.readLine()) != null; ) {
                seen.append(line).append('\n');
                if (line.startsWith("worker-pid ")) {
                    worker = ProcessHandle.of(Long.parseLong(line.substring("worker-pid ".length()).trim())).orElse(null);
                    break;
                }
            }
            assertThat(worker).as("the parent's output:\n%s", seen).isNotNull();
            assertThat(worker.isAlive()).isTrue();
            parent.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no close()
            worker.onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(worker.isAlive()).isFalse();
        } finally {
            parent.destroyForcibly();
            if (worker != null) {
                worker.destroyForcibly();
            }
        }
    }

    @Test
    void cooperativeDemoGivesTheOneDeviceAnswerAndStopsItsWorkers() throws Exception {
        String oldBase = System.getProperty(TransportConfiguration.BASE_DIR_PROP);
        System.setProperty(TransportConfiguration.BASE_DIR_PROP, dir.resolve("shm").toString());
        try {
            java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
            int rc = CooperativeDemo.run(new java.io.PrintStream(text, true, java.nio.charset.StandardCharsets.UTF_8),
                    "alexnet", 2, null, 1);
            String out = text.toString(java.nio.charset.StandardCharsets.UTF_8);
            assertThat(rc).as(out).isZero();
            assertThat(out).contains("worker1").contains("worker2").contains("same answer as one device");
            // Every worker stopped: their driver directories are gone.
            try (var left = Files.list(dir.resolve("shm"))) {
                assertThat(left.filter(p -> p.getFileName().toString().startsWith("worker"))).isEmpty();
            }
        } finally {
            if (oldBase == null) {
                System.clearProperty(TransportConfiguration.BASE_DIR_PROP);
            } else {
                System.setProperty(TransportConfiguration.BASE_DIR_PROP, oldBase);
            }
        }
    }

    private static ModelSpec spec(byte[] bytes) {
        return ModelSpec.onnx("x", bytes);
    }
}
