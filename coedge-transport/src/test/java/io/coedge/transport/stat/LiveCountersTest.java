package io.coedge.transport.stat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeron.Publication;
import io.coedge.tensor.Tensor;
import io.coedge.transport.TestNodes;
import io.coedge.transport.TransportConfiguration;
import io.coedge.transport.TransportNode;
import io.coedge.transport.protocol.ClusterKey;
import io.coedge.transport.protocol.ControlCodec;
import io.coedge.transport.protocol.MessageType;
import io.coedge.transport.runtime.ClusterConfig;
import io.coedge.transport.runtime.CoEdgeCluster;
import io.coedge.transport.runtime.CoEdgeSession;
import io.coedge.transport.runtime.ModelSpec;
import io.coedge.transport.runtime.TestModels;
import io.coedge.transport.runtime.Worker;
import io.coedge.transport.runtime.WorkerProcesses;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LiveCountersTest {
    @TempDir
    Path dir;

    private static long value(List<LiveCounters.Sample> s, int type, String subject) {
        return s.stream().filter(x -> x.typeId() == type && x.subject().equals(subject)).mapToLong(LiveCounters.Sample::value)
                .sum();
    }

    @Test
    void anotherProcessSeesInferencesFlopsAndForgedFramesDropped() throws Exception {
        TestModels.registerAll();
        Path key = dir.resolve("k");
        Files.writeString(key, "live-counters-test-key-123");
        String ep = WorkerProcesses.freeEndpoint();
        Worker worker = new Worker(new Worker.Config().name("wc").endpoint(ep).clusterKeyFile(key)
                .modelCacheDir(dir.resolve("models")).transport(TestNodes.context(dir, "wc")));
        Thread loop = new Thread(worker, "worker-loop");
        loop.start();
        try (Arena arena = Arena.ofConfined()) {
            ClusterConfig cfg = new ClusterConfig().clusterKeyFile(key).worker("wc", ep)
                    .transport(TestNodes.context(dir, "coord"));
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(cfg)) {
                CoEdgeSession s = cluster.deploy(ModelSpec.registered(TestModels.TINY), "wc");
                Tensor in = Tensor.allocate(arena, 1, 3, 20, 16);
                s.infer(arena, in);
                s.infer(arena, in);
                assertThat(cluster.workerDirectories().get("wc")).isEqualTo(worker.aeronDir());
            }
            // A frame signed with another key, straight at the worker's control stream.
            try (TransportNode attacker = TransportNode.start(TestNodes.context(dir, "attacker"));
                    Publication p = attacker.aeron().addPublication(attacker.udpChannel(ep), TransportConfiguration.CONTROL_STREAM_ID)) {
                UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
                int len = new ControlCodec(ClusterKey.of("not-the-cluster-key-000".getBytes(StandardCharsets.US_ASCII)))
                        .seal(b, 0, MessageType.BYE, -1, 0, 0, 0, Long.MAX_VALUE, 0);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (p.offer(b, 0, len) < 0 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
            }
            try (LiveCounters live = LiveCounters.open(worker.aeronDir())) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                List<LiveCounters.Sample> snap = live.snapshot();
                while (value(snap, CounterTypes.FRAMES_DROPPED, "") == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                    snap = live.snapshot();
                }
                assertThat(value(snap, CounterTypes.INFERENCES_DONE, "")).isEqualTo(2);
                assertThat(value(snap, CounterTypes.FLOPS, "all")).isEqualTo(2 * TestModels.tiny().totalFlops());
                assertThat(value(snap, CounterTypes.FRAMES_DROPPED, "")).isEqualTo(1);
                assertThat(live.computeRates()).containsKey("all");
                assertThat(snap).allMatch(x -> x.process().equals("wc"));
            }
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            assertThat(StatMain.run(new String[] {"--dir", dir.toString(), "--interval-ms", "50", "--count", "1"},
                    new PrintStream(text, true, StandardCharsets.UTF_8))).isZero();
            assertThat(text.toString(StandardCharsets.UTF_8)).contains("wc").contains("inferences").contains("frames-dropped");
        } finally {
            worker.stop();
            loop.join(10_000);
            worker.close();
        }
    }

    @Test
    void openingADirectoryWithoutAProcessIsAClearError() {
        assertThatThrownBy(() -> LiveCounters.open(dir.toString())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no CoEdge process");
    }
}
