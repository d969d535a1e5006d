package io.coedge.transport.runtime;

import io.coedge.partition.PartitionedExecutor;
import io.coedge.transport.TransportConfiguration;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Worker processes on this machine, started from this JVM's class path on free loopback ports: what
 * {@code coedge run --local-workers N} and {@code coedge demo} use. {@link #close()} stops every process it
 * started (SIGTERM, then kill after a grace period).
 *
 * <pre>{@code
 * try (LocalWorkers w = LocalWorkers.start(2, null, List.of());
 *      CoEdgeCluster cluster = CoEdgeCluster.connect(w.clusterConfig())) { ... }
 * }</pre>
 */
public final class LocalWorkers implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final List<String> endpoints = new ArrayList<>();
    private final Path keyFile;

    private LocalWorkers(Path keyFile) {
        this.keyFile = keyFile;
    }

    /**
     * Starts {@code n} workers named {@code worker1..N} and waits until each listens (at most 60 s each; a worker
     * that finds its port taken by another program is started again on another, up to three ports).
     *
     * @param keyFile  cluster key file for the workers (null: the development key)
     * @param jvmFlags extra JVM options per worker, e.g. {@code -XX:ActiveProcessorCount=1}
     */
    public static LocalWorkers start(int n, Path keyFile, List<String> jvmFlags) {
        if (n < 1 || n > 64) {
            throw new IllegalArgumentException("--local-workers must be between 1 and 64, got " + n);
        }
        LocalWorkers w = new LocalWorkers(keyFile);
        try {
            for (int i = 1; i <= n; i++) {
                // The port is chosen free, then released for the worker to bind: another program can take it in
                // between. A worker that finds it taken ends at once, and gets another.
                for (int attempt = 1; !w.startOne("worker" + i, jvmFlags, attempt == PORT_ATTEMPTS); attempt++) {
                    // next port
                }
            }
            return w;
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** Ports tried per worker before a port another program took in the meantime is an error. */
    private static final int PORT_ATTEMPTS = 3;
    /** How long a worker may take to say it listens. */
    private static final long START_TIMEOUT_S = 60;

    /**
     * Starts one worker on a free port; false when another program took the port before the worker bound it (and
     * {@code last} is false), so that the caller tries another.
     */
    private boolean startOne(String name, List<String> jvmFlags, boolean last) {
        String endpoint;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            endpoint = "127.0.0.1:" + s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free UDP port on loopback: " + e.getMessage());
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"));
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            cmd.addAll(List.of("--add-modules", "jdk.incubator.vector")); // the vector kernels, as in this process
        }
        if (Runtime.version().feature() >= 23) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        // this process's transport and scheduling tuning holds for the workers it starts too
        for (String p : List.of(TransportConfiguration.BASE_DIR_PROP, "coedge.kernels", TransportConfiguration.THREADING_MODE_PROP,
                TransportConfiguration.IDLE_PROP, TransportConfiguration.DRIVER_IDLE_PROP, io.coedge.transport.TimerSlack.PROPERTY,
                PartitionedExecutor.MERGE_WAIT_PROPERTY, PartitionedExecutor.MERGE_MIN_WEIGHTS_PROPERTY)) {
            String v = System.getProperty(p);
            if (v != null) {
                cmd.add("-D" + p + "=" + v);
            }
        }
        cmd.addAll(jvmFlags);
        // --exit-with-parent: a run killed before close() (SIGKILL, a crash) must not leave its workers behind
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(), "--name", name,
                "--endpoint", endpoint, "--exit-with-parent"));
        if (keyFile != null) {
            cmd.addAll(List.of("--cluster-key-file", keyFile.toString()));
        }
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a worker process: " + e.getMessage());
        }
        processes.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        // A worker that hangs before it says anything would block readLine for good: past the deadline it is killed,
        // which ends the read.
        java.util.concurrent.atomic.AtomicBoolean listening = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean timedOut = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watchdog = Thread.ofPlatform().daemon().name("coedge-start-" + name).start(() -> {
            try {
                if (!p.waitFor(START_TIMEOUT_S, TimeUnit.SECONDS) && !listening.get()) {
                    timedOut.set(true);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                // started, or given up on
            }
        });
        try {
            String line;
            while ((line = out.readLine()) != null) {
                seen.append(line).append('\n');
                if (line.startsWith("worker " + name + " listening")) {
                    listening.set(true);
                    watchdog.interrupt();
                    Thread drain = new Thread(() -> drain(out), "coedge-drain-" + name);
                    drain.setDaemon(true);
                    drain.start();
                    names.add(name);
                    endpoints.add(endpoint);
                    return true;
                }
            }
        } catch (IOException e) {
            seen.append(e.getMessage());
        } finally {
            watchdog.interrupt();
        }
        if (!last && seen.indexOf("cannot listen on " + endpoint + ": Address already in use") >= 0) {
            processes.remove(p);
            return false;
        }
        p.destroyForcibly();
        throw new IllegalStateException("worker " + name + " did not start" + (timedOut.get() ? " within "
                + START_TIMEOUT_S + " s" : "") + ":\n" + seen);
    }

    private static void drain(BufferedReader r) {
        try {
            while (r.readLine() != null) {
                // the worker's log is not shown: the coordinator reports errors itself
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    /** Worker names, in start order. */
    public List<String> names() {
        return List.copyOf(names);
    }

    /** A cluster configuration listing these workers (coordinator on loopback). */
    public ClusterConfig clusterConfig() {
        ClusterConfig c = new ClusterConfig().clusterKeyFile(keyFile);
        for (int i = 0; i < names.size(); i++) {
            c.worker(names.get(i), endpoints.get(i));
        }
        return c;
    }

    /** The process of worker {@code i} (0-based), e.g. to stop one in a demo of fault tolerance. */
    public Process process(int i) {
        return processes.get(i);
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
