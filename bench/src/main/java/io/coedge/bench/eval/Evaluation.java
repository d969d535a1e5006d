package io.coedge.bench.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import io.coedge.transport.TransportConfiguration;

/**
 * The end-to-end evaluation of the planner on the local testbed (root only). Brings the testbed up with
 * heterogeneous workers (CPU quota and bandwidth cap each), puts this machine's coordinator (the initiator
 * device, which holds the input and runs the tail) into a CPU cgroup of its own inside the hub namespace, runs
 * {@link EvaluationRun} there, and always takes everything down again, on failure too.
 *
 * <pre>
 * java -cp CLASSPATH io.coedge.bench.eval.Evaluation [--smoke] [--models alexnet,vgg16,resnet18,googlenet]
 *      [--strategies coedge,local,equal,proportional,latency] [--initiator-cpu 0.5] [--cpu 0.5,0.3,0.2]
 *      [--mbit 200,100,50] [--presets rpi4b,jetson-nano,rpi4b,rpi3b+] [--warmups 1] [--runs 3] [--passes 3]
 *      [--calibration-runs 5] [--shares 65536] [--period-us 5000]
 *      [--deadline-fraction 0.3] [--order sequential|interleaved] [--helper-threads apart|in-quota]
 *      [--link-burst BYTES,...] [--out DIR]
 * </pre>
 * {@code scripts/evaluate} builds the class path and calls this. Results go to {@code DIR/evaluation.csv} and
 * {@code DIR/evaluation-tables.md}; progress to standard output.
 */
public final class Evaluation {
    private Evaluation() {
    }

    /** The settings shared by the launcher and {@link EvaluationRun}. */
    static final class Options {
        List<String> models = List.of("alexnet", "resnet18", "googlenet", "vgg16");
        List<String> strategies = List.of("coedge", "local", "equal", "proportional", "latency");
        double initiatorCpu = 0.5;
        List<Double> cpu = List.of(0.5, 0.3, 0.2);
        List<Double> mbit = List.of(200.0, 100.0, 50.0);
        /** Power presets: the initiator first, then one per worker. */
        List<String> presets = List.of("rpi4b", "jetson-nano", "rpi4b", "rpi3b+");
        int warmups = 1;
        int runs = 3;
        /** Passes over the strategies in sequential order, each timing every strategy {@code runs} times. */
        int passes = 3;
        int calibrationRuns = 5;
        int shares = 65536;
        long periodUs = 5_000;
        double deadlineFraction = 0.3;
        Path out = Path.of("target/evaluation");
        boolean smoke;
        /**
         * Time the strategies round by round in rotated order (true) or one after the other (false, the default:
         * the reference tables in docs/evaluation.md were measured so).
         */
        boolean interleave;
        /**
         * Leave the device processes' driver and compiler threads inside the device's quota (true), or move them to
         * cgroups of their own (false, the default; see {@link ThreadPlacement}).
         */
        boolean helpersInQuota;
        /**
         * Each worker link's token bucket depth in bytes, as the cost model's {@code LinkProfile#burstBytes}; read
         * from the testbed's tbf after it comes up unless given.
         */
        List<Double> bursts = List.of();

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--smoke")) {
                    o.smoke = true;
                    o.models = List.of("alexnet");
                    o.strategies = List.of("coedge");
                    o.cpu = List.of(0.5, 0.3);
                    o.mbit = List.of(200.0, 100.0);
                    o.presets = List.of("rpi4b", "jetson-nano", "rpi4b");
                    o.runs = 2;
                    o.passes = 1;
                    o.calibrationRuns = 1;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                String v = args[++i];
                switch (a) {
                    case "--models" -> o.models = List.of(v.split(","));
                    case "--strategies" -> o.strategies = List.of(v.split(","));
                    case "--initiator-cpu" -> o.initiatorCpu = Double.parseDouble(v);
                    case "--cpu" -> o.cpu = doubles(v);
                    case "--mbit" -> o.mbit = doubles(v);
                    case "--link-burst" -> o.bursts = doubles(v);
                    case "--presets" -> o.presets = List.of(v.split(","));
                    case "--warmups" -> o.warmups = Integer.parseInt(v);
                    case "--runs" -> o.runs = Integer.parseInt(v);
                    case "--passes" -> o.passes = Integer.parseInt(v);
                    case "--calibration-runs" -> o.calibrationRuns = Integer.parseInt(v);
                    case "--shares" -> o.shares = Integer.parseInt(v);
                    case "--period-us" -> o.periodUs = Long.parseLong(v);
                    case "--deadline-fraction" -> o.deadlineFraction = Double.parseDouble(v);
                    case "--out" -> o.out = Path.of(v);
                    case "--order" -> {
                        if (!v.equals("interleaved") && !v.equals("sequential")) {
                            throw new IllegalArgumentException("--order takes interleaved or sequential, got " + v);
                        }
                        o.interleave = v.equals("interleaved");
                    }
                    case "--helper-threads" -> {
                        if (!v.equals("apart") && !v.equals("in-quota")) {
                            throw new IllegalArgumentException("--helper-threads takes apart or in-quota, got " + v);
                        }
                        o.helpersInQuota = v.equals("in-quota");
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (o.cpu.size() != o.mbit.size()) {
                throw new IllegalArgumentException("--cpu and --mbit need one value per worker: " + o.cpu + " vs " + o.mbit);
            }
            if (!o.bursts.isEmpty() && o.bursts.size() != o.cpu.size()) {
                throw new IllegalArgumentException("--link-burst needs one value per worker: " + o.bursts);
            }
            if (o.presets.size() != o.cpu.size() + 1) {
                throw new IllegalArgumentException("--presets needs the initiator's preset and one per worker ("
                        + (o.cpu.size() + 1) + " names), got " + o.presets);
            }
            if (o.runs < 1 || o.passes < 1 || o.warmups < 0 || o.calibrationRuns < 1) {
                throw new IllegalArgumentException("--runs, --passes and --calibration-runs must be >= 1, --warmups >= 0");
            }
            return o;
        }

        private static List<Double> doubles(String v) {
            List<Double> out = new ArrayList<>();
            for (String s : v.split(",")) {
                out.add(Double.parseDouble(s.trim()));
            }
            return out;
        }

        /** The arguments that reproduce these options. */
        List<String> toArgs() {
            List<String> args = new ArrayList<>(List.of("--models", String.join(",", models),
                    "--strategies", String.join(",", strategies),
                    "--initiator-cpu", fmt(initiatorCpu), "--cpu", fmtList(cpu), "--mbit", fmtList(mbit),
                    "--presets", String.join(",", presets), "--warmups", String.valueOf(warmups), "--runs",
                    String.valueOf(runs), "--passes", String.valueOf(passes), "--calibration-runs",
                    String.valueOf(calibrationRuns), "--shares",
                    String.valueOf(shares), "--order", interleave ? "interleaved" : "sequential",
                    "--helper-threads", helpersInQuota ? "in-quota" : "apart", "--period-us", String.valueOf(periodUs), "--deadline-fraction", fmt(deadlineFraction), "--out",
                    out.toAbsolutePath().toString()));
            if (!bursts.isEmpty()) {
                args.addAll(List.of("--link-burst", fmtList(bursts)));
            }
            return args;
        }

        static String fmt(double d) {
            return d == Math.rint(d) ? String.valueOf((long) d) : String.format(Locale.ROOT, "%s", d);
        }

        static String fmtList(List<Double> v) {
            List<String> s = new ArrayList<>();
            v.forEach(d -> s.add(fmt(d)));
            return String.join(",", s);
        }
    }

