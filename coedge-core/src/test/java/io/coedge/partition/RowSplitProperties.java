package io.coedge.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.ModelException;
import io.coedge.ops.Conv;
import io.coedge.ops.Pads;
import io.coedge.ops.Pool;
import io.coedge.ops.Unary;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Random conv/pool stacks on tiny odd heights, split at random: exact, and the accounting agrees. */
class RowSplitProperties {

    /** A layer of a random stack and the row window it should have, from the design's formula. */
    record Layer(String value, int kernel, int stride, int dilation, int padTop) {
    }

    /** Builds a random stack of 1..6 windowed layers (conv or pool) with relus; null if it degenerates. */
    static Graph randomStack(long seed, int height, List<Layer> layers) {
        Random rnd = new Random(seed);
        GraphBuilder b = new GraphBuilder("stack-" + seed);
        int c = 1 + rnd.nextInt(3);
        int w = 1 + rnd.nextInt(5);
        String x = b.input("input", 1, c, height, w);
        int h = height;
        int depth = 1 + rnd.nextInt(6);
        for (int i = 0; i < depth; i++) {
            int k = 1 + rnd.nextInt(4);
            int s = 1 + rnd.nextInt(3);
            int d = 1 + rnd.nextInt(3);
            int top = rnd.nextInt(k);
            int bottom = rnd.nextInt(k);
            boolean pool = rnd.nextInt(3) == 0;
            boolean ceil = pool && rnd.nextBoolean();
            if (pool && (top > (k - 1) / 2 || bottom > (k - 1) / 2)) {
                top = Math.min(top, (k - 1) / 2); // ONNX pools want pads smaller than the window
                bottom = Math.min(bottom, (k - 1) / 2);
            }
            int dd = pool && rnd.nextBoolean() ? 1 : d;
            int outH = Pads.outputSize(h, k, s, dd, top, bottom, ceil);
            int outW = Pads.outputSize(w, 1, 1, 1, 0, 0, false);
            if (outH < 1 || outW < 1) {
                continue;
            }
            if (pool) {
                String type = rnd.nextBoolean() ? "MaxPool" : "AveragePool";
                if (type.equals("AveragePool")) {
                    dd = 1;
                    outH = Pads.outputSize(h, k, s, 1, top, bottom, ceil);
                }
                x = b.node(new Pool(type, k, 1, s, 1, dd, 1, "NOTSET", new Pads(top, 0, bottom, 0), ceil,
                        rnd.nextBoolean()), x);
            } else {
                int outC = 1 + rnd.nextInt(4);
                int group = (c % 2 == 0 && outC % 2 == 0 && rnd.nextBoolean()) ? 2 : 1;
                x = Nets.conv(b, rnd, x, c, outC, new Conv(k, 3, s, 1, dd, 1, "NOTSET",
                        new long[] {top, 1, bottom, 1}, group));
                c = outC;
                if (rnd.nextBoolean()) {
                    x = b.node(Unary.relu(), x);
                }
            }
            layers.add(new Layer(x, k, s, dd, top));
            h = outH;
        }
        if (layers.isEmpty()) {
            return null;
        }
        try {
            return b.output(x).build();
        } catch (ModelException e) {
            return null;
        }
    }

    @Property(tries = 150)
    void splitStacksEqualOneDeviceAndCountWhatTheyPredict(@ForAll long seed, @ForAll @IntRange(min = 0, max = 15) int halfHeight,
                                                          @ForAll @IntRange(min = 1, max = 7) int devices,
                                                          @ForAll @IntRange(min = 0, max = 3) int fused,
                                                          @ForAll boolean threaded) {
        int height = 2 * halfHeight + 1;
        List<Layer> layers = new ArrayList<>();
        Graph g = randomStack(seed, height, layers);
        if (g == null) {
            return;
        }
        Plan plan = Plan.random(Plan.deviceNames(devices), height, seed, fused == 0 ? Sync.every() : Sync.fused(fused))
                .withTail("dev" + Math.floorMod(seed, devices));
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Nets.randomInput(arena, g.inputs().get(0).shape(), seed);
            Tensor ref = Nets.reference(g, arena, in);
            PartitionedExecutor px = new PartitionedExecutor(g, plan, List.of());
            PartitionedExecutor.Result r = threaded ? px.runThreaded(arena, in, 20_000_000_000L) : px.run(arena, in);
            assertThat(Nets.maxAbsDiff(ref, r.output())).isLessThanOrEqualTo(1e-5f * Nets.maxAbs(ref));
            assertThat(r.counted().difference(px.geometry().predicted())).isNull();
            Geometry geo = px.geometry();
            if (plan.sync().isEvery()) {
                assertThat(geo.redundantFlops()).isZero();
            }
        }
    }

    @Property(tries = 300)
    void inputBandsFollowTheWindowFormula(@ForAll long seed, @ForAll @IntRange(min = 0, max = 20) int halfHeight,
                                          @ForAll @IntRange(min = 1, max = 8) int devices) {
        int height = 2 * halfHeight + 1;
        List<Layer> layers = new ArrayList<>();
        Graph g = randomStack(seed, height, layers);
        if (g == null) {
            return;
        }
        Geometry geo = Geometry.of(g, Plan.random(Plan.deviceNames(devices), height, seed, Sync.every()));
        String prev = "input";
        for (Layer l : layers) {
            // the windowed node reads prev; its output (or its relu) is l.value
            int node = windowedNodeReading(g, prev);
            int inH = g.shape(prev)[2];
            RowMapping design = RowMapping.window(l.kernel(), l.stride(), l.dilation(), l.padTop());
            for (int d = 0; d < devices; d++) {
                RowRange comp = geo.computedRows(node, d);
                if (comp.isEmpty()) {
                    continue;
                }
                RowRange want = design.inputRows(0, comp.start(), comp.end()).clip(inH);
                assertThat(geo.neededRows(prev, d).contains(want)).as("device %d needs %s of %s", d, want, prev).isTrue();
                long received = 0;
                for (Transfer t : geo.transfers()) {
                    if (t.to() == d && t.value().equals(prev)) {
                        received += t.rowEnd() - t.rowStart();
                    }
                }
                RowRange own = prev.equals("input") ? RowRange.EMPTY : geo.ownedRows(prev, d);
                long expected = geo.neededRows(prev, d).size() - geo.neededRows(prev, d).intersect(own).size();
                if (!(prev.equals("input") && d == geo.plan().tail())) {
                    assertThat(received).as("halo rows of %s on device %d", prev, d).isEqualTo(expected);
                }
            }
            prev = l.value();
        }
    }

    private static int windowedNodeReading(Graph g, String value) {
        for (int i = 0; i < g.nodes().size(); i++) {
            var n = g.nodes().get(i);
            if (n.input(0).equals(value) && !n.op().type().equals("Relu")) {
                return i;
            }
        }
        throw new AssertionError("no windowed node reads " + value);
    }
}
