package io.coedge.cli;

import io.coedge.transport.runtime.WorkerMain;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code coedge worker}: runs one device until SIGTERM or Ctrl-C, then stops cleanly (its Aeron directory is
 * removed). The work is {@link WorkerMain}'s; this class only maps the options.
 */
@Command(name = "worker", sortOptions = false, mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Run one CoEdge device: it waits for a coordinator (coedge run --cluster FILE) to deploy a model "
                + "and a plan, computes its rows, and exchanges halos with its neighbours.",
                "Stops cleanly on SIGTERM or Ctrl-C."})
final class WorkerCommand extends CoedgeCommand {
    @Option(names = "--name", required = true, paramLabel = "NAME", description = "Device name, as in the cluster file.")
    String name;

    @Option(names = "--endpoint", required = true, paramLabel = "HOST:PORT",
            description = "Where this worker receives control messages and halos (UDP).")
    String endpoint;

    @Option(names = "--cluster-key-file", paramLabel = "FILE",
            description = "Key that authenticates control messages (the same file as the coordinator's); "
                    + "default: the development key.")
    Path clusterKeyFile;

    @Option(names = "--threads", paramLabel = "N", description = "Compute threads of this device (default 1).")
    Integer threads;

    @Option(names = "--model-cache", paramLabel = "DIR", description = "Keep deployed models here (by hash).")
    Path modelCache;

    @Override
    protected int execute() {
        List<String> args = new ArrayList<>(List.of("--name", name, "--endpoint", endpoint));
        if (clusterKeyFile != null) {
            args.addAll(List.of("--cluster-key-file", clusterKeyFile.toString()));
        }
        if (threads != null) {
            args.addAll(List.of("--threads", threads.toString()));
        }
        if (modelCache != null) {
            args.addAll(List.of("--model-cache", modelCache.toString()));
        }
        // WorkerMain validates and prints its own one-line errors; it returns when the process is asked to stop.
        return WorkerMain.run(args.toArray(String[]::new));
    }
}
