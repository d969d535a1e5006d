package io.coedge.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.ops.Conv;
import io.coedge.ops.Flatten;
import io.coedge.ops.Pool;
import io.coedge.ops.Unary;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The tail's fully connected layers split by output neurons ({@link Plan#headSplit()}). */
class HeadSplitTest {

    /** A VGG-like net: convs, a max pool, Flatten, FC (100 outputs), ReLU, FC (10 outputs). */
    static Graph vggLike() {
        GraphBuilder b = new GraphBuilder("vgg-like");
        Random rnd = new Random(3);
        String x = b.input("input", 1, 3, 29, 11);
        x = b.node(Unary.relu(), Nets.conv(b, rnd, x, 3, 8, Conv.of(3, 1, 1, 1)));
        x = b.node(Pool.max(2, 2, 0, false), x);
        x = b.node(Unary.relu(), Nets.conv(b, rnd, x, 8, 6, Conv.of(3, 1, 1, 1)));
        x = b.node(new Flatten(1), x);
        x = b.node(Unary.relu(), Nets.gemm(b, rnd, x, 6 * 14 * 5, 100));
        x = Nets.gemm(b, rnd, x, 100, 10);
        return b.output(x).build();
    }

    private static float[] run(Graph g, Plan plan, Tensor in, Arena arena, boolean threaded) {
        PartitionedExecutor px = new PartitionedExecutor(g, plan, List.of());
        PartitionedExecutor.Result r = threaded ? px.runThreaded(arena, in, 30_000_000_000L) : px.run(arena, in);
        assertThat(r.counted().difference(px.geometry().predicted())).as("accounting of %s", plan).isNull();
        if (plan.sync().isEvery()) {
            assertThat(r.counted().totalFlops()).isEqualTo(g.totalFlops() + repeatedChainFlops(g, px.geometry()));
        }
        return r.output().toLogicalArray();
    }

    /**
     * FLOPs the split head's devices repeat: the nodes between two split layers (the ReLU) run on the whole
     * vector on every one of them.
     */
    private static long repeatedChainFlops(Graph g, Geometry geo) {
        int[] layers = geo.headNodes();
        long devices = 0;
        for (int d = 0; d < geo.plan().deviceCount(); d++) {
            if (!geo.headColumns(d).isEmpty()) {
                devices++;
            }
        }
        long flops = 0;
        for (int k = 1; k < layers.length; k++) {
            for (int i = layers[k - 1] + 1; i < layers[k]; i++) {
                flops += (devices - 1) * g.flops(g.nodes().get(i));
            }
        }
        return flops;
    }

    private static List<Plan> plans() {
        List<String> names = Plan.deviceNames(4);
        return List.of(
                Plan.explicit(names, new int[] {0, 10, 12, 7}, Sync.every()), // the tail holds no rows
                Plan.explicit(names, new int[] {9, 0, 13, 7}, Sync.every()).withTail("dev2"), // the tail holds rows
                Plan.explicit(names, new int[] {0, 29, 0, 0}, Sync.fused(2)), // one device computes the whole layer
                Plan.random(names, 29, 5, Sync.fused(2)).withTail("dev3"));
    }

    @Test
    void splittingTheHeadGivesTheSameBitsAsNotSplittingIt() {
        Graph g = vggLike();
        try (Arena arena = Arena.ofShared()) {
            Tensor in = Nets.randomInput(arena, g.inputs().get(0).shape(), 9);
            float[] ref = Nets.reference(g, arena, in).toLogicalArray();
            for (Plan p : plans()) {
                float[] whole = run(g, p, in, arena, false);
                assertThat(Geometry.of(g, p.withHeadSplit(true)).headNode()).as("%s", p).isGreaterThanOrEqualTo(0);
                assertThat(run(g, p.withHeadSplit(true), in, arena, false)).as("%s", p).containsExactly(whole);
                assertThat(run(g, p.withHeadSplit(true), in, arena, true)).as("threaded %s", p).containsExactly(whole);
                for (int i = 0; i < ref.length; i++) {
                    assertThat(Math.abs(ref[i] - whole[i])).isLessThanOrEqualTo(1e-5f * Math.max(1f, Math.abs(ref[i])));
                }
            }
        }
    }

