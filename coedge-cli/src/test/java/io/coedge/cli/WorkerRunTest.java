package io.coedge.cli;

import static io.coedge.cli.RunCommandTest.assertUserError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.coedge.onnx.OnnxExporter;
import io.coedge.planner.DeviceProfile;
import io.coedge.planner.DeviceProfiles;
import io.coedge.transport.TransportConfiguration;
import io.coedge.transport.runtime.LocalWorkers;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs on worker processes: {@code --local-workers}, {@code --cluster}, {@code worker}, {@code stat}. Two small workers at most. */
@Tag("multiprocess")
class WorkerRunTest {
    @TempDir
    Path dir;

    private String oldBase;
    private Path onnx;

    @BeforeEach
    void setUp() throws Exception {
        oldBase = System.getProperty(TransportConfiguration.BASE_DIR_PROP);
        // Workers started by these tests keep their Aeron directories here, apart from anybody else's.
        System.setProperty(TransportConfiguration.BASE_DIR_PROP, dir.resolve("aeron").toString());
        onnx = dir.resolve("tiny-classes.onnx");
        OnnxExporter.write(TestModels.classes(), onnx);
    }

    @AfterEach
    void tearDown() {
        if (oldBase == null) {
            System.clearProperty(TransportConfiguration.BASE_DIR_PROP);
        } else {
            System.setProperty(TransportConfiguration.BASE_DIR_PROP, oldBase);
        }
    }

    @Test
    void localWorkersGiveTheOneDeviceOutputAndAreStoppedAfter() throws Exception {
        Path one = dir.resolve("one.bin");
        Path split = dir.resolve("split.bin");
        CliRunner ref = CliRunner.runAsLauncher("run", "--model", onnx.toString(), "--output-raw", one.toString());
        assertThat(ref.exitCode()).as(ref.err()).isZero();
        List<ProcessHandle> before = ProcessHandle.current().children().toList();
        CliRunner r = CliRunner.runAsLauncher("run", "--model", onnx.toString(), "--local-workers", "2", "--partition",
                "3,6,7", "--sync", "fused:2", "--repeat", "2", "--output-raw", split.toString());
        assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("rows=local:3,worker1:6,worker2:7", "sync=fused:2", "over 2 runs",
                "this process counted exactly its predicted FLOPs and bytes",
                "check:   same output as the one-device run (top-5 identical");
        assertThat(SplitRunTest.top5Lines(r.out())).isEqualTo(SplitRunTest.top5Lines(ref.out())).hasSize(5);
        assertThat(Files.readAllBytes(split)).hasSameSizeAs(Files.readAllBytes(one));
        float[] x = RunCommandTest.floats(Files.readAllBytes(one));
        float[] y = RunCommandTest.floats(Files.readAllBytes(split));
        for (int i = 0; i < x.length; i++) {
            assertThat(Math.abs(x[i] - y[i])).isLessThanOrEqualTo(1e-5f * Math.max(1f, Math.abs(x[i])));
        }
        // The run stopped every worker it started.
        assertThat(ProcessHandle.current().children().filter(p -> !before.contains(p)).filter(ProcessHandle::isAlive))
                .isEmpty();
    }

    @Test
    void clusterFileRunsOnTheWorkersItLists() throws Exception {
        try (LocalWorkers w = LocalWorkers.start(1, null, List.of("-Xmx256m"))) {
            String endpoint = w.clusterConfig().workers().get(0).endpoint();
            Path cluster = dir.resolve("cluster.conf");
            // The name must be the worker's own --name: LocalWorkers calls it worker1.
            Files.writeString(cluster, "# test cluster\nworker worker1 = " + endpoint + "\n");
            CliRunner r = CliRunner.runAsLauncher("run", "--model", onnx.toString(), "--cluster", cluster.toString(),
                    "--partition", "4,12");
            assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
            assertThat(r.out()).contains("rows=local:4,worker1:12", "same output as the one-device run");
        }
    }

    @Test
    void profileLinksMeasuresEachWorkerOverTheTransportIntoADeviceFileThatPlanAccepts() throws Exception {
        try (LocalWorkers w = LocalWorkers.start(1, null, List.of("-Xmx256m"))) {
            Path cluster = dir.resolve("cluster.conf");
            Files.writeString(cluster, "worker worker1 = " + w.clusterConfig().workers().get(0).endpoint() + "\n");
            Path f = dir.resolve("devices.yaml");
            CliRunner p = CliRunner.runAsLauncher("profile", "--quick", "--name", "me", "--links", cluster.toString(),
                    "--out", f.toString());
            assertThat(p.exitCode()).as(p.out() + p.err()).isZero();
            assertThat(p.out()).contains("link to worker1 over the transport", "Mbit/s payload", "per halo exchange",
                    "per request", "2 devices, me first");
            String yaml = Files.readString(f);
            assertThat(yaml).contains("name: me", "name: worker1", "link.bandwidth", "measured over the transport");
            DeviceProfiles.Cluster c = DeviceProfiles.read(f);
            assertThat(c.devices()).extracting(DeviceProfile::name).containsExactly("me", "worker1");
            assertThat(c.devices().get(1).link().bandwidthBytesPerSecond()).isPositive();
            CliRunner r = CliRunner.run("plan", "--model", onnx.toString(), "--devices", f.toString(), "--deadline", "1s", "--json");
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(r.out()).contains("\"worker1\":");
        }
    }

