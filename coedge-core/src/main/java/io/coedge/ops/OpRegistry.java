package io.coedge.ops;

import io.coedge.graph.Attributes;
import io.coedge.graph.ModelException;
import io.coedge.graph.Op;
import io.coedge.tensor.Tensor;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;

/** Maps an ONNX operator type and its attributes to an {@link Op}. */
public final class OpRegistry {
    private OpRegistry() {
    }

    private static final Set<String> SUPPORTED = new TreeSet<>(List.of(
            "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
            "Relu", "Sigmoid", "HardSigmoid", "HardSwish", "Dropout", "Identity", "Clip",
            "BatchNormalization", "LRN", "Concat", "Flatten", "Reshape", "Gemm", "MatMul", "Softmax",
            "Add", "Sub", "Mul", "Div", "Resize"));

    /** The ONNX operator types this build can run. */
    public static Set<String> supported() {
        return java.util.Collections.unmodifiableSet(SUPPORTED);
    }

    /**
     * Creates the op for one ONNX node.
     *
     * @param nodeName       for error messages
     * @param opset          the model's default-domain opset (semantics of some ops change with it)
     * @param constantInputs value of input {@code i} when it is a constant, else null
     * @throws ModelException for an unsupported operator or bad attributes, naming the node
     */
    public static Op create(String type, String nodeName, Attributes attrs, int opset, IntFunction<Tensor> constantInputs) {
        return switch (type) {
            case "Conv" -> {
                Tensor w = constantInputs.apply(1);
                try {
                    yield Conv.fromAttributes(attrs, w == null ? null : w.shape());
                } catch (ModelException e) {
                    throw new ModelException("node '" + nodeName + "': " + e.getMessage());
                }
            }
            case "ConvTranspose" -> {
                Tensor w = constantInputs.apply(1);
                yield ConvTranspose.fromAttributes(nodeName, attrs, w == null ? null : w.shape());
            }
            case "MaxPool", "AveragePool" -> Pool.fromAttributes(type, nodeName, attrs);
            case "GlobalAveragePool", "GlobalMaxPool" -> new GlobalPool(type);
            case "Dropout" -> {
                // training_mode (input 2, opset 12+) drops at random: running it as identity would be silently wrong
                Tensor training = constantInputs.apply(2);
                if (training != null && training.size() > 0 && training.get(0) != 0f) {
                    throw new ModelException("node '" + nodeName + "': Dropout with training_mode=true is not supported;"
                            + " export the model in eval mode");
                }
                yield Unary.fromAttributes(type, attrs);
            }
            case "Relu", "Sigmoid", "HardSigmoid", "HardSwish", "Identity" -> Unary.fromAttributes(type, attrs);
            case "Clip" -> Clip.fromAttributes(nodeName, attrs, opset, constantInputs);
            case "BatchNormalization" -> BatchNorm.fromAttributes(nodeName, attrs);
            case "LRN" -> Lrn.fromAttributes(nodeName, attrs);
            case "Concat" -> Concat.fromAttributes(nodeName, attrs);
            case "Flatten" -> Flatten.fromAttributes(attrs);
            case "Reshape" -> Reshape.fromAttributes(attrs);
            case "Gemm" -> Gemm.fromAttributes(attrs);
            case "MatMul" -> new MatMul();
            case "Softmax" -> Softmax.fromAttributes(attrs, opset);
            case "Add", "Sub", "Mul", "Div" -> new Binary(type);
            case "Resize" -> Resize.fromAttributes(nodeName, attrs, opset, constantInputs);
            default -> throw new ModelException("node '" + nodeName + "': unsupported operator '" + type
                    + "'; supported: " + SUPPORTED);
        };
    }
}