    @Test
    void devicesWithOnlyTheirOwnKernelsComputeTheirColumnsLikeWorkerProcesses() throws Exception {
        Graph g = vggLike();
        Plan plan = Plan.explicit(Plan.deviceNames(3), new int[] {0, 15, 14}, Sync.every()).withHeadSplit(true);
        Geometry geo = Geometry.of(g, plan);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (Arena shared = Arena.ofShared();
             InProcessHaloExchange ex = new InProcessHaloExchange(geo.transfers(), 30_000_000_000L)) {
            Tensor in = Nets.randomInput(shared, g.inputs().get(0).shape(), 4);
            float[] whole = run(g, plan.withHeadSplit(false), in, shared, false);
            Accounting counted = new PartitionedExecutor(geo, List.of(), 0).newAccounting();
            List<Future<Map<String, Tensor>>> fs = new ArrayList<>();
            for (int d = 0; d < 3; d++) {
                int dev = d;
                PartitionedExecutor px = new PartitionedExecutor(geo, List.of(), dev);
                fs.add(pool.submit(() -> px.runDevice(dev, dev == 0 ? in : null, ex, counted, shared)));
            }
            assertThat(fs.get(0).get().values().iterator().next().toLogicalArray()).containsExactly(whole);
            // the tail device can finish before the others have counted their last sends
            for (Future<Map<String, Tensor>> f : fs) {
                f.get();
            }
            assertThat(counted.difference(geo.predicted())).isNull();
            // the tail device (no rows) computes none of the head; the others share it
            int head = geo.headNode();
            assertThat(counted.flops(0, head)).isZero();
            assertThat(counted.flops(1, head) + counted.flops(2, head)).isEqualTo(g.flops(g.nodes().get(head)));
            assertThat(new PartitionedExecutor(geo, List.of(), 0).kernelSources().get(g.nodes().get(head).name()))
                    .isEqualTo("not on this device");
            assertThat(new PartitionedExecutor(geo, List.of(), 1).kernelSources().get(g.nodes().get(head).name()))
                    .contains("split by output neurons");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void columnsFollowTheInputRowsAtMultiplesOfSixteenAndCoverTheLayerOnce() {
        Graph g = vggLike();
        Plan plain = Plan.explicit(Plan.deviceNames(4), new int[] {0, 10, 12, 7}, Sync.every());
        Geometry geo = Geometry.of(g, plain.withHeadSplit(true));
        assertThat(geo.headColumns(0).isEmpty()).isTrue();
        assertThat(geo.headColumns(1)).isEqualTo(RowRange.of(0, 32));
        assertThat(geo.headColumns(2)).isEqualTo(RowRange.of(32, 80));
        assertThat(geo.headColumns(3)).isEqualTo(RowRange.of(80, 100));
        // the second layer (10 neurons, after a ReLU) is split too: at multiples of 16, the last device takes all
        int[] layers = geo.headNodes();
        assertThat(layers).hasSize(2).startsWith(geo.headNode());
        assertThat(geo.headColumns(layers[1], 1)).isEqualTo(RowRange.of(0, 0));
        assertThat(geo.headColumns(layers[1], 2)).isEqualTo(RowRange.of(0, 0));
        assertThat(geo.headColumns(layers[1], 3)).isEqualTo(RowRange.of(0, 10));
        // all-gather of the map among the three, no gather of the map to the tail
        long gathers = geo.transfers().stream().filter(t -> t.kind() == Transfer.Kind.GATHER).count();
        assertThat(gathers).isEqualTo(6);
        assertThat(geo.transfers().stream().filter(t -> t.kind() == Transfer.Kind.GATHER).noneMatch(t -> t.to() == 0)).isTrue();
        // the first layer's columns all-gathered among the three, the last layer's sent to the tail
        assertThat(geo.transfers().stream().filter(t -> t.kind() == Transfer.Kind.SLICE && t.stage() == layers[0])
                .map(t -> t.from() + ">" + t.to() + ":" + t.bytes()).toList())
                .containsExactly("1>2:128", "1>3:128", "2>1:192", "2>3:192", "3>1:80", "3>2:80");
        assertThat(geo.transfers().stream().filter(t -> t.kind() == Transfer.Kind.SLICE && t.stage() == layers[1])
                .map(t -> t.from() + ">" + t.to() + ":" + t.bytes()).toList())
                .containsExactly("3>0:40");
        // only the devices that compute columns need their rows of the weights
        Geometry before = Geometry.of(g, plain);
        long w = g.constant(g.nodes().get(layers[0]).input(1)).byteSize();
        long b = g.constant(g.nodes().get(layers[0]).input(2)).byteSize();
        long w2 = g.constant(g.nodes().get(layers[1]).input(1)).byteSize();
        long b2 = g.constant(g.nodes().get(layers[1]).input(2)).byteSize();
        assertThat(geo.weightBytes(1) - before.weightBytes(1)).isEqualTo((w + b) / 100 * 32);
        assertThat(geo.weightBytes(3) - before.weightBytes(3)).isEqualTo((w + b) / 100 * 20 + w2 + b2);
        assertThat(before.weightBytes(0) - geo.weightBytes(0)).isEqualTo(w + b + w2 + b2);
        assertThat(geo.describe()).contains("split head");
    }

    @Test
    void aGraphWithoutSuchAHeadIsUnchanged() {
        Graph g = Nets.mixed(37, 21, "gap");
        Plan p = Plan.equal(Plan.deviceNames(3), 37, Sync.every());
        Geometry plain = Geometry.of(g, p);
        Geometry asked = Geometry.of(g, p.withHeadSplit(true));
        assertThat(asked.headNode()).isEqualTo(-1);
        assertThat(asked.transfers()).isEqualTo(plain.transfers());
        assertThat(asked.tailPhase()).isEqualTo(plain.tailPhase());
    }

    @Test
    void theFlagTravelsInThePlanText() {
        Plan p = Plan.explicit(Plan.deviceNames(2), new int[] {3, 4}, Sync.every()).withHeadSplit(true).withVersion(5);
        assertThat(p.toText()).endsWith(" head=split");
        assertThat(Plan.parse(p.toText())).isEqualTo(p);
        assertThat(Plan.parse(p.toText()).headSplit()).isTrue();
        assertThat(p.withHeadSplit(false).toText()).doesNotContain("head");
        assertThat(p.withHeadSplit(false)).isNotEqualTo(p);
        assertThat(p.toJson()).contains("\"head\":\"split\"");
        assertThatThrownBy(() -> Plan.parse(p.toText().replace("head=split", "head=rows")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'split' or 'tail'");
    }
}
