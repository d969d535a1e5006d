package io.coedge.transport.runtime;

import io.coedge.transport.TestNodes;
import io.coedge.transport.TransportConfiguration;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts worker JVMs from the test class path and stops every one it started. */
public final class WorkerProcesses implements AutoCloseable {
    private final Path baseDir;
    private final Path keyFile;
    private final List<Process> started = new ArrayList<>();

    public WorkerProcesses(Path baseDir, Path keyFile) {
        this.baseDir = baseDir;
        this.keyFile = keyFile;
    }

    /** A free loopback endpoint for a new worker. */
    public static String freeEndpoint() {
        return "127.0.0.1:" + TestNodes.freeUdpPort();
    }

    /** Starts a worker and waits until it listens (its first output line), at most 60 s. */
    public Process start(String name, String endpoint) throws IOException {
        return start(name, endpoint, List.of());
    }

    /** As {@link #start(String, String)}, with more JVM options for the worker (e.g. {@code -Dcoedge.kernels=...}). */
    public Process start(String name, String endpoint, List<String> jvmOptions) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"));
        if (Runtime.version().feature() >= 23) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-D" + TransportConfiguration.BASE_DIR_PROP + "=" + baseDir,
                "-D" + TransportConfiguration.TERM_LENGTH_PROP + "=" + (1 << 20),
                "-D" + TransportConfiguration.CONTROL_MAX_MESSAGE_PROP + "=" + (64 * 1024),
                "-cp", System.getProperty("java.class.path"), TestWorkerMain.class.getName(),
                "--name", name, "--endpoint", endpoint, "--model-cache", baseDir.resolve("models-" + name).toString()));
        if (keyFile != null) {
            cmd.addAll(List.of("--cluster-key-file", keyFile.toString()));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String line;
        StringBuilder seen = new StringBuilder();
        while ((line = out.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.startsWith("worker " + name + " listening")) {
                Thread drain = new Thread(() -> drain(out), "drain-" + name);
                drain.setDaemon(true);
                drain.start();
                return p;
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        p.destroyForcibly();
        throw new IOException("worker " + name + " did not start:\n" + seen);
    }

    private static void drain(BufferedReader r) {
        try {
            String line;
            while ((line = r.readLine()) != null) {
                System.out.println("  | " + line);
            }
        } catch (IOException ignored) {
            // process gone
        }
    }

    /** SIGTERM, then wait up to 20 s; returns the exit code (or -1 if it had to be killed). */
    public static int stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            return -1;
        }
        return p.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : started) {
            if (p.isAlive()) {
                stop(p);
            }
        }
    }
}
