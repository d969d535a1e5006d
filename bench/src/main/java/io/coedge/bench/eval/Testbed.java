package io.coedge.bench.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of {@code scripts/testbed} the evaluation drives from Java: availability checks, {@code up},
 * {@code down}, and a CPU cgroup for the initiator (the coordinator process), which the script does not make.
 * The evaluation uses its own prefix ({@link #PREFIX}); {@link #busy()} tells whether an evaluation testbed is
 * already up (another evaluation running on this machine).
 */
final class Testbed {
    static final Path CGROUP_CPU = Path.of("/sys/fs/cgroup/cpu");
    /** The initiator's cgroup; outside the script's own folder so that {@code down} never trips over it. */
    static final Path INITIATOR_CGROUP = CGROUP_CPU.resolve("coedge-eval-initiator");
    /**
     * The Aeron media driver threads of every device process: outside the devices' quotas (see {@link ThreadPlacement}),
     * unthrottled, weighted like the devices.
     */
    static final Path NET_CGROUP = CGROUP_CPU.resolve("coedge-eval-net");
    /**
     * The JIT compiler threads of every device process: outside the devices' quotas, on the cores the quotas leave
     * free, and weighted below the devices so that compiling never takes CPU time a device's quota grants it.
     */
    static final Path JIT_CGROUP = CGROUP_CPU.resolve("coedge-eval-jit");
    /**
     * The testbed's name prefix ({@code COEDGE_TESTBED_PREFIX} of scripts/testbed): namespaces and cgroup of the
     * evaluation never meet a testbed someone else brought up with the default prefix.
     */
    static final String PREFIX = "coedgeeval";
    static final String HUB = PREFIX + "-hub";

    private final Path root;
    private final Map<String, String> env;

    Testbed(Path root, Map<String, String> env) {
        this.root = root;
        this.env = new java.util.LinkedHashMap<>(env);
        this.env.put("COEDGE_TESTBED_PREFIX", PREFIX);
    }

    /** The repository root: the first folder at or above the working directory holding scripts/testbed. */
    static Path findRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("scripts/testbed"))) {
            p = p.getParent();
        }
        return p;
    }

    /** Why the testbed cannot run here, or null when it can. */
    static String unavailableReason() {
        if (findRoot() == null) {
            return "scripts/testbed not found above " + Path.of("").toAbsolutePath();
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return "the testbed needs root (network namespaces, tc, cgroups); running as " + System.getProperty("user.name");
        }
        if (!Files.isRegularFile(CGROUP_CPU.resolve("cpu.cfs_quota_us"))) {
            return "the testbed needs the cgroup v1 cpu controller at " + CGROUP_CPU + " (cpu.cfs_quota_us is missing)";
        }
        if (!(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))
                || Files.isExecutable(Path.of("/usr/bin/ip")))) {
            return "the testbed needs iproute2 ('ip' and 'tc')";
        }
        if (!Files.isDirectory(Path.of("/var/run/netns")) && !Files.isDirectory(Path.of("/run"))) {
            return "no /run for network namespaces";
        }
        try {
            Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "'ip netns list' failed: network namespaces are not available";
            }
        } catch (IOException | InterruptedException e) {
            return "'ip netns list' failed: " + e.getMessage();
        }
        return null;
    }

    /** True when a testbed (ours or someone else's) is up on this machine. */
    static boolean busy() {
        try {
            Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return out.lines().anyMatch(l -> l.startsWith(HUB + " ") || l.equals(HUB));
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Waits up to {@code seconds} for another testbed to go down; true when free. */
    static boolean awaitFree(int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (busy()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(2000);
        }
        return true;
    }

    void up(List<Double> cpus, List<Double> mbits) throws IOException, InterruptedException {
        run(300, "up", String.valueOf(cpus.size()), "--cpu", join(cpus), "--mbit", join(mbits));
    }

    void down() {
        try {
            run(120, "down");
        } catch (IOException | InterruptedException | RuntimeException e) {
            System.err.println("evaluation: 'scripts/testbed down' failed: " + e.getMessage());
        }
    }

    /**
     * Re-times the workers' quotas to a {@code periodUs} CFS period (same share of a core) and weights their
     * cgroups with {@code shares}. With the default 100 ms period a device with a 0.3-core quota computes at a
     * full core's speed for 30 ms and then stops for 70 ms, so a layer shorter than that runs at the wrong speed;
     * a 5 ms period makes the quota hold at the time scale of one layer. The weight makes the quota, not the
     * machine's other load, the limit (the quotas still cap the total).
     */
    static void configureWorkers(List<Double> cpus, long periodUs, int shares) throws IOException {
        for (int i = 1; i <= cpus.size(); i++) {
            Path cg = workerCgroup(i);
            if (Files.readString(cg.resolve("cgroup.procs")).isBlank()) {
                throw new IllegalStateException("worker w" + i + " is not inside its CPU cgroup " + cg
                        + " (see its log in the testbed state folder): its quota would not apply");
            }
            configure(cg, cpus.get(i - 1), periodUs, shares);
        }
    }

    /** Makes the initiator's cgroup with {@code cores} of CPU quota, like the workers'. */
    static void makeInitiatorCgroup(double cores, long periodUs, int shares) throws IOException {
        Files.createDirectories(INITIATOR_CGROUP);
        configure(INITIATOR_CGROUP, cores, periodUs, shares);
    }

    /**
     * Makes the cgroups for the device processes' helper threads ({@link ThreadPlacement}): {@link #NET_CGROUP}
     * without a quota, {@link #JIT_CGROUP} with the cores the device quotas leave free on this machine (at least
     * 0.1 core) and the default weight.
     */
    static void makeHelperCgroups(double deviceCores, long periodUs, int shares) throws IOException {
        Files.createDirectories(NET_CGROUP);
        Files.writeString(NET_CGROUP.resolve("cpu.cfs_quota_us"), "-1");
        Files.writeString(NET_CGROUP.resolve("cpu.shares"), String.valueOf(shares));
        Files.createDirectories(JIT_CGROUP);
        double free = Math.max(0.1, Runtime.getRuntime().availableProcessors() - deviceCores);
        configure(JIT_CGROUP, free, periodUs, 1024);
    }

    /**
     * The token bucket depth of each worker's link, in bytes, as {@code tc} reports the hub side's tbf (the one a
     * scatter to the worker crosses; scripts/testbed shapes both ends alike). 0 for a link without tbf.
     */
    static List<Double> linkBursts(int workers) throws IOException, InterruptedException {
        List<Double> out = new ArrayList<>();
        for (int i = 1; i <= workers; i++) {
            Process p = new ProcessBuilder("tc", "-n", HUB, "-j", "qdisc", "show", "dev", "cew" + i).redirectErrorStream(true)
                    .start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("'tc -n " + HUB + " qdisc show dev cew" + i + "' failed: " + text.strip());
            }
            out.add(tbfBurst(text));
        }
        return out;
    }

    /** The {@code burst} of the tbf in {@code tc -j qdisc show} output; 0 when there is no tbf. */
    static double tbfBurst(String json) {
        Matcher m = TBF_BURST.matcher(json);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static final Pattern TBF_BURST =
            Pattern.compile("\"kind\":\"tbf\".*?\"burst\":(\\d+)");

    /** Path of a worker's device cgroup made by scripts/testbed. */
    static Path workerCgroup(int i) {
        return CGROUP_CPU.resolve(PREFIX + "-testbed/w" + i);
    }

    /**
     * The CFS period of a device with {@code cores} of quota: {@code periodUs}, lengthened where needed so that
     * the quota is at least the kernel's 1 ms minimum (a 0.2-core device needs 5 ms).
     */
    static long periodFor(double cores, long periodUs) {
        if (!(cores > 0)) {
            throw new IllegalArgumentException("a CPU quota must be positive, got " + cores);
        }
        // the small slack keeps 1000 / 0.2 at 5000 whatever the last bit of 0.2
        return Math.max(periodUs, (long) Math.ceil(MIN_QUOTA_US / Math.min(1, cores) - 1e-6));
    }

    /** The kernel's smallest CFS quota. */
    static final long MIN_QUOTA_US = 1000;

    private static void configure(Path cg, double cores, long periodUs, int shares) throws IOException {
        long period = periodFor(cores, periodUs);
        // lower the quota first: the kernel refuses a period change that would exceed the parent's bandwidth
        Files.writeString(cg.resolve("cpu.cfs_quota_us"), "-1");
        Files.writeString(cg.resolve("cpu.cfs_period_us"), String.valueOf(period));
        Files.writeString(cg.resolve("cpu.cfs_quota_us"), String.valueOf(Math.max(MIN_QUOTA_US, Math.round(cores * period))));
        Files.writeString(cg.resolve("cpu.shares"), String.valueOf(shares));
    }

    /** Removes the initiator's and the helper threads' cgroups (their processes must have ended). */
    static void removeInitiatorCgroup() {
        for (Path cg : List.of(INITIATOR_CGROUP, NET_CGROUP, JIT_CGROUP)) {
            try {
                if (Files.isDirectory(cg)) {
                    Files.delete(cg); // rmdir; cgroupfs refuses while a thread is inside
                }
            } catch (IOException e) {
                System.err.println("evaluation: could not remove " + cg + ": " + e.getMessage());
            }
        }
    }

    private void run(int timeoutSeconds, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(root.resolve("scripts/testbed").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("scripts/testbed " + String.join(" ", args) + " did not finish in " + timeoutSeconds + " s");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("scripts/testbed " + args[0] + " failed with exit code " + p.exitValue());
        }
    }

    private static String join(List<Double> v) {
        StringBuilder sb = new StringBuilder();
        for (double d : v) {
            sb.append(sb.isEmpty() ? "" : ",").append(d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d));
        }
        return sb.toString();
    }
}
