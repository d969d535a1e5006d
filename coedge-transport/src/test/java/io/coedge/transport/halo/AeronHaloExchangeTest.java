package io.coedge.transport.halo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeron.Publication;
import io.aeron.Subscription;
import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.partition.Geometry;
import io.coedge.partition.HaloExchangeException;
import io.coedge.partition.PartitionedExecutor;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.tensor.Tensor;
import io.coedge.transport.TestNodes;
import io.coedge.transport.TransportNode;
import io.coedge.transport.runtime.TestModels;
import io.coedge.zoo.ModelZoo;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Aeron exchange passes the same exactness checks as the in-process one. */
public class AeronHaloExchangeTest {
    private static final int STREAM_BASE = 2000;

    @TempDir
    Path dir;

    public static Tensor randomInput(Arena arena, int[] shape, long seed) {
        Random r = new Random(seed);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.fromLogical(arena, v, shape);
    }

    static void assertClose(Tensor got, Tensor want) {
        float[] g = got.toLogicalArray();
        float[] w = want.toLogicalArray();
        assertThat(g.length).isEqualTo(w.length);
        float max = 0;
        float diff = 0;
        for (int i = 0; i < w.length; i++) {
            max = Math.max(max, Math.abs(w[i]));
            diff = Math.max(diff, Math.abs(g[i] - w[i]));
        }
        assertThat(diff).isLessThanOrEqualTo(1e-5f * max);
    }

    /** Every device of the plan in this process, over Aeron IPC, stepped on one thread. */
    private static AeronHaloExchange ipcExchange(TransportNode node, Geometry g, List<AutoCloseable> open, int streamBase) {
        int n = g.plan().deviceCount();
        Map<Integer, Subscription> subs = new HashMap<>();
        for (int d = 0; d < n; d++) {
            Subscription s = node.aeron().addSubscription(node.ipcChannel(), streamBase + d);
            open.add(s);
            subs.put(d, s);
        }
        return new AeronHaloExchange(g, subs, (from, to) -> {
            Publication p = node.aeron().addExclusivePublication(node.ipcChannel(), streamBase + to);
            open.add(p);
            return p;
        }, node.context(), null);
    }

    private void checkIpc(Graph graph, List<Plan> plans, int runs) throws Exception {
        checkIpc(graph, plans, runs, "SHARED");
    }

    private void checkIpc(Graph graph, List<Plan> plans, int runs, String threadingMode) throws Exception {
        try (TransportNode node = TransportNode.start(TestNodes.context(dir, "ipc").threadingMode(threadingMode));
                Arena arena = Arena.ofConfined()) {
            Tensor in = randomInput(arena, graph.inputs().get(0).shape(), 3);
            Tensor ref = Executor.create(graph).run(arena, in);
            int base = STREAM_BASE;
            for (Plan plan : plans) {
                List<AutoCloseable> open = new ArrayList<>();
                PartitionedExecutor px = PartitionedExecutor.create(graph, plan);
                AeronHaloExchange ex = ipcExchange(node, px.geometry(), open, base);
                ex.driverDutyCycle(node::driverDutyCycle);
                base += plan.deviceCount();
                for (int run = 1; run <= runs; run++) {
                    ex.begin(plan.version(), run);
                    PartitionedExecutor.Result r = px.run(arena, in, ex);
                    assertClose(r.output(), ref);
                    assertThat(r.counted().difference(px.geometry().predicted())).as("%s", plan).isNull();
                }
                assertThat(ex.droppedFrames()).isZero();
                for (AutoCloseable c : open) {
                    c.close();
                }
            }
        }
    }

    @Test
    void tinyModelOverIpcEqualsOneDeviceForEqualRandomZeroRowAndFusedPlans() throws Exception {
        Graph g = TestModels.tiny();
        List<String> four = Plan.deviceNames(4);
        checkIpc(g, List.of(
                Plan.equal(Plan.deviceNames(2), 20, Sync.every()),
                Plan.explicit(four, new int[] {0, 1, 12, 7}, Sync.every()).withTail("dev3"),
                Plan.random(four, 20, 7, Sync.fused(2)).withVersion(4),
                Plan.explicit(Plan.deviceNames(3), new int[] {19, 0, 1}, Sync.every())), 3);
    }

    @Test
    void alexnetOverIpcEqualsOneDevice() throws Exception {
        checkIpc(ModelZoo.build("alexnet"), List.of(Plan.equal(Plan.deviceNames(3), 224, Sync.every()).withTail("dev1")), 1);
    }

    /** Devices on their own threads in two "processes" (two drivers), UDP between them, like workers. */
    @Test
    void devicesOnSeparateDriversOverUdpEqualOneDevice() throws Exception {
        checkUdp("SHARED");
    }

    /** The same with drivers run by the sending and waiting threads themselves, as workers run them by default. */
    @Test
    void devicesOnSeparateInvokerDriversOverUdpEqualOneDevice() throws Exception {
        checkUdp("INVOKER");
    }

