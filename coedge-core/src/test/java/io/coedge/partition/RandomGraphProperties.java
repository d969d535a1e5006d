package io.coedge.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.ModelException;
import io.coedge.ops.Binary;
import io.coedge.ops.Concat;
import io.coedge.ops.Conv;
import io.coedge.ops.ConvTranspose;
import io.coedge.ops.Flatten;
import io.coedge.ops.GlobalPool;
import io.coedge.ops.Pool;
import io.coedge.ops.Resize;
import io.coedge.ops.Unary;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Random small DAGs made of the blocks real networks use (strided convs and pools, residual adds,
 * inception concats, squeeze-excitation, nearest/linear upsampling, transposed convs) with a random
 * head (none, global pooling + Gemm, flatten + Gemm), split at random: exact and accounted.
 */
class RandomGraphProperties {

    static Graph randomGraph(long seed, int height) {
        Random rnd = new Random(seed);
        GraphBuilder b = new GraphBuilder("dag-" + seed);
        int c = 2 + rnd.nextInt(3);
        int w = 2 + rnd.nextInt(4);
        String x = b.input("input", 1, c, height, w);
        int blocks = 1 + rnd.nextInt(5);
        for (int i = 0; i < blocks; i++) {
            int h = b.build().shape(x)[2];
            switch (rnd.nextInt(7)) {
                case 0 -> x = Nets.conv(b, rnd, x, c, c, Conv.of(1 + 2 * rnd.nextInt(2), 1 + rnd.nextInt(2), rnd.nextInt(2), 1));
                case 1 -> x = b.node(Pool.max(2 + rnd.nextInt(2), 1 + rnd.nextInt(2), 0, rnd.nextBoolean()), x);
                case 2 -> { // residual
                    String y = b.node(Unary.relu(), Nets.conv(b, rnd, x, c, c, Conv.of(3, 1, 1, 1)));
                    x = b.node(Binary.add(), x, Nets.conv(b, rnd, y, c, c, Conv.of(3, 1, 1, 1).withDilation(1)));
                }
                case 3 -> { // inception
                    String a = Nets.conv(b, rnd, x, c, 2, Conv.of(1, 1, 0, 1));
                    String bb = Nets.conv(b, rnd, x, c, 2, Conv.of(3, 1, 2, 1).withDilation(2));
                    String p = b.node(Pool.max(3, 1, 1, true), x);
                    x = b.node(new Concat(1), a, bb, p);
                    c = 4 + c;
                }
                case 4 -> { // squeeze-excitation
                    String s = b.node(GlobalPool.average(), x);
                    s = b.node(new Unary("Sigmoid", 0, 0), Nets.conv(b, rnd, s, c, c, Conv.of(1, 1, 0, 1)));
                    x = b.node(new Binary("Mul"), x, s);
                }
                case 5 -> x = b.node(rnd.nextBoolean() ? Resize.nearest(2)
                        : new Resize("linear", "half_pixel", "floor", new float[] {1, 1, 2, 2}, null), x);
                default -> x = b.node(ConvTranspose.of(3, 2, 1, rnd.nextInt(2), 1), x,
                        b.constant("ct" + i, Nets.randoms(rnd, c * c * 9), c, c, 3, 3));
            }
            if (h > 40) {
                x = b.node(Pool.max(2, 2, 0, false), x);
            }
        }
        int[] s = b.build().shape(x);
        switch (rnd.nextInt(3)) {
            case 0 -> {
            }
            case 1 -> x = Nets.gemm(b, rnd, b.node(new Flatten(1), b.node(GlobalPool.average(), x)), s[1], 3);
            default -> x = Nets.gemm(b, rnd, b.node(new Flatten(1), x), s[1] * s[2] * s[3], 3);
        }
        return b.output(x).build();
    }

    /** {@link #randomGraph}, or null when one of its blocks does not fit a map of {@code height} rows. */
    static Graph randomGraphOrNull(long seed, int height) {
        try {
            return randomGraph(seed, height);
        } catch (ModelException e) {
            return null;
        }
    }

