package io.coedge.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Map;

/**
 * OpenBLAS sgemm, bound through Panama FFM. The library comes from the JavaCPP preset jars
 * ({@code org.bytedeco:openblas}), which extract it to their cache on load; the calls themselves go
 * straight to {@code cblas_sgemm} with off-heap {@link MemorySegment} arguments (no copies, no JNI
 * wrappers per call).
 *
 * <p>Threads: OpenBLAS is set to one thread at load. CoEdge's kernels split their work over their
 * own {@link KernelSettings#threads()} workers, each calling sgemm on its part, so OpenBLAS threads and
 * CoEdge threads never oversubscribe the cores (OpenBLAS's own pool spins, which collapses on a
 * loaded machine). {@link #setThreads(int)} exists for benchmarks of raw sgemm.
 */
public final class OpenBlas {
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;

    private static final MethodHandle SGEMM;
    private static final MethodHandle SGEMM_AT;
    private static final MethodHandle SGEMV_AT;
    private static final MethodHandle SET_THREADS;
    private static final MethodHandle GET_THREADS;
    private static final MethodHandle GET_CONFIG;
    private static final String PROBLEM;
    private static final Path LIBRARY;

    static {
        MethodHandle sgemmAt = null;
        MethodHandle sgemvAt = null;
        MethodHandle sgemm = null, setThreads = null, getThreads = null, config = null;
        String problem = null;
        Path lib = null;
        try {
            lib = extract();
            Linker linker = Linker.nativeLinker();
            SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
            ValueLayout.OfInt I = ValueLayout.JAVA_INT;
            ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
            ValueLayout P = ValueLayout.ADDRESS;
            sgemm = linker.downcallHandle(Symbols.find(lookup, "cblas_sgemm"),
                    FunctionDescriptor.ofVoid(I, I, I, I, I, I, F, P, I, P, I, F, P, I), Linker.Option.critical(false));
            // Same function with the pointers passed as plain 64-bit integers: on the x86-64 and AArch64
            // C ABIs a pointer argument travels exactly like a long, and raw addresses let the hot
            // path call sgemm at an offset without creating a slice object per call.
            ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
            sgemmAt = linker.downcallHandle(Symbols.find(lookup, "cblas_sgemm"),
                    FunctionDescriptor.ofVoid(I, I, I, I, I, I, F, L, I, L, I, F, L, I), Linker.Option.critical(false));
            sgemvAt = linker.downcallHandle(Symbols.find(lookup, "cblas_sgemv"),
                    FunctionDescriptor.ofVoid(I, I, I, I, F, L, I, L, I, F, L, I), Linker.Option.critical(false));
            setThreads = linker.downcallHandle(Symbols.find(lookup, "openblas_set_num_threads"), FunctionDescriptor.ofVoid(I));
            getThreads = linker.downcallHandle(Symbols.find(lookup, "openblas_get_num_threads"), FunctionDescriptor.of(I));
            config = linker.downcallHandle(Symbols.find(lookup, "openblas_get_config"), FunctionDescriptor.of(P));
            // One OpenBLAS thread: CoEdge splits the work itself (WorkerPool), so the two never compete.
            setThreads.invokeExact(1);
        } catch (Throwable t) {
            sgemm = null;
            problem = "OpenBLAS could not be loaded: " + t;
        }
        SGEMM = sgemm;
        SGEMM_AT = sgemmAt;
        SGEMV_AT = sgemvAt;
        SET_THREADS = setThreads;
        GET_THREADS = getThreads;
        GET_CONFIG = config;
        PROBLEM = problem;
        LIBRARY = lib;
    }

    private OpenBlas() {
    }

    /** Lets JavaCPP extract and load the OpenBLAS of this platform; returns the path of libopenblas. */
    private static Path extract() throws Throwable {
        applyCoreType(System.getProperty(KernelSettings.OPENBLAS_CORETYPE_PROPERTY, "").trim());
        Class<?> preset = Class.forName("org.bytedeco.openblas.global.openblas_nolapack");
        org.bytedeco.javacpp.Loader.load(preset);
        for (Map.Entry<String, String> e : org.bytedeco.javacpp.Loader.getLoadedLibraries().entrySet()) {
            if (e.getKey().startsWith("openblas") && e.getValue() != null) {
                return Path.of(e.getValue());
            }
        }
        throw new IllegalStateException("JavaCPP loaded the OpenBLAS preset but reported no libopenblas path");
    }

