package io.coedge.planner;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the planner knows about one device: compute rate per {@link LayerType}, memory budget, power
 * model and network link.
 *
 * <p>The power model has three states: computing ({@code computeWatts}, all cores busy), transmitting
 * or receiving ({@code transmitWatts}, radio or NIC active with light CPU load) and idle
 * ({@code idleWatts}, powered and waiting). These are whole-board figures, as a USB power meter
 * sees them.
 *
 * @param name         the name plans and reports use (unique within a cluster)
 * @param description  free text (board, CPU, memory)
 * @param rates        sustained FLOP/s per layer type; missing types fall back (see {@link #rate})
 * @param memoryBytes  bytes the runtime may use for weights and activations
 * @param sources      where each figure comes from, by profile key (e.g. {@code power.idle})
 */
public record DeviceProfile(String name, String description, Map<LayerType, Double> rates, long memoryBytes,
                            double idleWatts, double computeWatts, double transmitWatts, LinkProfile link,
                            Map<String, String> sources) {
    public DeviceProfile {
        if (name == null || name.isBlank() || name.contains(",") || name.contains("\"")) {
            throw new IllegalArgumentException("device name must be non-empty without ',' or '\"', got '" + name + "'");
        }
        description = description == null ? "" : description;
        EnumMap<LayerType, Double> r = new EnumMap<>(LayerType.class);
        r.putAll(rates);
        for (Map.Entry<LayerType, Double> e : r.entrySet()) {
            if (!(e.getValue() > 0) || e.getValue().isInfinite()) {
                throw new IllegalArgumentException("device '" + name + "': rate." + e.getKey().key()
                        + " must be a positive FLOP/s figure, got " + e.getValue());
            }
        }
        if (!r.containsKey(LayerType.CONV3X3) || !r.containsKey(LayerType.OTHER)) {
            throw new IllegalArgumentException("device '" + name + "' needs at least rate.conv3x3 and rate.other "
                    + "(the other types fall back to them)");
        }
        rates = Collections.unmodifiableMap(r);
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("device '" + name + "': memory budget must be positive");
        }
        if (!(idleWatts >= 0) || !(computeWatts >= idleWatts) || !(transmitWatts >= idleWatts)) {
            throw new IllegalArgumentException("device '" + name + "': power must satisfy 0 <= idle <= compute and"
                    + " idle <= transmit (got idle " + idleWatts + " W, compute " + computeWatts + " W, transmit "
                    + transmitWatts + " W)");
        }
        link = link == null ? LinkProfile.DEFAULT : link;
        sources = Collections.unmodifiableMap(new LinkedHashMap<>(sources == null ? Map.of() : sources));
    }

    /** Sustained FLOP/s for a layer type, following the fallback chain for types the profile lacks. */
    public double rate(LayerType type) {
        for (LayerType t = type; t != null; t = t.fallback()) {
            Double r = rates.get(t);
            if (r != null) {
                return r;
            }
        }
        return rates.get(LayerType.OTHER);
    }

    public DeviceProfile withName(String newName) {
        return new DeviceProfile(newName, description, rates, memoryBytes, idleWatts, computeWatts, transmitWatts,
                link, sources);
    }

    public DeviceProfile withLink(LinkProfile newLink) {
        return new DeviceProfile(name, description, rates, memoryBytes, idleWatts, computeWatts, transmitWatts,
                newLink, sources);
    }

    public DeviceProfile withRates(Map<LayerType, Double> newRates) {
        return new DeviceProfile(name, description, newRates, memoryBytes, idleWatts, computeWatts, transmitWatts,
                link, sources);
    }

    /** Every rate multiplied by {@code factor} (live re-planning, emulated CPU quotas). */
    public DeviceProfile scaleRates(double factor) {
        EnumMap<LayerType, Double> r = new EnumMap<>(LayerType.class);
        rates.forEach((k, v) -> r.put(k, v * factor));
        return withRates(r);
    }

    @Override
    public String toString() {
        return name + " (" + Units.formatRate(rate(LayerType.CONV3X3)) + " conv3x3, " + Units.formatMemory(memoryBytes)
                + ", " + Units.fmt(idleWatts) + "/" + Units.fmt(computeWatts) + "/" + Units.fmt(transmitWatts)
                + " W idle/compute/tx, link " + link + ")";
    }
}
