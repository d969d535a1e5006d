package io.coedge.transport.runtime;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Entry point of a worker process: {@code coedge worker --name NAME --endpoint HOST:PORT
 * [--cluster-key-file F] [--threads N] [--model-cache DIR] [--exit-with-parent]}. Transport settings come from the
 * {@code coedge.transport.*} system properties ({@link io.coedge.transport.TransportConfiguration}).
 * Runs until SIGTERM or SIGINT, then stops cleanly (driver directory removed); with {@code --exit-with-parent}
 * (what {@link LocalWorkers} passes) also when the process that started it ends, even by SIGKILL.
 */
public final class WorkerMain {
    private WorkerMain() {
    }

    public static void main(String[] args) {
        int rc = run(args);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    /** Parses {@code args} into a {@link Worker.Config}; throws IllegalArgumentException with a usage hint. */
    public static Worker.Config parse(String[] args) {
        Worker.Config c = new Worker.Config();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            if (a.equals("--exit-with-parent")) {
                c.exitWithParent(true);
                continue;
            }
            switch (a) {
                case "--name" -> c.name(need(a, v));
                case "--endpoint" -> c.endpoint(need(a, v));
                case "--cluster-key-file" -> c.clusterKeyFile(Path.of(need(a, v)));
                case "--model-cache" -> c.modelCacheDir(Path.of(need(a, v)));
                case "--threads" -> {
                    try {
                        c.threads(Integer.parseInt(need(a, v)));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--threads needs a whole number, got '" + v + "'");
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + a + "'; usage: " + usage());
            }
            i++;
        }
        if (c.name == null || c.endpoint == null) {
            throw new IllegalArgumentException("--name and --endpoint are required; usage: " + usage());
        }
        return c;
    }

    private static String need(String opt, String v) {
        if (v == null || v.startsWith("--")) {
            throw new IllegalArgumentException(opt + " needs a value; usage: " + usage());
        }
        return v;
    }

    public static String usage() {
        return "coedge worker --name NAME --endpoint HOST:PORT [--cluster-key-file F] [--threads N] [--model-cache DIR]"
                + " [--exit-with-parent]";
    }

    /**
     * Runs a worker until the process is asked to stop; returns the exit code: 0 after a stop, 2 when the options are
     * wrong or the worker cannot start with them (its name or port taken), with one line on stderr.
     */
    public static int run(String[] args) {
        Worker.Config config;
        try {
            config = parse(args);
            config.validate();
        } catch (IllegalArgumentException e) {
            System.err.println("coedge: error: " + e.getMessage());
            return 2;
        }
        return run(config);
    }

    /** Runs a worker with {@code config} until SIGTERM/SIGINT. */
    public static int run(Worker.Config config) {
        // Kernels read their thread count once, at load: set it before the first model is built.
        if (System.getProperty(io.coedge.kernels.KernelSettings.THREADS_PROPERTY) == null) {
            System.setProperty(io.coedge.kernels.KernelSettings.THREADS_PROPERTY, String.valueOf(config.threads));
        }
        Worker worker;
        try {
            worker = new Worker(config);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // what was given cannot be used here (a name or port taken, an unreadable key file): not a bug
            System.err.println("coedge: error: " + e.getMessage());
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            worker.stop();
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "coedge-worker-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        if (config.exitWithParent) {
            ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> {
                System.out.println("worker " + config.name + ": the process that started it ended; stopping");
                worker.stop();
            }));
        }
        System.out.println("worker " + config.name + " listening on " + config.endpoint + " (counters in " + worker.aeronDir() + ")");
        System.out.flush();
        try {
            worker.run();
        } finally {
            worker.close();
            System.out.println("worker " + config.name + " stopped");
            System.out.flush();
            stopped.countDown();
        }
        return 0;
    }
}
