package io.coedge.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coedge.graph.Graph;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionedExecutorTest {

    private static void assertExact(Graph g, Plan plan, boolean threaded) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Nets.randomInput(arena, g.inputs().get(0).shape(), 3);
            Tensor ref = Nets.reference(g, arena, in);
            PartitionedExecutor px = new PartitionedExecutor(g, plan, List.of());
            PartitionedExecutor.Result r = threaded ? px.runThreaded(arena, in, 30_000_000_000L) : px.run(arena, in);
            float tol = 1e-5f * Math.max(1e-30f, Nets.maxAbs(ref));
            assertThat(Nets.maxAbsDiff(ref, r.output())).as("max abs diff for %s", plan).isLessThanOrEqualTo(tol);
            assertThat(r.counted().difference(px.geometry().predicted())).as("accounting of %s", plan).isNull();
        }
    }

    @Test
    void aDeviceThatNeverFinishesFailsTheThreadedRunWithItsName() {
        Graph g = Nets.smallStack(23, 9);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        // a kernel that ignores interrupts and hangs until released: the run must still come back
        io.coedge.graph.KernelProvider hanging = new io.coedge.graph.KernelProvider() {
            public String name() {
                return "hanging";
            }

            public int priority() {
                return 0;
            }

            public boolean available() {
                return true;
            }

            public io.coedge.graph.Kernel kernel(io.coedge.graph.KernelContext ctx) {
                if (!(ctx.node().op().referenceKernel(ctx) instanceof io.coedge.graph.RowKernel ref)) {
                    return null;
                }
                return (io.coedge.graph.RowKernel) (in, row0, out, outRow0, r0, r1) -> {
                    if (Thread.currentThread().getName().endsWith("dev1")) {
                        while (release.getCount() > 0) {
                            try {
                                release.await();
                            } catch (InterruptedException ignored) {
                                // keeps hanging, as a native kernel would
                            }
                        }
                    }
                    ref.runRows(in, row0, out, outRow0, r0, r1);
                };
            }
        };
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Nets.randomInput(arena, g.inputs().get(0).shape(), 3);
            PartitionedExecutor px = new PartitionedExecutor(g, Plan.equal(Plan.deviceNames(2), 23, Sync.every()),
                    List.of(hanging));
            assertThatThrownBy(() -> px.runThreaded(arena, in, 200_000_000L, 300_000_000L))
                    .isInstanceOf(HaloExchangeException.class)
                    .hasMessageContaining("[dev1] did not finish within 500 ms");
        } finally {
            release.countDown();
        }
    }

    @Test
    void computeTimeIsCountedExactlyWhereADeviceComputedRows() {
        Graph g = Nets.smallStack(23, 9);
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Nets.randomInput(arena, g.inputs().get(0).shape(), 3);
            PartitionedExecutor px = new PartitionedExecutor(g, Plan.explicit(Plan.deviceNames(3), new int[] {12, 0, 11},
                    Sync.every()), List.of());
            Accounting counted = px.run(arena, in).counted();
            Accounting predicted = px.geometry().predicted();
            long total = 0;
            for (int d = 0; d < 3; d++) {
                for (int s = 0; s < counted.stages(); s++) {
                    long ns = counted.computeNs(d, s);
                    assertThat(ns).as("device %d stage %d", d, s).isNotNegative();
                    if (counted.flops(d, s) == 0) {
                        assertThat(ns).as("time without work on device %d stage %d", d, s).isZero();
                    }
                    assertThat(predicted.computeNs(d, s)).isZero();
                    total += ns;
                }
            }
            assertThat(total).isPositive();
        }
    }

    @Test
    void splitStackEqualsOneDeviceForEveryDeviceCountAndBothSyncModes() {
        Graph g = Nets.smallStack(23, 9);
        for (int n = 1; n <= 6; n++) {
            for (Sync s : List.of(Sync.every(), Sync.fused(2), Sync.fused(3))) {
                assertExact(g, Plan.equal(Plan.deviceNames(n), 23, s), false);
                assertExact(g, Plan.random(Plan.deviceNames(n), 23, 17 + n, s), false);
            }
        }
    }

    @Test
    void inceptionResidualAndTailNetsEqualOneDevice() {
        for (String head : List.of("gap", "flatten", "none")) {
            Graph g = Nets.mixed(37, 21, head);
            for (int n : new int[] {1, 2, 3, 5, 8}) {
                for (Sync s : List.of(Sync.every(), Sync.fused(2), Sync.fused(4))) {
                    assertExact(g, Plan.equal(Plan.deviceNames(n), 37, s), false);
                    assertExact(g, Plan.random(Plan.deviceNames(n), 37, 100 + n, s).withTail("dev" + (n - 1)), false);
                }
            }
        }
    }

    @Test
    void squeezeExcitationIsACrossDeviceReductionAndTheRestStaysSplit() {
        Graph g = Nets.squeezeExcite(29, 13);
        for (int n : new int[] {1, 2, 3, 4, 7}) {
            for (Sync s : List.of(Sync.every(), Sync.fused(2))) {
                assertExact(g, Plan.random(Plan.deviceNames(n), 29, 40 + n, s).withTail("dev" + (n / 2)), false);
            }
        }
        assertExact(g, Plan.explicit(Plan.deviceNames(4), new int[] {0, 14, 1, 14}, Sync.every()), true);
        Geometry geo = Geometry.of(g, Plan.equal(Plan.deviceNames(3), 29, Sync.every()));
        long splitAfterSe = 0;
        for (int i = 0; i < g.nodes().size(); i++) {
            var node = g.nodes().get(i);
            if (node.op().type().equals("Mul") || node.op().type().equals("Add")) {
                assertThat(geo.role(i)).as(node.name()).isEqualTo(Geometry.Role.SPLIT);
                splitAfterSe++;
            }
            if (node.op().type().equals("HardSigmoid")) {
                assertThat(geo.role(i)).isEqualTo(Geometry.Role.REPLICATED);
            }
        }
        assertThat(splitAfterSe).isEqualTo(3);
        // the two SE poolings are all-reduced (3 devices x 2 peers each), the last one goes to the tail
        assertThat(geo.transfers()).filteredOn(t -> t.kind() == Transfer.Kind.PARTIAL_SUM).hasSize(2 * 6 + 2);
        assertThat(geo.transfers()).noneMatch(t -> t.kind() == Transfer.Kind.GATHER);
    }

    @Test
    void globalPoolingBeforeTheTailGathersPartialSumsNotTheMap() {
        Geometry g = Geometry.of(Nets.mixed(37, 21, "gap"), Plan.equal(Plan.deviceNames(4), 37, Sync.every()));
        assertThat(g.transfers()).anyMatch(t -> t.kind() == Transfer.Kind.PARTIAL_SUM);
        assertThat(g.transfers()).noneMatch(t -> t.kind() == Transfer.Kind.GATHER);
        assertThat(g.transfers()).filteredOn(t -> t.kind() == Transfer.Kind.PARTIAL_SUM)
                .allMatch(t -> t.bytes() == 16 * 4 && t.to() == 0);
        Geometry f = Geometry.of(Nets.mixed(37, 21, "flatten"), Plan.equal(Plan.deviceNames(4), 37, Sync.every()));
        assertThat(f.transfers()).anyMatch(t -> t.kind() == Transfer.Kind.GATHER);
        assertThat(f.transfers()).noneMatch(t -> t.kind() == Transfer.Kind.PARTIAL_SUM);
    }

    @Test
    void globalPoolingOfTheInputAndATailReadingTheInputWork() {
        io.coedge.graph.GraphBuilder b = new io.coedge.graph.GraphBuilder("input-reads");
        java.util.Random rnd = new java.util.Random(3);
        String x = b.input("input", 1, 3, 11, 5);
        String pooled = b.node(new io.coedge.ops.Flatten(1), b.node(io.coedge.ops.GlobalPool.average(), x));
        String flat = b.node(new io.coedge.ops.Flatten(1), x);
        String y = b.node(new io.coedge.ops.Concat(1), Nets.gemm(b, rnd, pooled, 3, 4), Nets.gemm(b, rnd, flat, 165, 4));
        Graph g = b.output(y).build();
        for (int n = 1; n <= 4; n++) {
            assertExact(g, Plan.random(Plan.deviceNames(n), 11, n, Sync.every()).withTail("dev" + (n - 1)), false);
        }
    }

    @Test
    void fullyConvolutionalNetHasNoTail() {
        Graph net = Nets.mixed(37, 21, "none");
        Geometry g = Geometry.of(net, Plan.equal(Plan.deviceNames(3), 37, Sync.every()));
        for (int i = 0; i < net.nodes().size(); i++) {
            assertThat(g.role(i)).as(net.nodes().get(i).name()).isEqualTo(Geometry.Role.SPLIT);
        }
    }

    @Test
    void devicesWithZeroAndOneRowTakePart() {
        Graph g = Nets.smallStack(23, 9);
        assertExact(g, Plan.explicit(Plan.deviceNames(5), new int[] {0, 1, 20, 0, 2}, Sync.every()), false);
        assertExact(g, Plan.explicit(Plan.deviceNames(5), new int[] {0, 1, 20, 0, 2}, Sync.fused(2)), false);
        assertExact(g, Plan.explicit(Plan.deviceNames(3), new int[] {1, 1, 21}, Sync.every()).withTail("dev2"), false);
    }

    @Test
    void devicesOnTheirOwnThreadsGiveTheSameResult() {
        Graph g = Nets.smallStack(23, 9);
        assertExact(g, Plan.equal(Plan.deviceNames(4), 23, Sync.every()), true);
        assertExact(g, Plan.random(Plan.deviceNames(4), 23, 5, Sync.fused(2)).withTail("dev3"), true);
    }

    @Test
    void devicesWithOnlyTheirOwnKernelsRunLikeWorkerProcesses() throws Exception {
        Graph g = Nets.mixed(37, 21, "flatten");
        Plan plan = Plan.random(Plan.deviceNames(4), 37, 77, Sync.every()).withTail("dev2");
        Geometry geo = Geometry.of(g, plan);
        try (Arena shared = Arena.ofShared();
             InProcessHaloExchange ex = new InProcessHaloExchange(geo.transfers(), 30_000_000_000L)) {
            Tensor in = Nets.randomInput(shared, g.inputs().get(0).shape(), 1);
            Tensor ref = Nets.reference(g, shared, in);
            Accounting counted = new PartitionedExecutor(geo, List.of(), 0).newAccounting();
            var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                List<java.util.concurrent.Future<java.util.Map<String, Tensor>>> fs = new java.util.ArrayList<>();
                for (int d = 0; d < 4; d++) {
                    int dev = d;
                    PartitionedExecutor px = new PartitionedExecutor(geo, List.of(), dev);
                    fs.add(pool.submit(() -> px.runDevice(dev, dev == 2 ? in : null, ex, counted, shared)));
                }
                Tensor out = fs.get(2).get().values().iterator().next();
                for (var f : fs) {
                    f.get();
                }
                assertThat(Nets.maxAbsDiff(ref, out)).isLessThanOrEqualTo(1e-5f * Nets.maxAbs(ref));
                assertThat(fs.get(0).get()).isEmpty();
                assertThat(counted.difference(geo.predicted())).isNull();
            } finally {
                pool.shutdownNow();
            }
            assertThat(new PartitionedExecutor(geo, List.of(), 0).kernelSources()).containsValue("not on this device");
        }
    }

    @Test
    void workerDevicesRunRequestAfterRequestOnTheirPreparedProgramsAndCountEachAfresh() throws Exception {
        Graph g = Nets.mixed(37, 21, "flatten");
        Plan plan = Plan.random(Plan.deviceNames(3), 37, 41, Sync.every()).withTail("dev1");
        Geometry geo = Geometry.of(g, plan);
        List<PartitionedExecutor> devices = new java.util.ArrayList<>();
        for (int d = 0; d < 3; d++) {
            devices.add(new PartitionedExecutor(geo, List.of(), d));
        }
        Accounting counted = devices.get(0).newAccounting();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try (Arena shared = Arena.ofShared()) {
            Tensor a = Nets.randomInput(shared, g.inputs().get(0).shape(), 1);
            Tensor b = Nets.randomInput(shared, g.inputs().get(0).shape(), 2);
            float[] first = null;
            for (Tensor in : List.of(a, b, a, b)) {
                Tensor ref = Nets.reference(g, shared, in);
                counted.clear();
                try (InProcessHaloExchange ex = new InProcessHaloExchange(geo.transfers(), 30_000_000_000L)) {
                    List<java.util.concurrent.Future<java.util.Map<String, Tensor>>> fs = new java.util.ArrayList<>();
                    for (int d = 0; d < 3; d++) {
                        int dev = d;
                        PartitionedExecutor px = devices.get(dev);
                        fs.add(pool.submit(() -> px.runDevice(dev, dev == 1 ? in : null, ex, counted, shared)));
                    }
                    Tensor out = fs.get(1).get().values().iterator().next();
                    for (var f : fs) {
                        f.get();
                    }
                    assertThat(Nets.maxAbsDiff(ref, out)).isLessThanOrEqualTo(1e-5f * Nets.maxAbs(ref));
                    assertThat(counted.difference(geo.predicted())).as("counted afresh").isNull();
                    if (in == a) {
                        if (first == null) {
                            first = out.toLogicalArray();
                        } else {
                            assertThat(out.toLogicalArray()).as("same input, same bits").containsExactly(first);
                        }
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void repeatedInferencesReuseEachDevicesMemoryBlockAndGiveTheSameBits() {
        Graph g = Nets.squeezeExcite(29, 13);
        PartitionedExecutor px = new PartitionedExecutor(g, Plan.random(Plan.deviceNames(3), 29, 8, Sync.every()), List.of());
        try (Arena arena = Arena.ofConfined()) {
            Tensor a = Nets.randomInput(arena, g.inputs().get(0).shape(), 1);
            Tensor b = Nets.randomInput(arena, g.inputs().get(0).shape(), 2);
            float[] first = px.run(arena, a).output().toLogicalArray();
            float[] other = px.run(arena, b).output().toLogicalArray();
            assertThat(px.run(arena, a).output().toLogicalArray()).containsExactly(first);
            assertThat(other).isNotEqualTo(first);
        }
        Geometry geo = px.geometry();
        for (int d = 0; d < 3; d++) {
            assertThat(geo.reservedBytes(d)).isGreaterThanOrEqualTo(geo.predicted().peakBytes(d));
            assertThat(geo.reservedBytes(d)).isLessThan(2 * geo.predicted().peakBytes(d) + 64 * 64);
        }
    }

    @Test
    void everyDeviceSendsInIdOrderAndReceivesEachSendersTransfersInIdOrder() {
        for (Graph g : List.of(Nets.mixed(37, 21, "gap"), Nets.mixed(37, 21, "flatten"), Nets.squeezeExcite(29, 13),
                io.coedge.zoo.ModelZoo.build("googlenet"), io.coedge.zoo.ModelZoo.build("resnet18"))) {
            int h = g.inputs().get(0).shape()[2];
            for (Sync s : List.of(Sync.every(), Sync.fused(2), Sync.fused(3))) {
                Geometry geo = Geometry.of(g, Plan.random(Plan.deviceNames(5), h, 3, s).withTail("dev3"));
                int receives = 0;
                for (int d = 0; d < 5; d++) {
                    int lastSent = -1;
                    int[] lastFrom = new int[5];
                    java.util.Arrays.fill(lastFrom, -1);
                    for (Step step : geo.program(d)) {
                        if (step instanceof Step.Send send) {
                            assertThat(send.t().id()).as("%s device %d sends", g.name(), d).isGreaterThan(lastSent);
                            lastSent = send.t().id();
                        } else if (step instanceof Step.Receive r) {
                            assertThat(r.t().id()).as("%s device %d receives", g.name(), d).isGreaterThan(lastFrom[r.t().from()]);
                            lastFrom[r.t().from()] = r.t().id();
                            receives++;
                        }
                    }
                }
                assertThat(receives).isEqualTo(geo.transfers().size());
            }
        }
    }

    @Test
    void devicesComputeInteriorRowsBeforeWaitingForTheHalosOfTheBoundaryRows() {
        for (Graph g : List.of(Nets.smallStack(23, 9), io.coedge.zoo.ModelZoo.build("vgg16"))) {
            int h = g.inputs().get(0).shape()[2];
            for (Sync s : List.of(Sync.every(), Sync.fused(2))) {
                Plan plan = Plan.equal(Plan.deviceNames(3), h, s);
                PartitionedExecutor px = new PartitionedExecutor(g, plan, List.of());
                Geometry geo = px.geometry();
                int deferred = 0;
                for (int d = 0; d < 3; d++) {
                    List<Step> program = geo.program(d);
                    List<Step> schedule = px.schedule(d);
                    // the same work: every transfer and every computed row, nothing more
                    assertThat(schedule.stream().filter(x -> !(x instanceof Step.Compute)).toList())
                            .containsExactlyInAnyOrderElementsOf(program.stream().filter(x -> !(x instanceof Step.Compute)).toList());
                    assertThat(rowsByNode(schedule)).isEqualTo(rowsByNode(program));
                    for (int i = 0; i < schedule.size(); i++) {
                        if (schedule.get(i) instanceof Step.Receive r && r.t().kind() == Transfer.Kind.HALO) {
                            // a halo is awaited only after some rows of the layer reading it were computed
                            int consumerRowsBefore = 0;
                            for (int k = i - 1; k >= 0 && schedule.get(k).phase() == r.phase(); k--) {
                                if (schedule.get(k) instanceof Step.Compute c) {
                                    consumerRowsBefore += c.rows().size();
                                }
                            }
                            if (consumerRowsBefore > 0) {
                                deferred++;
                            }
                        }
                    }
                }
                assertThat(deferred).as("%s %s halo waits behind interior rows", g.name(), s).isPositive();
                assertExact(g.name().equals("vgg16") ? Nets.smallStack(23, 9) : g, Plan.equal(Plan.deviceNames(3), 23, s), true);
            }
        }
    }

    @Test
    void devicesWhoseHalosAreInComputeTheWholeBandInOneCallWithTheSameResult() {
        Graph g = Nets.smallStack(23, 9);
        for (Sync s : List.of(Sync.every(), Sync.fused(2))) {
            Plan plan = Plan.equal(Plan.deviceNames(3), 23, s);
            try (Arena arena = Arena.ofConfined()) {
                Tensor in = Nets.randomInput(arena, g.inputs().get(0).shape(), 3);
                float[] ref = new PartitionedExecutor(g, plan, List.of()).run(arena, in).output().toLogicalArray();
                // Waiting long enough, every layer's halos are in before its rows: each layer is one call per device.
                java.util.concurrent.atomic.AtomicInteger merged = new java.util.concurrent.atomic.AtomicInteger();
                PartitionedExecutor px = new PartitionedExecutor(g, plan, List.of(countingCalls(merged))).mergeWaitNs(10_000_000_000L)
                        .mergeMinWeightBytes(0);
                PartitionedExecutor.Result r = px.runThreaded(arena, in, 30_000_000_000L);
                assertThat(r.output().toLogicalArray()).as("%s", s).containsExactly(ref);
                assertThat(r.counted().difference(px.geometry().predicted())).isNull();
                int layersWithInterior = 0;
                for (int d = 0; d < 3; d++) {
                    for (PartitionedExecutor.Deferred x : PartitionedExecutor.deferred(px.schedule(d))) {
                        if (x != null) {
                            layersWithInterior++;
                        }
                    }
                }
                assertThat(layersWithInterior).isPositive();
                // the plain program (every halo awaited before its layer) makes one call per layer and device
                java.util.concurrent.atomic.AtomicInteger plain = new java.util.concurrent.atomic.AtomicInteger();
                new PartitionedExecutor(g, plan, List.of(countingCalls(plain))).run(arena, in);
                assertThat(merged.get()).as("kernel calls with every halo in, %s", s).isEqualTo(plain.get());
                java.util.concurrent.atomic.AtomicInteger split = new java.util.concurrent.atomic.AtomicInteger();
                new PartitionedExecutor(g, plan, List.of(countingCalls(split))).mergeWaitNs(-1).mergeMinWeightBytes(0).runThreaded(arena, in, 30_000_000_000L);
                assertThat(split.get()).isEqualTo(plain.get() + boundaryCalls(px));
            }
        }
    }

    @Test
    void layersWithLessWeightThanTheThresholdKeepTheInteriorFirstHoweverLongTheWait() {
        Graph g = Nets.smallStack(23, 9);
        Plan plan = Plan.equal(Plan.deviceNames(3), 23, Sync.every());
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Nets.randomInput(arena, g.inputs().get(0).shape(), 5);
            float[] ref = new PartitionedExecutor(g, plan, List.of()).run(arena, in).output().toLogicalArray();
            java.util.concurrent.atomic.AtomicInteger plain = new java.util.concurrent.atomic.AtomicInteger();
            new PartitionedExecutor(g, plan, List.of(countingCalls(plain))).run(arena, in);
            java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
            // the default threshold (1 MiB of weights) is far above this net's layers
            PartitionedExecutor px = new PartitionedExecutor(g, plan, List.of(countingCalls(calls))).mergeWaitNs(10_000_000_000L);
            PartitionedExecutor.Result r = px.runThreaded(arena, in, 30_000_000_000L);
            assertThat(r.output().toLogicalArray()).containsExactly(ref);
            assertThat(boundaryCalls(px)).isPositive();
            assertThat(calls.get()).isEqualTo(plain.get() + boundaryCalls(px));
        }
    }

    @Test
    void aMergeWaitThatIsNotANumberIsRefusedByName() {
        String old = System.getProperty(PartitionedExecutor.MERGE_WAIT_PROPERTY);
        System.setProperty(PartitionedExecutor.MERGE_WAIT_PROPERTY, "300us");
        try {
            Graph g = Nets.smallStack(23, 9);
            assertThatThrownBy(() -> new PartitionedExecutor(g, Plan.equal(Plan.deviceNames(2), 23, Sync.every()), List.of()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("coedge.partition.mergeWaitUs takes a whole number, got '300us'");
        } finally {
            if (old == null) {
                System.clearProperty(PartitionedExecutor.MERGE_WAIT_PROPERTY);
            } else {
                System.setProperty(PartitionedExecutor.MERGE_WAIT_PROPERTY, old);
            }
        }
    }

    @Test
    void devicesWhoseHalosAreLateComputeTheInteriorFirstWithTheSameResult() {
        Graph g = Nets.smallStack(23, 9);
        Plan plan = Plan.equal(Plan.deviceNames(3), 23, Sync.every());
        Geometry geo = Geometry.of(g, plan);
        try (Arena shared = Arena.ofShared();
             InProcessHaloExchange inner = new InProcessHaloExchange(geo.transfers(), 30_000_000_000L)) {
            Tensor in = Nets.randomInput(shared, g.inputs().get(0).shape(), 4);
            float[] ref = new PartitionedExecutor(g, plan, List.of()).run(shared, in).output().toLogicalArray();
            java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
            // an exchange whose halos are never in when tried: every device falls back to the interior first
            HaloExchange late = new HaloExchange() {
                @Override
                public void send(Transfer t, java.lang.foreign.MemorySegment payload) {
                    inner.send(t, payload);
                }

                @Override
                public void receive(Transfer t, java.lang.foreign.MemorySegment destination) {
                    inner.receive(t, destination);
                }

                @Override
                public boolean tryReceive(Transfer t, java.lang.foreign.MemorySegment destination, long maxWaitNs) {
                    tries.incrementAndGet();
                    return false;
                }
            };
            Accounting counted = new PartitionedExecutor(geo, List.of()).newAccounting();
            var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
            try {
                List<java.util.concurrent.Future<java.util.Map<String, Tensor>>> fs = new java.util.ArrayList<>();
                for (int d = 0; d < 3; d++) {
                    int dev = d;
                    PartitionedExecutor px = new PartitionedExecutor(geo, List.of(), dev).mergeWaitNs(0).mergeMinWeightBytes(0);
                    fs.add(pool.submit(() -> px.runDevice(dev, dev == plan.tail() ? in : null, late, counted, shared)));
                }
                for (var f : fs) {
                    f.get();
                }
                assertThat(fs.get(plan.tail()).get().values().iterator().next().toLogicalArray()).containsExactly(ref);
                assertThat(counted.difference(geo.predicted())).isNull();
                assertThat(tries.get()).isPositive();
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Boundary compute steps that {@link PartitionedExecutor#overlapped} added after interior ones, all devices. */
    private static int boundaryCalls(PartitionedExecutor px) {
        int n = 0;
        for (int d = 0; d < px.geometry().plan().deviceCount(); d++) {
            for (PartitionedExecutor.Deferred x : PartitionedExecutor.deferred(px.schedule(d))) {
                if (x != null) {
                    n += x.boundaries();
                }
            }
        }
        return n;
    }

    /** A provider of the reference kernels that counts kernel calls covering a node's whole band of a device. */
    private static io.coedge.graph.KernelProvider countingCalls(java.util.concurrent.atomic.AtomicInteger calls) {
        return new io.coedge.graph.KernelProvider() {
            @Override
            public String name() {
                return "counting";
            }

            @Override
            public int priority() {
                return 0;
            }

            @Override
            public boolean available() {
                return true;
            }

            @Override
            public io.coedge.graph.Kernel kernel(io.coedge.graph.KernelContext ctx) {
                io.coedge.graph.Kernel k = ctx.node().op().referenceKernel(ctx);
                if (!(k instanceof io.coedge.graph.RowKernel rk)) {
                    return null;
                }
                return (io.coedge.graph.RowKernel) (ins, row0, out, outRow0, r0, r1) -> {
                    calls.incrementAndGet();
                    rk.runRows(ins, row0, out, outRow0, r0, r1);
                };
            }
        };
    }

    private static java.util.Map<Integer, Integer> rowsByNode(List<Step> program) {
        java.util.Map<Integer, Integer> m = new java.util.TreeMap<>();
        for (Step x : program) {
            if (x instanceof Step.Compute c) {
                m.merge(c.node(), c.rows().size(), Integer::sum);
            }
        }
        return m;
    }

    @Test
    void everyModeComputesNoRowTwiceAndFusedModeDoes() {
        Graph g = Nets.smallStack(23, 9);
        Geometry every = Geometry.of(g, Plan.equal(Plan.deviceNames(4), 23, Sync.every()));
        Geometry fused = Geometry.of(g, Plan.equal(Plan.deviceNames(4), 23, Sync.fused(3)));
        assertThat(every.redundantFlops()).isZero();
        assertThat(fused.redundantFlops()).isPositive();
        assertThat(fused.predicted().totalBytesSent()).isLessThan(every.predicted().totalBytesSent());
    }

    @Test
    void devicesHoldOnlyTheirBandPlusHaloNeverAWholeMap() {
        for (String model : List.of("vgg16", "googlenet", "resnet18")) {
            Graph g = io.coedge.zoo.ModelZoo.build(model);
            Geometry geo = Geometry.of(g, Plan.equal(Plan.deviceNames(4), 224, Sync.every()));
            for (var node : g.nodes()) {
                String v = node.output();
                if (!geo.isSplit(v)) {
                    continue;
                }
                int h = g.shape(v)[2];
                for (int d = 0; d < 4; d++) {
                    RowRange held = geo.bufferRows(v, d);
                    RowRange own = geo.ownedRows(v, d);
                    assertThat(held.contains(own)).isTrue();
                    // a band of h/4 rows plus at most a few halo rows on each side
                    assertThat(held.size()).as("%s %s device %d", model, v, d).isLessThanOrEqualTo(own.size() + 6);
                    if (h >= 16) {
                        assertThat(held.size()).isLessThan(h);
                    }
                }
            }
            for (int d = 0; d < 4; d++) {
                assertThat(geo.predicted().peakBytes(d)).isLessThan(geo.oneDevicePeakBytes() / 2);
            }
        }
    }

    @Test
    void layerCostsAddUpToThePredictedAccounting() {
        Graph g = Nets.mixed(37, 21, "gap");
        Geometry geo = Geometry.of(g, Plan.random(Plan.deviceNames(4), 37, 6, Sync.every()).withTail("dev1"));
        long flops = 0, sent = 0;
        for (Geometry.LayerCost c : geo.costs()) {
            flops += c.flops();
            sent += c.bytesSent();
            if (c.role() == Geometry.Role.SPLIT) {
                assertThat(c.rows()).isEqualTo(geo.computedRows(c.layer(), c.device()).size());
                assertThat(c.bytesReceived()).isGreaterThanOrEqualTo(c.haloRows() * geo.rowBytes(g.nodes().get(c.layer()).output()));
            }
        }
        assertThat(flops).isEqualTo(geo.predicted().totalFlops()).isEqualTo(g.totalFlops());
        assertThat(sent).isEqualTo(geo.predicted().totalBytesSent());
    }

    @Test
    void planThatDoesNotCoverTheInputIsRefused() {
        Graph g = Nets.smallStack(23, 9);
        assertThatThrownBy(() -> Geometry.of(g, Plan.explicit(Plan.deviceNames(2), new int[] {10, 12}, Sync.every())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sum to 22").hasMessageContaining("23 rows");
    }
}
