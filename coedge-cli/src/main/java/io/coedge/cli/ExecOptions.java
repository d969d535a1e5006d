package io.coedge.cli;

import io.coedge.exec.Executor;
import io.coedge.graph.KernelProvider;
import java.util.List;
import picocli.CommandLine.Option;

/** Options shared by every command that runs a model: kernels, threads, warm-up and repetitions. */
final class ExecOptions {
    /** System property for the number of threads kernels may use; providers that parallelise read it. */
    static final String THREADS_PROPERTY = "coedge.threads";

    @Option(names = "--kernels", paramLabel = "native|vector|reference|auto",
            description = "Kernel provider to use (system property coedge.kernels). auto (default): the best "
                    + "available, falling back to the reference kernels layer by layer.")
    String kernels;

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads the kernels may use (system property coedge.threads); default: all cores. "
                    + "The reference kernels use one thread.")
    Integer threads;

    @Option(names = "--repeat", paramLabel = "K",
            description = "Time K runs after the warm-up and print median and p90 latency. Default: "
                    + "run times one run without warm-up, demo times 3 runs after 20 warm-ups (--local: one).")
    Integer repeat;

    @Option(names = "--warmup", paramLabel = "W",
            description = "Untimed runs before the timed ones; default 1 with --repeat, else 0.")
    Integer warmup;

    int repeatCount() {
        int k = repeat == null ? 1 : repeat;
        if (k < 1) {
            throw new UserError("--repeat must be at least 1, got " + k);
        }
        return k;
    }

    int warmupCount() {
        int w = warmup != null ? warmup : repeat != null ? 1 : 0;
        if (w < 0) {
            throw new UserError("--warmup must be 0 or more, got " + w);
        }
        return w;
    }

    /** The provider list for the executor; applies {@code --threads}. Unknown or unavailable names are user errors. */
    List<KernelProvider> providers() {
        if (threads != null) {
            if (threads < 1) {
                throw new UserError("--threads must be at least 1, got " + threads);
            }
            System.setProperty(THREADS_PROPERTY, Integer.toString(threads));
        }
        String name = kernels != null ? kernels : System.getProperty(Executor.KERNELS_PROPERTY, "auto");
        if (!List.of("native", "vector", "reference", "auto", "").contains(name)) {
            throw new UserError("unknown --kernels '" + name + "': use native, vector, reference or auto");
        }
        if (kernels != null) {
            // what this process's own device in a split run and the workers --local-workers starts read
            System.setProperty(Executor.KERNELS_PROPERTY, name);
        }
        return Executor.providers(name);
    }
}
