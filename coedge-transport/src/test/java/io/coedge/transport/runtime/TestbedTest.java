package io.coedge.transport.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.coedge.transport.stat.CounterTypes;
import io.coedge.transport.stat.LiveCounters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/testbed end to end: two workers in their own network namespaces with CPU quotas and bandwidth caps,
 * a coordinator in the hub namespace; and an {@code up} that fails leaves nothing behind. Needs root, iproute2 and the cgroup v1 cpu controller; skips otherwise.
 */
@Tag("root")
class TestbedTest {
    @TempDir
    Path dir;

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("scripts/testbed"))) {
            p = p.getParent();
        }
        return p;
    }

    private static String run(Path root, List<String> env, String... cmd) throws IOException, InterruptedException {
        return run(root, env, 0, cmd);
    }

    private static String run(Path root, List<String> env, int expectedExit, String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true);
        for (String kv : env) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", cmd) + "\n" + out);
        }
        if (p.exitValue() != expectedExit) {
            throw new AssertionError("exit " + p.exitValue() + " (expected " + expectedExit + "): " + String.join(" ", cmd)
                    + "\n" + out);
        }
        return out;
    }

    private static void assumeTestbedCanRun(Path root) {
        assumeTrue(root != null, "scripts/testbed not found above the working directory");
        assumeTrue("root".equals(System.getProperty("user.name")), "testbed needs root (namespaces, tc, cgroups): skipped");
        assumeTrue(Files.isRegularFile(Path.of("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")),
                "testbed needs the cgroup v1 cpu controller at /sys/fs/cgroup/cpu: skipped");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")),
                "testbed needs iproute2: skipped");
    }

    @Test
    void anUpThatFailsLeavesNothingBehindAndTheNextUpIsNotRefused() throws Exception {
        Path root = repoRoot();
        assumeTestbedCanRun(root);
        String prefix = "cf" + ProcessHandle.current().pid() % 1_000_000;
        Path state = dir.resolve("state");
        List<String> env = List.of("COEDGE_TESTBED_STATE=" + state, "COEDGE_TESTBED_PREFIX=" + prefix,
                "COEDGE_WORKER_CMD=/bin/false");
        String script = root.resolve("scripts/testbed").toString();
        // Bad values are refused before anything is made.
        assertThat(run(root, env, 1, script, "up", "2", "--cpu", "1", "--mbit", "100,100"))
                .contains("--cpu needs 2 comma-separated values");
        assertThat(run(root, env, 1, script, "up", "2", "--cpu", "1,abc", "--mbit", "100,100"))
                .contains("--cpu value 'abc' is not a positive number of cores");
        assertThat(run(root, env, 1, script, "up", "2", "--cpu", "1,1", "--mbit", "100,0"))
                .contains("--mbit value '0' is not a positive number");
        assertThat(namespaces(prefix)).isEmpty();
        assertThat(state.resolve("up")).doesNotExist();
        // A worker that does not start: what was made is taken down again.
        assertThat(run(root, env, 1, script, "up", "2", "--cpu", "1,0.5", "--mbit", "100,50"))
                .contains("worker w1 did not start").contains("taking down what it made");
        assertThat(namespaces(prefix)).isEmpty();
        assertThat(state.resolve("up")).doesNotExist();
        assertThat(Path.of("/sys/fs/cgroup/cpu/" + prefix + "-testbed")).doesNotExist();
    }

    private static List<String> namespaces(String prefix) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out.lines().filter(l -> l.startsWith(prefix + "-")).toList();
    }

    @Test
    void workersInNamespacesWithQuotasAnswerACoordinatorInTheHub() throws Exception {
        Path root = repoRoot();
        assumeTestbedCanRun(root);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        String flags = "--enable-native-access=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED"
                + (Runtime.version().feature() >= 23 ? " --sun-misc-unsafe-memory-access=allow" : "");
        Path state = dir.resolve("state");
        Path base = dir.resolve("shm");
        // Own prefix: never touches a testbed someone else has up on this machine.
        String prefix = "ct" + ProcessHandle.current().pid() % 1_000_000;
        Path cgroup = Path.of("/sys/fs/cgroup/cpu/" + prefix + "-testbed/w1");
        List<String> env = List.of("COEDGE_TESTBED_STATE=" + state, "COEDGE_TESTBED_PREFIX=" + prefix,
                "COEDGE_WORKER_CMD=" + java + " -Xmx256m -Dcoedge.transport.baseDir=" + base + " " + flags + " -cp " + cp + " "
                        + TestWorkerMain.class.getName());
        Path key = dir.resolve("cluster.key");
        Files.writeString(key, "testbed-cluster-key-0123456789\n");
        String script = root.resolve("scripts/testbed").toString();
        try {
            String up = run(root, env, script, "up", "2", "--cpu", "0.5,1", "--mbit", "50,100", "--key", key.toString());
            assertThat(up).contains("w1: 10.77.0.11").contains("w2: 10.77.0.12");
            List<String> smoke = new ArrayList<>(List.of(script, "exec", "--", java, "-Xmx256m",
                    "-Dcoedge.transport.baseDir=" + base));
            smoke.addAll(List.of(flags.split(" ")));
            smoke.addAll(List.of("-cp", cp, ClusterSmoke.class.getName(), state.resolve("cluster.conf").toString()));
            String out = run(root, env, smoke.toArray(String[]::new));
            assertThat(out).contains("worker w1 ok").contains("worker w2 ok").contains("smoke ok");
            try (LiveCounters w1 = LiveCounters.open(base.resolve("w1").toString())) {
                assertThat(w1.snapshot()).anyMatch(s -> s.typeId() == CounterTypes.INFERENCES_DONE && s.value() == 1);
            }
            assertThat(Files.readString(cgroup.resolve("cpu.cfs_quota_us")).trim())
                    .isEqualTo(String.valueOf(Integer.parseInt(Files.readString(cgroup.resolve("cpu.cfs_period_us")).trim()) / 2));
        } finally {
            run(root, env, script, "down");
        }
        assertThat(cgroup).doesNotExist();
    }
}
