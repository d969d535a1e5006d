package io.coedge.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * CPU quotas for processes this one started, through the cgroup v1 cpu controller
 * ({@code cpu.cfs_quota_us}): what makes the demo's local workers differ like devices of different speeds.
 * Needs root and the controller mounted at {@code /sys/fs/cgroup/cpu}; {@link #available()} says whether
 * both hold. {@link #close()} removes the groups (after the processes ended).
 */
final class CpuCaps implements AutoCloseable {
    static final Path CPU_ROOT = Path.of("/sys/fs/cgroup/cpu");
    /**
     * A capped process runs at full speed until its quota is spent, then stops for the rest of the period; with
     * halos exchanged after every layer its neighbours stop with it, so a long period stalls everyone. Shorter
     * ones did not help here (the README's demo section has the figures).
     */
    static final long PERIOD_US = 10_000;
    /** The smallest quota the kernel accepts. */
    static final long MIN_QUOTA_US = 1_000;

    private final Path group;
    private final List<Path> children = new ArrayList<>();

    private CpuCaps(Path group) {
        this.group = group;
    }

    /** True when quotas can be set here (cgroup v1 cpu controller present and writable). */
    static boolean available() {
        return Files.isRegularFile(CPU_ROOT.resolve("cpu.cfs_quota_us")) && Files.isWritable(CPU_ROOT.resolve("cgroup.procs"));
    }

    /** A group of caps named after this process, so two runs never share one. */
    static CpuCaps create() throws IOException {
        Path g = CPU_ROOT.resolve("coedge-demo-" + ProcessHandle.current().pid());
        Files.createDirectories(g);
        return new CpuCaps(g);
    }

    /** Limits process {@code pid} (all its threads, and threads it makes later) to {@code cores} CPUs. */
    void cap(String name, long pid, double cores) throws IOException {
        Path c = group.resolve(name);
        Files.createDirectories(c);
        children.add(c);
        long period = periodUs(cores);
        Files.writeString(c.resolve("cpu.cfs_period_us"), Long.toString(period));
        Files.writeString(c.resolve("cpu.cfs_quota_us"), Long.toString(Math.round(cores * period)));
        Files.writeString(c.resolve("cgroup.procs"), Long.toString(pid));
    }

    /**
     * {@link #PERIOD_US}, or longer where the cap's quota would fall under the kernel's minimum (a cap under
     * 0.1 cores), which would otherwise be raised to it silently.
     */
    static long periodUs(double cores) {
        return Math.max(PERIOD_US, (long) Math.ceil(MIN_QUOTA_US / cores / 1000) * 1000);
    }

    static String format(double cores) {
        return String.format(Locale.ROOT, "%.2f core%s", cores, cores == 1 ? "" : "s");
    }

    /** Removes the groups; a group whose process still runs stays (the kernel refuses), which is harmless. */
    @Override
    public void close() {
        for (Path c : children) {
            try {
                Files.deleteIfExists(c);
            } catch (IOException ignored) {
                // still busy: left for the next cleanup
            }
        }
        try {
            Files.deleteIfExists(group);
        } catch (IOException ignored) {
            // still busy
        }
    }
}
