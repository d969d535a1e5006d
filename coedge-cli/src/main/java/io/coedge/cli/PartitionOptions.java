package io.coedge.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options of {@code coedge run} that split one inference by rows across devices: in this process
 * ({@code --devices N}), on the workers of a cluster file ({@code --cluster FILE}) or on worker processes
 * started for the run ({@code --local-workers N}); the split comes from {@code --partition} or from the
 * planner ({@code --strategy ... --deadline D}).
 */
final class PartitionOptions {
    @Option(names = "--devices", paramLabel = "N", order = 100,
            description = "Split the inference by rows across N devices in this process (dev0..devN-1; dev0 runs the tail).")
    Integer devices;

    @Option(names = "--partition", paramLabel = "SPEC", order = 101,
            description = {"Input rows per device: equal, random[:SEED] or r1,r2,... (one per device, summing to the "
                    + "input height). With workers the first device is this process ('local', it holds the input and "
                    + "runs the tail); default with workers: 0 rows for 'local', the rest split equally among the workers."})
    String partition;

    @Option(names = "--sync", paramLabel = "every|fused:K", order = 102,
            description = "Exchange halos after every layer (default) or every K layers, computing the wider band redundantly.")
    String sync;

    @Option(names = "--tail", paramLabel = "DEVICE", order = 103,
            description = "In-process runs: the device that runs the tail (default: the first device).")
    String tail;

    @Option(names = "--cluster", paramLabel = "FILE", order = 104,
            description = "Run on the workers listed in this cluster file (lines 'worker NAME = HOST:PORT').")
    Path cluster;

    @Option(names = "--local-workers", paramLabel = "N", order = 105,
            description = "Start N worker processes on this machine for the run and stop them after.")
    Integer localWorkers;

    @Option(names = "--connect-timeout", paramLabel = "MS", order = 106,
            description = "How long to wait for a worker to answer before giving up (default 5000 ms).")
    Long connectTimeoutMs;

    @Option(names = "--strategy", paramLabel = "NAME", order = 107,
            description = "Take the rows from the planner: coedge (least energy within --deadline), equal, proportional, "
                    + "local or latency.")
    String strategy;

    @Option(names = "--deadline", paramLabel = "TIME", order = 108,
            description = "Latency deadline for --strategy, e.g. 250ms or 1.5s.")
    String deadline;

    @Option(names = "--devices-profile", paramLabel = "FILE|LIST", order = 109,
            description = {"Device profiles for --strategy: a device file or a comma list of presets (rpi3b+, rpi4b, "
                    + "jetson-nano, jetson-tx2, desktop), one per device in plan order. Default: desktop for every device."})
    String devicesProfile;

    @Option(names = "--no-check", order = 110,
            description = "Skip the one-device reference run that split runs are compared with (default: compare).")
    boolean noCheck;

    @Option(names = "--head-split", order = 111,
            description = "Split the tail's fully connected layers (VGG, AlexNet) by output neurons across the devices "
                    + "with rows instead of running them whole on the tail device; the output keeps its bits.")
    boolean headSplit;

    /** True when any option asks for a split run. */
    boolean active() {
        return devices != null || partition != null || sync != null || tail != null || cluster != null
                || localWorkers != null || strategy != null || deadline != null || devicesProfile != null
                || connectTimeoutMs != null || headSplit;
    }

    boolean withWorkers() {
        return cluster != null || localWorkers != null;
    }

    /** Refuses combinations that make no sense, with what to do instead. */
    void validate() {
        if (cluster != null && localWorkers != null) {
            throw new UserError("give either --cluster FILE or --local-workers N, not both");
        }
        if (devices != null && withWorkers()) {
            throw new UserError("--devices N is for in-process runs; with --cluster or --local-workers the devices are "
                    + "this process ('local') and the workers");
        }
        if (devices != null && (devices < 1 || devices > 1024)) {
            throw new UserError("--devices must be between 1 and 1024, got " + devices);
        }
        if (localWorkers != null && (localWorkers < 1 || localWorkers > 16)) {
            throw new UserError("--local-workers must be between 1 and 16, got " + localWorkers);
        }
        if (connectTimeoutMs != null && (connectTimeoutMs < 1 || connectTimeoutMs > 600_000)) {
            throw new UserError("--connect-timeout must be between 1 and 600000 ms, got " + connectTimeoutMs);
        }
        if (connectTimeoutMs != null && !withWorkers()) {
            throw new UserError("--connect-timeout applies to runs with --cluster or --local-workers");
        }
        if (strategy != null && partition != null) {
            throw new UserError("give either --partition or --strategy: the strategy chooses the rows");
        }
        if (strategy != null && deadline == null) {
            throw new UserError("--strategy needs --deadline TIME (e.g. --deadline 250ms)");
        }
        if (strategy == null && (deadline != null || devicesProfile != null)) {
            throw new UserError("--deadline and --devices-profile go with --strategy coedge|equal|proportional|local|latency");
        }
        if (devices == null && !withWorkers() && strategy == null) {
            throw new UserError("--partition, --sync, --tail and --head-split need --devices N, --cluster FILE or --local-workers N");
        }
        if (tail != null && withWorkers()) {
            throw new UserError("--tail is for in-process runs; with workers this process ('local') runs the tail");
        }
    }
}