    public static void main(String[] args) throws Exception {
        System.exit(launch(args));
    }

    /**
     * Runs the evaluation and returns the coordinator's exit code. Throws {@link IllegalStateException} when the
     * testbed cannot run here (see {@link Testbed#unavailableReason()}).
     */
    public static int launch(String[] args) throws IOException, InterruptedException {
        Options o = Options.parse(args);
        String why = Testbed.unavailableReason();
        if (why != null) {
            throw new IllegalStateException("evaluation skipped: " + why);
        }
        if (!Testbed.awaitFree(o.smoke ? 120 : 30)) {
            throw new IllegalStateException("another evaluation's testbed is up on this machine (namespace " + Testbed.HUB
                    + "); wait for it to finish or take it down with 'COEDGE_TESTBED_PREFIX=" + Testbed.PREFIX
                    + " scripts/testbed down'");
        }
        Path root = Testbed.findRoot();
        Files.createDirectories(o.out);
        Path work = Files.createTempDirectory("coedge-eval");
        Path state = work.resolve("state");
        Path base = Path.of("/dev/shm").toFile().isDirectory()
                ? Files.createTempDirectory(Path.of("/dev/shm"), "coedge-eval") : work.resolve("aeron");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        List<String> jvm = new ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED", "--add-opens",
                "java.base/sun.nio.ch=ALL-UNNAMED"));
        if (Runtime.version().feature() >= 23) {
            jvm.add("--sun-misc-unsafe-memory-access=allow");
        }
        // One compute thread per emulated device: every quota is at most one core.
        jvm.addAll(List.of("-XX:ActiveProcessorCount=1", "-Dcoedge.threads=1", "-Dcoedge.transport.baseDir=" + base));
        // the compiler threads live as long as the JVM, so ThreadPlacement moves each of them once
        jvm.add("-XX:-UseDynamicNumberOfCompilerThreads");
        // The driver on a thread of its own, which ThreadPlacement moves out of the device's quota. In the workers'
        // INVOKER default the driver's work runs on the compute thread and would come out of the quota again.
        jvm.add("-D" + TransportConfiguration.THREADING_MODE_PROP + "="
                + System.getProperty(TransportConfiguration.THREADING_MODE_PROP, "SHARED"));
        if (System.getProperty("coedge.kernels") != null) {
            jvm.add("-Dcoedge.kernels=" + System.getProperty("coedge.kernels"));
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("COEDGE_TESTBED_STATE", state.toString());
        // VGG-16's weights alone are 528 MB on the heap while a worker builds it
        env.put("COEDGE_WORKER_CMD", java + " -Xmx3g " + String.join(" ", jvm) + " -cp " + cp
                + " io.coedge.transport.runtime.WorkerMain");
        Testbed bed = new Testbed(root, env);
        Process[] child = new Process[1];
        ThreadPlacement[] placement = new ThreadPlacement[1];
        Thread hook = new Thread(() -> {
            if (placement[0] != null) {
                placement[0].close();
            }
            if (child[0] != null) {
                child[0].destroyForcibly();
            }
            bed.down();
            Testbed.removeInitiatorCgroup();
        }, "coedge-eval-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            System.out.printf(Locale.ROOT, "evaluation: testbed up: initiator %s core(s); workers cpu %s, Mbit/s %s%n",
                    Options.fmt(o.initiatorCpu), Options.fmtList(o.cpu), Options.fmtList(o.mbit));
            bed.up(o.cpu, o.mbit);
            if (o.bursts.isEmpty()) {
                o.bursts = Testbed.linkBursts(o.cpu.size());
                System.out.println("evaluation: link bursts (tbf) " + Options.fmtList(o.bursts) + " bytes");
            }
            Testbed.configureWorkers(o.cpu, o.periodUs, o.shares);
            Testbed.makeInitiatorCgroup(o.initiatorCpu, o.periodUs, o.shares);
            List<java.nio.file.Path> deviceCgroups = new ArrayList<>();
            if (!o.helpersInQuota) {
                double cores = o.initiatorCpu;
                for (int i = 1; i <= o.cpu.size(); i++) {
                    deviceCgroups.add(Testbed.workerCgroup(i));
                    cores += o.cpu.get(i - 1);
                }
                deviceCgroups.add(Testbed.INITIATOR_CGROUP);
                Testbed.makeHelperCgroups(cores, o.periodUs, o.shares);
                // the workers' threads move before any profiling, the coordinator's as they start
                placement[0] = ThreadPlacement.start(deviceCgroups);
            }
            List<String> cmd = new ArrayList<>(List.of("sh", "-c", "echo $$ > " + Testbed.INITIATOR_CGROUP
                    + "/cgroup.procs && exec \"$@\"", "sh", "ip", "netns", "exec", Testbed.HUB, java, "-Xmx4g",
                    // a worker on a small quota builds a large zoo model slowly: allow it two minutes
                    "-D" + TransportConfiguration.RECEIVE_TIMEOUT_PROP + "=120000"));
            cmd.addAll(jvm);
            cmd.addAll(List.of("-cp", cp, EvaluationRun.class.getName(), "--cluster", state.resolve("cluster.conf").toString(),
                    "--aeron-base", base.toString()));
            cmd.addAll(o.toArgs());
            if (o.smoke) {
                cmd.add("--smoke-marker");
            }
            child[0] = new ProcessBuilder(cmd).inheritIO().start();
            long limitMin = o.smoke ? 5 : 90;
            if (!child[0].waitFor(limitMin, TimeUnit.MINUTES)) {
                child[0].destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("the evaluation did not finish within " + limitMin + " minutes");
            }
            return child[0].exitValue();
        } finally {
            if (placement[0] != null) {
                placement[0].close();
                System.out.println("evaluation: moved out of the device quotas: " + placement[0].summary());
            }
            if (child[0] != null && child[0].isAlive()) {
                child[0].destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            bed.down();
            Testbed.removeInitiatorCgroup();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down: the hook runs the same clean-up again, harmlessly
            }
            copyLogs(state, o.out);
            deleteTree(base);
            deleteTree(work);
        }
    }

    /** Keeps the workers' logs beside the results (the testbed state folder is temporary). */
    private static void copyLogs(Path state, Path out) {
        try (var s = Files.list(state)) {
            for (Path log : s.filter(x -> x.getFileName().toString().endsWith(".log")).toList()) {
                Files.copy(log, out.resolve("worker-" + log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException ignored) {
            // no state folder: the testbed never came up
        }
    }

    private static void deleteTree(Path p) {
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException ignored) {
            // best effort: temporary files only
        }
    }
}
