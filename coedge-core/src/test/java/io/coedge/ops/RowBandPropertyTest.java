package io.coedge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.Kernel;
import io.coedge.graph.ModelException;
import io.coedge.graph.Node;
import io.coedge.graph.Op;
import io.coedge.graph.RowKernel;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * A device computes its band of output rows from the input rows {@link RowSplittable#inputRows} names
 * (plus whatever extra rows its band happens to hold). The band must equal the same rows of the
 * whole-map result, for every row-splittable op, at any band, including one-row bands and bands at
 * the borders where windows reach into padding.
 */
class RowBandPropertyTest {

    enum Kind { CONV, CONV_SAME, MAX_POOL, AVG_POOL, CONV_TRANSPOSE, RESIZE_NEAREST, RESIZE_LINEAR, LRN, BATCH_NORM, CLIP,
        RELU, ADD_MAPS, MUL_CONSTANT, CONCAT }

    /** A one-node graph and the data to run it. */
    record Case(Graph graph, Map<String, float[]> feeds) {
    }

    static Case build(Kind kind, int c, int h, int w, int k, int s, int d, int pt, int pb, boolean flag, Random r) {
        GraphBuilder b = new GraphBuilder("band");
        Map<String, float[]> feeds = new LinkedHashMap<>();
        String x = b.input("x", 1, c, h, w);
        feeds.put("x", OpRunner.random(r, c * h * w));
        List<String> ins = new ArrayList<>(List.of(x));
        Op op;
        int m = 1 + r.nextInt(4);
        switch (kind) {
            case CONV -> {
                int g = flag && c % 2 == 0 ? 2 : 1;
                m = m * g;
                op = new Conv(k, k, s, s, d, d, "NOTSET", new long[] {pt, 1, pb, 0}, g);
                ins.add(b.constant("w", OpRunner.random(r, m * (c / g) * k * k), m, c / g, k, k));
                ins.add(b.constant("b", OpRunner.random(r, m), m));
            }
            case CONV_SAME -> {
                op = new Conv(k, k, s, s, d, d, flag ? "SAME_UPPER" : "SAME_LOWER", null, 1);
                ins.add(b.constant("w", OpRunner.random(r, m * c * k * k), m, c, k, k));
            }
            case MAX_POOL -> op = new Pool("MaxPool", k, k, s, s, d, d, "NOTSET", new Pads(pt, 0, pb, 1), flag, false);
            case AVG_POOL -> op = new Pool("AveragePool", k, k, s, s, 1, 1, "NOTSET", new Pads(pt, 1, pb, 0), flag, r.nextBoolean());
            case CONV_TRANSPOSE -> {
                int op0 = Math.min(s, d) > 1 ? r.nextInt(Math.min(s, d)) : 0;
                op = new ConvTranspose(k, k, s, s, d, d, "NOTSET", new Pads(pt, 0, pb, 1), op0, 0, 0, 0, 1);
                ins.add(b.constant("w", OpRunner.random(r, c * m * k * k), c, m, k, k));
            }
            case RESIZE_NEAREST -> {
                String[] coord = {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nearest"};
                String[] near = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
                float[] scales = {0.5f, 1.5f, 2f, 3f};
                op = flag ? new Resize("nearest", coord[r.nextInt(5)], near[r.nextInt(4)], new float[] {1, 1,
                    scales[r.nextInt(4)], scales[r.nextInt(4)]}, null)
                        : new Resize("nearest", coord[r.nextInt(5)], near[r.nextInt(4)], null, new int[] {1, c, 1 + r.nextInt(2 * h),
                            1 + r.nextInt(2 * w)});
            }
            case RESIZE_LINEAR -> {
                String[] coord = {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"};
                op = flag ? new Resize("linear", coord[r.nextInt(4)], "round_prefer_floor",
                        new float[] {1, 1, 0.5f + r.nextInt(6) * 0.5f, 0.5f + r.nextInt(6) * 0.5f}, null)
                        : new Resize("linear", coord[r.nextInt(4)], "round_prefer_floor", null,
                            new int[] {1, c, 1 + r.nextInt(2 * h), 1 + r.nextInt(2 * w)});
            }
            case LRN -> op = new Lrn(1 + 2 * r.nextInt(3), 1e-2f, 0.75f, 1f);
            case BATCH_NORM -> {
                op = new BatchNorm(1e-5f);
                ins.add(b.constant("scale", OpRunner.random(r, c), c));
                ins.add(b.constant("bias", OpRunner.random(r, c), c));
                ins.add(b.constant("mean", OpRunner.random(r, c), c));
                float[] var = OpRunner.random(r, c);
                for (int i = 0; i < c; i++) {
                    var[i] = Math.abs(var[i]) + 0.5f;
                }
                ins.add(b.constant("var", var, c));
            }
            case CLIP -> op = new Clip(-0.3f, 0.4f);
            case RELU -> op = Unary.relu();
            case ADD_MAPS -> {
                op = Binary.add();
                ins.add(b.input("x2", 1, c, h, w));
                feeds.put("x2", OpRunner.random(r, c * h * w));
            }
            case MUL_CONSTANT -> {
                op = new Binary("Mul");
                ins.add(flag ? b.constant("k", OpRunner.random(r, c), 1, c, 1, 1) : b.constant("k", OpRunner.random(r, w), w));
            }
            case CONCAT -> {
                op = new Concat(1);
                ins.add(b.input("x2", 1, m, h, w));
                feeds.put("x2", OpRunner.random(r, m * h * w));
            }
            default -> throw new IllegalStateException();
        }
        String y = b.node("op", op, ins.toArray(String[]::new));
        return new Case(b.output(y).build(), feeds);
    }

    @Property(tries = 400)
    void bandOfRowsEqualsTheSameRowsOfTheWholeMap(@ForAll Kind kind, @ForAll @IntRange(min = 1, max = 4) int c,
                                                   @ForAll @IntRange(min = 1, max = 11) int h,
                                                   @ForAll @IntRange(min = 1, max = 6) int w,
                                                   @ForAll @IntRange(min = 1, max = 4) int k,
                                                   @ForAll @IntRange(min = 1, max = 3) int s,
                                                   @ForAll @IntRange(min = 1, max = 2) int d,
                                                   @ForAll @IntRange(min = 0, max = 2) int pt,
                                                   @ForAll @IntRange(min = 0, max = 2) int pb,
                                                   @ForAll boolean flag, @ForAll long seed) {
        Random r = new Random(seed);
        Case cs;
        try {
            cs = build(kind, c, h, w, k, s, d, pt, pb, flag, r);
        } catch (ModelException e) {
            Assume.that(false); // parameters that give an empty output
            return;
        }
        checkBands(cs, r);
    }

    @Example
    void oneRowBandsCoverEveryRowOfAStridedPaddedConv() {
        Random r = new Random(11);
        Case cs = build(Kind.CONV, 3, 9, 5, 3, 2, 1, 1, 2, true, r);
        Graph g = cs.graph();
        int outH = g.shape("op")[2];
        for (int row = 0; row < outH; row++) {
            checkBand(cs, row, row + 1, 0, 0, r);
        }
    }

    private static void checkBands(Case cs, Random r) {
        int outH = cs.graph().shape("op")[2];
        for (int t = 0; t < 4; t++) {
            int r0 = t == 0 ? 0 : r.nextInt(outH);
            int len = switch (t) {
                case 0, 1 -> 1;
                case 2 -> outH - r0;
                default -> 1 + r.nextInt(outH - r0);
            };
            checkBand(cs, r0, r0 + len, r.nextInt(3), r.nextInt(2), r);
        }
    }

    /**
     * Runs output rows [r0, r1) from input bands that hold the rows {@code inputRows} asks for, widened
     * by up to {@code slack} rows each side, into an output band that starts {@code outSlack} rows early.
     */
    private static void checkBand(Case cs, int r0, int r1, int slack, int outSlack, Random r) {
        Graph g = cs.graph();
        Node node = g.nodes().get(0);
        assertThat(node.op()).isInstanceOf(RowSplittable.class);
        RowSplittable geo = (RowSplittable) node.op();
        assertThat(geo.splitsRows(g.inputShapes(node), g.outputShapes(node))).isTrue();
        Kernel kernel = node.op().referenceKernel(g.kernelContext(node));
        assertThat(kernel).isInstanceOf(RowKernel.class);
        int[] outShape = g.shape("op");
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> in = new LinkedHashMap<>();
            cs.feeds().forEach((name, v) -> in.put(name, Tensor.fromLogical(arena, v, g.shape(name))));
            float[] whole = Executor.reference(g).run(arena, in).get("op").toLogicalArray();

            int inH = g.shape("x")[2];
            int[] need = geo.inputRows(r0, r1, inH);
            assertThat(need[0]).isBetween(0, need[1]);
            assertThat(need[1]).isLessThanOrEqualTo(inH);
            int a = Math.max(0, need[0] - slack), b = Math.min(inH, need[1] + slack);
            Tensor[] bands = new Tensor[node.inputs().size()];
            int[] row0 = new int[bands.length];
            for (int i = 0; i < bands.length; i++) {
                String name = node.input(i);
                if (g.isConstant(name)) {
                    bands[i] = g.constant(name);
                } else {
                    bands[i] = in.get(name).rows(a, b);
                    row0[i] = a;
                }
            }
            int o0 = Math.max(0, r0 - outSlack);
            Tensor out = Tensor.allocate(arena, 1, outShape[1], r1 - o0, outShape[3]);
            ((RowKernel) kernel).runRows(bands, row0, out, o0, r0, r1);
            for (int ch = 0; ch < outShape[1]; ch++) {
                for (int y = r0; y < r1; y++) {
                    for (int x = 0; x < outShape[3]; x++) {
                        float expect = whole[(ch * outShape[2] + y) * outShape[3] + x];
                        assertThat(out.at4(0, ch, y - o0, x)).as("%s channel %d row %d col %d of band [%d, %d) from rows [%d, %d)",
                                node.op(), ch, y, x, r0, r1, a, b).isEqualTo(expect);
                    }
                }
            }
        }
    }
}
