package io.coedge.onnx;

import static io.coedge.onnx.OnnxModels.intAttr;
import static io.coedge.onnx.OnnxModels.ints;
import static io.coedge.onnx.OnnxModels.node;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coedge.graph.ModelException;
import io.coedge.onnx.proto.Onnx.AttributeProto;
import io.coedge.onnx.proto.Onnx.NodeProto;
import io.coedge.onnx.proto.Onnx.TensorProto;
import org.junit.jupiter.api.Test;

/** The shape-computation folding follows ONNX semantics (numpy-style indexing and broadcasting). */
class ConstantFolderTest {
    private static Const ints1(long... v) {
        return Const.ofLongs(new int[] {v.length}, v);
    }

    private static Const iota(int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        long[] v = new long[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        return Const.ofLongs(shape, v);
    }

    private static Const fold(int opset, String type, Const[] in, AttributeProto... attrs) {
        String[] names = new String[in.length];
        int[][] shapes = new int[in.length][];
        for (int i = 0; i < in.length; i++) {
            names[i] = in[i] == null ? "" : "in" + i;
            shapes[i] = in[i] == null ? null : in[i].shape;
        }
        NodeProto n = node("n", type, names, new String[] {"out"}, attrs);
        return ConstantFolder.fold(n, "node 'n' (" + type + ")", opset, in, shapes)[0];
    }

    @Test
    void sliceClampsNegativeAndHugeBoundsAndSupportsNegativeSteps() {
        Const data = iota(10);
        assertThat(fold(13, "Slice", new Const[] {data, ints1(-3), ints1(Long.MAX_VALUE)}).longs())
                .containsExactly(7, 8, 9);
        assertThat(fold(13, "Slice", new Const[] {data, ints1(-1), ints1(Long.MIN_VALUE), ints1(0), ints1(-1)})
                .longs()).containsExactly(9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        assertThat(fold(13, "Slice", new Const[] {data, ints1(8), ints1(2), ints1(0), ints1(-2)}).longs())
                .containsExactly(8, 6, 4);
        Const m = fold(13, "Slice", new Const[] {iota(2, 4), ints1(1), ints1(3), ints1(-1)});
        assertThat(m.shape).containsExactly(2, 2);
        assertThat(m.longs()).containsExactly(1, 2, 5, 6);
    }

    @Test
    void gatherTakesNegativeIndicesAndScalarIndicesDropTheAxis() {
        Const data = Const.ofLongs(new int[] {4}, new long[] {1, 3, 224, 224});
        Const scalar = fold(13, "Gather", new Const[] {data, Const.ofLongs(new int[0], new long[] {-1})});
        assertThat(scalar.shape).isEmpty();
        assertThat(scalar.longs()).containsExactly(224);
        Const rows = fold(13, "Gather", new Const[] {iota(3, 2), ints1(2, 0)}, intAttr("axis", 0));
        assertThat(rows.shape).containsExactly(2, 2);
        assertThat(rows.longs()).containsExactly(4, 5, 0, 1);
        Const cols = fold(13, "Gather", new Const[] {iota(3, 2), ints1(1)}, intAttr("axis", 1));
        assertThat(cols.longs()).containsExactly(1, 3, 5);
        assertThatThrownBy(() -> fold(13, "Gather", new Const[] {data, ints1(4)}))
                .isInstanceOf(ModelException.class).hasMessageContaining("out of range");
    }

    @Test
    void unsqueezeAndSqueezeTakeAxesFromAttributesBeforeOpset13AndFromInputsAfter() {
        Const scalar = Const.ofLongs(new int[0], new long[] {7});
        assertThat(fold(11, "Unsqueeze", new Const[] {scalar}, ints("axes", 0)).shape).containsExactly(1);
        assertThat(fold(13, "Unsqueeze", new Const[] {iota(3), ints1(0, -1)}).shape).containsExactly(1, 3, 1);
        assertThat(fold(11, "Squeeze", new Const[] {iota(1, 3, 1)}, ints("axes", 0)).shape).containsExactly(3, 1);
        assertThat(fold(13, "Squeeze", new Const[] {iota(1, 3, 1)}).shape).containsExactly(3);
    }

    @Test
    void shapeHonoursStartAndEnd() {
        NodeProto n = node("s", "Shape", new String[] {"x"}, new String[] {"o"}, intAttr("start", 1),
                intAttr("end", -1));
        Const s = ConstantFolder.fold(n, "s", 15, new Const[] {null}, new int[][] {{2, 3, 4, 5}})[0];
        assertThat(s.longs()).containsExactly(3, 4);
    }

    @Test
    void arithmeticBroadcastsAndKeepsIntegerTypes() {
        Const r = fold(13, "Mul", new Const[] {iota(2, 3), ints1(10)});
        assertThat(r.isInteger()).isTrue();
        assertThat(r.longs()).containsExactly(0, 10, 20, 30, 40, 50);
        Const f = fold(13, "Div", new Const[] {Const.ofFloats(new int[] {2}, new float[] {3, 5}),
                Const.ofFloats(new int[0], new float[] {2})});
        assertThat(f.floats()).containsExactly(1.5f, 2.5f);
    }

    @Test
    void castTruncatesTowardZero() {
        Const f = Const.ofFloats(new int[] {3}, new float[] {2.7f, -2.7f, 0.2f});
        assertThat(fold(13, "Cast", new Const[] {f}, intAttr("to", TensorProto.DataType.INT64_VALUE)).longs())
                .containsExactly(2, -2, 0);
        assertThat(fold(13, "Cast", new Const[] {f}, intAttr("to", TensorProto.DataType.BOOL_VALUE)).longs())
                .containsExactly(1, 1, 1);
    }

    @Test
    void rangeWhereExpandAndConstantOfShape() {
        Const s = Const.ofLongs(new int[0], new long[] {10});
        Const l = Const.ofLongs(new int[0], new long[] {4});
        Const d = Const.ofLongs(new int[0], new long[] {-2});
        assertThat(fold(13, "Range", new Const[] {s, l, d}).longs()).containsExactly(10, 8, 6);
        Const cond = Const.ofLongs(TensorProto.DataType.BOOL_VALUE, new int[] {2}, new long[] {1, 0});
        assertThat(fold(13, "Where", new Const[] {cond, ints1(1, 2), ints1(3, 4)}).longs()).containsExactly(1, 4);
        Const e = fold(13, "Expand", new Const[] {ints1(1, 2, 3), ints1(2, 1)});
        assertThat(e.shape).containsExactly(2, 3);
        assertThat(e.longs()).containsExactly(1, 2, 3, 1, 2, 3);
        Const c = fold(13, "ConstantOfShape", new Const[] {ints1(2, 2)}, OnnxModels.tensorAttr("value",
                OnnxModels.int64s("v", new long[] {5}, 1)));
        assertThat(c.longs()).containsExactly(5, 5, 5, 5);
    }

    @Test
    void reshapeCopiesZerosAndInfersMinusOne() {
        assertThat(io.coedge.ops.Reshape.targetShape(new int[] {2, 3, 4}, new long[] {0, -1}, false))
                .containsExactly(2, 12);
        assertThatThrownBy(() -> io.coedge.ops.Reshape.targetShape(new int[] {2, 3, 4}, new long[] {5, -1}, false))
                .isInstanceOf(ModelException.class).hasMessageContaining("cannot reshape");
    }
}
