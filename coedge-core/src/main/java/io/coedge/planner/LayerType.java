package io.coedge.planner;

import java.util.Locale;

/**
 * The classes of layer a device profile gives a separate compute rate for. Kernels of different shape
 * reach very different fractions of a CPU's peak (a 1x1 conv is a GEMM, a depthwise conv and a fully
 * connected layer at batch 1 are memory-bound), so one FLOP/s figure per device would mislead the planner.
 */
public enum LayerType {
    CONV1X1("conv1x1"),
    CONV3X3("conv3x3"),
    CONV5X5("conv5x5"),
    CONV7X7("conv7x7"),
    /** Any other square or rectangular kernel (AlexNet's 11x11, 1x7 ...). */
    CONVKXK("convkxk"),
    DEPTHWISE("depthwise"),
    FC("fc"),
    POOL("pool"),
    /** Element-wise and everything else (activations, adds, concats, normalisation). */
    OTHER("other");

    private final String key;

    LayerType(String key) {
        this.key = key;
    }

    /** The name used in profile files ({@code rate.<key>}). */
    public String key() {
        return key;
    }

    /** Parses a profile key; throws IllegalArgumentException listing the known keys. */
    public static LayerType fromKey(String key) {
        String k = key.trim().toLowerCase(Locale.ROOT);
        for (LayerType t : values()) {
            if (t.key.equals(k)) {
                return t;
            }
        }
        StringBuilder known = new StringBuilder();
        for (LayerType t : values()) {
            known.append(known.isEmpty() ? "" : ", ").append(t.key);
        }
        throw new IllegalArgumentException("unknown layer type '" + key + "'; known: " + known);
    }

    /** The class of a convolution with this kernel and grouping. */
    public static LayerType ofConv(int kernelH, int kernelW, int group, int inChannels) {
        if (group > 1 && group == inChannels) {
            return DEPTHWISE;
        }
        if (kernelH != kernelW) {
            return CONVKXK;
        }
        return switch (kernelH) {
            case 1 -> CONV1X1;
            case 3 -> CONV3X3;
            case 5 -> CONV5X5;
            case 7 -> CONV7X7;
            default -> CONVKXK;
        };
    }

    /**
     * Where a profile without a rate for this type looks next: conv sizes fall back to the generic
     * kernel, the generic kernel to 3x3; memory-bound types to {@link #OTHER}.
     */
    LayerType fallback() {
        return switch (this) {
            case CONV5X5, CONV7X7 -> CONVKXK;
            case CONVKXK, CONV1X1 -> CONV3X3;
            case DEPTHWISE, FC, POOL -> OTHER;
            case CONV3X3, OTHER -> null;
        };
    }
}
