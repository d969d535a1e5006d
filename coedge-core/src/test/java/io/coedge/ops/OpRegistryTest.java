package io.coedge.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coedge.graph.Attributes;
import io.coedge.graph.ModelException;
import io.coedge.graph.Op;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OpRegistryTest {

    private static Attributes minimal(String type) {
        Attributes a = new Attributes("n");
        switch (type) {
            case "MaxPool", "AveragePool" -> a.put("kernel_shape", new long[] {2, 2});
            case "LRN" -> a.put("size", 3L);
            case "Concat" -> a.put("axis", 1L);
            case "Resize" -> a.put("mode", "nearest");
            default -> { }
        }
        return a;
    }

    @Test
    void everySupportedTypeCreatesAnOpOfThatType() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor weight = Tensor.fromLogical(arena, new float[9], 1, 1, 3, 3);
            Tensor scales = Tensor.vector(arena, 1, 1, 2, 2);
            Map<String, String> typeOf = Map.of("Dropout", "Identity", "GlobalMaxPool", "GlobalMaxPool");
            for (String type : OpRegistry.supported()) {
                Op op = OpRegistry.create(type, "n", minimal(type), 13,
                        i -> i == 1 && type.startsWith("Conv") ? weight : i == 2 && type.equals("Resize") ? scales : null);
                assertThat(op.type()).as(type).isEqualTo(typeOf.getOrDefault(type, type));
            }
        }
        assertThat(OpRegistry.supported()).contains("Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool",
                "Relu", "Clip", "BatchNormalization", "LRN", "Concat", "Flatten", "Reshape", "Gemm", "MatMul", "Softmax",
                "Add", "Sub", "Mul", "Div", "Resize", "Dropout", "Sigmoid", "HardSigmoid", "HardSwish");
    }

    @Test
    void unsupportedOperatorNamesTheNodeAndTheType() {
        assertThatThrownBy(() -> OpRegistry.create("LSTM", "rnn1", new Attributes("rnn1"), 13, i -> null))
                .isInstanceOf(ModelException.class).hasMessageContaining("'rnn1'").hasMessageContaining("LSTM");
    }

    @Test
    void threeDimensionalPoolingIsRejectedClearly() {
        assertThatThrownBy(() -> OpRegistry.create("MaxPool", "p", new Attributes("p").put("kernel_shape", new long[] {2, 2, 2}),
                13, i -> null)).isInstanceOf(ModelException.class).hasMessageContaining("'p'").hasMessageContaining("2-D");
    }

    @Test
    void poolAttributesMapOntoTheRecord() {
        Op op = OpRegistry.create("AveragePool", "p", new Attributes("p").put("kernel_shape", new long[] {3, 3})
                .put("strides", new long[] {2, 2}).put("pads", new long[] {0, 1, 1, 0}).put("ceil_mode", 1L)
                .put("count_include_pad", 1L), 11, i -> null);
        assertThat(op).isEqualTo(new Pool("AveragePool", 3, 3, 2, 2, 1, 1, "NOTSET", new Pads(0, 1, 1, 0), true, true));
    }

    @Test
    void rowGeometryOfConvAndPoolFollowsTheWindowFormula() {
        Conv conv = Conv.of(3, 1, 1, 1);
        assertThat(conv.inputRows(0, 10, 224)).containsExactly(0, 11);
        assertThat(conv.inputRows(100, 110, 224)).containsExactly(99, 111);
        assertThat(conv.inputRows(214, 224, 224)).containsExactly(213, 224);
        Conv strided = Conv.of(7, 2, 3, 1);
        // [r0*2 - 3, (r1-1)*2 - 3 + 7) = [17, 32)
        assertThat(strided.inputRows(10, 15, 224)).containsExactly(17, 32);
        assertThat(Pool.max(2, 2, 0, false).inputRows(3, 5, 56)).containsExactly(6, 10);
        Conv same = new Conv(3, 3, 2, 2, 1, 1, "SAME_UPPER", null, 1);
        // in 8, k3 s2: total pad 1 at the bottom, so top pad 0.
        assertThat(same.inputRows(0, 1, 8)).containsExactly(0, 3);
        assertThat(Binary.add().inputRows(4, 9, 20)).containsExactly(4, 9);
        assertThat(conv.inputRows(5, 5, 224)).containsExactly(0, 0);
    }

    /** Creates the op for {@code type} with one attribute set to a hostile value, with a 3x3 weight. */
    private static Op withAttribute(String type, String attr, long[] value) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor weight = Tensor.fromLogical(arena, new float[9], 1, 1, 3, 3);
            Attributes a = minimal(type).put(attr, value);
            return OpRegistry.create(type, "w1", a, 13, i -> i == 1 && type.startsWith("Conv") ? weight : null);
        }
    }

    @Test
    void windowAttributesOutOfRangeAreRefusedNotTruncated() {
        // a pad of 2^40 used to become 0 through an int cast, a stride of 0 a division by zero
        for (String type : new String[] {"Conv", "ConvTranspose", "MaxPool", "AveragePool"}) {
            assertThatThrownBy(() -> withAttribute(type, "pads", new long[] {1L << 40, 0, 0, 0}))
                    .as(type).isInstanceOf(ModelException.class).hasMessageContaining("w1").hasMessageContaining("pads")
                    .hasMessageContaining("1099511627776");
            assertThatThrownBy(() -> withAttribute(type, "strides", new long[] {0, 1}))
                    .as(type).isInstanceOf(ModelException.class).hasMessageContaining("w1").hasMessageContaining("strides");
            assertThatThrownBy(() -> withAttribute(type, "kernel_shape", new long[] {1L << 33, 3}))
                    .as(type).isInstanceOf(ModelException.class).hasMessageContaining("w1")
                    .hasMessageContaining("kernel_shape");
            assertThatThrownBy(() -> withAttribute(type, "pads", new long[] {1, 1, 1}))
                    .as(type).isInstanceOf(ModelException.class).hasMessageContaining("w1").hasMessageContaining("pads");
        }
        assertThatThrownBy(() -> withAttribute("Conv", "dilations", new long[] {Integer.MAX_VALUE, 1}))
                .isInstanceOf(ModelException.class).hasMessageContaining("w1").hasMessageContaining("dilations");
    }

    @Test
    void windowOfAHugeDilationGivesAnEmptyOutputNotAWrappedOne() {
        // (k - 1) * d overflowed int: a 3-tall kernel dilated by 2^31 - 1 gave 10 output rows from 8
        assertThat(Pads.outputSize(8, 3, 1, Integer.MAX_VALUE, 1, 1, false)).isZero();
        assertThat(Pads.outputSize(8, 3, 1, 1, 1, 1, false)).isEqualTo(8);
    }

    @Test
    void dropoutInTrainingModeIsRefusedNotRunAsIdentity() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor on = Tensor.vector(arena, 1);
            Tensor off = Tensor.vector(arena, 0);
            assertThatThrownBy(() -> OpRegistry.create("Dropout", "drop1", new Attributes("drop1"), 13, i -> i == 2 ? on : null))
                    .isInstanceOf(ModelException.class).hasMessageContaining("drop1").hasMessageContaining("training_mode");
            assertThat(OpRegistry.create("Dropout", "drop1", new Attributes("drop1"), 13, i -> i == 2 ? off : null).type())
                    .isEqualTo("Identity");
        }
    }
}
