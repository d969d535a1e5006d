package io.coedge.kernels;

/**
 * Settings of the fast kernel providers, in one place. Each is a system property with a default.
 */
public final class KernelSettings {
    /**
     * {@value}: threads a device may use for one kernel (OpenBLAS threads included). Default: the
     * number of available processors. OpenBLAS is told this count once at load, so its threads and
     * the caller never oversubscribe the cores.
     */
    public static final String THREADS_PROPERTY = "coedge.threads";

    /**
     * {@value}: path of a CoEdge kernel library to load instead of the one packaged in the jar
     * (useful on a board with a locally built library). Default: the packaged one.
     */
    public static final String LIBRARY_PROPERTY = "coedge.native.library";

    /**
     * {@value}: force one instruction set of the CoEdge C kernels (scalar, avx2, avx512, neon).
     * Default: the best one the CPU supports.
     */
    public static final String ISA_PROPERTY = "coedge.native.isa";

    /**
     * {@value}: largest im2col scratch, in bytes, a convolution uses per call before it splits the
     * band into row tiles. Default 8 MiB where OpenBLAS multiplies (large enough for sgemm to run at
     * full rate), 512 KiB where the packed C GEMM does (the tile stays in the core's L2 between im2col
     * and GEMM; a tile still holds at least 256 output pixels, so the weights are streamed rarely).
     */
    public static final String IM2COL_BYTES_PROPERTY = "coedge.im2col.bytes";

    /**
     * {@value}: which OpenBLAS kernel family to use. Empty (default): OpenBLAS's own rule, i.e. the
     * environment variable {@code OPENBLAS_CORETYPE} if set, else its CPUID detection. {@code auto}:
     * ignore an inherited {@code OPENBLAS_CORETYPE} and detect from CPUID (some machines export
     * {@code OPENBLAS_CORETYPE=Haswell} globally, which halves sgemm speed on AVX-512 CPUs). Any other
     * value (Haswell, SkylakeX, Cooperlake, Zen, ARMV8, NeoverseN1, ...) forces that family. Applied
     * once, before OpenBLAS loads.
     */
    public static final String OPENBLAS_CORETYPE_PROPERTY = "coedge.openblas.coretype";

    /**
     * {@value}: which GEMM multiplies ungrouped convolutions in the native provider. {@code auto}
     * (default): CoEdge's packed C GEMM where the C library has a SIMD variant for this CPU (AVX-512),
     * else OpenBLAS. {@code openblas}: always OpenBLAS.
     */
    public static final String CONV_GEMM_PROPERTY = "coedge.conv.gemm";

    /**
     * {@value}: whether ungrouped convolutions with a window use the C direct convolution (no im2col
     * matrix) where the packed C GEMM serves them. Default true; false falls back to im2col + GEMM.
     */
    public static final String CONV_DIRECT_PROPERTY = "coedge.conv.direct";

    private KernelSettings() {
    }

    /** Threads for kernels, at least 1 and at most the available processors. */
    public static int threads() {
        int cores = Runtime.getRuntime().availableProcessors();
        int t = Integer.getInteger(THREADS_PROPERTY, cores);
        if (t < 1) {
            throw new IllegalArgumentException(THREADS_PROPERTY + " must be at least 1, got " + t);
        }
        return Math.min(t, cores);
    }

    public static long im2colBytes() {
        return Long.getLong(IM2COL_BYTES_PROPERTY, 8L << 20);
    }

    /** The im2col budget for convs multiplied by the packed C GEMM, whose patch is {@code patch} floats. */
    static long packedIm2colBytes(int patch) {
        Long set = Long.getLong(IM2COL_BYTES_PROPERTY);
        return set != null ? set : Math.max(512L << 10, 256L * patch * Float.BYTES);
    }

    /** {@value #CONV_DIRECT_PROPERTY}, default true. */
    public static boolean convDirect() {
        return Boolean.parseBoolean(System.getProperty(CONV_DIRECT_PROPERTY, "true").trim());
    }

    /** {@code auto} or {@code openblas}. */
    public static String convGemm() {
        String v = System.getProperty(CONV_GEMM_PROPERTY, "auto").trim().toLowerCase(java.util.Locale.ROOT);
        if (!v.equals("auto") && !v.equals("openblas")) {
            throw new IllegalArgumentException(CONV_GEMM_PROPERTY + " must be auto or openblas, got '" + v + "'");
        }
        return v;
    }
}