    @Test
    void profileLinksNamesABadClusterFileBeforeProfiling() throws Exception {
        Path cluster = dir.resolve("cluster.conf");
        Files.writeString(cluster, "worker a = nowhere\n");
        assertUserError(CliRunner.runAsLauncher("profile", "--quick", "--links", cluster.toString(), "--out",
                dir.resolve("x.yaml").toString()), "cluster.conf line 1");
    }

    @Test
    void unreachableWorkerIsAClearErrorWithinBoundedTime() throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nobody listens there
        }
        Path cluster = dir.resolve("cluster.conf");
        Files.writeString(cluster, "worker gone = 127.0.0.1:" + port + "\n");
        CliRunner r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> CliRunner.runAsLauncher("run", "--model",
                onnx.toString(), "--cluster", cluster.toString(), "--connect-timeout", "500"));
        assertUserError(r, "worker 'gone'", "not reachable", "500 ms");
    }

    @Test
    void badClusterFileIsAUserError() throws Exception {
        Path cluster = dir.resolve("cluster.conf");
        Files.writeString(cluster, "worker a = nowhere\n");
        assertUserError(CliRunner.runAsLauncher("run", "--model", onnx.toString(), "--cluster", cluster.toString()),
                "cluster.conf line 1");
        assertUserError(CliRunner.runAsLauncher("run", "--model", onnx.toString(), "--cluster",
                dir.resolve("missing.conf").toString()), "does not exist");
    }

    @Test
    void modelsOnlyInThisProcessCannotGoToWorkers() {
        TestModels.register();
        try {
            assertUserError(CliRunner.runAsLauncher("run", "--model", TestModels.CLASSES, "--local-workers", "1"),
                    "exists only in this process");
        } finally {
            TestModels.unregister();
        }
    }

    @Test
    void kernelsGivenWithKernelsRunOnTheLocalWorkersToo() {
        // The workers get the provider (and the vector kernels their incubator module): before, they ran the
        // default kernels whatever --kernels said, and a worker told to use the vector kernels could not load them.
        CliRunner r = CliRunner.runAsLauncher("run", "--model", onnx.toString(), "--local-workers", "1", "--partition",
                "equal", "--kernels", "vector");
        assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("kernels: vector", "check:   same output as the one-device run");
        assertThat(System.getProperty("coedge.kernels")).as("an in-process run leaves the property as it was").isNull();
    }

    @Test
    void workerCommandNeedsNameAndEndpoint() {
        CliRunner r = CliRunner.runAsLauncher("worker", "--name", "a");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--endpoint");
    }

    @Test
    void workerStopsCleanlyOnSigtermAndStatSeesItWhileItRuns() throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Xmx256m",
                "-D" + TransportConfiguration.BASE_DIR_PROP + "=" + dir.resolve("aeron"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "worker", "--name", "w-term",
                "--endpoint", "127.0.0.1:" + port));
        Path log = dir.resolve("worker.log");
        // To a file: destroy() closes the process's pipes, and the last lines matter here.
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                while (!Files.readString(log).contains("worker w-term listening on 127.0.0.1:" + port)) {
                    assertThat(p.isAlive()).as(Files.readString(log)).isTrue();
                    Thread.sleep(50);
                }
            });

            CliRunner stat = CliRunner.runAsLauncher("stat", "--dir", dir.resolve("aeron").toString(), "--count", "1",
                    "--interval-ms", "50");
            assertThat(stat.exitCode()).as(stat.err()).isZero();
            assertThat(stat.out()).contains("w-term");

            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(log)).contains("worker w-term stopped");
            assertThat(p.exitValue()).isIn(0, 143);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void statWithNothingRunningSaysSo() {
        CliRunner r = CliRunner.runAsLauncher("stat", "--dir", dir.resolve("empty").toString(), "--count", "1");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("coedge: error: no CoEdge processes are running under");
    }

    @Test
    void aWorkerWhosePortIsTakenSaysSoInOneLineAndEnds() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            String endpoint = "127.0.0.1:" + taken.getLocalPort();
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow", "-Xmx256m",
                    "-D" + TransportConfiguration.BASE_DIR_PROP + "=" + dir.resolve("aeron-taken"),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "worker", "--name", "w-taken",
                    "--endpoint", endpoint));
            Path log = dir.resolve("taken.log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                // it used to print Aeron's stack trace and then hang, its transport threads keeping the JVM up
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the worker ended by itself").isTrue();
                assertThat(p.exitValue()).isEqualTo(2);
                String out = Files.readString(log);
                assertThat(out).contains("coedge: error: worker w-taken cannot listen on " + endpoint
                        + ": Address already in use (another process has this port; give the worker another --endpoint)");
                assertThat(out).doesNotContain("\tat io.aeron");
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