    /**
     * OpenBLAS reads {@code OPENBLAS_CORETYPE} with the C library's getenv when it initialises, so the
     * process environment is edited (through libc, not Java's cached copy) before the library loads.
     */
    private static void applyCoreType(String coreType) throws Throwable {
        if (coreType.isEmpty()) {
            return;
        }
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom("OPENBLAS_CORETYPE");
            if (coreType.equalsIgnoreCase("auto")) {
                MethodHandle unsetenv = linker.downcallHandle(Symbols.find(libc, "unsetenv"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
                int rc = (int) unsetenv.invokeExact(name);
                if (rc != 0) {
                    throw new IllegalStateException("unsetenv(OPENBLAS_CORETYPE) failed");
                }
            } else {
                MethodHandle setenv = linker.downcallHandle(Symbols.find(libc, "setenv"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
                int rc = (int) setenv.invokeExact(name, arena.allocateFrom(coreType), 1);
                if (rc != 0) {
                    throw new IllegalStateException("setenv(OPENBLAS_CORETYPE=" + coreType + ") failed");
                }
            }
        }
    }

    public static boolean available() {
        return SGEMM != null;
    }

    /** Why OpenBLAS is unavailable, or null. */
    public static String problem() {
        return PROBLEM;
    }

    public static Path library() {
        return LIBRARY;
    }

    /** OpenBLAS build configuration string (version, core, threading), or a note why it is absent. */
    public static String config() {
        if (!available()) {
            return PROBLEM;
        }
        try {
            return ((MemorySegment) GET_CONFIG.invokeExact()).reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int threads() {
        requireAvailable();
        try {
            return (int) GET_THREADS.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sets the size of OpenBLAS's thread pool (process-wide). */
    public static void setThreads(int n) {
        requireAvailable();
        if (n < 1) {
            throw new IllegalArgumentException("OpenBLAS threads must be at least 1, got " + n);
        }
        try {
            SET_THREADS.invokeExact(n);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Row-major {@code C = alpha * op(A) * op(B) + beta * C} with {@code op(A)} of {@code [m, k]},
     * {@code op(B)} of {@code [k, n]}, {@code C} of {@code [m, n]}. Segments are native; leading
     * dimensions are in floats.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             MemorySegment a, int lda, MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        try {
            SGEMM.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha,
                    a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    /** {@code C = A * B + beta * C}, nothing transposed. */
    public static void sgemm(int m, int n, int k, MemorySegment a, int lda, MemorySegment b, int ldb, float beta,
                             MemorySegment c, int ldc) {
        sgemm(false, false, m, n, k, 1f, a, lda, b, ldb, beta, c, ldc);
    }

    /**
     * {@code C = A * B + beta * C} (row-major, nothing transposed) on raw addresses. The caller has
     * checked the bounds: nothing here can.
     */
    static void sgemmAt(int m, int n, int k, long a, int lda, long b, int ldb, float beta, long c, int ldc) {
        sgemmAt(false, false, m, n, k, 1f, a, lda, b, ldb, beta, c, ldc);
    }

    /** Row-major sgemm with transposes and alpha on raw addresses; bounds are the caller's job. */
    static void sgemmAt(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b,
                        int ldb, float beta, long c, int ldc) {
        try {
            SGEMM_AT.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha, a, lda,
                    b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    /**
     * Row-major {@code y = alpha * op(A) * x + beta * y}, {@code A} stored {@code [rows, cols]}, on raw
     * addresses. A fully connected layer with one input row is this, not an sgemm: OpenBLAS's sgemm
     * would pack (copy) the whole weight matrix on every call.
     */
    static void sgemvAt(boolean transA, int rows, int cols, float alpha, long a, int lda, long x, float beta, long y) {
        try {
            SGEMV_AT.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, rows, cols, alpha, a, lda, x, 1, beta, y, 1);
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    private static void requireAvailable() {
        if (!available()) {
            throw new IllegalStateException(PROBLEM);
        }
    }
}
