package io.coedge.cli;

import io.coedge.planner.DeviceProfile;
import io.coedge.planner.DeviceProfiles;
import io.coedge.planner.Profiler;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code coedge profile}: measure this machine's compute rate per layer type and write a device file. */
@Command(name = "profile", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Measure this machine's compute rate per layer type (conv 1x1/3x3/5x5/7x7/kxk, depthwise,",
            "FC, pool, other) with a short micro-benchmark and write a device file for 'coedge plan --devices'."})
final class ProfileCommand extends CoedgeCommand {
    @Option(names = "--name", defaultValue = "this-host", description = "Device name in the file (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--like", defaultValue = "desktop", paramLabel = "PRESET",
            description = "Preset to take power, memory and link from (they cannot be measured here; default: ${DEFAULT-VALUE}).")
    String like;

    @Option(names = {"-o", "--out"}, defaultValue = "profile.yaml", paramLabel = "FILE",
            description = "Where to write the profile (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--quick", description = "Fewer runs per layer type (a smoke test, noisier figures).")
    boolean quick;

    @Override
    protected int execute() throws Exception {
        DeviceProfile base = DeviceProfiles.preset(like);
        DeviceProfile p = Profiler.profile(name, base, quick ? Profiler.Options.quick() : Profiler.Options.defaults(),
                line -> {
                    out().println(line);
                    out().flush();
                });
        Profiler.write(p, out);
        out().println("wrote " + out);
        return 0;
    }
}
