package io.coedge.planner;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes device profile files and resolves preset names.
 *
 * <p>File format (a YAML subset, see {@code presets.yaml} in this package for a full example):
 * <pre>
 * link.bandwidth: 100 Mbit/s     # optional default link for every device
 * link.latency: 1 ms
 * link.request: 0 ms             # optional fixed cost per request per device (control, wake-up); the
 *                                # initiator's: its cost of each worker beyond the first
 * link.burst: 0 KB               # optional bytes a shaped link passes at line speed after idling (tbf burst)
 * link.halo-bandwidth: 60 Mbit/s # optional rate halos are charged at (default: link.bandwidth; see LinkProfile)
 * initiator: cam                 # optional; default: the first device
 * devices:
 *   - name: cam
 *     preset: rpi4b              # start from a preset, override below
 *   - name: box
 *     preset: jetson-nano
 *     link.bandwidth: 50 Mbit/s
 *   - name: measured
 *     rate.conv3x3: 4.2 GFLOP/s  # rate.&lt;type&gt; for conv1x1 conv3x3 conv5x5 conv7x7 convkxk depthwise fc pool other
 *     memory: 3000 MB
 *     power.idle: 2.7 W
 *     power.compute: 6.4 W
 *     power.transmit: 3.4 W
 *     source.power: pidramble    # source.* keys say where figures come from
 * </pre>
 */
public final class DeviceProfiles {
    /** The preset names, in the order of the presets file. */
    public static final List<String> PRESET_NAMES = List.of("rpi3b+", "rpi4b", "jetson-nano", "jetson-tx2", "desktop");

    private static volatile Map<String, DeviceProfile> presets;

    private DeviceProfiles() {
    }

    /** A cluster description: devices in order and the initiator (the device holding the input). */
    public record Cluster(List<DeviceProfile> devices, String initiator) {
        public Cluster {
            devices = List.copyOf(devices);
            if (devices.isEmpty()) {
                throw new IllegalArgumentException("a cluster needs at least one device");
            }
            Set<String> names = new HashSet<>();
            for (DeviceProfile d : devices) {
                if (!names.add(d.name())) {
                    throw new IllegalArgumentException("device name '" + d.name() + "' is used twice; give each device its own name");
                }
            }
            if (initiator == null) {
                initiator = devices.get(0).name();
            }
            if (!names.contains(initiator)) {
                throw new IllegalArgumentException("initiator '" + initiator + "' is not one of the devices " + names);
            }
        }

        public int initiatorIndex() {
            for (int i = 0; i < devices.size(); i++) {
                if (devices.get(i).name().equals(initiator)) {
                    return i;
                }
            }
            throw new IllegalStateException();
        }
    }

