package io.coedge.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The CoEdge C kernel library ({@code coedge_kernels.h}), bound through Panama FFM. The library is
 * packaged in the jar under {@code io/coedge/kernels/native/<platform>/libcoedge.so}, extracted to a
 * temporary file on first use, opened with {@link SymbolLookup#libraryLookup(Path, Arena)}, and the file deleted
 * once open (nothing is left in the temporary directory, however the JVM ends).
 *
 * <p>Every kernel exists once per instruction set ({@code coedge_f32_maxpool_rows__avx2}); the
 * variant is chosen once, here, from the ISAs the library reports for this CPU (best first: AVX-512,
 * AVX2, NEON, scalar), unless {@value KernelSettings#ISA_PROPERTY} forces one.
 */
public final class NativeLibrary {
    /** Instruction sets a kernel variant may be written for; bits as in {@code coedge_kernels.h}. */
    public enum Isa {
        SCALAR(1), AVX2(2), AVX512(4), NEON(8);

        final int bit;

        Isa(int bit) {
            this.bit = bit;
        }

        public String suffix() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** ABI version this binding was written for ({@code COEDGE_ABI_VERSION}). */
    static final int ABI_VERSION = 4;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final ValueLayout P = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;

    private static final SymbolLookup LOOKUP;
    private static final Path PATH;
    private static final String PROBLEM;
    private static final Set<Isa> SUPPORTED;
    private static final Kernels BEST;

    static {
        SymbolLookup lookup = null;
        Path path = null;
        String problem = null;
        Set<Isa> supported = EnumSet.noneOf(Isa.class);
        Kernels best = null;
        try {
            String override = System.getProperty(KernelSettings.LIBRARY_PROPERTY, "");
            path = locate(override);
            try {
                lookup = SymbolLookup.libraryLookup(path, Arena.global());
            } finally {
                if (override.isBlank()) {
                    removeExtracted(path);
                }
            }
            int abi = (int) LINKER.downcallHandle(Symbols.find(lookup, "coedge_abi_version"), FunctionDescriptor.of(I))
                    .invokeExact();
            if (abi != ABI_VERSION) {
                throw new IllegalStateException("library " + path + " has ABI " + abi + ", this jar expects " + ABI_VERSION);
            }
            int bits = (int) LINKER.downcallHandle(Symbols.find(lookup, "coedge_cpu_isas"), FunctionDescriptor.of(I))
                    .invokeExact();
            for (Isa isa : Isa.values()) {
                if ((bits & isa.bit) != 0) {
                    supported.add(isa);
                }
            }
            String forced = System.getProperty(KernelSettings.ISA_PROPERTY, "");
            Isa chosen;
            if (!forced.isBlank()) {
                chosen = Isa.valueOf(forced.trim().toUpperCase(Locale.ROOT));
                if (!supported.contains(chosen)) {
                    throw new IllegalStateException(KernelSettings.ISA_PROPERTY + "=" + forced
                            + " but this CPU/library supports only " + supported);
                }
            } else {
                chosen = supported.contains(Isa.AVX512) ? Isa.AVX512 : supported.contains(Isa.AVX2) ? Isa.AVX2
                        : supported.contains(Isa.NEON) ? Isa.NEON : Isa.SCALAR;
            }
            best = new Kernels(lookup, chosen);
        } catch (Throwable t) {
            problem = t instanceof IllegalArgumentException || t instanceof IllegalStateException || t instanceof IOException
                    ? t.getMessage() : t.toString();
            lookup = null;
        }
        LOOKUP = lookup;
        PATH = path;
        PROBLEM = problem;
        SUPPORTED = supported;
        BEST = best;
    }


    private NativeLibrary() {
    }

    /** {@code linux-x86_64} or {@code linux-aarch64} (the folder inside the jar), from the running JVM. */
    public static String platform() {
        String arch = System.getProperty("os.arch");
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String a = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        return (os.contains("linux") ? "linux" : os.replace(' ', '_')) + "-" + a;
    }

    /** {@code override}'s file, or a copy of the jar's library extracted to a temporary file when it is blank. */
    private static Path locate(String override) throws IOException {
        if (!override.isBlank()) {
            Path p = Path.of(override);
            if (!Files.isRegularFile(p)) {
                throw new IOException(KernelSettings.LIBRARY_PROPERTY + " points to " + p + ", which is not a file");
            }
            return p;
        }
        String resource = "native/" + platform() + "/libcoedge.so";
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no C kernel library for " + platform() + " in this build (cmake or a C compiler"
                        + " was missing when it was built); the Java kernels run instead");
            }
            Path tmp = Files.createTempFile("libcoedge-", ".so");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            return tmp;
        }
    }

    /**
     * Deletes the copy extracted from the jar as soon as it is open. The mapping outlives the name (Linux and the
     * other Unixes free the file when the last mapping goes), and a file left for {@code deleteOnExit} stays behind
     * whenever the JVM does not exit normally: a worker killed with SIGKILL or by the OOM killer left one
     * 220 KB copy per start in the temporary directory, often a RAM-backed tmpfs on a board.
     */
    private static void removeExtracted(Path extracted) {
        try {
            Files.deleteIfExists(extracted);
        } catch (IOException e) {
            extracted.toFile().deleteOnExit(); // a file system that refuses: at least a normal exit removes it
        }
    }

    public static boolean available() {
        return BEST != null;
    }

    /** Why the library is not available, or null. */
    public static String problem() {
        return PROBLEM;
    }

    /**
     * Where the library was opened from: {@value KernelSettings#LIBRARY_PROPERTY}'s file, or the copy extracted from
     * the jar, which no longer exists by the time this is read (see the class comment).
     */
    public static Path path() {
        return PATH;
    }

    /** ISAs compiled into the library that this CPU runs. */
    public static Set<Isa> supportedIsas() {
        return SUPPORTED.isEmpty() ? EnumSet.noneOf(Isa.class) : EnumSet.copyOf(SUPPORTED);
    }

    /** The variant chosen at load. */
    public static Kernels kernels() {
        if (BEST == null) {
            throw new IllegalStateException(PROBLEM);
        }
        return BEST;
    }

    /** A specific variant (for tests and benchmarks), or null when this library or CPU lacks it. */
    public static Kernels kernels(Isa isa) {
        if (LOOKUP == null || !SUPPORTED.contains(isa)) {
            return null;
        }
        return isa == BEST.isa ? BEST : new Kernels(LOOKUP, isa);
    }

    /** All variants this machine runs. */
    public static List<Kernels> allKernels() {
        List<Kernels> all = new ArrayList<>();
        for (Isa isa : Isa.values()) {
            Kernels k = kernels(isa);
            if (k != null) {
                all.add(k);
            }
        }
        return all;
    }

    /** A {@code coedge_window} struct (sixteen int32) in {@code arena}. */
    static MemorySegment window(Arena arena, int inC, int inH, int inW, int outC, int outH, int outW, int kh, int kw,
                                int sh, int sw, int dh, int dw, int padTop, int padLeft, int padBottom, int padRight) {
        int[] v = {inC, inH, inW, outC, outH, outW, kh, kw, sh, sw, dh, dw, padTop, padLeft, padBottom, padRight};
        MemorySegment s = arena.allocate(4L * v.length, 8);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_INT, 0, v.length);
        return s;
    }

    static MemorySegment window(Arena arena, ConvGeometry g) {
        return window(arena, g.inC(), g.inH(), g.inW(), g.outC(), g.outH(), g.outW(), g.kh(), g.kw(), g.sh(), g.sw(),
                g.dh(), g.dw(), g.padTop(), g.padLeft(), 0, 0);
    }

    /** One ISA's set of row kernels. Arguments are checked by the Java callers; the C code trusts them. */
    public static final class Kernels {
        private final Isa isa;
        private final MethodHandle dwconv;
        private final MethodHandle maxpool;
        private final MethodHandle avgpool;
        private final MethodHandle im2col;
        private final MethodHandle relu;
        private final MethodHandle add;
        private final MethodHandle gap;
        private final MethodHandle biasAct;
        private final MethodHandle copyRows;
        /** Null where the library has no packed GEMM for this ISA (OpenBLAS serves it there). */
        private final MethodHandle gemmPacked;
        /** Null where the library has no row GEMV for this ISA. */
        private final MethodHandle gemvRows;
        /** Null where the library has no direct convolution for this ISA. */
        private final MethodHandle convPacked;
        private final MethodHandle convScratchBytes;

        Kernels(SymbolLookup lookup, Isa isa) {
            this.isa = isa;
            Linker.Option critical = Linker.Option.critical(false);
            this.dwconv = LINKER.downcallHandle(Symbols.find(lookup, "coedge_f32_dwconv_rows__" + isa.suffix()),
                    FunctionDescriptor.ofVoid(P, P, I, P, P, P, I, I, I), critical);
            this.maxpool = LINKER.downcallHandle(Symbols.find(lookup, "coedge_f32_maxpool_rows__" + isa.suffix()),
                    FunctionDescriptor.ofVoid(P, P, I, P, I, I, I), critical);
            this.avgpool = LINKER.downcallHandle(Symbols.find(lookup, "coedge_f32_avgpool_rows__" + isa.suffix()),
                    FunctionDescriptor.ofVoid(P, P, I, P, I, I, I, I), critical);
            this.im2col = LINKER.downcallHandle(Symbols.find(lookup, "coedge_f32_im2col_rows__scalar"),
                    FunctionDescriptor.ofVoid(P, P, I, I, I, I, I, P), critical);
            // Element-wise kernels work on sub-ranges of bands: raw addresses (pointers travel as
            // 64-bit integers in the C ABIs CoEdge targets) avoid a slice object per call; the Java
            // callers check the bounds.
            ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
            this.relu = LINKER.downcallHandle(Symbols.find(lookup, "coedge_f32_relu__" + isa.suffix()),
                    FunctionDescriptor.ofVoid(L, L, L), critical);
            this.add = LINKER.downcallHandle(Symbols.find(lookup, "coedge_f32_add__" + isa.suffix()),
                    FunctionDescriptor.ofVoid(L, L, L, L, I), critical);
            this.gap = LINKER.downcallHandle(Symbols.find(lookup, "coedge_f32_gap__" + isa.suffix()),
                    FunctionDescriptor.ofVoid(L, L, I, I), critical);
            this.biasAct = LINKER.downcallHandle(Symbols.find(lookup, "coedge_f32_bias_act__" + isa.suffix()),
                    FunctionDescriptor.ofVoid(L, L, I, I, L, I), critical);
            this.copyRows = LINKER.downcallHandle(Symbols.find(lookup, "coedge_f32_copy_rows__scalar"),
                    FunctionDescriptor.ofVoid(L, I, L, I, L, I), critical);
            this.gemmPacked = lookup.find("coedge_f32_gemm_packed__" + isa.suffix())
                    .map(s -> LINKER.downcallHandle(s, FunctionDescriptor.ofVoid(I, I, L, I, L, I, I, I, L, I, L, L, I, I), critical))
                    .orElse(null);
            this.convPacked = lookup.find("coedge_f32_conv_packed__" + isa.suffix())
                    .map(s -> LINKER.downcallHandle(s, FunctionDescriptor.ofVoid(P, L, I, L, L, L, I, L, I, I, I, I, I, I, L),
                            critical))
                    .orElse(null);
            this.convScratchBytes = LINKER.downcallHandle(Symbols.find(lookup, "coedge_f32_conv_scratch_bytes"),
                    FunctionDescriptor.of(L, P), critical);
            this.gemvRows = lookup.find("coedge_f32_gemv_rows__" + isa.suffix())
                    .map(s -> LINKER.downcallHandle(s, FunctionDescriptor.ofVoid(L, I, L, I, L, I, ValueLayout.JAVA_FLOAT), critical))
                    .orElse(null);
        }

        /** Whether {@link #convPacked} exists for this ISA. */
        boolean hasConvPacked() {
            return convPacked != null;
        }

        /** Bytes of scratch {@link #convPacked} needs for the conv of {@code window}. */
        long convScratchBytes(MemorySegment window) {
            try {
                return (long) convScratchBytes.invokeExact(window);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /**
         * {@code coedge_f32_conv_packed}: output rows {@code [r0, r1)}, columns {@code [j0, j1)} of an
         * ungrouped convolution straight from the NHWC band at {@code x} (rows from {@code xRow0}), weights
         * packed as {@link PackedWeights} lays out the {@code [kH * kW * C, M]} matrix; {@code y} holds rows
         * from {@code yRow0}, {@code res} (0 for none) rows from {@code resRow0}. Addresses are raw;
         * {@code bias} 0 for none; {@code scratch} at least {@link #convScratchBytes} bytes, 64-byte aligned.
         */
        void convPacked(MemorySegment window, long x, int xRow0, long bp, long bias, long y, int yRow0, long res,
                        int resRow0, boolean relu, int r0, int r1, int j0, int j1, long scratch) {
            try {
                convPacked.invokeExact(window, x, xRow0, bp, bias, y, yRow0, res, resRow0, relu ? 1 : 0, r0, r1, j0, j1,
                        scratch);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** Whether {@link #gemvRows} exists for this ISA. */
        boolean hasGemvRows() {
            return gemvRows != null;
        }

        /**
         * {@code coedge_f32_gemv_rows}: {@code y[j] += alpha * w[j] . x} for {@code j < rows}, {@code w}
         * row-major with row stride {@code ldw} floats; raw addresses.
         */
        void gemvRows(long w, int ldw, long x, int k, long y, int rows, float alpha) {
            try {
                gemvRows.invokeExact(w, ldw, x, k, y, rows, alpha);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** {@code dst[r * ldd + j] = src[r * lds + j]} for {@code r < rows, j < n}; raw addresses, lengths in floats. */
        void copyRows(long dst, int ldd, long src, int lds, long rows, int n) {
            try {
                copyRows.invokeExact(dst, ldd, src, lds, rows, n);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** Whether {@link #gemmPacked} exists for this ISA. */
        boolean hasPackedGemm() {
            return gemmPacked != null;
        }

        /**
         * {@code coedge_f32_gemm_packed}: {@code C[i][j] = act(A[i] . B[:, j] + bias[j])} for {@code i < m},
         * {@code j} in {@code [j0, j1)}, B packed as {@link PackedWeights} lays it out, plus
         * {@code res[i * ldr + j]} before the clamp when {@code res} is not 0. Addresses are raw;
         * {@code bias} 0 for none.
         */
        void gemmPacked(int m, int k, long a, int lda, long bp, int n, int j0, int j1, long c, int ldc, long bias,
                        long res, int ldr, boolean relu) {
            try {
                gemmPacked.invokeExact(m, k, a, lda, bp, n, j0, j1, c, ldc, bias, res, ldr, relu ? 1 : 0);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /**
         * Adds {@code bias} (an address, or 0 for none) to every row of the {@code [rows, n]} block at
         * {@code y} (row stride {@code ldy} floats), then applies ReLU when asked.
         */
        void biasAct(long y, long rows, int n, int ldy, long bias, boolean relu) {
            try {
                biasAct.invokeExact(y, rows, n, ldy, bias, relu ? 1 : 0);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        void relu(long x, long y, long n) {
            try {
                relu.invokeExact(x, y, n);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        void add(long a, long b, long y, long n, boolean thenRelu) {
            try {
                add.invokeExact(a, b, y, n, thenRelu ? 1 : 0);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        void globalAveragePool(long x, long y, int pixels, int channels) {
            try {
                gap.invokeExact(x, y, pixels, channels);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        public Isa isa() {
            return isa;
        }

        void dwconv(MemorySegment window, MemorySegment x, int xRow0, MemorySegment w, MemorySegment bias,
                    MemorySegment y, int yRow0, int r0, int r1) {
            try {
                dwconv.invokeExact(window, x, xRow0, w, bias, y, yRow0, r0, r1);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        void maxpool(MemorySegment window, MemorySegment x, int xRow0, MemorySegment y, int yRow0, int r0, int r1) {
            try {
                maxpool.invokeExact(window, x, xRow0, y, yRow0, r0, r1);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        void avgpool(MemorySegment window, MemorySegment x, int xRow0, MemorySegment y, int yRow0, int r0, int r1,
                     boolean countIncludePad) {
            try {
                avgpool.invokeExact(window, x, xRow0, y, yRow0, r0, r1, countIncludePad ? 1 : 0);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        void im2col(MemorySegment window, MemorySegment x, int xRow0, int cpg, int group, int r0, int r1,
                    MemorySegment col) {
            try {
                im2col.invokeExact(window, x, xRow0, cpg, group, r0, r1, col);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        @Override
        public String toString() {
            return "coedge kernels (" + isa.suffix() + ")";
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        return t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }
}
