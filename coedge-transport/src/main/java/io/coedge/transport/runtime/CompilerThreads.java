package io.coedge.transport.runtime;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Lowers the scheduling priority of this JVM's JIT compiler threads (Linux {@code setpriority} on each thread's
 * id), so that a compilation runs on a core nobody else wants instead of taking it from a device's compute
 * thread. A worker's JIT compilers never quite settle: code that runs a few dozen times per inference crosses the
 * compile thresholds one method after another for hundreds of inferences, and with one core per device every
 * such compilation delays the inference it lands in.
 *
 * <p>Only lowering is done, which needs no privilege. Elsewhere than on Linux (no {@code /proc/self/task}) it
 * does nothing.
 */
public final class CompilerThreads {
    /**
     * System property: the nice value (0..19) a worker gives its compiler threads, default {@value #DEFAULT_NICE};
     * 0 leaves them as the JVM made them.
     */
    public static final String NICE_PROP = "coedge.worker.compilerNice";
    /** The lowest priority Linux has short of {@code SCHED_IDLE}: the compilers run when a core is free. */
    public static final int DEFAULT_NICE = 19;

    private static final Path TASKS = Path.of("/proc/self/task");
    private static final int PRIO_PROCESS = 0;
    private static volatile MethodHandle setpriority;

    private CompilerThreads() {
    }

    /** The nice value {@link #NICE_PROP} asks for; IllegalArgumentException (with what to do) when it is not 0..19. */
    public static int configuredNice() {
        String v = System.getProperty(NICE_PROP);
        if (v == null || v.isBlank()) {
            return DEFAULT_NICE;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 0 && n <= 19) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new IllegalArgumentException("-D" + NICE_PROP + " must be a nice value from 0 to 19 (0: leave the JIT"
                + " compiler threads alone), got '" + v + "'");
    }

    /**
     * Gives every JIT compiler thread of this JVM (threads named {@code C1 CompilerThre..}/{@code C2 CompilerThre..})
     * the nice value {@code nice}, where it is lower now. Threads the JVM adds later are not covered: call again
     * (a worker does on every plan).
     *
     * @return the threads changed, or -1 where thread priorities cannot be set this way (not Linux)
     */
    public static int lower(int nice) {
        if (nice <= 0 || !Files.isDirectory(TASKS)) {
            return nice <= 0 ? 0 : -1;
        }
        MethodHandle set = handle();
        if (set == null) {
            return -1;
        }
        int changed = 0;
        for (Path task : tasks()) {
            String comm = read(task.resolve("comm"));
            if (comm == null || !(comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre"))) {
                continue;
            }
            int tid = Integer.parseInt(task.getFileName().toString());
            Integer now = niceOf(task);
            if (now != null && now >= nice) {
                continue;
            }
            try {
                if ((int) set.invokeExact(PRIO_PROCESS, tid, nice) == 0) {
                    changed++;
                }
            } catch (Throwable e) {
                return -1;
            }
        }
        return changed;
    }

    /** The nice value of thread {@code task} ({@code /proc/self/task/TID}), or null if it ended. */
    static Integer niceOf(Path task) {
        String stat = read(task.resolve("stat"));
        if (stat == null) {
            return null;
        }
        // fields after the command name, which may hold spaces: state is field 3, nice field 19
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[16]);
    }

    /** This process's threads, as {@code /proc/self/task/TID} paths. */
    static List<Path> tasks() {
        try (Stream<Path> s = Files.list(TASKS)) {
            return s.toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            return null;
        }
    }

    private static MethodHandle handle() {
        MethodHandle h = setpriority;
        if (h == null) {
            Linker linker = Linker.nativeLinker();
            h = linker.defaultLookup().find("setpriority").map(a -> linker.downcallHandle(a, FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT))).orElse(null);
            setpriority = h;
        }
        return h;
    }
}
