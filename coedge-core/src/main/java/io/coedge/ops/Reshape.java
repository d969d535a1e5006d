package io.coedge.ops;

import io.coedge.graph.Attributes;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.ModelException;
import io.coedge.graph.Op;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Tensor;
import java.util.Arrays;

/**
 * Reshape with a constant target shape (input 1): {@code 0} copies the input's dimension at that
 * position (unless {@code allowzero}, where it means a zero-sized dimension), {@code -1} is inferred
 * from the element count. Values keep their logical order.
 */
public record Reshape(boolean allowZero) implements Op {

    /** The op of an ONNX Reshape node; the target shape is its constant input 1. */
    public static Reshape fromAttributes(Attributes a) {
        return new Reshape(a.getInt("allowzero", 0) != 0);
    }

    @Override
    public String type() {
        return "Reshape";
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        int[] x = ctx.inputShape(0);
        Tensor shapeTensor = ctx.constant(1);
        if (shapeTensor == null) {
            throw ctx.error("the target shape must be a constant (or computable from constants at load time)");
        }
        long[] target = OpSupport.intValues(shapeTensor);
        return new int[][] {resolve(ctx, x, target)};
    }

    int[] resolve(ShapeContext ctx, int[] x, long[] target) {
        try {
            return targetShape(x, target, allowZero);
        } catch (ModelException e) {
            throw ctx.error(e.getMessage());
        }
    }

    /**
     * The output shape ONNX Reshape gives input shape {@code in} for {@code target}: {@code 0} copies
     * the input's dimension at that position (unless {@code allowZero}), {@code -1} is inferred from the
     * element count. Shared by shape inference and the importer's constant folding.
     *
     * @throws ModelException saying what is wrong with the target (callers add the node)
     */
    public static int[] targetShape(int[] in, long[] target, boolean allowZero) {
        int[] out = new int[target.length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < target.length; i++) {
            long t = target[i];
            if (t == -1) {
                if (infer >= 0) {
                    throw new ModelException("target shape " + Arrays.toString(target) + " has more than one -1");
                }
                infer = i;
                continue;
            }
            if (t == 0 && !allowZero) {
                if (i >= in.length) {
                    throw new ModelException("target shape " + Arrays.toString(target) + " copies dimension " + i
                            + " that the input " + Arrays.toString(in) + " does not have");
                }
                t = in[i];
            }
            if (t < 0 || t > Integer.MAX_VALUE) {
                throw new ModelException("target shape " + Arrays.toString(target) + " has an invalid dimension " + t);
            }
            out[i] = (int) t;
            try {
                known = Math.multiplyExact(known, t);
            } catch (ArithmeticException e) {
                // a product past 2^63 could otherwise wrap around to the element count and pass
                throw new ModelException("target shape " + Arrays.toString(target) + " is too large");
            }
        }
        long size = OpSupport.size(in);
        if (infer >= 0) {
            if (known == 0 || size % known != 0) {
                throw new ModelException("cannot infer -1 in " + Arrays.toString(target) + " for input "
                        + Arrays.toString(in) + ": cannot reshape " + size + " values");
            }
            out[infer] = (int) (size / known);
        } else if (known != size) {
            throw new ModelException("cannot reshape " + Arrays.toString(in) + " (" + size + " values) to "
                    + Arrays.toString(target));
        }
        return out;
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        return 0;
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        return (inputs, outputs) -> OpSupport.copyLogical(inputs[0], outputs[0]);
    }
}