    /** Devices that wait for a layer's halos to compute their band in one call, or try and go on at once. */
    @Test
    void devicesThatTryTheirHalosBeforeTheInteriorRowsEqualOneDevice() throws Exception {
        checkUdp("INVOKER", TimeUnit.SECONDS.toNanos(10));
        checkUdp("INVOKER", 0);
        checkUdp("SHARED", TimeUnit.MICROSECONDS.toNanos(50));
    }

    @Test
    void tinyModelOverIpcOnAnInvokerDriverEqualsOneDevice() throws Exception {
        checkIpc(TestModels.tiny(), List.of(Plan.explicit(Plan.deviceNames(3), new int[] {6, 9, 5}, Sync.every())), 3, "INVOKER");
    }

    private void checkUdp(String threadingMode) throws Exception {
        checkUdp(threadingMode, -1);
    }

    private void checkUdp(String threadingMode, long mergeWaitNs) throws Exception {
        Graph graph = TestModels.tiny();
        Plan plan = Plan.explicit(Plan.deviceNames(3), new int[] {6, 9, 5}, Sync.every()).withVersion(2);
        String[] endpoints = {"127.0.0.1:" + TestNodes.freeUdpPort(), "127.0.0.1:" + TestNodes.freeUdpPort(),
                "127.0.0.1:" + TestNodes.freeUdpPort()};
        int[] nodeOf = {0, 1, 1};
        try (TransportNode a = TransportNode.start(TestNodes.context(dir, "a").threadingMode(threadingMode));
                TransportNode b = TransportNode.start(TestNodes.context(dir, "b").threadingMode(threadingMode));
                Arena arena = Arena.ofShared()) {
            TransportNode[] nodes = {a, b};
            Tensor in = randomInput(arena, graph.inputs().get(0).shape(), 5);
            Tensor ref = Executor.create(graph).run(arena, in);
            Geometry geo = Geometry.of(graph, plan);
            AeronHaloExchange[] ex = new AeronHaloExchange[2];
            for (int k = 0; k < 2; k++) {
                TransportNode node = nodes[k];
                Map<Integer, Subscription> subs = new HashMap<>();
                for (int d = 0; d < 3; d++) {
                    if (nodeOf[d] == k) {
                        subs.put(d, node.aeron().addSubscription(node.udpChannel(endpoints[d]), 1002));
                    }
                }
                ex[k] = new AeronHaloExchange(geo, subs,
                        (from, to) -> node.aeron().addExclusivePublication(node.udpChannel(endpoints[to]), 1002), node.context(), null);
                // as the runtime wires it
                ex[k].afterSend(node::wakeDriver);
                ex[k].driverDutyCycle(node::driverDutyCycle);
            }
            for (long request = 1; request <= 3; request++) {
                ex[0].begin(2, request);
                ex[1].begin(2, request);
                Tensor[] out = new Tensor[1];
                Throwable[] failed = new Throwable[3];
                List<Thread> threads = new ArrayList<>();
                for (int d = 0; d < 3; d++) {
                    int dev = d;
                    Thread t = new Thread(() -> {
                        try {
                            PartitionedExecutor px = new PartitionedExecutor(geo, Executor.providers(""), dev).mergeWaitNs(mergeWaitNs)
                                    .mergeMinWeightBytes(0);
                            Map<String, Tensor> o = px.runDevice(dev, dev == plan.tail() ? in : null, ex[nodeOf[dev]],
                                    px.newAccounting(), arena);
                            if (dev == plan.tail()) {
                                out[0] = o.values().iterator().next();
                            }
                        } catch (Throwable e) {
                            failed[dev] = e;
                        }
                    });
                    threads.add(t);
                    t.start();
                }
                for (Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(60));
                }
                for (Throwable f : failed) {
                    if (f != null) {
                        throw new AssertionError(f);
                    }
                }
                assertClose(out[0], ref);
            }
        }
    }

    @Test
    void aHaloThatNeverComesIsAClearErrorAfterTheReceiveTimeout() throws Exception {
        Graph graph = TestModels.tiny();
        Plan plan = Plan.equal(Plan.deviceNames(2), 20, Sync.every());
        try (TransportNode node = TransportNode.start(TestNodes.context(dir, "t").receiveTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300)));
                Arena arena = Arena.ofConfined()) {
            PartitionedExecutor px = new PartitionedExecutor(Geometry.of(graph, plan), Executor.providers(""), 1);
            List<AutoCloseable> open = new ArrayList<>();
            AeronHaloExchange ex = ipcExchange(node, px.geometry(), open, 3000);
            ex.begin(0, 1);
            // Device 1 alone: device 0 (the initiator) never scatters its input.
            assertThatThrownBy(() -> px.runDevice(1, null, ex, px.newAccounting(), arena))
                    .isInstanceOf(HaloExchangeException.class)
                    .hasMessageContaining("did not receive").hasMessageContaining("dev0");
            for (AutoCloseable c : open) {
                c.close();
            }
        }
    }
}
