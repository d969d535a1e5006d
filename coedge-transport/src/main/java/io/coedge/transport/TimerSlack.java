package io.coedge.transport;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * The calling thread's timer slack (Linux {@code prctl(PR_SET_TIMERSLACK)}): how much later than asked a park may
 * end, so that the kernel can end it together with other threads' timers, in one interrupt and one turn on the
 * core, instead of each on its own.
 *
 * <p>Why: the transport's idle threads (control loops, media driver threads, a waiting initiator) park for up to a
 * millisecond at a time, a few hundred to a thousand times a second each. On a board with a core per device every
 * wake-up takes the core, and its caches, from a compute thread; with slack, wake-ups that fall close together
 * become one. Measured on a two-core virtual machine (2026-11-28): four threads parking 1 ms at a time on the core of
 * a thread walking 1 MiB, with the default 50 µs slack, took that thread's core 960-980 times a second and 3.4 % of its
 * work; with 1 ms of slack 505 times and nothing measurable.
 *
 * <p>Elsewhere than Linux (or where the call fails) nothing changes.
 */
public final class TimerSlack {
    /** Linux's default slack of a normal thread. */
    public static final long DEFAULT_NS = 50_000;
    /** {@code false} leaves every thread at the kernel's default slack. */
    public static final String PROPERTY = "coedge.transport.timerSlack";
    /** Parks shorter than this keep the default slack: a halo due within a millisecond or two is not held up. */
    public static final long MIN_PARK_NS = 256_000;
    private static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim());
    private static final int PR_SET_TIMERSLACK = 29;
    private static final int PR_GET_TIMERSLACK = 30;
    private static final MethodHandle PRCTL = lookup();

    private TimerSlack() {
    }

    private static MethodHandle lookup() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("prctl").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
                    Linker.Option.firstVariadicArg(1))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null; // no native access: the slack stays the kernel's
        }
    }

    /** True when this platform lets a thread set its timer slack and {@value #PROPERTY} does not turn it off. */
    public static boolean available() {
        return PRCTL != null && ENABLED;
    }

    /**
     * The slack for a park of {@code parkNs}: for parks of {@link #MIN_PARK_NS} or more, half of it rounded down to a
     * power of two (a quarter to a half of it, so a park ends within 1.5 times its length, and a growing park changes
     * the slack rarely); the default below.
     */
    public static long forPark(long parkNs) {
        return parkNs < MIN_PARK_NS ? DEFAULT_NS : Long.highestOneBit(parkNs >> 1);
    }

    /** The calling thread's timer slack in nanoseconds, or -1 where there is none to read. */
    static long current() {
        if (PRCTL == null) {
            return -1;
        }
        try {
            return (int) PRCTL.invokeExact(PR_GET_TIMERSLACK, 0L);
        } catch (Throwable t) {
            return -1;
        }
    }

    /** What each thread was last given here, so that asking again for the same costs no system call. */
    private static final ThreadLocal<long[]> GIVEN = ThreadLocal.withInitial(() -> new long[] {DEFAULT_NS});

    /**
     * Gives the calling thread a timer slack of {@code ns} unless it has it already (as far as this class set it):
     * a system call only when the slack changes, whichever of the thread's idle strategies asks.
     */
    public static void use(long ns) {
        long[] given = GIVEN.get();
        if (given[0] != ns && set(ns)) {
            given[0] = ns;
        }
    }

    /**
     * Sets the calling thread's timer slack to {@code ns} (at least 1); false when it could not be set. One system
     * call each time: {@link #use} skips it when nothing changes.
     */
    private static boolean set(long ns) {
        if (!available()) {
            return false;
        }
        try {
            return (int) PRCTL.invokeExact(PR_SET_TIMERSLACK, Math.max(1, ns)) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
