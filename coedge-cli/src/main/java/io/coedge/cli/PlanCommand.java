package io.coedge.cli;

import io.coedge.planner.DeviceProfiles;
import io.coedge.planner.PlanReport;
import io.coedge.planner.Planner;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code coedge plan}: rows per device for a deadline, and every strategy's predicted latency and energy. */
@Command(name = "plan", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Plan how many rows each device computes so the model meets a deadline with the least energy,",
            "and compare with the baselines (local, equal, proportional, latency) under the same cost model."})
final class PlanCommand extends CoedgeCommand {
    @Option(names = "--model", required = true, paramLabel = "MODEL",
            description = "Zoo name (alexnet, vgg16, resnet18, googlenet) or an .onnx file.")
    String model;

    @Option(names = "--devices", required = true, paramLabel = "FILE|LIST",
            description = {"A device file (YAML, see DeviceProfiles) or a comma list of presets:",
                "rpi3b+, rpi4b, jetson-nano, jetson-tx2, desktop. The first device is the initiator.",
                "Presets use the default link: 100 Mbit/s, 1 ms one way (desktop: 1 Gbit/s, 0.5 ms)."})
    String devices;

    @Option(names = "--deadline", required = true, paramLabel = "TIME", description = "Latency deadline, e.g. 250ms or 1.5s.")
    String deadline;

    @Option(names = "--objective", defaultValue = "energy", paramLabel = "energy|latency",
            description = "What the coedge strategy minimises (default: ${DEFAULT-VALUE}).")
    String objective;

    @Option(names = "--json", description = "Print one JSON document instead of the table.")
    boolean json;

    @Option(names = "--svg", paramLabel = "FILE", description = "Write a picture of the partition and the strategies.")
    Path svg;

    @Override
    protected int execute() throws Exception {
        double deadlineSeconds = Planner.parseDeadline(deadline);
        Planner.Objective obj = Planner.Objective.parse(objective);
        DeviceProfiles.Cluster cluster = DeviceProfiles.resolve(devices);
        ModelSource.Loaded loaded = ModelSource.load(model, null);
        PlanReport report = PlanReport.of(loaded.graph(), cluster, deadlineSeconds, obj);
        if (json) {
            out().println(report.toJson());
        } else {
            out().print(report.toText());
        }
        if (svg != null) {
            Files.writeString(svg, report.toSvg());
            if (!json) {
                out().println("picture: " + svg);
            }
        }
        return 0;
    }
}