    /** All presets by name (rpi3b+, rpi4b, jetson-nano, jetson-tx2, desktop). */
    public static Map<String, DeviceProfile> presets() {
        Map<String, DeviceProfile> p = presets;
        if (p == null) {
            try (InputStream in = DeviceProfiles.class.getResourceAsStream("presets.yaml")) {
                if (in == null) {
                    throw new IllegalStateException("presets.yaml is missing from the class path");
                }
                Cluster c = parse("presets.yaml", new String(in.readAllBytes(), StandardCharsets.UTF_8), Map.of());
                Map<String, DeviceProfile> m = new LinkedHashMap<>();
                c.devices().forEach(d -> m.put(d.name(), d));
                presets = p = java.util.Collections.unmodifiableMap(m);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return p;
    }

    /** One preset by name; the error lists the known names. */
    public static DeviceProfile preset(String name) {
        DeviceProfile d = presets().get(name.trim().toLowerCase(Locale.ROOT));
        if (d == null) {
            throw new IllegalArgumentException("unknown device preset '" + name + "'; known: " + String.join(", ", presets().keySet()));
        }
        return d;
    }

    /**
     * Resolves a {@code --devices} argument: an existing file path, or a comma list of preset names
     * ({@code rpi4b,jetson-nano,rpi4b}). Repeated presets get suffixes ({@code rpi4b-2}). Every device gets
     * the documented default link unless the file says otherwise. The first device is the initiator.
     */
    public static Cluster resolve(String devicesArgument) {
        String arg = devicesArgument.trim();
        Path p = Path.of(arg);
        if (Files.isRegularFile(p)) {
            return read(p);
        }
        if (arg.endsWith(".yaml") || arg.endsWith(".yml")) {
            throw new IllegalArgumentException("device file '" + arg + "' does not exist");
        }
        List<DeviceProfile> list = new ArrayList<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (String part : arg.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            DeviceProfile d = preset(part);
            int k = seen.merge(d.name(), 1, Integer::sum);
            list.add(k == 1 ? d : d.withName(d.name() + "-" + k));
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException("--devices needs a file or a comma list of presets: " + String.join(",", PRESET_NAMES));
        }
        // a later duplicate renamed to rpi4b-2 must not collide with a literal rpi4b-2: Cluster checks
        return new Cluster(list, null);
    }

    /** Reads a device file. */
    public static Cluster read(Path file) {
        try {
            return parse(file.toString(), Files.readString(file), presets());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("device file '" + file + "' does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read device file " + file, e);
        }
    }

    /** Parses device file text; {@code presetsByName} resolves {@code preset:} keys. */
    public static Cluster parse(String source, String text, Map<String, DeviceProfile> presetsByName) {
        MiniYaml.Document doc = MiniYaml.parse(source, text);
        if (doc.listKey() == null || !doc.listKey().equals("devices")) {
            throw new IllegalArgumentException(source + ": expected a 'devices:' list");
        }
        Map<String, String> defaults = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : doc.top().entrySet()) {
            if (e.getKey().startsWith("link.") || e.getKey().equals("initiator")) {
                defaults.put(e.getKey(), e.getValue());
            } else {
                throw new IllegalArgumentException(source + ": unknown top-level key '" + e.getKey()
                        + "' (known: initiator, link.bandwidth, link.latency, link.request, link.burst, link.halo-bandwidth, devices)");
            }
        }
        List<DeviceProfile> devices = new ArrayList<>();
        for (Map<String, String> item : doc.items()) {
            devices.add(profile(source, item, defaults, presetsByName));
        }
        return new Cluster(devices, defaults.get("initiator"));
    }

    private static DeviceProfile profile(String source, Map<String, String> item, Map<String, String> defaults,
                                         Map<String, DeviceProfile> presetsByName) {
        String name = item.get("name");
        if (name == null) {
            throw new IllegalArgumentException(source + ": every device needs a 'name:'");
        }
        String where = source + ", device '" + name + "'";
        DeviceProfile base = null;
        if (item.containsKey("preset")) {
            base = presetsByName.get(item.get("preset").toLowerCase(Locale.ROOT));
            if (base == null) {
                throw new IllegalArgumentException(where + ": unknown preset '" + item.get("preset") + "'; known: "
                        + String.join(", ", presetsByName.keySet()));
            }
        }
        EnumMap<LayerType, Double> rates = new EnumMap<>(LayerType.class);
        if (base != null) {
            rates.putAll(base.rates());
        }
        Map<String, String> sources = new LinkedHashMap<>(base == null ? Map.of() : base.sources());
        String description = base == null ? "" : base.description();
        long memory = base == null ? -1 : base.memoryBytes();
        double idle = base == null ? Double.NaN : base.idleWatts();
        double compute = base == null ? Double.NaN : base.computeWatts();
        double tx = base == null ? Double.NaN : base.transmitWatts();
        double bw = base == null ? LinkProfile.DEFAULT.bandwidthBytesPerSecond() : base.link().bandwidthBytesPerSecond();
        double lat = base == null ? LinkProfile.DEFAULT.latencySeconds() : base.link().latencySeconds();
        double req = base == null ? LinkProfile.DEFAULT.requestSeconds() : base.link().requestSeconds();
        double burst = base == null ? LinkProfile.DEFAULT.burstBytes() : base.link().burstBytes();
        // a halo bandwidth of its own only when one was set: otherwise it follows link.bandwidth
        double haloBw = base == null || base.link().haloBandwidthBytesPerSecond() == base.link().bandwidthBytesPerSecond()
                ? Double.NaN : base.link().haloBandwidthBytesPerSecond();
        if (defaults.containsKey("link.bandwidth")) {
            bw = Units.bandwidth(source + " link.bandwidth", defaults.get("link.bandwidth"));
        }
        if (defaults.containsKey("link.latency")) {
            lat = Units.seconds(source + " link.latency", defaults.get("link.latency"));
        }
        if (defaults.containsKey("link.request")) {
            req = Units.seconds(source + " link.request", defaults.get("link.request"));
        }
        if (defaults.containsKey("link.burst")) {
            burst = Units.memory(source + " link.burst", defaults.get("link.burst"));
        }
        if (defaults.containsKey("link.halo-bandwidth")) {
            haloBw = Units.bandwidth(source + " link.halo-bandwidth", defaults.get("link.halo-bandwidth"));
        }
        for (Map.Entry<String, String> e : item.entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            String what = where + " " + k;
            switch (k) {
                case "name", "preset" -> { }
                case "description" -> description = v;
                case "memory" -> memory = Units.memory(what, v);
                case "power.idle" -> idle = Units.power(what, v);
                case "power.compute" -> compute = Units.power(what, v);
                case "power.transmit" -> tx = Units.power(what, v);
                case "link.bandwidth" -> bw = Units.bandwidth(what, v);
                case "link.latency" -> lat = Units.seconds(what, v);
                case "link.request" -> req = Units.seconds(what, v);
                case "link.burst" -> burst = Units.memory(what, v);
                case "link.halo-bandwidth" -> haloBw = Units.bandwidth(what, v);
                default -> {
                    if (k.startsWith("rate.")) {
                        rates.put(LayerType.fromKey(k.substring(5)), Units.rate(what, v));
                    } else if (k.startsWith("source.")) {
                        sources.put(k.substring(7), v);
                    } else {
                        throw new IllegalArgumentException(where + ": unknown key '" + k + "' (known: name, preset, description,"
                                + " memory, power.idle, power.compute, power.transmit, link.bandwidth, link.latency,"
                                + " link.request, link.burst, link.halo-bandwidth, rate.<type>, source.<figure>)");
                    }
                }
            }
        }
        if (memory < 0 || Double.isNaN(idle) || Double.isNaN(compute) || Double.isNaN(tx)) {
            throw new IllegalArgumentException(where + ": give a preset, or memory, power.idle, power.compute and power.transmit");
        }
        return new DeviceProfile(name, description, rates, memory, idle, compute, tx, new LinkProfile(bw, lat, req, burst,
                Double.isNaN(haloBw) ? bw : haloBw), sources);
    }

    /** Writes one cluster in the format {@link #parse} reads (every figure explicit, no presets). */
    public static String format(Cluster cluster) {
        StringBuilder sb = new StringBuilder();
        sb.append("# CoEdge device profiles. Rates are sustained FLOP/s per layer type; power is whole-board.\n");
        sb.append("initiator: ").append(MiniYaml.scalar(cluster.initiator())).append('\n');
        sb.append("devices:\n");
        for (DeviceProfile d : cluster.devices()) {
            sb.append("  - name: ").append(MiniYaml.scalar(d.name())).append('\n');
            if (!d.description().isEmpty()) {
                sb.append("    description: ").append(MiniYaml.scalar(d.description())).append('\n');
            }
            for (Map.Entry<LayerType, Double> e : d.rates().entrySet()) {
                sb.append("    rate.").append(e.getKey().key()).append(": ").append(Units.fmt(e.getValue() / 1e9)).append(" GFLOP/s\n");
            }
            sb.append("    memory: ").append(Units.fmt(d.memoryBytes() / 1e6)).append(" MB\n");
            sb.append("    power.idle: ").append(Units.fmt(d.idleWatts())).append(" W\n");
            sb.append("    power.compute: ").append(Units.fmt(d.computeWatts())).append(" W\n");
            sb.append("    power.transmit: ").append(Units.fmt(d.transmitWatts())).append(" W\n");
            sb.append("    link.bandwidth: ").append(Units.fmt(d.link().bandwidthBytesPerSecond() * 8 / 1e6)).append(" Mbit/s\n");
            sb.append("    link.latency: ").append(Units.fmt(d.link().latencySeconds() * 1e3)).append(" ms\n");
            if (d.link().requestSeconds() > 0) {
                sb.append("    link.request: ").append(Units.fmt(d.link().requestSeconds() * 1e3)).append(" ms\n");
            }
            if (d.link().burstBytes() > 0) {
                sb.append("    link.burst: ").append(Units.fmt(d.link().burstBytes())).append(" B\n");
            }
            if (d.link().haloBandwidthBytesPerSecond() != d.link().bandwidthBytesPerSecond()) {
                sb.append("    link.halo-bandwidth: ").append(Units.fmt(d.link().haloBandwidthBytesPerSecond() * 8 / 1e6))
                        .append(" Mbit/s\n");
            }
            for (Map.Entry<String, String> e : d.sources().entrySet()) {
                sb.append("    source.").append(e.getKey()).append(": ").append(MiniYaml.scalar(e.getValue())).append('\n');
            }
        }
        return sb.toString();
    }

    public static void write(Cluster cluster, Path file) throws IOException {
        Files.writeString(file, format(cluster));
    }
}