    @Property(tries = 300)
    void randomNetworksSplitExactly(@ForAll long seed, @ForAll @IntRange(min = 1, max = 12) int halfHeight,
                                    @ForAll @IntRange(min = 1, max = 6) int devices,
                                    @ForAll @IntRange(min = 0, max = 3) int fused, @ForAll boolean threaded) {
        int height = 2 * halfHeight + 1;
        Graph g = randomGraphOrNull(seed, height);
        if (g == null) {
            return; // a block that does not fit a tiny map
        }
        Plan plan = Plan.random(Plan.deviceNames(devices), height, seed ^ 0x5eed, fused == 0 ? Sync.every() : Sync.fused(fused))
                .withTail("dev" + Math.floorMod(seed, devices));
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Nets.randomInput(arena, g.inputs().get(0).shape(), seed);
            Tensor ref = Nets.reference(g, arena, in);
            PartitionedExecutor px = new PartitionedExecutor(g, plan, List.of());
            PartitionedExecutor.Result r = threaded ? px.runThreaded(arena, in, 20_000_000_000L) : px.run(arena, in);
            assertThat(Nets.maxAbsDiff(ref, r.output())).as("%s on %s", plan, g.summary())
                    .isLessThanOrEqualTo(1e-5f * Math.max(Nets.maxAbs(ref), 1e-20f));
            assertThat(r.counted().difference(px.geometry().predicted())).isNull();
        }
    }

    /** The cost model's transfers-only geometry sends exactly what the full one does. */
    @Property(tries = 300)
    void transfersOnlyGeometryMatchesTheFullOne(@ForAll long seed, @ForAll @IntRange(min = 1, max = 12) int halfHeight,
                                                @ForAll @IntRange(min = 1, max = 8) int devices,
                                                @ForAll @IntRange(min = 0, max = 3) int fused, @ForAll boolean headSplit) {
        int height = 2 * halfHeight + 1;
        Graph g = randomGraphOrNull(seed, height);
        if (g == null) {
            return; // a block that does not fit a tiny map
        }
        Plan plan = Plan.random(Plan.deviceNames(devices), height, seed ^ 0x5eed, fused == 0 ? Sync.every() : Sync.fused(fused))
                .withTail("dev" + Math.floorMod(seed, devices)).withHeadSplit(headSplit);
        assertThat(Geometry.transfersOf(g, plan)).as("%s on %s", plan, g.summary())
                .isEqualTo(Geometry.of(g, plan).transfers());
    }

    /**
     * The transfers of plans that share their device count, sync and head split, each device's bands kept by its
     * rows, are exactly the full geometry's, and so are the halos {@link PlanTransfers#forEachHalo} hands out and each
     * device's FLOPs at the split nodes ({@link PlanTransfers#splitFlops}): for a
     * plan, for plans that move one boundary (the bands of the devices it leaves alone come from the cache), and for
     * another tail.
     */
    @Property(tries = 300)
    void planTransfersMatchTheFullGeometry(@ForAll long seed, @ForAll @IntRange(min = 1, max = 12) int halfHeight,
                                           @ForAll @IntRange(min = 1, max = 8) int devices,
                                           @ForAll @IntRange(min = 0, max = 3) int fused, @ForAll boolean headSplit) {
        int height = 2 * halfHeight + 1;
        Graph g = randomGraphOrNull(seed, height);
        if (g == null) {
            return; // a block that does not fit a tiny map
        }
        Sync sync = fused == 0 ? Sync.every() : Sync.fused(fused);
        Plan template = Plan.random(Plan.deviceNames(devices), height, seed ^ 0x7a11, sync).withHeadSplit(headSplit);
        PlanTransfers pt = PlanTransfers.of(g, template);
        Plan plan = Plan.random(Plan.deviceNames(devices), height, seed ^ 0x5eed, sync)
                .withTail("dev" + Math.floorMod(seed, devices)).withHeadSplit(headSplit);
        List<Plan> plans = new ArrayList<>(List.of(template, plan, plan.withTail("dev0")));
        Random rnd = new Random(seed);
        for (int m = 0; m < 6 && devices > 1; m++) {
            int[] rows = plan.rows().clone();
            int d = rnd.nextInt(devices - 1);
            int shift = Math.min(rows[d], rnd.nextInt(3));
            rows[d] -= shift;
            rows[d + 1] += shift;
            plans.add(new Plan(0, plan.devices(), rows, sync, plan.tailDevice(), headSplit));
        }
        plans.add(plan.withSync(fused == 0 ? Sync.fused(2) : Sync.every())); // another family: the full geometry
        for (Plan p : plans) {
            List<Transfer> full = Geometry.of(g, p).transfers();
            assertThat(pt.transfersOf(p)).as("%s on %s", p, g.summary()).isEqualTo(full);
            List<Transfer> halos = new ArrayList<>();
            pt.forEachHalo(p, (node, from, to, rowStart, rowEnd, bytes) -> halos.add(new Transfer(0, Transfer.Kind.HALO,
                    g.nodes().get(node).output(), node, from, to, rowStart, rowEnd, bytes)));
            List<Transfer> expected = full.stream().filter(t -> t.kind() == Transfer.Kind.HALO).map(t -> new Transfer(0,
                    t.kind(), t.value(), t.stage(), t.from(), t.to(), t.rowStart(), t.rowEnd(), t.bytes())).toList();
            assertThat(halos).as("halos of %s on %s", p, g.summary()).isEqualTo(expected);
            if (p.sync().equals(sync)) {
                halos.clear();
                pt.forEachHalo(p.rows(), (node, from, to, rowStart, rowEnd, bytes) -> halos.add(new Transfer(0,
                        Transfer.Kind.HALO, g.nodes().get(node).output(), node, from, to, rowStart, rowEnd, bytes)));
                assertThat(halos).as("halos of rows %s on %s", p, g.summary()).isEqualTo(expected);
                Geometry geo = Geometry.of(g, p);
                long[][] flops = pt.splitFlops(p.rows());
                for (int i = 0; i < g.nodes().size(); i++) {
                    for (int d = 0; d < devices; d++) {
                        long want = geo.role(i) == Geometry.Role.SPLIT ? geo.predicted().flops(d, i) : 0;
                        assertThat(flops[d][i]).as("FLOPs of device %d at node %d of %s on %s", d, i, p, g.summary())
                                .isEqualTo(want);
                    }
                }
            }
        }
    }
}
