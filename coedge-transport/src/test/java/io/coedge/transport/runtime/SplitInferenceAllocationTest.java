package io.coedge.transport.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import io.coedge.graph.Graph;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.tensor.Tensor;
import io.coedge.transport.TestNodes;
import io.coedge.zoo.ModelZoo;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hot path allocates nothing per inference: a worker's compute thread, which runs its device's program, halo
 * sends and waits and the request's accounting, leaves (almost) no garbage. Counted with the JVM's per-thread
 * allocation counters, not timed. What a compute thread may still allocate is the JDK's: a socket address for a
 * datagram from another sender than the last, while the thread runs its media driver waiting for a halo (about 100
 * bytes per inference); before the hot path was made allocation-free it was 7-60 KB.
 */
class SplitInferenceAllocationTest {
    /** Far above the JDK's share, far below what any per-step or per-kernel-call allocation would add up to. */
    private static final long MAX_BYTES_PER_INFERENCE = 4096;

    @TempDir
    Path dir;

    @Test
    void aWorkersComputeThreadAllocatesNothingPerRequest() throws Exception {
        Path key = dir.resolve("key");
        Files.writeString(key, "split-inference-allocation-test-key");
        List<Worker> workers = new ArrayList<>();
        List<Thread> loops = new ArrayList<>();
        ClusterConfig cfg = new ClusterConfig().clusterKeyFile(key).transport(TestNodes.context(dir, "coordinator"));
        try {
            for (String name : List.of("wa", "wb")) {
                String ep = WorkerProcesses.freeEndpoint();
                Worker w = new Worker(new Worker.Config().name(name).endpoint(ep).clusterKeyFile(key)
                        .modelCacheDir(dir.resolve(name)).transport(TestNodes.context(dir, name)));
                Thread loop = new Thread(w, name + "-loop");
                loop.start();
                workers.add(w);
                loops.add(loop);
                cfg.worker(name, ep);
            }
            Graph g = ModelZoo.build("resnet18");
            int h = g.inputs().get(0).shape()[2];
            Plan plan = Plan.explicit(List.of(CoEdgeCluster.LOCAL_DEVICE, "wa", "wb"), new int[] {0, h / 2, h - h / 2},
                    Sync.every()).withTail(CoEdgeCluster.LOCAL_DEVICE);
            try (CoEdgeCluster cluster = CoEdgeCluster.connect(cfg);
                    PartitionedSession session = cluster.deploy(ModelSpec.zoo("resnet18", 0), plan);
                    Arena arena = Arena.ofConfined()) {
                Tensor in = Tensor.gaussian(arena, 7, g.inputs().get(0).shape());
                float[] first = session.infer(arena, in).toLogicalArray();
                for (int i = 0; i < 30; i++) {
                    session.infer(Arena.ofAuto(), in); // the first requests build each device's program
                }
                Map<String, Long> before = computeThreadBytes();
                assertThat(before).containsKeys("coedge-compute-wa", "coedge-compute-wb");
                int n = 20;
                for (int i = 0; i < n; i++) {
                    session.infer(Arena.ofAuto(), in);
                }
                Map<String, Long> after = computeThreadBytes();
                for (String t : before.keySet()) {
                    assertThat((after.get(t) - before.get(t)) / n).as("bytes %s allocated per inference", t)
                            .isLessThan(MAX_BYTES_PER_INFERENCE);
                }
                assertThat(session.infer(arena, in).toLogicalArray()).as("the same bits as the first inference")
                        .containsExactly(first);
            }
        } finally {
            for (Worker w : workers) {
                w.stop();
            }
            for (Thread t : loops) {
                t.join(10_000);
            }
            for (Worker w : workers) {
                w.close();
            }
        }
    }

    private static Map<String, Long> computeThreadBytes() {
        ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        Map<String, Long> bytes = new HashMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("coedge-compute-")) {
                bytes.put(t.getName(), mx.getThreadAllocatedBytes(t.threadId()));
            }
        }
        return bytes;
    }
}
