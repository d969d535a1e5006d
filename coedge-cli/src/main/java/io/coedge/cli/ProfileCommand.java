package io.coedge.cli;

import io.coedge.planner.DeviceProfile;
import io.coedge.planner.DeviceProfiles;
import io.coedge.planner.LinkProfile;
import io.coedge.planner.Profiler;
import io.coedge.transport.runtime.ClusterConfig;
import io.coedge.transport.runtime.CoEdgeCluster;
import io.coedge.transport.runtime.LinkProbes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code coedge profile}: measure this machine's compute rate per layer type and write a device file. */
@Command(name = "profile", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Measure this machine's compute rate per layer type (conv 1x1/3x3/5x5/7x7/kxk, depthwise,",
            "FC, pool, other) with a short micro-benchmark and write a device file for 'coedge plan --devices'.",
            "With --links, also measure the link to every worker of a cluster file over the transport and add the",
            "workers to the file."})
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

    @Option(names = "--links", paramLabel = "CLUSTER_FILE",
            description = {"Measure the link to each worker of this cluster file over the transport (bandwidth, time per",
                "halo exchange, fixed cost per request) and add each worker to the file with that link; its rates,",
                "power and memory come from --worker-like (profile each worker on its board for its rates)."})
    Path links;

    @Option(names = "--worker-like", defaultValue = "rpi4b", paramLabel = "PRESET",
            description = "Preset for the workers' rates, power and memory with --links (default: ${DEFAULT-VALUE}).")
    String workerLike;

    @Override
    protected int execute() throws Exception {
        DeviceProfile base = DeviceProfiles.preset(like);
        // checked before the minute of compute profiling
        ClusterConfig cluster = links == null ? null : ClusterConfig.read(links);
        DeviceProfile workerBase = links == null ? null : DeviceProfiles.preset(workerLike);
        DeviceProfile p = Profiler.profile(name, base, quick ? Profiler.Options.quick() : Profiler.Options.defaults(),
                line -> {
                    out().println(line);
                    out().flush();
                });
        List<DeviceProfile> devices = new ArrayList<>(List.of(p));
        if (cluster != null) {
            Map<String, LinkProfile> measured = new LinkedHashMap<>();
            out().println("links: connecting to " + cluster.workers().stream().map(ClusterConfig.Member::name).toList());
            out().flush();
            try (CoEdgeCluster c = CoEdgeCluster.connect(cluster)) {
                for (String w : c.workers()) {
                    if (w.equals(name)) {
                        throw new UserError("a worker in " + links + " is named '" + name + "' like this host; pass another --name");
                    }
                    measured.put(w, LinkProbes.measure(c, w, quick ? LinkProbes.Options.quick() : LinkProbes.Options.defaults(),
                            line -> {
                                out().println(line);
                                out().flush();
                            }));
                }
            } catch (IllegalStateException e) {
                throw new UserError(e.getMessage());
            }
            measured.forEach((w, l) -> {
                Map<String, String> sources = new LinkedHashMap<>(workerBase.sources());
                sources.put("link", "measured over the transport by coedge profile --links from " + name);
                devices.add(new DeviceProfile(w, "worker; rates and power as " + workerBase.name(), workerBase.rates(),
                        workerBase.memoryBytes(), workerBase.idleWatts(), workerBase.computeWatts(), workerBase.transmitWatts(),
                        l, sources));
            });
        }
        DeviceProfiles.write(new DeviceProfiles.Cluster(devices, p.name()), out);
        out().println("wrote " + out + (devices.size() > 1 ? " (" + devices.size() + " devices, " + name + " first: the initiator)" : ""));
        return 0;
    }
}
