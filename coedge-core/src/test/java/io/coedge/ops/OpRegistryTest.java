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
}
